"""Tip 4 in the browser: a session ends, both see its summary, the MPM's dashboard and
outbox have it, and a participant's rating and concern reach the MPM."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import ADMIN_TOKEN, RunningServer, schedule


def test_ended_session_has_a_summary_for_both_and_reaches_the_program_manager(
    browser: Browser, server: RunningServer, tmp_path: Path
) -> None:
    session = schedule(server, allotted_minutes=20, agenda=["Goals", "CV", "Next steps"])
    session_id = session["id"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    mentor, mentoree, mpm = context.new_page(), context.new_page(), context.new_page()
    mpm.goto(f"{server.base_url}/mpm#token={ADMIN_TOKEN}")
    expect(mpm.get_by_test_id("upcoming-sessions")).to_contain_text("Ada Lovelace & Grace Hopper")

    for page, role in ((mentor, "mentor"), (mentoree, "mentoree")):
        page.goto(session["links"][role])
        page.get_by_test_id("join").click()
    expect(mentor.get_by_test_id("peer-presence")).to_have_text("in the room")
    # The dashboard follows the live session without a reload.
    live = mpm.get_by_test_id("live-sessions")
    expect(live).to_contain_text("Ada Lovelace & Grace Hopper")
    expect(live).to_contain_text("agenda 0/3")

    mentor.get_by_test_id("agenda-item").filter(has_text="Goals").get_by_role("checkbox").check()
    expect(live).to_contain_text("agenda 1/3")
    mentoree.get_by_test_id("raise-concern").click()
    mentoree.locator("#concern-text").fill("We keep running out of time.")
    mentoree.get_by_test_id("send-concern").click()
    expect(mentoree.get_by_test_id("room-status")).to_contain_text(
        "program manager has your message"
    )

    mentor.get_by_test_id("end-session").click()
    expect(mentor.locator("#end-question")).to_contain_text("You still have")
    mentor.get_by_test_id("confirm-end").click()

    for page in (mentor, mentoree):
        page.get_by_test_id("summary-link").click()
        summary = page.get_by_test_id("summary")
        expect(summary).to_contain_text("Ada Lovelace & Grace Hopper")
        expect(summary).to_contain_text("1 of 3 covered")
        expect(summary.locator('[data-code="ended_early"]')).to_be_visible()
        expect(summary.locator('[data-code="concern_raised"]')).to_be_visible()
    mentoree.screenshot(path=tmp_path / "summary-mentoree.png", full_page=True)

    mentoree.get_by_test_id("rating-form").get_by_label("4").check()
    mentoree.get_by_test_id("rating-form").get_by_label("One line about it").fill(
        "Useful, too short"
    )
    mentoree.get_by_role("button", name="Rate the meeting").click()
    expect(mentoree.locator("#rating-status")).to_contain_text("Thank you")

    past = mpm.get_by_test_id("past-sessions")
    expect(past).to_contain_text("Ada Lovelace & Grace Hopper")
    expect(past.locator('[data-channel="outbox"]')).to_contain_text("✓ outbox")
    expect(mpm.get_by_test_id("pair")).to_contain_text("Sessions held")
    mpm.screenshot(path=tmp_path / "dashboard.png", full_page=True)

    summary = server.api("GET", f"/api/sessions/{session_id}/summary")
    assert summary["ended_early"] is True
    assert summary["ended_by"] == "mentor"
    assert summary["participants"]["mentoree"]["rating"] == 4
    assert summary["agenda"]["covered"] == 1
    assert {flag["code"] for flag in summary["flags"]} >= {"ended_early", "concern_raised"}
    outbox = server.data_dir / "outbox"
    assert sorted(path.name for path in outbox.iterdir()) == [
        f"{session_id}.html",
        f"{session_id}.json",
        f"{session_id}.md",
    ]
    delivered = json.loads((outbox / f"{session_id}.json").read_text())
    assert delivered["session_id"] == session_id
    assert delivered["agenda"]["total"] == 3
    context.close()
