"""Errors as the API answers them: a status and a JSON ``{"error": message}``."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

__all__ = ["api_errors", "json_error"]

log = logging.getLogger(__name__)


def json_error(
    status: type[web.HTTPError], message: str, *, headers: Mapping[str, str] | None = None
) -> web.HTTPError:
    """An HTTP error whose body is ``{"error": message}``."""
    return status(
        text=json.dumps({"error": message}), content_type="application/json", headers=headers
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
def api_errors(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """Give every ``/api/`` error a JSON body, including 404s, 405s and crashes."""
    if not request.path.startswith("/api/"):
        # The handler's own coroutine, not one awaiting it: a page's WebSocket stays open
        # for a whole call, and a frame of ours would stay with it.
        return handler(request)
    return _json_errors(request, handler)


async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPError as error:
        if error.content_type == "application/json":
            raise
        return web.json_response({"error": error.reason}, status=error.status)
    except Exception:
        log.exception("unexpected error in %s %s", request.method, request.rel_url.raw_path)
        return web.json_response({"error": "internal error"}, status=500)
