"""Constants, small helpers and fakes shared by the server tests."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from aiohttp import web
from markdown_it import MarkdownIt
from markdown_it.token import Token

from analytics.camera import CameraTracker
from analytics.events import ParticipantJoined, Person, SessionScheduled, SummaryDelivered
from server.clock import ManualClock
from server.config import Config, load_config
from server.dispatcher import Dispatcher
from server.sessions import SessionBook
from server.store import EventStore

T = TypeVar("T")

ADMIN_TOKEN = "admin-token-for-tests-0123456789abcdef"
SECRET = b"secret-for-tests-0123456789abcdefgh"
WEBHOOK_SECRET = b"webhook-secret-for-tests"
PUBLIC_URL = "https://meet.example.org"
# A month ahead on the hour: sessions start within a year, and not in the past.
SCHEDULED_START = (datetime.now(UTC) + timedelta(days=30)).replace(
    hour=14, minute=0, second=0, microsecond=0
)
SCHEDULED_START_Z = SCHEDULED_START.strftime("%Y-%m-%dT%H:%M:%SZ")

# CommonMark with raw HTML, plus GFM's tables, strikethrough and bare-link autolinks.
GFM = MarkdownIt("gfm-like")


def markdown_tokens(markdown: str) -> list[Token]:
    """Every token a GFM renderer makes of ``markdown``, inline children included."""
    found = []
    for token in GFM.parse(markdown):
        found.append(token)
        found.extend(token.children or ())
    return found


SESSION_REQUEST: dict[str, Any] = {
    "mentor": {"name": "Ada Lovelace", "email": "ada@example.org"},
    "mentoree": {"name": "Grace Hopper"},
    "scheduled_start": SCHEDULED_START.isoformat(),
    "allotted_minutes": 45,
    "agenda": ["Career goals", "Code review habits"],
}

# The keys of a summary's JSON that the issue asks for, level by level.
SUMMARY_KEYS = {
    "session_id",
    "mentor",
    "mentoree",
    "scheduled_start",
    "started_at",
    "ended_at",
    "duration_seconds",
    "allotted_minutes",
    "ended_early",
    "overrun_seconds",
    "ended_by",
    "participants",
    "agenda",
    "flags",
}
PARTICIPANT_KEYS = {
    "present_seconds",
    "camera_on_seconds",
    "camera_on_share",
    "face_in_view_seconds",
    "face_in_view_share",
    "camera_unknown_seconds",
    "camera_unknown_share",
    "talk_seconds",
    "talk_share",
    "reconnects",
}
AGENDA_KEYS = {"sent_at", "sent_before_start", "items", "covered", "total"}
ITEM_KEYS = {"text", "done", "note", "seconds"}
FLAG_KEYS = {"code", "tip", "severity", "message"}


@dataclass(frozen=True)
class ScheduledSession:
    """A session scheduled through the API: its JSON answer and the tokens in its links."""

    id: str
    body: dict[str, Any]
    tokens: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        """Headers that present ``role``'s invite token to the API."""
        return bearer(self.tokens[role])


def config_for_tests(data_dir: Path, **environ: str) -> Config:
    """The server's config for tests: their admin token, secret and public URL, and
    ``environ`` (``MENTORMEET_…`` variables) on top."""
    return load_config(
        data_dir=data_dir,
        environ={
            "MENTORMEET_ADMIN_TOKEN": ADMIN_TOKEN,
            "MENTORMEET_SECRET": SECRET.decode(),
            "MENTORMEET_PUBLIC_URL": PUBLIC_URL,
            **environ,
        },
    )


def token_of(link: str) -> str:
    """The invite token in a link's ``token`` query parameter."""
    (token,) = parse_qs(urlsplit(link).query)["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    """Headers that present ``token`` to the API."""
    return {"Authorization": f"Bearer {token}"}


async def api_state(client, session: ScheduledSession) -> dict[str, Any]:
    """The session's JSON as the mentor reads it from the API."""
    response = await client.get(f"/api/sessions/{session.id}", headers=session.headers("mentor"))
    assert response.status == 200
    return await response.json()


async def eventually(check: Callable[[], T | Awaitable[T]]) -> T:
    """Poll ``check`` until it returns something true; give up after 20 seconds."""
    for _ in range(200):
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError("the condition did not hold within 20 s")


async def camera_frames(
    clock: ManualClock,
    tracker_of: Callable[[], CameraTracker | None],
    until: Callable[[CameraTracker], bool],
    *,
    step: float = 0.5,
    limit: float = 30.0,
) -> CameraTracker:
    """Move ``clock`` on by ``step`` each time an uplink has analysed a frame at its time,
    until its camera tracker (from ``tracker_of``) satisfies ``until``: real frames, and
    the clock moved by hand between them. Fails once ``limit`` seconds of the clock passed.
    """

    def analysed_now() -> CameraTracker | None:
        tracker = tracker_of()
        return tracker if tracker is not None and tracker.last_frame_at == clock.now() else None

    start = clock.now()
    while not until(tracker := await eventually(analysed_now)):
        if clock.now() - start >= limit:
            raise AssertionError(f"the camera was still {tracker.state} after {limit} s")
        clock.advance(step)
    return tracker


def recording(event: Any) -> Callable[[Any, float], Any]:
    """A decision for :meth:`server.sessions.SessionBook.execute` that records ``event`` as
    it is, its time included: how a test puts a known fact into a book."""
    return lambda state, at: event


class Recorded:
    """A book listener that lets a test wait until an event has been recorded."""

    def __init__(self):
        self.events = []
        self._changed = asyncio.Condition()

    async def on_recorded(self, state, event):
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def wait_for(self, predicate):
        """Wait (ten seconds at most) until a recorded event satisfies ``predicate``."""
        async with asyncio.timeout(10), self._changed:
            await self._changed.wait_for(lambda: any(map(predicate, self.events)))
        return next(event for event in self.events if predicate(event))


def delivered(channel: str) -> Callable[[Any], bool]:
    """A predicate for ``SummaryDelivered`` through ``channel``."""
    return lambda event: isinstance(event, SummaryDelivered) and event.channel == channel


class CountingDetector:
    """A face detector that notes the size of every picture it is asked to search."""

    def __init__(self, detector: Any) -> None:
        self.detector = detector
        self.searched: list[tuple[int, int]] = []

    def detect(self, gray: Any, size: tuple[int, int]) -> Any:
        self.searched.append(size)
        return self.detector.detect(gray, size)


class Mailbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def readme_verifier():
    """``verify_webhook`` exactly as the README shows it, so the two cannot drift apart."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    (code,) = [block for block in blocks if "def verify_webhook(" in block]
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["verify_webhook"]


verify_webhook = readme_verifier()


@dataclass(frozen=True)
class Received:
    body: bytes
    signature_valid: bool
    idempotency_key: str | None
    content_type: str
    headers: dict[str, str]


class WebhookReceiver:
    """The MPM's side of the webhook: checks the signature as the README says, fails the
    first ``failures``."""

    def __init__(self, secret, failures):
        self.secret = secret
        self.failures = failures
        self.received = []

    async def handle(self, request):
        body = await request.read()
        valid = verify_webhook(self.secret.decode(), request.headers, body)
        self.received.append(
            Received(
                body=body,
                signature_valid=valid,
                idempotency_key=request.headers.get("Idempotency-Key"),
                content_type=request.content_type,
                headers=dict(request.headers),
            )
        )
        if not valid:
            return web.Response(status=401, text="bad signature")
        if len(self.received) <= self.failures:
            return web.Response(status=500, text="try again")
        return web.Response(status=200, text="thanks")


def receiving(secret, failures=0):
    """An app whose webhook receiver checks signatures with ``secret``, and the receiver."""
    receiver = WebhookReceiver(secret, failures=failures)
    app = web.Application()
    app.router.add_post("/hooks/summary", receiver.handle)
    return app, receiver


async def mentor_in_room(store: EventStore, clock: ManualClock) -> SessionBook:
    """A book on ``store`` with session "s1" scheduled at the clock's time and the mentor
    in its room."""
    start = clock.now()
    book = SessionBook(store, clock, Dispatcher())
    await book.schedule(
        SessionScheduled(
            at=start,
            actor="mpm",
            session_id="s1",
            mentor=Person(name="Ada"),
            mentoree=Person(name="Grace"),
            scheduled_start=start,
            allotted_minutes=30,
        )
    )
    await book.execute("s1", recording(ParticipantJoined(at=start, actor="mentor", role="mentor")))
    return book
