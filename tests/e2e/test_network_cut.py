"""A 5-second outage in the middle of a call: the room comes back without anyone acting.

Playwright's offline mode (``BrowserContext.set_offline``) is no outage for this room:
Chromium keeps the WebSocket open and only holds its messages back until the network
returns, and the peer-to-peer call on loopback carries on. So the outage here is the
server's: killed with SIGKILL, down for 5 s, restarted on the same port and data dir.
Both browsers must reconnect on their own (backoff), get the state again, and rebuild the
call; the recovery times are printed and kept in ``timings.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    MARK_BEFORE_OUTAGE,
    NEW_CALL_CONNECTED,
    REJOINED,
    schedule,
    wait_for_remote_video,
)
from tests.servers import ServerProcess, start_server

OUTAGE_SECONDS = 5
RECOVERY_TIMEOUT_MS = 30_000


@pytest.fixture
def servers() -> Iterator[list[ServerProcess]]:
    """Server processes the test starts; whatever is still running is killed at the end."""
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.kill()


def agenda_checkbox(page: Page, text: str):
    return page.get_by_test_id("agenda-item").filter(has_text=text).get_by_role("checkbox")


def test_after_a_server_outage_both_rejoin_and_the_state_and_call_come_back(
    browser: Browser, servers: list[ServerProcess], tmp_path: Path
) -> None:
    server = start_server(tmp_path / "data", tmp_path / "server.log")
    servers.append(server)
    session = schedule(server, agenda=["Goals", "Feedback"])
    # One context each, as two people on two machines.
    contexts = [browser.new_context(viewport={"width": 1100, "height": 700}) for _ in range(2)]
    mentor, mentoree = (context.new_page() for context in contexts)
    for page, role in ((mentor, "mentor"), (mentoree, "mentoree")):
        page.goto(session["links"][role])
        page.get_by_test_id("join").click()
    for page in (mentor, mentoree):
        assert wait_for_remote_video(page)["width"] > 0
        page.evaluate(MARK_BEFORE_OUTAGE)

    server.process.kill()
    cut_at = time.monotonic()
    server.process.wait(timeout=10)
    for page in (mentor, mentoree):
        page.wait_for_function("() => !window.mentormeet.channel.open", timeout=5_000)
    expect(mentoree.get_by_test_id("room-status")).to_contain_text("Reconnecting")
    # The outage itself lasts 5 s: nothing is waited for here.
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))
    server = server.restart(tmp_path / "restarted.log")
    servers.append(server)
    restored_at = time.monotonic()

    for page in (mentor, mentoree):
        page.wait_for_function(REJOINED, polling=50, timeout=RECOVERY_TIMEOUT_MS)
    rejoined = time.monotonic() - restored_at
    agenda_checkbox(mentor, "Goals").check()
    expect(agenda_checkbox(mentoree, "Goals")).to_be_checked(timeout=RECOVERY_TIMEOUT_MS)
    state_shown = time.monotonic() - restored_at
    for page in (mentor, mentoree):
        page.wait_for_function(NEW_CALL_CONNECTED, polling=100, timeout=RECOVERY_TIMEOUT_MS)
        assert wait_for_remote_video(page)["width"] > 0
    video_back = time.monotonic() - restored_at
    mentoree.screenshot(path=tmp_path / "after-outage-mentoree.png")

    state = server.api("GET", f"/api/sessions/{session['id']}")
    assert state["status"] == "live"
    assert {role: (p["present"], p["joins"]) for role, p in state["participants"].items()} == {
        "mentor": (True, 2),
        "mentoree": (True, 2),
    }
    assert [item["done"] for item in state["agenda"]] == [True, False]
    timings = {"rejoined_s": rejoined, "state_shown_s": state_shown, "video_back_s": video_back}
    (tmp_path / "timings.json").write_text(json.dumps(timings))
    print(
        f"after a {OUTAGE_SECONDS} s outage: rejoined {rejoined:.2f}s, "
        f"state shown {state_shown:.2f}s, video back {video_back:.2f}s"
    )
    for context in contexts:
        context.close()
    assert server.stop(timeout=10) == 0
