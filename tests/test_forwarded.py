"""The client's address behind a trusted proxy; a spoofed X-Forwarded-For changes nothing."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import aiohttp
import pytest

from server.app import make_app
from server.config import Config, ConfigError, load_config
from server.forwarded import forwarded_client
from server.throttle import ADMIN_GUESS_BURST
from tests.room_client import hello, receive
from tests.utils import config_for_tests

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1"))


def test_an_untrusted_peer_is_the_client_whatever_it_claims():
    assert forwarded_client("203.0.113.7", ["198.51.100.1"], PROXIES) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_client_is_the_address_it_forwards_for():
    assert forwarded_client("10.0.0.2", ["198.51.100.1"], PROXIES) == "198.51.100.1"


def test_what_the_client_wrote_before_the_proxy_appended_its_address_is_ignored():
    # The client sent "X-Forwarded-For: 192.0.2.99"; the proxy appended what it saw.
    assert forwarded_client("10.0.0.2", ["192.0.2.99, 198.51.100.1"], PROXIES) == "198.51.100.1"
    assert forwarded_client("10.0.0.2", ["192.0.2.99", "198.51.100.1"], PROXIES) == "198.51.100.1"


def test_a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_hop():
    hops = ["192.0.2.99, 198.51.100.1, 10.1.2.3"]

    assert forwarded_client("::1", hops, PROXIES) == "198.51.100.1"


def test_a_hop_that_is_no_address_ends_the_walk_at_the_last_trusted_one():
    assert forwarded_client("10.0.0.2", ["198.51.100.1, unknown"], PROXIES) == "10.0.0.2"
    assert forwarded_client("10.0.0.2", [], PROXIES) == "10.0.0.2"


def test_an_ipv4_peer_on_a_dual_stack_socket_is_trusted_by_its_ipv4_network():
    assert forwarded_client("::ffff:10.0.0.2", ["198.51.100.1"], PROXIES) == "198.51.100.1"


def test_trusted_proxies_are_addresses_or_networks(tmp_path: Path):
    environ = {"MENTORMEET_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"}

    config = load_config(data_dir=tmp_path, environ=environ)

    assert [str(network) for network in config.trusted_proxies] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    ]
    assert load_config(data_dir=tmp_path, environ={}).trusted_proxies == ()
    with pytest.raises(ConfigError, match="MENTORMEET_TRUSTED_PROXIES must be comma-separated"):
        load_config(data_dir=tmp_path, environ={"MENTORMEET_TRUSTED_PROXIES": "proxy.lan"})


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The server behind a proxy on loopback, where the test client connects from."""
    return config_for_tests(tmp_path, MENTORMEET_TRUSTED_PROXIES="127.0.0.0/8")


def forwarded_for(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def open_socket(client, address: str) -> int:
    """The status of a WebSocket handshake from ``address`` as a proxy names it (101 if it
    opened; it stays open until the test ends)."""
    try:
        await client.ws_connect("/ws", headers=forwarded_for(address))
    except aiohttp.WSServerHandshakeError as error:
        return error.status
    return 101


async def wrong_admin_tokens(client, address: str, count: int) -> list[int]:
    headers = {**forwarded_for(address), "Authorization": "Bearer a-wrong-guess"}
    return [(await client.get("/api/sessions", headers=headers)).status for _ in range(count)]


def one_socket_each(tmp_path: Path, **environ: str) -> Config:
    return config_for_tests(tmp_path, MENTORMEET_MAX_CONNECTIONS_PER_ADDRESS="1", **environ)


async def test_behind_a_trusted_proxy_each_client_has_its_own_socket_cap(aiohttp_client, tmp_path):
    client = await aiohttp_client(
        make_app(one_socket_each(tmp_path, MENTORMEET_TRUSTED_PROXIES="127.0.0.1"))
    )

    assert await open_socket(client, "198.51.100.1") == 101
    assert await open_socket(client, "198.51.100.2") == 101
    assert await open_socket(client, "198.51.100.1") == 429


async def test_a_spoofed_header_from_an_untrusted_peer_shares_the_peers_socket_cap(
    aiohttp_client, tmp_path
):
    client = await aiohttp_client(make_app(one_socket_each(tmp_path)))

    assert await open_socket(client, "198.51.100.1") == 101
    assert await open_socket(client, "198.51.100.2") == 429


async def test_behind_a_trusted_proxy_admin_guesses_are_throttled_per_client(client):
    guesser = await wrong_admin_tokens(client, "198.51.100.1", ADMIN_GUESS_BURST + 1)
    assert guesser == [403] * ADMIN_GUESS_BURST + [429]
    assert await wrong_admin_tokens(client, "198.51.100.2", 1) == [403]


async def test_a_spoofed_header_does_not_escape_the_admin_guess_throttle(aiohttp_client, tmp_path):
    client = await aiohttp_client(make_app(config_for_tests(tmp_path)))

    statuses = [
        (await wrong_admin_tokens(client, f"198.51.100.{n}", 1))[0]
        for n in range(ADMIN_GUESS_BURST + 1)
    ]

    assert statuses == [403] * ADMIN_GUESS_BURST + [429]


async def test_a_participant_behind_a_trusted_proxy_joins_the_room(client, session):
    ws = await client.ws_connect("/ws", headers=forwarded_for("198.51.100.1"))
    await hello(ws, session.tokens["mentor"], "mentor-tab-1")

    welcome = await receive(ws, "welcome")

    assert welcome["session"]["participants"]["mentor"]["present"] is True
    await ws.close()
