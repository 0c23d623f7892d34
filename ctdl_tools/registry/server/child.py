"""The local registry in a process of its own, for a large ``ctdl publish``.

In the publisher's process the server (asyncio) and the client (8 request threads) share one interpreter
lock, so a 10k-record run used one core; in a child process each side has one. The child is this module
run as ``python -m``: it reads its settings as the first line of its standard input (the API key from the
environment: never on a command line, where ``ps`` would show it), prints the bound URL as its first line,
and leaves when its standard input closes — when the publisher stops, however it stops (even ``kill -9``),
the child does not outlive it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

# Longer than SQLite's wait for a locked database, so that its own message ("database is locked") comes
# back, as it does from the registry in a thread.
CHILD_READY_TIMEOUT = 60.0
_KEY = "CTDL_CHILD_REGISTRY_KEY"


class ChildRegistry:
    """``start_child`` 's running registry: ``url``, and a context manager that stops it."""

    def __init__(self, db_path: Path | str, api_key: str, orgs: Iterable[str], base_url: str,
                 max_body_bytes: int | None = None) -> None:
        # On standard input, not in the environment: a state's providers (3,000 organizations) made one
        # variable longer than Linux takes (128 KiB: "Argument list too long").
        settings = json.dumps({"db": str(db_path), "orgs": sorted(orgs), "base_url": base_url,
                               "max_body_bytes": max_body_bytes})
        # The child imports the ctdl_tools this process runs, wherever that comes from, and nothing from the
        # working directory (`python -m` would put it first: a checkout's ctdl_tools/ or a stray uvicorn.py).
        here = str(Path(__file__).resolve().parents[3])
        path = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
        env = {**os.environ, _KEY: api_key, "PYTHONPATH": path, "PYTHONSAFEPATH": "1"}
        # stderr to a file, not a pipe nobody reads while publishing: a full pipe would block the server.
        # Beside the database, which must be writable: a read-only /tmp (a container's) refused every publish of
        # 500 records or more.
        self._errors = tempfile.TemporaryFile(dir=Path(db_path).resolve().parent)  # noqa: SIM115 (stop() closes)
        # Its own session: Ctrl-C in the terminal reaches the publisher only, which finishes the requests in
        # flight and then stops the registry, instead of the registry dropping them.
        self._process = subprocess.Popen([sys.executable, "-m", "ctdl_tools.registry.server.child"], env=env,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors,
                                         start_new_session=True)
        assert self._process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # it stopped already: _first_line says why
            self._process.stdin.write(settings.encode("utf-8") + b"\n")
            self._process.stdin.flush()
        self.url = self._first_line()

    def _first_line(self) -> str:
        assert self._process.stdout is not None
        timer = threading.Timer(CHILD_READY_TIMEOUT, self._process.kill)
        timer.start()
        try:
            line = self._process.stdout.readline().decode("utf-8", "replace").strip()
        finally:
            timer.cancel()
        if not line.startswith("http://"):
            self.stop(keep_errors=True)
            said, _ = self._stderr()
            self._errors.close()
            raise RuntimeError(said[-1] if said else "the child process gave no address")
        return line

    def _stderr(self) -> tuple[list[str], list[str]]:
        """(its own "error: …" messages, every non-empty line) of what the child wrote to stderr so far."""
        self._errors.seek(0)
        lines = [line.strip() for line in self._errors.read().decode("utf-8", "replace").splitlines()]
        self._errors.seek(0, os.SEEK_END)
        lines = [line for line in lines if line]
        return [line[7:] for line in lines if line.startswith("error: ")], lines

    def exited(self) -> str | None:
        """Why the child is gone, if it is ("exited with code 1 (<its last stderr line>)"); None while it
        runs. A publish run whose registry stops answering says this rather than "did not accept
        connections"."""
        code = self._process.poll()
        if code is None:
            return None
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        last = ""
        if not self._errors.closed:
            # Its own "error: …" lines, or a traceback's last line; not its start-up notes.
            said, lines = self._stderr()
            crashed = lines if any(line.startswith("Traceback") for line in lines) else []
            last = (said or crashed or [""])[-1]
        return f"the local registry's process {how}" + (f" ({last})" if last else "")

    def stop(self, keep_errors: bool = False) -> None:
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()  # the child's signal to shut down
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        if not keep_errors:
            self._errors.close()

    def __enter__(self) -> ChildRegistry:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def start_child(db_path: Path | str, api_key: str, orgs: Iterable[str], base_url: str,
                max_body_bytes: int | None = None) -> ChildRegistry:
    """Start the registry in a child process on a free loopback port; returns once its URL is known (the
    socket is listening by then: requests wait in its backlog until the server takes them). ``max_body_bytes``:
    the largest request body it takes (None: the server's default)."""
    return ChildRegistry(db_path, api_key, orgs, base_url, max_body_bytes)


def _leave_when_stdin_closes() -> None:
    def watch() -> None:
        while sys.stdin.buffer.read(1):
            pass
        os.kill(os.getpid(), signal.SIGINT)  # uvicorn's graceful shutdown: requests in flight finish

    threading.Thread(target=watch, name="ctdl-parent-watch", daemon=True).start()


def main() -> None:
    from ctdl_tools.registry.server.runner import serve
    from ctdl_tools.registry.server.web import MAX_BODY_BYTES

    settings = json.loads(sys.stdin.buffer.readline())
    _leave_when_stdin_closes()
    try:
        serve("127.0.0.1", 0, db_path=settings["db"], base_url=settings["base_url"],
              api_keys=[os.environ[_KEY]], orgs=[(org, None) for org in settings["orgs"]], log_level="warning",
              access_log=False, max_body_bytes=settings.get("max_body_bytes") or MAX_BODY_BYTES)
    except Exception as exc:  # one line for the publisher to show (a database that is not one, a locked file)
        print(f"error: {exc}", file=sys.stderr, flush=True)
        os._exit(2)


if __name__ == "__main__":
    main()
