"""What the server writes to its log: never a query string or a control byte from a request.

Invite tokens travel in query strings, so the access log shows paths only; and a request
line can carry anything (CR/LF to forge log lines, escape sequences for terminals), so
whatever comes from a request is printed with its control characters escaped.
"""

from __future__ import annotations

import logging
import re

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import HttpProcessingError

__all__ = ["PathOnlyAccessLogger", "RequestSafeLogFilter", "printable"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` with every control character (CR, LF, ESC …) written as an escape."""
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode(), text)


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Logs requests without their query string, where invite tokens travel."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if request.path == "/healthz" and response.status == 200:
            return  # a proxy asks every second; only a failing check is news
        self.logger.info(
            '%s "%s %s" %s %.3fs',
            request.remote,
            printable(request.method),
            # Still percent-encoded: a decoded %0A would be a line break.
            printable(request.rel_url.raw_path),
            response.status,
            time,
        )


class RequestSafeLogFilter(logging.Filter):
    """A handler filter: escapes control characters in every message, and logs a request
    that aiohttp could not parse by its status alone.

    aiohttp logs such a request with the parser's exception, whose message quotes the
    request line (query string and all).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg = "malformed request from %s: %s (%s)"
            peer = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.args = peer, type(error).__name__, error.code
            record.exc_info = record.exc_text = None
        record.msg = printable(record.getMessage())
        record.args = None
        return True
