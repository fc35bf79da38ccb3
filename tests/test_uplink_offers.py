"""Answering an uplink offer: video only, the uplink's own addresses, and the hidden
addresses of the browser resolved only where the uplink may listen everywhere."""

from __future__ import annotations

import dataclasses

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from server.uplink_offers import UplinkOffers, UplinkRefused
from tests.uplink_client import complete_offer


async def offer_of(kind: str, hide: bool = False) -> RTCSessionDescription:
    """A complete offer sending ``kind``; with ``hide``, its host candidates under mDNS
    names, as Firefox offers them."""
    pc = RTCPeerConnection()
    pc.addTransceiver(kind, direction="sendonly")
    offer = await complete_offer(pc)
    await pc.close()
    sdp = offer["sdp"]
    if hide:
        sdp = "\r\n".join(
            _hidden(line) if line.startswith("a=candidate:") else line for line in sdp.splitlines()
        )
    return RTCSessionDescription(sdp=sdp, type="offer")


def _hidden(candidate: str) -> str:
    fields = candidate.split(" ")
    fields[4] = "4b7e1c52-0f7e-4c1e-9d2f-5a1b3c4d5e6f.local"
    return " ".join(fields)


def answered_hosts(sdp: str) -> set[str]:
    return {line.split(" ")[4] for line in sdp.splitlines() if line.startswith("a=candidate:")}


@pytest.fixture
async def answering():
    """Answers offers as ``offers`` would; closes the peers afterwards."""
    peers: list[RTCPeerConnection] = []

    async def answer(offers: UplinkOffers, offer: RTCSessionDescription):
        pc = offers.new_peer()
        peers.append(pc)
        resolving = await offers.answer(pc, offer)
        return pc, resolving

    yield answer
    for pc in peers:
        await pc.close()


async def test_an_offer_without_video_is_refused(config, answering):
    with pytest.raises(UplinkRefused, match="no video"):
        await answering(UplinkOffers(config), await offer_of("audio"))


async def test_the_answer_offers_only_the_uplinks_addresses_and_says_why_loopback_may_fail(
    config, answering
):
    loopback = UplinkOffers(dataclasses.replace(config, uplink_addresses=("127.0.0.1",)))
    pc, resolving = await answering(loopback, await offer_of("video"))
    assert answered_hosts(pc.localDescription.sdp) == {"127.0.0.1"}
    assert resolving is None
    assert "Firefox does not use loopback" in loopback.loopback_hint
    assert UplinkOffers(dataclasses.replace(config, uplink_addresses=None)).loopback_hint == ""


async def test_hidden_addresses_are_resolved_only_by_an_uplink_on_every_interface(
    config, answering
):
    hidden = await offer_of("video", hide=True)
    limited = UplinkOffers(dataclasses.replace(config, uplink_addresses=("127.0.0.1",)))
    pc, resolving = await answering(limited, hidden)
    assert resolving is None
    assert "end-of-candidates" not in pc.remoteDescription.sdp  # left out, see server.ice
    everywhere = UplinkOffers(dataclasses.replace(config, uplink_addresses=None))
    _, resolving = await answering(everywhere, hidden)
    assert resolving is not None
    resolving.close()  # not run: nobody answers for the name here
