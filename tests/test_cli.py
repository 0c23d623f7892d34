"""The ``ctdl`` command as a process: what every stage command shares."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctdl_tools.cli import main


def _blocked_reading(pid: int) -> bool:
    return "pipe" in Path(f"/proc/{pid}/wchan").read_text()


@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs Linux's /proc/<pid>/wchan")
def test_ctrl_c_exits_130_with_one_line() -> None:
    # Found by hand: Ctrl-C printed click's "Aborted!" and exited 1, which a script cannot tell from "records
    # had errors".
    process = subprocess.Popen([sys.executable, "-m", "ctdl_tools", "validate", "-"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
