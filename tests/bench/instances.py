"""Signalling and camera analysis on two instances sharing PostgreSQL, against one.

Starts a throwaway PostgreSQL cluster (:mod:`tests.postgres`, with PostgreSQL's durable
defaults) and, for each layout and each load, fresh ``mentormeet serve`` processes on
loopback, each with a data dir of its own, driven by the bots of :mod:`tests.bench.bots`
(WebSockets in the room, aiortc uplinks sending a face). The layouts, measured side by side
in one run:

- SQLite, one instance: what people run today;
- PostgreSQL, one instance;
- PostgreSQL, two instances: each session's mentor on the first, its mentoree on the
  second, so every signal and every change of state crosses between them.

The loads: signalling (every participant sending 18 signals a second to the other);
cameras analysed with the defaults (2 frames a second each); and cameras with every frame
analysed at 640x480 and 30 fps (the naive configuration of :mod:`tests.bench.run`), more
than the cores keep up with, so that the frames analysed a second show what a second
process adds. CPU is the servers' own from /proc, idle included, with PostgreSQL's (its
postmaster and backends) and the bots' beside. Frames analysed are counted by
:mod:`tests.bench.counted_server`.

    python -m tests.bench.instances            # what `make bench` runs
    python -m tests.bench.instances --quick    # a smoke test: under a minute
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import aiohttp

from tests.bench.bots import SIGNALS_PER_SECOND, Participant, Videos, pair, relay_signals
from tests.bench.counted_server import frames_analysed
from tests.bench.report import machine
from tests.bench.run import BASELINE_ENVIRON, all_become, join_cameras
from tests.postgres import Cluster, start_cluster
from tests.servers import ONE_ADDRESS_FOR_ALL, ServerProcess

COUNTED_SERVER = "tests.bench.counted_server"
# Instances of one deployment sign invite links with one key, or each refuses the others'.
SECRET = "bench-invite-signing-key-0123456789abcdef"
Meter = Callable[[], float]


@dataclass(frozen=True)
class Layout:
    name: str
    instances: int
    postgresql: bool


SQLITE = Layout("SQLite, 1 instance", 1, postgresql=False)
ONE = Layout("PostgreSQL, 1 instance", 1, postgresql=True)
TWO = Layout("PostgreSQL, 2 instances", 2, postgresql=True)
LAYOUTS = (SQLITE, ONE, TWO)


@dataclass(frozen=True)
class Plan:
    pairs: int
    signal_window: float
    cameras: int
    busy_cameras: int
    camera_window: float

    @classmethod
    def quick(cls) -> Plan:
        # The cameras with the defaults take the same path as the busy ones: left out.
        return cls(pairs=10, signal_window=1.0, cameras=0, busy_cameras=2, camera_window=2.0)


@dataclass
class Load:
    """What one load did on one layout, per second of its window."""

    participants: int
    done: float  # signals relayed or frames analysed, a second
    server_cores: float  # CPU-seconds a second of the mentormeet processes, all of them
    postgres_cores: float | None  # the same of PostgreSQL's processes
    bot_cores: float  # the same of this process, which drives the bots
    problems: list[str] = field(default_factory=list)

    @property
    def done_per_cpu_second(self) -> float:
        return self.done / self.server_cores if self.server_cores else 0.0

    @property
    def cpu_percent_per_participant(self) -> float:
        return 100 * self.server_cores / self.participants if self.participants else 0.0


def postgres_cpu_seconds(cluster: Cluster) -> float:
    """CPU time of the cluster's postmaster, of its running backends, and of those that
    have ended (counted in the postmaster's children's time)."""
    postmaster = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        if int(stat.parent.name) == postmaster:
            ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        elif int(fields[1]) == postmaster:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def rates_over(seconds: float, meters: dict[str, Meter]) -> dict[str, float]:
    """How fast each meter goes over the next ``seconds``, a second."""
    before, started = {name: read() for name, read in meters.items()}, time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - started
    return {name: (read() - before[name]) / elapsed for name, read in meters.items()}


class Deployment:
    """The server processes of one layout, started together and measured as one."""

    def __init__(
        self,
        layout: Layout,
        root: Path,
        environ: dict[str, str],
        postgres: tuple[Cluster, str] | None,
    ) -> None:
        """``postgres``: the cluster and the URL of the schema the instances share."""
        environ = {**ONE_ADDRESS_FOR_ALL, **environ, "MENTORMEET_SECRET": SECRET}
        if postgres is not None:
            environ["MENTORMEET_DATABASE_URL"] = postgres[1]
        self.cluster = postgres[0] if postgres else None
        self.servers = [
            ServerProcess(root / f"instance-{n}", environ, COUNTED_SERVER)
            for n in range(layout.instances)
        ]

    @property
    def mentor_url(self) -> str:
        return self.servers[0].base_url

    @property
    def mentoree_url(self) -> str:
        """The last instance's: the same as the mentor's on one instance."""
        return self.servers[-1].base_url

    def meters(self) -> dict[str, Meter]:
        meters: dict[str, Meter] = {
            "server": lambda: sum(server.cpu_seconds() for server in self.servers),
            "frames": lambda: sum(frames_analysed(server.data_dir) for server in self.servers),
            # The bots' own: when they take what is left of the cores, they are the limit.
            "bots": time.process_time,
        }
        if (cluster := self.cluster) is not None:
            meters["postgres"] = lambda: postgres_cpu_seconds(cluster)
        return meters

    async def problems(self, http: aiohttp.ClientSession) -> list[str]:
        found = []
        for n, server in enumerate(self.servers):
            if not await server.healthy(http):
                problems = server.log_problems()[:3] or ["not answering"]
                found.append(f"instance {n}: {'; '.join(problems)}")
        return found

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


async def signalling(http: aiohttp.ClientSession, deployment: Deployment, plan: Plan) -> Load:
    """``plan.pairs`` sessions chattering: signals relayed a second."""
    everyone: list[Participant] = []
    for _ in range(plan.pairs):
        everyone += await pair(http, deployment.mentor_url, deployment.mentoree_url)
    relayed, rates = await relay_signals(
        everyone,
        plan.signal_window,
        lambda window: rates_over(window, deployment.meters()),
    )
    await asyncio.gather(*(p.leave() for p in everyone))
    load = _load(len(everyone), relayed.messages / plan.signal_window, rates)
    if relayed.errors:
        codes = Counter(error.get("code") for p in everyone for error in p.errors)
        load.problems.append(f"{relayed.errors} signalling errors: {dict(codes)}")
    return load


async def cameras(
    http: aiohttp.ClientSession,
    deployment: Deployment,
    videos: Videos,
    count: int,
    window: float,
) -> Load:
    """``count`` participants sending a face, all seen: frames analysed a second."""
    participants = await join_cameras(
        http, deployment.mentor_url, videos, count, deployment.mentoree_url
    )
    await all_become(participants, "on", 60)
    rates = await rates_over(window, deployment.meters())
    await asyncio.gather(*(p.leave() for p in participants))
    return _load(len(participants), rates["frames"], rates)


def _load(participants: int, done: float, rates: dict[str, float]) -> Load:
    return Load(participants, done, rates["server"], rates.get("postgres"), rates["bots"])


Work = Callable[[aiohttp.ClientSession, Deployment], Awaitable[Load]]


async def measure(http: aiohttp.ClientSession, deployment: Deployment, work: Work) -> Load:
    """The load on the deployment's servers once they are up, then their health. A load
    that fails is recorded as failed, and the others still get measured."""
    try:
        for server in deployment.servers:
            await server.wait_until_up()
        measured = await work(http, deployment)
    except (RuntimeError, aiohttp.ClientError, TimeoutError) as error:
        measured = Load(0, 0.0, 0.0, None, 0.0, [f"failed: {error!r}"])
    measured.problems += await deployment.problems(http)
    return measured


SIGNALLING = "signalling"
CAMERAS = "cameras, the defaults"
BUSY_CAMERAS = "cameras, every frame analysed"


async def compare(cluster: Cluster, plan: Plan) -> dict[str, dict[str, Load]]:
    """Each load on each layout, on fresh servers (and a fresh schema) every time."""
    videos = Videos()
    camera = partial(cameras, videos=videos, window=plan.camera_window)
    loads: dict[str, tuple[dict[str, str], Work]] = {
        SIGNALLING: ({}, partial(signalling, plan=plan)),
        CAMERAS: ({}, partial(camera, count=plan.cameras)),
        BUSY_CAMERAS: (BASELINE_ENVIRON, partial(camera, count=plan.busy_cameras)),
    }
    if not plan.cameras:
        del loads[CAMERAS]
    results: dict[str, dict[str, Load]] = {name: {} for name in loads}
    # As in tests.bench.run: no kept-alive connections, a WebSocket on a connection of its own.
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=60)
    with tempfile.TemporaryDirectory(prefix="mentormeet-instances-") as folder:
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            for number, (load, (environ, work)) in enumerate(loads.items()):
                for layout in LAYOUTS:
                    postgres = (cluster, await cluster.new_schema()) if layout.postgresql else None
                    root = Path(folder) / f"{number}-{layout.instances}-{layout.postgresql}"
                    started = time.monotonic()
                    deployment = Deployment(layout, root, environ, postgres)
                    try:
                        measured = await measure(http, deployment, work)
                    finally:
                        deployment.stop()
                    results[load][layout.name] = measured
                    elapsed = time.monotonic() - started
                    progress(f"{load}, {layout.name}: {measured.done:,.1f}/s ({elapsed:.0f} s)")
    return results


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def table(results: dict[str, dict[str, Load]], plan: Plan) -> str:
    """A block per load: a row per layout, then the ratios that answer the question."""
    offered = plan.pairs * 2 * SIGNALS_PER_SECOND
    heads = {
        SIGNALLING: (
            f"signalling: {plan.pairs} sessions, both participants sending "
            f"{SIGNALS_PER_SECOND} signals/s ({offered:,}/s offered), {plan.signal_window:g} s",
            "relayed/s",
            "per server CPU-s",
        ),
        CAMERAS: (
            f"cameras analysed with the defaults, {plan.cameras} participants, "
            f"{plan.camera_window:g} s",
            "frames/s",
            "CPU/participant",
        ),
        BUSY_CAMERAS: (
            f"cameras with every 640x480 frame analysed at 30 fps, {plan.busy_cameras} "
            f"participants, {plan.camera_window:g} s",
            "frames/s",
            "CPU/participant",
        ),
    }
    lines = []
    for load, by_layout in results.items():
        title, done, efficiency = heads[load]
        lines += [
            title,
            f"{'layout':<26}{done:>11}{efficiency:>18}{'servers':>10}{'PostgreSQL':>12}{'bots':>8}",
        ]
        for name, measured in by_layout.items():
            if load == SIGNALLING:
                cell = f"{measured.done_per_cpu_second:,.0f}"
            else:
                cell = f"{measured.cpu_percent_per_participant:.2f} %"
            postgres = measured.postgres_cores
            lines.append(
                f"{name:<26}{measured.done:>11,.1f}{cell:>18}"
                f"{measured.server_cores:>8.2f} c"
                f"{'-' if postgres is None else f'{postgres:.2f} c':>12}"
                f"{measured.bot_cores:>6.2f} c"
            )
        one, two, sqlite = by_layout[ONE.name], by_layout[TWO.name], by_layout[SQLITE.name]
        if load == SIGNALLING:
            pairs_of = [
                ("2 instances / 1 (PostgreSQL)", two, one),
                ("PostgreSQL / SQLite (1 instance)", one, sqlite),
                ("2 instances on PostgreSQL / 1 on SQLite", two, sqlite),
            ]
            for label, a, b in pairs_of:
                lines.append(
                    f"  {label}: {ratio(a.done, b.done)} the relayed/s, "
                    f"{ratio(a.done_per_cpu_second, b.done_per_cpu_second)} per server CPU-s"
                )
        else:
            lines.append(
                f"  2 instances / 1 (PostgreSQL): {ratio(two.done, one.done)} the frames/s, "
                f"{ratio(two.cpu_percent_per_participant, one.cpu_percent_per_participant)} "
                "the CPU per participant"
            )
        lines.append("")
    return "\n".join(lines)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None) -> Plan:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test: tiny and short")
    parser.add_argument("--pairs", type=int, default=400, help="sessions chattering")
    parser.add_argument("--signal-window", type=float, default=10.0)
    parser.add_argument(
        "--cameras", type=int, default=20, help="analysed with the defaults (0: none)"
    )
    parser.add_argument(
        "--busy-cameras", type=int, default=4, help="analysed, every frame (the naive way)"
    )
    parser.add_argument("--camera-window", type=float, default=15.0)
    args = parser.parse_args(argv)
    if args.quick:
        return Plan.quick()
    return Plan(args.pairs, args.signal_window, args.cameras, args.busy_cameras, args.camera_window)


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_args(argv)
    started, load_before = time.monotonic(), os.getloadavg()[0]
    cluster = start_cluster(durable=True)
    try:
        results = asyncio.run(compare(cluster, plan))
    finally:
        cluster.stop()
    print(f"mentormeet on one instance and on two, {machine()}")
    command = " ".join(["python -m tests.bench.instances", *sys.argv[1:]])
    took = time.monotonic() - started
    # The cores may be shared: how busy they were says how far the figures are the code's.
    print(
        f"command: {command}; took {took:.0f} s; load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    print(
        "CPU in cores (CPU-seconds a second), idle included: the servers', PostgreSQL's "
        "(postmaster and backends), and the bots' (this process)"
    )
    print()
    print(table(results, plan))
    unhealthy = [
        f"{load}, {layout}: {problem}"
        for load, by_layout in results.items()
        for layout, measured in by_layout.items()
        for problem in measured.problems
    ]
    for problem in unhealthy:
        print(f"UNHEALTHY {problem}")
    if not unhealthy:
        print("every server: healthy")
    return 1 if unhealthy else 0


if __name__ == "__main__":
    sys.exit(main())
