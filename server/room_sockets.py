"""Participants' WebSockets: opened, capped per address, read under a flood limit, and
handed to the room hub message by message.

A connection's first message must be ``hello`` (within a few seconds); the hub admits it
or says why not. After that, negotiation messages go straight to the hub's relay (the hot
path) and everything else to its requests. Work a message started runs to its end even
when the browser goes away meanwhile.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from functools import partial
from typing import Any

import msgspec
from aiohttp import WSCloseCode, WSMsgType, web

from server.clock import Clock
from server.config import Config
from server.ratelimit import TokenBucket
from server.schemas import (
    Hello,
    Signal,
    control_character_field,
    control_characters,
    decode_client_message,
)
from server.signalling import Connection, RoomHub
from server.sockets import Socket

__all__ = [
    "CLOSE_FLOODING",
    "MAX_MESSAGE_BYTES",
    "MESSAGES_PER_SECOND",
    "MESSAGE_BURST",
    "RoomSockets",
]

MAX_MESSAGE_BYTES = 64 * 1024
# A browser sends a few messages a second, and bursts of ICE candidates when it connects.
MESSAGES_PER_SECOND = 20
MESSAGE_BURST = 100
# A sender that keeps flooding after this many refused messages is disconnected.
MAX_REFUSED_MESSAGES = 1000
# The browser does not come back after this close.
CLOSE_FLOODING = 4029


class RoomSockets:
    """Every open participant WebSocket of this instance."""

    def __init__(self, config: Config, clock: Clock, hub: RoomHub) -> None:
        self._config = config
        self._clock = clock
        self._hub = hub
        self._sockets: set[web.WebSocketResponse] = set()
        self._background: set[asyncio.Future[Any]] = set()
        self._per_address: Counter[str | None] = Counter()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one participant's WebSocket until it closes; refuse one too many from
        the same address before it opens."""
        address = request.remote
        if self._per_address[address] >= self._config.max_connections_per_address:
            refusal = web.Response(
                status=429,
                text="too many connections from your address",
                headers={"Retry-After": "10"},
            )
            refusal.force_close()  # not kept alive: the point is fewer open sockets
            return refusal
        self._per_address[address] += 1
        try:
            return await self._serve(request)
        finally:
            self._per_address[address] -= 1
            if not self._per_address[address]:
                del self._per_address[address]

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        # No per-message compression, which every browser offers: its zlib state costs
        # about 100 KiB a connection and CPU on every message, for messages of a few
        # hundred bytes.
        ws = web.WebSocketResponse(
            heartbeat=self._config.heartbeat_seconds,
            max_msg_size=MAX_MESSAGE_BYTES,
            compress=False,
        )
        await ws.prepare(request)
        self._sockets.add(ws)
        socket = Socket(ws)
        connection: Connection | None = None
        admitting: asyncio.Future[Connection | None] | None = None
        limit = TokenBucket(rate=MESSAGES_PER_SECOND, burst=MESSAGE_BURST)
        refused = 0
        # Heartbeats keep an idle socket open for ever: one that never says hello goes.
        hello_overdue = self._clock.call_later(
            self._config.hello_timeout_seconds, partial(self._hello_overdue, socket)
        )
        try:
            async for frame in ws:
                if not limit.allow(self._clock.monotonic()):
                    refused += 1
                    if refused > MAX_REFUSED_MESSAGES:
                        socket.close(CLOSE_FLOODING, b"too many messages")
                        break
                    if refused == 1:
                        socket.send_error("rate_limited", "too many messages: slow down")
                    continue
                refused = 0
                if frame.type != WSMsgType.TEXT:
                    if frame.type == WSMsgType.ERROR:
                        break
                    socket.send_error("invalid_message", "messages must be JSON text")
                    continue
                try:
                    message = decode_client_message(frame.data)
                except msgspec.DecodeError as error:
                    field = control_character_field(error, frame.data)
                    if field is not None:
                        socket.send_error("invalid_text", control_characters(field))
                    else:
                        socket.send_error("invalid_message", str(error))
                    continue
                # aiohttp cancels the handler when the client goes away; the work a message
                # started runs to its end regardless, or an event could be stored but not
                # applied, or a join recorded with no leave to follow it.
                if connection is None:
                    if isinstance(message, Hello):
                        hello_overdue.cancel()  # it ends in a welcome or a refusal that closes
                    admitting = self._in_background(self._hub.admit(socket, message))
                    connection = await asyncio.shield(admitting)
                    admitting = None  # done: not worth its memory for the whole call
                elif isinstance(message, Signal):
                    # Most messages: a relay changes nothing here, so it needs no shield
                    # (nor the task it would cost), and it is the hot path.
                    await self._hub.relay(connection, message)
                else:
                    await asyncio.shield(
                        self._in_background(self._hub.dispatch(connection, message))
                    )
        finally:
            hello_overdue.cancel()
            self._sockets.discard(ws)
            if connection is None and admitting is not None:
                connection = await asyncio.shield(admitting)
            if connection is not None:
                await asyncio.shield(self._in_background(self._hub.leave(connection)))
            await socket.finish()
        return ws

    def _hello_overdue(self, socket: Socket) -> None:
        seconds = self._config.hello_timeout_seconds
        message = f"no hello within {seconds:g} s of connecting"
        socket.refuse("hello_timeout", message, final=False)

    def _in_background(self, work: Any) -> asyncio.Future[Any]:
        task: asyncio.Future[Any] = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def close(self) -> None:
        """Close every WebSocket (server going away) and wait for background work."""
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
