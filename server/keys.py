"""Typed keys for what the application holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jinja2
from aiohttp import web

from server.config import Config
from server.sessions import SessionBook
from server.store import EventStore

if TYPE_CHECKING:
    pass

__all__ = ["BOOK", "CONFIG", "HUB", "STORE", "TEMPLATES", "TIMEKEEPER"]

CONFIG = web.AppKey("config", Config)
STORE = web.AppKey("store", EventStore)
BOOK = web.AppKey("book", SessionBook)
HUB = web.AppKey("hub", "RoomHub")
TEMPLATES = web.AppKey("templates", jinja2.Environment)
TIMEKEEPER = web.AppKey("timekeeper", "Timekeeper")
