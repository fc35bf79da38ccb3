"""Data at rest: the data dir is its owner's alone, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.config import load_config
from server.outbox import OutboxChannel
from server.private import write_private
from server.store import SqliteEventStore
from tests.events import SCHEDULED, T0, concern, meeting, summary_of

SESSION_ID = SCHEDULED.session_id


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """The laxest umask there is: without explicit modes, files would be world-writable."""
    previous = os.umask(0)
    yield
    os.umask(previous)


async def test_the_data_dir_is_0700_and_every_file_in_it_0600_whatever_the_umask(
    tmp_path, lax_umask
):
    data_dir = tmp_path / "data"
    config = load_config(data_dir=data_dir, environ={})
    store = await SqliteEventStore(config.database_path).open()
    events = meeting(concern("mentoree", "private", T0 + 60))
    for event in events:
        await store.append(SESSION_ID, event)
    await OutboxChannel(config.delivery.outbox_dir).deliver(summary_of(events))

    files = [path for path in data_dir.rglob("*") if path.is_file()]
    assert {path.name for path in files} >= {
        "admin_token",
        "secret",
        "mentormeet.db",
        "mentormeet.db-wal",
        "mentormeet.db-shm",
        f"{SESSION_ID}.json",
    }
    assert {mode(path) for path in files} == {0o600}
    assert {mode(path) for path in data_dir.rglob("*") if path.is_dir()} | {mode(data_dir)} == {
        0o700
    }
    await store.close()


def test_a_data_dir_left_open_by_an_older_version_is_closed_on_start(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    (data_dir / "secret").write_text("s" * 43)
    (data_dir / "secret").chmod(0o644)

    load_config(data_dir=data_dir, environ={})

    assert (mode(data_dir), mode(data_dir / "secret")) == (0o700, 0o600)


def test_a_private_file_is_private_before_its_first_byte(tmp_path, lax_umask):
    target = tmp_path / "file"
    target.write_bytes(b"old")
    target.chmod(0o666)

    write_private(target, b"new")

    assert (target.read_bytes(), mode(target)) == (b"new", 0o600)
