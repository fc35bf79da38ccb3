"""The benchmark's one table: each figure for the tuned and the naive configuration."""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

Cell = float | None  # None: not measured
BARE_RELAY = "bare aiohttp relay"


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
        f"aiortc {version('aiortc')}, OpenCV {version('opencv-python-headless')}"
    )


def percentile(values: Sequence[float | None], share: float) -> Cell:
    """Nearest-rank percentile; a timed-out trial (None) counts as infinitely slow."""
    if not values:
        return None
    ordered = sorted(math.inf if v is None else v for v in values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _number(value: Cell, unit: str, digits: int) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "timed out"
    return f"{value:,.{digits}f}{unit}"


def table(results: Sequence[Any], args: argparse.Namespace, elapsed: float) -> str:
    """Rows of figures, a column per configuration, their ratio, and the target."""
    by_name = {figures.name: figures for figures in results}
    tuned, naive = by_name.get("tuned"), by_name.get("baseline")
    rows: list[tuple[str, str, str, str, str]] = []

    def row(
        label: str,
        get: Callable[[Any], Cell],
        unit: str = "",
        digits: int = 1,
        target: str = "",
        lower_is_better: bool = True,
    ) -> None:
        a = get(tuned) if tuned else None
        b = get(naive) if naive else None
        ratio = ""
        if a and b and not math.isinf(a) and not math.isinf(b):
            times = b / a if lower_is_better else a / b
            ratio = f"{times:,.1f}x" if times >= 1 else f"{times:.2f}x"
        rows.append((label, _number(a, unit, digits), _number(b, unit, digits), ratio, target))

    counts = sorted({n for f in results for n in f.cpu_per_participant})
    for n in counts:
        row(
            f"CPU per analysed participant, {n} in rooms",
            lambda f, n=n: f.cpu_per_participant.get(n),
            " %",
            2,
            "<= 1 % of a core",
        )
    for n in sorted({n for f in results for n in f.cpu_per_backlit_participant}):
        row(
            f"  the same, a backlit tilted face, {n} in rooms",
            lambda f, n=n: f.cpu_per_backlit_participant.get(n),
            " %",
            2,
            "<= 1 % of a core",
        )
    row(
        "  at the fewest each measured (the ratio)",
        lambda f: f.cpu_per_participant.get(min(f.cpu_per_participant)),
        " %",
        2,
    )
    row("  whole server at the largest count", lambda f: f.cpu_total.get(max(f.cpu_total)), " %")
    row("  whole server with nobody connected", lambda f: f.idle_cpu_percent, " %", 2)
    row("memory per analysed participant", lambda f: f.analysed_kib_per_participant, " KiB", 0)
    row(
        "memory per idle connected participant",
        lambda f: f.idle_kib_per_participant,
        " KiB",
        1,
        "<= 20 KiB",
    )
    for share, name in ((0.5, "p50"), (0.95, "p95")):
        row(
            f"first analysed frame after connecting, {name}",
            lambda f, s=share: _ms(percentile(f.first_frame_after_connecting, s)),
            " ms",
            0,
            "p95 <= 300 ms" if name == "p95" else "",
        )
    row(
        "first analysed frame after the offer, p95",
        lambda f: _ms(percentile(f.first_frame_after_offer, 0.95)),
        " ms",
        0,
    )
    trials = (
        ("camera off (page reports it) -> off", "camera_off_reported", "<= 1 s"),
        ("camera off (black frames only) -> off", "camera_off_frames", ""),
        ("face leaves -> no_face", "face_leaves", "<= 2 s"),
    )
    for label, attribute, target in trials:
        for share, name in ((0.5, "p50"), (0.95, "p95")):
            row(
                f"{label}, {name}",
                lambda f, a=attribute, s=share: percentile(getattr(f, a), s),
                " s",
                2,
                target if name == "p95" else "",
            )
    row(
        "signalling relayed, messages/s",
        lambda f: f.signals_per_second or None,
        "",
        0,
        lower_is_better=False,
    )
    row(
        "signalling per CPU-second of the server",
        lambda f: f.signals_per_cpu_second or None,
        "",
        0,
        ">= 20,000",
        lower_is_better=False,
    )
    row("soak: memory growth (linear fit)", lambda f: f.soak.get("kib_per_minute"), " KiB/min")

    headers = ("figure", "tuned (defaults)", "naive baseline", "naive/tuned", "target")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(5)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        return "  ".join(
            [first.ljust(widths[0])] + [c.rjust(w) for c, w in zip(rest, widths[1:], strict=True)]
        ).rstrip()

    out = [
        f"mentormeet bench on {machine()}",
        f"command: {' '.join(['python -m tests.bench.run', *sys.argv[1:]])}; took {elapsed:.0f} s",
        f"CPU windows {args.window:g} s; tuned at {args.participants} participants, "
        f"naive at {args.baseline_participants}; {args.rounds} trial(s) per participant "
        f"at {args.participants[0]} (tuned) / {args.baseline_participants[0]} (naive)",
        "",
        line(headers),
        line(["-" * w for w in widths]),
        *(line(r) for r in rows),
    ]
    if tuned and tuned.soak:
        soak = tuned.soak
        out.append(
            f"soak (tuned): {args.participants[0]} participants analysed; after "
            f"{soak['warm_up_rejoins']:.0f} rejoins to warm up, {soak['seconds']:.0f} s with "
            f"{soak['rejoins']:.0f} more; RSS {soak['start_mib']:.1f} -> {soak['end_mib']:.1f} MiB"
        )
    relay = by_name.get(BARE_RELAY)
    if relay:
        out.append(
            f"{BARE_RELAY} (tests/bench/bare_relay.py, no checks and no state) at the same "
            f"load: {relay.signals_per_cpu_second:,.0f} messages per CPU-second, "
            f"{relay.idle_kib_per_participant:.1f} KiB per idle connected participant"
        )
    for figures in results:
        verdict = "healthy" if not figures.healthy else "UNHEALTHY"
        out.append(f"{figures.name} servers: {verdict}")
    return "\n".join(out)


def _ms(seconds: Cell) -> Cell:
    return None if seconds is None else seconds * 1000
