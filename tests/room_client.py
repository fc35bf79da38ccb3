"""A test's stand-in for a browser tab in a session's room: the WebSocket side of a call."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import ClientWebSocketResponse, WSMsgType

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"}
CANDIDATE = {"candidate": "candidate:1 1 udp 1 192.0.2.1 5000 typ host", "sdpMid": "0"}


async def receive_any(ws: ClientWebSocketResponse) -> dict[str, Any]:
    """The next message; fails if the socket closes first."""
    message = await ws.receive(timeout=5)
    assert message.type == WSMsgType.TEXT, f"wanted a message, got {message}"
    return json.loads(message.data)


async def receive(ws: ClientWebSocketResponse, type_: str) -> dict[str, Any]:
    """The next message of ``type_``, skipping others."""
    while (message := await receive_any(ws))["type"] != type_:
        pass
    return message


async def receive_each(ws: ClientWebSocketResponse, *wanted) -> None:
    """Read messages until each predicate in ``wanted`` has matched one, in any order."""
    waiting = list(wanted)
    while waiting:
        message = await receive_any(ws)
        waiting = [check for check in waiting if not check(message)]


async def receive_state(ws: ClientWebSocketResponse, where) -> dict[str, Any]:
    """The session of the next state message for which ``where(session)`` holds."""
    while not where(session := (await receive(ws, "state"))["session"]):
        pass
    return session


def present(session: dict[str, Any]) -> dict[str, bool]:
    """Who is in the room, by role, in a session's JSON."""
    return {role: p["present"] for role, p in session["participants"].items()}


async def receive_error(ws: ClientWebSocketResponse) -> str:
    """The code of the next error message."""
    return (await receive(ws, "error"))["code"]


async def closed(ws: ClientWebSocketResponse) -> int | None:
    """Wait until the server closes ``ws``, skipping messages; return the close code."""
    while True:
        message = await ws.receive(timeout=5)
        if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
            return ws.close_code


async def connect(client) -> ClientWebSocketResponse:
    """Open a socket to the room endpoint, not yet joined to any session."""
    return await client.ws_connect("/ws")


async def hello(ws, token: str, client_id: str) -> None:
    """Ask to join the session ``token`` invites to, as the tab ``client_id``."""
    await ws.send_json({"type": "hello", "token": token, "client_id": client_id})


async def join(client, session, role: str, client_id: str | None = None):
    """Connect ``role`` to the room; return the socket and the welcome it got."""
    ws = await connect(client)
    await hello(ws, session.tokens[role], client_id or f"{role}-tab-1")
    return ws, await receive(ws, "welcome")


async def started(client, session):
    """Both participants in the room, the clock running; their sockets."""
    mentor, _ = await join(client, session, "mentor")
    mentoree, _ = await join(client, session, "mentoree")
    await receive_state(mentor, lambda s: s["started_at"] is not None)
    return mentor, mentoree


async def end(client, session):
    """Hold the session and end it from the mentor's room."""
    mentor, mentoree = await started(client, session)
    await mentor.send_json({"type": "end"})
    await receive_state(mentoree, lambda s: s["status"] == "ended")
