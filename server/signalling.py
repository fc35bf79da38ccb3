"""The room hub: one WebSocket per participant for signalling and live state.

A connection opens with ``hello`` (invite token and a per-tab client id). The record
keeps one seat per role (:func:`analytics.room.join`); the same tab reconnecting replaces
its old connection (newest wins), anyone else finds the room full. After that the hub
relays negotiation messages between the two browsers, whose call is peer-to-peer, and
pushes the session's state to both whenever an event changes it.

The two may be connected to different instances: a join, a leave, any event recorded
through one instance reaches the hub of the other through the dispatcher, and
negotiation messages for a browser connected elsewhere go through the cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import msgspec
from aiohttp import WSCloseCode, WSMsgType, web

from analytics import room, rules
from analytics.events import (
    Event,
    ParticipantJoined,
    ParticipantLeft,
    Role,
    SessionCancelled,
    other_role,
)
from analytics.session import SessionState
from server.cameras import CameraWatch
from server.clock import Clock
from server.cluster import Cluster, connection_ids, instance_of
from server.config import Config
from server.ratelimit import TokenBucket
from server.schemas import (
    MAX_AGENDA_ITEMS,
    AgendaAdd,
    AgendaCheck,
    AgendaNote,
    CameraReport,
    ClientMessage,
    End,
    Hello,
    Signal,
    Speaking,
    control_character_field,
    control_characters,
    decode_client_message,
)
from server.sessions import Decide, SessionBook, UnknownSession
from server.sockets import Socket
from server.tokens import InviteClaims, TokenError, verify_token
from server.views import live_state

__all__ = ["MAX_MESSAGE_BYTES", "RoomHub"]

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
# A browser sends a few messages a second, and bursts of ICE candidates when it connects.
MESSAGES_PER_SECOND = 20
MESSAGE_BURST = 100
# A sender that keeps flooding after this many refused messages is disconnected.
MAX_REFUSED_MESSAGES = 1000
# Join attempts per room: enough for reloads and reconnects, not for a stampede.
JOINS_PER_SECOND = 1
JOIN_BURST = 20
# Application close codes (4000-4999 are ours by RFC 6455). The browser gives up after
# REFUSED, REPLACED and FLOODING, and tries again with backoff after TRY_LATER.
CLOSE_REFUSED = 4003
CLOSE_REPLACED = 4009
CLOSE_TRY_LATER = 4013
CLOSE_FLOODING = 4029


@dataclass(eq=False, slots=True)
class Connection:
    """An admitted participant's WebSocket."""

    socket: Socket
    claims: InviteClaims
    client_id: str
    # Unique among every instance's connections; the record names the seat's holder by it.
    id: str
    # Set once the join is recorded and the browser told: only then does it get state.
    welcomed: bool = False

    @property
    def session_id(self) -> str:
        return self.claims.session_id

    @property
    def role(self) -> Role:
        return self.claims.role


class RoomHub:
    """Every open room and the connections in it."""

    def __init__(
        self,
        config: Config,
        book: SessionBook,
        cameras: CameraWatch,
        clock: Clock,
        cluster: Cluster,
    ) -> None:
        self._config = config
        self._clock = clock
        self._book = book
        self._cameras = cameras
        self._cluster = cluster
        self._connection_ids = connection_ids(cluster.instance)
        # The seats held through this instance.
        self._rooms: defaultdict[str, dict[Role, Connection]] = defaultdict(dict)
        # Connections whose join is on its way to the record, by connection id.
        self._arriving: dict[str, Connection] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._background: set[asyncio.Future[Any]] = set()
        self._join_limits: defaultdict[str, TokenBucket] = defaultdict(
            lambda: TokenBucket(rate=JOINS_PER_SECOND, burst=JOIN_BURST)
        )
        self._per_address: Counter[str | None] = Counter()

    async def resume(self) -> None:
        """After a restart nobody is connected through the previous process, whatever the
        log says: record the leaves (as for any instance that is gone).

        Recording that keeps presence true, lets empty rooms end on time, and counts the
        rejoin as a reconnect.
        """
        await self.vacate_orphaned_seats(await self._book.all(), self._cluster.is_alive)

    async def vacate_orphaned_seats(
        self, states: list[SessionState], is_alive: Callable[[str], bool]
    ) -> None:
        """Record the leaves of seats held through instances that are not alive."""

        def still_open(connection_id: str) -> bool:
            return is_alive(instance_of(connection_id))

        for state in states:
            orphaned = state.status == "live" and any(
                seat.present and not still_open(seat.connection) for seat in state.presence.values()
            )
            if orphaned:
                with contextlib.suppress(UnknownSession):
                    await self._book.execute(
                        state.session_id,
                        lambda state, at: room.vacate(state, at, still_open=still_open),
                    )

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
                    admitting = self._in_background(self._admit(socket, message))
                    connection = await asyncio.shield(admitting)
                    admitting = None  # done: not worth its memory for the whole call
                elif isinstance(message, Signal):
                    # Most messages: a relay changes nothing here, so it needs no shield
                    # (nor the task it would cost), and it is the hot path.
                    await self._relay(connection, message)
                else:
                    await asyncio.shield(self._in_background(self._dispatch(connection, message)))
        finally:
            hello_overdue.cancel()
            self._sockets.discard(ws)
            if connection is None and admitting is not None:
                connection = await asyncio.shield(admitting)
            if connection is not None:
                await asyncio.shield(self._in_background(self._leave(connection)))
            await socket.finish()
        return ws

    async def _admit(self, socket: Socket, message: ClientMessage) -> Connection | None:
        if not isinstance(message, Hello):
            socket.send_error("not_joined", "send hello with your invite token first")
            return None
        try:
            claims = verify_token(self._config.secret, message.token, now=self._clock.now())
        except TokenError as error:
            self._refuse(socket, "unauthorized", str(error))
            return None
        if not self._join_limits[claims.session_id].allow(self._clock.monotonic()):
            self._refuse(
                socket, "too_many_joins", "too many join attempts: trying again", final=False
            )
            return None
        connection = Connection(
            socket=socket,
            claims=claims,
            client_id=message.client_id,
            id=next(self._connection_ids),
        )
        replaced: list[Connection] = []

        def take_seat(state: SessionState, at: float) -> tuple[Event, ...]:
            # A window may take the seat over when its person asks ("use this window").
            joined = room.join(
                state,
                claims.role,
                at,
                client_id=message.client_id,
                connection=connection.id,
                take_over=message.take_over,
            )
            # Under the session's lock, so seats here change in step with the record.
            seats = self._rooms[claims.session_id]
            previous = seats.get(claims.role)
            replaced.extend([previous] if previous is not None else [])
            seats[claims.role] = connection
            # The welcome goes out when the join is recorded (see on_recorded).
            self._arriving[connection.id] = connection
            return joined

        try:
            await self._book.execute(claims.session_id, take_seat)
        except (UnknownSession, rules.Rejected) as refused:
            await self._refuse_admission(socket, claims.session_id, refused)
            return None
        for previous in replaced:
            self._replace(previous)
        return connection

    @staticmethod
    def _replace(connection: Connection) -> None:
        connection.socket.send_error("replaced", "you joined this room from a newer window")
        connection.socket.close(CLOSE_REPLACED, b"replaced")

    async def _refuse_admission(self, socket: Socket, session_id: str, refused: Exception) -> None:
        if isinstance(refused, UnknownSession):
            self._refuse(socket, "unknown_session", "this session does not exist")
            return
        assert isinstance(refused, rules.Rejected)
        if refused.code == "session_ended":
            state = await self._book.get(session_id)
            socket.send({"type": "state", "session": live_state(state, self._clock.now())})
        # Not final when the room is full: if that other window died, its heartbeat soon
        # lets this one in.
        self._refuse(socket, refused.code, refused.message, final=refused.code != "room_full")

    def _welcome(self, connection: Connection, state: SessionState) -> None:
        role = connection.role
        connection.socket.send(
            {
                "type": "welcome",
                "role": role,
                # Perfect negotiation needs exactly one polite peer.
                "polite": role == "mentoree",
                "ice_servers": list(self._config.ice_servers),
                # How the browser throttles its camera analytics uplink at the sender.
                "uplink": self._config.camera.sender_limits(),
                "session": live_state(state, self._clock.now()),
            },
        )
        connection.welcomed = True

    def _hello_overdue(self, socket: Socket) -> None:
        seconds = self._config.hello_timeout_seconds
        message = f"no hello within {seconds:g} s of connecting"
        self._refuse(socket, "hello_timeout", message, final=False)

    @staticmethod
    def _refuse(socket: Socket, code: str, message: str, *, final: bool = True) -> None:
        """Say why and close: for good, or (``final=False``) for the client to retry."""
        socket.send_error(code, message)
        socket.close(CLOSE_REFUSED if final else CLOSE_TRY_LATER, code.encode())

    def _in_background(self, work: Any) -> asyncio.Future[Any]:
        task: asyncio.Future[Any] = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _dispatch(self, connection: Connection, message: ClientMessage) -> None:
        if self._refuse_if_expired(connection):
            return
        role = connection.role
        match message:
            case End():
                await self._act(connection, lambda state, at: rules.end_session(state, role, at))
            case AgendaCheck(item_id=item_id, done=done):
                await self._act(
                    connection,
                    lambda state, at: rules.check_agenda_item(state, role, item_id, done, at),
                )
            case AgendaNote(item_id=item_id, note=note):
                await self._act(
                    connection,
                    lambda state, at: rules.write_note(state, role, item_id, note.strip(), at),
                )
            case AgendaAdd(text=text):
                await self._act(
                    connection,
                    lambda state, at: rules.add_agenda_item(
                        state, role, text.strip(), at, max_items=MAX_AGENDA_ITEMS
                    ),
                )
            case Speaking(speaking=speaking):
                await self._act(
                    connection,
                    lambda state, at: room.report_speaking(state, role, speaking, at),
                )
            case CameraReport(enabled=enabled, muted=muted, ended=ended):
                await self._cameras.report(
                    connection.session_id, role, enabled=enabled, muted=muted, ended=ended
                )
            case Hello():
                connection.socket.send_error("already_joined", "this connection has joined")

    def _refuse_if_expired(self, connection: Connection) -> bool:
        """Whether the invite this connection joined with has expired (and it was told)."""
        if connection.claims.expires_at > self._clock.now():
            return False
        self._refuse(connection.socket, "unauthorized", "this invite link has expired")
        return True

    async def _relay(self, connection: Connection, message: Signal) -> None:
        """Pass a negotiation message on to the other participant's browser, if present:
        here, or through the instance it is connected to."""
        if self._refuse_if_expired(connection):
            return
        role = other_role(connection.role)
        peer = self._rooms[connection.session_id].get(role)
        if peer is not None:
            if peer.welcomed:
                peer.socket.send(message)
            return
        seat = (await self._book.get(connection.session_id)).presence[role]
        if seat.present and instance_of(seat.connection) != self._cluster.instance:
            await self._cluster.relay(connection.session_id, role, msgspec.json.encode(message))

    def relayed(self, session_id: str, role: Role, message: bytes) -> None:
        """A negotiation message for ``role``'s browser came through another instance."""
        peer = self._rooms.get(session_id, {}).get(role)
        if peer is not None and peer.welcomed:
            peer.socket.send_encoded(message)

    async def _act(self, connection: Connection, decide: Decide) -> None:
        """Decide a participant's request through the book, or tell them why it was refused."""
        try:
            await self._book.execute(connection.session_id, decide)
        except rules.Rejected as refusal:
            connection.socket.send_error(refusal.code, refusal.message)

    async def _leave(self, connection: Connection) -> None:
        def free_seat(state: SessionState, at: float) -> tuple[Event, ...]:
            seats = self._rooms.get(connection.session_id, {})
            if seats.get(connection.role) is connection:
                del seats[connection.role]
                if not seats:
                    del self._rooms[connection.session_id]
            # Nothing to record if a newer connection holds the seat (here or elsewhere).
            return room.leave(state, connection.role, at, connection=connection.id)

        with contextlib.suppress(UnknownSession):  # deleted meanwhile: nothing to record
            await self._book.execute(connection.session_id, free_seat)

    async def on_recorded(self, state: SessionState, event: Event) -> None:
        """Dispatcher subscriber: push the new state to everyone in the session's room; welcome
        whoever's join this is, and tell their peer."""
        seats = self._rooms.get(state.session_id, {})
        message = {"type": "state", "session": live_state(state, self._clock.now())}
        for connection in list(seats.values()):
            if connection.welcomed:
                connection.socket.send(message)
                if isinstance(event, SessionCancelled):
                    self._refuse(
                        connection.socket, "session_cancelled", "this session was cancelled"
                    )
        if state.over:
            self._join_limits.pop(state.session_id, None)  # nobody joins any more
        match event:
            case ParticipantJoined(role=role, connection=connection_id):
                arriving = self._arriving.pop(connection_id, None)
                if arriving is not None:
                    self._welcome(arriving, state)
                elif (here := seats.get(role)) is not None and here.id != connection_id:
                    # The seat was taken through another instance (the same tab
                    # reconnecting there, or "use this window").
                    del seats[role]
                    self._replace(here)
                self._tell_peer(seats, role, "joined")
            case ParticipantLeft(role=role) if role not in seats:
                self._tell_peer(seats, role, "left")

    @staticmethod
    def _tell_peer(seats: dict[Role, Connection], role: Role, change: str) -> None:
        peer = seats.get(other_role(role))
        if peer is not None and peer.welcomed:
            peer.socket.send({"type": "peer", "event": change})

    def forget(self, session_id: str) -> None:
        """The session is deleted: close its room, and keep nothing of it."""
        for connection in self._rooms.pop(session_id, {}).values():
            self._refuse(connection.socket, "session_deleted", "this session was deleted")
        self._join_limits.pop(session_id, None)

    async def close(self) -> None:
        """Close every WebSocket (server going away) and wait for background work."""
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
