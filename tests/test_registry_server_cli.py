"""``registry serve`` / ``registry add-key``: the click group, run as a user would."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctdl_tools.registry.server.commands import registry
from tests._registry_server_support import ORG, Client, credential, main_ctid
from tests.conftest import sigint_default

RUN = "import sys; from ctdl_tools.registry.server.commands import registry; registry(prog_name='ctdl registry')"


@pytest.mark.parametrize(("args", "message"), [
    (["--org", "acme"], "is not a CTID"),
    (["--org", "ce-123=Short"], "use --org CTID or --org CTID=NAME"),
    (["--port", "70000"], "70000 is not in the range"),
    (["--port", "http"], "is not a valid integer"),
    (["--base-url", "registry.example.org"], "must start with http:// or https://"),
    (["--db", "/no/such/folder/r.sqlite"], "does not exist"),
    (["--bogus"], "No such option"),
])
def test_bad_options_exit_2_with_one_message(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(registry, ["serve", "--db", str(tmp_path / "r.sqlite"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.sqlite").exists()  # nothing was created


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("these are not the tables you are looking for\n" * 200)
    result = CliRunner().invoke(registry, ["serve", "--db", str(notes)])
    assert result.exit_code == 2 and "not a SQLite database" in result.output and "Traceback" not in result.output


def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(registry, ["serve", "--db", str(tmp_path / "r.sqlite"), "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "Traceback" not in result.output


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    db = tmp_path / "served.sqlite"
    process = subprocess.Popen(
        [sys.executable, "-c", RUN, "serve", "--db", str(db), "--port", "0", "--api-key", "cli-key", "--quiet",
         "--org", f"{ORG}=Northwind Technical College", "--base-url", "https://registry.example.org/"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=sigint_default)
    try:
        url = process.stdout.readline().strip()  # type: ignore[union-attr]
        yield url, process, db
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


def test_serve_prints_the_bound_url_and_serves(served: tuple[str, subprocess.Popen, Path]) -> None:
    url, process, _ = served
    assert url.startswith("http://127.0.0.1:") and int(url.rsplit(":", 1)[1]) > 0
    client = Client(url)
    assert client.get(f"/metadata/organizations/{ORG}").json()["name"] == "Northwind Technical College"
    document = credential()
    assert client.publish(document, headers={"Authorization": "Token cli-key"}).status_code == 201
    node = client.get(f"/resources/{main_ctid(document)}").json()
    assert node["@id"] == f"https://registry.example.org/resources/{main_ctid(document)}"  # --base-url
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0
    output = process.stderr.read() + process.stdout.read()  # type: ignore[union-attr]
    assert "Traceback" not in output and "registry stopped" in output
    assert "cli-key" not in output  # keys are never logged
    assert "is a new, empty registry" in output  # the database did not exist


def test_serving_a_database_that_exists_says_nothing_of_a_new_one(tmp_path: Path) -> None:
    # Found in acceptance testing: `ctdl publish out/ctdl` then `ctdl registry serve` (its default --db is
    # ./registry.sqlite, publish's out/ctdl/.ctdl/registry.sqlite) served a new empty registry without a word.
    db = tmp_path / "registry.sqlite"
    sqlite3.connect(db).close()
    process = subprocess.Popen([sys.executable, "-c", RUN, "serve", "--db", str(db), "--port", "0", "--quiet"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=sigint_default)
    try:
        assert process.stdout.readline().startswith("http://127.0.0.1:")  # type: ignore[union-attr]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert "new, empty" not in process.stderr.read()  # type: ignore[union-attr]
    finally:
        if process.poll() is None:
            process.kill()


def test_add_key_prints_a_key_that_publishes(tmp_path: Path) -> None:
    db = tmp_path / "keys.sqlite"
    result = CliRunner().invoke(registry, ["add-key", "--db", str(db), "--label", "state agency"])
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    assert len(key) == 64
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT label FROM api_keys").fetchall() == [("state agency",)]
    from ctdl_tools.registry.server import start_embedded

    with start_embedded(db, "", orgs=[ORG]) as running:
        assert Client(running.url).publish(credential(), headers={"Authorization": f"Token {key}"}).status_code == 201


def test_serve_with_standard_output_and_error_closed_still_serves(tmp_path: Path) -> None:
    # Found in acceptance testing: `ctdl registry serve … >&-` failed to start (uvicorn's logging takes sys.stdout).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def close_streams() -> None:
        sigint_default()
        os.close(1)
        os.close(2)

    process = subprocess.Popen([sys.executable, "-c", RUN, "serve", "--db", str(tmp_path / "r.sqlite"), "--port",
                                str(port)], stdin=subprocess.DEVNULL, preexec_fn=close_streams)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            try:
                assert Client(f"http://127.0.0.1:{port}").get(f"/metadata/organizations/{ORG}").status_code == 404
                break
            except OSError:
                time.sleep(0.1)
        assert process.poll() is None, f"it stopped with exit {process.returncode}"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_the_child_registry_needs_no_temporary_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Found in acceptance testing: with no writable temporary directory (a read-only /tmp), publishing 500 records or
    # more failed: the child registry's stderr went to a temporary file there. It goes beside the database now.
    import tempfile

    from ctdl_tools.registry.server.child import start_child

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-folder"))
    with start_child(tmp_path / "r.sqlite", "k", [ORG], "https://credentialengineregistry.org") as registry:
        assert Client(registry.url).get(f"/metadata/organizations/{ORG}").status_code == 200
