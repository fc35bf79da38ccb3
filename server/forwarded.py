"""The client's address behind a reverse proxy, for every per-address limit.

Behind a proxy every request comes from the proxy's address, so one WebSocket cap and one
admin-guess throttle would hold for everyone. A proxy says whom it forwards for in
``X-Forwarded-For``, appending the address it was connected from; anyone can send that
header too, so it is read only when the connection comes from a trusted proxy
(``MENTORMEET_TRUSTED_PROXIES``), and only as far as trusted hops vouch for it: from the
right, the first address that is not a trusted proxy is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable, Sequence

from aiohttp import web

from server.keys import CONFIG
from server.settings import Network

__all__ = ["client_address", "forwarded_client"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def forwarded_client(peer: str, forwarded_for: Iterable[str], proxies: Sequence[Network]) -> str:
    """The client's address: ``peer`` (the connection's) unless it is a trusted proxy, in
    which case the rightmost address in the ``X-Forwarded-For`` values that no trusted proxy
    has; a hop that is no address ends the walk where trust ends."""
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    client = peer
    address = _address(peer)
    while address is not None and any(address in proxy for proxy in proxies) and hops:
        hop = hops.pop()
        address = _address(hop)
        if address is not None:
            client = str(address)
    return client


@web.middleware
def client_address(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """Hand the handlers a request whose ``remote`` is the client, not the proxy."""
    proxies = request.app[CONFIG].trusted_proxies
    peer = request.remote
    if not proxies or peer is None:
        return handler(request)
    client = forwarded_client(peer, request.headers.getall("X-Forwarded-For", ()), proxies)
    if client == peer:
        return handler(request)
    # Not awaited here: the room's WebSocket would keep a frame of ours for a whole call.
    return handler(request.clone(remote=client))
