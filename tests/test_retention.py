"""Cancelling and deleting sessions: links that die at once, data that leaves for good."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace

from analytics import rules
from analytics.session import fold
from server.app import make_app
from server.store import SqliteEventStore
from tests.events import DAY, meeting, scheduled
from tests.room_client import closed, connect, hello, join, receive_error, started
from tests.utils import eventually


def event_rows(config, session_id: str) -> int:
    with sqlite3.connect(config.database_path) as db:
        (count,) = db.execute(
            "SELECT COUNT(*) FROM events WHERE session_id = ?", (session_id,)
        ).fetchone()
    return count


async def test_a_cancelled_sessions_links_die_at_once_everywhere(client, session, admin_headers):
    mentor, _ = await join(client, session, "mentor")

    cancelled = await client.post(f"/api/sessions/{session.id}/cancel", headers=admin_headers)

    assert cancelled.status == 200
    assert (await cancelled.json())["status"] == "cancelled"
    assert await receive_error(mentor) == "session_cancelled"
    assert await closed(mentor) == 4003
    for role in ("mentor", "mentoree"):
        api = await client.get(f"/api/sessions/{session.id}", headers=session.headers(role))
        assert (api.status, (await api.json())["error"]) == (410, "this session was cancelled")
        for page in ("", "/room", "/summary"):
            answer = await client.get(
                f"/s/{session.id}{page}", params={"token": session.tokens[role]}
            )
            assert answer.status == 410
            assert "This session was cancelled" in await answer.text()
        ws = await connect(client)
        await hello(ws, session.tokens[role], f"{role}-tab-2")
        assert await receive_error(ws) == "session_cancelled"
    writes = {
        "/agenda": ("PUT", {"items": [{"text": "Goals"}]}),
        "/concerns": ("POST", {"text": "hello?"}),
        "/rating": ("POST", {"score": 3}),
    }
    for path, (method, body) in writes.items():
        url = f"/api/sessions/{session.id}{path}"
        answer = await client.request(method, url, json=body, headers=session.headers("mentoree"))
        assert answer.status == 410
    mpm_view = await client.get(f"/api/sessions/{session.id}", headers=admin_headers)
    assert (await mpm_view.json())["status"] == "cancelled"
    assert (await client.get("/api/dashboard", headers=admin_headers)).status == 200
    export = await client.get("/api/sessions.csv", headers=admin_headers)
    assert f"{session.id},Ada Lovelace,Grace Hopper,cancelled," in await export.text()


async def test_only_the_mpm_cancels_and_only_what_is_not_over(client, session, admin_headers):
    url = f"/api/sessions/{session.id}/cancel"

    assert (await client.post(url, headers=session.headers("mentor"))).status == 403
    assert (await client.post(url, headers=admin_headers)).status == 200
    again = await client.post(url, headers=admin_headers)
    assert (again.status, (await again.json())["error"]) == (409, "this session was cancelled")
    nowhere = await client.post("/api/sessions/nope/cancel", headers=admin_headers)
    assert nowhere.status == 404


async def test_deleting_a_session_removes_its_events_and_outbox_files(
    client, session, config, admin_headers
):
    mentor, _ = await started(client, session)
    await mentor.send_json({"type": "end"})
    concern = {"text": "UNIQUE-PRIVATE-CONCERN"}
    url = f"/api/sessions/{session.id}"
    assert (
        await client.post(f"{url}/concerns", json=concern, headers=session.headers("mentor"))
    ).status == 201
    outbox = config.delivery.outbox_dir
    await eventually(lambda: (outbox / f"{session.id}.json").exists())
    assert event_rows(config, session.id) > 0

    deleted = await client.delete(f"/api/sessions/{session.id}", headers=admin_headers)

    assert deleted.status == 204
    assert event_rows(config, session.id) == 0
    for path in config.data_dir.glob("mentormeet.db*"):  # no copy in free pages or the WAL
        assert b"UNIQUE-PRIVATE-CONCERN" not in path.read_bytes(), path
    assert list(outbox.glob(f"{session.id}*")) == []
    gone = await client.get(f"/api/sessions/{session.id}", headers=admin_headers)
    assert gone.status == 404
    assert (
        await client.get(f"/api/sessions/{session.id}", headers=session.headers("mentor"))
    ).status == 404
    again = await client.delete(f"/api/sessions/{session.id}", headers=admin_headers)
    assert again.status == 404


async def test_a_live_session_is_cancelled_before_it_is_deleted(client, session, admin_headers):
    await join(client, session, "mentor")
    url = f"/api/sessions/{session.id}"

    assert (await client.delete(url, headers=session.headers("mentor"))).status == 403
    live = await client.delete(url, headers=admin_headers)
    assert (live.status, (await live.json())["error"]) == (
        409,
        "the session is live: cancel it first",
    )
    assert (await client.post(f"{url}/cancel", headers=admin_headers)).status == 200
    assert (await client.delete(url, headers=admin_headers)).status == 204


async def test_sessions_that_ended_before_the_retention_period_are_deleted_at_start(
    aiohttp_client, config
):
    now = time.time()
    old = meeting(
        scheduled=scheduled(session_id="old", at=now - 40 * DAY, scheduled_start=now - 31 * DAY),
        start=now - 31 * DAY,
    )
    recent = meeting(
        scheduled=scheduled(session_id="recent", at=now - 3 * DAY, scheduled_start=now - 2 * DAY),
        start=now - 2 * DAY,
    )
    upcoming = [scheduled(session_id="upcoming", at=now - 40 * DAY, scheduled_start=now + DAY)]
    store = await SqliteEventStore(config.database_path).open()
    for events in (old, recent, upcoming):
        for event in events:
            await store.append(events[0].session_id, event)
    await store.close()

    await aiohttp_client(make_app(replace(config, retention_days=30)))

    await eventually(lambda: event_rows(config, "old") == 0)
    assert event_rows(config, "recent") > 0 and event_rows(config, "upcoming") > 0
    ended_at = fold(recent).ended_at
    assert not rules.past_retention(fold(recent), ended_at + 30 * DAY, retention_days=30)
    assert rules.past_retention(fold(recent), ended_at + 30 * DAY + 1, retention_days=30)
    assert not rules.past_retention(fold(upcoming), now + 400 * DAY, retention_days=30)
