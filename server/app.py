"""The aiohttp application: routes, middlewares and the resources they share."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib.resources import files

import jinja2
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from server import api, pages
from server.config import Config
from server.errors import api_errors
from server.keys import BOOK, CONFIG, HUB, STORE, TEMPLATES, TIMEKEEPER
from server.sessions import SessionBook
from server.signalling import RoomHub
from server.store import SqliteEventStore
from server.timekeeper import Timekeeper

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


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Logs requests without their query string, where invite tokens travel."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %.3fs',
            request.remote,
            request.method,
            request.path,
            response.status,
            time,
        )


@web.middleware
async def security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Lock pages to our own origin and keep tokens out of referrers, errors included."""
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers.update(SECURITY_HEADERS)
        raise
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def websocket(request: web.Request) -> web.WebSocketResponse:
    return await request.app[HUB].handle(request)


def make_app(config: Config) -> web.Application:
    """Build the application; its store opens on start-up and closes on clean-up."""
    app = web.Application(
        middlewares=[security_headers, api_errors], client_max_size=MAX_BODY_BYTES
    )
    app[CONFIG] = config
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.PackageLoader("web", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )

    async def resources(app: web.Application) -> AsyncIterator[None]:
        store = await SqliteEventStore(config.database_path).open()
        book = SessionBook(store)
        app[STORE], app[BOOK] = store, book
        app[HUB] = RoomHub(config, book)
        app[TIMEKEEPER] = Timekeeper(book, config.clock)
        book.add_listener(app[HUB].on_recorded)
        book.add_listener(app[TIMEKEEPER].on_recorded)
        await app[TIMEKEEPER].resume()
        yield
        await app[TIMEKEEPER].close()
        await store.close()

    async def close_rooms(app: web.Application) -> None:
        await app[HUB].close()

    app.cleanup_ctx.append(resources)
    app.on_shutdown.append(close_rooms)
    app.add_routes(api.routes)
    app.add_routes(pages.routes)
    app.router.add_get("/ws", websocket)
    app.router.add_static("/static", str(files("web") / "static"))
    return app


def run(config: Config) -> None:
    """Serve until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    web.run_app(
        make_app(config),
        host=config.host,
        port=config.port,
        access_log_class=PathOnlyAccessLogger,
        print=None,
    )
