"""Time ``ctdl convert`` as a whole process on synthetic catalogs of 1k, 10k and 100k credentials.

    python benchmarks/bench_convert.py            # 1k, 10k, 100k rows; 3 timed runs each
    python benchmarks/bench_convert.py --quick    # 1k and 10k only
    python benchmarks/bench_convert.py --runs 5 --json results.json

For each size it generates the catalog once (``gen_catalog.py``, fixed seed), then runs
``python -m ctdl_tools convert FILE -o OUTDIR --format json`` in a fresh process per run, into an empty
output directory, and records the wall time of the whole process (interpreter start-up, imports, reading,
building, writing every document) and the child's peak resident set size (``os.wait4`` rusage of that
one child). One untimed warm-up run on the smallest file fills the OS and byte-code caches first.

It prints a Markdown table (median and min wall seconds, records/s at the median, peak RSS) and the
targets of the performance issue:

* 10k credentials convert in ≤ 2 s (median wall time);
* 100k take ≤ 10 × the 10k time (linear scaling, no quadratic step);
* 100k peak RSS ≤ 500 MB (streaming, not holding the catalog in memory).

Exit status: 0 when every run converted (a failed target is reported but not fatal unless
``--strict``), 1 with ``--strict`` and a missed target, 2 when a conversion exits with status 2 or
crashes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from gen_catalog import generate  # noqa: E402

TARGET_10K_SECONDS = 2.0
TARGET_RATIO = 10.0
TARGET_100K_RSS_MB = 500.0
SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    exit_code: int
    written: int | None


@dataclass
class SizeResult:
    rows: int
    file_mb: float
    runs: list[Run] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def best(self) -> float:
        return min(r.seconds for r in self.runs)

    @property
    def peak_rss_mb(self) -> float:
        return max(r.peak_rss_mb for r in self.runs)

    @property
    def records_per_second(self) -> float:
        return self.rows / self.median if self.median else float("inf")


def _maxrss_mb(ru_maxrss: int) -> float:
    # Linux reports kilobytes, macOS bytes.
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def convert_once(python: str, catalog: Path, outdir: Path, log: Path, extra: list[str]) -> Run:
    """One whole-process conversion into an empty ``outdir``: wall time and the child's peak RSS."""
    if outdir.exists():
        # Deleting 100k files leaves the filesystem journalling in the background; let it finish so the
        # next timed run is not charged for the previous run's clean-up.
        shutil.rmtree(outdir)
        os.sync()
        time.sleep(1.0)
    command = [python, "-m", "ctdl_tools", "convert", str(catalog), "-o", str(outdir), "--format", "json", *extra]
    with log.open("wb") as err, tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        # wait4 reaps exactly this child and returns its own rusage (RUSAGE_CHILDREN would accumulate).
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        written = _written(out.read())
    return Run(seconds, _maxrss_mb(usage.ru_maxrss), proc.returncode, written)


def _written(stdout: bytes) -> int | None:
    try:
        summary = json.loads(stdout)
    except ValueError:
        return None
    value = summary.get("written") if isinstance(summary, dict) else None
    return value if isinstance(value, int) else None


def _tail(path: Path, lines: int = 15) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


def check_targets(results: dict[int, SizeResult]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for each target of the issue; met is None when a size was not run."""
    checks: list[tuple[str, str, bool | None]] = []
    r10, r100 = results.get(10_000), results.get(100_000)
    if r10:
        checks.append((f"10k credentials ≤ {TARGET_10K_SECONDS:g} s (median)", f"{r10.median:.2f} s",
                       r10.median <= TARGET_10K_SECONDS))
    else:
        checks.append((f"10k credentials ≤ {TARGET_10K_SECONDS:g} s (median)", "not run", None))
    if r10 and r100:
        ratio = r100.median / r10.median
        checks.append((f"100k time ≤ {TARGET_RATIO:g} × 10k time (linearity)", f"{ratio:.2f} ×",
                       ratio <= TARGET_RATIO))
    else:
        checks.append((f"100k time ≤ {TARGET_RATIO:g} × 10k time (linearity)", "not run", None))
    if r100:
        checks.append((f"100k peak RSS ≤ {TARGET_100K_RSS_MB:g} MB", f"{r100.peak_rss_mb:.0f} MB",
                       r100.peak_rss_mb <= TARGET_100K_RSS_MB))
    else:
        checks.append((f"100k peak RSS ≤ {TARGET_100K_RSS_MB:g} MB", "not run", None))
    return checks


def markdown(results: dict[int, SizeResult], runs: int) -> str:
    lines = [
        f"ctdl convert, whole process, {runs} run(s) per size; Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU(s)",
        "",
        "| credentials | CSV MB | median s | min s | records/s | peak RSS MB | exit |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for size in sorted(results):
        r = results[size]
        exits = ",".join(sorted({str(run.exit_code) for run in r.runs}))
        lines.append(f"| {size:,} | {r.file_mb:.1f} | {r.median:.2f} | {r.best:.2f} | {r.records_per_second:,.0f} "
                     f"| {r.peak_rss_mb:.0f} | {exits} |")
    if 10_000 in results and 100_000 in results:
        lines += ["", f"100k / 10k median time: {results[100_000].median / results[10_000].median:.2f} ×"]
    lines += ["", "| target | measured | met |", "|---|---:|---|"]
    for target, measured, met in check_targets(results):
        lines.append(f"| {target} | {measured} | {'—' if met is None else 'yes' if met else '**no**'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    # Children must import the installed ctdl_tools: with `-m`/`-c`, Python would put the working directory
    # first on sys.path, and run from a checkout that is the checkout's code, not the copy being timed.
    os.environ["PYTHONSAFEPATH"] = "1"
    parser = argparse.ArgumentParser(description="Benchmark `ctdl convert` on synthetic credential catalogs.")
    parser.add_argument("--quick", action="store_true", help="1k and 10k rows only")
    parser.add_argument("--sizes", type=lambda s: tuple(int(x) for x in s.split(",")),
                        help="comma-separated row counts (overrides --quick), e.g. 1000,50000")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per size (default: 3)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default: 1)")
    parser.add_argument("--python", default=sys.executable, help="interpreter that has ctdl_tools installed")
    parser.add_argument("--workdir", type=Path, help="where to put catalogs and output (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("convert_args", nargs="*", help="extra arguments for ctdl convert (after --)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ctdl-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[int, SizeResult] = {}
    status = 0
    try:
        catalogs = {}
        for size in sizes:
            path = workdir / f"credentials-{size}.csv"
            generate(size, path, args.seed)
            catalogs[size] = path
        outdir, log = workdir / "out", workdir / "convert.log"
        warm = convert_once(args.python, catalogs[min(sizes)], outdir, log, args.convert_args)
        if warm.exit_code not in (0, 1):
            print(f"warm-up conversion failed (exit {warm.exit_code}):\n{_tail(log)}", file=sys.stderr)
            return 2
        for size in sizes:
            result = results[size] = SizeResult(size, catalogs[size].stat().st_size / 1e6)
            for number in range(1, args.runs + 1):
                # A fresh output directory per run: deleting the previous run's files would leave the
                # filesystem journalling during the next timed run.
                run = convert_once(args.python, catalogs[size], workdir / f"out-{size}-{number}", log,
                                   args.convert_args)
                result.runs.append(run)
                note = "" if run.written in (None, size) else f", {run.written} written"
                print(f"{size:>7} rows  run {number}: {run.seconds:6.2f} s  {run.peak_rss_mb:6.0f} MB  "
                      f"exit {run.exit_code}{note}", file=sys.stderr, flush=True)
                if run.exit_code not in (0, 1):
                    print(f"conversion failed (exit {run.exit_code}):\n{_tail(log)}", file=sys.stderr)
                    status = 2
                elif run.exit_code == 1 and number == 1:
                    print(f"some records failed (exit 1); first problems:\n{_tail(log, 5)}", file=sys.stderr)
            if status:
                break
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
        elif args.keep:
            print(f"work directory kept: {workdir}", file=sys.stderr)

    if results:
        print(markdown(results, args.runs))
    if args.json:
        args.json.write_text(json.dumps({
            "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "runs_per_size": args.runs, "seed": args.seed,
            "sizes": {str(s): {"rows": r.rows, "file_mb": r.file_mb, "median_s": r.median, "min_s": r.best,
                               "records_per_s": r.records_per_second, "peak_rss_mb": r.peak_rss_mb,
                               "runs": [asdict(run) for run in r.runs]} for s, r in sorted(results.items())},
            "targets": [{"target": t, "measured": m, "met": ok} for t, m, ok in check_targets(results)],
        }, indent=2) + "\n", encoding="utf-8")
    if status:
        return status
    missed = any(met is False for _t, _m, met in check_targets(results))
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
