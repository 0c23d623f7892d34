"""Benchmark ``ctdl ler link`` end to end: link + re-sign 1,000 signed OB 3.0 credential files, one core.

    python benchmarks/bench_ler_link.py [--count 1000] [--runs 3] [--with-verify] [--json FILE] [--strict]

Division of labour with benchmarks/bench_ler_proofs.py (the proof layer's benchmark): that one measures
``verify``, an in-memory link + re-sign, and a plain pyld implementation of eddsa-rdfc-2022 as baseline.
This one measures what a user runs: :func:`ctdl_tools.ler.link.link` on a folder of N eddsa-rdfc-2022
credential files with a directory index of N registry records — read and detect each file, verify its
proof, match it by name and issuer, add the typed alignment, move validFrom, re-sign, re-verify, splice the
edit into the original text and write it atomically. Target ≥ 100 credentials/s.

In the same run, as the yardstick: plain ``pyld.jsonld.normalize(algorithm="URDNA2015")`` of the same N
documents with the same offline loader (one canonicalization each); the ratio says how many such
canonicalizations the whole pipeline costs (it does six JSON-LD expansions per credential: two to verify,
two to sign, two to re-verify). ``--with-verify`` also times ``verify`` of the N written files (target
≥ 200/s) for a self-contained figure.

The process is pinned to one CPU (``sched_setaffinity``); CPU seconds (``process_time``) are reported next
to wall time because a shared machine inflates the latter. An untimed warm-up on 20 credentials comes first.
Exit status: 0; 1 with ``--strict`` when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyld import jsonld

from ctdl_tools.ler.contexts import ler_loader
from ctdl_tools.ler.index import directory_index
from ctdl_tools.ler.keys import did_key, did_key_vm, ed25519_key
from ctdl_tools.ler.link import LinkOptions, link
from ctdl_tools.ler.proofs import sign, verify

NAMESPACE = uuid.UUID("0c7b2d9e-4f1a-4b8c-9d2e-3f4a5b6c7d8e")
ORG = f"ce-{uuid.uuid5(NAMESPACE, 'org')}"
REGISTRY = "https://credentialengineregistry.org/resources/"
TARGETS = {"link": 100.0, "verify": 200.0}


def _ctid(n: int) -> str:
    return f"ce-{uuid.uuid5(NAMESPACE, str(n))}"


def _key() -> Any:
    key = ed25519_key(bytes(range(32)))
    return key.with_id(did_key_vm(key), did_key(key))


def write_index(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    org = {"@id": REGISTRY + ORG, "@type": "ceterms:CredentialOrganization", "ceterms:ctid": ORG,
           "ceterms:name": {"en-US": "Benchmark Community College"}}
    docs = [org] + [{"@id": REGISTRY + _ctid(n), "@type": "ceterms:Certificate", "ceterms:ctid": _ctid(n),
                     "ceterms:name": {"en-US": f"Certificate number {n}"}, "ceterms:ownedBy": [REGISTRY + ORG]}
                    for n in range(count)]
    for node in docs:
        document = {"@context": "https://credreg.net/ctdl/schema/context/json",
                    "@id": node["@id"].replace("/resources/", "/graph/"), "@graph": [node]}
        (folder / f"{node['ceterms:ctid']}.json").write_text(json.dumps(document), encoding="utf-8")


def credential(n: int, key: Any) -> dict:
    issuer = {"id": did_key(key), "type": ["Profile"], "name": "Benchmark Community College"}
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": f"urn:uuid:{uuid.uuid5(NAMESPACE, f'cred-{n}')}", "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer, "validFrom": "2025-01-01T00:00:00Z", "name": f"Certificate number {n}",
        "credentialSubject": {"id": f"did:example:learner-{n}", "type": ["AchievementSubject"], "achievement": {
            "id": f"https://bench.example.edu/achievements/{n}", "type": ["Achievement"],
            "name": f"Certificate number {n}", "description": "A benchmark certificate.",
            "criteria": {"narrative": "Complete the benchmark."}, "creator": issuer}}}


def write_credentials(folder: Path, count: int, key: Any) -> list[dict]:
    folder.mkdir(parents=True)
    unsigned = []
    for n in range(count):
        document = credential(n, key)
        unsigned.append(document)
        signed = sign(document, key, "eddsa-rdfc-2022", key.id, created="2025-01-01T00:00:00Z")
        (folder / f"cred-{n:05d}.json").write_text(json.dumps(signed, indent=2) + "\n", encoding="utf-8")
    return unsigned


def _timed(fn: Any) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds, result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def time_link(inputs: Path, index_dir: Path, outdir: Path, key: Any) -> tuple[float, float, int]:
    options = LinkOptions(directory_index(index_dir), outdir, keys=(key,),
                          issued_at=datetime(2026, 1, 1, tzinfo=UTC))
    wall, cpu, summary = _timed(lambda: link([inputs], options))
    return wall, cpu, summary.counts()["linked"]


def time_verify(outdir: Path) -> tuple[float, float, int]:
    documents = [json.loads(p.read_text()) for p in sorted(outdir.glob("*.json"))]
    return _timed(lambda: sum(verify(d).ok for d in documents))


def time_baseline(documents: list[dict]) -> tuple[float, float, None]:
    options = {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": ler_loader()}
    return _timed(lambda: [jsonld.normalize(document, options) for document in documents] and None)


def run(count: int, runs: int, with_verify: bool) -> dict:
    key = _key()
    rows: dict[str, list[tuple[float, float]]] = {"link": [], "baseline": [], "verify": []}
    with tempfile.TemporaryDirectory(prefix="bench-ler-") as tmp:
        root = Path(tmp)
        write_index(root / "index", count)
        unsigned = write_credentials(root / "in", count, key)
        write_credentials(root / "warm", 20, key)
        time_link(root / "warm", root / "index", root / "warm-out", key)  # imports, caches, vocabulary
        for number in range(runs):
            wall, cpu, linked = time_link(root / "in", root / "index", root / f"out{number}", key)
            assert linked == count, f"only {linked} of {count} credentials were linked"
            rows["link"].append((wall, cpu))
            wall, cpu, _ = time_baseline(unsigned)
            rows["baseline"].append((wall, cpu))
            if with_verify:
                wall, cpu, ok = time_verify(root / f"out{number}")
                assert ok == count, f"only {ok} of {count} linked credentials verify"
                rows["verify"].append((wall, cpu))
    rates = {name: (count / statistics.median(w for w, _ in times), count / statistics.median(c for _, c in times))
             for name, times in rows.items() if times}
    return {"count": count, "runs": runs, "rates": rates,
            "machine": f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
                       f"{os.cpu_count()} CPUs, pinned to 1, load average {os.getloadavg()[0]:.1f}"}


def report(result: dict) -> str:
    rates, base = result["rates"], result["rates"]["baseline"]
    names = {"link": "link + re-sign, end to end (files in, files out)", "verify": "verify the written files",
             "baseline": "baseline: pyld URDNA2015 normalize, one per credential"}
    lines = [result["machine"] + f"; {result['count']} OB 3.0 credentials, median of {result['runs']} runs", "",
             "| step | credentials/s (wall) | credentials/s (CPU) | target | × baseline (CPU) |",
             "|---|---:|---:|---:|---:|"]
    for name, (wall, cpu) in rates.items():
        target = TARGETS.get(name)
        met = "" if target is None else f"≥ {target:.0f} {'✓' if wall >= target else '✗'}"
        lines.append(f"| {names[name]} | {wall:,.0f} | {cpu:,.0f} | {met} | {cpu / base[1]:.2f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--with-verify", action="store_true", help="also time verify of the written files")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    result = run(args.count, args.runs, args.with_verify)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    missed = any(result["rates"][name][0] < target for name, target in TARGETS.items() if name in result["rates"])
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
