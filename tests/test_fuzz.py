"""Property-based tests: whatever a client sends, the server answers with a clear error.

Hypothesis throws random and malformed WebSocket messages at a joined connection and
random bodies at the JSON API. Every WebSocket message gets an ``error`` naming what is
wrong (or is a valid message), the connection stays open, and a good call on the same
server keeps relaying; every bad HTTP body gets a 4xx with a JSON ``error``, never a 500.

pytest-asyncio runs each example of an ``async`` ``@given`` test in the test's event loop
(its ``AsyncHypothesisTest`` item), so the fixtures' app and sockets live across the
examples; that sharing is the point here, hence the suppressed
``function_scoped_fixture`` health check.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from server.dashboard import spreadsheet_safe
from server.room_sockets import MAX_MESSAGE_BYTES, MESSAGE_BURST
from server.schemas import (
    AgendaRequest,
    ClientMessage,
    ConcernRequest,
    End,
    Hello,
    RatingRequest,
    ScheduleRequest,
    decode_client_message,
)
from tests.room_client import connect, hello, join, present, receive, receive_any
from tests.utils import (
    ADMIN_TOKEN,
    SESSION_REQUEST,
    ScheduledSession,
    api_state,
    bearer,
    eventually,
)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CLIENT_MESSAGE_TYPES = [
    "hello",
    "signal",
    "end",
    "agenda_check",
    "agenda_note",
    "agenda_add",
    "speaking",
    "camera",
]
SERVER_MESSAGE_TYPES = {"welcome", "peer", "signal", "state", "error"}
FIELD_NAMES = [
    "token",
    "client_id",
    "description",
    "candidate",
    "item_id",
    "done",
    "note",
    "text",
    "speaking",
    "enabled",
    "muted",
    "ended",
]
# A valid hello on a joined connection always earns exactly one "already_joined" error:
# sent after each fuzzed message, its answer marks where that message's answers end.
PROBE = {"type": "hello", "token": "probe", "client_id": "probe-client"}

# --- strategies -----------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**70)
    | st.floats()  # NaN and infinities come out as bare NaN/Infinity: not JSON
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
# Longer than any schema allows, still under the 64 KiB frame limit.
oversized_strings = st.builds(
    lambda char, size: char * size,
    st.characters(codec="utf-8", exclude_categories=["Cs"]),
    st.integers(min_value=1_001, max_value=5_000),
)
field_values = json_values | oversized_strings
messages_of_real_types = st.fixed_dictionaries(
    {"type": st.sampled_from(CLIENT_MESSAGE_TYPES)},
    optional={name: field_values for name in FIELD_NAMES}
    | {"sdp": field_values, "extra": json_values},
)


@dataclass(frozen=True)
class Frame:
    """One WebSocket message as sent: text, or binary."""

    data: str | bytes

    @property
    def message(self) -> ClientMessage | None:
        """The message the server reads in it (by its own schema), or None if invalid."""
        if isinstance(self.data, bytes):
            return None
        try:
            return decode_client_message(self.data)
        except msgspec.DecodeError:
            return None

    @property
    def valid(self) -> bool:
        return self.message is not None


def as_json(value: Any) -> Frame:
    return Frame(json.dumps(value))


def fits(frame: Frame) -> bool:
    """Frames over the limit are refused by aiohttp itself (see the test below)."""
    data = frame.data.encode() if isinstance(frame.data, str) else frame.data
    return len(data) <= MAX_MESSAGE_BYTES


json_frames = json_values.map(as_json)
real_type_frames = messages_of_real_types.map(as_json).filter(fits)
text_frames = (st.text(max_size=300) | oversized_strings).map(Frame).filter(fits)
binary_frames = st.binary(max_size=2_000).map(Frame)

# --- fixtures -------------------------------------------------------------------------


@dataclass
class Barrage:
    """A joined mentor's connection that fuzzed messages go to.

    The connection moves to a freshly scheduled session before it would reach the
    per-connection rate limit (tested in test_limits.py): here every message must be
    answered on its merits, not throttled.
    """

    client: TestClient
    schedule: Callable[..., Awaitable[ScheduledSession]]
    ws: ClientWebSocketResponse | None = None
    sent: int = 0

    async def retire(self) -> None:
        """Leave this room: the next message goes to a fresh session."""
        if self.ws is not None:
            await self.ws.close()
        self.ws = None

    async def connection(self, messages: int) -> ClientWebSocketResponse:
        """The connection, fresh enough to take ``messages`` more without throttling."""
        if self.ws is None or self.sent + messages > MESSAGE_BURST - 10:
            await self.retire()
            session = await self.schedule()
            self.ws, _ = await join(self.client, session, "mentor", "fuzz-mentor-tab")
            self.sent = 1
        self.sent += messages
        return self.ws


@dataclass
class GoodCall:
    """Two participants in another session on the same server, relaying signals."""

    mentor: ClientWebSocketResponse
    mentoree: ClientWebSocketResponse
    relayed: itertools.count = field(default_factory=itertools.count)

    async def assert_relays(self) -> None:
        """One signal goes across, alternating directions to stay well under rate limits."""
        number = next(self.relayed)
        sender, receiver = (
            (self.mentor, self.mentoree) if number % 2 else (self.mentoree, self.mentor)
        )
        candidate = {"candidate": f"candidate:{number} 1 udp 1 127.0.0.1 {5000 + number} typ host"}
        await sender.send_json({"type": "signal", "candidate": candidate})
        assert (await receive(receiver, "signal"))["candidate"] == candidate


@pytest.fixture
async def barrage(client, schedule) -> Barrage:
    return Barrage(client=client, schedule=schedule)


@pytest.fixture
async def good_call(client, session) -> GoodCall:
    mentor, _ = await join(client, session, "mentor")
    mentoree, _ = await join(client, session, "mentoree")
    await receive(mentor, "peer")
    return GoodCall(mentor=mentor, mentoree=mentoree)


async def answers_to(ws: ClientWebSocketResponse, frame: Frame) -> list[dict[str, Any]]:
    """Send ``frame`` then the probe; every message up to the probe's answer."""
    if isinstance(frame.data, bytes):
        await ws.send_bytes(frame.data)
    else:
        await ws.send_str(frame.data)
    await ws.send_json(PROBE)
    probe_answers = 2 if isinstance(frame.message, Hello) else 1
    answers = []
    while probe_answers:
        answer = await receive_any(ws)
        if answer.get("type") == "error" and answer.get("code") == "already_joined":
            probe_answers -= 1
        else:
            answers.append(answer)
    return answers


async def assert_answered_clearly(barrage: Barrage, good_call: GoodCall, frame: Frame) -> None:
    ws = await barrage.connection(messages=2)

    answers = await answers_to(ws, frame)

    assert all(answer.get("type") in SERVER_MESSAGE_TYPES for answer in answers), answers
    errors = [answer for answer in answers if answer["type"] == "error"]
    for error in errors:
        assert set(error) == {"type", "code", "message"}, error
        assert isinstance(error["code"], str) and error["code"], error
        assert isinstance(error["message"], str) and error["message"], error
    codes = [error["code"] for error in errors]
    if frame.valid:
        assert "invalid_message" not in codes
    else:
        assert codes == ["invalid_message"]
    assert not ws.closed
    await good_call.assert_relays()
    if isinstance(frame.message, End):
        await barrage.retire()  # or every later action would only meet "session ended"


# --- WebSocket ------------------------------------------------------------------------


@FUZZ
@given(frame=json_frames)
@example(frame=as_json({"type": "end"}))
@example(frame=as_json({"type": "agenda_check", "item_id": 999, "done": True}))
@example(frame=as_json({"type": "hello", "token": "x", "client_id": "another-tab"}))
@example(frame=Frame("NaN"))
async def test_random_json_values_are_answered_clearly(barrage, good_call, frame):
    await assert_answered_clearly(barrage, good_call, frame)


@FUZZ
@given(frame=real_type_frames)
@example(frame=as_json({"type": "agenda_check", "item_id": 2**64, "done": True}))
@example(frame=as_json({"type": "agenda_check", "item_id": 0, "done": "yes"}))
@example(frame=as_json({"type": "signal", "description": {"type": "offer", "sdp": "v" * 60_001}}))
@example(frame=as_json({"type": "signal", "candidate": {"candidate": 5}}))
@example(frame=as_json({"type": "agenda_add", "text": " " * 50}))
@example(frame=as_json({"type": "camera", "enabled": 1, "muted": False, "ended": False}))
async def test_messages_of_real_types_with_wrong_fields_are_answered_clearly(
    barrage, good_call, frame
):
    await assert_answered_clearly(barrage, good_call, frame)


@FUZZ
@given(frame=text_frames | binary_frames)
@example(frame=Frame(""))
@example(frame=Frame(b""))
@example(frame=Frame(b'{"type": "end"}'))
@example(frame=Frame("{" * 5_000))
async def test_random_text_and_binary_frames_are_answered_clearly(barrage, good_call, frame):
    await assert_answered_clearly(barrage, good_call, frame)


async def left(client: TestClient, session: ScheduledSession) -> bool:
    return not present(await api_state(client, session))["mentor"]


async def test_a_frame_over_the_size_limit_closes_only_that_connection(client, schedule, good_call):
    fuzzed = await schedule()
    ws, _ = await join(client, fuzzed, "mentor", "fuzz-mentor-tab")

    await ws.send_str(json.dumps({"type": "agenda_add", "text": "x" * MAX_MESSAGE_BYTES}))

    # aiohttp refuses the frame itself with 1009 (message too big), as RFC 6455 says.
    message = await ws.receive(timeout=5)
    assert (message.type, message.data) == (WSMsgType.CLOSE, 1009)
    await eventually(lambda: left(client, fuzzed))
    _, welcome = await join(client, fuzzed, "mentor", "fuzz-mentor-tab")
    assert welcome["session"]["participants"]["mentor"]["joins"] == 2
    await good_call.assert_relays()


async def test_a_deeply_nested_message_is_an_invalid_message(client, session):
    ws = await connect(client)
    await hello(ws, session.tokens["mentor"], "mentor-tab-1")
    await receive(ws, "welcome")

    await ws.send_str('{"x": ' + "[" * 5_000 + "]" * 5_000 + ', "type": "end"}')

    assert (await receive(ws, "error"))["code"] == "invalid_message"


# --- HTTP -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    role: str
    schema: type

    def url(self, session: ScheduledSession) -> str:
        return self.path.format(id=session.id)

    def headers(self, session: ScheduledSession) -> dict[str, str]:
        return bearer(ADMIN_TOKEN) if self.role == "mpm" else session.headers(self.role)


ENDPOINTS = [
    Endpoint("POST", "/api/sessions", "mpm", ScheduleRequest),
    Endpoint("PUT", "/api/sessions/{id}/agenda", "mentoree", AgendaRequest),
    Endpoint("POST", "/api/sessions/{id}/concerns", "mentor", ConcernRequest),
    Endpoint("POST", "/api/sessions/{id}/rating", "mentor", RatingRequest),
]
SCHEMA_FIELDS = [
    "mentor",
    "mentoree",
    "name",
    "email",
    "scheduled_start",
    "allotted_minutes",
    "agenda",
    "items",
    "text",
    "minutes",
    "score",
    "comment",
]
bodies = st.one_of(
    json_values.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries({}, optional={name: field_values for name in SCHEMA_FIELDS}).map(
        lambda value: json.dumps(value).encode()
    ),
    st.binary(max_size=2_000),
    st.text(max_size=300).map(str.encode),
    st.integers(min_value=64 * 1024 + 1, max_value=100_000).map(lambda size: b"[" * size),
)
DEEP_BODY = b'{"items": [{"text": "x", "q": ' + b"[" * 5_000 + b"]" * 5_000 + b"}]}"
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/octet-stream",
        "",
    ]
)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.path)
@FUZZ
@given(body=bodies, content_type=content_types)
@example(body=b"", content_type="application/json")
@example(body=b"\xff\xfe{", content_type="application/json")
@example(body=b'{"score": 3}', content_type="text/plain")
@example(body=DEEP_BODY, content_type="application/json")
async def test_random_bodies_get_a_json_4xx_error_never_a_500(
    client, session, endpoint, body, content_type
):
    response = await client.request(
        endpoint.method,
        endpoint.url(session),
        data=body,
        headers={**endpoint.headers(session), "Content-Type": content_type},
    )

    answer = await response.json(content_type=None)
    if response.status < 400:
        # Only a body that is valid for the endpoint may succeed.
        assert content_type.startswith("application/json")
        msgspec.json.decode(body, type=endpoint.schema)
        assert response.status in (200, 201)
    else:
        assert 400 <= response.status < 500, (response.status, answer)
        assert isinstance(answer["error"], str) and answer["error"], answer


async def test_control_characters_in_text_fields_are_refused_naming_the_field(
    client, session, admin_headers
):
    forged = "Ada\r\nBcc: everyone@example.org"
    request = {**SESSION_REQUEST, "mentor": {"name": forged}}
    scheduled = await client.post("/api/sessions", json=request, headers=admin_headers)
    agenda = await client.put(
        f"/api/sessions/{session.id}/agenda",
        json={"items": [{"text": "Goals"}, {"text": "x\n## Nothing to flag"}]},
        headers=session.headers("mentoree"),
    )
    concern = await client.post(
        f"/api/sessions/{session.id}/concerns",
        json={"text": "fine\x1b]0;owned\x07"},
        headers=session.headers("mentor"),
    )

    assert scheduled.status == agenda.status == concern.status == 422
    assert (await scheduled.json())["error"].startswith("mentor.name contains control characters")
    assert (await agenda.json())["error"].startswith("items[1].text contains control")
    assert (await concern.json())["error"].startswith("text contains control characters")
    ws, _ = await join(client, session, "mentor")
    await ws.send_json({"type": "agenda_add", "text": "x\r\n<!--"})
    error = await receive(ws, "error")
    assert (error["code"], error["message"][:24]) == ("invalid_text", "text contains control ch")
    assert len((await api_state(client, session))["agenda"]) == 2


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(1)", "'@SUM(1)"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+33 1 23", "'+33 1 23"),
        ("-2", "'-2"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("Ada = Grace", "Ada = Grace"),
        (-2.5, -2.5),
        (None, None),
    ],
)
def test_csv_cells_that_start_like_a_formula_are_neutralised(text, cell):
    assert spreadsheet_safe(text) == cell


async def test_the_csv_export_runs_no_formula_from_a_name(client, schedule, admin_headers):
    await schedule(mentor={"name": "=HYPERLINK(1)"}, mentoree={"name": "@SUM(1)"})

    export = await client.get("/api/sessions.csv", headers=admin_headers)

    (row,) = csv.DictReader(io.StringIO(await export.text()))
    assert (row["mentor"], row["mentoree"]) == ("'=HYPERLINK(1)", "'@SUM(1)")
