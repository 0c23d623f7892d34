"""Headless Chromium (Debian's ``chromium``) driven over the DevTools protocol, for the browser tests of pages
people look at: what a DOM dump cannot tell (clicks and typing, layout at a phone's width, computed styles)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")


def chromium(profile: str) -> list[str]:
    return [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}"]


class DevToolsPage:
    """One page in a Chromium of its own (own profile, own session: stopped with its helper processes),
    opened at ``url``; ``ready`` runs once the protocol is connected."""

    def __init__(self, url: str = "about:blank") -> None:
        self.url = url
        self._profile = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)
        self._stack = contextlib.ExitStack()
        self._id = 0

    def __enter__(self) -> DevToolsPage:
        from websockets.sync.client import connect

        self.process = subprocess.Popen([*chromium(self._profile.name), "--remote-debugging-port=0", self.url],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            port = self._port()
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
            targets = json.loads(opener.open(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
            page = next(t for t in targets if t["type"] == "page")
            self._socket = self._stack.enter_context(
                connect(page["webSocketDebuggerUrl"], max_size=None, proxy=None, open_timeout=10))
            self.ready()
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self._stop()

    def ready(self) -> None:
        """What a page needs before it is used (waiting for its script, an emulated focus): nothing here."""

    def _stop(self) -> None:
        self._stack.close()
        for number in (signal.SIGTERM, signal.SIGKILL):  # the browser and its helper processes (its own session)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, number)
            try:
                self.process.wait(10)
                break
            except subprocess.TimeoutExpired:
                continue
        self._profile.cleanup()

    def _port(self) -> int:
        marker = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (marker.exists() and marker.read_text().strip()):
            assert self.process.poll() is None, "chromium exited"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.05)
        return int(marker.read_text().split()[0])

    def call(self, method: str, **params: Any) -> dict:
        self._id += 1
        self._socket.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=30))
            if message.get("id") == self._id:
                assert "error" not in message, message
                return message["result"]  # type: ignore[no-any-return]

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def wait(self, condition: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not self.js(condition):
            assert time.monotonic() < deadline, condition
            time.sleep(0.05)
