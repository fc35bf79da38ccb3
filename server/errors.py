"""Errors as the API answers them: a status and a JSON ``{"error": message}``."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

__all__ = ["api_errors", "json_error"]

log = logging.getLogger(__name__)


def json_error(status: type[web.HTTPError], message: str) -> web.HTTPError:
    """An HTTP error whose body is ``{"error": message}``."""
    return status(text=json.dumps({"error": message}), content_type="application/json")


@web.middleware
async def api_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Give every ``/api/`` error a JSON body, including 404s, 405s and crashes."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPError as error:
        if error.content_type == "application/json":
            raise
        return web.json_response({"error": error.reason}, status=error.status)
    except Exception:
        log.exception("unexpected error in %s %s", request.method, request.path)
        return web.json_response({"error": "internal error"}, status=500)
