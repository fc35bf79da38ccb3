"""The aiohttp application: routes, middlewares and the resources they share."""

from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator
from http import HTTPStatus
from importlib.resources import files

import jinja2
from aiohttp import web, web_response

from server import api, dashboard, deliveries, health, pages, signin, summaries, uplink
from server.channels import channels_from
from server.clock import Clock, SystemClock
from server.config import Config
from server.database import open_database
from server.delivery import SummaryCourier
from server.dispatcher import Dispatcher
from server.errors import api_errors
from server.forwarded import client_address
from server.guards import invite_guard
from server.invites import InviteMailer
from server.keys import (
    ADMIN_GUESSES,
    BOOK,
    CLOCK,
    CONFIG,
    COURIER,
    DISPATCHER,
    HUB,
    INVITES,
    PARTICIPANT_WRITES,
    ROOM_SOCKETS,
    SIGN_OUTS,
    STORE,
    SUMMARY_BOARD,
    TEMPLATES,
    TIMEKEEPER,
    UPLINKS,
)
from server.logs import PathOnlyAccessLogger, RequestSafeLogFilter
from server.neighbours import Neighbours
from server.retention import retention_sweeper
from server.room_sockets import RoomSockets
from server.sessions import SessionBook
from server.sign_outs import SignOuts
from server.signalling import RoomHub
from server.summary_board import SummaryBoard
from server.throttle import admin_guesses, participant_writes
from server.timekeeper import Timekeeper
from server.uplink_peers import UplinkPeers

__all__ = ["make_app"]

# Everything a page needs comes from this origin; media streams are local or WebRTC.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
MAX_BODY_BYTES = 64 * 1024
# Seen by every client: a name, and no versions to look vulnerabilities up by.
SERVER_NAME = "mentormeet"
HSTS = "max-age=31536000"


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Lock pages to our own origin and keep tokens out of referrers and caches.

    A response-prepare signal, not a middleware: every response passes through it (error
    pages and static files too), and it holds nothing while a WebSocket stays open.
    """
    response.headers["Server"] = SERVER_NAME
    if response.status == HTTPStatus.SWITCHING_PROTOCOLS:
        return  # a WebSocket handshake carries no content, and would keep them all call
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith("/static/"):
        # Pages and answers carry tokens or personal data: no cache may keep a copy.
        response.headers.setdefault("Cache-Control", "no-store")
    if request.secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)


async def websocket(request: web.Request) -> web.StreamResponse:
    return await request.app[ROOM_SOCKETS].handle(request)


def make_app(config: Config, clock: Clock | None = None) -> web.Application:
    """Build the application; its store opens on start-up and closes on clean-up.

    ``clock`` is the time every part of it reads (the system's unless a test brings its own).
    """
    clock = SystemClock() if clock is None else clock
    app = web.Application(
        # The client's address first: every limit per address below reads it.
        middlewares=[client_address, api_errors, invite_guard, pages.page_errors],
        client_max_size=MAX_BODY_BYTES,
    )
    app.on_response_prepare.append(security_headers)
    app[CONFIG] = config
    app[CLOCK] = clock
    app[ADMIN_GUESSES] = admin_guesses(clock.monotonic)
    app[PARTICIPANT_WRITES] = participant_writes(clock.monotonic)
    app[SIGN_OUTS] = SignOuts(config.data_dir / "mpm_signouts")
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.PackageLoader("web", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )

    async def resources(app: web.Application) -> AsyncIterator[None]:
        store, cluster = await open_database(config.database or config.database_path, clock)
        dispatcher = Dispatcher()
        book = SessionBook(store, clock, dispatcher)
        app[STORE], app[BOOK], app[DISPATCHER] = store, book, dispatcher
        app[UPLINKS] = UplinkPeers(config, book, clock)
        app[HUB] = RoomHub(config, book, app[UPLINKS], clock, cluster)
        app[ROOM_SOCKETS] = RoomSockets(config, clock, app[HUB])
        app[TIMEKEEPER] = Timekeeper(book, config.clock, clock)
        app[COURIER] = SummaryCourier(
            book, channels_from(config.delivery, clock), config.summary, clock, cluster
        )
        app[SUMMARY_BOARD] = SummaryBoard(config.summary)
        app[INVITES] = InviteMailer(config, book, clock)
        for subscriber in (
            app[HUB],
            app[TIMEKEEPER],
            app[COURIER],
            app[UPLINKS],
            app[SUMMARY_BOARD],
        ):
            dispatcher.subscribe(subscriber.on_recorded)
        for forgetter in (app[TIMEKEEPER], app[COURIER], app[HUB], app[SUMMARY_BOARD]):
            dispatcher.subscribe_deletions(forgetter.forget)
        await app[HUB].resume()
        await app[TIMEKEEPER].resume()
        await app[COURIER].resume()
        neighbours = Neighbours(book, app[HUB], app[TIMEKEEPER], app[COURIER])
        cluster.listen(neighbours, neighbours.tick)
        yield
        await app[UPLINKS].close()  # first: closing an uplink may record its camera state
        await dispatcher.settled()
        await cluster.close()
        await app[COURIER].close()
        await app[INVITES].close()
        await app[TIMEKEEPER].close()
        await store.close()

    async def close_rooms(app: web.Application) -> None:
        await app[ROOM_SOCKETS].close()

    app.cleanup_ctx.append(resources)
    app.cleanup_ctx.append(retention_sweeper)
    app.on_shutdown.append(close_rooms)
    app.add_routes(health.routes)
    app.add_routes(api.routes)
    app.add_routes(signin.routes)
    app.add_routes(uplink.routes)
    app.add_routes(summaries.routes)
    app.add_routes(dashboard.routes)
    app.add_routes(deliveries.routes)
    app.add_routes(pages.routes)
    app.router.add_get("/ws", websocket)
    app.router.add_static("/static", str(files("web") / "static"))
    return app


def tls_context(config: Config) -> ssl.SSLContext | None:
    """The server-side TLS context when HTTPS is configured."""
    if config.tls_cert is None or config.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(config.tls_cert, config.tls_key)
    return context


def run(config: Config) -> None:
    """Serve until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RequestSafeLogFilter())
    # Answers to requests aiohttp cannot parse bypass the app's signals and name aiohttp's
    # version unless told otherwise (aiohttp issues #3288, #8870).
    web_response.SERVER_SOFTWARE = SERVER_NAME  # type: ignore[attr-defined]
    # aioice narrates every ICE check at INFO; only its problems are worth a log line.
    logging.getLogger("aioice").setLevel(logging.WARNING)
    web.run_app(
        make_app(config),
        host=config.host,
        port=config.port,
        ssl_context=tls_context(config),
        access_log_class=PathOnlyAccessLogger,
        print=None,
    )
