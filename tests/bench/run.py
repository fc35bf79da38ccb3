"""The benchmark: server cost per participant and camera latencies, tuned against naive.

Starts real ``mentormeet serve`` processes on loopback, drives them with bots from this
process (aiortc camera uplinks and WebSocket clients, see :mod:`tests.bench.bots`), reads
each server's CPU time and memory from /proc, and prints one table::

    .venv/bin/python -m tests.bench.run            # what `make bench` runs
    .venv/bin/python -m tests.bench.run --quick    # a smoke test: seconds, not minutes

Two configurations of the same server are measured in the same run: the defaults, and a
naive baseline (the full 640x480 camera at 30 fps, every frame analysed, the face detector
on every frame at full size), set through the server's own environment variables. Each
configuration gets two server processes: one for the camera figures and the soak, one
for the idle-connection memory and the signalling throughput, so neither phase inherits
the other's memory. The connection phase also runs against a bare aiohttp relay
(:mod:`tests.bench.bare_relay`), the floor those two figures can reach on aiohttp.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from server.signalling import JOINS_PER_SECOND
from tests.bench import report
from tests.bench.bots import Participant, Videos, pair, relay_signals
from tests.bench.face_checks import QUICK_STEP, face_check_table
from tests.bench.report import BARE_RELAY
from tests.servers import ONE_ADDRESS_FOR_ALL, ServerProcess

BASELINE_ENVIRON = {
    "MENTORMEET_UPLINK_MAX_FPS": "30",
    "MENTORMEET_UPLINK_MAX_WIDTH": "640",
    "MENTORMEET_CAMERA": json.dumps(
        {
            "max_bitrate": 0,
            "face_interval_seconds": 0,
            "idle_face_interval_seconds": 0,
            "face_downscale": False,
            "face_roi": False,
        }
    ),
}
TRIAL_TIMEOUT = 15.0
BACKLIT_SETTLE_SECONDS = 3.0
# In the soak, one participant leaves and comes back this often.
SOAK_REJOIN_SECONDS = 1.0


@dataclass
class Figures:
    """What one configuration measured."""

    name: str
    idle_cpu_percent: float = 0.0
    # participants -> % of one core per participant (idle server subtracted)
    cpu_per_participant: dict[int, float] = field(default_factory=dict)
    cpu_total: dict[int, float] = field(default_factory=dict)
    # the same at the first count, everyone showing a backlit, tilted face
    cpu_per_backlit_participant: dict[int, float] = field(default_factory=dict)
    analysed_kib_per_participant: float = 0.0
    idle_kib_per_participant: float = 0.0
    first_frame_after_offer: list[float] = field(default_factory=list)
    first_frame_after_connecting: list[float] = field(default_factory=list)
    # seconds per trial; None for a trial that timed out
    camera_off_reported: list[float | None] = field(default_factory=list)
    camera_off_frames: list[float | None] = field(default_factory=list)
    face_leaves: list[float | None] = field(default_factory=list)
    signals_per_second: float = 0.0
    signals_per_cpu_second: float = 0.0
    soak: dict[str, float] = field(default_factory=dict)
    healthy: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    participants: list[int]
    window: float
    rounds: int
    idle_rooms: int
    signal_window: float
    soak_seconds: float
    soak_participants: int
    warm_up_rejoins: int


async def join_cameras(
    http: aiohttp.ClientSession,
    base_url: str,
    videos: Videos,
    count: int,
    mentoree_url: str | None = None,
) -> list[Participant]:
    """``count`` more participants, two per session, each sending a face; one at a time,
    as people arrive, so each uplink's first-frame latency is its own. Mentorees join
    through ``mentoree_url`` when given."""
    joined: list[Participant] = []
    while len(joined) < count:
        for participant in await pair(http, base_url, mentoree_url):
            await participant.open_camera(videos, "face")
            joined.append(participant)
    return joined


async def all_become(participants: list[Participant], state: str, within: float = 30) -> None:
    await asyncio.gather(*(p.camera_becomes(state, within) for p in participants))


async def show(participant: Participant, picture: str, *, report: bool | None = None) -> None:
    """Switch the bot's camera to ``picture``; ``report`` as the page would (or not)."""
    assert participant.camera is not None
    participant.camera.show(picture)
    if report is not None:
        await participant.report_camera(enabled=report)


# What a trial does, what the room should then show, and how it is undone.
TRIALS = {
    "camera_off_reported": (dict(picture="black", report=False), "off", dict(report=True)),
    "camera_off_frames": (dict(picture="black"), "off", {}),
    "face_leaves": (dict(picture="room"), "no_face", {}),
}


async def camera_trials(participants: list[Participant], figures: Figures, rounds: int) -> None:
    """Each round, every participant makes one change at a random moment within a second,
    the kinds of change taking turns; each latency runs from the change to the room's
    state showing it."""
    loop = asyncio.get_running_loop()
    kinds = list(TRIALS)

    async def one(participant: Participant, kind: str) -> None:
        change, expect, undo = TRIALS[kind]
        await asyncio.sleep(random.uniform(0, 1))
        started = loop.time()
        await show(participant, **change)
        try:
            seen = await participant.camera_becomes(expect, TRIAL_TIMEOUT)
            getattr(figures, kind).append(seen - started)
        except TimeoutError:
            getattr(figures, kind).append(None)
        await show(participant, "face", **undo)

    for turn in range(rounds):
        await all_become(participants, "on", 60)
        await asyncio.gather(
            *(one(p, kinds[(i + turn) % len(kinds)]) for i, p in enumerate(participants))
        )


async def camera_figures(
    http: aiohttp.ClientSession, server: ServerProcess, plan: Plan, figures: Figures
) -> None:
    """CPU per analysed participant at each count, latencies at the first, then the soak."""
    videos = Videos()
    idle_window = min(plan.window, 10.0)
    figures.idle_cpu_percent = 100 * await server.cpu_over(idle_window) / idle_window
    participants: list[Participant] = []
    rss: dict[int, int] = {}
    idle = figures.idle_cpu_percent * plan.window / 100
    for count in plan.participants:
        participants += await join_cameras(http, server.base_url, videos, count - len(participants))
        await all_become(participants, "on", 60)
        cpu = await server.cpu_over(plan.window)
        rss[count] = server.rss_bytes()
        figures.cpu_total[count] = 100 * cpu / plan.window
        figures.cpu_per_participant[count] = 100 * (cpu - idle) / plan.window / count
        progress(f"{figures.name}: {count} analysed, {figures.cpu_total[count]:.0f} % CPU")
        if count == plan.participants[0]:
            await asyncio.gather(*(show(p, "backlit") for p in participants))
            # Long enough for a miss to turn a camera to no_face, had the face been missed.
            await asyncio.sleep(BACKLIT_SETTLE_SECONDS)
            cpu = await server.cpu_over(plan.window)
            figures.cpu_per_backlit_participant[count] = 100 * (cpu - idle) / plan.window / count
            missed = sum(p.camera_state != "on" for p in participants)
            if missed:
                figures.healthy.append(f"{missed} backlit faces not seen")
            await asyncio.gather(*(show(p, "face") for p in participants))
            await camera_trials(participants, figures, plan.rounds)
    low, high = min(rss), max(rss)
    if high > low:
        figures.analysed_kib_per_participant = (rss[high] - rss[low]) / (high - low) / 1024
    figures.first_frame_after_offer = [a for a, _ in server.first_frame_latencies()]
    figures.first_frame_after_connecting = [b for _, b in server.first_frame_latencies()]
    keep = participants[: plan.soak_participants]
    await asyncio.gather(*(p.leave() for p in participants[plan.soak_participants :]))
    if plan.soak_seconds > 0:
        figures.soak = await soak(http, server, videos, keep, plan)
    await asyncio.gather(*(p.leave() for p in keep))


async def soak(
    http: aiohttp.ClientSession,
    server: ServerProcess,
    videos: Videos,
    participants: list[Participant],
    plan: Plan,
) -> dict[str, float]:
    """Participants stay analysed while, every second, one of them drops out and comes
    back (new WebSocket, new uplink): the server's memory should stay flat.

    The first ``plan.warm_up_rejoins`` rejoins come back to back and are not measured:
    over the first few hundred uplinks the allocators' pools grow towards their working
    size, by about 100 KiB an uplink at first and by less and less after (README,
    Performance), which would drown what the soak is looking for.
    """

    async def rejoin(turn: int) -> None:
        old = participants[turn % len(participants)]
        await old.leave()
        new = Participant(http, server.base_url, old.session, old.role)
        await new.join()
        await new.open_camera(videos, "face")
        participants[turn % len(participants)] = new

    # Back to back, but a quarter slower than each room's limit on joins allows.
    rooms = len({participant.session["id"] for participant in participants})
    pace = 1.25 / (rooms * JOINS_PER_SECOND)
    for turn in range(plan.warm_up_rejoins):
        await asyncio.gather(rejoin(turn), asyncio.sleep(pace))
    loop = asyncio.get_running_loop()
    started = loop.time()
    samples: list[tuple[float, int]] = []
    turn = 0
    while (now := loop.time() - started) < plan.soak_seconds:
        samples.append((now, server.rss_bytes()))
        await rejoin(turn)
        turn += 1
        await asyncio.sleep(max(0.0, turn * SOAK_REJOIN_SECONDS - (loop.time() - started)))
    samples.append((loop.time() - started, server.rss_bytes()))
    times = [t for t, _ in samples]
    sizes = [size / 1024 for _, size in samples]
    slope = statistics.linear_regression(times, sizes).slope * 60 if len(samples) > 2 else 0.0
    return {
        "seconds": times[-1],
        "warm_up_rejoins": plan.warm_up_rejoins,
        "rejoins": turn,
        "start_mib": sizes[0] / 1024,
        "end_mib": sizes[-1] / 1024,
        "kib_per_minute": slope,
    }


async def connection_figures(
    http: aiohttp.ClientSession, server: ServerProcess, plan: Plan, figures: Figures
) -> None:
    """Memory per idle participant in the room, then signalling relayed between them."""
    pairs: list[tuple[Participant, Participant]] = []
    before = server.rss_bytes()
    for _ in range(plan.idle_rooms):
        pairs.append(await pair(http, server.base_url))
    await asyncio.sleep(1)
    figures.idle_kib_per_participant = (server.rss_bytes() - before) / len(pairs) / 2 / 1024
    everyone = [p for two in pairs for p in two]
    relayed, cpu = await relay_signals(everyone, plan.signal_window, server.cpu_over)
    if relayed.errors:
        figures.healthy.append(f"{relayed.errors} signalling errors")
    figures.signals_per_second = relayed.messages / plan.signal_window
    figures.signals_per_cpu_second = relayed.messages / cpu if cpu else 0.0
    await asyncio.gather(*(p.leave() for p in everyone))


Phase = Callable[[aiohttp.ClientSession, ServerProcess, Plan, Figures], Awaitable[None]]


async def measure(
    name: str,
    environ: dict[str, str],
    plan: Plan,
    root: Path,
    *,
    module: str = "server",
    phases: Sequence[Phase] = (camera_figures, connection_figures),
) -> Figures:
    """A server per phase of one configuration, one after the other."""
    figures = Figures(name=name)
    timeout = aiohttp.ClientTimeout(total=60)
    # No kept-alive connections: a browser opens its WebSocket on a connection of its own,
    # while aiohttp's client would upgrade the one that just scheduled the session, and the
    # server would keep that answer for the whole call (aiohttp's request loop holds a
    # connection's last response while the next one is handled).
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        for work in phases:
            phase = work.__name__.removesuffix("_figures")
            data_dir = root / f"{name}-{phase}"
            server = ServerProcess(data_dir, {**ONE_ADDRESS_FOR_ALL, **environ}, module)
            try:
                await server.wait_until_up()
                await work(http, server, plan, figures)
                if not await server.healthy(http):
                    problems = server.log_problems()[:3] or ["not answering"]
                    figures.healthy.append(f"{phase} server: {'; '.join(problems)}")
            finally:
                server.stop()
    return figures


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test: tiny and short")
    parser.add_argument("--participants", type=int, nargs="+", default=[10, 25, 50])
    parser.add_argument("--baseline-participants", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--window", type=float, default=20.0, help="seconds per CPU figure")
    parser.add_argument("--rounds", type=int, default=6, help="latency trials per participant")
    parser.add_argument("--idle-rooms", type=int, default=400)
    parser.add_argument("--signal-window", type=float, default=10.0)
    parser.add_argument("--soak-seconds", type=float, default=120.0)
    parser.add_argument("--warm-up-rejoins", type=int, default=300, help="before the soak")
    parser.add_argument("--only", choices=["tuned", "baseline"], help="measure one configuration")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.participants, args.baseline_participants = [3], [1]
        args.window, args.rounds, args.idle_rooms = 2.0, 1, 10
        args.signal_window, args.soak_seconds, args.warm_up_rejoins = 1.0, 4.0, 2
    return args


async def run(args: argparse.Namespace) -> list[Figures]:
    """The tuned server, the naive one, and (unless ``--only``) the bare relay."""

    def plan(counts: list[int], *, soak: bool) -> Plan:
        return Plan(
            participants=counts,
            window=args.window,
            rounds=args.rounds,
            idle_rooms=args.idle_rooms,
            signal_window=args.signal_window,
            soak_seconds=args.soak_seconds if soak else 0.0,
            soak_participants=counts[0] if counts else 0,
            warm_up_rejoins=args.warm_up_rejoins,
        )

    measurements: dict[str, dict[str, Any]] = {
        "tuned": {"environ": {}, "plan": plan(args.participants, soak=True)},
        "baseline": {
            "environ": BASELINE_ENVIRON,
            "plan": plan(args.baseline_participants, soak=False),
        },
        BARE_RELAY: {
            "environ": {},
            "plan": plan([], soak=False),
            "module": "tests.bench.bare_relay",
            "phases": [connection_figures],
        },
    }
    results = []
    with tempfile.TemporaryDirectory(prefix="mentormeet-bench-") as folder:
        for name, options in measurements.items():
            if args.only and args.only != name:
                continue
            started = time.monotonic()
            results.append(await measure(name, root=Path(folder), **options))
            progress(f"{name}: measured in {time.monotonic() - started:.0f} s")
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    results = asyncio.run(run(args))
    print(report.table(results, args, time.monotonic() - started))
    print()
    print(face_check_table(step=QUICK_STEP if args.quick else 1))
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in results], indent=2))
    unhealthy = [f"{f.name}: {problem}" for f in results for problem in f.healthy]
    for problem in unhealthy:
        print(f"UNHEALTHY {problem}")
    return 1 if unhealthy else 0


if __name__ == "__main__":
    sys.exit(main())
