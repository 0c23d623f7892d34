"""Robustness findings for ``ctdl publish`` / ``fetch`` / ``unpublish`` / ``registry status``, each against servers
the test starts on 127.0.0.1 (or a loopback port nobody listens on):

1. a rejected key or a registry that is down stops the run, says why once (exit 2), and the journal records
   nothing for the records that were never sent (what was published stays published);
2. a user name or password, a query string or a fragment in the registry URL is refused, never shown or stored;
3. ``fetch`` of several CTIDs prints one JSON text;
4. a refused input leaves no ``.ctdl/`` folder behind; an empty path is not the current folder;
5. a named pipe is read once.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from ctdl_tools.ctid import REGISTRY_BASE
from ctdl_tools.registry import publish
from ctdl_tools.registry.client import Cancelled, RetryPolicy
from ctdl_tools.registry.commands import fetch_command, publish_command, status_command, unpublish_command
from ctdl_tools.registry.journal import Journal
from tests.publish_support import (
    ORG,
    FakeRegistry,
    ctid_for,
    isolated_from_config,  # noqa: F401 (autouse: keeps config out)
    make_document,
    run_cli,
    serve,
    write_documents,
)

KEY = "robust-key-4e8a1c2b9d3f5a7e"
run = functools.partial(run_cli, key=KEY)
WRONG = "wrong-key-6b1d9e3a7c5f2048"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """No backoff between attempts: a registry that is down fails each record at once (the commands take the
    default retry policy, 6 attempts with waits of seconds)."""
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, failures: 0.0)


class Counting:
    """ASGI middleware counting the requests that reach an app, per path."""

    def __init__(self, app: Any) -> None:
        self.app, self.paths = app, Counter()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.paths[scope["path"]] += 1
        await self.app(scope, receive, send)


@contextmanager
def local_registry(tmp_path: Path) -> Iterator[tuple[Counting, str]]:
    """The project's own registry server (as `ctdl registry serve` runs it) with KEY, on 127.0.0.1."""
    from ctdl_tools.registry.server import create_app

    counting = Counting(create_app(tmp_path / "served.sqlite", REGISTRY_BASE, (KEY,), (ORG,)))
    with serve(counting) as running:
        yield counting, running.url


@pytest.fixture
def fake() -> Iterator[tuple[FakeRegistry, str]]:
    registry = FakeRegistry(KEY)
    with serve(registry.app) as running:
        yield registry, running.url


def closed_port_url() -> str:
    with socket.socket() as probe:  # a loopback port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/"


def rows(journal: Path) -> dict[str, tuple]:
    """ctid → (status, published_digest, attempts, last_error)."""
    with closing(sqlite3.connect(journal)) as db:
        return {r[0]: r[1:] for r in db.execute("SELECT ctid, status, published_digest, attempts, last_error "
                                                "FROM records")}


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


# --- 1. a target that refuses us or is gone: stop, say it once, record nothing for what was not sent ---------
def test_a_rejected_key_is_said_once_and_records_never_sent_are_not_journaled(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_documents(out, 60)
    with local_registry(tmp_path) as (counting, url):
        result = run(publish_command, out, "--registry", url, "--concurrency", "2", key=WRONG)
        sent = counting.paths[f"/resources/organizations/{ORG}/documents"]
        journal = rows(out / ".ctdl" / "journal.sqlite")
        again = run(publish_command, out, "--registry", url, "--concurrency", "2", "--format", "json", key=WRONG)
    assert result.exit_code == 2, result.output
    # One message, naming the cause: no line per record.
    errors = error_lines(result)
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("error: the registry rejected the API key from $CTDL_API_KEY: publish: HTTP 401")
    assert WRONG not in result.output and 1 <= sent < 60
    assert f"60 failed ({60 - sent} not sent)" in result.stdout
    # The journal has a row for each record that was sent (refused with 401), none for those never sent.
    assert len(journal) == sent, journal
    assert all(status == "failed" and attempts >= 1 and "HTTP 401" in error
               for status, _, attempts, error in journal.values())
    report = json.loads(again.stdout)  # the JSON report lists every record, and counts the ones not sent
    assert again.exit_code == 2 and report["counts"] == {"failed": 60} and report["not_sent"] >= 1
    assert sum(publish.NOT_SENT in record["messages"] for record in report["records"]) == report["not_sent"]


def test_a_registry_that_is_down_is_said_once_exit_2_and_what_was_published_stays(
        tmp_path: Path, quick_retries: None) -> None:
    out = tmp_path / "out"
    write_documents(out, 40)
    journal = out / ".ctdl" / "journal.sqlite"
    registry = FakeRegistry(KEY)
    with serve(registry.app) as running:
        url = running.url
        assert run(publish_command, out, "--registry", url).exit_code == 0
    before = rows(journal)
    write_documents(out, 40, version=2)  # every record changed; the registry is gone now (same URL, port closed)
    result = run(publish_command, out, "--registry", url, "--concurrency", "2")
    assert result.exit_code == 2, result.output
    assert error_lines(result) == ["error: stopped: the registry did not accept connections for 4 records in a row "
                                   "(gave up after 6 attempts: connection error: ConnectionError); run again when it "
                                   "is back"], result.stderr
    after = rows(journal)
    tried = {c for c, (status, *_) in after.items() if status != "published"}
    assert 4 <= len(tried) < 40 and f"40 failed ({40 - len(tried)} not sent)" in result.stdout
    for ctid, (status, published, attempts, error) in after.items():
        assert published == before[ctid][1]  # what the registry confirmed is still known
        if ctid in tried:  # sent, and failed for the registry's reason: sent again next time
            assert status == "failed" and error != publish.NOT_SENT and attempts >= 1
        else:  # never sent: the row is as it was
            assert (status, published, attempts, error) == before[ctid]


def test_a_registry_name_that_is_not_found_is_said_once_exit_2(tmp_path: Path, quick_retries: None,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # No name is looked up: the resolver is replaced by one that finds nothing (as for a mistyped host).
    real = socket.getaddrinfo

    def nothing_found(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "registry.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", nothing_found)
    write_documents(tmp_path / "out", 20)
    result = run(publish_command, tmp_path / "out", "--registry", "http://registry.invalid:8080/", "--concurrency", "2")
    assert result.exit_code == 2, result.output
    errors = error_lines(result)
    assert len(errors) == 1 and errors[0].startswith("error: stopped: the registry did not accept connections"), \
        result.stderr
    assert "20 failed (" in result.stdout


def test_a_registry_that_is_down_stops_fetch_unpublish_and_status_too(tmp_path: Path, fake: tuple[FakeRegistry, str],
                                                                      quick_retries: None) -> None:
    out = tmp_path / "out"
    write_documents(out, 30)
    journal = out / ".ctdl" / "journal.sqlite"
    _, url = fake
    assert run(publish_command, out, "--registry", url).exit_code == 0
    before = rows(journal)
    down = closed_port_url()
    ctids = [ctid_for(n) for n in range(30)]
    with closing(sqlite3.connect(journal)) as db, db:  # the same records, published to the registry that is down
        db.execute("UPDATE records SET target = ?", (f"direct:{down}",))
    for command, args in ((fetch_command, ctids), (unpublish_command, [*ctids, "--journal", journal]),
                          (status_command, [out])):
        result = run(command, *args, "--registry", down, "--concurrency", "2")
        assert result.exit_code == 2, (command.name, result.output)
        errors = error_lines(result)
        assert len(errors) == 1 and errors[0].startswith("error: stopped: the registry did not accept connections"), \
            (command.name, result.stderr)
    assert {c: r[:2] for c, r in rows(journal).items()} == {c: r[:2] for c, r in before.items()}


def test_a_request_the_run_stopped_before_it_left_gives_the_record_its_row_back(tmp_path: Path) -> None:
    # Which requests are still queued when a run stops depends on timing: the rule is checked directly here.
    journal_path = tmp_path / "journal.sqlite"
    target = "direct:http://127.0.0.1:9/"
    out = tmp_path / "out"
    write_documents(out, 2)
    items = publish.scan(publish.input_files([out]), None, {})
    with Journal(journal_path) as journal:
        for item in items:
            journal.mark_pending(target, item.ctid, item.digest, org=item.org, ctdl_type=item.ctdl_type,
                                 source=item.source)
        journal.mark_published(target, items[0].ctid, items[0].digest, "env-0", 1)
        previous = journal.entries(target)
        for item in items:  # sent again (changed), and the run stops before either request leaves
            journal.mark_pending(target, item.ctid, "f" * 64, org=item.org, ctdl_type=item.ctdl_type,
                                 source=item.source)
        from concurrent.futures import Future

        outcomes = []
        for item, had in ((items[0], previous[items[0].ctid]), (items[1], None)):
            future: Future = Future()
            future.set_exception(Cancelled())
            outcomes.append(publish._record(item, future, journal, target, had))
        assert [(o.action, o.messages) for o in outcomes] == [("failed", [publish.NOT_SENT])] * 2
        now = journal.entries(target)
    assert now == {items[0].ctid: previous[items[0].ctid]}  # as it was, and nothing for the one never recorded
    stopped_after_one = Cancelled(1, "connection error: ConnectionError")
    assert stopped_after_one.attempts == 1 and "after 1 attempt (connection error" in stopped_after_one.message


# --- 2. credentials, queries and fragments in the registry URL ------------------------------------------------
@pytest.mark.parametrize("form", ["user:S3CRETPASS@{host}", "S3CRETPASS@{host}", "user:S3CRET/PASS@{host}",
                                  "{host}/?api_key=S3CRETPASS", "{host}/#S3CRETPASS", "{host}/?"])
def test_userinfo_queries_and_fragments_in_the_registry_url_are_refused_unshown(
        tmp_path: Path, fake: tuple[FakeRegistry, str], form: str) -> None:
    registry, url = fake
    host = url.removeprefix("http://").rstrip("/")
    given = "http://" + form.format(host=host)
    write_documents(tmp_path / "out", 2)
    for command, args in ((publish_command, [tmp_path / "out"]), (fetch_command, [ctid_for(0)]),
                          (unpublish_command, [ctid_for(0)]), (status_command, [tmp_path / "out"])):
        result = run(command, *args, "--registry", given)
        assert result.exit_code == 2, (command.name, result.output)
        assert len(error_lines(result)) == 1 and "Traceback" not in result.output
        assert "S3CRET" not in result.output and "PASS" not in result.output
        assert "CTDL_API_KEY" in result.stderr  # where the key goes instead
    assert not registry.requests and not (tmp_path / "out" / ".ctdl").exists()
    (tmp_path / "ctdl.toml").write_text(f'registry = "{given}"\n', encoding="utf-8")
    from_config = run(publish_command, tmp_path / "out")
    assert from_config.exit_code == 2 and "S3CRET" not in from_config.output
    assert f"{tmp_path / 'ctdl.toml'}: registry: " in from_config.stderr


# --- 3. fetch of several CTIDs ---------------------------------------------------------------------------------
def test_fetch_of_several_ctids_prints_one_json_array_in_the_order_given(tmp_path: Path,
                                                                         fake: tuple[FakeRegistry, str]) -> None:
    registry, url = fake
    for n in range(3):
        registry.documents[make_document(n)["@id"]] = make_document(n)
    several = run(fetch_command, ctid_for(2), ctid_for(0), ctid_for(1), "--registry", url)
    assert several.exit_code == 0, several.output
    assert json.loads(several.stdout) == [make_document(2), make_document(0), make_document(1)]
    one = run(fetch_command, ctid_for(1), "--registry", url)  # one CTID: its document, as before
    assert json.loads(one.stdout) == make_document(1) and one.stdout.startswith("{\n  \"@context\"")
    missing = "ce-00000000-0000-4000-8000-00000000dead"
    partly = run(fetch_command, ctid_for(0), missing, ctid_for(0), "--registry", url)
    assert partly.exit_code == 1 and json.loads(partly.stdout) == [make_document(0)]
    assert f"failed: {missing}: not in the registry" in partly.stderr
    none = run(fetch_command, missing, "ce-00000000-0000-4000-8000-00000000beef", "--registry", url)
    assert none.exit_code == 1 and json.loads(none.stdout) == []
    assert "JSON array" in run(fetch_command, "--help").stdout


# --- 4. paths ------------------------------------------------------------------------------------------------
def test_refused_inputs_leave_no_state_folder_and_missing_paths_are_named(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pe").mkdir()
    (tmp_path / "pe" / "bad.json").write_text("{not json", encoding="utf-8")
    bad = run(publish_command, tmp_path / "pe" / "bad.json")
    assert bad.exit_code == 2 and "bad.json" in bad.stderr
    assert sorted(p.name for p in (tmp_path / "pe").iterdir()) == ["bad.json"]

    (tmp_path / "shape").mkdir()
    (tmp_path / "shape" / "x.json").write_text('{"a": 1}', encoding="utf-8")  # read, and refused: nothing sent
    refused = run(publish_command, tmp_path / "shape" / "x.json")
    assert refused.exit_code == 1 and "refused: " in refused.stderr
    assert sorted(p.name for p in (tmp_path / "shape").iterdir()) == ["x.json"]

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (work / "dangling.json").symlink_to(tmp_path / "nowhere.json")
    for path in ("nonexist", "dangling.json"):
        result = run(publish_command, path)
        assert result.exit_code == 2 and result.stderr.startswith(f"error: {path}: "), result.output
    empty = run(publish_command, "")  # an unset variable: not the current folder
    assert empty.exit_code == 2 and "an empty path" in empty.stderr
    assert sorted(p.name for p in work.iterdir()) == ["dangling.json"]


# --- 5. a named pipe -----------------------------------------------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("dry_run", [True, False])
def test_a_named_pipe_is_read_once(tmp_path: Path, fake: tuple[FakeRegistry, str], dry_run: bool) -> None:
    registry, url = fake
    (tmp_path / "in").mkdir()
    pipe = tmp_path / "in" / "f.json"
    os.mkfifo(pipe)
    data = json.dumps(make_document(0)).encode()

    def write() -> None:
        with open(pipe, "wb") as sink:  # waits for the publisher to open it, once
            sink.write(data)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    command = [sys.executable, "-m", "ctdl_tools", "publish", str(pipe), "--registry", url,
               *(["--dry-run"] if dry_run else [])]
    env = {**os.environ, "CTDL_API_KEY": KEY, "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    finally:
        if writer.is_alive():  # the publisher never opened it: let the thread finish
            with open(pipe, "rb") as source:
                source.read()
        writer.join(timeout=10)
    assert done.returncode == 0, done.stderr
    if dry_run:
        assert done.stdout.startswith("dry run, would publish: 1 new") and not registry.requests
    else:
        assert done.stdout.startswith("1 published") and registry.requests[ctid_for(0)] == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_with_violations_is_refused_under_its_own_name(tmp_path: Path) -> None:
    document = make_document(0)
    del document["@graph"][0]["ceterms:name"]  # a Violation
    pipe = tmp_path / "g.json"
    os.mkfifo(pipe)
    writer = threading.Thread(target=lambda: pipe.write_bytes(json.dumps(document).encode()), daemon=True)
    writer.start()
    command = [sys.executable, "-m", "ctdl_tools", "publish", str(pipe), "--dry-run"]
    try:
        done = subprocess.run(command, env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
    finally:
        if writer.is_alive():
            with open(pipe, "rb") as source:
                source.read()
        writer.join(timeout=10)
    assert done.returncode == 1, done.stderr
    assert f"refused: {ctid_for(0)} ({pipe}): " in done.stderr and "ceterms:name" in done.stderr


def test_the_journal_restores_rows_as_they_were(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.mark_pending("t", ctid_for(0), "d" * 64, org=ORG, ctdl_type="ceterms:Certificate",
                             source=os.fsdecode(b"/tmp/caf\xe9.json"), file_digest="e" * 64)
        journal.mark_published("t", ctid_for(0), "d" * 64, "env", 2)
        had = journal.entries("t")[ctid_for(0)]
        journal.mark_pending("t", ctid_for(0), "a" * 64, org=ORG, ctdl_type="x", source="/elsewhere",
                             file_digest=None)
        journal.restore("t", ctid_for(0), had)
        assert journal.entries("t") == {ctid_for(0): had}
        journal.mark_pending("t", ctid_for(1), "b" * 64, org=ORG, ctdl_type="x", source=None)
        journal.restore("t", ctid_for(1), None)
        assert set(journal.entries("t")) == {ctid_for(0)} and not journal.is_empty()
