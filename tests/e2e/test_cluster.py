"""Two instances on one PostgreSQL database behind HAProxy (the shipped
``server/deploy/haproxy.cfg``), and one of them killed in the middle of a call.

The mentor's and the mentoree's WebSockets sit on different instances (HAProxy's log says
which). The mentoree's instance gets SIGKILL; the mentoree's page reconnects through the
proxy to the survivor and the call is back within 5 s, with the agenda tick and the
session's clock as they were. Ending the session afterwards delivers its summary to the
webhook once, and every time warning is in the event log once.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    MARK_BEFORE_OUTAGE,
    NEW_CALL_CONNECTED,
    REJOINED,
    wait_for_remote_video,
)
from tests.ports import free_port
from tests.postgres import Cluster, start_cluster_or_skip
from tests.servers import ServerProcess

HAPROXY_CONFIG = Path(__file__).resolve().parents[2] / "server" / "deploy" / "haproxy.cfg"
RECOVERY_SECONDS = 5
# Waited longer than that, so that a slow recovery fails with its time.
PATIENCE_MS = 30_000
# Every instance checks the invites the others signed (the admin token is the launcher's).
SHARED = {"MENTORMEET_SECRET": "cluster-test-signing-secret-0123456789abcdef"}
# HAProxy's httplog line of a request: "frontend backend/server ... "METHOD PATH ...".
ROUTED = re.compile(r' mentormeet instances/(\w+) .*"GET (/\S*) HTTP')


def haproxy_executable() -> str:
    """Debian's haproxy, or skip (fail in CI) when it is not installed."""
    path = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None
    )
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("haproxy is not installed, and CI must run the cluster test")
        pytest.skip("haproxy is not installed (apt-get install haproxy)")
    return path


class Webhook:
    """The MPM's webhook endpoint on loopback: counts each delivery by its id."""

    def __init__(self) -> None:
        self.received: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                with webhook.lock:
                    webhook.received[self.headers["webhook-id"]] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Deployment:
    """A PostgreSQL cluster, two instances on it and HAProxy in front, as the README says."""

    def __init__(self, root: Path, cluster: Cluster, webhook: Webhook, stack: ExitStack) -> None:
        self.cluster = cluster
        self.webhook = webhook
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        environ = {
            **SHARED,
            "MENTORMEET_DATABASE_URL": cluster.url(),
            "MENTORMEET_PUBLIC_URL": self.url,
            "MENTORMEET_TRUSTED_PROXIES": "127.0.0.1",
            "MENTORMEET_WEBHOOK_URL": webhook.url,
            "MENTORMEET_WEBHOOK_SECRET": "cluster-test-webhook-secret",
            "MENTORMEET_OUTBOX_DIR": "",
        }
        self.instances: dict[str, ServerProcess] = {}
        for name in ("instance1", "instance2"):
            instance = ServerProcess(root / name, environ, log_path=root / f"{name}.log")
            stack.callback(instance.kill)
            self.instances[name] = instance
        for instance in self.instances.values():
            instance.wait_until_answering()
        self.proxy_log = root / "haproxy.log"
        proxy_environ = {
            "MENTORMEET_PROXY_BIND": f"127.0.0.1:{port}",
            **{
                f"MENTORMEET_INSTANCE_{n}": f"127.0.0.1:{instance.port}"
                for n, instance in enumerate(self.instances.values(), 1)
            },
        }
        with self.proxy_log.open("wb") as log:
            proxy = subprocess.Popen(
                [haproxy_executable(), "-db", "-f", str(HAPROXY_CONFIG)],
                env={**os.environ, **proxy_environ},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        stack.callback(proxy.wait, timeout=10)
        stack.callback(proxy.terminate)
        deadline = time.monotonic() + 10
        while not self._answering():
            assert proxy.poll() is None, self.proxy_log.read_text()
            assert time.monotonic() < deadline, "haproxy does not answer"
            time.sleep(0.1)

    def _answering(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def websocket_instances(self) -> list[str]:
        """The instance of every WebSocket the proxy has routed, in order."""
        routed = ROUTED.findall(self.proxy_log.read_text(errors="replace"))
        return [instance for instance, path in routed if path == "/ws"]

    def events(self, session_id: str, type_: str) -> list[dict[str, Any]]:
        """The payloads of the session's events of one type, read from PostgreSQL."""

        async def read() -> list[dict[str, Any]]:
            connection = await asyncpg.connect(self.cluster.url())
            try:
                rows = await connection.fetch(
                    "SELECT payload FROM events WHERE session_id = $1 AND type = $2 ORDER BY seq",
                    session_id,
                    type_,
                )
            finally:
                await connection.close()
            return [json.loads(row["payload"]) for row in rows]

        # Playwright's loop runs in this thread: asyncpg gets one of its own elsewhere.
        with concurrent.futures.ThreadPoolExecutor(1) as thread:
            return thread.submit(asyncio.run, read()).result()


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    haproxy_executable()
    with ExitStack() as stack:
        cluster = start_cluster_or_skip()
        stack.callback(cluster.stop)
        webhook = Webhook()
        stack.callback(webhook.close)
        yield Deployment(tmp_path, cluster, webhook, stack)


def join(page: Page, link: str, deployment: Deployment) -> str:
    """Open the room from ``link`` and join; the instance its WebSocket was routed to."""
    before = len(deployment.websocket_instances())
    page.goto(link)
    page.get_by_test_id("join").click()
    page.wait_for_function("() => window.mentormeet?.channel.open", polling=50)
    routed = deployment.websocket_instances()
    assert len(routed) == before + 1, routed
    return routed[-1]


def agenda_checkbox(page: Page, text: str):
    return page.get_by_test_id("agenda-item").filter(has_text=text).get_by_role("checkbox")


def test_killing_an_instance_moves_its_participant_and_the_call_comes_back(
    browser: Browser, deployment: Deployment, tmp_path: Path
) -> None:
    mpm = deployment.instances["instance1"]
    session = mpm.api(
        "POST",
        "/api/sessions",
        {
            "mentor": {"name": "Ada Lovelace"},
            "mentoree": {"name": "Grace Hopper"},
            "scheduled_start": datetime.now(UTC).isoformat(),
            # The one-minute warning falls due as the session starts.
            "allotted_minutes": 1,
            "agenda": ["Goals", "Feedback"],
        },
    )
    session_id = session["id"]
    contexts = [browser.new_context(viewport={"width": 1000, "height": 700}) for _ in range(2)]
    mentor, mentoree = (context.new_page() for context in contexts)
    # One after the other: the proxy sends the second WebSocket to the idle instance.
    on = {"mentor": join(mentor, session["links"]["mentor"], deployment)}
    on["mentoree"] = join(mentoree, session["links"]["mentoree"], deployment)
    assert on["mentor"] != on["mentoree"], on
    for page in (mentor, mentoree):
        assert wait_for_remote_video(page)["width"] > 0
    agenda_checkbox(mentor, "Goals").check()
    expect(agenda_checkbox(mentoree, "Goals")).to_be_checked()
    for page in (mentor, mentoree):
        expect(page.get_by_test_id("time-warning")).to_have_text("1 minute left.")
        page.evaluate(MARK_BEFORE_OUTAGE)
    survivor = next(i for name, i in deployment.instances.items() if name != on["mentoree"])
    before = survivor.api("GET", f"/api/sessions/{session_id}")
    read_before = time.monotonic()

    assert deployment.instances[on["mentoree"]].kill() == -9
    killed_at = time.monotonic()
    mentoree.wait_for_function(REJOINED, polling=50, timeout=PATIENCE_MS)
    rejoined = time.monotonic() - killed_at
    for page in (mentor, mentoree):
        page.wait_for_function(NEW_CALL_CONNECTED, polling=50, timeout=PATIENCE_MS)
        assert wait_for_remote_video(page)["width"] > 0
    call_back = time.monotonic() - killed_at
    print(
        f"after SIGKILL: the mentoree rejoined in {rejoined:.2f} s, the call back {call_back:.2f} s"
    )
    assert call_back < RECOVERY_SECONDS, f"the call came back {call_back:.2f} s after SIGKILL"
    assert deployment.websocket_instances()[-1] != on["mentoree"]
    assert "token=" not in deployment.proxy_log.read_text()  # invite links stay out of logs
    mentoree.screenshot(path=tmp_path / "after-kill-mentoree.png")

    after = survivor.api("GET", f"/api/sessions/{session_id}")
    assert after["status"] == "live"
    assert after["started_at"] == before["started_at"]
    assert (
        before["elapsed_seconds"]
        < after["elapsed_seconds"]
        <= before["elapsed_seconds"] + (time.monotonic() - read_before) + 0.5
    )
    assert [item["done"] for item in after["agenda"]] == [True, False]
    for page in (mentor, mentoree):
        expect(agenda_checkbox(page, "Goals")).to_be_checked()
    assert {role: p["present"] for role, p in after["participants"].items()} == {
        "mentor": True,
        "mentoree": True,
    }

    mentoree.get_by_test_id("end-session").click()
    mentoree.get_by_test_id("confirm-end").click()
    for page in (mentor, mentoree):
        expect(page.get_by_test_id("room-status")).to_contain_text("ended the session")
    deadline = time.monotonic() + 20
    while not (delivered := deployment.events(session_id, "summary_delivered")):
        assert time.monotonic() < deadline, f"no delivery recorded: {deployment.webhook.received}"
        time.sleep(0.2)
    assert delivered == [{"channel": "webhook", "version": 1}]
    assert deployment.webhook.received == {f"summary:{session_id}:v1": 1}
    warnings = [event["minutes_left"] for event in deployment.events(session_id, "warning_sent")]
    assert 1 in warnings
    assert len(warnings) == len(set(warnings)), warnings
    for context in contexts:
        context.close()
