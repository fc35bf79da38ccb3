"""Every page and state at desktop and phone widths: nothing serious for axe-core, no
sideways scrolling, the room's call, timer, agenda and controls in reach. Screenshots of
each land in the test's tmp_path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.accessibility import axe_violations, horizontal_overflow, serious
from tests.e2e.conftest import schedule, sign_in, wait_for_remote_video
from tests.servers import ServerProcess

# One flow per kind of screen; the phone flow checks each page at both ends of the range.
SIZES = {"desktop": [(1280, 800)], "phone": [(360, 740), (430, 932)]}


class PageAudit:
    """Collects what each checked page got wrong at each width, so one run reports all."""

    def __init__(self, sizes: list[tuple[int, int]], folder: Path) -> None:
        self.sizes = sizes
        self.folder = folder
        self.problems: list[str] = []
        self.counts: dict[str, tuple[int, int]] = {}

    def check(self, page: Page, name: str, in_reach: tuple[str, ...] = ()) -> None:
        for width, height in self.sizes:
            page.set_viewport_size({"width": width, "height": height})
            where = f"{name} at {width}px"
            page.screenshot(path=self.folder / f"{width}-{name}.png", full_page=True)
            violations = axe_violations(page)
            bad = serious(violations)
            self.counts[where] = (len(violations), len(bad))
            for violation in bad:
                self.problems.append(f"{where}: axe {violation['id']} on {violation['targets']}")
            if (overflow := horizontal_overflow(page)) > 0:
                self.problems.append(f"{where}: {overflow}px wider than the viewport")
            for test_id in in_reach:
                box = page.get_by_test_id(test_id).bounding_box()
                if box is None or box["x"] < 0 or box["x"] + box["width"] > width + 0.5:
                    self.problems.append(f"{where}: {test_id} is out of reach ({box})")


def upcoming(server: ServerProcess) -> dict:
    start = datetime.now(UTC) + timedelta(hours=2)
    return server.api(
        "POST",
        "/api/sessions",
        {
            "mentor": {"name": "Katherine Johnson"},
            "mentoree": {"name": "Dorothy Vaughan"},
            "scheduled_start": start.isoformat(),
            "allotted_minutes": 45,
            "agenda": ["Orbital mechanics"],
        },
    )


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_fits_and_has_nothing_serious_for_axe(
    browser: Browser, server: ServerProcess, tmp_path: Path, size: str
) -> None:
    audit = PageAudit(SIZES[size], tmp_path)
    width, height = SIZES[size][0]
    session = schedule(server, agenda=["Goals for the term", "Feedback on my CV"])
    upcoming(server)
    context = browser.new_context(viewport={"width": width, "height": height})
    mpm, mentor, mentoree = context.new_page(), context.new_page(), context.new_page()

    mpm.goto(f"{server.base_url}/mpm")
    mpm.get_by_test_id("admin-token").wait_for()
    audit.check(mpm, "sign-in")
    sign_in(mpm, server)
    expect(mpm.get_by_test_id("upcoming-sessions").locator("tbody tr")).to_have_count(2)
    audit.check(mpm, "dashboard-upcoming")

    mentor.goto(session["links"]["mentor"])
    mentoree.goto(session["links"]["mentoree"])
    expect(mentoree.get_by_test_id("agenda-draft-item")).to_have_count(2)
    audit.check(mentor, "lobby-mentor")
    audit.check(mentoree, "lobby-mentoree")

    mentor.get_by_test_id("join").click()
    expect(mentor.get_by_test_id("room-status")).to_contain_text("Waiting for")
    audit.check(mentor, "room-waiting")
    mentoree.get_by_test_id("join").click()
    wait_for_remote_video(mentor)
    wait_for_remote_video(mentoree)
    audit.check(
        mentoree, "room-live", ("timer", "remote-video", "agenda", "end-session", "mic-toggle")
    )
    expect(mpm.locator(f"[data-session-id='{session['id']}'].live-card")).to_be_visible()
    audit.check(mpm, "dashboard-live")

    mentoree.get_by_test_id("raise-concern").click()
    audit.check(mentoree, "room-concern-dialog")
    mentoree.get_by_role("button", name="Cancel").click()
    expect(mentoree.get_by_test_id("raise-concern")).to_be_focused()
    mentor.get_by_test_id("end-session").click()
    audit.check(mentor, "room-end-dialog")
    mentor.get_by_test_id("confirm-end").click()

    # Ended reads as ended: the way on is focused, the agenda is a record with nothing "now".
    expect(mentoree.get_by_test_id("summary-link")).to_be_focused()
    agenda = mentoree.get_by_test_id("agenda")
    expect(agenda.get_by_role("checkbox").first).to_be_disabled()
    expect(agenda).not_to_contain_text("now")
    expect(mentoree.get_by_test_id("agenda-new")).to_be_hidden()
    expect(mentoree.get_by_test_id("room-status")).to_contain_text("ended the session")
    audit.check(mentoree, "room-ended")
    mentoree.get_by_test_id("summary-link").click()
    expect(mentoree.get_by_test_id("rating-form")).to_be_visible()
    audit.check(mentoree, "summary-participant")
    expect(mpm.get_by_test_id("past-sessions").locator("tbody tr")).to_have_count(1)
    audit.check(mpm, "dashboard-past")
    mpm.goto(f"{server.base_url}/api/sessions/{session['id']}/summary.html")
    audit.check(mpm, "summary-mpm")
    mpm.goto(f"{server.base_url}/s/no-such-session?token=nothing")
    audit.check(mpm, "error-page")
    context.close()

    print(f"axe violations (all, serious) at {size}: {audit.counts}")
    assert not audit.problems, "\n".join(audit.problems)
