"""Acceptance findings for ``ctdl publish`` / ``unpublish`` / ``fetch``, each against servers on
127.0.0.1: API keys with white space or characters a header cannot carry, keys echoed back by a server, config
values the command line refuses, fetch's output errors, a rejected key on unpublish, a registry that accepts
connections and never answers, and smaller remarks (fetch without a database, --resend counts, --db equal to
--journal, a Retry-After past the retry budget)."""

from __future__ import annotations

import functools
import html
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import Result
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ctdl_tools.registry import config, publish
from ctdl_tools.registry.client import Http, RegistryError, RetryPolicy, Scrubber, error_text
from ctdl_tools.registry.commands import fetch_command, publish_command, status_command, unpublish_command
from ctdl_tools.registry.journal import Journal
from tests.publish_support import (
    FakeRegistry,
    Faults,
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

KEY = "s8-key-7e1f0a2b9c3d4e5f"
run = functools.partial(run_cli, key=KEY)
options_for = functools.partial(shared_options, key=KEY)
# A key with characters that JSON, HTML and URLs each escape, to show every escaped form is scrubbed.
ODD_KEY = 'S8"odd\\key<&>-9f3a7c1e5b2d8046'
REPO = Path(__file__).resolve().parent.parent


class Counting:
    """ASGI middleware counting the requests that reach an app, by method, and the Authorization headers."""

    def __init__(self, app: Any) -> None:
        self.app, self.seen, self.authorizations = app, Counter(), Counter()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen[scope["method"]] += 1
            headers = dict(scope["headers"])
            self.authorizations[headers.get(b"authorization", b"").decode("latin-1")] += 1
        await self.app(scope, receive, send)


@pytest.fixture
def fake() -> Iterator[tuple[FakeRegistry, Counting, str]]:
    registry = FakeRegistry(KEY)
    counting = Counting(registry.app)
    with serve(counting) as running:
        yield registry, counting, running.url


def pieces(key: str, size: int = 8) -> set[str]:
    """Every 8 characters in a row of the key, as sent and as JSON, HTML and URLs escape it."""
    forms = {key, json.dumps(key)[1:-1], html.escape(key), quote(key, safe="")}
    return {form[i:i + size] for form in forms for i in range(len(form) - size + 1)}


def leaks(text: str, key: str) -> list[str]:
    return sorted(piece for piece in pieces(key) if piece in text)


def state_text(folder: Path) -> str:
    """Every file of a .ctdl folder (journal, its WAL), as text."""
    return "".join(p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file())


# --- 1. keys with white space around them, or characters a header cannot carry ---------------------------
@pytest.mark.parametrize("padded", [KEY + "\n", f" \t{KEY}\r\n", f"\u00a0{KEY} "])
def test_white_space_around_the_key_is_dropped(tmp_path: Path, fake: tuple[FakeRegistry, Counting, str],
                                               padded: str) -> None:
    # Found in acceptance testing: a key from `$(cat key)` or a file ending in a newline was a traceback that
    # printed the whole key (requests' InvalidHeader), exit 1, records left pending.
    registry, counting, url = fake
    write_documents(tmp_path / "out", 3)
    result = run(publish_command, tmp_path / "out", "--registry", url, key=padded)
    assert result.exit_code == 0, result.output
    assert len(registry.documents) == 3
    assert run(fetch_command, ctid_for(0), "--registry", url, key=padded).exit_code == 0
    assert set(counting.authorizations) == {f"Token {KEY}"}  # exactly the key: a stricter registry takes it too


def test_white_space_around_the_key_is_dropped_for_the_local_registry_too(tmp_path: Path) -> None:
    write_documents(tmp_path / "out", 2)
    result = run(publish_command, tmp_path / "out", key=KEY + "\n")
    assert result.exit_code == 0 and "2 published" in result.stdout, result.output
    status = run(status_command, tmp_path / "out", key=KEY + "\n")
    assert status.exit_code == 0, status.output


@pytest.mark.parametrize(("bad", "said"), [
    ("s3cret\nKEY-123456", "contains a line break (character 7 of 17)"),
    ("s3cret\rKEY-123456", "contains a line break (character 7 of 17)"),
    ("ключ-KEY-123456", "contains a character that is not ASCII (character 1 of 15)"),
    ("s3cr\u00e9t-KEY-123456", "contains a character that is not ASCII (character 5 of 17)"),
    ("s3cret\x07KEY-123456", "contains a control character (character 7 of 17)"),
])
def test_a_key_a_header_cannot_carry_is_one_message_before_anything_is_sent(
        tmp_path: Path, fake: tuple[FakeRegistry, Counting, str], bad: str, said: str) -> None:
    _, counting, url = fake
    write_documents(tmp_path / "out", 3)
    journal = tmp_path / "out" / ".ctdl" / "journal.sqlite"
    commands = [(publish_command, [tmp_path / "out", "--registry", url]), (publish_command, [tmp_path / "out"]),
                (fetch_command, [ctid_for(0), "--registry", url]), (status_command, [tmp_path / "out"]),
                (unpublish_command, [ctid_for(0), "--registry", url, "--journal", journal])]
    for command, args in commands:
        result = run(command, *args, key=bad)
        assert result.exit_code == 2, (command.name, result.output)
        assert result.stderr == f"error: $CTDL_API_KEY: the API key {said}; an HTTP header cannot carry it (the " \
                                "key is not shown)\n", (command.name, result.stderr)
        assert "KEY-123456" not in result.output and "Traceback" not in result.output
    assert not counting.seen and not journal.exists()


def test_a_bad_key_in_the_config_file_is_said_to_come_from_there(tmp_path: Path,
                                                                fake: tuple[FakeRegistry, Counting, str]) -> None:
    _, counting, url = fake
    write_documents(tmp_path / "out", 1)
    (tmp_path / "ctdl.toml").write_text('api_key = "abc\\u0007def-123456"\n', encoding="utf-8")
    result = run(publish_command, tmp_path / "out", "--registry", url, key=None)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: api_key in {tmp_path / 'ctdl.toml'}: the API key contains a control")
    assert "def-123456" not in result.output and not counting.seen
    (tmp_path / "ctdl.toml").write_text(f'api_key = "  {KEY}\\n"\n', encoding="utf-8")
    assert run(publish_command, tmp_path / "out", "--registry", url, key=None).exit_code == 0


def test_the_http_client_never_lets_a_header_error_show_the_key(tmp_path: Path,
                                                               fake: tuple[FakeRegistry, Counting, str]) -> None:
    # Belt and braces behind the check above: whatever requests or http.client refuse to send is a RegistryError
    # with the key scrubbed, not an exception that quotes the header, and it stops a publish run (exit 2).
    _, counting, url = fake
    for bad in ("line\nbreak-key-3141592", "nonascii-кey-2718281"):
        with pytest.raises(RegistryError) as caught:
            Http(url, bad).request("GET", f"graph/{ctid_for(0)}")
        assert caught.value.kind == "unsendable" and not leaks(str(caught.value), bad)
        assert caught.value.__suppress_context__  # a traceback would not show the original either
    write_documents(tmp_path / "out", 6)
    options = options_for(tmp_path / "out", url, key="line\nbreak-key-3141592", concurrency=1)
    result = publish.publish([tmp_path / "out"], options)
    assert result.exit_code == 2 and result.fatal and "could not be sent" in result.fatal
    assert not leaks(json.dumps(result.to_json()), "line\nbreak-key-3141592")
    assert sum("not sent: run stopped" in o.messages for o in result.outcomes) >= 4 and not counting.seen


# --- 2. a key echoed back by a server ------------------------------------------------------------------
def echo_app(mode: str) -> Starlette:
    """A registry whose every error answer quotes the Authorization header it was sent."""

    async def answer(request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        key = auth.split(" ", 1)[-1]
        if mode == "long-json":  # the report's case: the key after 260 characters, in no "errors" list
            return JSONResponse({"detail": "x" * 260 + " " + auth}, 422)
        if mode == "escaped-json":  # re-serialised by the client, which escaped the key's " and \
            return JSONResponse({"detail": f"bad header {auth}"}, 422)
        if mode == "escaped-errors":  # every character escaped in the raw body
            text = "".join(f"\\u{ord(c):04x}" for c in f"you sent {auth}")
            return Response('{"errors": ["' + text + '"]}', 400, media_type="application/json")
        page = (f"<html><body><h1>500</h1><pre>Authorization: {html.escape(auth)}</pre><p>{'y' * 280}</p>"
                f"<a href='/retry?k={quote(key, safe='')}'>retry</a><p>{html.escape(key)}</p></body></html>")
        return Response(page, 500, media_type="text/html")

    return Starlette(routes=[Route("/resources/organizations/{org}/documents", answer, methods=["POST"]),
                             Route("/graph/{ctid}", answer, methods=["GET"])])


@pytest.mark.parametrize("mode", ["long-json", "escaped-json", "escaped-errors"])
def test_a_key_echoed_in_an_error_body_is_never_printed_or_journaled(tmp_path: Path, mode: str) -> None:
    # Found in acceptance testing: the body was cut to 300 characters and re-serialised before the key was
    # scrubbed, so part or all of it reached stderr and the journal.
    write_documents(tmp_path / "out", 3)
    with serve(echo_app(mode)) as running:
        result = run(publish_command, tmp_path / "out", "--registry", running.url, "--format", "json", key=ODD_KEY)
        fetched = run(fetch_command, ctid_for(0), "--registry", running.url, key=ODD_KEY)
    assert result.exit_code == 1 and "HTTP 4" in result.output, result.output
    assert summary_counts(result) == {"failed": 3}
    assert not leaks(result.output, ODD_KEY) and not leaks(fetched.output, ODD_KEY)
    assert not leaks(state_text(tmp_path / "out" / ".ctdl"), ODD_KEY)
    assert "***" in result.output


def test_a_key_echoed_in_an_html_error_page_is_never_printed_or_journaled(tmp_path: Path) -> None:
    write_documents(tmp_path / "out", 2)
    with serve(echo_app("html")) as running:
        options = options_for(tmp_path / "out", running.url, key=ODD_KEY)
        options.retry = RetryPolicy(attempts=2, base=0.01)
        result = publish.publish([tmp_path / "out"], options)
    assert result.counts == {"failed": 2}
    messages = json.dumps(result.to_json())
    assert "gave up after 2 attempts: HTTP 500: <html>" in messages
    assert not leaks(messages, ODD_KEY) and not leaks(state_text(tmp_path / "out" / ".ctdl"), ODD_KEY)


def summary_counts(result: Result) -> dict:
    return json.loads(result.stdout)["counts"]


def test_scrubbing_comes_before_any_cut() -> None:
    scrub = Scrubber(ODD_KEY)
    for cut in range(len(ODD_KEY) + 1):  # a server that cut the key short itself
        assert not leaks(scrub("z" * 290 + " Token " + ODD_KEY[:cut]), ODD_KEY[:max(cut, 8)] if cut >= 8 else "")
    for body in ({"detail": "x" * 280 + f" Token {ODD_KEY}"}, "y" * 295 + ODD_KEY, {"note": ODD_KEY * 3}):
        assert not leaks(error_text(body, scrub), ODD_KEY)
    # English about tokens is left as it is; the header's value is not.
    assert scrub("Invalid token; Token expired") == "Invalid token; Token expired"
    assert scrub('{"Authorization": "Bearer abcdefgh12345678"}') == '{"Authorization": "***"}'
    assert Scrubber(None)("Token abc") == "Token abc"


# --- 3. config values the command line refuses ---------------------------------------------------------
@pytest.mark.parametrize(("line", "said"), [
    ("timeout = 0", "timeout: must be from 0.1 to 600 seconds, not 0"),
    ("timeout = -1", "timeout: must be from 0.1 to 600 seconds, not -1"),
    ("timeout = 601.5", "timeout: must be from 0.1 to 600 seconds, not 601.5"),
    ("timeout = nan", "timeout: must be from 0.1 to 600 seconds, not nan"),
    ("concurrency = 0", "concurrency: must be from 1 to 64, not 0"),
    ("concurrency = -5", "concurrency: must be from 1 to 64, not -5"),
    ("concurrency = 100000", "concurrency: must be from 1 to 64, not 100000"),
    ('registry = "staging-ish"', "registry: expected local, sandbox, production or an http(s) URL, not 'staging-ish'"),
    ('registry = "http://127.0.0.1:notaport"', "registry: 'http://127.0.0.1:notaport' is not a usable URL"),
    ('api = "soap"', "api: must be one of direct, assistant, not 'soap'"),
    ('local_url = "http://[::1"', "local_url: 'http://[::1' is not a usable URL"),
    ('org = "acme"', "org: "),
])
def test_config_values_the_command_line_refuses_are_refused_naming_the_file(tmp_path: Path, line: str,
                                                                           said: str) -> None:
    # Found in acceptance testing: timeout = 0 was a traceback (exit 1, records pending), concurrency = 100000
    # started a thread per record, and a bad registry in ctdl.toml was reported as `--registry`.
    write_documents(tmp_path / "out", 1)
    (tmp_path / "ctdl.toml").write_text(line + "\n", encoding="utf-8")
    for command, args in ((publish_command, [tmp_path / "out"]), (fetch_command, [ctid_for(0)])):
        result = run(command, *args)
        assert result.exit_code == 2, (line, result.output)
        assert result.stderr.startswith(f"error: {tmp_path / 'ctdl.toml'}: {said}"), result.stderr
        assert "--registry" not in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "out" / ".ctdl").exists()


def test_a_config_file_that_is_not_utf8_is_one_message(tmp_path: Path) -> None:
    write_documents(tmp_path / "out", 1)
    (tmp_path / "ctdl.toml").write_bytes(b'registry = "local"\n# caf\xe9\n')
    result = run(publish_command, tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'ctdl.toml'}: cannot read config: not UTF-8 text (line 2)\n"


def test_config_values_at_the_ends_of_the_ranges_are_taken(tmp_path: Path) -> None:
    (tmp_path / "ctdl.toml").write_text("timeout = 0.1\nconcurrency = 64\n", encoding="utf-8")
    assert (config.load_settings().timeout, config.load_settings().concurrency) == (0.1, 64)
    (tmp_path / "ctdl.toml").write_text("timeout = 600\nconcurrency = 1\n", encoding="utf-8")
    assert (config.load_settings().timeout, config.load_settings().concurrency) == (600, 1)


# --- 4. fetch's output errors --------------------------------------------------------------------------
def test_fetch_output_that_cannot_be_written_is_one_message(tmp_path: Path,
                                                           fake: tuple[FakeRegistry, Counting, str]) -> None:
    # Found in acceptance testing: FileNotFoundError and IsADirectoryError tracebacks, exit 1.
    registry, counting, url = fake
    registry.documents[make_document(0)["@id"]] = make_document(0)
    (tmp_path / "afile").write_text("", encoding="utf-8")
    blocked = run(fetch_command, ctid_for(0), "--registry", url, "-o", tmp_path / "afile" / "sub")
    assert blocked.exit_code == 2 and "Traceback" not in blocked.output
    assert blocked.stderr.startswith(f"error: {tmp_path / 'afile' / 'sub'}: cannot create the output folder: ")
    assert not counting.seen  # the folder is made before any request
    (tmp_path / "got" / f"{ctid_for(0)}.json").mkdir(parents=True)
    taken = run(fetch_command, ctid_for(0), "--registry", url, "-o", tmp_path / "got")
    assert taken.exit_code == 2 and "Traceback" not in taken.output
    assert taken.stderr == f"error: {tmp_path / 'got' / f'{ctid_for(0)}.json'}: cannot write: Is a directory\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_fetch_to_a_full_disk_is_one_message(tmp_path: Path, fake: tuple[FakeRegistry, Counting, str]) -> None:
    registry, _, url = fake
    registry.documents[make_document(0)["@id"]] = make_document(0)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CTDL_API_KEY", None)
    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", "ctdl_tools", "fetch", ctid_for(0), "--registry", url],
                              stdout=full, stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr == "error: standard output: cannot write: No space left on device\n"


# --- 5. unpublish with a rejected key ------------------------------------------------------------------
def test_unpublish_stops_at_a_rejected_key_with_exit_2(tmp_path: Path,
                                                      fake: tuple[FakeRegistry, Counting, str]) -> None:
    # Found in acceptance testing: every CTID was sent and failed with 401, exit 1, and no word about the key.
    registry, counting, url = fake
    write_documents(tmp_path / "out", 12)
    assert run(publish_command, tmp_path / "out", "--registry", url).exit_code == 0
    journal = tmp_path / "out" / ".ctdl" / "journal.sqlite"
    counting.seen.clear()
    ctids = [ctid_for(n) for n in range(12)]
    wrong = "wrong-key-0a9b8c7d6e5f"
    result = run(unpublish_command, *ctids, "--registry", url, "--journal", journal, "--concurrency", "1",
                 "--format", "json", key=wrong)
    assert result.exit_code == 2, result.output
    assert "error: the registry rejected the API key from $CTDL_API_KEY: delete: HTTP 401: Invalid token" \
        in result.stderr
    assert counting.seen["DELETE"] <= 2 and len(registry.documents) == 12
    assert summary_counts(result) == {"failed": 12} and wrong not in result.output
    with sqlite3.connect(journal) as db:
        assert {row[0] for row in db.execute("SELECT status FROM records")} == {"published"}
    # The Assistant API's delete is stopped the same way.
    assistant = run(unpublish_command, *ctids, "--registry", url + "assistant/", "--api", "assistant",
                    "--concurrency", "1", key=wrong)
    assert assistant.exit_code == 2 and "rejected the API key" in assistant.stderr
    assert counting.seen["DELETE"] <= 4


# --- 6. a registry that accepts connections and never answers ------------------------------------------


def test_a_registry_that_never_answers_stops_the_run_early(tmp_path: Path, silent_registry: str) -> None:
    # Noted in acceptance testing: only refused connections stopped a run; a registry that accepted and hung
    # cost every record its whole retry budget (hours for a catalog).
    write_documents(tmp_path / "out", 40)
    options = options_for(tmp_path / "out", silent_registry, concurrency=2, timeout=0.2)
    options.retry = RetryPolicy(attempts=2, base=0.01)
    started = time.monotonic()
    result = publish.publish([tmp_path / "out"], options)
    assert result.stopped and result.stopped.startswith(
        "stopped: the registry did not answer 4 requests in a row (no reply within the 0.2s timeout")
    assert result.counts == {"failed": 40} and result.exit_code == 2  # as for one that refuses connections
    assert sum("not sent: run stopped" in o.messages for o in result.outcomes) >= 30
    assert time.monotonic() - started < 15
    with sqlite3.connect(tmp_path / "out" / ".ctdl" / "journal.sqlite") as db:
        assert {row[0] for row in db.execute("SELECT status FROM records")} == {"failed"}


def test_refused_and_unanswered_in_a_row_are_named_together() -> None:
    assert publish._silence(["unreachable", "unanswered", "unreachable", "unreachable"], 30) == \
        "the registry did not accept connections or did not answer for 4 records in a row"
    assert publish._silence(["unreachable"] * 4, 30) == "the registry did not accept connections for 4 records in a row"


# --- remarks -------------------------------------------------------------------------------------------
def test_fetch_and_unpublish_without_a_local_database_make_none(tmp_path: Path) -> None:
    # Remark 2: both created an empty .ctdl/registry.sqlite in the working directory and said "not in the
    # registry".
    for command in (fetch_command, unpublish_command):
        result = run(command, ctid_for(0))
        assert result.exit_code == 2, result.output
        assert "no local registry database here: pass --db" in result.stderr
    assert not (tmp_path / ".ctdl").exists()


def test_resend_counts_what_the_registry_already_had_as_unchanged(tmp_path: Path,
                                                                 fake: tuple[FakeRegistry, Counting, str]) -> None:
    # Remark 3: --resend reported every record "updated" though the registry answered changed: false.
    registry, _, url = fake
    write_documents(tmp_path / "out", 3)
    assert run(publish_command, tmp_path / "out", "--registry", url).exit_code == 0
    del registry.documents[make_document(1)["@id"]]
    resent = run(publish_command, tmp_path / "out", "--registry", url, "--resend")
    assert resent.exit_code == 0 and "0 published, 1 updated, 2 unchanged" in resent.stdout, resent.output
    assert sum(registry.requests.values()) == 6


def test_the_local_database_may_not_be_the_journal(tmp_path: Path) -> None:
    # Remark 5: `--db` naming the journal mixed the registry's tables into it.
    write_documents(tmp_path / "out", 1)
    journal = tmp_path / "out" / ".ctdl" / "journal.sqlite"
    result = run(publish_command, tmp_path / "out", "--db", journal)
    assert result.exit_code == 2 and "are the same file" in result.stderr
    assert not journal.exists()
    with Journal(journal):
        pass
    assert run(publish_command, tmp_path / "out", "--db", tmp_path / "out" / ".ctdl" / ".." / ".ctdl" /
               "journal.sqlite").exit_code == 2


def test_a_retry_after_past_the_retry_budget_is_explained(tmp_path: Path) -> None:
    # Remark 9: "gave up after 1 attempts: HTTP 429" did not say the registry asked to wait 28 hours.
    registry = FakeRegistry(KEY, faults=Faults(script=["429"], retry_after="100000"))
    write_documents(tmp_path / "out", 1)
    with serve(registry.app) as running:
        result = publish.publish([tmp_path / "out"], options_for(tmp_path / "out", running.url))
    assert result.counts == {"failed": 1}
    assert result.outcomes[0].messages == [
        "gave up after 1 attempts: HTTP 429: slow down (the registry asked to wait 100000s before trying again, "
        "longer than the 120s this client spends on one request)"]
