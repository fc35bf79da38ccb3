"""How the server answers a browser's uplink offer: a peer of its own, bound only to the
uplink's addresses, receiving video with tuned receivers.

aiortc does not trickle ICE (aioice#4): the browser sends its offer once gathering is
complete and gets a complete answer back, so one HTTP request sets an uplink up. The
uplink binds only the configured addresses, and connects browsers that hide theirs behind
mDNS names (Firefox): see :mod:`server.ice`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Coroutine
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

from server.config import Config
from server.ice import only_addresses, resolve_hidden, split_offer
from server.receivers import tune_video_receiver

__all__ = ["UplinkOffers", "UplinkRefused"]


class UplinkRefused(ValueError):
    """The offer cannot become an uplink; the message says why."""


class UplinkOffers:
    """Makes the server's uplink peers and answers the offers made to them."""

    def __init__(self, config: Config) -> None:
        self._ice_servers = [
            RTCIceServer(
                urls=server["urls"],
                username=server.get("username"),
                credential=server.get("credential"),
            )
            for server in config.ice_servers
        ]
        self._addresses = config.uplink_addresses
        loopback_only = self._addresses is not None and all(
            ipaddress.ip_address(a).is_loopback for a in self._addresses
        )
        # What to add when an uplink does not connect, should its addresses be the cause.
        self.loopback_hint = (
            " (Firefox does not use loopback: give MENTORMEET_UPLINK_ADDRESSES another"
            " address of this machine)"
            if loopback_only
            else ""
        )

    def new_peer(self) -> RTCPeerConnection:
        """A peer for one uplink, with the configured ICE servers."""
        return RTCPeerConnection(RTCConfiguration(iceServers=self._ice_servers))

    async def answer(
        self, pc: RTCPeerConnection, offer: RTCSessionDescription
    ) -> Coroutine[Any, Any, None] | None:
        """Apply ``offer`` to ``pc`` and set its answer.

        Returns the work that resolves the browser's hidden addresses, for the caller to
        run once the answer is out, or ``None`` when there is none; raises
        :class:`UplinkRefused` for an offer without video.
        """
        offered, hidden = split_offer(offer.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offered, type=offer.type))
        video = [t for t in pc.getTransceivers() if t.kind == "video"]
        if not video:
            raise UplinkRefused("the offer has no video to analyse")
        for transceiver in video:
            tune_video_receiver(transceiver.receiver)
        with only_addresses(self._addresses):
            await pc.setLocalDescription(await pc.createAnswer())
        # Resolving listens on port 5353 of every interface: only for an uplink that may.
        if hidden and self._addresses is None:
            return resolve_hidden(pc, hidden)
        return None
