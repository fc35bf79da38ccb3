"""ICE for the camera uplink: the addresses the server offers, and browsers that hide theirs.

**Addresses.** aiortc gathers a host candidate, binding a UDP socket, on every address of
every interface but loopback (aioice's ``get_host_addresses``), and has no setting to
choose them. :func:`only_addresses` narrows the gathering started inside it to the
addresses browsers are meant to reach. It wraps that module-level function of aioice
once, reading a context variable, so that nothing else in the process (aiortc clients in
tests, for one) is affected. Should a later aioice no longer look addresses up there,
:func:`only_addresses` raises instead of letting the uplink bind every interface.

**Hidden addresses.** Browsers that hide their local addresses offer host candidates
under random mDNS names (``….local``): Firefox by default, Chromium before the page may
use the camera. aioice resolves such names while the offer is applied, waiting up to a
second for each, and Firefox answers those queries only once it has the answer to its
offer (Mozilla bug 1691189), so the wait is always lost. Worse, Firefox ends its offer
with ``a=end-of-candidates``: when no name resolves, aioice has no pair to check and
fails the connection at once, before the browser's checks, which start once it has the
answer, can arrive. :func:`split_offer` takes the names and the end-of-candidates out of
the offer. The answer then goes back at once, and aioice keeps waiting for the browser's
checks, learning its address from them as a peer-reflexive candidate (RFC 8445 section
7.3.1.3), as it does for Chromium's offers, which never say end-of-candidates.
:func:`resolve_hidden` may still resolve the names once the browser has the answer, so
that the server checks towards the browser too; aioice then turns the peer-reflexive
candidate into the host candidate it was.

Firefox neither checks towards a loopback address nor answers a check from one with its
own, so it needs an uplink address other than loopback, even on the server's machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ipaddress
import logging
from collections.abc import Callable, Iterator, Sequence

import aioice.ice
from aioice.mdns import is_mdns_hostname
from aiortc import RTCIceCandidate, RTCPeerConnection
from aiortc.sdp import candidate_from_sdp

__all__ = ["only_addresses", "resolve_hidden", "split_offer"]

log = logging.getLogger(__name__)

_ALLOWED: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "uplink_addresses", default=None
)


def _wrap_host_addresses() -> bool:
    """Let :func:`only_addresses` narrow aioice's host address lookup; whether it can."""
    original: Callable[..., list[str]] | None = getattr(aioice.ice, "get_host_addresses", None)
    if original is None:
        return False
    if getattr(original, "__wrapped__", None) is not None:
        return True  # wrapped already (this module imported twice)

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        allowed = _ALLOWED.get()
        if allowed is None:
            return original(use_ipv4, use_ipv6)
        wanted = {4: use_ipv4, 6: use_ipv6}
        return [a for a in allowed if wanted[ipaddress.ip_address(a).version]]

    get_host_addresses.__wrapped__ = original  # type: ignore[attr-defined]
    aioice.ice.get_host_addresses = get_host_addresses
    return True


_CAN_CHOOSE = _wrap_host_addresses()


@contextlib.contextmanager
def only_addresses(addresses: Sequence[str] | None) -> Iterator[None]:
    """ICE gathering started inside this block binds ``addresses`` only (``None``: every
    interface but loopback, aioice's default).

    Raises :class:`RuntimeError` when aioice can no longer be told which addresses to use.
    """
    if addresses is not None and not _CAN_CHOOSE:
        raise RuntimeError("this aioice cannot be limited to the configured uplink addresses")
    token = _ALLOWED.set(None if addresses is None else tuple(addresses))
    try:
        yield
    finally:
        _ALLOWED.reset(token)


def split_offer(sdp: str) -> tuple[str, list[RTCIceCandidate]]:
    """The offer without end-of-candidates and without its candidates named by mDNS, and
    those candidates (with their media section's index)."""
    kept: list[str] = []
    hidden: list[RTCIceCandidate] = []
    section = -1
    for line in sdp.splitlines():
        if line.startswith("m="):
            section += 1
        elif line == "a=end-of-candidates":
            continue
        elif line.startswith("a=candidate:"):
            candidate = candidate_from_sdp(line.removeprefix("a=candidate:"))
            if is_mdns_hostname(candidate.ip):
                candidate.sdpMLineIndex = section
                hidden.append(candidate)
                continue
        kept.append(line)
    return "\r\n".join(kept) + "\r\n", hidden


async def resolve_hidden(
    pc: RTCPeerConnection, hidden: Sequence[RTCIceCandidate], *, attempts: int = 2
) -> None:
    """Add candidates named by mDNS to ``pc``, resolved on the local network.

    aioice asks once and waits a second; a browser that has just been sent the answer may
    not have published its names yet, so a name nobody answered is asked again.
    """

    async def resolve(candidate: RTCIceCandidate) -> None:
        for _ in range(attempts):
            try:
                await pc.addIceCandidate(candidate)
            except Exception as error:  # no multicast, port 5353 taken …
                log.info("cannot resolve %s: %s", candidate.ip, error)
                return
            if _resolved(pc, candidate):
                return

    # aioice pairs UDP candidates only.
    await asyncio.gather(*(resolve(c) for c in hidden if c.protocol.lower() == "udp"))


def _resolved(pc: RTCPeerConnection, candidate: RTCIceCandidate) -> bool:
    # aioice keeps a resolved mDNS candidate under its name, and drops one it could not
    # resolve; a closed peer has no transceiver left to ask, and nothing left to resolve.
    for transceiver in pc.getTransceivers():
        ice = transceiver.receiver.transport.transport
        for known in ice.getRemoteCandidates():
            if (known.ip, known.port, known.component) == (
                candidate.ip,
                candidate.port,
                candidate.component,
            ):
                return True
    return pc.connectionState == "closed"
