"""What every answer carries: security headers, no cache for private data, no versions."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import TCPConnector
from aiohttp.test_utils import TestServer

from server.app import make_app, tls_context

PRIVATE_PATHS = ["/", "/mpm", "/api/sessions", "/s/nope?token=x", "/api/nowhere"]


@pytest.mark.parametrize("path", PRIVATE_PATHS)
async def test_pages_and_answers_are_not_cached_and_name_no_versions(client, path, admin_headers):
    response = await client.get(path, headers=admin_headers)

    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Server"] == "mentormeet"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: it would lie


async def test_static_files_may_be_cached(client):
    response = await client.get("/static/common/style.css")

    assert response.status == 200
    assert "Cache-Control" not in response.headers
    assert response.headers["Server"] == "mentormeet"


async def test_a_websocket_handshake_names_no_versions_either(client):
    ws = await client.ws_connect("/ws")

    assert ws._response.headers["Server"] == "mentormeet"
    await ws.close()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1"
    subject = ["-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)]
    subprocess.run([*command.split(), *subject], check=True, capture_output=True)
    return cert, key


async def test_https_answers_tell_browsers_to_stay_on_https(aiohttp_client, config, certificate):
    config = replace(config, tls_cert=certificate[0], tls_key=certificate[1])
    server = TestServer(make_app(config))
    await server.start_server(ssl=tls_context(config))
    client = await aiohttp_client(server, connector=TCPConnector(ssl=False))

    response = await client.get("/")

    assert response.url.scheme == "https"
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
