"""The uplink's ICE helpers: offers from browsers that hide their addresses, and the
addresses the server's peer may gather."""

from __future__ import annotations

import asyncio

import aioice.ice

from server.ice import only_addresses, split_offer

# The ICE part of an offer as Firefox makes it with default settings: its host candidates
# under mDNS names, an RTCP component, TCP candidates, end-of-candidates, and the media
# section's mid after its candidates.
FIREFOX_OFFER = """v=0
o=mozilla...THIS_IS_SDPARTA-153.8.0 1 0 IN IP4 0.0.0.0
s=-
t=0 0
a=group:BUNDLE 0
m=video 9 UDP/TLS/RTP/SAVPF 120
c=IN IP4 0.0.0.0
a=candidate:0 1 UDP 2122187007 810feb24-25f2-4fc3-a8f1-5dd220aadc76.local 54932 typ host
a=candidate:1 1 UDP 2122252543 74cfd61f-e80b-4213-b630-584a97f095e7.local 54967 typ host
a=candidate:2 1 TCP 2105458943 810feb24-25f2-4fc3-a8f1-5dd220aadc76.local 9 typ host tcptype active
a=candidate:0 2 UDP 2122187006 810feb24-25f2-4fc3-a8f1-5dd220aadc76.local 60274 typ host
a=candidate:4 1 UDP 1686052607 203.0.113.7 61000 typ srflx raddr 0.0.0.0 rport 0
a=end-of-candidates
a=ice-pwd:b1d35d02eb8a3554f934b9635092c10f
a=ice-ufrag:e58a216b
a=mid:0
a=rtpmap:120 VP8/90000
"""


def test_an_offer_loses_its_mdns_candidates_and_end_of_candidates_and_keeps_the_rest():
    offered, hidden = split_offer(FIREFOX_OFFER.replace("\n", "\r\n"))

    lines = offered.split("\r\n")
    assert [line for line in lines if line.startswith("a=candidate")] == [
        "a=candidate:4 1 UDP 1686052607 203.0.113.7 61000 typ srflx raddr 0.0.0.0 rport 0"
    ]
    assert "a=end-of-candidates" not in lines
    assert "a=ice-ufrag:e58a216b" in lines and "a=mid:0" in lines
    assert offered.endswith("a=rtpmap:120 VP8/90000\r\n")
    assert [(c.ip, c.port, c.component, c.protocol) for c in hidden] == [
        ("810feb24-25f2-4fc3-a8f1-5dd220aadc76.local", 54932, 1, "UDP"),
        ("74cfd61f-e80b-4213-b630-584a97f095e7.local", 54967, 1, "UDP"),
        ("810feb24-25f2-4fc3-a8f1-5dd220aadc76.local", 9, 1, "TCP"),
        ("810feb24-25f2-4fc3-a8f1-5dd220aadc76.local", 60274, 2, "UDP"),
    ]
    assert {c.sdpMLineIndex for c in hidden} == {0}


def test_an_offer_with_plain_addresses_is_left_as_it_is():
    chromium = FIREFOX_OFFER.replace("810feb24-25f2-4fc3-a8f1-5dd220aadc76.local", "192.0.2.9")
    chromium = chromium.replace("74cfd61f-e80b-4213-b630-584a97f095e7.local", "192.0.2.10")
    chromium = chromium.replace("a=end-of-candidates\n", "").replace("\n", "\r\n")

    assert split_offer(chromium) == (chromium, [])


def test_gathering_inside_the_block_sees_only_the_given_addresses():
    everything = aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True)

    with only_addresses(["127.0.0.1", "::1"]):
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1", "::1"]
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == ["127.0.0.1"]
        with only_addresses(None):
            assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == everything
    assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == everything
    assert "127.0.0.1" not in everything  # aioice's own choice: never loopback


async def test_gathering_in_another_task_is_not_limited():
    limited = asyncio.Event()
    release = asyncio.Event()

    async def limit() -> list[str]:
        with only_addresses(["127.0.0.1"]):
            limited.set()
            await release.wait()
            return aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True)

    task = asyncio.ensure_future(limit())
    await limited.wait()
    elsewhere = aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True)
    release.set()

    assert await task == ["127.0.0.1"]
    assert "127.0.0.1" not in elsewhere
