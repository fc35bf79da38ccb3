"""The camera analytics uplink endpoint: a browser's offer in, the server's answer out."""

from __future__ import annotations

from aiohttp import web
from aiortc import RTCSessionDescription

from server.auth import Participant, require_session_access
from server.endpoints import decode_body, session_or_404
from server.errors import json_error
from server.keys import CONFIG, UPLINKS
from server.schemas import UplinkOffer
from server.uplink_offers import UplinkRefused

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.post("/api/sessions/{session_id}/uplink")
async def open_uplink(request: web.Request) -> web.Response:
    """A participant in the room sends the camera it shows to the server's analysis."""
    session_id = request.match_info["session_id"]
    asker = require_session_access(request.app[CONFIG], request, session_id)
    if not isinstance(asker, Participant):
        raise json_error(web.HTTPForbidden, "the program manager has no camera in the room")
    offer = await decode_body(request, UplinkOffer)
    state = await session_or_404(request, session_id)
    if state.status == "ended":
        raise json_error(web.HTTPConflict, "this session has ended")
    if not state.presence[asker.role].present:
        raise json_error(web.HTTPConflict, "join the room before sending your camera")
    try:
        answer = await request.app[UPLINKS].accept(
            session_id, asker.role, RTCSessionDescription(sdp=offer.sdp, type=offer.type)
        )
    except UplinkRefused as refusal:
        raise json_error(web.HTTPBadRequest, str(refusal)) from None
    return web.json_response({"type": answer.type, "sdp": answer.sdp})
