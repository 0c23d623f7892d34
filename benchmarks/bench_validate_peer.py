"""``ctdl validate`` against the third-party ``ctdl-validate`` (PyPI) on the same documents.

ctdl-validate needs Python ≥ 3.12 and checks one file per invocation, so it gets a fair chance here:
one process that imports it once and calls ``validate_document`` on every file (its own CLI would pay
interpreter start-up per file). Both sides are timed as whole processes on the same generated catalog
(``bench_validate.generate``: credentials, programs, courses, organizations, frameworks, ~10 % defective).

    python3.12 -m venv /tmp/v312 && /tmp/v312/bin/pip install ctdl-validate
    python benchmarks/bench_validate_peer.py --peer-python /tmp/v312/bin/python [--sizes 1000,10000]

The two tools check different rules, so only the time is comparable. Ours is timed twice: with every rule
(the default) and with the Minimum Data Policy's recommended-benchmark rules off (``--disable
'MDP-*-BENCHMARK-*'``), which have no counterpart in ctdl-validate and make ~99 % of our findings on this
catalog (about 12 Warnings per record).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_validate import generate

PEER_SCRIPT = """
import json, sys
from pathlib import Path
from ctdl_validate import validate_document
count = 0
for path in sorted(Path(sys.argv[1]).glob("*.json")):
    try:
        count += len(validate_document(json.loads(path.read_text(encoding="utf-8"))))
    except Exception:
        count += 1
print(count)
"""


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one whole child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{command[:3]} failed with {status}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", required=True, help="a Python ≥ 3.12 with ctdl-validate installed")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| records | rules | ctdl validate s (median) | ctdl-validate s (median) | ctdl-validate / ours |")
    print("|---:|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            catalog = Path(tmp) / f"catalog-{size}"
            generate(size, catalog)
            command = [sys.executable, "-m", "ctdl_tools", "validate", str(catalog), "--format", "json",
                       "-o", str(Path(tmp) / "report.json")]
            # Runs interleaved (ours, the peer, ours without benchmark rules) so drift hits all three alike.
            ours, peer, required = [], [], []
            for _ in range(args.runs):
                ours.append(timed(command)[0])
                peer.append(timed([args.peer_python, "-c", PEER_SCRIPT, str(catalog)])[0])
                required.append(timed([*command, "--disable", "MDP-*-BENCHMARK-*"])[0])
            mid = args.runs // 2
            p = sorted(peer)[mid]
            for label, times in (("all (default)", ours), ("benchmark rules off", required)):
                t = sorted(times)[mid]
                print(f"| {size:,} | {label} | {t:.2f} | {p:.2f} | {p / t:.2f}× |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
