"""How long each ``ctdl validate`` report format takes to write for a generated catalog's report.

    python benchmarks/bench_reports.py [--size 10000] [--runs 3]

The catalog is ``bench_validate.generate`` (credentials, programs, courses, organizations, frameworks,
~10 % defective); it is validated once, in this process, and then each format is written to a file
``--runs`` times (``reporters.write``, what the command does after validating). By default about 13
findings per record, nearly all of them recommended-benchmark Warnings: the reports are large. Prints a
Markdown table: median and min seconds, findings per second, file size.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_validate import generate

from ctdl_tools.validate import validate
from ctdl_tools.validate.reporters import FORMATS, Options, write


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="records in the generated catalog")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    gc.disable()  # as the command runs
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Path(tmp) / "catalog"
        generate(args.size, catalog)
        report = validate([str(catalog)])
        options = Options(records=report.index)
        print(f"{args.size:,} records, {len(report.findings):,} findings; Python {sys.version.split()[0]}")
        print("| format | median s | min s | findings/s | size |")
        print("|---|---:|---:|---:|---:|")
        for fmt in FORMATS:
            out = Path(tmp) / f"report.{fmt}"
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                with out.open("wb") as handle:
                    write(fmt, report, options, handle)
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            print(f"| {fmt} | {median:.2f} | {min(times):.2f} | {len(report.findings) / median:,.0f} | "
                  f"{out.stat().st_size / 2**20:.0f} MB |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
