"""Invitations by email through a real SMTP server (aiosmtpd), recorded so they go once,
shown on the dashboard; the calendar file for the MPM to download."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default

import pytest
from aiohttp.test_utils import unused_port

from server.app import make_app
from tests.utils import (
    ADMIN_TOKEN,
    SCHEDULED_START,
    SESSION_REQUEST,
    bearer,
    config_for_tests,
    eventually,
)


def mailing_config(tmp_path, host, port):
    return config_for_tests(
        tmp_path,
        MENTORMEET_SMTP_HOST=host,
        MENTORMEET_SMTP_PORT=str(port),
        MENTORMEET_SMTP_STARTTLS="false",
        MENTORMEET_MPM_EMAIL="mpm@example.org",
        MENTORMEET_MAIL_FROM="mentormeet@example.org",
    )


@pytest.fixture
async def mailing_client(aiohttp_client, tmp_path, smtp_server):
    controller, mailbox = smtp_server
    config = mailing_config(tmp_path, controller.hostname, controller.port)
    return await aiohttp_client(make_app(config)), mailbox


async def upcoming_invites(client, session_id):
    board = await (await client.get("/api/dashboard", headers=bearer(ADMIN_TOKEN))).json()
    row = next(s for s in board["upcoming"] if s["id"] == session_id)
    return row["invites"]


async def test_each_person_with_an_email_gets_their_own_link_and_a_calendar_file(
    mailing_client,
):
    client, mailbox = mailing_client
    request = {**SESSION_REQUEST, "mentoree": {"name": "Grace Hopper", "email": "g@example.org"}}
    response = await client.post("/api/sessions", json=request, headers=bearer(ADMIN_TOKEN))
    created = await response.json()

    invites = await eventually(lambda: _settled(client, created["id"], {"mentor", "mentoree"}))
    assert invites == {"mentor": "sent", "mentoree": "sent"}
    messages = {
        envelope.rcpt_tos[0]: email.message_from_bytes(envelope.content, policy=default)
        for envelope in mailbox.envelopes
    }
    assert set(messages) == {"ada@example.org", "g@example.org"}
    for address, role in (("ada@example.org", "mentor"), ("g@example.org", "mentoree")):
        message: EmailMessage = messages[address]
        assert message["From"] == "mentormeet@example.org"
        text = message.get_body(("plain",)).get_content()
        assert created["links"][role] in text
        (calendar,) = [part for part in message.iter_attachments()]
        assert calendar.get_content_type() == "text/calendar"
        assert calendar.get_param("method") == "REQUEST"
        ics = calendar.get_content()
        assert f"UID:{created['id']}-{role}@mentormeet" in ics
        assert f"DTSTART:{SCHEDULED_START.strftime('%Y%m%dT%H%M%SZ')}" in ics


async def _settled(client, session_id, roles):
    invites = await upcoming_invites(client, session_id)
    return invites if set(invites) == roles and "not sent" not in invites.values() else None


async def test_a_person_without_an_email_is_not_mailed_and_the_board_says_nothing_for_them(
    mailing_client,
):
    client, mailbox = mailing_client
    response = await client.post("/api/sessions", json=SESSION_REQUEST, headers=bearer(ADMIN_TOKEN))
    created = await response.json()

    assert await eventually(lambda: _settled(client, created["id"], {"mentor"})) == {
        "mentor": "sent"
    }
    assert [envelope.rcpt_tos for envelope in mailbox.envelopes] == [["ada@example.org"]]


async def test_an_invitation_the_mail_server_refuses_is_recorded_as_failed(
    aiohttp_client, tmp_path
):
    # Nothing listens on this port: the mail server is down when the session is scheduled.
    client = await aiohttp_client(make_app(mailing_config(tmp_path, "127.0.0.1", unused_port())))
    response = await client.post("/api/sessions", json=SESSION_REQUEST, headers=bearer(ADMIN_TOKEN))
    created = await response.json()

    invites = await eventually(lambda: _settled(client, created["id"], {"mentor"}))
    assert invites["mentor"].startswith("failed: ")


async def test_the_calendar_file_is_for_the_mpm_only(client, session):
    path = f"/api/sessions/{session.id}/invite/mentoree.ics"

    response = await client.get(path, headers=bearer(ADMIN_TOKEN))
    assert response.status == 200
    assert response.content_type == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    ics = await response.text()
    assert "METHOD:REQUEST" in ics
    assert f"UID:{session.id}-mentoree@mentormeet" in ics

    participant = await client.get(path, headers=bearer(session.tokens["mentoree"]))
    assert participant.status in (401, 403)
    assert (await client.get(path)).status in (401, 403)
    missing = await client.get(
        f"/api/sessions/{session.id}/invite/mpm.ics", headers=bearer(ADMIN_TOKEN)
    )
    assert missing.status == 404
