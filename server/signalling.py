"""The room hub: seats, requests, negotiation relays and live state for each room.

A participant's WebSocket (read by :mod:`server.room_sockets`) opens with ``hello``
(invite token and a per-tab client id). The record
keeps one seat per role (:func:`analytics.room.join`); the same tab reconnecting replaces
its old connection (newest wins), anyone else finds the room full. After that the hub
relays negotiation messages between the two browsers, whose call is peer-to-peer, and
pushes the session's state to both whenever an event changes it.

The two may be connected to different instances: a join, a leave, any event recorded
through one instance reaches the hub of the other through the dispatcher, and
negotiation messages for a browser connected elsewhere go through the cluster.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import msgspec

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
from server.clock import Clock
from server.cluster import Cluster, connection_ids, instance_of
from server.config import Config
from server.ratelimit import TokenBucket
from server.room_requests import rule_for
from server.schemas import (
    AgendaAdd,
    AgendaCheck,
    AgendaNote,
    CameraReport,
    ClientMessage,
    End,
    Hello,
    Signal,
    Speaking,
)
from server.sessions import Decide, SessionBook, UnknownSession
from server.sockets import Socket
from server.tokens import InviteClaims, TokenError, verify_token
from server.uplink_peers import UplinkPeers
from server.views import live_state

__all__ = ["CLOSE_REPLACED", "JOINS_PER_SECOND", "JOIN_BURST", "Connection", "RoomHub"]

# Join attempts per room: enough for reloads and reconnects, not for a stampede.
JOINS_PER_SECOND = 1
JOIN_BURST = 20
# A window whose seat a newer one took (see server.sockets for the other close codes).
CLOSE_REPLACED = 4009


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
        cameras: UplinkPeers,
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
        self._join_limits: defaultdict[str, TokenBucket] = defaultdict(
            lambda: TokenBucket(rate=JOINS_PER_SECOND, burst=JOIN_BURST)
        )

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

    async def admit(self, socket: Socket, message: ClientMessage) -> Connection | None:
        """Seat whoever says hello with a valid invite, or tell them why not."""
        if not isinstance(message, Hello):
            socket.send_error("not_joined", "send hello with your invite token first")
            return None
        try:
            claims = verify_token(self._config.secret, message.token, now=self._clock.now())
        except TokenError as error:
            socket.refuse("unauthorized", str(error))
            return None
        if not self._join_limits[claims.session_id].allow(self._clock.monotonic()):
            socket.refuse("too_many_joins", "too many join attempts: trying again", final=False)
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
            socket.refuse("unknown_session", "this session does not exist")
            return
        assert isinstance(refused, rules.Rejected)
        if refused.code == "session_ended":
            state = await self._book.get(session_id)
            socket.send({"type": "state", "session": live_state(state, self._clock.now())})
        # Not final when the room is full: if that other window died, its heartbeat soon
        # lets this one in.
        socket.refuse(refused.code, refused.message, final=refused.code != "room_full")

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

    async def dispatch(self, connection: Connection, message: ClientMessage) -> None:
        """Carry out a joined participant's request (anything but a relay)."""
        if self._refuse_if_expired(connection):
            return
        role = connection.role
        match message:
            case AgendaAdd() | AgendaCheck() | AgendaNote() | End() | Speaking():
                await self._act(connection, rule_for(message, role))
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
        connection.socket.refuse("unauthorized", "this invite link has expired")
        return True

    async def relay(self, connection: Connection, message: Signal) -> None:
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
            self._cluster.relay(connection.session_id, role, msgspec.json.encode(message))

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

    async def leave(self, connection: Connection) -> None:
        """The connection closed: free its seat, unless a newer connection holds it."""

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
                    connection.socket.refuse("session_cancelled", "this session was cancelled")
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
            connection.socket.refuse("session_deleted", "this session was deleted")
        self._join_limits.pop(session_id, None)
