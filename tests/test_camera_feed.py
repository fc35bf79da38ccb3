"""One uplink's feed: real frames from an aiortc bot move its own camera tracker, and only
a change of state reaches the record. The clock moves by hand."""

from __future__ import annotations

import dataclasses

import pytest
from aiortc import RTCSessionDescription

from analytics.camera import CameraTracker
from analytics.events import CameraObserved
from server.camera_feed import CameraFeed, record_camera_change
from server.clock import ManualClock
from server.frame_reader import FrameReader
from server.store import SqliteEventStore
from server.uplink_offers import UplinkOffers
from tests import camera_images
from tests.uplink_client import SyntheticCamera, open_uplink
from tests.utils import camera_frames, mentor_in_room

START = 1_900_000_000.0


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture
async def book(store, clock):
    return await mentor_in_room(store, clock)


@pytest.fixture
async def feed(config, book, clock):
    """The mentor's feed on a fresh peer, not yet answering any offer."""
    reader = FrameReader(config.camera)
    feed = CameraFeed(
        "s1",
        "mentor",
        UplinkOffers(config).new_peer(),
        opened_at=START,
        tracker=CameraTracker(started_at=START),
        book=book,
        reader=reader,
        config=config.camera,
        clock=clock,
    )
    yield feed
    await feed.close()
    reader.close()


async def observed(store: SqliteEventStore) -> list[CameraObserved]:
    return [e for e in await store.events("s1") if isinstance(e, CameraObserved)]


async def test_frames_move_the_tracker_and_each_change_is_recorded_once(config, feed, store, clock):
    client = await open_uplink(_answered_by(config, feed), SyntheticCamera(camera_images.face()))
    try:
        tracker = await camera_frames(clock, lambda: feed.tracker, lambda t: t.state == "on")
        # Hysteresis delays the verdict; the record books it from the first face.
        assert tracker.since == START
        assert [(e.state, e.since) for e in await observed(store)] == [("on", START)]
        await camera_frames(clock, lambda: feed.tracker, lambda t: t.last_frame_at >= START + 5)
        assert len(await observed(store)) == 1  # more frames of the same: nothing new
    finally:
        await client.close()


async def test_once_closed_the_camera_is_unknown_since_the_last_frame(config, feed, store, clock):
    client = await open_uplink(_answered_by(config, feed), SyntheticCamera(camera_images.face()))
    try:
        last = await camera_frames(clock, lambda: feed.tracker, lambda t: t.state == "on")
    finally:
        await client.close()
    await feed.close()
    clock.advance(1)
    await feed.record_closed()
    assert [(e.state, e.since) for e in await observed(store)] == [
        ("on", START),
        ("unknown", last.last_frame_at),
    ]


async def test_a_retired_feed_observes_nothing(feed, store):
    feed.retired = True
    await feed.observe(lambda tracker: dataclasses.replace(tracker, state="on"))
    assert feed.tracker == CameraTracker(started_at=START)
    assert await observed(store) == []


async def test_only_a_change_of_state_is_recorded(book, store):
    before = CameraTracker(state="unknown")
    await record_camera_change(book, "s1", "mentor", before, dataclasses.replace(before, since=1))
    assert await observed(store) == []
    on = dataclasses.replace(before, state="on", since=START)
    await record_camera_change(book, "s1", "mentor", before, on)
    assert [(e.state, e.since) for e in await observed(store)] == [("on", START)]


def _answered_by(config, feed: CameraFeed):
    async def post(offer: dict[str, str]) -> dict[str, str]:
        await UplinkOffers(config).answer(feed.pc, RTCSessionDescription(**offer))
        return {"type": feed.pc.localDescription.type, "sdp": feed.pc.localDescription.sdp}

    return post
