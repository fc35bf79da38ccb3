"""The dashboard in the browser: older past sessions a page at a time, and a delivery that
gave up shown as failed with its reason, retried with a click."""

from __future__ import annotations

import asyncio
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from analytics.events import SummaryDeliveryFailed
from server.dashboard import PAST_PAGE
from server.store import SqliteEventStore
from tests.e2e.conftest import schedule, sign_in
from tests.events import DAY, SCHEDULED, T0, meeting
from tests.servers import ServerProcess, start_server

SESSIONS = PAST_PAGE + 2
# The oldest session's outbox delivery had given up before this start.
GAVE_UP = SummaryDeliveryFailed(
    at=T0, actor="system", channel="outbox", attempt=1, error="disk full", final=True
)


async def write_past_sessions(database: Path) -> None:
    store = await SqliteEventStore(database).open()
    for number in range(SESSIONS):
        start = T0 - (SESSIONS - number) * DAY
        scheduled = replace(SCHEDULED, session_id=f"past-{number:02d}", scheduled_start=start)
        events = meeting(scheduled=scheduled, start=start)
        if number == 0:
            events.append(replace(GAVE_UP, at=start + DAY))
        for event in events:
            await store.append(scheduled.session_id, event)
    await store.close()


def test_older_sessions_show_on_demand_and_a_failed_delivery_is_retried(
    browser: Browser, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    # Sync Playwright keeps an event loop running in this thread: write from another.
    with ThreadPoolExecutor(1) as writer:
        writer.submit(asyncio.run, write_past_sessions(data_dir / "mentormeet.db")).result()
    server = start_server(data_dir, tmp_path / "server.log")
    try:
        page = browser.new_page()
        sign_in(page, server)
        rows = page.locator("#past tr")
        expect(rows).to_have_count(PAST_PAGE)

        page.get_by_test_id("show-older").click()
        expect(rows).to_have_count(SESSIONS)
        expect(page.get_by_test_id("show-older")).to_be_hidden()

        oldest = page.locator('#past tr[data-session-id="past-00"]')
        expect(oldest.get_by_test_id("delivery-error")).to_have_text("failed: disk full")
        oldest.screenshot(path=tmp_path / "dashboard-failed-delivery.png")
        oldest.get_by_test_id("retry-delivery").click()
        expect(oldest.locator('.delivery[data-channel="outbox"]')).to_contain_text("✓ outbox v1")
        expect(oldest.get_by_test_id("retry-delivery")).to_have_count(0)
        assert (data_dir / "outbox" / "past-00.md").exists()

        # Deleting asks first; kept, nothing changes; confirmed, the record and files go.
        oldest.get_by_role("button", name="Delete the session of").click()
        dialog = page.get_by_test_id("confirm-dialog")
        expect(dialog).to_contain_text("Delete this session for good?")
        dialog.get_by_role("button", name="Keep it").click()
        expect(oldest).to_have_count(1)
        oldest.get_by_role("button", name="Delete the session of").click()
        dialog.get_by_test_id("confirm-action").click()
        expect(oldest).to_have_count(0)
        assert not (data_dir / "outbox" / "past-00.md").exists()
        page.close()
    finally:
        server.stop(timeout=10)


def test_an_upcoming_session_is_cancelled_its_link_dies_and_another_is_deleted(
    browser: Browser, server: ServerProcess
) -> None:
    cancelled, deleted = schedule(server), schedule(server)
    page = browser.new_page()
    sign_in(page, server)
    rows = page.locator("#upcoming tr")
    expect(rows).to_have_count(2)

    row = page.locator(f'#upcoming tr[data-session-id="{cancelled["id"]}"]')
    row.get_by_role("button", name="Cancel the session of").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("Their invite links stop working at once")
    dialog.get_by_test_id("confirm-action").click()
    expect(row).to_have_count(0)
    assert server.api("GET", f"/api/sessions/{cancelled['id']}")["status"] == "cancelled"
    lobby = browser.new_page()
    assert lobby.goto(cancelled["links"]["mentoree"]).status == 410
    lobby.close()

    row = page.locator(f'#upcoming tr[data-session-id="{deleted["id"]}"]')
    row.get_by_role("button", name="Delete the session of").click()
    dialog.get_by_test_id("confirm-action").click()
    expect(rows).to_have_count(0)
    with pytest.raises(urllib.error.HTTPError) as missing:
        server.api("GET", f"/api/sessions/{deleted['id']}")
    assert missing.value.code == 404
    page.close()
