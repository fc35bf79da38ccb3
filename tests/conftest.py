"""Fixtures shared by the server tests: a config, the app, a test client, a scheduled session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, unused_port
from aiosmtpd.controller import Controller

from server.app import make_app
from server.clock import Clock, SystemClock
from server.config import Config
from server.store import SqliteEventStore
from tests.postgres import Cluster, start_cluster_or_skip
from tests.utils import (
    ADMIN_TOKEN,
    SESSION_REQUEST,
    Mailbox,
    ScheduledSession,
    bearer,
    config_for_tests,
    token_of,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last.

    Sync Playwright keeps an event loop running in the main thread for as long as the
    browser is open, and asyncio tests cannot start their own loop beside it.
    """
    items.sort(key=lambda item: item.path.parent.name == "e2e")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return config_for_tests(tmp_path)


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return bearer(ADMIN_TOKEN)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteEventStore]:
    """An event store in a SQLite file of the test's own."""
    store = await SqliteEventStore(tmp_path / "events.db").open()
    yield store
    await store.close()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL cluster for the whole test session (skipped without
    PostgreSQL, failed in CI)."""
    cluster = start_cluster_or_skip()
    yield cluster
    cluster.stop()


@pytest.fixture
async def postgres_url(postgres_cluster: Cluster) -> str:
    """A PostgreSQL URL where a store finds nothing yet (an empty schema of its own)."""
    return await postgres_cluster.new_schema()


@pytest.fixture
def clock() -> Clock:
    """The app's clock: the system's, unless a module brings a clock it moves by hand."""
    return SystemClock()


@pytest.fixture
def app(config: Config, clock: Clock) -> web.Application:
    return make_app(config, clock=clock)


@pytest.fixture
async def client(aiohttp_client: Any, app: web.Application) -> TestClient:
    return await aiohttp_client(app)


@pytest.fixture
def schedule(client: TestClient) -> Callable[..., Awaitable[ScheduledSession]]:
    """Schedule a session as the MPM; keyword arguments override fields of the request."""

    async def schedule(**overrides: Any) -> ScheduledSession:
        response = await client.post(
            "/api/sessions", json={**SESSION_REQUEST, **overrides}, headers=bearer(ADMIN_TOKEN)
        )
        assert response.status == 201, await response.text()
        body = await response.json()
        tokens = {role: token_of(link) for role, link in body["links"].items()}
        return ScheduledSession(id=body["id"], body=body, tokens=tokens)

    return schedule


@pytest.fixture
async def session(schedule: Callable[..., Awaitable[ScheduledSession]]) -> ScheduledSession:
    return await schedule()


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 and its mailbox."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=unused_port())
    controller.start()
    yield controller, mailbox
    controller.stop()
