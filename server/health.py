"""``GET /healthz``: whether this instance can serve, for a load balancer's health checks.

An instance that cannot reach its event store can record nothing, so it answers 503 and
the proxy sends new connections elsewhere. The check is one trivial query with a short
timeout; the answer names no session and no person, needs no token, and is never cached.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from server.keys import STORE

__all__ = ["STORE_TIMEOUT_SECONDS", "routes"]

# Well under a proxy's check interval: a store slower than this is as good as gone.
STORE_TIMEOUT_SECONDS = 2.0
NO_STORE = {"Cache-Control": "no-store"}

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """200 ``{"status": "ok"}`` when the event store answers in time, 503 otherwise."""
    try:
        async with asyncio.timeout(STORE_TIMEOUT_SECONDS):
            await request.app[STORE].ping()
    except Exception as error:  # whatever the driver raises, the store is out of reach
        log.warning("health check: the event store does not answer (%s)", type(error).__name__)
        return web.json_response(
            {"status": "unavailable", "store": "unreachable"}, status=503, headers=NO_STORE
        )
    return web.json_response({"status": "ok", "store": "reachable"}, headers=NO_STORE)
