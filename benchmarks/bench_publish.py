"""Time ``ctdl publish`` end to end: 10k records to the local registry, then an unchanged re-run.

    python benchmarks/bench_publish.py                 # 10k records, 3 runs
    python benchmarks/bench_publish.py --records 2000 --runs 5 --json results.json

The records are real ``ctdl convert`` output: a synthetic credentials catalog (``gen_catalog.py``, fixed
seed) converted once. Each run then starts from nothing — a fresh journal and a fresh local registry
database — and times two whole processes:

1. ``publish``: ``python -m ctdl_tools publish DIR --journal J --db D --format json`` — start-up, reading
   and digesting every file, validation, starting the embedded registry, and publishing every record
   over HTTP (8 concurrent requests) with one journal transaction per state change;
2. ``re-run``: the same command again with nothing changed (every record is skipped by its digest).

``--force`` is passed by default (``--no-force`` to drop it): validation still runs on every record, but
a Violation the validator finds in the converter's output does not shrink the number of records sent,
so runs stay comparable while the validator's rules and the converter evolve.

``python -m ctdl_tools publish`` is used once the main CLI has the command; until then the publisher's
own entry point ``python -m ctdl_tools.registry.publish``. Targets: publish ≥ 300 records/s (median),
unchanged re-run ≤ 2 s (median). Prints a Markdown table; exit 1 with ``--strict`` if a target is missed,
2 if a run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from gen_catalog import generate  # noqa: E402

TARGET_RATE = 300.0
TARGET_RERUN_SECONDS = 2.0


@dataclass
class Run:
    publish_s: float
    published: int
    rerun_s: float
    unchanged: int
    exit_codes: tuple[int, int]
    refused: int = 0
    with_violations: int = 0  # published under --force although the validator reported a Violation

    @property
    def rate(self) -> float:
        return self.published / self.publish_s if self.publish_s else 0.0


def entry_point(python: str) -> list[str]:
    """``-m ctdl_tools publish`` if the main CLI has it, else the publisher module itself."""
    probe = subprocess.run([python, "-m", "ctdl_tools", "publish", "--help"], capture_output=True)
    return ["-m", "ctdl_tools", "publish"] if probe.returncode == 0 else ["-m", "ctdl_tools.registry.publish"]


def make_records(python: str, n: int, work: Path) -> Path:
    catalog = generate(n, work / f"catalog-{n}.csv")
    out = work / f"ctdl-{n}"
    if out.exists():
        shutil.rmtree(out)
    done = subprocess.run([python, "-m", "ctdl_tools", "convert", str(catalog), "-o", str(out), "--format", "json"],
                          capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(f"convert failed ({done.returncode}): {done.stderr[-2000:]}")
    return out


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int, dict]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode == 2 or not done.stdout.strip():
        sys.exit(f"publish failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, done.returncode, json.loads(done.stdout)


def one_run(python: str, entry: list[str], records: Path, state: Path, concurrency: int, force: bool) -> Run:
    if state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True)
    env = {**os.environ, "CTDL_API_KEY": secrets.token_hex(16)}
    command = [python, *entry, str(records), "--journal", str(state / "journal.sqlite"),
               "--db", str(state / "registry.sqlite"), "--concurrency", str(concurrency), "--format", "json",
               *(["--force"] if force else [])]
    first_s, first_code, first = timed(command, env)
    again_s, again_code, again = timed(command, env)
    counts, repeat = first["counts"], again["counts"]
    flagged = sum(1 for r in first["records"] if any("despite violation" in m for m in r["messages"]))
    return Run(first_s, counts.get("published", 0) + counts.get("updated", 0), again_s,
               repeat.get("unchanged", 0), (first_code, again_code), counts.get("refused", 0), flagged)


def markdown(runs: list[Run], n: int, entry: list[str], concurrency: int) -> str:
    rate = statistics.median(r.rate for r in runs)
    rerun = statistics.median(r.rerun_s for r in runs)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}, "
        f"{os.cpu_count()} CPUs (load average {load} at the end); `python {' '.join(entry)}`, {n} records, "
        f"concurrency {concurrency}",
        "",
        "| run | published | publish s | records/s | unchanged re-run s | skipped | refused | with violations"
        " (--force) | exit codes |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for i, r in enumerate(runs, 1):
        lines.append(f"| {i} | {r.published} | {r.publish_s:.2f} | {r.rate:.0f} | {r.rerun_s:.2f} | "
                     f"{r.unchanged} | {r.refused} | {r.with_violations} | {r.exit_codes[0]}, {r.exit_codes[1]} |")
    lines.append(f"| **median** | | {statistics.median(r.publish_s for r in runs):.2f} | **{rate:.0f}** | "
                 f"**{rerun:.2f}** | | | | |")
    lines += ["", f"* publish ≥ {TARGET_RATE:.0f} records/s: {rate:.0f} — {'met' if rate >= TARGET_RATE else 'MISSED'}",
              f"* unchanged re-run ≤ {TARGET_RERUN_SECONDS:.0f} s: {rerun:.2f} s — "
              f"{'met' if rerun <= TARGET_RERUN_SECONDS else 'MISSED'}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    # Children must import the installed ctdl_tools: with `-m`/`-c`, Python would put the working directory
    # first on sys.path, and run from a checkout that is the checkout's code, not the copy being timed.
    os.environ["PYTHONSAFEPATH"] = "1"
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", type=Path, help="Also write the results as JSON.")
    parser.add_argument("--strict", action="store_true", help="Exit 1 when a target is missed.")
    parser.add_argument("--no-force", dest="force", action="store_false",
                        help="Refuse records with Violations instead of publishing them with --force (the "
                             "default, so the rate counts every record whatever the validator's verdict).")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-publish-"))
    work.mkdir(parents=True, exist_ok=True)
    entry = entry_point(args.python)
    print(f"converting {args.records} records…", file=sys.stderr)
    records = make_records(args.python, args.records, work)
    runs = []
    for i in range(args.runs):
        print(f"run {i + 1}/{args.runs}…", file=sys.stderr)
        runs.append(one_run(args.python, entry, records, work / "state", args.concurrency, args.force))
    print(markdown(runs, args.records, entry, args.concurrency))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) | {"rate": r.rate} for r in runs], indent=2))
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    met = (statistics.median(r.rate for r in runs) >= TARGET_RATE
           and statistics.median(r.rerun_s for r in runs) <= TARGET_RERUN_SECONDS)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
