"""Tips 2 and 5 in the browser: an agenda sent before the meeting, checked off live, and
the allotted time kept with warnings and a confirmed early end."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import schedule
from tests.servers import ServerProcess


def agenda_item(page: Page, text: str):
    return page.get_by_test_id("agenda-item").filter(has_text=text)


def test_agenda_prepared_checked_live_and_time_kept_until_the_end(
    browser: Browser, server: ServerProcess, tmp_path: Path
) -> None:
    session = schedule(server, allotted_minutes=1, agenda=["Goals"])
    context = browser.new_context(viewport={"width": 1200, "height": 760})
    mentor, mentoree = context.new_page(), context.new_page()

    # Before the meeting the mentoree rewrites the MPM's draft and sends it.
    mentoree.goto(session["links"]["mentoree"])
    drafts = mentoree.get_by_test_id("agenda-draft-item")
    expect(drafts).to_have_count(1)
    drafts.first.fill("Goals for the term")
    mentoree.get_by_role("button", name="Add item").click()
    drafts.nth(1).fill("Feedback on my CV")
    mentoree.locator(".agenda-minutes").nth(1).fill("10")
    mentoree.get_by_role("button", name="Add item").click()
    drafts.nth(2).fill("Next steps")
    mentoree.get_by_test_id("agenda-send").click()
    expect(mentoree.get_by_test_id("agenda-sent")).to_contain_text("Sent")
    mentoree.screenshot(path=tmp_path / "lobby-mentoree-agenda.png")

    mentor.goto(session["links"]["mentor"])
    expect(mentor.get_by_test_id("agenda-view").locator("li")).to_have_text(
        ["Goals for the term", "Feedback on my CV (10 min)", "Next steps"]
    )
    expect(mentor.get_by_test_id("agenda-sent")).to_contain_text("Sent by Grace Hopper")
    state = server.api("GET", f"/api/sessions/{session['id']}")
    assert state["agenda_progress"]["sent_at"] is not None
    assert state["elapsed_seconds"] == 0

    mentor.get_by_test_id("join").click()
    mentoree.get_by_test_id("join").click()

    # Checking an item on one page shows on the other within a second.
    agenda_item(mentor, "Goals for the term").get_by_role("checkbox").check()
    expect(agenda_item(mentoree, "Goals for the term").get_by_role("checkbox")).to_be_checked(
        timeout=1000
    )
    expect(agenda_item(mentoree, "Feedback on my CV")).to_have_class("current")
    agenda_item(mentoree, "Feedback on my CV").locator("input.note").fill("Shorten to one page")
    expect(agenda_item(mentor, "Feedback on my CV").locator("input.note")).to_have_value(
        "Shorten to one page"
    )
    mentoree.get_by_test_id("agenda-new").fill("Conference in May")
    mentoree.get_by_test_id("agenda-new").press("Enter")
    expect(mentor.get_by_test_id("agenda-item")).to_have_count(4)
    expect(mentor.get_by_test_id("agenda-progress")).to_have_text("1 of 4 covered")

    # The clock runs, and a one-minute session is inside its last minute from the start.
    timer = mentor.get_by_test_id("timer")
    expect(timer).to_have_text(re.compile(r"0:[0-5]\d used · 0:[0-5]\d left"))
    expect(timer).to_have_attribute("data-phase", "last-minute")
    expect(timer).not_to_have_text(timer.inner_text())
    for page in (mentor, mentoree):
        expect(page.get_by_test_id("time-warning")).to_have_text("1 minute left.")
    mentor.screenshot(path=tmp_path / "room-agenda.png")

    state = server.api("GET", f"/api/sessions/{session['id']}")
    assert state["status"] == "live"
    assert 0 < state["elapsed_seconds"] < 60
    assert 0 < state["remaining_seconds"] <= 60
    assert [item["done"] for item in state["agenda"]] == [True, False, False, False]
    assert state["agenda"][1]["note"] == "Shorten to one page"
    assert set(state["participants"]["mentor"]) >= {"talk_seconds", "present"}

    # Ending asks first, then ends for both.
    mentoree.get_by_test_id("end-session").click()
    expect(mentoree.locator("#end-question")).to_contain_text("End the session for both of you")
    mentoree.get_by_test_id("confirm-end").click()
    for page in (mentor, mentoree):
        expect(page.get_by_test_id("room-status")).to_contain_text("ended the session")
        expect(page.get_by_test_id("end-session")).to_be_disabled()
    mentor.screenshot(path=tmp_path / "room-ended.png")
    state = server.api("GET", f"/api/sessions/{session['id']}")
    assert state["status"] == "ended"
    assert state["ended_by"] == "mentoree"
    context.close()


def test_typing_a_note_and_ticking_by_keyboard_survive_the_partners_updates(
    browser: Browser, server: ServerProcess
) -> None:
    session = schedule(server, agenda=["Goals", "Next steps"])
    context = browser.new_context(viewport={"width": 1200, "height": 760})
    mentor, mentoree = context.new_page(), context.new_page()
    for page, role in ((mentor, "mentor"), (mentoree, "mentoree")):
        page.goto(session["links"][role])
        page.get_by_test_id("join").click()
    expect(mentoree.get_by_test_id("timer")).to_contain_text("used")

    note = agenda_item(mentoree, "Goals").locator("input.note")
    note.click()
    typed = ""
    for round_ in range(10):
        # The partner turns their camera off or on: a new state reaches this page, which
        # must update the agenda without taking the field from under the typist.
        mentoree.evaluate("() => { window.seenSession = window.mentormeet.session; }")
        mentor.get_by_test_id("camera-toggle").click()
        mentoree.wait_for_function("() => window.mentormeet.session !== window.seenSession")
        chunk = f"part {round_} "
        mentoree.keyboard.type(chunk)
        typed += chunk
    expect(note).to_have_value(typed)
    assert mentoree.evaluate("() => document.activeElement.classList.contains('note')")

    checkbox = agenda_item(mentoree, "Next steps").get_by_role("checkbox")
    checkbox.focus()
    mentoree.keyboard.press("Space")
    expect(agenda_item(mentor, "Next steps").get_by_role("checkbox")).to_be_checked()
    expect(checkbox).to_be_checked()
    expect(checkbox).to_be_focused()
    expect(agenda_item(mentor, "Goals").locator("input.note")).to_have_value(typed.strip())
    context.close()
