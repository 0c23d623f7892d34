"""Defects a robustness sweep of ``ctdl convert`` found: each test failed before its fix."""

from __future__ import annotations

import builtins
import contextlib
import csv
import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctdl_tools.build import convert as convert_module
from ctdl_tools.build.convert import ConvertOptions, convert
from ctdl_tools.cli import INTERRUPTED, main
from ctdl_tools.errors import InputError

from .conftest import DATA, SAMPLES, sigint_default

ORGANIZATIONS = SAMPLES / "college" / "organization.csv"
CASE_PACKAGE = DATA / "catalogs" / "case_opensalt_what-standards-could-be_cfpackage.json"
OWNER = "ce-5b0f0f4e-3c1a-4f8e-9d55-2f4b9b7a1c01"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def organizations(path: Path, count: int) -> Path:
    """organization.csv's data rows repeated ``count`` times, each with its own External Identifier and no CTID."""
    with ORGANIZATIONS.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for n in range(count):
            row = list(rows[n % len(rows)])
            row[0], row[1] = f"ORG-{n}", ""
            writer.writerow(row)
    return path


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


# --- 1: Ctrl-C during a parallel conversion ---------------------------------------------------------------------
def _children(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


@pytest.mark.skipif(not Path(f"/proc/self/task/{os.getpid()}/children").exists(), reason="needs Linux's /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: convert forks no workers")
def test_ctrl_c_during_a_parallel_conversion_says_interrupted_once_and_no_worker_traceback(tmp_path: Path) -> None:
    # Found in a robustness sweep: Ctrl-C (SIGINT to the terminal's process group) reached the forked workers
    # too, each printing "Process ForkPoolWorker-1:" and a traceback ending in KeyboardInterrupt.
    catalog = organizations(tmp_path / "orgs.csv", 8000)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "ctdl_tools", "convert", str(catalog), "-o", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=sigint_default, process_group=0)
    try:
        deadline = time.monotonic() + 120
        while not _children(process.pid) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # the workers are converting
        if process.poll() is not None:
            pytest.skip("the run ended before its workers could be interrupted")
        os.killpg(process.pid, signal.SIGINT)  # as a terminal sends Ctrl-C: to every process of the group
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    assert err.strip() == INTERRUPTED, err
    written = list(out.iterdir())
    assert all(p.name.startswith("ce-") and p.suffix == ".json" for p in written), written  # no temporary file
    for path in written:  # nothing partial
        assert json.loads(path.read_bytes())["@graph"]


# --- 2: --language checked as a Language cell is -----------------------------------------------------------------
@pytest.mark.parametrize("language", ["zz", "xx-YY-zz-qq", "qq-US"])
def test_a_language_no_iso_639_1_code_is_is_refused_as_in_a_cell(tmp_path: Path, language: str) -> None:
    # Found in a robustness sweep: accepted silently, every text then carried the tag (and ctdl validate reported
    # LANG-UNKNOWN on each), while a catalog cell's xx-YY is that cell's error.
    code, _, err = run("convert", str(ORGANIZATIONS), "-o", str(tmp_path / "out"), "--language", language)
    assert code == 2, err
    primary = language.split("-")[0].lower()
    assert error_lines(err) == [f"error: --language: unknown language {language!r}: no ISO 639-1 language code is "
                                f"{primary!r} (use a BCP-47 tag such as en-US, es, fr-CA)"], err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("language", "written"), [("eng", "en"), ("ENG-us", "en-US"), ("fra-CA", "fr-CA")])
def test_a_three_letter_code_of_a_two_letter_language_is_written_short_with_a_warning(
        tmp_path: Path, language: str, written: str) -> None:
    # Found in a robustness sweep: --language eng keyed every text "eng", where a cell's eng is en with a warning.
    code, _, err = run("convert", str(ORGANIZATIONS), "-o", str(tmp_path / "out"), "--language", language)
    assert code == 0, err
    primary = language.split("-")[0]
    assert f"warning: --language: {language!r} written {written!r}: {primary!r} is the three-letter ISO 639-2 code" \
        in err, err
    names = [json.loads(p.read_text())["@graph"][0]["ceterms:name"] for p in (tmp_path / "out").iterdir()]
    assert names and all(list(name) == [written] for name in names)


# --- 3: a named pipe -------------------------------------------------------------------------------------------
def _feed(fifo: Path, data: bytes) -> threading.Thread:
    """Write ``data`` into the named pipe once a reader opens it."""

    def write() -> None:
        with contextlib.suppress(OSError), fifo.open("wb") as handle:  # OSError: the reader went away (the run
            handle.write(data)                                        # failed): the test says so

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def _release(fifo: Path) -> None:
    """A writer still waiting for a reader (the run never opened the pipe) is let go."""
    with contextlib.suppress(OSError):
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize(("source", "name"), [(ORGANIZATIONS, "organizations.csv"), (CASE_PACKAGE, "framework.json"),
                                              (SAMPLES / "college" / "skills.csv", "skills.csv")])
def test_a_named_pipe_is_read_once(tmp_path: Path, source: Path, name: str) -> None:
    # Found in a robustness sweep: `mkfifo f.csv; cat catalog.csv > f.csv & ctdl convert f.csv` never ended: the
    # input was opened a second time (sniffed, then read), and a pipe gives its bytes to the first reader only.
    fifo = tmp_path / name
    os.mkfifo(fifo)
    writer = _feed(fifo, source.read_bytes())
    temp = tmp_path / "tmp"  # where the pipe's bytes are kept while the run reads them
    temp.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "ctdl_tools", "convert", name, "-o", "out", "--owner", OWNER],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TMPDIR": str(temp)})
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("convert waited for a second reading of the named pipe")
    finally:
        _release(fifo)
        writer.join(5)
    assert process.returncode == 0, err
    assert out.startswith(f"{name}: ") and " 0 failed" in out, out  # named as given, not as the copy read
    expected = subprocess.run([sys.executable, "-m", "ctdl_tools", "convert", str(source), "-o", "regular",
                               "--owner", OWNER], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == \
        sorted(p.name for p in (tmp_path / "regular").iterdir()), expected.stderr
    assert list(temp.iterdir()) == []  # removed when the run ends


# --- 4: an output folder that refuses files ------------------------------------------------------------------------
def test_an_output_folder_that_refuses_new_files_is_one_message_and_exit_2(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Found in a robustness sweep: `-o /sys/kernel` (or any folder root passes os.access for but the file system
    # refuses) gave one "cannot write" error per record and exit 1: 10k lines for 10k records.
    out = tmp_path / "out"
    out.mkdir()
    real_open = builtins.open

    def refusing_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if isinstance(file, (str, os.PathLike)) and str(file).startswith(str(out)) and "w" in mode:
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", refusing_open)
    code, stdout, err = run("convert", str(organizations(tmp_path / "orgs.csv", 50)), "-o", str(out))
    assert code == 2, err
    assert error_lines(err) == [f"error: {out}: the output directory is not writable: Permission denied"], err
    assert list(out.iterdir()) == [] and stdout == ""


def _full_after(monkeypatch: pytest.MonkeyPatch, documents: int) -> None:
    """The disk fills up after ``documents`` documents: later writes fail with ENOSPC."""
    real_write, count = convert_module.write_atomic, [0]

    def write(path: Path, data: bytes) -> None:
        count[0] += 1
        if count[0] > documents:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(convert_module, "write_atomic", write)


def test_a_full_disk_stops_the_run_with_one_message_and_exit_2(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # Found in a robustness sweep: every record after the disk filled up was its own "cannot write" error, exit 1.
    _full_after(monkeypatch, 1)
    out = tmp_path / "out"
    code, stdout, err = run("convert", str(organizations(tmp_path / "orgs.csv", 50)), "-o", str(out))
    assert code == 2, err
    (line,) = error_lines(err)
    assert line.startswith(f"error: {out}: cannot write ce-") and "No space left on device" in line, err
    assert "the documents written so far are whole" in line and stdout == ""
    (written,) = out.iterdir()
    assert json.loads(written.read_bytes())["@graph"]


def test_a_full_disk_met_by_a_forked_worker_stops_the_run_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _full_after(monkeypatch, 0)  # inherited by the forked workers
    with pytest.raises(InputError, match="No space left on device") as caught:
        convert([organizations(tmp_path / "orgs.csv", 40)], tmp_path / "out", ConvertOptions(), workers=2)
    assert caught.value.where.file == str(tmp_path / "out")


# --- 5: a CSV row with fewer cells than the header -------------------------------------------------------------------
def _short_rows(path: Path, short: list[int], count: int = 4) -> Path:
    """organization.csv's rows, those numbered in ``short`` (data rows, 1-based) cut to 6 cells."""
    organizations(path, count)
    with path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(row[:6] if n in short else row for n, row in enumerate(rows, start=1))
    return path


def test_a_row_with_fewer_cells_than_the_header_is_warned_about(tmp_path: Path) -> None:
    # Found in a robustness sweep: a row of 6 cells under a header of 16 was read without a word.
    path = _short_rows(tmp_path / "orgs.csv", [2])
    code, stdout, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert err.splitlines() == [f"warning: {path}, row 3: the row has 6 cell(s), the header 16: the missing ones "
                                "are read as empty"]
    assert "4 written, 0 failed, 1 warnings" in stdout


def test_many_rows_with_fewer_cells_than_the_header_are_one_warning(tmp_path: Path) -> None:
    path = _short_rows(tmp_path / "orgs.csv", list(range(3, 3001)), count=3000)
    code, stdout, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert err.splitlines() == [f"warning: {path}, row 4: the row has 6 cell(s), the header 16: the missing ones "
                                "are read as empty; so are those of 2,997 more row(s) with fewer cells than the "
                                "header (the last: row 3001)"]
    assert "3000 written, 0 failed, 1 warnings" in stdout


def _cut(source: Path, path: Path, short: list[int], cells: int) -> Path:
    """``source``'s rows, those numbered in ``short`` (data rows, 1-based) cut to ``cells`` cells."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(row[:cells] if n in short else row for n, row in enumerate(rows, start=1))
    return path


def _short_row_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if "cell(s), the header" in line]


# The skill readers' CSVs (skills, OSMT RSD, ESCO, OpenSALT CASE) are said the same way as a bulk-upload CSV.
@pytest.mark.parametrize(("source", "name", "short", "cells", "said"), [
    (SAMPLES / "college" / "skills.csv", "skills.csv", [4], 8,
     "row 5: the row has 8 cell(s), the header 11: the missing ones are read as empty"),
    (SAMPLES / "college" / "skills.csv", "skills.csv", [4, 7, 20], 10,
     "row 5: the row has 10 cell(s), the header 11: the missing ones are read as empty; so are those of 2 more "
     "row(s) with fewer cells than the header (the last: row 21)"),
    (DATA / "catalogs" / "realworld" / "osmt_Skills-Import.csv", "osmt.csv", [1, 2], 4,
     "row 2: the row has 4 cell(s), the header 14: the missing ones are read as empty; so are those of 1 more "
     "row(s) with fewer cells than the header (the last: row 3)"),
    (DATA / "catalogs" / "esco_transversalSkillsCollection_en.csv", "esco_transversalSkillsCollection_en.csv",
     [2, 3, 5], 7, "row 3: the row has 7 cell(s), the header 9: the missing ones are read as empty; so are those of "
     "2 more row(s) with fewer cells than the header (the last: row 6)"),
    (DATA / "catalogs" / "case_opensalt_spreadsheet_import_sample.csv", "case.csv", [3], 8,
     "row 4: the row has 8 cell(s), the header 13: the missing ones are read as empty"),
], ids=["skills", "skills-rows", "rsd", "esco", "case"])
def test_a_skill_csv_row_with_fewer_cells_than_the_header_is_one_warning(
        tmp_path: Path, source: Path, name: str, short: list[int], cells: int, said: str) -> None:
    # Found in a robustness sweep: a bulk-upload CSV's short rows were warned about, a skills CSV's were not.
    _, before, _ = run("convert", str(source), "-o", str(tmp_path / "whole"))
    path = _cut(source, tmp_path / name, short, cells)
    code, stdout, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert _short_row_lines(err) == [f"warning: {path}, {said}"], err
    assert "1 written, 0 failed" in stdout, stdout
    if source.name != "osmt_Skills-Import.csv":  # cutting its rows also empties a column said not converted
        warnings = int(before.split(" warnings")[0].rsplit(" ", 1)[1])
        assert f" {warnings + 1} warnings" in stdout, (before, stdout)


def test_a_link_that_leads_nowhere_is_said_so(tmp_path: Path) -> None:
    # Found in a robustness sweep: a symlink loop (and a dangling link) was "file not found".
    from click.testing import CliRunner

    from ctdl_tools.cli import main

    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    (tmp_path / "dangling.csv").symlink_to(tmp_path / "gone.csv")
    said = {name: CliRunner().invoke(main, ["convert", str(tmp_path / name), "-o", str(tmp_path / "out")])
            for name in ("loop1", "dangling.csv", "absent.csv")}
    assert {name: r.exit_code for name, r in said.items()} == {"loop1": 2, "dangling.csv": 2, "absent.csv": 2}
    assert f"{tmp_path / 'loop1'}: cannot read: a loop of symbolic links" in said["loop1"].output
    assert f"a symbolic link to {tmp_path / 'gone.csv'}, which does not exist" in said["dangling.csv"].output
    assert f"{tmp_path / 'absent.csv'}: file not found" in said["absent.csv"].output
