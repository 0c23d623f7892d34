"""Benchmark ``ctdl_tools.validate.validate`` against pySHACL on generated catalogs.

    python benchmarks/bench_validate.py                    # 1k, 10k and 100k; pyshacl at 1k and 10k (~15 min)
    python benchmarks/bench_validate.py --sizes 1000,10000,100000 --pyshacl-sizes 1000,10000
    python benchmarks/bench_validate.py --quick            # 1k only

The catalog is a directory of registry graph documents (``<ctid>.json``, one per top-level resource, the
shape of ``ctdl convert`` output): credentials (40 %), learning programs (20 %), courses (25 %),
organizations (5 %) and competency frameworks with five competencies each (10 % of documents); about 10 %
of the documents carry one defect each (missing name, bad CTID, concept outside its scheme, plain string
where a language map belongs, property outside its domain, dangling blank node, duplicate CTID, bare
ceterms:Credential, short description, missing owner). Same size and seed, same bytes.

Measured, each in a fresh child process (wall time of the whole process, peak RSS by ``os.wait4``; ours
timed ``--runs`` times, median, and run once more for the memory of its whole process tree):

* ``ctdl_tools``: ``ctdl validate DIR --format json -o report.json`` end to end (read, JSON checks,
  convert, SHACL on the default engine, cross-record checks, the JSON report written), default options
  (``--jobs`` one per CPU, up to 4).
* ``pyshacl``: the plain Python path with the *same shapes*: ``pyld.jsonld.to_rdf`` (offline loader) of
  every document → rdflib graph (+ the same rdfs:subClassOf triples) → ``pyshacl.validate`` → report.

The third-party ``ctdl-validate`` (PyPI) has its own script, ``bench_validate_peer.py``: it needs
Python ≥ 3.12 and checks one file per invocation, so it is timed in the several ways it can be run.

Prints a Markdown table; ``--json FILE`` writes the numbers too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REG = "https://credentialengineregistry.org"
CTX = "https://credreg.net/ctdl/schema/context/json"
ASN_CTX = "https://credreg.net/ctdlasn/schema/context/json"
CRED_TYPES = ["ceterms:BachelorDegree", "ceterms:AssociateDegree", "ceterms:MasterDegree", "ceterms:Certificate",
              "ceterms:Certification", "ceterms:Badge", "ceterms:License", "ceterms:MicroCredential"]
AUD = ["audLevel:BeginnerLevel", "audLevel:IntermediateLevel", "audLevel:AdvancedLevel", "audLevel:GraduateLevel"]
DEFECTS = ["missing_name", "bad_ctid", "wrong_concept", "plain_name", "outside_domain", "dangling_bnode",
           "duplicate_ctid", "bare_credential", "short_description", "no_owner"]


def ctid(rng: random.Random) -> str:
    return f"ce-{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def cao(framework: str, node: str, name: str) -> dict:
    return {"@type": "ceterms:CredentialAlignmentObject",
            "ceterms:framework": f"https://credreg.net/ctdl/terms/{framework}",
            "ceterms:targetNode": node, "ceterms:frameworkName": {"en-US": framework},
            "ceterms:targetNodeName": {"en-US": name}}


def text(rng: random.Random, words: int) -> str:
    pool = ["learners", "program", "skills", "industry", "practice", "hands-on", "career", "design", "systems",
            "safety", "analysis", "management", "students", "applied", "project", "workplace", "standards"]
    return " ".join(rng.choice(pool) for _ in range(words)).capitalize() + "."


def graph(main: dict, *more: dict, context: str = CTX) -> dict:
    return {"@context": context, "@id": f"{REG}/graph/{main['ceterms:ctid']}", "@graph": [main, *more]}


def organization(rng: random.Random, c: str, i: int) -> dict:
    return {"@id": f"{REG}/resources/{c}", "@type": "ceterms:CredentialOrganization", "ceterms:ctid": c,
            "ceterms:name": {"en-US": f"Synthetic College {i}"}, "ceterms:description": {"en-US": text(rng, 20)},
            "ceterms:subjectWebpage": f"https://college{i}.example.edu",
            "ceterms:agentType": [cao("OrganizationType", "orgType:Postsecondary", "Postsecondary")],
            "ceterms:agentSectorType": [cao("AgentSector", "agentSector:Public", "Public")],
            "ceterms:email": [f"info@college{i}.example.edu"]}


def credential(rng: random.Random, c: str, org: str, program: str | None) -> tuple[dict, list[dict]]:
    bnode = f"_:{uuid.UUID(int=rng.getrandbits(128))}"
    node = {"@id": f"{REG}/resources/{c}", "@type": rng.choice(CRED_TYPES), "ceterms:ctid": c,
            "ceterms:name": {"en-US": f"Credential {c[3:11]}"},
            "ceterms:description": {"en-US": text(rng, 25)},
            "ceterms:subjectWebpage": f"https://example.edu/credentials/{c[3:11]}", "ceterms:inLanguage": ["en"],
            "ceterms:ownedBy": [f"{REG}/resources/{org}"], "ceterms:offeredBy": [f"{REG}/resources/{org}"],
            "ceterms:credentialStatusType": cao("CredentialStatus", "credentialStat:Active", "Active"),
            "ceterms:audienceLevelType": [cao("AudienceLevel", rng.choice(AUD), "Level")],
            "ceterms:keyword": {"en-US": [text(rng, 1) for _ in range(3)]},
            "ceterms:estimatedDuration": [bnode], "ceterms:dateEffective": "2024-08-01"}
    blank = [{"@id": bnode, "@type": "ceterms:DurationProfile", "ceterms:exactDuration": "P2Y",
              "ceterms:description": {"en-US": "Two years full time."}}]
    if program:
        node["ceterms:requires"] = [{"@type": "ceterms:ConditionProfile",
                                     "ceterms:description": {"en-US": text(rng, 12)},
                                     "ceterms:targetLearningOpportunity": [f"{REG}/resources/{program}"]}]
    return node, blank


def learning(rng: random.Random, c: str, org: str, kind: str, parts: list[str], parent: str | None) -> dict:
    node = {"@id": f"{REG}/resources/{c}", "@type": kind, "ceterms:ctid": c,
            "ceterms:name": {"en-US": f"{kind.split(':')[1]} {c[3:11]}"},
            "ceterms:description": {"en-US": text(rng, 20)},
            "ceterms:inLanguage": ["en"], "ceterms:offeredBy": [f"{REG}/resources/{org}"],
            "ceterms:lifeCycleStatusType": cao("LifeCycleStatus", "lifeCycle:Active", "Active"),
            "ceterms:deliveryType": [cao("Delivery", "deliveryType:InPerson", "In Person")]}
    if kind == "ceterms:LearningProgram":
        node["ceterms:subjectWebpage"] = f"https://example.edu/programs/{c[3:11]}"
        if parts:
            node["ceterms:hasPart"] = [f"{REG}/resources/{p}" for p in parts]
    else:
        node["ceterms:creditValue"] = [{"@type": "ceterms:ValueProfile", "schema:value": 3,
                                        "ceterms:creditUnitType": ["creditUnit:SemesterHour"]}]
        if parent:
            node["ceterms:isPartOf"] = [f"{REG}/resources/{parent}"]
    return node


def framework(rng: random.Random, c: str, org: str) -> list[dict]:
    fid = f"{REG}/resources/{c}"
    comps = [ctid(rng) for _ in range(5)]
    main = {"@id": fid, "@type": "ceasn:CompetencyFramework", "ceterms:ctid": c,
            "ceasn:name": {"en-US": f"Framework {c[3:11]}"}, "ceasn:description": {"en-US": text(rng, 15)},
            "ceasn:inLanguage": ["en"], "ceasn:publisher": [f"{REG}/resources/{org}"],
            "ceasn:hasTopChild": [f"{REG}/resources/{x}" for x in comps]}
    nodes = [{"@id": f"{REG}/resources/{x}", "@type": "ceasn:Competency", "ceterms:ctid": x,
              "ceasn:competencyText": {"en-US": text(rng, 8)}, "ceasn:isPartOf": [fid], "ceasn:isTopChildOf": [fid]}
             for x in comps]
    return [main, *nodes]


def corrupt(rng: random.Random, doc: dict, defect: str, other_ctid: str) -> None:
    main = doc["@graph"][0]
    if defect == "missing_name":
        main.pop("ceterms:name", None) or main.pop("ceasn:name", None)
    elif defect == "bad_ctid":
        main["ceterms:ctid"] = main["ceterms:ctid"].upper()
    elif defect == "wrong_concept" and "ceterms:credentialStatusType" in main:
        main["ceterms:credentialStatusType"]["ceterms:targetNode"] = "credentialStat:Bogus"
    elif defect == "plain_name" and "ceterms:name" in main:
        main["ceterms:name"] = main["ceterms:name"]["en-US"]
    elif defect == "outside_domain":
        main["ceterms:credentialStatusType" if "Credential" not in main["@type"] else "ceterms:agentSectorType"] = \
            cao("AgentSector", "agentSector:Public", "Public")
    elif defect == "dangling_bnode":
        main["ceterms:estimatedCost"] = [f"_:{uuid.UUID(int=rng.getrandbits(128))}"]
    elif defect == "duplicate_ctid":
        main["ceterms:ctid"] = other_ctid
        main["@id"] = f"{REG}/resources/{other_ctid}"
        doc["@id"] = f"{REG}/graph/{other_ctid}"
    elif defect == "bare_credential" and main["@type"] in CRED_TYPES:
        main["@type"] = "ceterms:Credential"
    elif defect == "short_description" and "ceterms:description" in main:
        main["ceterms:description"] = {"en-US": "Too short."}
    elif defect == "no_owner":
        main.pop("ceterms:ownedBy", None), main.pop("ceterms:offeredBy", None), main.pop("ceasn:publisher", None)


def generate(n: int, out: Path, seed: int = 1) -> int:
    """Write about ``n`` records (top-level resources) as graph documents; returns the document count."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    docs: list[dict] = []
    orgs = [ctid(rng) for _ in range(max(2, n // 20))]
    docs += [graph(organization(rng, c, i)) for i, c in enumerate(orgs)]
    records = len(orgs)
    while records < n:
        org = rng.choice(orgs)
        roll = rng.random()
        if roll < 0.45:
            program, courses = ctid(rng), [ctid(rng) for _ in range(2)]
            docs.append(graph(learning(rng, program, org, "ceterms:LearningProgram", courses, None)))
            docs += [graph(learning(rng, c, org, "ceterms:Course", [], program)) for c in courses]
            node, blank = credential(rng, ctid(rng), org, program)
            docs.append(graph(node, *blank))
            records += 4
        elif roll < 0.9:
            node, blank = credential(rng, ctid(rng), org, None)
            docs.append(graph(node, *blank))
            records += 1
        else:
            nodes = framework(rng, ctid(rng), org)
            docs.append(graph(*nodes, context=ASN_CTX))
            records += len(nodes)
    for doc in docs[len(orgs):]:
        if rng.random() < 0.10:
            corrupt(rng, doc, rng.choice(DEFECTS), rng.choice(docs)["@graph"][0]["ceterms:ctid"])
    for i, doc in enumerate(docs):
        (out / f"{i:06d}.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return len(docs)


# --- children -------------------------------------------------------------------------------------------
def run_ours(data: Path, timeout: float, runs: int = 3) -> dict:
    """The command line, as a user runs it; findings counted from the report it wrote.

    Timed ``runs`` times without watching memory (median, every time listed), then once more with the
    process tree's memory sampled: reading /proc/<pid>/smaps_rollup walks a process's page tables under
    its memory lock, which stalls the workers' page faults (measured: 10k records 2.3 s unwatched, 2.9-3.3 s
    watched every 20 ms)."""
    report = data.parent / f"{data.name}-report.json"
    command = [sys.executable, "-m", "ctdl_tools", "validate", str(data), "--format", "json", "-o", str(report)]
    times = [run_child(command, timeout, watch=False)["wall"] for _ in range(runs)]
    result = run_child(command, timeout)
    result["wall"] = sorted(times)[len(times) // 2]
    result["walls"] = [round(t, 3) for t in times]
    try:  # only the head: parsing a 1.3 GB report here would swell this process, whose size the next
        # child inherits as its starting peak RSS (Linux keeps the high-water mark across exec)
        with report.open("rb") as handle:
            head = handle.read(1 << 20)
        start = head.index(b'"counts": ') + len(b'"counts": ')
        counts = json.loads(head[start: head.index(b"}", start) + 1])
    except (OSError, ValueError, KeyError):
        return {**result, "error": result.get("error", "no report written")}
    result.pop("error", None)  # the command prints no JSON line: its report is the output
    return {**result, "seconds": result["wall"], "findings": sum(counts.values()), "counts": counts}


CHILD_PYSHACL = """
import sys, time, json
from pathlib import Path
t0 = time.perf_counter()
import pyshacl
from pyld import jsonld
from rdflib import Graph
from ctdl_tools.vocab import offline_loader
from ctdl_tools.validate.rdf import ontology_ntriples
from ctdl_tools.validate.shapes import load_shapes
shapes = Graph().parse(data=load_shapes().ntriples, format="nt")
loader = offline_loader()
data = Graph()
data.parse(data=ontology_ntriples(), format="nt")
from rdflib import Dataset
for path in sorted(Path(sys.argv[1]).glob("*.json")):
    doc = json.loads(path.read_text(encoding="utf-8"))
    quads = Dataset()
    quads.parse(data=jsonld.to_rdf(doc, {"documentLoader": loader, "format": "application/n-quads"}), format="nquads")
    for s, p, o, _ in quads.quads((None, None, None, None)):  # a graph document is a named graph: validate the union
        data.add((s, p, o))
t1 = time.perf_counter()
conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
from rdflib import Namespace
n = len(list(report.objects(None, Namespace("http://www.w3.org/ns/shacl#").result)))
print(json.dumps({"seconds": time.perf_counter() - t0, "validate_seconds": time.perf_counter() - t1, "findings": n}))
"""


def tree_rss_mb(pid: int) -> float:
    """Memory of a process and all its descendants (Linux /proc), in MB; 0 when unavailable.

    Proportional set size (Pss, smaps_rollup): forked workers share the parent's pages copy-on-write,
    and summing their RSS would count those pages once per process.
    """
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup", encoding="ascii") as status:
                total += next((int(line.split()[1]) for line in status if line.startswith("Pss:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    todo.extend(int(c) for c in children.read().split())
        except (OSError, ValueError):
            continue
    return total / 1024


def run_child(args: list[str], timeout: float, watch: bool = True) -> dict:
    """Run one child; wall time, its peak RSS (os.wait4: the largest single process), with ``watch`` the
    peak of the whole process tree's memory (Pss summed, sampled every 20 ms: ctdl validate forks workers)
    and the JSON it prints last. Watching slows a multi-process child (see run_ours): time it unwatched."""
    import threading

    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))

    if watch:
        threading.Thread(target=sample, daemon=True).start()
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    done.set()
    _, _, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    proc.returncode = 0
    result: dict = {"wall": time.perf_counter() - start, "rss_mb": usage.ru_maxrss / 1024,
                    "tree_mb": max(peak[0], usage.ru_maxrss / 1024)}
    try:
        result.update(json.loads(out.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        result["error"] = ((err or out).strip().splitlines() or ["no output"])[-1][:200]
    return result


def main() -> int:
    # Children must import the installed ctdl_tools: with `-m`/`-c`, Python would put the working directory
    # first on sys.path, and run from a checkout that is the checkout's code, not the copy being timed.
    os.environ["PYTHONSAFEPATH"] = "1"
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--pyshacl-sizes", default="1000,10000")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of ours per size (median reported)")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--workdir")
    parser.add_argument("--json")
    opts = parser.parse_args()
    sizes = [1000] if opts.quick else [int(s) for s in opts.sizes.split(",")]
    pysizes = {int(s) for s in opts.pyshacl_sizes.split(",") if s}
    work = Path(opts.workdir or tempfile.mkdtemp(prefix="bench-validate-"))
    rows = []
    for n in sizes:
        data = work / f"catalog-{n}"
        docs = len(list(data.glob("*.json"))) if data.exists() else generate(n, data, opts.seed)
        row: dict = {"records": n, "documents": docs,
                     "ours": run_ours(data, opts.timeout, opts.runs)}
        if n in pysizes:  # one process: os.wait4's peak RSS is its memory, no watching needed
            row["pyshacl"] = run_child([sys.executable, "-c", CHILD_PYSHACL, str(data)], opts.timeout, watch=False)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    print(table(rows))
    if opts.json:
        Path(opts.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    if not opts.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _cell(result: dict | None, key: str = "wall") -> str:
    if not result:
        return "–"
    if "error" in result and key not in result:
        return f"error: {result['error']}"
    value = result.get(key)
    return f"{value:.2f}" if isinstance(value, float) else str(value if value is not None else "–")


def table(rows: list[dict]) -> str:
    lines = ["| records | documents | ctdl_tools s | peak MB (all processes) | findings | pyshacl s (validate s) "
             "| pyshacl peak MB | pyshacl / ours |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        ours, py = row["ours"], row.get("pyshacl")
        ratio = f"{py['wall'] / ours['wall']:.1f}×" if py and "seconds" in py and "wall" in ours else "–"
        pycell = f"{_cell(py)} ({_cell(py, 'validate_seconds')})" if py else "–"
        lines.append(f"| {row['records']:,} | {row['documents']:,} | {_cell(ours)} | {_cell(ours, 'tree_mb')} | "
                     f"{ours.get('findings', '–')} | {pycell} | {_cell(py, 'rss_mb')} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
