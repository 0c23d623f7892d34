"""``ctdl publish`` / ``unpublish`` / ``fetch`` / ``registry status`` against a fake registry on 127.0.0.1."""

from __future__ import annotations

import email.utils
import functools
import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ctdl_tools.ctid import REGISTRY_BASE
from ctdl_tools.errors import InputError
from ctdl_tools.registry import config, gate, publish
from ctdl_tools.registry.client import RetryPolicy, assistant_entity, error_text, retry_after
from ctdl_tools.registry.commands import fetch_command, publish_command, status_command, unpublish_command
from ctdl_tools.registry.journal import Journal
from ctdl_tools.registry.progress import TerminalProgress
from ctdl_tools.registry.publish import canonical_digest, publishing_org, shape_problems
from tests.conftest import DATA
from tests.publish_support import (
    ASN_CONTEXT,
    ORG,
    OTHER_ORG,
    FakeRegistry,
    Faults,
    ctid_for,
    isolated_from_config,  # noqa: F401 (autouse: keeps config out)
    make_document,
    options_for,
    run_cli,
    serve,
    write_documents,
)

KEY = "test-key-5f2b9c0e4d1a7b3c"
run = functools.partial(run_cli, key=KEY)
publish_options = functools.partial(options_for, key=KEY)


@pytest.fixture
def fake() -> Iterator[tuple[FakeRegistry, str]]:
    registry = FakeRegistry(KEY)
    with serve(registry.app) as running:
        yield registry, running.url


def journal_rows(path: Path) -> dict[str, tuple]:
    with sqlite3.connect(path) as db:
        return {r[0]: r[1:] for r in db.execute("SELECT ctid, status, digest, published_digest, envelope_id "
                                                "FROM records")}


def summary(result: Result) -> dict:
    return json.loads(result.stdout)


# --- units -------------------------------------------------------------------------------------------
def test_config_is_found_walking_up_and_paths_are_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ctdl]\nregistry = "sandbox"\njournal = "state/j.sqlite"\n'
                                             "concurrency = 3\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    settings = config.load_settings(deep)
    assert (settings.registry, settings.concurrency) == ("sandbox", 3)
    assert settings.journal == tmp_path / "state/j.sqlite"
    (tmp_path / "a" / "ctdl.toml").write_text('registry = "http://127.0.0.1:9/"\napi = "assistant"\n')
    assert config.load_settings(deep).api == "assistant"  # the nearer file wins
    (tmp_path / "a" / "ctdl.toml").write_text('regsitry = "local"\n')
    with pytest.raises(InputError, match="unknown ctdl setting 'regsitry'"):
        config.load_settings(deep)


def test_targets_and_their_default_apis(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    local = config.resolve_target(config.Settings(), db)
    assert local.embedded and local.api == "direct" and local.identity == f"local:{db.resolve()}"
    sandbox = config.resolve_target(config.Settings(registry="sandbox"), db)
    assert (sandbox.api, sandbox.url) == ("assistant", config.SANDBOX_ASSISTANT)
    assert sandbox.read_url == "https://sandbox.credentialengineregistry.org"
    production = config.resolve_target(config.Settings(registry="production"), db)
    assert production.url == "https://apps.credentialengine.org/assistant/"
    url = config.resolve_target(config.Settings(registry="http://127.0.0.1:8000"), db)
    assert (url.api, url.url, url.embedded) == ("direct", "http://127.0.0.1:8000/", False)
    configured = config.resolve_target(config.Settings(local_url="http://127.0.0.1:7/"), db)
    assert configured.url == "http://127.0.0.1:7/"
    with pytest.raises(InputError):
        config.resolve_target(config.Settings(registry="staging-ish"), db)


def test_retry_after_seconds_or_http_date_and_full_jitter() -> None:
    assert retry_after("3") == 3.0
    assert retry_after(None) is None and retry_after("soon") is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= (retry_after(later) or 0) <= 31
    policy = RetryPolicy(base=0.5, cap=4.0)
    waits = [policy.backoff(n) for n in range(1, 10) for _ in range(50)]
    assert min(waits) >= 0 and max(waits) <= 4.0 and len(set(waits)) > 100


def test_helpers_digest_org_shape_entity_and_error_text() -> None:
    doc = make_document(1)
    reordered = {k: doc[k] for k in reversed(list(doc))}
    assert canonical_digest(doc) == canonical_digest(reordered)
    assert publishing_org(doc["@graph"][0]) == ORG
    framework = {"@type": "ceasn:CompetencyFramework", "ceterms:ctid": ctid_for(2),
                 "ceasn:publisher": [f"https://credentialengineregistry.org/resources/{OTHER_ORG}"]}
    assert publishing_org(framework) == OTHER_ORG
    assert publishing_org({"@type": "ceterms:CredentialOrganization", "ceterms:ctid": ORG}) == ORG
    assert shape_problems(doc) == []
    assert shape_problems({"@graph": []})[0].startswith("graph-shape: @id is required")
    # A registry envelope or a /resources body given to publish: said what it is (was "@graph is required").
    envelope = {"envelope_type": "resource_data", "decoded_resource": doc}
    assert shape_problems(envelope) == ["graph-shape: this is a registry envelope: publish the graph document it "
                                        "holds (its decoded_resource), not the envelope"]
    assert "a single resource (a /resources/<ctid> body)" in shape_problems(doc["@graph"][0])[0]
    assert assistant_entity("ceterms:MasterDegree") == "credential"
    assert assistant_entity("ceterms:LearningProgram") == "learningprogram"
    assert assistant_entity("ceasn:CompetencyFramework") == "competencyframework"
    assert error_text({"errors": [{"@id": "is required"}, ["Resource CTID must be unique"]]}) == \
        "@id is required; Resource CTID must be unique"


# --- publish ------------------------------------------------------------------------------------------
def test_publish_then_rerun_skips_everything_fast(tmp_path: Path, fake: tuple[FakeRegistry, str]) -> None:
    registry, url = fake
    write_documents(tmp_path / "out", 60)
    first = run(publish_command, tmp_path / "out", "--registry", url, "--format", "json")
    assert first.exit_code == 0, first.output
    assert summary(first)["counts"] == {"published": 60}
    assert len(registry.documents) == 60 and set(registry.creates.values()) == {1}
    rows = journal_rows(tmp_path / "out" / ".ctdl" / "journal.sqlite")
    assert len(rows) == 60 and all(r[0] == "published" and r[1] == r[2] and r[3] for r in rows.values())

    started = time.monotonic()
    again = run(publish_command, tmp_path / "out", "--registry", url, "--format", "json")
    assert again.exit_code == 0 and summary(again)["counts"] == {"unchanged": 60}
    assert time.monotonic() - started < 2.0
    assert sum(registry.requests.values()) == 60  # nothing was sent the second time

    changed = tmp_path / "out" / f"{ctid_for(5)}.json"
    changed.write_text(json.dumps(make_document(5, version=2)))
    third = run(publish_command, tmp_path / "out", "--registry", url)
    assert third.exit_code == 0 and "1 updated, 59 unchanged" in third.stdout
    assert registry.creates[ctid_for(5)] == 1 and registry.requests[ctid_for(5)] == 2


def test_dry_run_writes_and_sends_nothing(tmp_path: Path, fake: tuple[FakeRegistry, str]) -> None:
    registry, url = fake
    write_documents(tmp_path / "out", 10)
    dry = run(publish_command, tmp_path / "out", "--registry", url, "--dry-run", "--format", "json", key=None)
    assert dry.exit_code == 0 and summary(dry)["counts"] == {"new": 10}
    assert not (tmp_path / "out" / ".ctdl").exists() and not registry.requests

    assert run(publish_command, tmp_path / "out", "--registry", url).exit_code == 0
    (tmp_path / "out" / f"{ctid_for(3)}.json").write_text(json.dumps(make_document(3, version=2)))
    write_documents(tmp_path / "out", 1, start=10)
    state = {p.name: p.read_bytes() for p in (tmp_path / "out" / ".ctdl").iterdir()}
    dry = run(publish_command, tmp_path / "out", "--registry", url, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith("dry run, would publish: 1 new, 1 updated, 9 unchanged, 0 refused")
    assert {p.name: p.read_bytes() for p in (tmp_path / "out" / ".ctdl").iterdir()} == state
    assert sum(registry.requests.values()) == 10


def test_missing_key_names_the_variable_and_touches_nothing(tmp_path: Path,
                                                            fake: tuple[FakeRegistry, str]) -> None:
    registry, url = fake
    write_documents(tmp_path / "out", 3)
    result = run(publish_command, tmp_path / "out", "--registry", url, "--api-key-env", "MY_CE_KEY", key=None)
    assert result.exit_code == 2
    assert "MY_CE_KEY" in result.stderr and not registry.requests
    assert not (tmp_path / "out" / ".ctdl").exists()


def test_wrong_key_stops_the_run_names_the_variable_and_marks_nothing_published(
        tmp_path: Path, fake: tuple[FakeRegistry, str]) -> None:
    registry, url = fake
    write_documents(tmp_path / "out", 40)
    wrong = "wrong-key-0a9b8c7d6e5f"
    result = run(publish_command, tmp_path / "out", "--registry", url, "--concurrency", "2", key=wrong)
    assert result.exit_code == 2
    assert "rejected the API key from $CTDL_API_KEY" in result.stderr and "Invalid token" in result.stderr
    assert wrong not in result.output
    assert not registry.documents
    statuses = {r[0] for r in journal_rows(tmp_path / "out" / ".ctdl" / "journal.sqlite").values()}
    assert statuses <= {"failed"}


def test_unknown_organization_fails_those_records_only(tmp_path: Path, fake: tuple[FakeRegistry, str]) -> None:
    registry, url = fake
    write_documents(tmp_path / "out", 4)
    write_documents(tmp_path / "out", 2, start=4, org=OTHER_ORG)
    result = run(publish_command, tmp_path / "out", "--registry", url, "--format", "json")
    assert result.exit_code == 1
    report = summary(result)
    assert report["counts"] == {"published": 4, "failed": 2}
    failed = [r for r in report["records"] if r["action"] == "failed"]
    assert all(f"organization {OTHER_ORG} is not known" in r["messages"][0] for r in failed)
    rows = journal_rows(tmp_path / "out" / ".ctdl" / "journal.sqlite")
    assert rows[ctid_for(4)][0] == "failed" and rows[ctid_for(0)][0] == "published"
    assert sum(registry.requests.values()) == 4  # 404 is not retried


def test_malformed_graphs_are_refused_and_unreadable_json_stops_everything(
        tmp_path: Path, fake: tuple[FakeRegistry, str]) -> None:
    registry, url = fake
    out = tmp_path / "out"
    write_documents(out, 2)
    no_type = make_document(7)
    del no_type["@graph"][1]["@type"]
    (out / "no-type.json").write_text(json.dumps(no_type))
    (out / "not-a-graph.json").write_text(json.dumps({"name": "hello"}))
    no_owner = make_document(8)
    del no_owner["@graph"][0]["ceterms:ownedBy"], no_owner["@graph"][0]["ceterms:offeredBy"]
    (out / "no-owner.json").write_text(json.dumps(no_owner))
    whole = make_document(9)
    single = whole["@graph"][0]  # a /resources body: refused, named by the CTID it gives
    (out / "single.json").write_text(json.dumps({"@context": whole["@context"], **single}))
    result = run(publish_command, out, "--registry", url)
    assert result.exit_code == 1
    assert "2 published, 0 updated, 0 unchanged, 0 failed, 4 refused" in result.stdout
    assert f"refused: {single['ceterms:ctid']} (" in result.stderr
    assert "(no CTID) (" not in result.stderr.replace(f"(no CTID) ({out / 'not-a-graph.json'}", "")
    assert "graph-shape: @graph[1] needs @id and @type" in result.stderr and "no-type.json" in result.stderr
    assert "no-publisher" in result.stderr
    assert len(registry.documents) == 2

    (out / "broken.json").write_text("{not json")
    broken = run(publish_command, out, "--registry", url)
    assert broken.exit_code == 2 and "broken.json" in broken.stderr and "invalid JSON" in broken.stderr


def test_violations_are_refused_unless_forced(tmp_path: Path, fake: tuple[FakeRegistry, str]) -> None:
    registry, url = fake
    paths = write_documents(tmp_path / "out", 3)
    bad = ctid_for(1)
    document = json.loads(paths[1].read_text(encoding="utf-8"))
    del document["@graph"][0]["ceterms:name"]
    paths[1].write_text(json.dumps(document), encoding="utf-8")
    refused = run(publish_command, tmp_path / "out", "--registry", url)
    assert refused.exit_code == 1
    assert f"refused: {bad} ({paths[1]}): MDP-CREDENTIAL-NAME" in refused.stderr
    assert bad not in registry.documents.__repr__()
    forced = run(publish_command, tmp_path / "out", "--registry", url, "--force")
    assert forced.exit_code == 0 and registry.creates[bad] == 1
    assert "published despite violation (--force): MDP-CREDENTIAL-NAME" in forced.stderr


def test_the_gate_reads_the_files_as_ctdl_validate_does(tmp_path: Path, fake: tuple[FakeRegistry, str]) -> None:
    # Found in acceptance testing: publish validated parsed objects, so a key given twice (the parser keeps
    # the last value, the first is lost) passed publish while `ctdl validate` refused it.
    registry, url = fake
    paths = write_documents(tmp_path / "out", 2)
    text = paths[0].read_text(encoding="utf-8")
    paths[0].write_text(text.replace('"ceterms:ctid":', '"ceterms:name": {"en-US": "Lost"},\n    "ceterms:ctid":', 1),
                        encoding="utf-8")
    for dry in ([], ["--dry-run"]):
        result = run(publish_command, tmp_path / "out", "--registry", url, *dry)
        assert result.exit_code == 1 and f"refused: {ctid_for(0)}" in result.stderr, result.stderr
        assert "JSON-DUPLICATE-KEY" in result.stderr
    assert registry.creates.get(ctid_for(0)) is None and registry.creates[ctid_for(1)] == 1


def test_the_gate_sees_the_whole_submission_unchanged_records_included(
        tmp_path: Path, fake: tuple[FakeRegistry, str]) -> None:
    # Found in acceptance testing: a competency whose isPartOf names a framework that does not list it was
    # published when the framework was already published (unchanged records were not validated with it).
    registry, url = fake
    out = tmp_path / "out"
    org = f"{REGISTRY_BASE}/resources/{ORG}"
    framework_ctid, competency_ctid = ctid_for(100), ctid_for(101)
    framework = {"@context": ASN_CONTEXT, "@id": f"{REGISTRY_BASE}/graph/{framework_ctid}", "@graph": [
        {"@id": f"{REGISTRY_BASE}/resources/{framework_ctid}", "@type": "ceasn:CompetencyFramework",
         "ceterms:ctid": framework_ctid, "ceasn:name": {"en-US": "Framework"},
         "ceasn:description": {"en-US": "A framework of test competencies."}, "ceasn:publisher": [org],
         "ceasn:inLanguage": ["en-US"]}]}
    out.mkdir()
    (out / "framework.json").write_text(json.dumps(framework), encoding="utf-8")
    assert run(publish_command, out, "--registry", url).exit_code == 0
    competency = {"@context": ASN_CONTEXT, "@id": f"{REGISTRY_BASE}/graph/{competency_ctid}", "@graph": [
        {"@id": f"{REGISTRY_BASE}/resources/{competency_ctid}", "@type": "ceasn:Competency",
         "ceterms:ctid": competency_ctid, "ceasn:competencyText": {"en-US": "Does a thing well."},
         "ceasn:isPartOf": [f"{REGISTRY_BASE}/resources/{framework_ctid}"], "ceasn:publisher": [org]}]}
    (out / "competency.jsonld").write_text(json.dumps(competency), encoding="utf-8")  # .jsonld: found too
    for dry in (["--dry-run"], []):
        result = run(publish_command, out, "--registry", url, *dry)
        assert result.exit_code == 1, result.output
        assert f"refused: {competency_ctid}" in result.stderr and "XREF-COMPETENCY-FRAMEWORK" in result.stderr
    assert competency_ctid not in registry.creates
    # The other way round: a framework update that drops the competency breaks the competency's record, which
    # is not being sent; the framework update is what is refused.
    (out / "competency.jsonld").unlink()
    competency["@graph"][0]["ceasn:isPartOf"] = [f"{REGISTRY_BASE}/resources/{framework_ctid}"]
    framework["@graph"][0]["ceasn:hasTopChild"] = [f"{REGISTRY_BASE}/resources/{competency_ctid}"]
    competency["@graph"][0]["ceasn:isTopChildOf"] = [f"{REGISTRY_BASE}/resources/{framework_ctid}"]
    (out / "competency.json").write_text(json.dumps(competency), encoding="utf-8")
    (out / "framework.json").write_text(json.dumps(framework), encoding="utf-8")
    assert run(publish_command, out, "--registry", url).exit_code == 0
    del framework["@graph"][0]["ceasn:hasTopChild"]
    (out / "framework.json").write_text(json.dumps(framework), encoding="utf-8")
    for dry in (["--dry-run"], []):
        result = run(publish_command, out, "--registry", url, *dry)
        assert result.exit_code == 1, result.output
        assert f"refused: {framework_ctid}" in result.stderr and "(in " in result.stderr
    # The same when the competency's file changed too (found in acceptance testing: the framework went out).
    competency["@graph"][0]["ceasn:competencyText"] = {"en-US": "Does a thing very well."}
    (out / "competency.json").write_text(json.dumps(competency), encoding="utf-8")
    sent = registry.requests[framework_ctid]
    result = run(publish_command, out, "--registry", url)
    assert f"refused: {framework_ctid}" in result.stderr and f"refused: {competency_ctid}" in result.stderr
    assert registry.requests[framework_ctid] == sent


def test_a_validator_that_cannot_run_stops_publishing_unless_forced(tmp_path: Path) -> None:
    # In a fresh process with a dependency of the validator that fails to import (a broken install): publish
    # must still find its files (found in acceptance testing: it imported the validator to list them).
    write_documents(tmp_path / "out", 2)
    shim = tmp_path / "shim" / "pyoxigraph"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text('raise ImportError("simulated broken install")\n', encoding="utf-8")
    env = {**os.environ, "CTDL_API_KEY": KEY,
           "PYTHONPATH": os.pathsep.join([str(tmp_path / "shim"), str(Path(__file__).resolve().parents[1])])}
    command = [sys.executable, "-m", "ctdl_tools", "publish", str(tmp_path / "out"), "--db", str(tmp_path / "r.db"),
               "--journal", str(tmp_path / "j.sqlite")]
    stopped = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert stopped.returncode == 2 and "the validator cannot run" in stopped.stderr, stopped.stderr
    assert "simulated broken install" in stopped.stderr and "Traceback" not in stopped.stderr
    forced = subprocess.run([*command, "--force"], env=env, capture_output=True, text=True, timeout=120)
    assert forced.returncode == 0 and "were not validated" in forced.stderr, forced.stderr
    assert "2 published" in forced.stdout


def test_publish_reads_the_files_validate_reads(tmp_path: Path, fake: tuple[FakeRegistry, str]) -> None:
    # Found in acceptance testing: a file named twice or reached through a link was a "duplicate CTID" of
    # itself, and a validation report kept in the folder was refused as a broken graph.
    registry, url = fake
    out = tmp_path / "out"
    paths = write_documents(out, 2)
    (out / "0-link.json").symlink_to(paths[1].name)
    (out / "report.json").write_text(json.dumps({"tool": {"name": "ctdl_tools"}, "findings": []}), encoding="utf-8")
    (out / "ctdl.sarif.json").write_text(json.dumps({"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
                                                     "runs": []}), encoding="utf-8")
    result = run(publish_command, out, paths[0], "--registry", url)
    assert result.exit_code == 0, result.output
    assert "2 published, 0 updated, 0 unchanged, 0 failed, 0 refused" in result.stdout
    assert sorted(registry.creates.values()) == [1, 1]


def test_retry_after_a_timeout_that_landed_does_not_duplicate(tmp_path: Path) -> None:
    # The first request is stored and then answered after the client gave up: the retry must update.
    registry = FakeRegistry(KEY, faults=Faults(script=["slow"], slow_seconds=0.5))
    write_documents(tmp_path / "out", 1)
    with serve(registry.app) as running:
        result = run(publish_command, tmp_path / "out", "--registry", running.url, "--timeout", "0.2")
    assert result.exit_code == 0, result.output
    ctid = ctid_for(0)
    assert registry.creates[ctid] == 1 and registry.requests[ctid] == 2 and len(registry.documents) == 1


@pytest.mark.parametrize("header", ["1", "http-date"])
def test_429_retry_after_is_honoured(tmp_path: Path, header: str) -> None:
    later = email.utils.formatdate(time.time() + 2, usegmt=True) if header == "http-date" else header
    registry = FakeRegistry(KEY, faults=Faults(script=["429"], retry_after=later))
    write_documents(tmp_path / "out", 1)
    with serve(registry.app) as running:
        options = publish_options(tmp_path / "out", running.url)
        options.retry = RetryPolicy(base=0.001)  # so that only Retry-After can explain the wait
        started = time.monotonic()
        result = publish.publish([tmp_path / "out"], options)
    assert result.counts == {"published": 1} and registry.faults.injected["429"] == 1
    assert time.monotonic() - started >= 0.9


def test_gives_up_after_bounded_attempts(tmp_path: Path) -> None:
    registry = FakeRegistry(KEY, faults=Faults(rate=1.0, kinds=("500",)))
    write_documents(tmp_path / "out", 2)
    with serve(registry.app) as running:
        options = publish_options(tmp_path / "out", running.url)
        options.retry = RetryPolicy(attempts=3, base=0.01)
        result = publish.publish([tmp_path / "out"], options)
    assert result.counts == {"failed": 2}
    assert all("gave up after 3 attempts: HTTP 500: boom" in o.messages[0] for o in result.outcomes)
    assert registry.faults.injected["500"] == 6
    rows = journal_rows(tmp_path / "out" / ".ctdl" / "journal.sqlite")
    assert {r[0] for r in rows.values()} == {"failed"}


def test_assistant_api_reports_unsuccessful_messages(tmp_path: Path, fake: tuple[FakeRegistry, str]) -> None:
    registry, url = fake
    write_documents(tmp_path / "out", 2)
    write_documents(tmp_path / "out", 1, start=2, org=OTHER_ORG)
    result = run(publish_command, tmp_path / "out", "--registry", url + "assistant/", "--api", "assistant")
    assert result.exit_code == 1
    assert f"not successful: Organization {OTHER_ORG} not found" in result.stderr
    assert "2 published" in result.stdout and len(registry.documents) == 2
    assistant = ("--registry", url + "assistant/", "--api", "assistant")
    fetched = run(fetch_command, ctid_for(1), *assistant)  # reads /graph from the host, not the Assistant
    assert fetched.exit_code == 0 and json.loads(fetched.stdout) == make_document(1)
    journal = tmp_path / "out" / ".ctdl" / "journal.sqlite"
    gone = run(unpublish_command, ctid_for(1), *assistant, "--journal", journal)
    assert gone.exit_code == 0 and len(registry.documents) == 1


def test_local_registry_end_to_end_through_both_apis(tmp_path: Path) -> None:
    """The default target: the embedded local registry, started for each command on its own database."""
    out = tmp_path / "out"
    write_documents(out, 6)
    first = run(publish_command, out, "--api", "assistant", "--format", "json")
    if first.exit_code == 2 and "could not start the local registry" in first.stderr:
        pytest.skip(first.stderr)
    assert first.exit_code == 0, first.output
    assert summary(first)["counts"] == {"published": 6} and (out / ".ctdl" / "registry.sqlite").is_file()
    (out / f"{ctid_for(2)}.json").write_text(json.dumps(make_document(2, version=2)))
    second = run(publish_command, out)  # direct API, same registry: one update
    assert second.exit_code == 0 and "0 published, 1 updated, 5 unchanged" in second.stdout
    status = run(status_command, out, "--format", "json")
    assert status.exit_code == 0 and summary(status)["counts"] == {"current": 6}
    got = run(fetch_command, ctid_for(2), "--journal", out / ".ctdl" / "journal.sqlite", "-o", tmp_path / "got")
    assert got.exit_code == 0
    assert json.loads((tmp_path / "got" / f"{ctid_for(2)}.json").read_text()) == make_document(2, version=2)
    gone = run(unpublish_command, ctid_for(0), "--journal", out / ".ctdl" / "journal.sqlite")
    assert gone.exit_code == 0 and journal_rows(out / ".ctdl" / "journal.sqlite")[ctid_for(0)][0] == "deleted"


def test_the_key_never_appears_in_output_or_journal(tmp_path: Path, fake: tuple[FakeRegistry, str]) -> None:
    registry, url = fake
    write_documents(tmp_path / "out", 5)
    echo = make_document(9)
    del echo["@id"]  # the fake's 422 then echoes nothing, but a hostile server might: see below
    outputs = [run(publish_command, tmp_path / "out", "--registry", url, "--format", fmt).output
               for fmt in ("text", "json")]
    registry.key = "another"  # now every request is refused: the error path must not leak it either
    (tmp_path / "out" / f"{ctid_for(0)}.json").write_text(json.dumps(make_document(0, version=3)))
    outputs.append(run(publish_command, tmp_path / "out", "--registry", url).output)
    outputs.append(run(status_command, tmp_path / "out", "--registry", url).output)
    state = b"".join(p.read_bytes() for p in (tmp_path / "out" / ".ctdl").iterdir())
    assert all(KEY not in text for text in outputs) and KEY.encode() not in state


# --- unpublish, fetch, status -------------------------------------------------------------------------
def test_unpublish_fetch_and_status(tmp_path: Path, fake: tuple[FakeRegistry, str]) -> None:
    registry, url = fake
    out = tmp_path / "out"
    write_documents(out, 4)
    journal = out / ".ctdl" / "journal.sqlite"
    assert run(publish_command, out, "--registry", url).exit_code == 0

    status = run(status_command, out, "--registry", url, "--format", "json")
    assert status.exit_code == 0 and summary(status)["counts"] == {"current": 4}

    fetched = run(fetch_command, ctid_for(0), ctid_for(1), "--registry", url, "-o", tmp_path / "got")
    assert fetched.exit_code == 0 and "2 fetched, 0 failed" in fetched.stdout
    assert json.loads((tmp_path / "got" / f"{ctid_for(0)}.json").read_text()) == make_document(0)
    printed = run(fetch_command, ctid_for(2), "--registry", url)
    assert json.loads(printed.stdout) == make_document(2)

    gone = run(unpublish_command, ctid_for(3), "--registry", url, "--journal", journal)
    assert gone.exit_code == 0 and "1 deleted" in gone.stdout
    assert journal_rows(journal)[ctid_for(3)][0] == "deleted"
    again = run(unpublish_command, ctid_for(3), "--registry", url, "--journal", journal)
    assert again.exit_code == 1 and "not in the registry" in again.stderr

    (out / f"{ctid_for(1)}.json").write_text(json.dumps(make_document(1, version=2)))
    del registry.documents[make_document(2)["@id"]]
    changed = make_document(0)
    changed["@graph"][0]["ceterms:name"] = {"en-US": "edited elsewhere"}
    registry.documents[changed["@id"]] = changed
    status = run(status_command, "--journal", journal, "--registry", url, "--format", "json")
    assert status.exit_code == 1
    verdicts = {r["ctid"]: (r["action"], r["messages"]) for r in summary(status)["records"]}
    assert verdicts[ctid_for(0)] == ("stale", ["the registry's copy differs from what was published"])
    assert verdicts[ctid_for(1)] == ("stale", ["local file changed since it was published"])
    assert verdicts[ctid_for(2)][0] == "missing" and verdicts[ctid_for(3)][0] == "deleted"

    missing = run(fetch_command, ctid_for(3), "--registry", url)
    assert missing.exit_code == 1 and "not in the registry" in missing.stderr
    assert run(fetch_command, "not-a-ctid", "--registry", url).exit_code == 2


def test_unreachable_registry_stops_the_run_early(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    write_documents(tmp_path / "out", 40)
    options = publish_options(tmp_path / "out", url)
    options.settings = options.settings.override(concurrency=2)  # stop after 4 failures, 4 in flight
    options.retry = RetryPolicy(attempts=2, base=0.01)
    result = publish.publish([tmp_path / "out"], options)
    assert result.stopped and "did not accept connections" in result.stopped
    # Exit 2: the target, not the records (the cause is said once; unsent records are not journalled).
    assert result.counts == {"failed": 40} and result.exit_code == 2
    assert sum("not sent: run stopped" in o.messages for o in result.outcomes) >= 30
    rows = journal_rows(tmp_path / "out" / ".ctdl" / "journal.sqlite")
    assert len(rows) < 40 and {r[0] for r in rows.values()} == {"failed"}


def test_progress_bar_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, pipe = Tty(), io.StringIO()
    for stream in (terminal, pipe):
        bar = TerminalProgress("publishing", stream)
        bar.start(10, done=4)
        for n in range(6):
            bar.advance(publish.Outcome(ctid_for(n), None, "published" if n else "failed"))
        bar.close()
    assert pipe.getvalue() == ""
    last = terminal.getvalue().split("\r")[-1]
    assert "10/10" in last and "/s" in last and "unchanged 4" in last and "pub 5" in last and "fail 1" in last


def test_the_gate_finds_every_violation_ctdl_validate_finds(tmp_path: Path) -> None:
    # The gate runs only the rules that can refuse (Violations); what it finds must be what the command does.
    from ctdl_tools.validate import validate
    from tests.test_validate_reporters import BROKEN

    (tmp_path / "broken.json").write_text(json.dumps(BROKEN), encoding="utf-8")
    files = sorted(str(p) for p in (DATA / "registry").glob("*.json")) + sorted(
        str(p) for p in (DATA / "validate").glob("*.json")) + [str(tmp_path / "broken.json")]
    full = {(os.path.abspath(f.file), f.rule_id, f.pointer, f.value)
            for f in validate(files).findings if f.severity == "Violation"}
    gated = {(path, f.rule_id, f.pointer, f.value) for path, found in gate.violations(files).items() for f in found}
    assert len(full) > 500 and len({rule for _, rule, _, _ in full}) > 10
    assert gated == full

    odd = tmp_path / os.fsdecode(b"caf\xe9.json")  # a name that is not UTF-8: reports escape it
    odd.write_text(json.dumps(BROKEN), encoding="utf-8")
    assert {os.path.abspath(odd)} == set(gate.violations([str(odd)]))


@pytest.mark.parametrize("records", [2, publish.CHILD_REGISTRY_RECORDS])
def test_a_database_that_is_not_one_is_one_message_and_exit_2(tmp_path: Path, records: int) -> None:
    # Found by hand: a traceback (the registry in a thread), or its last stderr line (in a child process).
    write_documents(tmp_path / "out", records)
    (tmp_path / "r.db").write_text("not sqlite at all", encoding="utf-8")
    result = run(publish_command, tmp_path / "out", "--db", tmp_path / "r.db", "--journal", tmp_path / "j.sqlite")
    assert result.exit_code == 2 and "could not start the local registry: file is not a database" in result.stderr


@pytest.mark.parametrize("option", ["--db", "--journal"])
def test_a_path_that_cannot_be_made_is_one_message_and_exit_2(tmp_path: Path, option: str) -> None:
    # Found in acceptance testing: a folder that is a file was a traceback and exit 1 ("records failed").
    write_documents(tmp_path / "out", 2)
    (tmp_path / "afile").write_text("", encoding="utf-8")
    paths = {"--db": tmp_path / "r.db", "--journal": tmp_path / "j.sqlite", option: tmp_path / "afile" / "x"}
    result = run(publish_command, tmp_path / "out", "--db", paths["--db"], "--journal", paths["--journal"])
    assert result.exit_code == 2 and "afile" in result.stderr and "Traceback" not in result.output


def test_file_and_database_names_that_are_not_utf8(tmp_path: Path) -> None:
    # Found in acceptance testing: the journal (SQLite text) could not hold such a name: a traceback mid-run.
    folder = tmp_path / os.fsdecode(b"d\xff")
    paths = write_documents(folder, 2)
    paths[0].rename(folder / os.fsdecode(b"caf\xe9.json"))
    args = ("--db", folder / "reg.db", "--journal", folder / "j.sqlite")
    first = run(publish_command, folder, *args)
    assert first.exit_code == 0 and "2 published" in first.stdout, first.output
    again = run(publish_command, folder, *args)
    assert again.exit_code == 0 and "2 unchanged" in again.stdout  # the journal gives the name back as it was
    status = run(status_command, folder, *args)
    assert status.exit_code == 0 and "2 current" in status.stdout, status.output


def test_a_local_registry_process_that_dies_is_named_as_why_the_run_stopped(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # Noted in session 6: when the child registry died mid-run the publisher said "the registry did not accept
    # connections … run again", as if a remote server were down, not that its own child had stopped.
    from ctdl_tools.registry.server import child

    real = child.start_child

    def dies_at_once(*args: Any, **kwargs: Any) -> child.ChildRegistry:
        registry = real(*args, **kwargs)
        registry._process.kill()
        registry._process.wait()
        return registry

    monkeypatch.setattr(child, "start_child", dies_at_once)
    write_documents(tmp_path / "out", publish.CHILD_REGISTRY_RECORDS)
    settings = config.Settings(registry="local", concurrency=2)
    journal = tmp_path / "j.sqlite"
    options = publish.Options(settings, config.resolve_target(settings, journal), journal, tmp_path / "r.db", KEY,
                              retry=RetryPolicy(attempts=2, base=0.01))
    result = publish.publish([tmp_path / "out"], options)
    assert result.stopped == "stopped: the local registry's process was killed by signal 9; run again"
    assert result.exit_code == 2 and result.counts == {"failed": publish.CHILD_REGISTRY_RECORDS}
    assert {r[0] for r in journal_rows(journal).values()} == {"failed"}  # the journal says what happened


def test_why_a_child_registry_stopped_is_its_own_last_word(tmp_path: Path) -> None:
    from ctdl_tools.registry.server.child import start_child

    registry = start_child(tmp_path / "r.db", KEY, [], REGISTRY_BASE)
    try:
        assert registry.exited() is None
        registry._errors.write(b"base URL: x\nTraceback (most recent call last):\n  File ...\nMemoryError\n")
        registry._process.kill()
        registry._process.wait()
        assert registry.exited() == "the local registry's process was killed by signal 9 (MemoryError)"
    finally:
        registry.stop()


@pytest.mark.parametrize("url", ["http://127.0.0.1:notaport", "http://[::1", "http:///x", "http://h:99999/"])
def test_a_registry_url_that_cannot_be_used_is_one_message_and_exit_2(tmp_path: Path, url: str) -> None:
    # Found in acceptance testing: a bad port or an open bracket was a traceback (requests' InvalidURL), exit 1.
    write_documents(tmp_path / "out", 1)
    for command, args in ((publish_command, [tmp_path / "out"]), (fetch_command, [ctid_for(0)]),
                          (status_command, [tmp_path / "out"]), (unpublish_command, [ctid_for(0)])):
        result = run(command, *args, "--registry", url, "--journal", tmp_path / "j.sqlite")
        assert result.exit_code == 2 and "is not a usable URL" in result.stderr, (command.name, result.output)
        assert "Traceback" not in result.output


def test_a_rejected_key_is_said_to_come_from_where_it_came_from(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # Found in acceptance testing: a wrong api_key in ctdl.toml was reported as "the API key from $CTDL_API_KEY",
    # a variable that was not set.
    monkeypatch.delenv("CTDL_API_KEY", raising=False)
    from_file = config.Settings(api_key="k", source=tmp_path / "ctdl.toml")
    assert config.api_key_source(from_file) == f"api_key in {tmp_path / 'ctdl.toml'}"
    monkeypatch.setenv("CTDL_API_KEY", "k2")
    assert config.api_key_source(from_file) == "$CTDL_API_KEY"  # the environment wins, as api_key() reads it
    assert config.api_key_source(config.Settings(api_key_env="MY_KEY")) == "$MY_KEY"


def test_records_deleted_from_the_registry_are_sent_again_with_resend(tmp_path: Path,
                                                                      fake: tuple[FakeRegistry, str]) -> None:
    # Found in acceptance testing: a record deleted from the registry (by another client, or by an unpublish
    # that recorded it in another journal) was "unchanged" for every later publish: the only way back was to
    # delete the journal by hand.
    registry, url = fake
    write_documents(tmp_path / "out", 3)
    assert run(publish_command, tmp_path / "out", "--registry", url).exit_code == 0
    del registry.documents[make_document(1)["@id"]]
    status = run(status_command, tmp_path / "out", "--registry", url)
    assert status.exit_code == 1 and "1 missing" in status.stdout
    # the same target (found in acceptance testing: the hint sent the records to the default registry)
    assert f"ctdl publish --resend {tmp_path / 'out'} --registry {url}" in status.stderr
    again = run(publish_command, tmp_path / "out", "--registry", url)
    assert again.exit_code == 0 and "3 unchanged" in again.stdout  # the journal's word, no request
    sent = run(publish_command, tmp_path / "out", "--registry", url, "--resend")
    assert sent.exit_code == 0, sent.output
    assert make_document(1)["@id"] in registry.documents
    assert run(status_command, tmp_path / "out", "--registry", url).exit_code == 0



def test_records_the_registry_already_has_are_unchanged_from_a_new_journal(tmp_path: Path,
                                                                           fake: tuple[FakeRegistry, str]) -> None:
    # Found in acceptance testing: the same files published from a copy of the folder (its own, new journal)
    # were reported "3 published" though the registry already had every one of them as it is.
    import shutil

    _, url = fake
    write_documents(tmp_path / "out", 3)
    assert "3 published" in run(publish_command, tmp_path / "out", "--registry", url).stdout
    shutil.copytree(tmp_path / "out", tmp_path / "copy", ignore=shutil.ignore_patterns(".ctdl"))
    again = run(publish_command, tmp_path / "copy", "--registry", url)
    assert again.exit_code == 0 and "3 unchanged" in again.stdout, again.stdout
    assert "published" not in again.stdout.replace("0 published", "")
    # Sent and found as they are: listed in the JSON summary with their envelope ids (skipped ones are not).
    shutil.copytree(tmp_path / "out", tmp_path / "copy2", ignore=shutil.ignore_patterns(".ctdl"))
    summary = json.loads(run(publish_command, tmp_path / "copy2", "--registry", url, "--format", "json").stdout)
    assert summary["counts"]["unchanged"] == 3
    assert [(r["action"], bool(r["envelope_id"])) for r in summary["records"]] == [("unchanged", True)] * 3

def test_unpublish_without_a_journal_here_starts_none(tmp_path: Path, fake: tuple[FakeRegistry, str]) -> None:
    # Found in acceptance testing: unpublish (it takes CTIDs, not paths) started a journal in the working
    # directory, so the one beside the published files never heard of the deletion, silently.
    _, url = fake
    write_documents(tmp_path / "out", 2)
    assert run(publish_command, tmp_path / "out", "--registry", url).exit_code == 0
    gone = run(unpublish_command, ctid_for(0), "--registry", url)
    assert gone.exit_code == 0 and "1 deleted" in gone.stdout
    assert "no publish journal at" in gone.stderr and "--resend" in gone.stderr
    assert not (tmp_path / ".ctdl").exists()
    assert journal_rows(tmp_path / "out" / ".ctdl" / "journal.sqlite")[ctid_for(0)][0] == "published"
    recorded = run(unpublish_command, ctid_for(1), "--registry", url, "--journal",
                   tmp_path / "out" / ".ctdl" / "journal.sqlite")
    assert recorded.exit_code == 0 and "no publish journal" not in recorded.stderr
    assert journal_rows(tmp_path / "out" / ".ctdl" / "journal.sqlite")[ctid_for(1)][0] == "deleted"


def test_a_journal_in_use_by_another_run_stops_the_second_before_it_sends(tmp_path: Path,
                                                                          fake: tuple[FakeRegistry, str]) -> None:
    # Noticed in acceptance testing: two runs of one folder at once (a CI job triggered twice) both found
    # every record new and both sent it all. The second now stops at once, naming the run that holds it.
    registry, url = fake
    write_documents(tmp_path / "out", 2)
    journal = tmp_path / "out" / ".ctdl" / "journal.sqlite"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from ctdl_tools.registry.journal import Journal; j = Journal(Path(sys.argv[1])); "
         "print('held', flush=True); time.sleep(60)", str(journal)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        busy = run(publish_command, tmp_path / "out", "--registry", url)
        assert busy.exit_code == 2, busy.output
        assert f"another ctdl publish or unpublish is using this journal (process {holder.pid})" in busy.stderr
        assert str(journal) in busy.stderr and "Traceback" not in busy.output
        assert registry.documents == {}
        gone = run(unpublish_command, ctid_for(0), "--registry", url, "--journal", journal)
        assert gone.exit_code == 2 and "another ctdl publish" in gone.stderr
    finally:
        holder.kill()  # the system releases its lock however it ends
        holder.wait()
    done = run(publish_command, tmp_path / "out", "--registry", url)
    assert done.exit_code == 0 and len(registry.documents) == 2
    # A dry run only reads the journal: it never waits for, or stops, a run in progress.
    with Journal(journal):
        assert run(publish_command, tmp_path / "out", "--registry", url, "--dry-run").exit_code == 0


def test_a_run_without_a_journal_keeps_its_marks_in_memory() -> None:
    scratch = Journal(None)
    with scratch:
        scratch.mark_deleted("target", ctid_for(0))
        assert scratch.path is None and scratch.entries("target")[ctid_for(0)].status == "deleted"


def test_records_whose_files_are_gone_are_named_until_unpublished(tmp_path: Path,
                                                                   fake: tuple[FakeRegistry, str]) -> None:
    # Found in acceptance testing: after a catalog file was deleted, publish and --dry-run said nothing of its
    # record, which stayed in the registry (only `registry status` called it stale).
    _, url = fake
    write_documents(tmp_path / "out", 5)
    assert run(publish_command, tmp_path / "out", "--registry", url).exit_code == 0
    (tmp_path / "out" / f"{ctid_for(2)}.json").unlink()
    for extra in ((), ("--dry-run",)):
        again = run(publish_command, tmp_path / "out", "--registry", url, *extra)
        assert again.exit_code == 0
        assert f"note: 1 record(s) published from files no longer under the given path are still in the registry: " \
               f"{ctid_for(2)}; `ctdl unpublish CTID… --journal" in again.stderr
    as_json = run(publish_command, tmp_path / "out", "--registry", url, "--format", "json")
    assert summary(as_json)["gone"] == [ctid_for(2)]
    one_file = run(publish_command, tmp_path / "out" / f"{ctid_for(1)}.json", "--registry", url)
    assert "no longer under" not in one_file.stderr  # files named one by one: the others were not meant
    journal = tmp_path / "out" / ".ctdl" / "journal.sqlite"
    assert run(unpublish_command, ctid_for(2), "--registry", url, "--journal", journal).exit_code == 0
    assert "no longer under" not in run(publish_command, tmp_path / "out", "--registry", url).stderr
    # Found in review: a file still there but refused now (its CTID gone) is not "no longer under the path".
    broken = tmp_path / "out" / f"{ctid_for(3)}.json"
    document = json.loads(broken.read_text())
    del document["@graph"][0]["ceterms:ctid"]
    broken.write_text(json.dumps(document))
    refused = run(publish_command, tmp_path / "out", "--registry", url, "--format", "json")
    assert summary(refused)["gone"] == [] and summary(refused)["counts"].get("refused") == 1


def test_a_child_registry_takes_the_organizations_of_a_whole_state(tmp_path: Path) -> None:
    # Found in a robustness sweep: publishing 3,500 organizations failed with "could not start the local
    # registry: [Errno 7] Argument list too long": every CTID went into one environment variable, and
    # Linux takes 128 KiB at most in one. The settings now come on the child's standard input.
    import uuid

    import requests

    from ctdl_tools.registry.server.child import start_child

    orgs = sorted(f"ce-{uuid.UUID(int=i)}" for i in range(5_000))  # ~205 KB of CTIDs
    registry = start_child(tmp_path / "r.db", KEY, orgs, REGISTRY_BASE)
    try:
        listed = requests.get(f"{registry.url}/metadata/organizations", timeout=30).json()
        assert {o["ctid"] for o in listed} >= set(orgs)
    finally:
        registry.stop()


@pytest.mark.parametrize("value", ["nan", "NaN", "-nan"])
def test_timeout_nan_is_refused_on_the_command_line(tmp_path: Path, value: str) -> None:
    # Found in a robustness sweep: click's FloatRange let NaN through (every comparison with it is false), and
    # every request then failed; the same value in ctdl.toml was already refused.
    from ctdl_tools.cli import main

    result = CliRunner().invoke(main, ["publish", str(tmp_path), "--timeout", value])
    assert result.exit_code == 2 and "is not a number of seconds" in result.output


def test_the_rate_of_a_short_run_is_not_rounded_to_nothing() -> None:
    # Found in acceptance testing: one record published in 2.3 s said "(0/s)".
    from ctdl_tools.registry.commands import _rate
    from ctdl_tools.registry.publish import PUBLISHED_NEW, Outcome, Summary

    def rate(records: int, elapsed: float) -> str:
        outcomes = [Outcome(f"ce-{i}", None, PUBLISHED_NEW) for i in range(records)]
        return _rate(Summary("publish", "local", outcomes, elapsed=elapsed))

    assert rate(1, 2.3) == " in 2.3s (0.4/s)"
    assert rate(500, 2.0) == " in 2.0s (250/s)"
    assert rate(0, 2.0) == " in 2.0s"
