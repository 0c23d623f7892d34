"""Benchmark the LER proof layer: verify, and link + re-sign, N OB 3.0 credentials on one core.

    python benchmarks/bench_ler_proofs.py              # 1,000 credentials, 3 timed runs
    python benchmarks/bench_ler_proofs.py --count 200 --runs 1 --json out.json

The credentials are derived from the 1EdTech OB 3.0 eddsa-rdfc-2022 test vector (its published test
key signs them): each has its own id, name, achievement id/name, subject DID, validFrom and proof
``created``, so no two proof configurations or documents are alike and no cache can answer for another.

Measured per run, in this process, pinned to one CPU (``sched_setaffinity``):

* ``verify``: ``ctdl_tools.ler.proofs.verify`` of every signed credential (all must verify).
* ``link + re-sign``: add a typed CTDL ``Alignment`` (registry URI, CTID) to the achievement, bump
  ``validFrom``, ``sign(..., "eddsa-rdfc-2022", ...)``.
* ``rewrite pipeline``: verify the original, link, re-sign, verify the result (what ``ctdl ler`` does).
* baselines, same credentials, same run: the same eddsa-rdfc-2022 algorithm written plainly with
  ``pyld.jsonld.normalize(algorithm="URDNA2015")`` and the offline loader of ``ctdl_tools.vocab``
  (+ the bundled LER contexts) for the proof options and the document, then Ed25519. The ratio column is
  ours / baseline. Every credential's canonical hash data is compared between the two: they must agree.

Rates are credentials per second at the median wall time; CPU seconds (``process_time``) are shown too,
as a shared machine inflates wall time. An untimed warm-up on 20 credentials comes first. Prints a
Markdown table; ``--json FILE`` writes the numbers; ``--strict`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyld import jsonld

from ctdl_tools.ler.contexts import ler_documents
from ctdl_tools.ler.keys import ed25519_key
from ctdl_tools.ler.multibase import multibase_decode, multibase_encode
from ctdl_tools.ler.proofs import sign, verify, verify_data
from ctdl_tools.vocab.loader import offline_loader

ROOT = Path(__file__).resolve().parent.parent
VECTOR = ROOT / "tests" / "data" / "ler" / "credentials" / "ob3-spec-testvector-signed.json"
# The 1EdTech test vector's published private key (seed || public): a public test key, never a real one.
TEST_KEY = ("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4"
            "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5")
VM = "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
TARGETS = {"verify": 200.0, "link + re-sign": 100.0}


def make_credentials(count: int) -> list[dict]:
    base = json.loads(VECTOR.read_text())
    base.pop("proof")
    key = ed25519_key(bytes.fromhex(TEST_KEY))
    credentials = []
    for i in range(count):
        credential = copy.deepcopy(base)
        credential["id"] = f"urn:uuid:5a0c0000-0000-4000-8000-{i:012d}"
        credential["name"] = f"Teamwork Badge #{i}"
        credential["validFrom"] = f"20{10 + i % 15:02d}-0{1 + i % 9}-1{i % 10}T0{i % 10}:00:00Z"
        subject = credential["credentialSubject"]
        subject["id"] = f"did:example:learner{i:06d}"
        subject["achievement"]["id"] = f"https://example.com/achievements/{i}"
        subject["achievement"]["name"] = f"Teamwork level {i % 7}"
        created = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}Z"
        credentials.append(sign(credential, key, "eddsa-rdfc-2022", VM, created=created))
    return credentials


def link(credential: dict, i: int) -> dict:
    linked = {k: v for k, v in credential.items() if k != "proof"}
    linked = copy.deepcopy(linked)
    ctid = f"ce-5a0c{i:04x}-0000-4000-8000-{i:012d}"
    linked["credentialSubject"]["achievement"]["alignment"] = [{
        "type": ["Alignment"], "targetType": "ceterms:Credential", "targetCode": ctid,
        "targetName": linked["credentialSubject"]["achievement"]["name"],
        "targetFramework": "Credential Transparency Description Language",
        "targetUrl": f"https://credentialengineregistry.org/resources/{ctid}"}]
    linked["validFrom"] = "2026-01-01T00:00:00Z"
    return linked


# ------------------------------------------------------------------------- the plain pyld baseline

def _baseline_loader() -> Callable[..., dict[str, Any]]:
    return offline_loader(extra=ler_documents())


def baseline_hash_data(document: dict, proof: dict, loader: Callable[..., dict[str, Any]]) -> bytes:
    options = {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = document["@context"]
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    return b"".join(hashlib.sha256(jsonld.normalize(copy.deepcopy(doc), options).encode()).digest()
                    for doc in (config, unsecured))


def baseline_verify(credential: dict, loader: Callable[..., dict[str, Any]], public: Any) -> bool:
    data = baseline_hash_data(credential, credential["proof"], loader)
    try:
        public.verify(multibase_decode(credential["proof"]["proofValue"]), data)
    except Exception:  # any failure is "not verified" for the baseline
        return False
    return True


def baseline_sign(document: dict, loader: Callable[..., dict[str, Any]], private: Any, created: str) -> dict:
    proof = {"type": "DataIntegrityProof", "created": created, "verificationMethod": VM,
             "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "assertionMethod"}
    proof["proofValue"] = multibase_encode(private.sign(baseline_hash_data(document, proof, loader)))
    return {**document, "proof": proof}


# ----------------------------------------------------------------------------------------- timing

def timed(task: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = task()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def phases(credentials: list[dict]) -> dict[str, Callable[[], Any]]:
    key = ed25519_key(bytes.fromhex(TEST_KEY))
    loader = _baseline_loader()

    def verify_all() -> int:
        return sum(verify(c).ok for c in credentials)

    def resign_all() -> list[dict]:
        return [sign(link(c, i), key, "eddsa-rdfc-2022", VM, created="2026-01-01T00:00:00Z")
                for i, c in enumerate(credentials)]

    def pipeline() -> int:
        done = 0
        for i, credential in enumerate(credentials):
            if not verify(credential).ok:
                continue
            resigned = sign(link(credential, i), key, "eddsa-rdfc-2022", VM, created="2026-01-01T00:00:00Z")
            done += verify(resigned).ok
        return done

    def baseline_verify_all() -> int:
        return sum(baseline_verify(c, loader, key.public_key) for c in credentials)

    def baseline_resign_all() -> list[dict]:
        return [baseline_sign(link(c, i), loader, key.private_key, "2026-01-01T00:00:00Z")
                for i, c in enumerate(credentials)]

    return {"verify": verify_all, "link + re-sign": resign_all, "rewrite pipeline": pipeline,
            "baseline verify (pyld URDNA2015)": baseline_verify_all,
            "baseline link + re-sign (pyld URDNA2015)": baseline_resign_all}


def check_agreement(credentials: list[dict]) -> int:
    """How many credentials hash to the same signing input with ours and with the plain pyld path."""
    loader = _baseline_loader()
    agree = 0
    for credential in credentials:
        proof = credential["proof"]
        ours = verify_data({k: v for k, v in credential.items() if k != "proof"},
                           {k: v for k, v in proof.items() if k != "proofValue"}).data
        agree += ours == baseline_hash_data(credential, proof, loader)
    return agree


def pin_to_one_cpu() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def run(count: int, runs: int) -> dict[str, Any]:
    pinned = pin_to_one_cpu()
    credentials = make_credentials(count)
    agree = check_agreement(credentials)
    tasks = phases(credentials)
    warm = phases(credentials[:20])
    for task in warm.values():
        task()
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in tasks}
    for number in range(runs):
        for name, task in tasks.items():
            wall, cpu, result = timed(task)
            expected = count if not isinstance(result, list) else len(result)
            if (result if isinstance(result, int) else len(result)) != expected:
                raise SystemExit(f"{name}: only {result} of {count} credentials succeeded")
            samples[name].append((wall, cpu))
            print(f"run {number + 1}/{runs} {name}: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr)
    return {"count": count, "runs": runs, "agree": agree, "pinned": pinned, "samples": samples}


def rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    count, table = results["count"], []
    medians = {name: statistics.median(w for w, _ in s) for name, s in results["samples"].items()}
    cpu_medians = {name: statistics.median(c for _, c in s) for name, s in results["samples"].items()}
    for name in results["samples"]:
        base = f"baseline {name} (pyld URDNA2015)"
        ratio = medians[base] / medians[name] if base in medians else None
        cpu_ratio = cpu_medians[base] / cpu_medians[name] if base in cpu_medians else None
        table.append({"phase": name, "median_s": medians[name], "min_s": min(w for w, _ in results["samples"][name]),
                      "cpu_s": cpu_medians[name], "rate": count / medians[name], "cpu_rate": count / cpu_medians[name],
                      "speedup": ratio, "cpu_speedup": cpu_ratio, "target": TARGETS.get(name)})
    return table


def markdown(results: dict[str, Any], table: list[dict[str, Any]]) -> str:
    lines = [f"{results['count']} OB 3.0 credentials, {results['runs']} runs, Python {platform.python_version()}, "
             f"{platform.system()}, {os.cpu_count()} CPUs ({results['pinned']}); canonical signing input "
             f"identical to plain pyld for {results['agree']}/{results['count']}.", "",
             "| phase | median s | min s | CPU s | cred/s (wall) | cred/s (CPU) | × plain pyld (wall / CPU) | target |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for row in table:
        speed = f"{row['speedup']:.2f} / {row['cpu_speedup']:.2f}" if row["speedup"] else ""
        target = ""
        if row["target"]:
            target = f"≥ {row['target']:.0f}/s: {'met' if row['rate'] >= row['target'] else 'MISSED'}"
        lines.append(f"| {row['phase']} | {row['median_s']:.2f} | {row['min_s']:.2f} | {row['cpu_s']:.2f} | "
                     f"{row['rate']:.0f} | {row['cpu_rate']:.0f} | {speed} | {target} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    results = run(args.count, args.runs)
    table = rows(results)
    print(markdown(results, table))
    if args.json:
        args.json.write_text(json.dumps({**results, "table": table}, indent=2) + "\n")
    missed = [row for row in table if row["target"] and row["rate"] < row["target"]]
    if results["agree"] != results["count"]:
        print("canonical forms disagree with plain pyld", file=sys.stderr)
        return 1
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
