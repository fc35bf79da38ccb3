"""Every open uplink and its camera tracker, against a session book: peers that never
connect or fall silent, frozen pictures, browser reports, the addresses the uplink uses,
and a shutdown that does not wait for the clock. Real aiortc bots; the clock moves by hand.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid

import aioice.ice
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from analytics.events import CameraObserved
from analytics.room import report_camera
from server.clock import ManualClock
from server.sessions import SessionBook
from server.store import SqliteEventStore
from server.uplink_peers import UplinkPeers
from tests import camera_images
from tests.uplink_client import SyntheticCamera, complete_offer, open_uplink
from tests.utils import camera_frames, eventually, mentor_in_room

START = 1_900_000_000.0


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture
async def book(store, clock):
    return await mentor_in_room(store, clock)


@pytest.fixture
async def peers():
    """Client peers a test opens; closed at the end even when the test fails."""
    opened: list[RTCPeerConnection] = []
    yield opened
    await asyncio.gather(*(pc.close() for pc in opened))


@pytest.fixture
async def uplinks(config, book, clock):
    """The uplinks, hearing of what is recorded as the app's do."""
    uplinks = UplinkPeers(config, book, clock, connect_timeout=1)
    book.dispatcher.subscribe(uplinks.on_recorded)
    yield uplinks
    await uplinks.close()


def poster(uplinks: UplinkPeers, offered=lambda sdp: sdp):
    """Posts an offer to the mentor's uplink, ``offered`` changing its SDP on the way."""

    async def post(offer: dict[str, str]) -> dict[str, str]:
        sdp = offered(offer["sdp"])
        answer = await uplinks.accept("s1", "mentor", RTCSessionDescription(sdp, offer["type"]))
        return {"type": answer.type, "sdp": answer.sdp}

    return post


async def frames_until(uplinks: UplinkPeers, clock: ManualClock, state: str):
    return await camera_frames(
        clock, lambda: uplinks.camera("s1", "mentor"), lambda t: t.state == state
    )


async def recorded(book: SessionBook) -> str:
    return (await book.get("s1")).camera["mentor"].state


async def observed(store: SqliteEventStore) -> list[CameraObserved]:
    return [e for e in await store.events("s1") if isinstance(e, CameraObserved)]


async def test_an_uplink_that_never_connects_is_closed_and_its_camera_unknown(
    uplinks, book, store, clock, peers, caplog
):
    caplog.set_level(logging.INFO, "server.uplink_peers")
    pc = RTCPeerConnection()
    peers.append(pc)
    pc.addTransceiver(SyntheticCamera(camera_images.face()), direction="sendonly")
    offer = await complete_offer(pc)  # the bot never applies the server's answer
    await uplinks.accept("s1", "mentor", RTCSessionDescription(**offer))
    assert len(uplinks) == 1
    clock.advance(2)  # past the connect timeout of a second
    await eventually(lambda: len(uplinks) == 0)
    assert await recorded(book) == "unknown"
    assert await observed(store) == []
    # The server listens on loopback only, and so does the uplink: the log says what to do.
    assert "it did not connect (Firefox does not use loopback" in caplog.text


async def test_an_uplink_that_stops_sending_frames_leaves_its_camera_unknown_since_the_last(
    uplinks, book, store, clock, peers
):
    camera = SyntheticCamera(camera_images.face())
    peers.append(await open_uplink(poster(uplinks), camera))
    await frames_until(uplinks, clock, "on")
    camera.stop()

    async def unknown_a_second_later() -> bool:
        clock.advance(1)  # the tick this starts is seen by the next call
        return await recorded(book) == "unknown"

    await eventually(unknown_a_second_later)
    on, unknown = await observed(store)
    assert (on.state, unknown.state) == ("on", "unknown")
    # No picture since the last frame: unknown since then, once that was long enough ago.
    assert unknown.since == uplinks.camera("s1", "mentor").last_frame_at
    assert 5 <= unknown.at - unknown.since < 6
    # The peer stays open: a browser that went away fails ICE's consent checks instead.
    assert len(uplinks) == 1


async def test_a_frozen_picture_is_off_from_when_it_froze(config, book, store, clock, peers):
    quick = dataclasses.replace(
        config, camera=dataclasses.replace(config.camera, frozen_after_seconds=1.0)
    )
    uplinks = UplinkPeers(quick, book, clock)
    camera = SyntheticCamera(camera_images.face())
    try:
        peers.append(await open_uplink(poster(uplinks), camera))
        await frames_until(uplinks, clock, "on")
        frozen_at = clock.now()
        camera.freeze()
        await frames_until(uplinks, clock, "off")
    finally:
        await uplinks.close()
    on, off, closed = await observed(store)
    assert (on.state, off.state, closed.state) == ("on", "off", "unknown")
    # Off from the first frame that stood still, not from when that was a second long.
    assert off.since is not None and frozen_at <= off.since <= off.at - 1


async def test_a_report_reaches_the_uplinks_tracker_and_without_one_the_record(
    uplinks, book, clock, peers
):
    await uplinks.report("s1", "mentor", enabled=False, muted=False, ended=False)
    assert await recorded(book) == "off"  # no uplink: what the browser says is all there is
    await uplinks.report("s1", "mentor", enabled=True, muted=False, ended=False)
    assert await recorded(book) == "unknown"

    peers.append(await open_uplink(poster(uplinks), SyntheticCamera(camera_images.face())))
    await frames_until(uplinks, clock, "on")
    await uplinks.report("s1", "mentor", enabled=True, muted=True, ended=False)
    await book.dispatcher.settled()
    assert uplinks.camera("s1", "mentor").state == "off"
    assert await recorded(book) == "off"


async def test_a_report_recorded_through_another_instance_reaches_the_uplinks_tracker(
    uplinks, book, clock, peers
):
    peers.append(await open_uplink(poster(uplinks), SyntheticCamera(camera_images.face())))
    await frames_until(uplinks, clock, "on")

    # The browser's WebSocket is on another instance, which records what it said.
    await book.execute(
        "s1",
        lambda state, at: report_camera(state, "mentor", at, enabled=True, muted=True, ended=False),
    )
    await book.dispatcher.settled()

    assert uplinks.camera("s1", "mentor").state == "off"
    assert await recorded(book) == "off"


async def test_closing_does_not_wait_for_the_next_tick(uplinks, book, clock, peers):
    peers.append(await open_uplink(poster(uplinks), SyntheticCamera(camera_images.face())))
    await frames_until(uplinks, clock, "on")
    async with asyncio.timeout(10):  # the clock stands still: only closing ends the wait
        await uplinks.close()
    assert len(uplinks) == 0
    assert await recorded(book) == "unknown"  # no uplink carries the camera any more


def hide_addresses(sdp: str, names: dict[str, str] | None = None) -> str:
    """``sdp`` as a browser that hides its addresses offers it: every host candidate under
    an mDNS name, and end-of-candidates (as Firefox does). ``names`` collects the names
    given to each address; nobody answers for them unless the caller publishes them."""
    names = {} if names is None else names
    lines = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:") and " typ host" in line:
            fields = line.split(" ")
            fields[4] = names.setdefault(fields[4], f"{uuid.uuid4()}.local")
            line = " ".join(fields)
        lines.append(line)
    assert "a=end-of-candidates" in lines and names
    return "\r\n".join(lines) + "\r\n"


def answered_hosts(answer: str) -> set[str]:
    return {line.split(" ")[4] for line in answer.splitlines() if line.startswith("a=candidate:")}


async def frame_analysed(uplinks: UplinkPeers) -> None:
    """Wait until the mentor's uplink has analysed a frame: it connected, and video flows."""

    def analysed() -> bool:
        tracker = uplinks.camera("s1", "mentor")
        return tracker is not None and tracker.last_frame_at is not None

    await eventually(analysed)


@pytest.mark.parametrize("addresses", [("127.0.0.1",), None], ids=["loopback", "every-interface"])
async def test_an_offer_with_only_hidden_addresses_connects_through_the_browsers_checks(
    config, book, clock, peers, addresses
):
    uplinks = UplinkPeers(dataclasses.replace(config, uplink_addresses=addresses), book, clock)
    try:
        peers.append(
            await open_uplink(
                poster(uplinks, hide_addresses), SyntheticCamera(camera_images.face())
            )
        )
        await frame_analysed(uplinks)
        answer = uplinks.peer("s1", "mentor").localDescription.sdp
    finally:
        await uplinks.close()
    if addresses is not None:
        assert answered_hosts(answer) == set(addresses)


async def test_the_uplink_offers_and_binds_only_its_addresses(config, book, clock, peers):
    limited = dataclasses.replace(config, uplink_addresses=("127.0.0.1",))
    uplinks = UplinkPeers(limited, book, clock)
    try:
        client = await open_uplink(poster(uplinks), SyntheticCamera(camera_images.face()))
        peers.append(client)
        await frame_analysed(uplinks)
        server = uplinks.peer("s1", "mentor")
        assert answered_hosts(server.localDescription.sdp) == {"127.0.0.1"}
        # Every socket the server's peer bound is one of its candidates.
        gatherer = server.getTransceivers()[0].receiver.transport.transport.iceGatherer
        assert {c.ip for c in gatherer.getLocalCandidates()} == {"127.0.0.1"}
        # The client, in the same process, still gathers on its own interfaces.
        assert "127.0.0.1" not in answered_hosts(client.localDescription.sdp)
    finally:
        await uplinks.close()


async def test_hidden_addresses_are_resolved_when_the_uplink_may_use_every_interface(
    config, book, clock, peers
):
    uplinks = UplinkPeers(dataclasses.replace(config, uplink_addresses=None), book, clock)
    names: dict[str, str] = {}
    # The browser's side of mDNS: it answers for its names once it has sent its offer.
    browser = object()
    responder = await aioice.ice.get_or_create_mdns_protocol(browser)

    async def post(offer: dict[str, str]) -> dict[str, str]:
        hidden = RTCSessionDescription(sdp=hide_addresses(offer["sdp"], names), type="offer")
        for address, name in names.items():
            await responder.publish(name, address)
        answer = await uplinks.accept("s1", "mentor", hidden)
        return {"type": answer.type, "sdp": answer.sdp}

    try:
        peers.append(await open_uplink(post, SyntheticCamera(camera_images.face())))
        await frames_until(uplinks, clock, "on")
        ice = uplinks.peer("s1", "mentor").getTransceivers()[0].receiver.transport.transport
        await eventually(lambda: {c.ip for c in ice.getRemoteCandidates()} & {*names.values()})
    finally:
        await uplinks.close()
        await aioice.ice.unref_mdns_protocol(browser)
