"""Tip 4 in the browser: a session ends, each participant sees their own summary, the
MPM's dashboard and outbox have it, and a rating after the end reaches the MPM as a new
version. The mentor's page holds no trace of the mentoree's concern."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import schedule, sign_in
from tests.servers import ServerProcess

CONCERN = "We keep running out of time."


def test_ended_session_has_a_summary_for_each_reader_and_reaches_the_program_manager(
    browser: Browser, server: ServerProcess, tmp_path: Path
) -> None:
    session = schedule(server, allotted_minutes=20, agenda=["Goals", "CV", "Next steps"])
    session_id = session["id"]
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/Berlin"
    )
    mentor, mentoree, mpm = context.new_page(), context.new_page(), context.new_page()
    sign_in(mpm, server)
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
    mentoree.locator("#concern-text").fill(CONCERN)
    mentoree.get_by_test_id("send-concern").click()
    # Only the outbox is configured: it carries no alerts, the dashboard shows it.
    expect(mentoree.get_by_test_id("room-status")).to_contain_text("see it on their dashboard")
    expect(live.get_by_test_id("live-concern")).to_contain_text("Grace Hopper raised a concern")
    expect(live.get_by_test_id("live-concern")).to_contain_text(CONCERN)

    mentor.get_by_test_id("end-session").click()
    expect(mentor.locator("#end-question")).to_contain_text("You still have")
    mentor.get_by_test_id("confirm-end").click()

    for page in (mentor, mentoree):
        page.get_by_test_id("summary-link").click()
        summary = page.get_by_test_id("summary")
        expect(summary).to_contain_text("Ada Lovelace & Grace Hopper")
        expect(summary).to_contain_text("1 of 3 covered")
        expect(summary.locator('[data-code="ended_early"]')).to_be_visible()
    expect(mentoree.locator('[data-code="concern_raised"]')).to_contain_text("You raised 1")
    mentor_html = mentor.content()
    assert CONCERN not in mentor_html
    assert "concern_raised" not in mentor_html
    assert "raised 1" not in mentor_html and "1 concern" not in mentor_html
    # Times are the reader's, with their zone named, not the server's UTC.
    expect(mentor.locator("time").first).to_contain_text("CET")

    form = mentoree.get_by_test_id("rating-form")
    expect(form.get_by_test_id("share-rating")).not_to_be_checked()
    form.get_by_label("4").check()
    form.get_by_label("One line about it").fill("Useful, too short")
    mentoree.get_by_role("button", name="Rate the meeting").click()
    expect(mentoree.locator("#rating-status")).to_contain_text("sent to your program manager")
    mentoree.screenshot(path=tmp_path / "summary-mentoree.png", full_page=True)
    mentor.reload()
    expect(mentor.get_by_test_id("summary")).not_to_contain_text("Useful, too short")

    past = mpm.get_by_test_id("past-sessions")
    expect(past).to_contain_text("Ada Lovelace & Grace Hopper")
    expect(past.locator('[data-channel="outbox"]')).to_contain_text("✓ outbox v2")
    expect(past.locator(".rating-cell")).to_contain_text("Grace: 4/5")
    expect(past.locator(".concerns-cell")).to_contain_text("1 concern")
    expect(mpm.get_by_test_id("pair")).to_contain_text("Sessions held")
    mpm.screenshot(path=tmp_path / "dashboard.png", full_page=True)

    # The summary link carries no token: another tab of the signed-in browser opens it.
    link = past.get_by_role("link", name="Summary")
    assert "token" not in link.get_attribute("href")
    with context.expect_page() as opened:
        link.click()
    expect(opened.value.get_by_test_id("summary")).to_contain_text(CONCERN)

    mpm.get_by_test_id("sign-out").click()
    expect(mpm.get_by_test_id("sign-in")).to_be_visible()

    summary = server.api("GET", f"/api/sessions/{session_id}/summary")
    assert summary["version"] == 2
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
    assert (delivered["session_id"], delivered["version"]) == (session_id, 2)
    assert delivered["participants"]["mentoree"]["rating_comment"] == "Useful, too short"
    context.close()
