"""The rough edges of a first meeting, smoothed: the lobby as a prejoin, a room whose states
agree with each other (a second window, a refused camera, overtime), what a screen reader
hears, and a scheduling form that does not make duplicates by accident."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import schedule, sign_in
from tests.servers import ServerProcess

PHONE = {"width": 390, "height": 844}

REFUSE_CAMERA = """
navigator.mediaDevices.getUserMedia = async () => {
  throw new DOMException('Permission denied', 'NotAllowedError');
};
"""


def collect_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_lobby_to_room_on_a_phone_with_a_second_window_and_what_is_announced(
    browser: Browser, server: ServerProcess
) -> None:
    session = schedule(server, agenda=["Goals", "CV"])
    context = browser.new_context(viewport=PHONE)
    mentor, mentoree = context.new_page(), context.new_page()
    errors = collect_errors(mentor) + collect_errors(mentoree)

    # The lobby counts down and says who is in; the switches carry into the room.
    mentor.goto(session["links"]["mentor"])
    expect(mentor.get_by_test_id("countdown")).to_have_text(re.compile(r"Due to start"))
    expect(mentor.get_by_test_id("peer-in")).to_have_text("Grace Hopper has not joined yet.")
    camera_choice = mentor.get_by_test_id("choose-camera")
    expect(camera_choice.locator("option")).not_to_have_count(0)
    camera_choice.select_option(index=0)
    camera_choice.dispatch_event("change")
    assert mentor.evaluate("localStorage.getItem('mentormeet.device.videoinput')") == (
        camera_choice.input_value()
    )
    mentor.get_by_test_id("lobby-camera").click()
    expect(mentor.get_by_test_id("lobby-camera")).to_have_attribute("aria-pressed", "false")
    mentor.get_by_test_id("join").click()
    expect(mentor.get_by_role("heading", name="Session with Grace Hopper")).to_be_focused()
    expect(mentor.get_by_test_id("camera-toggle")).to_have_attribute("aria-pressed", "false")
    expect(mentor.get_by_test_id("camera-toggle")).to_have_accessible_name("Camera")

    # An agenda edit left unsent is not lost on Join: the lobby asks, and sends it.
    mentoree.goto(session["links"]["mentoree"])
    expect(mentoree.get_by_test_id("peer-in")).to_have_text("Ada Lovelace is in the room.")
    expect(mentoree.get_by_test_id("agenda-draft-item")).to_have_count(2)
    mentoree.get_by_test_id("agenda-draft-item").first.fill("Goals for the term")
    mentoree.get_by_test_id("join").click()
    expect(mentoree.get_by_test_id("unsent-warning")).to_be_visible()
    expect(mentoree.get_by_test_id("send-and-join")).to_be_focused()
    mentoree.get_by_test_id("send-and-join").click()
    expect(mentoree.get_by_test_id("agenda-item").first).to_contain_text("Goals for the term")

    # The partner's arrival and their ticks are announced.
    expect(mentor.get_by_test_id("announcer")).to_have_text("Grace Hopper joined the room.")
    mentoree.get_by_test_id("agenda-item").first.get_by_role("checkbox").check()
    expect(mentor.get_by_test_id("announcer")).to_have_text("Goals for the term: checked off.")
    # Once the server has judged the partner's camera, its going off is announced too.
    peer_camera = mentor.get_by_test_id("camera-state-peer")
    expect(peer_camera).not_to_have_attribute("data-state", "unknown", timeout=20_000)
    mentoree.get_by_test_id("camera-toggle").click()
    expect(mentor.get_by_test_id("announcer")).to_have_text(
        "Grace Hopper turned their camera off.", timeout=10_000
    )

    # A second window of the mentor neither throws nor fights: it offers to take over.
    second = context.new_page()
    errors += collect_errors(second)
    second.goto(mentor.url)
    expect(second.get_by_test_id("other-window")).to_contain_text("another window")
    expect(second.get_by_test_id("end-session")).to_be_disabled()
    second.get_by_test_id("use-this-window").click()
    expect(second.get_by_test_id("other-window")).to_be_hidden()
    expect(mentor.get_by_test_id("other-window")).to_contain_text("another window")
    expect(mentoree.get_by_test_id("announcer")).to_have_text("Ada Lovelace joined the room.")

    # Overtime reads as over, not as a negative time left.
    second.evaluate(
        "() => { const s = window.mentormeet.session;"
        " s.started_at = s.started_at ?? 1; s.remaining_seconds = -100; }"
    )
    expect(second.get_by_test_id("timer")).to_contain_text(re.compile(r"1:4\d over"))
    second.close()
    expect(mentoree.get_by_test_id("announcer")).to_have_text("Ada Lovelace left the room.")
    assert errors == []
    context.close()


def test_a_refused_camera_says_so_in_plain_words_and_offers_to_try_again(
    browser: Browser, server: ServerProcess
) -> None:
    session = schedule(server)
    context = browser.new_context(viewport=PHONE)
    context.add_init_script(REFUSE_CAMERA)
    page = context.new_page()
    page.goto(session["links"]["mentor"].replace("?", "/room?"))

    expect(page.get_by_test_id("room-status")).to_contain_text("Waiting for Grace Hopper")
    problem = page.get_by_test_id("media-problem")
    expect(problem).to_contain_text("Your browser is blocking the camera and microphone")
    expect(problem).not_to_contain_text("NotAllowedError")
    expect(page.get_by_test_id("media-retry")).to_be_visible()
    expect(page.get_by_test_id("camera-toggle")).to_be_disabled()
    context.close()


def test_scheduling_clears_the_form_questions_a_duplicate_and_keeps_focus_on_refresh(
    browser: Browser, server: ServerProcess
) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    sign_in(page, server)

    # A month ahead, as the form's datetime-local field takes it (starts over a year
    # ahead are refused).
    start = (datetime.now() + timedelta(days=30)).strftime("%Y-%m-%dT10:30")

    def fill_and_schedule() -> None:
        page.get_by_test_id("mentor-name").fill("Ada Lovelace")
        page.get_by_test_id("mentoree-name").fill("Grace Hopper")
        page.get_by_test_id("scheduled-start").fill(start)
        page.get_by_test_id("schedule").click()

    fill_and_schedule()
    expect(page.get_by_test_id("scheduled")).to_be_visible()
    expect(page.get_by_test_id("mentor-name")).to_have_value("")
    rows = page.get_by_test_id("sessions").locator("tbody tr")
    expect(rows).to_have_count(1)

    fill_and_schedule()
    expect(page.get_by_test_id("duplicate-warning")).to_contain_text(
        "Ada Lovelace & Grace Hopper already have a session"
    )
    expect(page.get_by_test_id("schedule-anyway")).to_be_focused()
    page.get_by_role("button", name="Change it").click()
    expect(rows).to_have_count(1)
    page.get_by_test_id("schedule-another").click()
    expect(page.get_by_test_id("mentor-name")).to_be_focused()

    # The board refreshes every few seconds; the copy button the MPM is on stays focused.
    copy = page.get_by_role("button", name="Copy Ada Lovelace's link")
    copy.focus()
    for _ in range(2):  # the first refresh is surely drawn once the second is answered
        with page.expect_response(re.compile(r"/api/dashboard$"), timeout=10_000):
            pass
    expect(copy).to_be_focused()
    ics = page.get_by_test_id("invite-ics").first
    with page.expect_download() as download:
        ics.click()
    assert "METHOD:REQUEST" in download.value.path().read_text()
    context.close()
