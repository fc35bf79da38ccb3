"""A WebSocket's send queue: senders never wait, a reader too far behind is dropped."""

import asyncio

import msgspec

from server.sockets import CLOSE_TRY_LATER, Socket


class StuckReader:
    """The server's side of a WebSocket whose reader reads nothing until ``unblock``."""

    def __init__(self) -> None:
        self.closed = False
        self.frames: list[bytes] = []
        self.close_code: int | None = None
        self.unblocked = asyncio.Event()
        self.closing = asyncio.Event()

    async def send_frame(self, data: bytes, opcode: object) -> None:
        await self.unblocked.wait()
        self.frames.append(data)

    async def close(self, *, code: int, message: bytes) -> bool:
        self.closed, self.close_code = True, code
        self.closing.set()
        return True


async def test_messages_go_out_in_order_and_the_close_after_them():
    ws = StuckReader()
    ws.unblocked.set()
    socket = Socket(ws)  # type: ignore[arg-type]

    for number in range(3):
        socket.send({"n": number})
    socket.close(4003, b"done")
    socket.send({"n": "after the close"})
    await asyncio.wait_for(ws.closing.wait(), 5)

    assert [msgspec.json.decode(frame)["n"] for frame in ws.frames] == [0, 1, 2]
    assert ws.close_code == 4003
    await socket.finish()


async def test_a_reader_that_falls_a_queue_behind_is_dropped_and_nobody_waits():
    ws = StuckReader()
    socket = Socket(ws, queue_size=4)  # type: ignore[arg-type]

    for number in range(4 + 2):  # one taken by the stuck writer, four queued, one too many
        socket.send({"n": number})
        await asyncio.sleep(0)  # the writer takes the first and stays stuck on it

    await asyncio.wait_for(ws.closing.wait(), 5)
    assert (ws.closed, ws.close_code) == (True, CLOSE_TRY_LATER)
    assert ws.frames == []
    socket.send({"n": "ignored"})  # sending to a dropped socket is no error
    await socket.finish()
