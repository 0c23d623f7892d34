"""``ctdl validate`` on one large competency framework: one file, thousands of competencies.

    python benchmarks/bench_validate_framework.py [--sizes 2000,5000,10000,14000] [--runs 3]

What a skills publisher validates: a whole framework (ESCO has ~14k skills) in one registry graph document,
written with two-space indentation as ``ctdl convert`` writes it. Each competency gets about one
recommended-benchmark Warning, so the report has a finding per competency, all in one large file: this is
what used to cost time growing with the square of the framework (each finding's line counted from the
file's start: 14k competencies, 97 s). Measured in a fresh process each run (``--format json -o FILE``,
default options), median of ``--runs``; the last column is the time per competency against the smallest
size's (1.0: linear).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REG = "https://credentialengineregistry.org/resources/"
ASN_CTX = "https://credreg.net/ctdlasn/schema/context/json"
ORG = "ce-5c8e8a4c-7a3e-4a4f-9d5e-0c1f2b3a4d5e"


def ctid(n: int, kind: str) -> str:
    return f"ce-{uuid.uuid5(uuid.NAMESPACE_URL, f'bench-framework/{kind}/{n}')}"


def framework(size: int) -> dict:
    """A framework with ``size`` competencies, ten top-level ones with the rest under them."""
    fw = ctid(size, "framework")
    ids = [ctid(i, "competency") for i in range(size)]
    top = ids[:10]
    children: dict[str, list[str]] = {t: [] for t in top}
    competencies = []
    for i, c in enumerate(ids):
        parent = top[i % 10] if i >= 10 else None
        node = {"@id": REG + c, "@type": "ceasn:Competency", "ceterms:ctid": c,
                "ceasn:competencyLabel": {"en": f"Skill {i}"},
                "ceasn:competencyText": {"en": f"Apply skill {i} in the workplace, safely and to standard."},
                "ceasn:isPartOf": [REG + fw], "ceasn:inLanguage": ["en"]}
        if parent:
            node["ceasn:isChildOf"] = [REG + parent]
            children[parent].append(REG + c)
        else:
            node["ceasn:isTopChildOf"] = [REG + fw]
        competencies.append(node)
    for node in competencies[:10]:
        node["ceasn:hasChild"] = children[node["ceterms:ctid"]]
    main = {"@id": REG + fw, "@type": "ceasn:CompetencyFramework", "ceterms:ctid": fw,
            "ceasn:name": {"en": f"Benchmark framework of {size} skills"},
            "ceasn:description": {"en": "A generated framework for timing validation of large files."},
            "ceasn:inLanguage": ["en"], "ceasn:publisher": [REG + ORG],
            "ceasn:hasTopChild": [REG + t for t in top]}
    return {"@context": ASN_CTX, "@id": f"https://credentialengineregistry.org/graph/{fw}",
            "@graph": [main, *competencies]}


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    # PYTHONSAFEPATH: time the installed copy, not a checkout that happens to be the working directory.
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONSAFEPATH": "1"})
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,5000,10000,14000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-framework-") as tmp:
        for size in sizes:
            path = Path(tmp, f"framework-{size}.json")
            path.write_text(json.dumps(framework(size), indent=2, ensure_ascii=False), encoding="utf-8")
            command = [sys.executable, "-m", "ctdl_tools", "validate", str(path), "--format", "json",
                       "-o", str(Path(tmp, "report.json"))]
            times = [timed(command) for _ in range(args.runs)]
            rows.append((size, path.stat().st_size, statistics.median(times), min(times)))
    base = rows[0][2] / rows[0][0]
    print(f"Python {sys.version.split()[0]}, median of {args.runs}")
    print("| competencies | file | median s | min s | per competency vs the smallest |")
    print("|---:|---:|---:|---:|---:|")
    for size, nbytes, median, least in rows:
        print(f"| {size:,} | {nbytes / 2**20:.1f} MB | {median:.2f} | {least:.2f} | {median / size / base:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
