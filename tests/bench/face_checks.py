"""The face detector's evaluation: how many faces it finds under each condition, how long
a check takes, and how often it sees a face where there is none.

    .venv/bin/python -m tests.bench.face_checks            # the table alone
    .venv/bin/python -m tests.bench.face_checks --quick    # every tenth frame

`make bench` prints the same table after its own. The frames come from
:mod:`tests.camera_images`; ``tests/test_frames.py`` asserts the floors.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from analytics.camera import CameraConfig
from analytics.frames import Box, FaceDetector, find_face, load_face_detector
from tests import camera_images

Find = Callable[[np.ndarray], Box | None]
# What a quick run evaluates: every this many frames.
QUICK_STEP = 10


@dataclass(frozen=True)
class Row:
    """One condition's figures."""

    condition: str
    found: int
    frames: int
    ms_per_check: float

    @property
    def share(self) -> float:
        return self.found / self.frames


def evaluate(find: Find, *, step: int = 1) -> tuple[list[Row], Row]:
    """``find`` over every condition's faces, and over the frames without one (its row's
    ``found`` counts the false alarms); every ``step``-th frame only."""
    rows = []
    for condition, pose in camera_images.CONDITIONS.items():
        frames = camera_images.face_frames(pose)[::step]
        started = time.perf_counter()
        boxes = [find(gray) for gray, _ in frames]
        elapsed = time.perf_counter() - started
        truths = [truth for _, truth in frames]
        found = sum(map(camera_images.is_the_face, boxes, truths))
        rows.append(Row(condition, found, len(frames), 1000 * elapsed / len(frames)))
    frames = camera_images.non_face_frames()[::step]
    started = time.perf_counter()
    alarms = sum(find(gray) is not None for gray in frames)
    elapsed = time.perf_counter() - started
    return rows, Row("frames without a face", alarms, len(frames), 1000 * elapsed / len(frames))


def near_check_ms(detector: FaceDetector, config: CameraConfig, runs: int = 50) -> float:
    """How long a check near the last face takes, with the astronaut in view."""
    gray = camera_images.uplink(camera_images.face())
    box = find_face(gray, detector, config)
    assert box is not None, "the astronaut's face is not found"
    started = time.perf_counter()
    for _ in range(runs):
        find_face(gray, detector, config, near=box)
    return 1000 * (time.perf_counter() - started) / runs


def table(rows: list[Row], false_alarms: Row, near_ms: float) -> str:
    """The evaluation as text: a line per condition, the mean, and the false alarms."""
    width = max(len(row.condition) for row in [*rows, false_alarms])
    lines = [
        f"face checks: {rows[0].frames} frames per condition, one thread",
        "",
        f"{'face check, condition':{width}}  found  ms/check  floor",
        f"{'-' * width}  -----  --------  -----",
    ]
    for row in rows:
        floor = camera_images.FLOORS[row.condition]
        lines.append(
            f"{row.condition:{width}}  {row.share:5.0%}  {row.ms_per_check:8.1f}  {floor:5.0%}"
        )
    mean = statistics.mean(row.share for row in rows)
    lines.append(
        f"{'mean of the conditions':{width}}  {mean:5.0%}  {'':8}  {camera_images.MEAN_FLOOR:5.0%}"
    )
    lines.append(
        f"false alarms: {false_alarms.found} of {false_alarms.frames} frames without a face "
        f"({false_alarms.share:.1%}, at most {camera_images.MAX_FALSE_ALARMS:.0%}); "
        f"{false_alarms.ms_per_check:.1f} ms per check"
    )
    lines.append(f"a check near the last face (a face in view): {near_ms:.1f} ms")
    return "\n".join(lines)


def face_check_table(*, step: int = 1) -> str:
    """The evaluation of the default detector and settings, on one thread as the server
    runs it."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        detector, config = load_face_detector(), CameraConfig()
        rows, false_alarms = evaluate(lambda gray: find_face(gray, detector, config), step=step)
        near_ms = near_check_ms(detector, config)
        return table(rows, false_alarms, near_ms)
    finally:
        cv2.setNumThreads(threads)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="every tenth frame only")
    args = parser.parse_args(argv)
    print(face_check_table(step=QUICK_STEP if args.quick else 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
