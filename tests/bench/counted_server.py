"""mentormeet's server, counting the camera frames it analyses, for the benches.

The server keeps no such count. This runs the real server (same command line, same code)
with its analysis step wrapped: every frame analysed adds one, and a thread writes the
total to ``DATA_DIR/frames-analysed`` a few times a second, where the bench reads it::

    python -m tests.bench.counted_server serve --port 8081 --data-dir /tmp/a
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server import frame_reader
from server.cli import main

FRAMES_FILE = "frames-analysed"
WRITE_EVERY = 0.2  # seconds: 1 % of the shortest window the bench measures over


class FrameCounter:
    """Frames analysed so far; bumped from the analysis threads, written from its own."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._next = itertools.count(1)
        self.total = 0

    def wrap(self, read: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(read)
        def counted(*args: Any, **kwargs: Any) -> Any:
            result = read(*args, **kwargs)
            # next() on itertools.count is atomic under the GIL: no lock on the hot path
            # (two threads finishing at once may leave the total one behind until the next).
            self.total = next(self._next)
            return result

        return counted

    def keep_writing(self) -> None:
        spare = self.path.with_suffix(".new")
        while True:
            spare.write_text(str(self.total))
            os.replace(spare, self.path)
            time.sleep(WRITE_EVERY)


def frames_analysed(data_dir: Path) -> int:
    """What a counted server in ``data_dir`` last wrote (0 before its first write)."""
    try:
        return int((data_dir / FRAMES_FILE).read_text() or 0)
    except FileNotFoundError:
        return 0


def run() -> int:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--data-dir", type=Path, required=True)
    data_dir = parser.parse_known_args()[0].data_dir
    counter = FrameCounter(data_dir / FRAMES_FILE)
    reader = frame_reader.FrameReader
    reader._read = counter.wrap(reader._read)  # type: ignore[method-assign]
    threading.Thread(target=counter.keep_writing, daemon=True).start()
    return main()


if __name__ == "__main__":
    sys.exit(run())
