"""Latency from a click on the camera toggle to ``off`` in the API.

Two Chromium pages join one session, both fed a y4m video of the astronaut; one of them
turns its camera off and on again a number of times, and each time the API is polled
until it shows ``off``::

    .venv/bin/python -m tests.bench.camera_latency --runs 10
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests import camera_images
from tests.e2e.conftest import CHROMIUM_ARGS, chromium_executable, schedule
from tests.servers import start_server


def wait_for(server, session_id: str, role: str, camera: str, timeout: float = 20) -> float:
    deadline = time.monotonic() + timeout
    while True:
        state = server.api("GET", f"/api/sessions/{session_id}")
        if state["participants"][role]["camera"] == camera:
            return time.monotonic()
        if time.monotonic() > deadline:
            raise TimeoutError(f"the {role}'s camera never became {camera}")
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        face = camera_images.face(640, 480)
        video = camera_images.write_y4m(
            root / "face.y4m", [camera_images.live(face, i) for i in range(20)]
        )
        server = start_server(root / "data", root / "server.log")
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(
                    executable_path=chromium_executable(),
                    args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={video}"],
                )
                session = schedule(server)
                pages = {}
                for role in ("mentor", "mentoree"):
                    page = browser.new_page()
                    page.goto(session["links"][role])
                    page.get_by_test_id("join").click()
                    pages[role] = page
                wait_for(server, session["id"], "mentoree", "on")
                toggle = pages["mentoree"].get_by_test_id("camera-toggle")
                latencies = []
                for _ in range(args.runs):
                    clicked = time.monotonic()
                    toggle.click()
                    latencies.append(wait_for(server, session["id"], "mentoree", "off") - clicked)
                    toggle.click()
                    wait_for(server, session["id"], "mentoree", "on")
                browser.close()
        finally:
            server.stop(timeout=10)
    print(
        json.dumps(
            {
                "runs": len(latencies),
                "median_s": round(statistics.median(latencies), 3),
                "max_s": round(max(latencies), 3),
                "all_s": [round(x, 3) for x in latencies],
            }
        )
    )


if __name__ == "__main__":
    main()
