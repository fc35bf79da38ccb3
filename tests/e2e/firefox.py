"""Debian's Firefox ESR, driven over WebDriver BiDi, which Firefox speaks natively.

A small synchronous client, enough for an end-to-end test: open a page, run a script in
it, wait for a condition, click like a user, take a screenshot, and collect the page's
errors. Its WebSocket (aiohttp's client) lives on an event loop in a thread of its own,
because sync Playwright holds the test thread's loop. (Playwright's own BiDi driver for
Firefox, 1.65, needs commands ESR 153 does not have, such as
``emulation.setMediaFeaturesOverride``.)

Firefox runs with its default WebRTC settings; the profile only gives it a fake camera
and microphone and lets pages use them without asking.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

__all__ = ["Firefox", "FirefoxError", "firefox_executable"]

PREFS = {
    "media.navigator.streams.fake": True,
    "media.navigator.permission.disabled": True,
    # No internet here: keep Firefox from trying, and from showing first-run pages.
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.disabledForTesting": True,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
}
FLAGS = ["--headless", "--remote-debugging-port=0", "--no-remote"]
LISTENING = "WebDriver BiDi listening on "


class FirefoxError(Exception):
    """A BiDi command failed, or a page script threw."""


def firefox_executable() -> str:
    """Debian's Firefox ESR, or skip (fail in CI) when it is not installed."""
    path = (
        os.environ.get("MENTORMEET_FIREFOX")
        or shutil.which("firefox-esr")
        or shutil.which("firefox")
    )
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("firefox-esr is not installed, and CI must run the end-to-end tests")
        pytest.skip("firefox-esr is not installed (apt-get install firefox-esr)")
    return path


class Firefox:
    """One headless Firefox with one tab, driven over WebDriver BiDi."""

    def __init__(self, executable: str, *, start_timeout: float = 30.0) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="mentormeet-firefox-")
        user_js = "".join(
            f"user_pref({_js(name)}, {_js(value)});\n" for name, value in PREFS.items()
        )
        Path(self._profile.name, "user.js").write_text(user_js)
        self.process = subprocess.Popen(
            [executable, *FLAGS, "--profile", self._profile.name],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "MOZ_CRASHREPORTER_DISABLE": "1"},
        )
        #: Errors the page reported: uncaught exceptions and console.error calls.
        self.errors: list[str] = []
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        try:
            url = self._endpoint(start_timeout)
            self._call(self._connect(url))
            self.command("session.new", capabilities={})
            self.command("session.subscribe", events=["log.entryAdded"])
            tree = self.command("browsingContext.getTree", maxDepth=0)
            self.context = tree["contexts"][0]["context"]
        except BaseException:
            self.close()
            raise

    def _endpoint(self, timeout: float) -> str:
        """The BiDi WebSocket URL Firefox prints once it listens."""
        assert self.process.stderr is not None
        lines: list[str] = []
        found = threading.Event()

        def read() -> None:
            # Read to the end, so that Firefox never blocks on a full pipe.
            for line in self.process.stderr:  # type: ignore[union-attr]
                lines.append(line)
                if LISTENING in line:
                    found.set()
            found.set()  # Firefox exited

        self._stderr_reader = threading.Thread(target=read, daemon=True)
        self._stderr_reader.start()
        if not found.wait(timeout) or not any(LISTENING in line for line in lines):
            raise FirefoxError(f"Firefox did not start:\n{''.join(lines)}")
        address = next(line for line in lines if LISTENING in line).split(LISTENING)[1].strip()
        return address + "/session"

    async def _connect(self, url: str) -> None:
        self._http = aiohttp.ClientSession()
        self._socket = await self._http.ws_connect(url, max_msg_size=0)
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self._socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            payload = message.json()
            if "id" in payload and payload["id"] in self._pending:
                self._pending.pop(payload["id"]).set_result(payload)
            elif payload.get("method") == "log.entryAdded":
                entry = payload["params"]
                if entry["type"] == "javascript" or entry.get("level") == "error":
                    self.errors.append(entry.get("text") or repr(entry))
        for future in self._pending.values():
            future.set_exception(FirefoxError("the connection to Firefox closed"))
        self._pending.clear()

    async def _send(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        command_id = next(self._ids)
        future = self._loop.create_future()
        self._pending[command_id] = future
        await self._socket.send_json({"id": command_id, "method": method, "params": params})
        return await future

    def _call(self, work: Any, timeout: float = 60.0) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout)

    def command(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one BiDi command and return its result; raise if it failed."""
        answer = self._call(self._send(method, params))
        if answer.get("type") == "error":
            raise FirefoxError(f"{method}: {answer['error']}: {answer.get('message')}")
        return answer["result"]

    def goto(self, url: str) -> None:
        """Open ``url`` in the tab and wait until it has loaded."""
        self.command("browsingContext.navigate", context=self.context, url=url, wait="complete")

    def evaluate(self, function: str, *args: Any) -> Any:
        """Call a JavaScript function (source text) in the page, awaiting a promise it
        returns; JSON-like values come back as Python values."""
        result = self.command(
            "script.callFunction",
            functionDeclaration=function,
            arguments=[_remote(arg) for arg in args],
            target={"context": self.context},
            awaitPromise=True,
        )
        if result["type"] == "exception":
            details = result["exceptionDetails"]
            raise FirefoxError(f"the page script threw: {details.get('text')}")
        return _value(result["result"])

    def wait_for(self, predicate: str, *, timeout: float = 20.0, message: str = "") -> Any:
        """Poll a JavaScript function until it returns something truthy; return that.

        A script that throws, as one may while a new page loads, counts as not yet."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.evaluate(predicate)
            except FirefoxError as error:  # the page may be between two documents
                value, last = None, error
            else:
                last = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(message or f"timed out waiting for {predicate}") from last
            time.sleep(0.1)

    def click(self, selector: str) -> None:
        """Click the centre of the first element matching a CSS selector, with the mouse."""
        nodes = self.command(
            "browsingContext.locateNodes",
            context=self.context,
            locator={"type": "css", "value": selector},
            maxNodeCount=1,
        )["nodes"]
        if not nodes:
            raise FirefoxError(f"nothing matches {selector!r}")
        element = {"type": "element", "element": {"sharedId": nodes[0]["sharedId"]}}
        self.command(
            "input.performActions",
            context=self.context,
            actions=[
                {
                    "type": "pointer",
                    "id": "mouse",
                    "actions": [
                        {"type": "pointerMove", "x": 0, "y": 0, "origin": element},
                        {"type": "pointerDown", "button": 0},
                        {"type": "pointerUp", "button": 0},
                    ],
                }
            ],
        )

    def screenshot(self, path: Path) -> None:
        """Save what the tab shows as a PNG."""
        data = self.command("browsingContext.captureScreenshot", context=self.context)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        """Close Firefox (killing it if it does not go) and remove its profile."""
        try:
            if hasattr(self, "_socket") and not self._socket.closed:
                # Firefox may drop the connection before it answers.
                with contextlib.suppress(Exception):
                    self._call(self._send("browser.close", {}), timeout=10)
            if hasattr(self, "_http"):
                self._call(self._http.close(), timeout=10)
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()
            self.process.wait()
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
            # Firefox has exited: its reader gets to the end of the pipe, which can then
            # be closed without pulling it from under that thread.
            if hasattr(self, "_stderr_reader"):
                self._stderr_reader.join(timeout=10)
            if self.process.stderr is not None:
                self.process.stderr.close()
            self._profile.cleanup()


def _js(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def _remote(value: Any) -> dict[str, Any]:
    """A Python value as a BiDi local value (strings, numbers, booleans, None)."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, int | float):
        return {"type": "number", "value": value}
    return {"type": "string", "value": str(value)}


def _value(remote: dict[str, Any]) -> Any:
    """A BiDi remote value as a Python value (nodes and functions as their type name)."""
    match remote["type"]:
        case "undefined" | "null":
            return None
        case "string" | "boolean":
            return remote["value"]
        case "number":
            value = remote["value"]
            return float("nan") if value == "NaN" else value
        case "array":
            return [_value(item) for item in remote.get("value", [])]
        case "object":
            return {key: _value(item) for key, item in remote.get("value", [])}
        case other:
            return other
