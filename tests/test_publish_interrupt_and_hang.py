"""``ctdl publish`` stopped by Ctrl-C, a registry that accepts connections and never answers, and old journals
holding a registry URL with a user name and password. Every server here is on 127.0.0.1 and started by the test.

* Ctrl-C: what was published stays recorded, what was never sent is not journalled (no ``pending`` row), and
  the command exits 130 with one line, no traceback.
* A registry that never answers: the run stops after about one request timeout, with one message and exit 2
  (as for a registry that refuses connections), and the records never sent are not journalled.
* A journal written by an older version may name a target ``https://user:password@host/``: the password is
  never shown (``registry status``, ``publish --dry-run``) and is gone from the journal once it is written.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ctdl_tools.registry import publish
from ctdl_tools.registry.commands import publish_command, status_command
from ctdl_tools.registry.journal import Journal
from tests.conftest import sigint_default
from tests.publish_support import (
    FakeRegistry,
    ctid_for,
    isolated_from_config,  # noqa: F401 (autouse: keeps config out)
    make_document,
    run_cli,
    serve,
    write_documents,
)
from tests.publish_support import (
    options_for as shared_options,
)
from tests.publish_support import silent_registry as silent_registry

KEY = "interrupt-key-3a9e1c7b5d2f4086"
run = functools.partial(run_cli, key=KEY)
options_for = functools.partial(shared_options, key=KEY)


def journal_rows(path: Path) -> dict[str, tuple[str, str | None]]:
    """ctid → (status, published_digest), read as another process would."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return {r[0]: (r[1], r[2]) for r in db.execute("SELECT ctid, status, published_digest FROM records")}


# --- a slow registry: http.server in threads, each publish answered after a pause ------------------------
@dataclass
class SlowRegistry:
    url: str
    delay: float
    stored: dict[str, str] = field(default_factory=dict)  # ctid -> canonical digest of what it last stored
    answered: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def slow_registry(delay: float) -> Iterator[SlowRegistry]:
    """A direct-API registry on 127.0.0.1 that takes every document and answers after ``delay`` seconds."""
    state = SlowRegistry("", delay)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:  # quiet
            pass

        def _reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            document = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            time.sleep(state.delay)
            ctid = document["@graph"][0]["ceterms:ctid"].lower()
            with state.lock:
                state.stored[ctid] = publish.canonical_digest(document)
            self._reply(201, {"envelope_id": str(uuid.uuid5(uuid.NAMESPACE_URL, ctid)), "changed": True})
            with state.lock:
                state.answered += 1

        def do_GET(self) -> None:
            self._reply(404, {"errors": ["not found"]})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- 1. Ctrl-C ---------------------------------------------------------------------------------------------
class InterruptOnAdvance:
    """A progress reporter that raises KeyboardInterrupt (as Ctrl-C does, on the coordinating thread) when the
    ``at``-th record is settled: deterministic, with requests still queued and in flight behind it."""

    def __init__(self, at: int) -> None:
        self.at, self.seen = at, 0

    def start(self, total: int, done: int = 0) -> None:
        pass

    def advance(self, outcome: publish.Outcome) -> None:
        self.seen += 1
        if self.seen == self.at:
            raise KeyboardInterrupt

    def close(self) -> None:
        pass


def test_interrupt_keeps_what_was_published_and_forgets_what_was_never_sent(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_documents(out, 8)
    journal = out / ".ctdl" / "journal.sqlite"
    with slow_registry(0.2) as registry:
        first = publish.publish([out], options_for(out, registry.url, concurrency=2))
        assert first.counts == {"published": 8} and first.exit_code == 0
        before = journal_rows(journal)
        write_documents(out, 8, version=2)  # every record changed: a re-run sends them all
        # concurrency 2: 4 requests in the pool (2 running, 2 queued); at the 2nd result, 2 are running and
        # 1 is queued that never left.
        with pytest.raises(KeyboardInterrupt):
            publish.publish([out], options_for(out, registry.url, concurrency=2), InterruptOnAdvance(2))
        stored = dict(registry.stored)
    after = journal_rows(journal)
    assert {status for status, _ in after.values()} == {"published"}, after  # no "pending" left behind
    # The journal says, of every record, what the registry has: the new version where it was sent (the requests
    # in flight at the interrupt were let finish and recorded), the old one where it was not.
    assert {ctid: digest for ctid, (_, digest) in after.items()} == stored
    resent = {ctid for ctid in after if after[ctid] != before[ctid]}
    assert 2 <= len(resent) < 8, resent


def test_interrupt_of_a_first_run_journals_no_record_it_did_not_send(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_documents(out, 12)
    with slow_registry(0.2) as registry:
        with pytest.raises(KeyboardInterrupt):
            publish.publish([out], options_for(out, registry.url, concurrency=2), InterruptOnAdvance(2))
        stored = set(registry.stored)
    rows = journal_rows(out / ".ctdl" / "journal.sqlite")
    assert {status for status, _ in rows.values()} == {"published"}, rows
    assert set(rows) == stored and len(rows) < 12


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="needs POSIX signals")
def test_ctrl_c_during_publish_exits_130_in_one_line_and_leaves_nothing_pending(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_documents(out, 30)
    journal = out / ".ctdl" / "journal.sqlite"
    with slow_registry(0.3) as registry:
        process = subprocess.Popen(
            [sys.executable, "-m", "ctdl_tools", "publish", str(out), "--registry", registry.url,
             "--concurrency", "2"],
            env={**os.environ, "CTDL_API_KEY": KEY}, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, preexec_fn=sigint_default)
        try:
            deadline = time.monotonic() + 60
            while registry.answered < 2:  # under way: some published, some in flight, some queued
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the publisher made no progress"
                time.sleep(0.01)
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        stored, url = set(registry.stored), registry.url
    assert process.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.strip().startswith("ctdl: interrupted"), err
    rows = journal_rows(journal)
    assert {status for status, _ in rows.values()} == {"published"}, rows  # nothing pending
    assert set(rows) == stored and 2 <= len(rows) < 30  # every record sent is recorded; no other one is
    # The next run would send the rest, and only the rest.
    rerun = run(publish_command, out, "--registry", url, "--dry-run")
    assert rerun.exit_code == 0 and f"{30 - len(rows)} new, 0 updated, {len(rows)} unchanged" in rerun.stdout


# --- 2. a registry that accepts connections and never answers ----------------------------------------------


@pytest.mark.parametrize("records", [3, 30])
def test_a_registry_that_never_answers_stops_after_the_timeout_with_exit_2(tmp_path: Path, silent_registry: str,
                                                                           records: int) -> None:
    out = tmp_path / "out"
    write_documents(out, records)
    started = time.monotonic()
    result = run(publish_command, out, "--registry", silent_registry, "--timeout", "0.4")
    elapsed = time.monotonic() - started
    assert result.exit_code == 2, result.output
    assert elapsed < 5, f"{elapsed:.1f}s: not one timeout per record"
    # The cause, once (not a line per record), naming the timeout.
    said = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(said) == 1 and said[0].startswith("error: stopped: the registry did not answer"), result.stderr
    assert "0.4s timeout" in said[0]
    assert f"0 published, 0 updated, 0 unchanged, {records} failed" in result.stdout
    rows = journal_rows(out / ".ctdl" / "journal.sqlite")
    # The records whose request went out are failed (they may have landed: sent again next time); the ones
    # never sent are not journalled at all.
    assert {status for status, _ in rows.values()} == {"failed"}, rows
    assert len(rows) <= 8 and (records > 8) <= (len(rows) < records)


def test_a_registry_that_never_answers_stops_status_too(tmp_path: Path, silent_registry: str) -> None:
    out = tmp_path / "out"
    paths = write_documents(out, 12)
    journal = tmp_path / "j.sqlite"
    with Journal(journal) as written:  # twelve records published to that registry, as the journal says
        for n, path in enumerate(paths):
            digest = publish.canonical_digest(make_document(n))
            written.mark_pending(f"direct:{silent_registry}", ctid_for(n), digest, org=None,
                                 ctdl_type="ceterms:Certificate", source=str(path.resolve()))
            written.mark_published(f"direct:{silent_registry}", ctid_for(n), digest, None, 1)
    started = time.monotonic()
    result = run(status_command, out, "--journal", journal, "--registry", silent_registry, "--timeout", "0.4")
    assert result.exit_code == 2, result.output
    assert time.monotonic() - started < 5
    assert result.stderr.count("did not answer") == 1, result.stderr


# --- 3. old journals with a user name and password in the target -------------------------------------------
PASSWORD = "hunter2-Zq8vX"
OLD_URL = f"https://alice:{PASSWORD}@registry.example.org/"
# The journal's table as an older version wrote it (no file_digest column).
OLD_SCHEMA = """
CREATE TABLE records (
    target TEXT NOT NULL,
    ctid TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'published', 'failed', 'deleted')),
    digest TEXT, published_digest TEXT, envelope_id TEXT, org TEXT, ctdl_type TEXT, source TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, updated_at TEXT NOT NULL,
    PRIMARY KEY (target, ctid)
) WITHOUT ROWID;
"""


def old_journal(path: Path, out: Path, other_target: str | None = None) -> None:
    """A journal as an older version left it: records published to ``OLD_URL`` (and, with ``other_target``,
    one record there whose last error quotes the URL)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as db:
        db.executescript(OLD_SCHEMA)
        for n in range(3):
            document = make_document(n)
            digest = publish.canonical_digest(document)
            db.execute("INSERT INTO records VALUES (?, ?, 'published', ?, ?, ?, ?, ?, ?, 1, NULL, ?)",
                       (f"direct:{OLD_URL}", ctid_for(n), digest, digest, str(uuid.uuid4()),
                        document["@graph"][0]["ceterms:ownedBy"][0].rsplit("/", 1)[1], "ceterms:Certificate",
                        str((out / f"{ctid_for(n)}.json").resolve()), "2023-01-01T00:00:00Z"))
        if other_target:
            db.execute("INSERT INTO records VALUES (?, ?, 'failed', ?, NULL, NULL, NULL, 'ceterms:Certificate', "
                       "NULL, 6, ?, ?)",
                       (other_target, ctid_for(7), "0" * 64,
                        f"gave up after 6 attempts: connection error to {OLD_URL}resources/organizations",
                        "2023-01-02T00:00:00Z"))
        db.commit()


def journal_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def test_a_password_in_an_old_journal_target_is_never_shown(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_documents(out, 3)
    journal = out / ".ctdl" / "journal.sqlite"
    registry = FakeRegistry(KEY)
    with serve(registry.app) as running:
        old_journal(journal, out, other_target=f"direct:{running.url}")
        assert PASSWORD.encode() in journal_bytes(journal)
        # status for a target with no records lists the journal's targets: redacted.
        listed = run(status_command, out, "--registry", "http://127.0.0.1:9/")
        assert listed.exit_code == 2
        assert PASSWORD not in listed.output and "https://***@registry.example.org/" in listed.stderr, listed.output
        # status for the target that has a record: its last error is shown, redacted.
        for fmt in ("text", "json"):
            checked = run(status_command, out, "--registry", running.url, "--format", fmt)
            assert PASSWORD not in checked.output, checked.output
            assert "***@registry.example.org" in checked.output
        for fmt in ("text", "json"):
            dry = run(publish_command, out, "--registry", running.url, "--dry-run", "--format", fmt)
            assert dry.exit_code == 0 and PASSWORD not in dry.output, dry.output
        assert PASSWORD.encode() in journal_bytes(journal)  # reading changes nothing
        # The next run that writes the journal stores the target redacted (and the error that quoted it).
        published = run(publish_command, out, "--registry", running.url)
        assert published.exit_code == 0 and PASSWORD not in published.output, published.output
    assert PASSWORD.encode() not in journal_bytes(journal)
    with closing(sqlite3.connect(journal)) as db:
        targets = {row[0] for row in db.execute("SELECT target FROM records")}
        errors = {row[0] for row in db.execute("SELECT last_error FROM records") if row[0]}
    assert targets == {"direct:https://***@registry.example.org/", f"direct:{running.url}"}
    assert all(PASSWORD not in e for e in errors)


# --- limits of the machine ----------------------------------------------------------------------------------
def test_a_limit_on_threads_stops_the_run_with_one_message_and_journals_only_what_was_sent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Found in acceptance testing: under `ulimit -u` publish crashed with "can't start new thread" (exit 3).
    from concurrent.futures import ThreadPoolExecutor

    out = tmp_path / "out"
    write_documents(out, 12)
    real = ThreadPoolExecutor._adjust_thread_count

    def one_thread_only(self: ThreadPoolExecutor) -> None:
        if len(self._threads) >= 1:
            raise RuntimeError("can't start new thread")
        real(self)

    with slow_registry(0.05) as registry:
        monkeypatch.setattr(ThreadPoolExecutor, "_adjust_thread_count", one_thread_only)
        result = publish.publish([out], options_for(out, registry.url, concurrency=4))
        monkeypatch.undo()
        stored = dict(registry.stored)
    assert result.fatal and "refused this process another thread" in result.fatal and result.exit_code == 2
    assert 1 <= len(stored) < 12
    rows = journal_rows(out / ".ctdl" / "journal.sqlite")
    assert {status for status, _ in rows.values()} <= {"published", "failed"}, rows
    assert {c for c, (status, _) in rows.items() if status == "published"} == set(stored)


def test_a_low_soft_limit_on_open_files_is_raised_for_a_publish(tmp_path: Path) -> None:
    # Found in acceptance testing: `ulimit -n 48` failed records with HTTP 500 and connection errors (the local
    # registry's database handles and the requests' sockets). The soft limit is raised to the hard one.
    import resource

    out = tmp_path / "out"
    write_documents(out, 40)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 1024:
        pytest.skip(f"the hard limit on open files is {hard}")

    def low_soft_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (40, hard))

    code = "import sys; from ctdl_tools.cli import main; main(['publish', sys.argv[1], '--concurrency', '16'])"
    done = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=120,
                          preexec_fn=low_soft_limit, env={**os.environ, "CTDL_API_KEY": KEY})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "40 published" in done.stdout and "Traceback" not in done.stderr
