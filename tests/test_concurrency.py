"""Room integrity under concurrency, and a thousand bad tokens that all stay outside."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import string
import time
from typing import Any

from aiohttp import ClientWebSocketResponse, WSMsgType
from aiohttp.test_utils import TestClient

from server.signalling import CLOSE_REPLACED
from server.sockets import CLOSE_REFUSED, CLOSE_TRY_LATER
from server.tokens import InviteClaims, issue_token
from tests.room_client import OFFER, connect, hello, present, receive, receive_any
from tests.utils import ScheduledSession, api_state, bearer

JOIN_ATTEMPTS_PER_ROLE = 25
BAD_TOKENS = 1000
HTTP_BATCH = 100
WS_BATCH = 50


async def close_frame_code(ws: ClientWebSocketResponse) -> int | None:
    """The code in the server's close frame, skipping messages before it.

    Not ``ws.close_code``: under load aiohttp's client may overwrite the code it received
    with 1006 when its own closing reply finds the connection already gone.
    """
    while True:
        message = await ws.receive(timeout=5)
        if message.type == WSMsgType.CLOSE:
            return message.data
        if message.type in (WSMsgType.CLOSED, WSMsgType.ERROR):
            return None


async def attempt_join(client: TestClient, token: str, client_id: str) -> dict[str, Any]:
    """Connect and say hello; return the first welcome or error, with the socket."""
    ws = await connect(client)
    await hello(ws, token, client_id)
    while (answer := await receive_any(ws))["type"] not in ("welcome", "error"):
        pass
    return {"ws": ws, **answer}


async def test_fifty_simultaneous_joins_admit_exactly_one_per_role(client, session):
    attempts = [
        (role, f"{role}-tab-{number:02}")
        for number in range(JOIN_ATTEMPTS_PER_ROLE)
        for role in ("mentor", "mentoree")
    ]

    answers = await asyncio.gather(
        *(attempt_join(client, session.tokens[role], client_id) for role, client_id in attempts)
    )

    admitted = [answer for answer in answers if answer["type"] == "welcome"]
    refused = [answer for answer in answers if answer["type"] == "error"]
    assert sorted(answer["role"] for answer in admitted) == ["mentor", "mentoree"]
    assert len(refused) == 2 * JOIN_ATTEMPTS_PER_ROLE - 2
    assert {answer["code"] for answer in refused} <= {"room_full", "too_many_joins"}
    for answer in refused:
        assert await close_frame_code(answer["ws"]) == CLOSE_TRY_LATER  # for now, not for good
    state = await api_state(client, session)
    assert present(state) == {"mentor": True, "mentoree": True}
    assert [state["participants"][role]["joins"] for role in ("mentor", "mentoree")] == [1, 1]
    # The two who got in are really connected to each other.
    mentor, mentoree = sorted(admitted, key=lambda answer: answer["role"] != "mentor")
    await mentor["ws"].send_json({"type": "signal", "description": OFFER})
    assert (await receive(mentoree["ws"], "signal"))["description"] == OFFER


async def test_the_same_tab_reconnecting_at_once_leaves_the_newest_connection_in(client, session):
    first = await attempt_join(client, session.tokens["mentor"], "mentor-tab-1")
    mentoree = await attempt_join(client, session.tokens["mentoree"], "mentoree-tab-1")
    assert (first["type"], mentoree["type"]) == ("welcome", "welcome")

    reconnects = await asyncio.gather(
        *(attempt_join(client, session.tokens["mentor"], "mentor-tab-1") for _ in range(5))
    )

    assert [answer["type"] for answer in reconnects] == ["welcome"] * 5
    # Joins are counted in the order the hub admitted them: the highest is the newest.
    by_age = sorted(
        [first, *reconnects],
        key=lambda answer: answer["session"]["participants"]["mentor"]["joins"],
    )
    assert [a["session"]["participants"]["mentor"]["joins"] for a in by_age] == [1, 2, 3, 4, 5, 6]
    newest, older = by_age[-1], by_age[:-1]
    for answer in older:
        assert (await receive(answer["ws"], "error"))["code"] == "replaced"
        assert await close_frame_code(answer["ws"]) == CLOSE_REPLACED
    assert not newest["ws"].closed
    await mentoree["ws"].send_json({"type": "signal", "description": OFFER})
    assert (await receive(newest["ws"], "signal"))["description"] == OFFER
    state = await api_state(client, session)
    assert present(state) == {"mentor": True, "mentoree": True}
    assert state["participants"]["mentor"]["joins"] == 6


# --- a thousand bad tokens ----------------------------------------------------------


def b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def flip_a_bit(text: str, rng: random.Random) -> str:
    """``text`` (base64url) with one bit of what it encodes flipped."""
    raw = bytearray(b64decode(text))
    raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
    return b64encode(bytes(raw))


def with_payload(token: str, change: dict[str, Any]) -> str:
    """``token`` with its payload fields changed and its original signature kept."""
    payload, _, signature = token.partition(".")
    body = {**json.loads(b64decode(payload)), **change}
    return f"{b64encode(json.dumps(body, separators=(',', ':')).encode())}.{signature}"


# How many of each kind of bad token; a thousand in all.
BAD_TOKEN_KINDS = {
    "random string": 200,
    "bit-flipped signature": 150,
    "bit-flipped payload": 150,
    "signed with a wrong key": 150,
    "expired": 150,
    "a session that does not exist": 100,
    "another session": 50,
    "role swapped in the payload": 25,
    "expiry extended in the payload": 25,
}


def bad_tokens(
    secret: bytes, session: ScheduledSession, other: ScheduledSession
) -> list[tuple[str, str]]:
    """Tokens none of which may open ``session``, as (kind, token); the same every run."""
    rng = random.Random(7)
    now = time.time()
    alphabet = string.ascii_letters + string.digits + "-_."
    valid = list(session.tokens.values())

    def role() -> str:
        return rng.choice(["mentor", "mentoree"])

    def signed(secret: bytes, session_id: str, expires_at: float) -> str:
        return issue_token(
            secret, InviteClaims(session_id=session_id, role=role(), expires_at=expires_at)
        )

    def flipped(part: int) -> str:
        parts = rng.choice(valid).split(".")
        parts[part] = flip_a_bit(parts[part], rng)
        return ".".join(parts)

    def role_swapped() -> str:
        mine = role()
        theirs = "mentoree" if mine == "mentor" else "mentor"
        return with_payload(session.tokens[mine], {"r": theirs})

    make = {
        "random string": lambda: "".join(
            rng.choice(alphabet) for _ in range(rng.randrange(1, 200))
        ),
        "bit-flipped signature": lambda: flipped(1),
        "bit-flipped payload": lambda: flipped(0),
        "signed with a wrong key": lambda: signed(rng.randbytes(16), session.id, now + 3600),
        "expired": lambda: signed(secret, session.id, now - rng.uniform(1, 10**6)),
        "a session that does not exist": lambda: signed(
            secret, f"no-such-{rng.randrange(10**9)}", now + 3600
        ),
        "another session": lambda: rng.choice(list(other.tokens.values())),
        "role swapped in the payload": role_swapped,
        "expiry extended in the payload": lambda: with_payload(
            rng.choice(valid), {"e": int(now) + rng.randrange(10**3, 10**8)}
        ),
    }
    return [(kind, make[kind]()) for kind, count in BAD_TOKEN_KINDS.items() for _ in range(count)]


async def test_a_thousand_forged_tampered_expired_and_misdirected_tokens_are_refused(
    client, schedule, config
):
    session, other = await schedule(), await schedule()
    tokens = bad_tokens(config.secret, session, other)
    assert len(tokens) == BAD_TOKENS
    assert len({token for _, token in tokens}) >= 850  # bit flips of two tokens repeat a little

    async def http_status(token: str) -> tuple[int, Any]:
        response = await client.get(f"/api/sessions/{session.id}", headers=bearer(token))
        return response.status, await response.json()

    statuses = []
    for start in range(0, BAD_TOKENS, HTTP_BATCH):
        batch = tokens[start : start + HTTP_BATCH]
        answers = await asyncio.gather(*(http_status(token) for _, token in batch))
        for (kind, token), (status, body) in zip(batch, answers, strict=True):
            if kind in ("another session", "a session that does not exist"):
                expected = {403}
            elif kind == "expired":
                expected = {401}
            else:  # a guess: refused, and throttled per address after a few
                expected = {401, 429}
            assert (status in expected, kind) == (True, kind), token
            assert isinstance(body["error"], str), body
            statuses.append(status)
    assert 429 in statuses

    async def ws_refusal(token: str) -> tuple[str, int | None]:
        ws: ClientWebSocketResponse = await connect(client)
        await hello(ws, token, "intruder-tab")
        code = (await receive(ws, "error"))["code"]
        return code, await close_frame_code(ws)

    # A hello names no session: a genuine token for another session opens that session's
    # room, not this one, so only the others are tried on the WebSocket.
    forged = [(kind, token) for kind, token in tokens if kind != "another session"]
    for start in range(0, len(forged), WS_BATCH):
        batch = forged[start : start + WS_BATCH]
        answers = await asyncio.gather(*(ws_refusal(token) for _, token in batch))
        for (kind, token), answer in zip(batch, answers, strict=True):
            code = "unknown_session" if kind == "a session that does not exist" else "unauthorized"
            assert (answer, kind) == ((code, CLOSE_REFUSED), kind), token

    state = await api_state(client, session)
    assert present(state) == {"mentor": False, "mentoree": False}
    assert [p["joins"] for p in state["participants"].values()] == [0, 0]
    assert state["status"] == "scheduled"
