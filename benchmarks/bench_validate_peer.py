"""``ctdl validate`` against the third-party ``ctdl-validate`` (PyPI) on the same documents.

ctdl-validate needs Python ≥ 3.12, and its command line checks one file per invocation, so it is timed
in each way it can be given a catalog (``bench_validate.generate``: credentials, programs, courses,
organizations, frameworks, ~10 % defective), every one a whole process:

* ``per document``: one process that imports it once and calls ``validate_document`` on every file. Its
  best chance, but a smaller job than ours: each document is checked alone, so a reference to a record
  in another document is reported "unverifiable" (about 21,000 at 10k) where ours resolves it.
* ``per document, its report written``: the same loop, writing what its command line prints with
  ``--format json`` for each document (``render_findings_json``) to one file: end to end as ours is timed
  (``--format json -o FILE``), parse to report.
* ``submission supplied``: the same job as ours. One process builds its ``--resolve`` index of the
  whole directory once (``build_supplied``) and validates every document against it, so references
  between the submission's documents resolve (its command line would rebuild that index per file).
* ``command line``: ``ctdl-validate FILE`` once per file, as a CI step or a shell loop runs it
  (``--cli-sizes``, default 1k only: about 0.1 s of start-up per file).

    python3.12 -m venv /tmp/v312 && /tmp/v312/bin/pip install ctdl-validate
    python benchmarks/bench_validate_peer.py --peer-python /tmp/v312/bin/python [--sizes 1000,10000]

The two tools check different rules, so only the time is comparable. Ours is timed with every rule
(the default) and with the Minimum Data Policy's recommended-benchmark rules off (``--disable
'MDP-*-BENCHMARK-*'``), which have no counterpart in ctdl-validate and make ~99 % of our findings on this
catalog (about 12 Warnings per record). Runs are interleaved so drift on a busy machine hits all alike.
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

PER_DOCUMENT = """
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

PER_DOCUMENT_REPORT = """
import json, sys
from pathlib import Path
from ctdl_validate import __version__
from ctdl_validate.findings import render_findings_json
from ctdl_validate.validator import validate_document
count = 0
with open(sys.argv[2], "w", encoding="utf-8") as report:
    for path in sorted(Path(sys.argv[1]).glob("*.json")):
        try:
            findings = validate_document(json.loads(path.read_text(encoding="utf-8")))
        except Exception:
            count += 1
            continue
        report.write(render_findings_json(findings, __version__) + "\\n")
        count += len(findings)
print(count)
"""

SUBMISSION_SUPPLIED = """
import json, sys
from pathlib import Path
from ctdl_validate.graph import parse_document
from ctdl_validate.schema import load_schema
from ctdl_validate.session import Session, build_supplied
from ctdl_validate.validator import validate
schema = load_schema()
supplied = build_supplied([Path(sys.argv[1])], schema)  # once, not once per file as its CLI would
count = 0
for path in sorted(Path(sys.argv[1]).glob("*.json")):
    try:
        graph = parse_document(json.loads(path.read_text(encoding="utf-8")), schema)
        count += len(validate(Session(graph=graph, schema=schema, supplied=supplied)))
    except Exception:
        count += 1
print(count)
"""

COMMAND_LINE = """
import subprocess, sys
from pathlib import Path
for path in sorted(Path(sys.argv[2]).glob("*.json")):
    subprocess.run([sys.argv[1], str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    # Children must import the installed ctdl_tools: with `-m`/`-c`, Python would put the working directory
    # first on sys.path, and run from a checkout that is the checkout's code, not the copy being timed.
    os.environ["PYTHONSAFEPATH"] = "1"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", required=True, help="a Python ≥ 3.12 with ctdl-validate installed")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--cli-sizes", default="1000", help="sizes at which its command line runs once per file")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    peer_cli = str(Path(args.peer_python).with_name("ctdl-validate"))
    cli_sizes = {int(s) for s in args.cli_sizes.split(",") if s}
    print("| records | ctdl-validate run as | its time (median) | ctdl validate, default | ratio "
          "| ctdl validate, benchmark rules off | ratio |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            catalog = Path(tmp) / f"catalog-{size}"
            generate(size, catalog)
            ours = [sys.executable, "-m", "ctdl_tools", "validate", str(catalog), "--format", "json",
                    "-o", str(Path(tmp) / "report.json")]
            commands = {"ours": ours, "rules off": [*ours, "--disable", "MDP-*-BENCHMARK-*"],
                        "per document": [args.peer_python, "-c", PER_DOCUMENT, str(catalog)],
                        "per document, its report written": [args.peer_python, "-c", PER_DOCUMENT_REPORT,
                                                             str(catalog), str(Path(tmp) / "its-report.json")],
                        "submission supplied": [args.peer_python, "-c", SUBMISSION_SUPPLIED, str(catalog)]}
            if size in cli_sizes:
                commands["command line, once per file"] = [args.peer_python, "-c", COMMAND_LINE, peer_cli,
                                                           str(catalog)]
            times: dict[str, list[float]] = {name: [] for name in commands}
            for _ in range(args.runs):  # interleaved: drift hits every command alike
                for name, command in commands.items():
                    times[name].append(timed(command)[0])
            median = {name: sorted(t)[len(t) // 2] for name, t in times.items()}
            for name in list(commands)[2:]:
                peer, a, b = median[name], median["ours"], median["rules off"]
                print(f"| {size:,} | {name} | {peer:.2f} s | {a:.2f} s | {peer / a:.2f}× | {b:.2f} s "
                      f"| {peer / b:.2f}× |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
