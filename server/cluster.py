"""The instances serving one database, and what passes between them.

An instance is one ``mentormeet serve`` process. On SQLite it is alone
(:class:`SoleInstance`); on PostgreSQL any number share the database
(:class:`server.postgres_cluster.PostgresCluster`), and this is what they need of each
other besides the event log itself:

- whether an instance is alive, so that seats held through one that died are freed;
- claims on work that must be done once (a summary's delivery), which lapse with their
  holder;
- relaying a browser's negotiation message to the instance its peer is connected to;
- hearing about events other instances recorded, and sessions they deleted.
"""

from __future__ import annotations

import itertools
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Protocol

from analytics.events import Role

__all__ = [
    "Cluster",
    "ClusterListener",
    "SoleInstance",
    "Tick",
    "connection_ids",
    "instance_of",
    "new_instance_id",
]


def new_instance_id() -> str:
    """A name for this process among the instances, new on every start: the host's name
    and a random suffix, so a restarted instance is a new one (its old connections are
    gone)."""
    return f"{socket.gethostname()}-{secrets.token_hex(3)}"


def connection_ids(instance: str) -> Iterator[str]:
    """Ids for this instance's connections, unique among every instance's:
    ``<instance>/1``, ``<instance>/2`` …"""
    return (f"{instance}/{n}" for n in itertools.count(1))


def instance_of(connection_id: str) -> str:
    """The instance a connection id (see :func:`connection_ids`) belongs to."""
    return connection_id.rpartition("/")[0]


class ClusterListener(Protocol):
    """What an instance does with news from the others."""

    async def recorded_elsewhere(self, session_id: str) -> None:
        """Another instance recorded events in the session."""
        ...

    async def deleted_elsewhere(self, session_id: str) -> None:
        """Another instance deleted the session."""
        ...

    def relayed(self, session_id: str, role: Role, message: bytes) -> None:
        """A negotiation message for ``role``'s browser, sent through another instance."""
        ...

    async def missed_news(self) -> None:
        """News may have been lost (the connection that hears it dropped): look again."""
        ...


# Called about once a second on a shared database, with whether an instance is alive.
Tick = Callable[[Callable[[str], bool]], Awaitable[None]]


class Cluster(Protocol):
    """This instance's view of the instances sharing its database."""

    @property
    def instance(self) -> str:
        """This instance's id."""
        ...

    def is_alive(self, instance: str) -> bool:
        """Whether ``instance`` was alive at the last look (this one always is)."""
        ...

    async def claim(self, work: str) -> bool:
        """Take ``work`` on, unless a live instance holds it; ``True`` when this one does."""
        ...

    def relay(self, session_id: str, role: Role, message: bytes) -> None:
        """Send a negotiation message to ``role``'s browser, wherever it is connected."""
        ...

    def listen(self, listener: ClusterListener, tick: Tick) -> None:
        """Deliver news from the other instances to ``listener``, and call ``tick``
        regularly while others may come and go."""
        ...

    async def close(self) -> None:
        """Stop listening and leave the cluster."""
        ...


class SoleInstance:
    """The only instance of its database (SQLite): alive, holding every claim, with no
    one to relay to or hear from."""

    def __init__(self, instance: str | None = None) -> None:
        self._instance = new_instance_id() if instance is None else instance

    @property
    def instance(self) -> str:
        return self._instance

    def is_alive(self, instance: str) -> bool:
        return instance == self._instance

    async def claim(self, work: str) -> bool:
        return True

    def relay(self, session_id: str, role: Role, message: bytes) -> None:
        pass  # a peer not connected here is not connected at all

    def listen(self, listener: ClusterListener, tick: Tick) -> None:
        pass

    async def close(self) -> None:
        pass
