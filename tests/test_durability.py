"""A fault test: ``kill -9`` of a real server in the middle of a session loses nothing.

Every event a client saw acknowledged (the state pushed after it was recorded) is in the
SQLite file after the crash; a new server on the same data dir and port resumes the
session with its clock recomputed, and both participants get back in.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.room_client import receive
from tests.servers import ADMIN_TOKEN, ServerProcess, start_server
from tests.utils import bearer, eventually, token_of


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[list[ServerProcess]]:
    """Server processes started by the test, each stopped (or killed) at the end."""
    started: list[ServerProcess] = []
    yield started
    for server in started:
        await asyncio.to_thread(server.kill)


async def get_session(http: aiohttp.ClientSession, server: ServerProcess, id_: str) -> Any:
    async with http.get(
        f"{server.base_url}/api/sessions/{id_}", headers=bearer(ADMIN_TOKEN)
    ) as response:
        assert response.status == 200
        return await response.json()


async def running_for_a_second(
    http: aiohttp.ClientSession, server: ServerProcess, id_: str
) -> dict[str, Any] | None:
    state = await get_session(http, server, id_)
    return state if state["elapsed_seconds"] >= 1 else None


async def enter(
    http: aiohttp.ClientSession, server: ServerProcess, token: str, client_id: str
) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any]]:
    ws = await http.ws_connect(f"{server.base_url}/ws")
    await ws.send_json({"type": "hello", "token": token, "client_id": client_id})
    return ws, await receive(ws, "welcome")


def logged_events(database: Path, session_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The session's events as (type, actor, payload), read straight from the file."""
    with closing(sqlite3.connect(database)) as db:
        rows = db.execute(
            "SELECT type, actor, payload FROM events WHERE session_id = ? ORDER BY seq",
            (session_id,),
        ).fetchall()
    return [(type_, actor, json.loads(payload)) for type_, actor, payload in rows]


def in_order(wanted: list[Any], log: list[Any]) -> bool:
    """Whether every item of ``wanted`` is in ``log``, in this order (a logged payload may
    say more than the wanted one: a join also names its connection)."""
    remaining = iter(log)
    return all(any(says(logged, item) for logged in remaining) for item in wanted)


def says(logged: tuple[str, str, dict[str, Any]], wanted: tuple[str, str, dict[str, Any]]) -> bool:
    return logged[:2] == wanted[:2] and wanted[2].items() <= logged[2].items()


async def test_acknowledged_events_survive_kill_9_and_the_session_resumes(servers, tmp_path):
    server = await asyncio.to_thread(start_server, tmp_path / "data", tmp_path / "server.log")
    servers.append(server)
    async with aiohttp.ClientSession() as http:
        request = {
            "mentor": {"name": "Ada Lovelace"},
            "mentoree": {"name": "Grace Hopper"},
            "scheduled_start": datetime.now(UTC).isoformat(),
            "allotted_minutes": 30,
            "agenda": ["Goals", "Feedback"],
        }
        async with http.post(
            f"{server.base_url}/api/sessions", json=request, headers=bearer(ADMIN_TOKEN)
        ) as response:
            assert response.status == 201
            scheduled = await response.json()
        session_id = scheduled["id"]
        tokens = {role: token_of(link) for role, link in scheduled["links"].items()}
        mentor, _ = await enter(http, server, tokens["mentor"], "mentor-tab-1")
        mentoree, _ = await enter(http, server, tokens["mentoree"], "mentoree-tab-1")
        await receive(mentor, "state")  # the mentoree's join
        sockets = {"mentor": mentor, "mentoree": mentoree}

        acknowledged: list[tuple[str, str, dict[str, Any]]] = [
            ("participant_joined", "mentor", {"role": "mentor"}),
            ("participant_joined", "mentoree", {"role": "mentoree"}),
        ]

        async def act(role: str, message: dict[str, Any], event: tuple) -> dict[str, Any]:
            """Send ``message``; once both see the resulting state it is acknowledged.

            Each of these messages records exactly one event, and every recorded event
            pushes one state to everyone in the room, after it is on disk.
            """
            await sockets[role].send_json(message)
            states = [(await receive(ws, "state"))["session"] for ws in sockets.values()]
            acknowledged.append(event)
            return states[0]

        state = await act(
            "mentor",
            {"type": "agenda_check", "item_id": 1, "done": True},
            ("agenda_item_checked", "mentor", {"item_id": 1}),
        )
        assert [item["done"] for item in state["agenda"]] == [True, False]
        for role in ("mentoree", "mentor"):
            for speaking in (True, False):
                await act(
                    role,
                    {"type": "speaking", "speaking": speaking},
                    ("speaking", role, {"role": role, "speaking": speaking}),
                )
        for role in ("mentor", "mentoree"):
            # A live camera: without an uplink, one that is off would record its state too.
            report = {"enabled": True, "muted": False, "ended": False}
            await act(
                role,
                {"type": "camera", **report},
                ("camera_reported", role, {"role": role, **report}),
            )
        # Let the clock run a little, so that "it went on" means something after the crash.
        before = await eventually(lambda: running_for_a_second(http, server, session_id))
        read_before = time.monotonic()
        assert before["status"] == "live"
        assert before["started_at"] is not None

        assert await asyncio.to_thread(server.kill) == -9

        log = logged_events(server.data_dir / "mentormeet.db", session_id)
        assert log[0][0] == "session_scheduled"
        assert in_order(acknowledged, log), (acknowledged, log)
        assert not any(type_ == "participant_left" for type_, _, _ in log)

        server = await asyncio.to_thread(server.restart, tmp_path / "restarted.log")
        servers.append(server)
        for ws in sockets.values():  # the old connections died with the old process
            assert (await ws.receive(timeout=5)).type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            )
        mentor, welcome = await enter(http, server, tokens["mentor"], "mentor-tab-1")
        mentoree, welcome = await enter(http, server, tokens["mentoree"], "mentoree-tab-1")

        # The rejoin counts as each one's second join: the restart recorded them leaving.
        assert {role: p["joins"] for role, p in welcome["session"]["participants"].items()} == {
            "mentor": 2,
            "mentoree": 2,
        }
        after = await get_session(http, server, session_id)
        assert after["status"] == "live"
        assert after["started_at"] == before["started_at"]
        assert [item["done"] for item in after["agenda"]] == [True, False]
        assert {role: p["present"] for role, p in after["participants"].items()} == {
            "mentor": True,
            "mentoree": True,
        }
        # Recomputed from the events: the time before the crash, plus the time since (less
        # any pause while someone was out of the room).
        assert (
            before["elapsed_seconds"]
            < after["elapsed_seconds"]
            <= before["elapsed_seconds"] + (time.monotonic() - read_before) + 0.2
        )
        for role in ("mentor", "mentoree"):
            assert (
                after["participants"][role]["talk_seconds"]
                >= before["participants"][role]["talk_seconds"]
            )
        resumed_log = logged_events(server.data_dir / "mentormeet.db", session_id)
        assert resumed_log[: len(log)] == log
        await mentor.close()
        await mentoree.close()
    assert await asyncio.to_thread(server.stop, 10) == 0
