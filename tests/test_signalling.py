"""The room over its WebSocket: hello and welcome, relayed signals, errors, leaving, the end."""

import time

from server.tokens import InviteClaims, issue_token
from tests.room_client import (
    CANDIDATE,
    OFFER,
    closed,
    connect,
    hello,
    join,
    present,
    receive,
    receive_each,
    receive_error,
    receive_state,
    started,
)
from tests.utils import api_state


async def test_the_mentor_is_welcomed_as_the_impolite_peer_with_the_session_state(client, session):
    _, welcome = await join(client, session, "mentor")

    assert welcome["role"] == "mentor"
    assert welcome["polite"] is False
    assert welcome["ice_servers"] == []
    assert welcome["session"]["id"] == session.id
    assert welcome["session"]["status"] == "live"
    mentor = welcome["session"]["participants"]["mentor"]
    assert (mentor["name"], mentor["present"], mentor["joins"]) == ("Ada Lovelace", True, 1)
    assert welcome["session"]["participants"]["mentoree"]["present"] is False


async def test_the_mentoree_is_welcomed_as_the_polite_peer(client, session):
    _, welcome = await join(client, session, "mentoree")

    assert welcome["role"] == "mentoree"
    assert welcome["polite"] is True


async def test_the_mentor_hears_when_the_mentoree_joins_and_sees_both_present(client, session):
    mentor, welcome = await join(client, session, "mentor")
    assert welcome["session"]["started_at"] is None

    await join(client, session, "mentoree")

    await receive_each(
        mentor,
        lambda m: m == {"type": "peer", "event": "joined"},
        lambda m: m["type"] == "state" and all(present(m["session"]).values()),
    )
    assert (await api_state(client, session))["started_at"] is not None


async def test_the_api_shows_who_is_in_the_room(client, session):
    await join(client, session, "mentor")
    await join(client, session, "mentoree")

    state = await api_state(client, session)

    assert state["status"] == "live"
    assert state["started_at"] is not None
    assert all(p["present"] for p in state["participants"].values())


async def test_an_offer_is_relayed_to_the_other_participant(client, session):
    mentor, _ = await join(client, session, "mentor")
    mentoree, _ = await join(client, session, "mentoree")

    await mentor.send_json({"type": "signal", "description": OFFER})

    relayed = await receive(mentoree, "signal")
    assert relayed["description"] == OFFER
    assert relayed.get("candidate") is None


async def test_an_ice_candidate_is_relayed_the_other_way(client, session):
    mentor, _ = await join(client, session, "mentor")
    mentoree, _ = await join(client, session, "mentoree")

    await mentoree.send_json({"type": "signal", "candidate": CANDIDATE})

    relayed = await receive(mentor, "signal")
    assert relayed["candidate"]["candidate"] == CANDIDATE["candidate"]
    assert relayed["candidate"]["sdpMid"] == "0"
    assert relayed.get("description") is None


async def test_a_third_connection_from_another_window_finds_the_room_full(client, session):
    mentor, _ = await join(client, session, "mentor", "mentor-tab-1")
    mentoree, _ = await join(client, session, "mentoree")

    intruder = await connect(client)
    await hello(intruder, session.tokens["mentor"], "mentor-tab-2")

    assert await receive_error(intruder) == "room_full"
    assert await closed(intruder) == 4013  # try later: the other window may be gone soon
    # The mentor who was there first keeps the room.
    await mentoree.send_json({"type": "signal", "description": OFFER})
    assert (await receive(mentor, "signal"))["description"] == OFFER
    assert (await api_state(client, session))["participants"]["mentor"]["joins"] == 1


async def test_another_window_that_takes_over_replaces_the_first(client, session):
    first, _ = await join(client, session, "mentor", "mentor-tab-1")
    mentoree, _ = await join(client, session, "mentoree")

    chosen = await connect(client)
    await chosen.send_json(
        {
            "type": "hello",
            "token": session.tokens["mentor"],
            "client_id": "mentor-tab-2",
            "take_over": True,
        }
    )

    assert (await receive(chosen, "welcome"))["role"] == "mentor"
    assert await receive_error(first) == "replaced"
    assert await closed(first) == 4009
    await mentoree.send_json({"type": "signal", "description": OFFER})
    assert (await receive(chosen, "signal"))["description"] == OFFER


async def test_the_same_tab_reconnecting_replaces_its_old_connection(client, session):
    old, _ = await join(client, session, "mentor", "mentor-tab-1")
    mentoree, _ = await join(client, session, "mentoree")

    new, welcome = await join(client, session, "mentor", "mentor-tab-1")

    assert welcome["session"]["participants"]["mentor"]["present"] is True
    assert welcome["session"]["participants"]["mentor"]["joins"] == 2
    assert await receive_error(old) == "replaced"
    assert await closed(old) == 4009
    await mentoree.send_json({"type": "signal", "description": OFFER})
    assert (await receive(new, "signal"))["description"] == OFFER
    assert (await api_state(client, session))["participants"]["mentor"]["present"] is True


async def test_malformed_json_is_an_invalid_message_and_the_connection_stays_usable(
    client, session
):
    ws = await connect(client)

    await ws.send_str("{not json")
    assert await receive_error(ws) == "invalid_message"

    await hello(ws, session.tokens["mentor"], "mentor-tab-1")
    assert (await receive(ws, "welcome"))["role"] == "mentor"


async def test_an_unknown_message_type_is_an_invalid_message(client, session):
    mentor, _ = await join(client, session, "mentor")
    mentoree, _ = await join(client, session, "mentoree")

    await mentor.send_json({"type": "shout", "text": "hello?"})
    assert await receive_error(mentor) == "invalid_message"

    await mentor.send_json({"type": "signal", "description": OFFER})
    assert (await receive(mentoree, "signal"))["description"] == OFFER


async def test_a_signal_with_a_bad_description_is_an_invalid_message(client, session):
    mentor, _ = await join(client, session, "mentor")

    await mentor.send_json({"type": "signal", "description": {"type": "pranswer", "sdp": ""}})

    assert await receive_error(mentor) == "invalid_message"


async def test_a_binary_message_is_an_invalid_message(client, session):
    ws = await connect(client)

    await ws.send_bytes(b'{"type": "end"}')

    assert await receive_error(ws) == "invalid_message"


async def test_a_message_before_hello_is_refused_as_not_joined(client, session):
    ws = await connect(client)

    await ws.send_json({"type": "signal", "description": OFFER})
    assert await receive_error(ws) == "not_joined"

    await hello(ws, session.tokens["mentoree"], "mentoree-tab-1")
    assert (await receive(ws, "welcome"))["role"] == "mentoree"


async def test_a_second_hello_on_a_joined_connection_is_refused(client, session):
    mentor, _ = await join(client, session, "mentor")

    await hello(mentor, session.tokens["mentor"], "mentor-tab-1")

    assert await receive_error(mentor) == "already_joined"


async def test_a_hello_with_a_bad_token_is_unauthorized_and_closed(client, session):
    ws = await connect(client)

    await hello(ws, "not-a-token", "mentor-tab-1")

    assert await receive_error(ws) == "unauthorized"
    assert await closed(ws) == 4003
    assert (await api_state(client, session))["status"] == "scheduled"


async def test_a_hello_with_an_expired_token_is_unauthorized(client, session, config):
    claims = InviteClaims(session_id=session.id, role="mentor", expires_at=time.time() - 1)
    ws = await connect(client)

    await hello(ws, issue_token(config.secret, claims), "mentor-tab-1")

    assert await receive_error(ws) == "unauthorized"


async def test_a_hello_for_a_session_that_does_not_exist_is_refused(client, config):
    claims = InviteClaims(session_id="no-such-session", role="mentor", expires_at=time.time() + 60)
    ws = await connect(client)

    await hello(ws, issue_token(config.secret, claims), "mentor-tab-1")

    assert await receive_error(ws) == "unknown_session"
    assert await closed(ws) == 4003


async def test_ending_the_session_tells_both_and_the_api(client, session):
    mentor, _ = await join(client, session, "mentor")
    mentoree, _ = await join(client, session, "mentoree")

    await mentoree.send_json({"type": "end"})

    for ws in (mentor, mentoree):
        state = await receive_state(ws, lambda s: s["status"] == "ended")
        assert state["ended_by"] == "mentoree"
        assert present(state) == {"mentor": False, "mentoree": False}
    after = await api_state(client, session)
    assert after["status"] == "ended"
    assert after["ended_at"] is not None


async def test_one_participant_alone_cannot_end_a_session_that_has_not_started(client, session):
    mentor, _ = await join(client, session, "mentor")

    await mentor.send_json({"type": "end"})

    assert await receive_error(mentor) == "not_started"
    state = await api_state(client, session)
    assert (state["status"], state["ended_at"]) == ("live", None)


async def test_nobody_can_join_a_session_after_it_ended(client, session):
    mentor, _ = await started(client, session)
    await mentor.send_json({"type": "end"})
    await receive_state(mentor, lambda s: s["status"] == "ended")

    late = await connect(client)
    await hello(late, session.tokens["mentoree"], "mentoree-tab-2")

    assert (await receive(late, "state"))["session"]["status"] == "ended"
    assert await receive_error(late) == "session_ended"
    assert await closed(late) == 4003


async def test_a_participant_who_closes_their_socket_leaves_the_room(client, session):
    mentor, _ = await join(client, session, "mentor")
    mentoree, _ = await join(client, session, "mentoree")
    assert await receive(mentor, "peer") == {"type": "peer", "event": "joined"}

    await mentoree.close()

    assert await receive(mentor, "peer") == {"type": "peer", "event": "left"}
    after = await api_state(client, session)
    assert after["status"] == "live"
    assert present(after) == {"mentor": True, "mentoree": False}
    assert after["participants"]["mentoree"]["joins"] == 1


async def test_the_one_who_stays_sees_the_other_leave_in_the_state(client, session):
    mentor, _ = await join(client, session, "mentor")
    mentoree, _ = await join(client, session, "mentoree")
    await receive_state(mentor, lambda s: all(present(s).values()))

    await mentoree.close()

    state = await receive_state(mentor, lambda s: not present(s)["mentoree"])
    assert present(state) == {"mentor": True, "mentoree": False}


async def test_a_participant_who_left_can_come_back(client, session):
    mentor, _ = await join(client, session, "mentor")
    mentoree, _ = await join(client, session, "mentoree", "mentoree-tab-1")
    await mentoree.close()
    await receive(mentor, "peer")
    assert (await receive(mentor, "peer"))["event"] == "left"

    _, welcome = await join(client, session, "mentoree", "mentoree-tab-2")

    assert welcome["session"]["participants"]["mentoree"]["joins"] == 2
    assert await receive(mentor, "peer") == {"type": "peer", "event": "joined"}


async def test_a_browser_offering_compression_gets_plain_messages(client, session):
    ws = await client.ws_connect("/ws", compress=15)  # as every browser offers
    await hello(ws, session.tokens["mentor"], "mentor-tab")
    assert (await receive(ws, "welcome"))["role"] == "mentor"
    assert ws.compress == 0
