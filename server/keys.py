"""Typed keys for what the application holds."""

from __future__ import annotations

import jinja2
from aiohttp import web

from server.clock import Clock
from server.config import Config
from server.delivery import SummaryCourier
from server.dispatcher import Dispatcher
from server.invites import InviteMailer
from server.room_sockets import RoomSockets
from server.sessions import SessionBook
from server.sign_outs import SignOuts
from server.signalling import RoomHub
from server.store import EventStore
from server.summary_board import SummaryBoard
from server.throttle import Throttle
from server.timekeeper import Timekeeper
from server.uplink_peers import UplinkPeers

__all__ = [
    "ADMIN_GUESSES",
    "BOOK",
    "CLOCK",
    "CONFIG",
    "COURIER",
    "DISPATCHER",
    "HUB",
    "INVITES",
    "PARTICIPANT_WRITES",
    "ROOM_SOCKETS",
    "SIGN_OUTS",
    "STORE",
    "SUMMARY_BOARD",
    "TEMPLATES",
    "TIMEKEEPER",
    "UPLINKS",
]

CONFIG = web.AppKey("config", Config)
CLOCK = web.AppKey("clock", Clock)
STORE = web.AppKey("store", EventStore)
BOOK = web.AppKey("book", SessionBook)
HUB = web.AppKey("hub", RoomHub)
ROOM_SOCKETS = web.AppKey("room_sockets", RoomSockets)
TIMEKEEPER = web.AppKey("timekeeper", Timekeeper)
COURIER = web.AppKey("courier", SummaryCourier)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
UPLINKS = web.AppKey("uplinks", UplinkPeers)
ADMIN_GUESSES = web.AppKey("admin_guesses", Throttle)
PARTICIPANT_WRITES = web.AppKey("participant_writes", Throttle)
SIGN_OUTS = web.AppKey("sign_outs", SignOuts)
INVITES = web.AppKey("invites", InviteMailer)
SUMMARY_BOARD = web.AppKey("summary_board", SummaryBoard)
