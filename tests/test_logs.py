"""The server's log: what a hostile request line can and cannot put into it."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from server.logs import PathOnlyAccessLogger, RequestSafeLogFilter, printable
from tests.servers import ServerProcess, start_server

SECRET = "SECRETQUERYVALUE"
# Lines a client sends: a fine one, bad headers, a bad method, encoded and raw CR/LF/ESC.
REQUESTS = [
    f"GET /s/abc?token={SECRET}1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    f"GET /s/x?token={SECRET}2 HTTP/1.1\r\nHost: a\x01b\r\n\r\n",
    f"G\x1bET /?token={SECRET}3 HTTP/1.1\r\n\r\n",
    f"GET /api/%0d%0aforged%1b[31m?token={SECRET}4 HTTP/1.1\r\n"
    "Host: a\r\nConnection: close\r\n\r\n",
    f"GET /\x1b[31mred\x7f?token={SECRET}5 HTTP/1.1\r\nHost: a\r\n\r\n",
    f"GET /s/x?token={SECRET}6\rforged HTTP/1.1\r\nHost: a\r\n\r\n",
]
CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Path]]:
    where = tmp_path_factory.mktemp("logs")
    server = start_server(where / "data", where / "server.log")
    yield server, where / "server.log"
    server.kill()


def send_raw(server: ServerProcess, request: str) -> bytes:
    address = urlsplit(server.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as connection:
        connection.sendall(request.encode("latin-1"))
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_no_query_string_or_control_byte_from_a_request_reaches_the_log(served):
    server, log_path = served

    answers = [send_raw(server, request) for request in REQUESTS]
    assert server.stop(timeout=10) == 0

    log = log_path.read_text(errors="replace")
    assert SECRET not in log
    assert not CONTROL_BUT_NEWLINE.search(log)
    assert not re.search(r"^forged", log, re.MULTILINE)
    assert "malformed request from 127.0.0.1: BadHttpMessage (400)" in log
    assert '"GET /api/%0d%0aforged%1b[31m" 404' in log
    for answer in answers:
        assert re.match(rb"HTTP/1\.[01] 4\d\d ", answer), answer
        assert b"aiohttp" not in answer and b"Python" not in answer
        assert b"\r\nServer: mentormeet\r\n" in answer


def test_the_filter_escapes_control_characters_in_any_message():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "got %s", ("a\r\nb\x1b[0m",), None)

    assert RequestSafeLogFilter().filter(record)
    assert record.getMessage() == "got a\\r\\nb\\x1b[0m"
    assert printable("plain text: no change") == "plain text: no change"


def test_the_access_log_leaves_out_passing_health_checks_but_not_failing_ones(caplog):
    logger = PathOnlyAccessLogger(logging.getLogger("access"), "")
    with caplog.at_level(logging.INFO, "access"):
        for path, status in (("/healthz", 200), ("/healthz", 503), ("/mpm", 200)):
            logger.log(make_mocked_request("GET", path), web.Response(status=status), 0.001)

    assert [record.getMessage().split(" ")[1:4] for record in caplog.records] == [
        ['"GET', '/healthz"', "503"],
        ['"GET', '/mpm"', "200"],
    ]
