"""Two people meet in real Chromium: schedule, lobby, join, see each other, reload."""

from __future__ import annotations

import json
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import schedule, sign_in, wait_for_remote_video
from tests.servers import ServerProcess


def schedule_on_dashboard(page: Page, server: ServerProcess) -> dict[str, str]:
    """Schedule a session the way the MPM does it and read the two invite links."""
    sign_in(page, server)
    page.get_by_test_id("mentor-name").fill("Ada Lovelace")
    page.get_by_test_id("mentoree-name").fill("Grace Hopper")
    page.get_by_test_id("allotted-minutes").fill("30")
    page.get_by_test_id("schedule").click()
    expect(page.get_by_test_id("scheduled")).to_be_visible()
    expect(page.get_by_test_id("sessions")).to_contain_text("Ada Lovelace & Grace Hopper")
    return {
        "mentor": page.get_by_test_id("mentor-link").input_value(),
        "mentoree": page.get_by_test_id("mentoree-link").input_value(),
    }


def test_two_people_meet_see_each_other_and_a_reload_brings_the_call_back(
    browser: Browser, server: ServerProcess, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    dashboard, mentor, mentoree = (context.new_page() for _ in range(3))
    links = schedule_on_dashboard(dashboard, server)
    dashboard.screenshot(path=tmp_path / "dashboard.png")
    session_id = links["mentor"].split("/s/")[1].split("?")[0]

    mentor.goto(links["mentor"])
    expect(mentor.get_by_role("heading", name="Hello Ada Lovelace")).to_be_visible()
    expect(mentor.locator("#preview-status")).to_have_text("Your camera and microphone work.")
    mentor.wait_for_function("() => document.querySelector('#preview').videoWidth > 0")
    mentor.screenshot(path=tmp_path / "lobby.png")
    mentor.get_by_test_id("join").click()
    expect(mentor.get_by_test_id("room-status")).to_contain_text("Waiting for Grace Hopper")
    expect(mentor.get_by_test_id("end-session")).to_have_text("Leave room")  # alone: no end

    mentoree.goto(links["mentoree"])
    joined_at = time.monotonic()
    mentoree.get_by_test_id("join").click()
    for page in (mentor, mentoree):
        assert wait_for_remote_video(page)["width"] > 0
    join_to_video = time.monotonic() - joined_at
    expect(mentor.get_by_test_id("peer-presence")).to_have_text("in the room")
    expect(mentor.get_by_test_id("end-session")).to_have_text("End session")
    mentor.screenshot(path=tmp_path / "room-mentor.png")
    mentoree.screenshot(path=tmp_path / "room-mentoree.png")

    state = server.api("GET", f"/api/sessions/{session_id}")
    assert state["status"] == "live"
    assert {role: p["present"] for role, p in state["participants"].items()} == {
        "mentor": True,
        "mentoree": True,
    }
    assert state["started_at"] is not None

    reloaded_at = time.monotonic()
    mentoree.reload()
    for page in (mentor, mentoree):
        assert wait_for_remote_video(page)["width"] > 0
    reload_to_video = time.monotonic() - reloaded_at
    mentoree.screenshot(path=tmp_path / "room-after-reload.png")

    state = server.api("GET", f"/api/sessions/{session_id}")
    assert state["participants"]["mentoree"]["joins"] == 2
    assert state["participants"]["mentoree"]["present"] is True
    (tmp_path / "timings.json").write_text(
        json.dumps({"join_to_remote_video_s": join_to_video, "reload_to_video_s": reload_to_video})
    )
    print(f"join→remote video {join_to_video:.2f}s, reload→video {reload_to_video:.2f}s")
    context.close()


def test_alone_before_the_start_the_end_button_leaves_the_room_and_ends_nothing(
    browser: Browser, server: ServerProcess
) -> None:
    session = schedule(server)
    page = browser.new_page()
    page.goto(session["links"]["mentor"].replace("?token=", "/room?token="))
    expect(page.get_by_test_id("room-status")).to_contain_text("Waiting for Grace Hopper")

    page.get_by_test_id("end-session").click()

    expect(page.get_by_test_id("join")).to_be_visible()  # back in the lobby
    state = server.api("GET", f"/api/sessions/{session['id']}")
    assert (state["status"], state["ended_at"]) == ("live", None)
    page.close()
