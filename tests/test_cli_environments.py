"""The ``ctdl`` command in unusual environments: closed standard streams, a reader that leaves early, input
from a pipe without a file name extension, a current directory that has been removed, too little memory.

Found in acceptance testing (closed streams, `| head`, `ulimit -v`, `cat … | ctdl convert /dev/stdin`, a
shell standing in a removed folder); most tests run the command as a process, as a shell would.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

import ctdl_tools
from ctdl_tools.cli import main, os_problem
from ctdl_tools.registry.progress import TerminalProgress
from ctdl_tools.registry.publish import Outcome

from .conftest import SAMPLES
from .publish_support import ctid_for, write_documents

ROOT = str(Path(ctdl_tools.__file__).resolve().parents[1])


def _env() -> dict[str, str]:
    """A child Python importing this checkout's ctdl_tools, without the user's API key."""
    env = {k: v for k, v in os.environ.items() if k != "CTDL_API_KEY"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    return env


def _ctdl(*args: str, cwd: Path, shell_redirect: str = "", stdin: bytes | None = None,
          timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """``ctdl ARGS`` as a process; ``shell_redirect`` (``2>&-``, ``>&-``) is applied by a shell, as a user's."""
    command = [sys.executable, "-m", "ctdl_tools", *args]
    if shell_redirect:
        command = ["sh", "-c", f'exec "$@" {shell_redirect}', "sh", *command]
    return subprocess.run(command, cwd=cwd, env=_env(), input=stdin, capture_output=True, timeout=timeout,
                          check=False)


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """Two documents published to the embedded registry (journal and database in ``docs/.ctdl``)."""
    docs = tmp_path / "docs"
    write_documents(docs, 2)
    done = _ctdl("publish", str(docs), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return docs


# --- 1. stderr closed: the progress bar is not drawn, the run goes on ------------------------------------------
def test_progress_without_stderr_is_off_and_never_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # Found in acceptance testing: `ctdl publish DIR 2>&-` exited 3 and printed nothing (sys.stderr is None).
    monkeypatch.setattr(sys, "stderr", None)
    progress = TerminalProgress("publishing")
    progress.start(2)
    progress.advance(Outcome("ce-x", None, "published"))
    progress.close()
    assert progress.enabled is False


def test_a_terminal_that_stops_taking_the_bar_does_not_stop_the_run() -> None:
    class HungUp(io.StringIO):
        def isatty(self) -> bool:
            return True

        def write(self, _text: str) -> int:
            raise OSError(5, "Input/output error")

    progress = TerminalProgress("publishing", HungUp())
    progress.start(2)
    progress.advance(Outcome("ce-x", None, "published"))
    progress.close()
    assert progress.enabled is False


def test_publish_dry_run_and_publish_with_stderr_closed(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_documents(docs, 2)
    dry = _ctdl("publish", str(docs), "--dry-run", cwd=tmp_path, shell_redirect="2>&-")
    assert dry.returncode == 0 and dry.stdout.startswith(b"dry run, would publish: 2 new"), dry
    done = _ctdl("publish", str(docs), cwd=tmp_path, shell_redirect="2>&-")
    assert done.returncode == 0 and done.stdout.startswith(b"2 published"), done


def test_status_and_unpublish_with_stderr_closed(published: Path, tmp_path: Path) -> None:
    status = _ctdl("registry", "status", str(published), cwd=tmp_path, shell_redirect="2>&-")
    assert status.returncode == 0 and status.stdout.startswith(b"2 current"), status
    journal = str(published / ".ctdl" / "journal.sqlite")
    gone = _ctdl("unpublish", ctid_for(0), "--journal", journal, cwd=tmp_path, shell_redirect="2>&-")
    assert gone.returncode == 0 and gone.stdout.startswith(b"1 deleted"), gone


# --- 2. fetch with stdout closed -------------------------------------------------------------------------------
def test_fetch_to_a_closed_stdout_is_one_message_and_exit_2(published: Path, tmp_path: Path) -> None:
    # Found in acceptance testing: `ctdl fetch CTID >&-` was an internal error (sys.stdout.buffer on None).
    journal = str(published / ".ctdl" / "journal.sqlite")
    lost = _ctdl("fetch", ctid_for(0), "--journal", journal, cwd=tmp_path, shell_redirect=">&-")
    assert lost.returncode == 2, lost
    assert lost.stderr == b"error: cannot write the documents to standard output: it is closed (use -o DIR)\n"
    kept = _ctdl("fetch", ctid_for(0), "--journal", journal, "-o", str(tmp_path / "fetched"), cwd=tmp_path,
                 shell_redirect=">&-")
    assert kept.returncode == 0 and (tmp_path / "fetched" / f"{ctid_for(0)}.json").is_file(), kept


def test_fetch_json_summary_with_stderr_closed_stays_off_stdout(published: Path, tmp_path: Path) -> None:
    # The summary goes to stderr beside documents on stdout; with stderr closed, click.echo(file=None) wrote it
    # to stdout after the document, which then no longer parsed.
    journal = str(published / ".ctdl" / "journal.sqlite")
    fetched = _ctdl("fetch", ctid_for(0), "--journal", journal, "--format", "json", cwd=tmp_path,
                    shell_redirect="2>&-")
    assert fetched.returncode == 0
    assert json.loads(fetched.stdout)["@id"].endswith(ctid_for(0))


# --- 3. input without a file name extension: read by its content ----------------------------------------------
def _yaml_catalog(tmp_path: Path) -> Path:
    import yaml

    path = tmp_path / "catalog.yaml"
    data = json.loads((SAMPLES / "catalog.json").read_text(encoding="utf-8"))
    path.write_text("# the sample catalog\n" + yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize(("sample", "kind"), [
    ("college/organization.csv", None),
    ("college/organization.csv", "organizations"),
    ("college/skills.csv", None),
    ("catalog.json", None),
    ("catalog.xlsx", None),
    ("catalog.yaml", None),
])
def test_convert_reads_stdin_by_its_content(tmp_path: Path, sample: str, kind: str | None) -> None:
    # Found in acceptance testing: `cat credentials.csv | ctdl convert /dev/stdin --kind credentials -o out` was
    # refused ("unsupported file type (none)"), though the README says convert reads /dev/stdin.
    given = _yaml_catalog(tmp_path) if sample == "catalog.yaml" else SAMPLES / sample
    kind_args = ["--kind", kind] if kind else []
    by_name = _ctdl("convert", str(given), *kind_args, "-o", str(tmp_path / "by_name"), cwd=tmp_path)
    piped = _ctdl("convert", "/dev/stdin", *kind_args, "-o", str(tmp_path / "piped"), cwd=tmp_path,
                  stdin=given.read_bytes())
    assert piped.returncode == by_name.returncode, piped.stderr.decode()[-2000:]
    assert b"unsupported file type" not in piped.stderr and b"Traceback" not in piped.stderr
    assert _tree(tmp_path / "piped") == _tree(tmp_path / "by_name") != {}


def test_a_file_or_pipe_without_extension_is_read_by_its_content(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    workbook = tmp_path / "catalog"  # an XLSX workbook saved without its extension
    shutil.copyfile(SAMPLES / "catalog.xlsx", workbook)
    runner = CliRunner()
    named = runner.invoke(main, ["convert", str(SAMPLES / "catalog.xlsx"), "-o", "named"])
    bare = runner.invoke(main, ["convert", str(workbook), "-o", "bare"])
    assert bare.exit_code == named.exit_code and "Traceback" not in bare.output
    assert _tree(tmp_path / "bare") == _tree(tmp_path / "named") != {}
    fifo = tmp_path / "incoming"  # a named pipe without extension, written once (JSON)
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes((SAMPLES / "catalog.json").read_bytes()))
    writer.start()
    piped = runner.invoke(main, ["convert", str(fifo), "-o", "fifo"])
    writer.join(timeout=10)
    direct = runner.invoke(main, ["convert", str(SAMPLES / "catalog.json"), "-o", "json"])
    assert piped.exit_code == direct.exit_code == 0, piped.output
    assert _tree(tmp_path / "fifo") == _tree(tmp_path / "json") != {}


@pytest.mark.parametrize(("head", "suffix"), [
    (b"PK\x03\x04\x14\x00", ".xlsx"),
    (b'\xef\xbb\xbf \n {"credentials": []}', ".json"),
    (b"[1, 2]", ".json"),
    (b"# a catalog\n\ncredentials:\n  - Name: A\n", ".yaml"),
    (b"---\ncredentials: []\n", ".yaml"),
    (b"Name,Description\nA,B\n", ".csv"),
    (b"ceasn:competencyText,@type\nA,B\n", ".csv"),
    (b"Credential Name;Description: long\nA;B\n", ".csv"),
    (b"", ".csv"),
])
def test_content_suffix(tmp_path: Path, head: bytes, suffix: str) -> None:
    from ctdl_tools.catalog.sources import content_suffix, input_suffix

    path = tmp_path / "input"
    path.write_bytes(head)
    assert content_suffix(str(path)) == suffix
    assert input_suffix(path) == suffix
    assert input_suffix(tmp_path / "named.CSV") == ".csv"  # an extension, when there is one, decides


# --- 4. a current directory that has been removed --------------------------------------------------------------
def _in_removed_dir(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    gone = tmp_path / "gone"
    gone.mkdir()
    command = ["sh", "-c", 'cd "$1" && rmdir "$1" && shift && exec "$@"', "sh", str(gone), sys.executable, "-m",
               "ctdl_tools", *args]
    return subprocess.run(command, cwd=tmp_path, env=_env(), capture_output=True, timeout=60, check=False)


def test_publish_with_absolute_paths_works_in_a_removed_directory(tmp_path: Path) -> None:
    # Found in acceptance testing: "error: No such file or directory", naming no path (config lookup's cwd).
    docs = tmp_path / "docs"
    write_documents(docs, 2)
    done = _in_removed_dir(tmp_path, "publish", str(docs), "--dry-run")
    assert done.returncode == 0 and done.stdout.startswith(b"dry run, would publish: 2 new"), done
    assert done.stderr == (b"warning: the current directory no longer exists (it was removed): no ctdl.toml or "
                           b"pyproject.toml settings were looked for\n")


@pytest.mark.parametrize(("args", "named"), [
    (["publish", "docs"], "docs"),
    (["unpublish", ctid_for(0)], ".ctdl/journal.sqlite"),
    (["convert", "catalog.csv", "-o", "/nonexistent-ctdl-out"], "catalog.csv"),
])
def test_a_relative_path_in_a_removed_directory_is_said_so(tmp_path: Path, args: list[str], named: str) -> None:
    result = _in_removed_dir(tmp_path, *args)
    assert result.returncode == 2, result
    message = result.stderr.decode().splitlines()[-1]
    assert message == (f"error: {named}: the current directory no longer exists (it was removed), and this path is "
                       "relative to it: cd to a folder that exists, or give absolute paths")


def test_an_os_error_without_a_path_in_a_removed_directory_says_why(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert os_problem(FileNotFoundError(2, "No such file or directory")) == (
        "the current directory no longer exists (it was removed): cd to a folder that exists, or give absolute paths")
    absolute = FileNotFoundError(2, "No such file or directory", "/abs/x")
    assert os_problem(absolute) == "/abs/x: No such file or directory"


# --- 5. out of memory; a reader that leaves early -------------------------------------------------------------
_RAISING = """
import sys
import ctdl_tools.build.convert as convert
import ctdl_tools.cli as cli

def boom(*args, **kwargs):
    raise {error}

convert.convert = boom
cli._load = {load}
sys.argv = ["ctdl", *sys.argv[1:]]
cli.entry()
"""


@pytest.mark.parametrize(("error", "load", "args"), [
    ("MemoryError()", "cli._load", ["convert", "c.csv", "-o", "out"]),
    # A compiled module the loader had no memory to map, imported as a stage command is first used.
    ("AssertionError('unused')", "lambda target: (_ for _ in ()).throw(ImportError("
     "'libx.so: failed to map segment from shared object'))", ["validate", "c.csv"]),
])
def test_out_of_memory_is_exit_2_with_what_to_do(tmp_path: Path, error: str, load: str, args: list[str]) -> None:
    # Found in acceptance testing: under `ulimit -v` a MemoryError was "internal error (a bug in ctdl_tools)",
    # exit 3 (and a compiled module that could not be mapped, "the installation is incomplete").
    script = _RAISING.format(error=error, load=load)
    (tmp_path / "c.csv").write_text("Name\nA\n")
    run = subprocess.run([sys.executable, "-c", script, *args], cwd=tmp_path, env=_env(),
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("ctdl: out of memory: ") and "--jobs 1" in run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr and run.stderr.count("\n") == 1


def test_out_of_memory_in_a_command_called_in_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import ctdl_tools.build.convert as convert

    def boom(*_args: object, **_kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(convert, "convert", boom)
    (tmp_path / "c.csv").write_text("Name\nA\n")
    result = CliRunner().invoke(main, ["convert", str(tmp_path / "c.csv"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and result.stderr.startswith("ctdl: out of memory: ")


def _reader_leaves(args: list[str], cwd: Path, *, first_line: bool, python: list[str] | None = None,
                   stderr_too: bool = False) -> tuple[int, bytes, bytes]:
    """Run ``ctdl ARGS`` into a pipe whose reader reads one line (``| head -1``) or nothing, then leaves."""
    command = python or [sys.executable, "-m", "ctdl_tools"]
    process = subprocess.Popen([*command, *args], cwd=cwd, env=_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT if stderr_too else subprocess.PIPE)
    assert process.stdout is not None
    line = process.stdout.readline() if first_line else b""
    process.stdout.close()
    err = process.stderr.read() if process.stderr is not None else b""
    return process.wait(timeout=60), line, err


@pytest.mark.parametrize("stderr_too", [False, True])
def test_shapes_list_into_head_exits_0(tmp_path: Path, stderr_too: bool) -> None:
    # Found in acceptance testing: `ctdl shapes list | head -1` exited 1 (click's broken-pipe exit), which CI
    # reads as "records failed". The listing (75 kB) is larger than a pipe holds, so the reader leaves mid-way.
    code, line, err = _reader_leaves(["shapes", "list"], tmp_path, first_line=True, stderr_too=stderr_too)
    assert line and code == 0 and err == b""


def test_a_reader_gone_before_the_first_byte_exits_0(tmp_path: Path) -> None:
    code, _, err = _reader_leaves(["shapes", "list", "--format", "json"], tmp_path, first_line=False)
    assert code == 0 and err == b""
    # main() called without the installed command's streams (as `python -c` would): the same exit, quietly.
    python = [sys.executable, "-c", "import sys; from ctdl_tools.cli import main; sys.argv[0] = 'ctdl'; main()"]
    code, _, err = _reader_leaves(["shapes", "list"], tmp_path, first_line=False, python=python)
    assert code == 0 and err == b""


def test_a_reader_that_leaves_does_not_change_a_decided_exit_code(tmp_path: Path) -> None:
    # The command runs to its end and exits with its own code: a record that failed is still exit 1, the
    # documents that could be converted are written, and a good run is 0.
    catalog = json.loads((SAMPLES / "catalog.json").read_text(encoding="utf-8"))
    catalog["credentials"].append({"Name": "A credential without an identifier"})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(catalog), encoding="utf-8")
    expected = _ctdl("convert", str(bad), "-o", str(tmp_path / "expected"), cwd=tmp_path)
    assert expected.returncode == 1 and _tree(tmp_path / "expected")
    code, _, err = _reader_leaves(["convert", str(bad), "-o", str(tmp_path / "out")], tmp_path, first_line=False)
    assert code == expected.returncode and b"Traceback" not in err
    assert _tree(tmp_path / "out") == _tree(tmp_path / "expected")
    good = SAMPLES / "college" / "organization.csv"
    code, _, err = _reader_leaves(["convert", str(good), "-o", str(tmp_path / "good")], tmp_path, first_line=False)
    assert code == 0 and b"Traceback" not in err


def test_a_broken_pipe_that_is_not_stdout_s_is_a_failure_not_exit_0(monkeypatch: pytest.MonkeyPatch) -> None:
    # Found in review: every BrokenPipeError reaching the command group ended as exit 0 with stdout silenced, a
    # worker's or a socket's too: a gate that crashed would have passed.
    from click.testing import CliRunner

    from ctdl_tools import cli
    from ctdl_tools.validate import commands

    def broken(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(commands, "_run", broken)
    result = CliRunner().invoke(cli.main, ["validate", str(Path(__file__).parent / "data" / "validate")])
    assert result.exit_code == 2 and "Broken pipe" in result.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_is_not_read_to_tell_its_format_outside_read_once(tmp_path: Path) -> None:
    # Found in review: a library caller asking a suffix-less pipe's format (outside read_once) had its bytes read.
    from ctdl_tools.catalog import sources

    fifo = tmp_path / "catalog"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b'{"credentials": []}'), daemon=True)
    writer.start()
    try:
        assert sources.input_suffix(fifo) == ""
    finally:
        with open(fifo, "rb") as handle:
            left = handle.read()
        writer.join(timeout=5)
    assert left == b'{"credentials": []}'


def _raise_memory_error(*_args: object, **_kwargs: object) -> None:
    raise MemoryError


@pytest.mark.parametrize(("module", "name", "args"), [
    # openpyxl's errors for a damaged workbook are caught broadly: memory running out was "not a readable
    # XLSX workbook (MemoryError: )", a fault of the file's.
    ("openpyxl", "load_workbook", ["convert", "samples/catalog.xlsx"]),
    # A builder's bug fails its item only; memory running out was one "internal error … please report it" per item.
    ("ctdl_tools.build.convert", "_build", ["convert", "samples/catalog.json"]),
])
def test_out_of_memory_while_reading_or_building_is_not_the_input_s_fault(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, module: str, name: str, args: list[str]) -> None:
    import importlib

    monkeypatch.setattr(importlib.import_module(module), name, _raise_memory_error)
    root = Path(__file__).resolve().parent.parent
    command = [args[0], str(root / args[1]), "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("ctdl: out of memory: "), result.stderr
    assert "XLSX" not in result.stderr and "internal error" not in result.stderr
