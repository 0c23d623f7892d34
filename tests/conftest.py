"""Shared test helpers: paths to bundled test data, and a guard that no socket is opened."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# Fuzz tests run the same examples every time (the suite is a gate: a run must not pass or fail by chance, and a
# failure must reproduce). A longer, random hunt: `pytest --hypothesis-profile=hunt`.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("hunt", max_examples=2000, database=None)
settings.load_profile("repeatable")

# The shapes cache (ctdl_tools.validate.shapes) goes to a directory of this run, not the user's ~/.cache.
if "CTDL_TOOLS_CACHE" not in os.environ:
    _CACHE = tempfile.mkdtemp(prefix="ctdl-tools-cache-")
    os.environ["CTDL_TOOLS_CACHE"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent
SAMPLES = REPO / "samples"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything tries to open a network connection."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def sigint_default() -> None:
    """``preexec_fn`` for a child that a test stops with SIGINT: a shell without job control starts background
    commands with SIGINT ignored, Python then keeps ignoring it, and Ctrl-C tests would fail for the runner's
    reason, not the code's (seen running the suite with `&` from a script)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
