"""The ``ctdl`` command as a process: what every stage command shares."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctdl_tools.cli import main
from tests.conftest import sigint_default


def _blocked_reading(pid: int) -> bool:
    return "pipe" in Path(f"/proc/{pid}/wchan").read_text()


@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs Linux's /proc/<pid>/wchan")
def test_ctrl_c_exits_130_with_one_line() -> None:
    # Found by hand: Ctrl-C printed click's "Aborted!" and exited 1, which a script cannot tell from "records
    # had errors".
    process = subprocess.Popen([sys.executable, "-m", "ctdl_tools", "validate", "-"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=sigint_default)
    deadline = time.monotonic() + 30
    while not _blocked_reading(process.pid) and time.monotonic() < deadline:  # started, waiting for stdin
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert err.strip().startswith("ctdl: interrupted") and "Traceback" not in err and "Aborted" not in err


def test_ctrl_c_in_any_stage_command_is_the_same_exit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import ctdl_tools.build.convert as convert

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(convert, "convert", interrupted)
    (tmp_path / "c.csv").write_text("Name\nA\n")
    result = CliRunner().invoke(main, ["convert", str(tmp_path / "c.csv"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 130 and "ctdl: interrupted" in result.stderr


def _children(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


@pytest.mark.skipif(not Path(f"/proc/self/task/{os.getpid()}/children").exists(), reason="needs Linux's /proc")
def test_ctrl_c_sent_to_the_validator_alone_stops_its_workers_at_once(tmp_path: Path) -> None:
    # Found in acceptance testing: SIGINT to the main process alone (as some CI runners send it) waited 5 s
    # for each worker before exiting.
    import uuid

    from .conftest import DATA

    text = (DATA / "validate" / "course.json").read_text(encoding="utf-8")
    ctid = json.loads(text)["@graph"][0]["ceterms:ctid"]
    for n in range(700):  # enough documents for worker processes
        (tmp_path / f"{n}.json").write_text(text.replace(ctid, f"ce-{uuid.UUID(int=n + 1)}"), encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "ctdl_tools", "validate", str(tmp_path), "--jobs", "2",
                                "--format", "json", "-o", str(tmp_path / "report.out")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=sigint_default)
    deadline = time.monotonic() + 60
    while len(_children(process.pid)) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    if process.poll() is not None:
        pytest.skip("the run ended before its workers could be interrupted")
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130 and time.monotonic() - started < 3, err


@pytest.mark.parametrize("command", [["validate"], ["convert", "-o", "OUT"], ["publish", "--dry-run"]])
def test_a_path_the_file_system_refuses_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            command: list[str]) -> None:
    # Found in a robustness sweep: a path through a folder that cannot be searched (EACCES on stat) was an
    # "internal error" with a traceback (exit 3) in validate, convert and publish. Root ignores permissions,
    # so the refusal is simulated where every command first looks at its input.
    refused = tmp_path / "locked" / "catalog.json"
    real_stat = os.stat

    def stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if str(path).startswith(str(refused.parent)):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat)
    args = [a.replace("OUT", str(tmp_path / "out")) for a in command]
    result = CliRunner().invoke(main, [args[0], str(refused), *args[1:]])
    assert result.exit_code == 2, result.output
    assert f"error: {refused}: Permission denied" in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
