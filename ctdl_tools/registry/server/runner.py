"""Running the app: ``serve`` (foreground, the CLI) and ``start_embedded`` (a background thread).

Both bind the listening socket themselves before uvicorn starts, so port 0 (a free port) is known — and
the base URL built from it — before the app is created.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from ctdl_tools.registry.server.app import OrgSpec, create_app
from ctdl_tools.registry.server.gate import Gate
from ctdl_tools.registry.server.web import MAX_BODY_BYTES

READY_TIMEOUT = 15.0


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_for(host: str, port: int) -> str:
    """The base URL for a bound address (a wildcard address is reached through loopback here)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}"


def _fast_options() -> dict[str, Any]:
    """uvloop + httptools when installed (uvicorn[standard]): several times the pure-Python throughput."""
    return {"loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
            "http": "httptools" if importlib.util.find_spec("httptools") else "h11"}


def _config(app: object, *, log_level: str, access_log: bool, own_logging: bool = True) -> uvicorn.Config:
    # own_logging=False (embedded): leave the host program's logging configuration alone; uvicorn's
    # records still reach its handlers through the root logger.
    options: dict[str, Any] = _fast_options() | ({} if own_logging else {"log_config": None})
    return uvicorn.Config(app, lifespan="on", log_level=log_level, access_log=access_log,  # type: ignore[arg-type]
                          server_header=False, timeout_keep_alive=30, **options)


def serve(host: str = "127.0.0.1", port: int = 0, *, db_path: Path | str = "registry.sqlite",
          base_url: str | None = None, api_keys: Iterable[str] = (), orgs: Iterable[OrgSpec] = (),
          gate: Gate | None = None, log_level: str = "info", access_log: bool = True,
          max_body_bytes: int = MAX_BODY_BYTES) -> None:
    """Serve until interrupted. Prints the bound URL (the first stdout line) so ``--port 0`` is usable."""
    _open_closed_streams()
    sock = bind_socket(host, port)
    bound = url_for(host, sock.getsockname()[1])
    app = create_app(db_path, base_url or bound, api_keys, orgs, gate, max_body_bytes)
    lines = [(bound, sys.stdout)]
    if base_url and base_url.rstrip("/") != bound:
        lines.append((f"base URL: {base_url}", sys.stderr))
    _AnnouncingServer(_config(app, log_level=log_level, access_log=access_log), lines).run(sockets=[sock])


class _AnnouncingServer(uvicorn.Server):
    """Says its URL once it is serving, its Ctrl-C handling in place: printed before (as it was), a SIGINT sent on
    reading the line could land while uvicorn was starting, before its handlers, and the process hung (seen once
    under load in the test that stops a server that way)."""

    def __init__(self, config: uvicorn.Config, lines: list[tuple[str, Any]]) -> None:
        super().__init__(config)
        self._lines = lines

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:
            for line, stream in self._lines:
                print(line, file=stream, flush=True)


def _open_closed_streams() -> None:
    """A server started with standard output or error closed (``>&-``, a service manager's): its URL line and
    uvicorn's log go nowhere, rather than failing to start (uvicorn's logging takes sys.stdout/stderr)."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 (for the process's life)


class EmbeddedRegistry:
    """A registry running in a background thread on 127.0.0.1; ``url`` is ready when constructed."""

    def __init__(self, db_path: Path | str, api_key: str, orgs: Iterable[OrgSpec] = (),
                 base_url: str | None = None, gate: Gate | None = None,
                 max_body_bytes: int = MAX_BODY_BYTES) -> None:
        sock = bind_socket("127.0.0.1", 0)
        self.url = url_for("127.0.0.1", sock.getsockname()[1])
        self.base_url = base_url or self.url
        try:
            app = create_app(db_path, self.base_url, (api_key,) if api_key else (), orgs, gate, max_body_bytes)
        except BaseException:
            sock.close()
            raise
        self._server = uvicorn.Server(_config(app, log_level="warning", access_log=False, own_logging=False))
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(sock,), name="ctdl-registry", daemon=True)
        self._thread.start()
        self._wait_ready()

    def _run(self, sock: socket.socket) -> None:
        try:
            self._server.run(sockets=[sock])
        except BaseException as exc:  # surfaced by _wait_ready / stop
            self._error = exc
        finally:
            sock.close()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"the embedded registry failed to start: {self._error}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the embedded registry did not start in time")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> EmbeddedRegistry:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def start_embedded(db_path: Path | str, api_key: str, orgs: Iterable[OrgSpec] = (),
                   base_url: str | None = None, gate: Gate | None = None,
                   max_body_bytes: int = MAX_BODY_BYTES) -> EmbeddedRegistry:
    """Start a registry on a free loopback port in this process; returns once it answers requests.
    ``max_body_bytes``: the largest request body it takes."""
    return EmbeddedRegistry(db_path, api_key, orgs, base_url, gate, max_body_bytes)
