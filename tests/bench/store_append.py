"""The event store's append rate: PostgreSQL against SQLite, side by side in one run.

``--events`` appends spread over ``--sessions`` sessions from ``--tasks`` concurrent tasks,
into each backend as the server opens it (:func:`server.database.open_store`): a SQLite
file (WAL, ``synchronous=FULL``, one writer thread) and a throwaway PostgreSQL cluster on
its Unix socket with PostgreSQL's durable defaults (``fsync`` and ``synchronous_commit``
on, a pool of 10 connections). Both live in the cluster's temporary directory, on the
same disk, and each append is durable before it returns on both.

    python -m tests.bench.store_append [--events 3000] [--sessions 30] [--tasks 16]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from analytics.events import ParticipantJoined, Person, SessionScheduled
from server.database import open_store
from tests.postgres import Cluster, start_cluster


@dataclass(frozen=True)
class Rate:
    """What one backend did: appends a second, and the middle and slow append times."""

    events_per_second: float
    median_ms: float
    p95_ms: float


async def measure(database: str | Path, events: int, sessions: int, tasks: int) -> Rate:
    """Schedule the sessions (untimed), then time the appends."""
    store = await open_store(database)
    try:
        ids = [f"bench-{n}" for n in range(sessions)]
        for session_id in ids:
            await store.append(session_id, scheduled(session_id))
        numbers = itertools.count()
        durations: list[float] = []

        async def appender() -> None:
            while (n := next(numbers)) < events:
                event = ParticipantJoined(at=1_900_000_000.0 + n, actor="mentor", role="mentor")
                started = time.perf_counter()
                await store.append(ids[n % sessions], event)
                durations.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(appender() for _ in range(tasks)))
        elapsed = time.perf_counter() - started
    finally:
        await store.close()
    quantiles = statistics.quantiles(durations, n=20)
    return Rate(events / elapsed, quantiles[9] * 1000, quantiles[18] * 1000)


def scheduled(session_id: str) -> SessionScheduled:
    return SessionScheduled(
        at=1_900_000_000.0,
        actor="mpm",
        session_id=session_id,
        mentor=Person(name="Ada Lovelace"),
        mentoree=Person(name="Grace Hopper"),
        scheduled_start=1_900_000_000.0,
        allotted_minutes=45,
    )


async def compare(cluster: Cluster, events: int, sessions: int, tasks: int) -> dict[str, Rate]:
    """Both backends, SQLite first, each starting empty."""
    # Beside the cluster's files: the same disk for both.
    with tempfile.TemporaryDirectory(prefix="sqlite-", dir=cluster.directory) as directory:
        sqlite = await measure(Path(directory) / "events.db", events, sessions, tasks)
    postgres = await measure(await cluster.new_schema(), events, sessions, tasks)
    return {"SQLite": sqlite, "PostgreSQL": postgres}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000, help="appends per backend")
    parser.add_argument("--sessions", type=int, default=30, help="sessions they go to")
    parser.add_argument("--tasks", type=int, default=16, help="concurrent appending tasks")
    args = parser.parse_args()
    cluster = start_cluster(durable=True)
    try:
        rates = asyncio.run(compare(cluster, args.events, args.sessions, args.tasks))
    finally:
        cluster.stop()
    print(
        f"{args.events} appends to {args.sessions} sessions from {args.tasks} tasks, "
        "durable on both"
    )
    print(f"{'backend':<12}{'events/s':>10}{'median ms':>11}{'p95 ms':>9}")
    for name, rate in rates.items():
        print(
            f"{name:<12}{rate.events_per_second:>10.0f}{rate.median_ms:>11.2f}{rate.p95_ms:>9.2f}"
        )
    ratio = rates["PostgreSQL"].events_per_second / rates["SQLite"].events_per_second
    print(f"PostgreSQL/SQLite: {ratio:.2f}x the append rate")


if __name__ == "__main__":
    main()
