"""The MPM retries a delivery channel that gave up on a session."""

from __future__ import annotations

from aiohttp import web

from analytics.outgoing import retry_delivery
from server.auth import require_admin
from server.endpoints import act
from server.errors import json_error
from server.keys import CONFIG, COURIER

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.post("/api/sessions/{session_id}/deliveries/{channel}/retry")
async def retry(request: web.Request) -> web.Response:
    """Start a failed channel again on what it owes the session (202); 409 if it has not failed."""
    require_admin(request.app[CONFIG], request)
    session_id, channel = request.match_info["session_id"], request.match_info["channel"]
    if channel not in request.app[COURIER].channel_names:
        raise json_error(web.HTTPNotFound, f"no delivery channel is called {channel!r}")
    await act(request, session_id, lambda state, now: retry_delivery(state, channel, now))
    return web.json_response({"channel": channel, "retrying": True}, status=202)
