"""A WebSocket's sending side: a small bounded queue and one writer per socket.

Whoever sends (the dispatcher pushing state, a peer's relayed negotiation) only queues the
message and moves on; the socket's own writer waits for its reader. A reader so slow that
its queue fills is dropped: closed with :data:`CLOSE_TRY_LATER` ("too slow"), after which
the browser reconnects as it does after any try-later close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import WSMsgType, web

__all__ = ["CLOSE_REFUSED", "CLOSE_TRY_LATER", "SEND_QUEUE", "Socket"]

log = logging.getLogger(__name__)

# Messages waiting for one reader: a burst of ICE candidates and state pushes fits many
# times over; a reader this far behind is not reading.
SEND_QUEUE = 128
# Application close codes (4000-4999 are ours by RFC 6455): the browser gives up after
# REFUSED, and tries again with backoff after TRY_LATER.
CLOSE_REFUSED = 4003
CLOSE_TRY_LATER = 4013


@dataclass(frozen=True, slots=True)
class _Close:
    code: int
    reason: bytes


class Socket:
    """Sends JSON messages on a WebSocket without ever making the sender wait.

    Its writer runs only while something is queued: an idle socket holds no task.
    """

    def __init__(self, ws: web.WebSocketResponse, *, queue_size: int = SEND_QUEUE) -> None:
        self.ws = ws
        self._queue: deque[bytes | _Close] = deque()
        self._queue_size = queue_size
        self._closing = False
        self._writer: asyncio.Task[Any] | None = None

    def send(self, message: dict[str, Any] | msgspec.Struct) -> None:
        """Queue a JSON message, unless the socket is closing; drop a reader too far behind."""
        # msgspec writes UTF-8: a text frame as it is, not decoded and encoded again.
        self.send_encoded(msgspec.json.encode(message))

    def send_encoded(self, message: bytes) -> None:
        """Queue a message already encoded as JSON (UTF-8), like :meth:`send`."""
        if self._closing or self.ws.closed:
            return
        self._put(message)

    def send_error(self, code: str, message: str) -> None:
        """Tell the client what it did wrong, in a code for programs and words for people."""
        self.send({"type": "error", "code": code, "message": message})

    def refuse(self, code: str, message: str, *, final: bool = True) -> None:
        """Say why and close: for good, or (``final=False``) for the client to retry."""
        self.send_error(code, message)
        self.close(CLOSE_REFUSED if final else CLOSE_TRY_LATER, code.encode())

    def close(self, code: int, reason: bytes) -> None:
        """Close the socket once everything queued before has been sent."""
        if not self._closing:
            self._put(_Close(code, reason))
            self._closing = True

    async def finish(self) -> None:
        """The socket's handler is done: stop writing."""
        self._queue.clear()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    def _put(self, item: bytes | _Close) -> None:
        if len(self._queue) >= self._queue_size:
            self._drop()
            return
        self._queue.append(item)
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write())

    def _drop(self) -> None:
        log.info("dropping a WebSocket whose reader fell %d messages behind", len(self._queue))
        self._closing = True
        self._queue.clear()
        if self._writer is not None:
            self._writer.cancel()  # it may be waiting for the reader: never for good
        self._writer = asyncio.get_running_loop().create_task(
            self.ws.close(code=CLOSE_TRY_LATER, message=b"too slow")
        )

    async def _write(self) -> None:
        try:
            while self._queue:
                item = self._queue.popleft()
                if isinstance(item, _Close):
                    await self.ws.close(code=item.code, message=item.reason)
                    return
                if self.ws.closed:
                    continue
                try:
                    await self.ws.send_frame(item, WSMsgType.TEXT)
                except ConnectionError:
                    log.debug("peer went away while we were sending")
        finally:
            if self._writer is asyncio.current_task():
                self._writer = None
