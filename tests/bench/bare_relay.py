"""The least a WebSocket relay can do on aiohttp: the ceiling for the hub's figures.

It speaks just enough of mentormeet's protocol for the bench's bots (schedule a session,
``hello`` and ``welcome`` on ``/ws``, then every message goes to the other participant)
and does nothing else: no invite check, no rate limit, no schema, no events, no state
pushed. Measured at the same load as the real server, it shows how much of the cost of
signalling and of an idle connection is aiohttp's, the kernel's and Python's own::

    python -m tests.bench.bare_relay serve --port 8081
"""

from __future__ import annotations

import argparse
import json
import uuid

from aiohttp import web

Room = dict[str, web.WebSocketResponse]
ROOMS = web.AppKey("rooms", dict[str, Room])


async def schedule(request: web.Request) -> web.Response:
    session_id = uuid.uuid4().hex
    links = {role: f"/s/{session_id}?token={session_id}.{role}" for role in ("mentor", "mentoree")}
    return web.json_response({"id": session_id, "links": links})


async def sessions(request: web.Request) -> web.Response:
    return web.json_response([])


async def relay(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=20, compress=False)  # as the hub's
    await ws.prepare(request)
    hello = json.loads(await ws.receive_str())
    session_id, role = hello["token"].split(".")
    other = "mentoree" if role == "mentor" else "mentor"
    room = request.app[ROOMS].setdefault(session_id, {})
    room[role] = ws
    await ws.send_str(json.dumps({"type": "welcome", "role": role}))
    try:
        async for frame in ws:
            peer = room.get(other)
            if peer is not None:
                await peer.send_str(frame.data)
    finally:
        del room[role]
        if not room:
            del request.app[ROOMS][session_id]
    return ws


def make_app() -> web.Application:
    app = web.Application()
    app[ROOMS] = {}
    app.router.add_post("/api/sessions", schedule)
    app.router.add_get("/api/sessions", sessions)
    app.router.add_get("/", sessions)
    app.router.add_get("/ws", relay)
    return app


def main() -> None:
    # The same command line as ``mentormeet serve``, so that the bench starts either.
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--data-dir", help="ignored: the relay keeps nothing")
    args = parser.parse_args()
    web.run_app(make_app(), host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
