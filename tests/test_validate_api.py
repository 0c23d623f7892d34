"""The validate API: inputs, rule switches, user shapes, the shapes themselves, the report."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctdl_tools.jsonio import unpaired_surrogate
from ctdl_tools.validate import (
    PYTHON_RULES,
    NamedContent,
    bundled_shapes_dir,
    load_documents,
    load_shapes,
    validate,
)
from ctdl_tools.validate.reporters import render
from ctdl_tools.validate.result import VIOLATION, WARNING
from ctdl_tools.validate.shapes_build import build_structural_shapes, main

from .conftest import DATA

SH = "http://www.w3.org/ns/shacl#"
CTSHAPES = "https://purl.org/ctdl_tools/shapes/"
COURSE = DATA / "validate" / "course.json"


# --- inputs --------------------------------------------------------------------------------------------
def test_inputs_files_directories_globs_and_objects() -> None:
    by_dir = load_documents([DATA / "validate"])
    by_glob = load_documents([str(DATA / "validate" / "competency_*.json")])
    assert len(by_dir.documents) == 6 and len(by_glob.documents) == 2
    assert [d.kind for d in load_documents([json.loads(COURSE.read_text())]).documents] == ["graph"]


def test_a_file_named_twice_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Found by hand: `ctdl validate out out/a.json` read a.json twice and reported its CTID as a duplicate.
    monkeypatch.chdir(COURSE.parent)
    report = validate(["course.json", str(COURSE), ".", "./course.json"])
    assert report.files.count("course.json") == 1 and len(report.files) == len(set(report.files))
    assert not any(f.rule_id == "XREF-CTID-DUPLICATE" for f in report.findings)


def test_content_already_read_is_reported_as_its_file_would_be(tmp_path: Path) -> None:
    # A caller that read a named pipe (publish's gate) hands over its bytes under the pipe's name: the report is
    # the one the file would get, line numbers and order among the other files included.
    broken = json.loads(COURSE.read_text(encoding="utf-8"))
    del broken["@graph"][0]["ceterms:name"]
    text = json.dumps(broken, indent=2).encode()
    (tmp_path / "b.json").write_bytes(text)
    other = tmp_path / "a.json"
    other.write_bytes(COURSE.read_bytes())
    from_file = validate([tmp_path / "b.json", other])
    given = validate([NamedContent(str(tmp_path / "b.json"), text), other])
    assert given.files == from_file.files == [str(other), str(tmp_path / "b.json")]
    assert given.findings == from_file.findings and not given.conforms
    assert any(f.file == str(tmp_path / "b.json") and f.line for f in given.findings)
    alone = validate(NamedContent(str(tmp_path / "b.json"), text))
    assert alone.findings == validate(tmp_path / "b.json").findings
    with pytest.raises(TypeError, match="NamedContent"):
        validate([NamedContent(str(other), "not bytes")])  # type: ignore[arg-type]


def test_arrays_envelopes_and_publish_requests(tmp_path: Path) -> None:
    legacy = load_documents([DATA / "registry" / "legacy_list_organizations_10.json"])
    assert [d.base for d in legacy.documents] == [f"/{i}" for i in range(10)]
    (envelope,) = load_documents([DATA / "registry" / "CredentialEnvelope.json"]).documents
    assert (envelope.base, envelope.wrapper) == ("/decoded_resource", "envelope")
    (request,) = load_documents([DATA / "registry" / "CredentialGraphSampleInput.json"]).documents
    assert request.base == "/GraphInput"
    other = tmp_path / "request.json"
    other.write_text(json.dumps({"Credential": {"Name": "x"}}), encoding="utf-8")
    report = validate([other])
    assert [f.rule_id for f in report.findings] == ["JSON-NOT-CTDL"] and not report.conforms


def test_a_file_and_a_link_to_it_are_read_once(tmp_path: Path) -> None:
    # Found in acceptance testing: real.json and link.json -> real.json were two files, the findings went to the
    # link and JUnit showed the same record passing in real.json.
    (tmp_path / "real.json").write_bytes(COURSE.read_bytes())
    (tmp_path / "link.json").symlink_to("real.json")
    (tmp_path / "chain.json").symlink_to("link.json")
    report = validate([tmp_path])
    assert report.files == [str(tmp_path / "real.json")] and report.records == 1
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "only-link.json").symlink_to(tmp_path / "real.json")
    assert validate([other]).files == [str(other / "only-link.json")]  # a link alone is read
    assert validate([tmp_path / "real.json", other]).files == [str(tmp_path / "real.json")]
    assert validate([other, tmp_path / "real.json"]).files == [str(tmp_path / "real.json")]  # whichever comes first


def test_a_directory_walk_leaves_hidden_folders_and_files_out(tmp_path: Path) -> None:
    # .git, .github, .vscode hold JSON that is not a catalog's; named directly, a hidden file is read.
    for place in ("catalog/course.json", "catalog/.vscode/settings.json", "catalog/.draft.json", ".hidden/x.json"):
        (tmp_path / place).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / place).write_bytes(COURSE.read_bytes())
    report = validate([tmp_path / "catalog"])
    assert report.files == [str(tmp_path / "catalog" / "course.json")]
    named = validate([tmp_path / "catalog" / ".draft.json", tmp_path / ".hidden"])
    assert named.files == [str(tmp_path / ".hidden" / "x.json"), str(tmp_path / "catalog" / ".draft.json")]


@pytest.mark.parametrize("text", ["[]", "[[]]", '{"decoded_resource": []}'])
def test_an_empty_array_is_not_a_passing_catalog(tmp_path: Path, text: str) -> None:
    # Found by hand: a catalog file emptied to `[]` passed the gate with 0 records.
    empty = tmp_path / "catalog.json"
    empty.write_text(text, encoding="utf-8")
    report = validate([empty])
    assert [f.rule_id for f in report.findings] == ["JSON-NOT-CTDL"] and not report.conforms
    assert report.documents == 0


def test_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(COURSE.read_bytes())))
    report = validate(["-"])
    assert report.files == ["<stdin>"] and report.documents == 1
    assert all(f.file == "<stdin>" and f.line for f in report.findings)


# --- rules on and off, user shapes -------------------------------------------------------------------------
# Backslashes, escape letters and surrogates (lone and paired) in any order: the escapes the scan must tell apart.
TRICKY = st.text(alphabet=st.sampled_from(["\\", "u", "d", "8", "c", "x", "é", "😀", "\ud800", "\udbff", "\udc00",
                                           "\udfff", "\ud83d", "\ude00"]), max_size=12)


@settings(max_examples=300, deadline=None)
@given(TRICKY, TRICKY)
def test_unpaired_surrogate_escapes_are_found_and_pairs_are_not(value: str, key: str) -> None:
    text = json.dumps({key: value, "list": [value, key]})  # ASCII: every surrogate as a \u escape
    try:
        json.dumps(json.loads(text), ensure_ascii=False).encode("utf-8")  # what a report must be able to do
        writable = True
    except UnicodeEncodeError:
        writable = False
    found = unpaired_surrogate(text)
    assert (found is None) == writable
    if found is not None:
        assert text[found.offset:found.offset + 3].lower() == "\\ud" == found.escape[:3].lower()


def test_an_unpaired_surrogate_makes_the_file_unreadable_not_a_crash(tmp_path: Path) -> None:
    doc = json.loads(COURSE.read_text(encoding="utf-8"))
    text = json.dumps(doc, indent=1).replace('"ceterms:ctid": "', '"ceterms:ctid": "\\udc00', 1)
    (tmp_path / "bad.json").write_text(text, encoding="utf-8")
    (tmp_path / "pair.json").write_text(text.replace("\\udc00", "\\ud83d\\ude00"), encoding="utf-8")
    report = validate([str(tmp_path)])
    unreadable = [f for f in report.findings if f.rule_id == "JSON-UNREADABLE"]
    line = text[: text.index("\\udc00")].count("\n") + 1
    assert [(Path(f.file).name, f.line) for f in unreadable] == [("bad.json", line)]
    assert unreadable[0].message.startswith(f"\\udc00 at line {line}, column ")
    assert {Path(f.file).name for f in report.findings} == {"bad.json", "pair.json"}  # the pair is read
    # The same in a Python object given to validate(): one finding that names where, no crash in a reporter.
    doc["ceterms:name"] = {"en-US": "Welding \udc00"}
    given = validate([doc])
    assert [(f.rule_id, f.message) for f in given.findings] == [
        ("JSON-UNREADABLE", "$.ceterms:name.en-US: half of a UTF-16 surrogate pair, not a character")]
    assert render("json", given)


def _nested(doc: dict, key: str, depth: int, kind: str) -> str:
    """``doc`` as JSON text with ``key`` holding a value nested ``depth`` levels below it."""
    opener, closer = {"list": ('[', ']'), "object": ('{"en": ', '}'),
                      "node": ('{"@type": "ceterms:CostProfile", "ceterms:price": ', '}')}[kind]
    text = json.dumps({k: v for k, v in doc.items() if k != key}, indent=1)
    return text[:-2] + f',\n "{key}": ' + opener * depth + '"x"' + closer * depth + "\n}"


@pytest.mark.parametrize(("key", "depth", "kind"), [
    ("ceterms:keyword", 150, "list"),  # past our limit, within the recursive walks' reach
    ("ceterms:estimatedCost", 600, "node"),  # the converter and the cross-record walk would overflow
    ("ceterms:name", 950, "list"),  # the record index reads names recursively
    ("ceterms:description", 5000, "object"),  # json.loads itself gives up (RecursionError)
])
def test_deeply_nested_json_is_one_located_finding_not_a_crash(tmp_path: Path, key: str, depth: int,
                                                                kind: str) -> None:
    """Found by hand: 600 nested objects crashed validation with a RecursionError traceback."""
    doc = json.loads(COURSE.read_text(encoding="utf-8"))["@graph"][0]
    doc["@context"] = "https://credreg.net/ctdl/schema/context/json"
    text = _nested(doc, key, depth, kind)
    (tmp_path / "deep.json").write_text(text, encoding="utf-8")
    (tmp_path / "fine.json").write_text(COURSE.read_text(encoding="utf-8"), encoding="utf-8")
    report = validate([str(tmp_path)])
    deep = [f for f in report.findings if Path(f.file).name == "deep.json"]
    assert [(f.rule_id, f.severity) for f in deep] == [("JSON-UNREADABLE", VIOLATION)]
    assert "nested more than 100 levels deep" in deep[0].message
    key_line = text[: text.index(f'"{key}"')].count("\n") + 1
    if depth < 1000:  # parsed: the JSON pointer of the first container past the limit, and its line
        assert deep[0].pointer.startswith(f"/{key}/") and deep[0].pointer.count("/") == 100
        assert deep[0].line == key_line and deep[0].ctid == doc["ceterms:ctid"]
    else:  # not parsed: the line and column where level 101 opens
        assert deep[0].line == key_line and f"(at line {key_line}, column " in deep[0].message
    assert {Path(f.file).name for f in report.findings} == {"deep.json", "fine.json"}  # the other file is read
    assert render("json", report) and render("text", report)


@pytest.mark.parametrize(("value", "rule", "message"), [
    ("NaN", "JSON-SYNTAX", "NaN at line 3, column 21 is not a JSON number (RFC 8259 §6)"),
    ("-Infinity", "JSON-SYNTAX", "-Infinity at line 3, column 21 is not a JSON number (RFC 8259 §6)"),
    ("9" * 5000, "JSON-UNREADABLE", "a number at line 3, column 21 has more digits than can be read (4300)"),
])
def test_numbers_json_loads_mishandles_are_findings_not_crashes(tmp_path: Path, value: str, rule: str,
                                                                message: str) -> None:
    """json.loads takes NaN/Infinity (not JSON) and raises a bare ValueError past 4300 digits (a traceback
    before this was found by hand)."""
    text = '{"@context": "https://credreg.net/ctdl/schema/context/json",\n "ceterms:name": "NaN",\n' \
           f' "ceterms:keyword": {value}}}'
    (tmp_path / "n.json").write_text(text, encoding="utf-8")
    report = validate([str(tmp_path / "n.json")])
    assert [(f.rule_id, f.message, f.line) for f in report.findings] == [(rule, message, 3)]


@pytest.mark.parametrize(("price", "flagged"), [
    (8900.5, False), (0.07, False), (1e-7, False), (12999, False), (12999.0, False),
    ("8900.50", False), ("8.9005E3", True), ("abc", True),
])
def test_prices_are_decimals_as_json_numbers_or_decimal_strings(price: Any, flagged: bool) -> None:
    # Found by hand: JSON-LD 1.1 writes a JSON number with a fraction under an xsd:decimal coercion in the
    # xsd:double form ("8.9005E3"^^xsd:decimal), which is not a decimal, so every such price ctdl convert
    # writes (and Credential Engine publishes) was a Violation. A string is the user's lexical form.
    doc = json.loads(COURSE.read_text(encoding="utf-8"))
    doc["@graph"][0]["ceterms:estimatedCost"] = [{
        "@type": "ceterms:CostProfile", "ceterms:price": price, "ceterms:currency": "USD",
        "ceterms:directCostType": {"@type": "ceterms:CredentialAlignmentObject",
                                   "ceterms:framework": "https://credreg.net/ctdl/terms/CostType",
                                   "ceterms:targetNode": "costType:Tuition"}}]
    found = [f for f in validate(doc).findings if f.property == "ceterms:price"]
    assert [f.rule_id for f in found] == (["STRUCT-DATATYPE"] if flagged else []), found
    if flagged:
        assert found[0].value == price  # quoted as written


def test_deeply_nested_python_objects_are_refused_too() -> None:
    doc = json.loads(COURSE.read_text(encoding="utf-8"))
    value: Any = "x"
    for _ in range(300):
        value = [value]
    doc["@graph"][0]["ceterms:keyword"] = value
    report = validate([doc])
    assert [f.rule_id for f in report.findings] == ["JSON-UNREADABLE"]
    assert report.findings[0].pointer == "/@graph/0/ceterms:keyword" + "/0" * 97


def test_disable_rules_by_id_and_pattern() -> None:
    full = validate([COURSE])
    assert any("BENCHMARK" in f.rule_id for f in full.findings)
    quiet = validate([COURSE], disabled_rules=["MDP-*-BENCHMARK-*", "XREF-*"])
    assert not quiet.findings
    broken = json.loads(COURSE.read_text())
    broken["@graph"][0].pop("ceterms:name")
    assert "MDP-LEARNINGOPPORTUNITY-NAME" in {f.rule_id for f in validate([broken]).findings}
    off = validate([broken], disabled_rules=["MDP-LEARNINGOPPORTUNITY-NAME", "MDP-*-BENCHMARK-*", "XREF-*"])
    assert off.findings == [] and off.conforms


USER_SHAPES = """@prefix ctshapes: <https://purl.org/ctdl_tools/shapes/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ceterms: <https://purl.org/ctdl/terms/> .
@prefix ex: <https://example.org/shapes/> .
ex:CourseCode a sh:NodeShape ; sh:targetClass ceterms:Course ; sh:property ex:CourseCode-code .
ex:CourseCode-code a sh:PropertyShape ; sh:path ceterms:codedNotation ; sh:minCount 1 ;
    ctshapes:ruleId "STATE-COURSE-CODE" ; sh:name "Course code" ; sh:severity sh:Warning ;
    sh:message "Our state asks for a course code"@en .
"""


def test_user_shapes_are_added_to_ours(tmp_path: Path) -> None:
    (tmp_path / "state.ttl").write_text(USER_SHAPES, encoding="utf-8")
    report = validate([COURSE], shapes_dirs=[tmp_path], disabled_rules=["MDP-*-BENCHMARK-*", "XREF-*"])
    (finding,) = report.findings
    assert (finding.rule_id, finding.severity, finding.message) == (
        "STATE-COURSE-CODE", "Warning", "Our state asks for a course code")
    assert report.rules["STATE-COURSE-CODE"].origin == "user"
    assert finding.ctid == "ce-2c9e5f40-af63-4e8d-b120-4d7f9c3e5ab2" and finding.pointer == "/@graph/0"


AGENCY_SHAPES = """@prefix ctshapes: <https://purl.org/ctdl_tools/shapes/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ceterms: <https://purl.org/ctdl/terms/> .
@prefix ex: <https://agency.example.gov/shapes/> .
ex:Credits a sh:NodeShape ; sh:targetClass ceterms:ValueProfile ;
    sh:property [ sh:path <https://schema.org/value> ; sh:minInclusive 10 ; ctshapes:ruleId "STATE-MIN-CREDITS" ;
                  sh:message "At least 10 credits"@en ; sh:severity sh:Warning ] .
ex:NoCode a sh:NodeShape ; sh:targetClass ceterms:Course ;
    sh:sparql [ sh:message "no course named Intro" ; sh:select \"\"\"
        SELECT $this WHERE { $this <https://purl.org/ctdl/terms/name> ?n .
                             FILTER(CONTAINS(STR(?n), "Intro")) }\"\"\" ] .
ex:Id a sh:NodeShape ; sh:targetClass ceterms:Course ;
    sh:sparql [ ctshapes:ruleId "STATE-NO-WELD" ; sh:message "no welding" ; sh:select \"\"\"
        SELECT $this WHERE { $this <https://purl.org/ctdl/terms/name> ?n .
                             FILTER(CONTAINS(STR(?n), "Intro")) }\"\"\" ] .
ex:Image a sh:NodeShape ; sh:targetClass ceterms:Course ; sh:property [ sh:path ceterms:image ; sh:minCount 1 ] .
ex:Keyword a sh:NodeShape ; sh:targetClass ceterms:Course ;
    sh:property [ sh:path ceterms:keyword ; sh:minCount 1 ; ctshapes:ruleId "STATE-KEYWORD" ] .
ex:Template a sh:NodeShape ; sh:targetClass ceterms:Course ;
    sh:sparql [ sh:message "{?value} mentions Intro" ; sh:select \"\"\"
        SELECT $this ?value WHERE { $this <https://purl.org/ctdl/terms/name> ?value .
                                    FILTER(CONTAINS(STR(?value), "Intro")) }\"\"\" ] .
ex:Two a sh:NodeShape ; sh:targetClass ceterms:Course ;
    sh:sparql [ sh:message "first" ; sh:select "SELECT $this WHERE { $this a ?t }" ] ,
              [ sh:message "second" ; sh:select "SELECT $this WHERE { $this a ?t }" ] .
"""


def test_user_shapes_read_alike_on_every_engine_that_runs_them(tmp_path: Path) -> None:
    # Found in acceptance testing: on shacl (what `auto` picks for these), a blank-node property shape lost its
    # rule id and a SPARQL constraint's message was empty; a shape without a message read differently per engine.
    (tmp_path / "agency.ttl").write_text(AGENCY_SHAPES, encoding="utf-8")
    course = json.loads(COURSE.read_text(encoding="utf-8"))
    course["@graph"][0]["ceterms:name"] = {"en-US": "Intro to Welding"}
    seen = {}
    for engine in ("shacl", "pyshacl"):
        report = validate([course], shapes_dirs=[tmp_path], engine=engine,
                          disabled_rules=["MDP-*", "XREF-*", "STRUCT-*", "RA-*"])
        seen[engine] = sorted((f.rule_id, f.message) for f in report.findings)
    assert seen["shacl"] == seen["pyshacl"] == [
        ("SHACL-MinCount", "sh:minCount not met on ceterms:image"), ("SHACL-SPARQL", "Intro to Welding mentions Intro"),
        ("SHACL-SPARQL", "first"), ("SHACL-SPARQL", "no course named Intro"), ("SHACL-SPARQL", "second"),
        ("STATE-KEYWORD", "sh:minCount not met on ceterms:keyword"),
        ("STATE-MIN-CREDITS", "At least 10 credits"), ("STATE-NO-WELD", "no welding")]


# --- the shapes themselves ---------------------------------------------------------------------------------
CONSTRAINTS = {f"{SH}{n}" for n in ("minCount", "maxCount", "or", "in", "pattern", "datatype", "nodeKind", "closed",
                                     "sparql", "node", "minLength", "uniqueLang", "not", "class")}


def _shape_facts() -> dict[str, dict[str, list]]:
    facts: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(bundled_shapes_dir().rglob("*.ttl")):
        for quad in pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE):
            if isinstance(quad.subject, pyoxigraph.NamedNode):
                facts[quad.subject.value][quad.predicate.value].append(quad.object)
    return facts


def test_every_constraining_shape_has_iri_rule_id_name_message_severity_and_source() -> None:
    facts = _shape_facts()
    checked = 0
    for shape, props in facts.items():
        if not CONSTRAINTS & set(props) or shape in (f"{CTSHAPES}UnknownClass", f"{CTSHAPES}UnlistedClass"):  # helpers
            continue
        missing = [p for p in (f"{CTSHAPES}ruleId", f"{SH}name", f"{SH}message", f"{SH}severity",
                               "http://purl.org/dc/terms/source", "http://www.w3.org/2000/01/rdf-schema#seeAlso")
                   if p not in props]
        assert not missing, (shape, missing)
        checked += 1
    assert checked > 1000


def test_policy_rule_ids_are_unique_and_python_rules_do_not_collide() -> None:
    shapes = load_shapes()
    policy = [r for r in shapes.rules.values() if r.origin == "policy"]
    assert len({r.id for r in policy}) == len(policy)
    assert not set(PYTHON_RULES) & shapes.rule_ids()
    assert {"MDP-CREDENTIAL-NAME", "MDP-CREDENTIAL-OWNEDBY-OR-OFFEREDBY", "RA-DESCRIPTION-MIN-LENGTH",
            "MDP-ORGANIZATION-ADDRESS-OR-EMAIL", "MDP-COMPETENCYFRAMEWORK-PUBLISHER", "MDP-CONCEPT-INSCHEME",
            "MDP-PATHWAY-OWNEDBY-OR-OFFEREDBY", "MDP-ASSESSMENT-LIFECYCLESTATUSTYPE"} <= shapes.rule_ids()


def test_committed_structural_shapes_are_what_the_builder_generates(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 0
    committed = bundled_shapes_dir() / "structure"
    for path in build_structural_shapes(tmp_path):
        assert path.read_bytes() == (committed / path.name).read_bytes(), path.name


# --- the report ---------------------------------------------------------------------------------------------
def test_report_is_plain_data_sorted_and_counted() -> None:
    report = validate([DATA / "validate", DATA / "registry" / "wgu_mba_resource.json"])
    data = json.loads(json.dumps(report.to_dict()))
    assert data["conforms"] is True and sum(data["counts"].values()) == len(report.findings)
    assert report.findings == sorted(report.findings, key=lambda f: f.sort_key())
    assert report.records == 13 and report.engine in ("native", "shacl", "pyshacl")
    assert all(f.rule_id in report.rules for f in report.findings)
    assert report.by_rule()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 3), st.sampled_from("XY"), st.integers(0, 4)),
                max_size=40), st.data())
def test_findings_sorted_in_parts_merge_into_the_one_order(rows: list, data: st.DataObject) -> None:
    """Workers sort their chunks' findings; merged with the rest they give what one sort gives."""
    from ctdl_tools.validate.result import Finding, sort_findings

    findings = [Finding(rule, WARNING, "m", f"{name}.json", f"/@graph/{n}", n + 1) for name, n, rule, _ in rows]
    part = [data.draw(st.integers(0, 3)) for _ in findings]  # 0: the parent's own; 1–3: a worker's run
    runs = [sort_findings([f for f, p in zip(findings, part, strict=True) if p == k]) for k in (1, 2, 3)]
    own = [f for f, p in zip(findings, part, strict=True) if p == 0]
    assert sort_findings(own, runs) == sort_findings(findings)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([None, "", "v"]), st.sampled_from([None, ""]), st.sampled_from([None, ""]),
                          st.sampled_from([None, "ce-1"]), st.sampled_from([None, 1])), max_size=12), st.randoms())
def test_the_order_of_findings_does_not_depend_on_the_order_they_came_in(rows: list, rng: Any) -> None:
    """Findings alike but for a None and an "" (a value, a property) kept the order they came in, which with worker
    processes is the order their chunks finished: the report's bytes changed from run to run."""
    from ctdl_tools.validate.result import Finding, sort_findings

    findings = [Finding("R", WARNING, "m", "a.json", "/@graph/0", line, ctid, focus, prop, value)
                for value, prop, focus, ctid, line in rows]
    shuffled = findings[:]
    rng.shuffle(shuffled)
    assert sort_findings(shuffled) == sort_findings(findings)
    assert sort_findings([], [sort_findings(shuffled[:5]), sort_findings(shuffled[5:])]) == sort_findings(findings)
    assert len(sort_findings(findings)) == len(set(findings))


def test_report_counts_follow_the_findings_list() -> None:
    from ctdl_tools.validate.result import Finding, Report

    report = Report([Finding("X", WARNING, "m", "a.json")])
    assert report.counts == {VIOLATION: 0, WARNING: 1, "Info": 0}
    report.findings.append(Finding("Y", VIOLATION, "m", "a.json"))
    assert report.counts[VIOLATION] == 1 and not report.conforms
    report.findings = []
    assert report.counts == {VIOLATION: 0, WARNING: 0, "Info": 0} and report.conforms


def test_chunked_validation_gives_the_same_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large submissions are validated in chunks; a range check still sees classes from other chunks."""
    import ctdl_tools.validate.checker as checker

    docs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((DATA / "validate").glob("*.json"))]
    course = next(d for d in docs if d["@graph"][0]["@type"] == "ceterms:Course")
    org = next(d for d in docs if d["@graph"][0]["@type"] == "ceterms:CredentialOrganization")
    course["@graph"][0]["ceterms:isPartOf"] = [org["@graph"][0]["@id"]]  # a course is not part of a college
    inputs = [*docs, DATA / "registry" / "wgu_mba_resource.json", DATA / "registry" / "CredentialEnvelope.json"]
    whole = validate(inputs)
    monkeypatch.setattr(checker, "CHUNK_DOCS", 2)
    chunked = validate(inputs)
    assert "STRUCT-RANGE" in {f.rule_id for f in whole.findings}
    assert chunked.to_dict() == whole.to_dict()


PARALLEL_CHILD = """
import json, sys
import ctdl_tools.validate.checker as checker
from ctdl_tools.validate import validate
checker.CHUNK_DOCS, checker.PARALLEL_MIN_DOCS = 2, 1  # force several chunks into the worker processes
inputs = sys.argv[1:]
one, two = validate(inputs, jobs=1), validate(inputs, jobs=2)
# Workers convert documents while they wait for their plan, as far as they get: here, all of them (so
# chunks mix documents converted ahead with documents converted in pass 2, by the other worker too).
ahead = checker.Checker._convert_ahead
checker.Checker._convert_ahead = lambda self, label, planned: ahead(self, label, lambda: False)
three = validate(inputs, jobs=2)
print(json.dumps({"same": one.to_dict() == two.to_dict() == three.to_dict() and one.index == two.index,
                  "findings": len(two.findings), "rules": sorted({f.rule_id for f in two.findings})}))
"""


def test_worker_processes_give_the_same_report() -> None:
    """--jobs: chunks validated in forked workers give the report one process gives (run in a child: no
    fork from the test process, which may hold other tests' threads)."""
    import subprocess

    inputs = [str(DATA / "validate"), str(DATA / "registry")]
    out = subprocess.run([sys.executable, "-c", PARALLEL_CHILD, *inputs], capture_output=True, text=True,
                         check=True, timeout=300)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["same"] is True
    assert result["findings"] > 100 and {"STRUCT-RANGE", "STRUCT-DOMAIN", "XREF-CTID-DUPLICATE"} <= set(result["rules"])


def test_parsed_shapes_are_cached_and_a_changed_file_is_read_again(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from ctdl_tools.validate import shapes as shapes_module

    monkeypatch.setenv("CTDL_TOOLS_CACHE", str(tmp_path / "cache"))
    user = tmp_path / "agency.ttl"
    rule = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix ctshapes: <https://purl.org/ctdl_tools/shapes/> .
ex:S a sh:NodeShape ; sh:targetClass <https://purl.org/ctdl/terms/Course> ;
  sh:property [ sh:path <https://purl.org/ctdl/terms/keyword> ; sh:minCount 1 ] ; ctshapes:ruleId "AGENCY-%s" .
"""
    user.write_text(rule % "ONE", encoding="utf-8")
    shapes_module._load.cache_clear()
    first = load_shapes([user])
    assert len(list((tmp_path / "cache").glob("shapes-*.pickle"))) == 1
    shapes_module._load.cache_clear()
    assert load_shapes([user]).ntriples == first.ntriples  # from the cache
    user.write_text(rule % "TWO", encoding="utf-8")
    os.utime(user, ns=(user.stat().st_atime_ns, user.stat().st_mtime_ns + 10**9))
    shapes_module._load.cache_clear()
    assert "AGENCY-TWO" in load_shapes([user]).rule_ids() and "AGENCY-ONE" not in load_shapes([user]).rule_ids()
    monkeypatch.setenv("CTDL_TOOLS_CACHE", "off")
    shapes_module._load.cache_clear()
    assert "AGENCY-TWO" in load_shapes([user]).rule_ids()
    assert len(list((tmp_path / "cache").glob("shapes-*.pickle"))) == 2


def _cached_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from ctdl_tools.validate import shapes as shapes_module

    monkeypatch.setenv("CTDL_TOOLS_CACHE", str(tmp_path / "cache"))
    shapes_module._load.cache_clear()
    load_shapes()
    shapes_module._load.cache_clear()
    (cache,) = (tmp_path / "cache").glob("shapes-*.pickle")
    return cache


class _Planted:
    def __reduce__(self) -> tuple:
        return (os.system, ("touch planted-by-the-cache",))


@pytest.mark.parametrize("tampered", ["writable by others", "wrong object", "a list", "truncated"])
def test_a_cache_file_others_could_write_or_of_another_form_is_not_used(tmp_path: Path, tampered: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # Found in acceptance testing: the parsed-shapes cache is a pickle, and a shared or restored cache directory
    # could hold anyone's (unpickling runs what it names); a well-formed pickle of something else was exit 3.
    import pickle

    cache = _cached_shapes(tmp_path, monkeypatch)
    expected = load_shapes().ntriples
    monkeypatch.chdir(tmp_path)
    from ctdl_tools.validate import shapes as shapes_module

    if tampered == "writable by others":
        cache.write_bytes(pickle.dumps(_Planted()))
        cache.chmod(0o666)
    elif tampered == "wrong object":
        cache.write_bytes(pickle.dumps((1, 2, 3)))
    elif tampered == "a list":
        cache.write_bytes(pickle.dumps([1, 2]))
    else:
        cache.write_bytes(cache.read_bytes()[:100])
    shapes_module._load.cache_clear()
    assert load_shapes().ntriples == expected  # parsed again
    assert not (tmp_path / "planted-by-the-cache").exists()


def test_no_home_directory_means_no_cache_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    # Found in acceptance testing: `docker run --user N` without HOME (no passwd entry): Path.home() raised.
    from ctdl_tools.validate import shapes as shapes_module

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    for name in ("CTDL_TOOLS_CACHE", "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert shapes_module.cache_dir() is None
    shapes_module._load.cache_clear()
    assert validate(COURSE).files


FAILING_CHILD = """
import sys
import time
import ctdl_tools.validate.checker as checker
from ctdl_tools.validate import validate
checker.CHUNK_DOCS, checker.PARALLEL_MIN_DOCS = 2, 1
def broken(self, docs):
    raise ZeroDivisionError("broken on purpose")
checker.Checker._validate_chunk = broken
try:
    validate(sys.argv[1:], jobs=2)
except RuntimeError as exc:
    print("RuntimeError", "ZeroDivisionError" in str(exc))
"""


def test_a_failing_worker_is_reported_not_hung() -> None:
    import subprocess

    out = subprocess.run([sys.executable, "-c", FAILING_CHILD, str(DATA / "validate"), str(DATA / "registry")],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "RuntimeError True"


NO_PROCESS_CHILD = """
import json, sys, threading
import multiprocessing.process
import ctdl_tools.validate.checker as checker
from ctdl_tools.validate import validate
checker.CHUNK_DOCS, checker.PARALLEL_MIN_DOCS = 2, 1
inputs, limit = sys.argv[2:], sys.argv[1]
expected = validate(inputs, jobs=1)
started = []
def refuse_fork(self):
    if len(started) >= (1 if limit == "second-fork" else 0):
        raise BlockingIOError(11, "Resource temporarily unavailable")
    started.append(self)
    real_start(self)
def refuse_thread(self):
    raise RuntimeError("can't start new thread")
if limit == "thread":
    threading.Thread.start = refuse_thread
else:
    real_start = multiprocessing.process.BaseProcess.start
    multiprocessing.process.BaseProcess.start = refuse_fork
report = validate(inputs, jobs=2)
print(json.dumps({"same": report.findings == expected.findings, "findings": len(report.findings)}))
"""


@pytest.mark.parametrize("limit", ["first-fork", "second-fork", "thread"])
def test_a_limit_on_processes_or_threads_gives_the_same_report_in_one_process(limit: str) -> None:
    # Found in acceptance testing: under `ulimit -u` (a container's pids limit) validate said "error: input: Resource
    # temporarily unavailable" (no fork) or crashed with "can't start new thread" (exit 3).
    import subprocess

    inputs = [str(DATA / "validate"), str(DATA / "registry")]
    out = subprocess.run([sys.executable, "-c", NO_PROCESS_CHILD, limit, *inputs], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["same"] is True and result["findings"] > 100


DYING_CHILD = """
import os, sys
import ctdl_tools.validate.checker as checker
from ctdl_tools.validate import validate
checker.CHUNK_DOCS, checker.PARALLEL_MIN_DOCS = 2, 1
checker.Checker._convert_ahead = lambda self, label, planned: os._exit(1)  # gone before its plan is sent
try:
    validate(sys.argv[1:], jobs=2)
except checker.WorkerFailed as exc:
    print("WorkerFailed", "died" in str(exc))
"""


def test_a_worker_gone_before_its_plan_is_sent_is_a_failed_worker() -> None:
    # Found in review: sending to a worker that had died raised BrokenPipeError, which the command took for a reader
    # of its output that had left.
    import subprocess

    out = subprocess.run([sys.executable, "-c", DYING_CHILD, str(DATA / "validate"), str(DATA / "registry")],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "WorkerFailed True", out.stderr[-2000:]


def test_a_rule_many_shapes_share_is_named_by_what_they_share() -> None:
    # Found by hand: the text summary named STRUCT-LANGSTRING "ceasn:benchmarkLabel language map" (the
    # first shape's) for findings about ceterms:name. Each finding keeps its own shape's message.
    report = validate([DATA / "validate"])
    rule = report.rules["STRUCT-LANGSTRING"]
    assert (rule.name, rule.message) == ("language map", 'must be a language map such as {"en-US": "…"}, not '
                                                         "a plain string")
    assert report.rules["STRUCT-DATATYPE"].name == "datatype"
    assert report.rules["MDP-CREDENTIAL-NAME"].name == "Credential: ceterms:name required"  # one shape: as is


def test_a_finding_goes_to_the_file_that_wrote_the_property(tmp_path: Path) -> None:
    # Found by hand: with one @id described in two files, RDF makes one node and every finding on it went
    # to the first file, even when the second wrote the bad value.
    doc = json.loads(COURSE.read_text(encoding="utf-8"))
    (tmp_path / "a.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    doc["@graph"][0]["ceterms:lifeCycleStatusType"]["ceterms:targetNode"] = "audience:Adult"  # wrong scheme
    doc["@graph"][0]["ceterms:keyword"] = "not a language map"
    (tmp_path / "b.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    report = validate([tmp_path / "a.json", tmp_path / "b.json"])
    placed = {(f.rule_id, Path(f.file).name) for f in report.findings if f.rule_id.startswith("STRUCT-")}
    assert placed == {("STRUCT-CONCEPT-SCHEME", "b.json"), ("STRUCT-LANGSTRING", "b.json")}


def test_a_dangling_symlink_in_a_directory_is_reported_unreadable(tmp_path: Path) -> None:
    # Found by hand: it was left out silently, so a catalog missing a file passed.
    (tmp_path / "course.json").write_text(COURSE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "gone.json").symlink_to(tmp_path / "nowhere.json")
    report = validate([tmp_path])
    unreadable = [f for f in report.findings if f.rule_id == "JSON-UNREADABLE"]
    assert [(Path(f.file).name, f.message) for f in unreadable] == [
        ("gone.json", "cannot read: No such file or directory")]


def test_workers_ask_for_the_chunks_held_back_their_own_first_then_the_others_last() -> None:
    # A fixed plan left one core idle for the last ~15 % of a 10k-record run (chunks differ in cost); now
    # about a third of each worker's chunks is dealt out on request.
    from ctdl_tools.validate.checker import _hold_back, _next_chunk

    plans = [[["a"] * 4, ["b"] * 3, ["c"] * 2, ["d"] * 1], [["e"] * 2]]
    held = [_hold_back(plan) for plan in plans]
    assert plans == [[["a"] * 4, ["b"] * 3], [["e"] * 2]] and held == [[["c"] * 2, ["d"]], []]
    assert _next_chunk(held, 1) == ["d"]  # stolen: the other worker's last
    assert _next_chunk(held, 0) == ["c"] * 2  # its own, in order
    assert _next_chunk(held, 0) is None and _next_chunk(held, 1) is None


WORKER_CHILD = """
import os, sys, time
import ctdl_tools.validate.checker as checker
checker.CHUNK_DOCS, checker.PARALLEL_MIN_DOCS = 2, 1
pids, how = sys.argv[1], sys.argv[2]
def stuck(self, docs):
    with open(pids, "a") as handle:
        handle.write(f"{os.getpid()}\\n")
    if how == "die":
        os._exit(9)  # as the OOM killer would
    time.sleep(120)
checker.Checker._validate_chunk = stuck
from ctdl_tools.validate.commands import validate_command
validate_command.main(["--jobs", "2", "--format", "json", *sys.argv[3:]], standalone_mode=True)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):  # a zombie (dead, not yet reaped by init) counts as gone
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    return True


def test_workers_die_with_a_killed_parent_and_a_dead_worker_is_exit_2(tmp_path: Path) -> None:
    # Found in acceptance testing: `timeout … ctdl validate --jobs 4 | wc` never ended (the workers, blocked on
    # their pipes, outlived the killed parent and held the output pipe open); a worker killed by the OOM
    # killer was a traceback and exit 1 (the code for findings).
    import signal
    import subprocess

    inputs = [str(DATA / "validate"), str(DATA / "registry")]
    pids = tmp_path / "pids"
    parent = subprocess.Popen([sys.executable, "-c", WORKER_CHILD, str(pids), "hang", *inputs],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (pids.exists() and len(pids.read_text().split()) >= 2):
        assert time.monotonic() < deadline and parent.poll() is None, parent.stderr.read() if parent.stderr else ""
        time.sleep(0.05)
    parent.send_signal(signal.SIGKILL)
    parent.communicate(timeout=30)
    workers = [int(p) for p in pids.read_text().split()]
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived its killed parent"
        time.sleep(0.05)
    died = subprocess.run([sys.executable, "-c", WORKER_CHILD, str(tmp_path / "pids2"), "die", *inputs],
                          capture_output=True, text=True, timeout=120)
    assert died.returncode == 2 and "a validation worker process died" in died.stderr
    assert "Traceback" not in died.stderr


def test_huge_values_are_shortened_in_findings() -> None:
    # Found in acceptance testing: a 2 MB bogus CTID and a 5 MB URL were copied whole into every finding's value,
    # message and locations (a 10 MB input made a 170 MB SARIF).
    document = json.loads((DATA / "validate" / "course.json").read_text(encoding="utf-8"))
    node = document["@graph"][0]
    node["ceterms:ctid"] = "ce-" + "x" * 2_000_000
    node["ceterms:subjectWebpage"] = "https://example.org/" + "a b" * 1_000_000
    report = validate([document])
    long = [f for f in report.findings if f.rule_id in ("STRUCT-CTID-FORM", "JSONLD-INVALID-IRI")]
    assert {f.rule_id for f in long} == {"STRUCT-CTID-FORM", "JSONLD-INVALID-IRI"}
    for f in report.findings:
        assert len(f.value or "") <= 1_000 and len(f.message) <= 2_000, (f.rule_id, len(f.value or ""))
    shown = next(f.value for f in long if f.rule_id == "STRUCT-CTID-FORM")
    assert shown.startswith("ce-xxx") and "characters left out" in shown


def test_building_the_shapes_again_leaves_files_that_are_up_to_date(tmp_path: Path) -> None:
    # Found in a robustness sweep: `ctdl shapes build` rewrote identical files, changing their times (which
    # keys the parsed-shapes cache); a changed file is replaced whole.
    import os

    first = build_structural_shapes(tmp_path)
    for path in first:
        os.utime(path, (1_000_000_000, 1_000_000_000))
    stale = first[0]
    stale.write_text("# an older version\n", encoding="utf-8")
    os.utime(stale, (1_000_000_000, 1_000_000_000))
    again = build_structural_shapes(tmp_path)
    assert again == first
    assert [p.stat().st_mtime != 1_000_000_000 for p in again] == [True] + [False] * (len(again) - 1)
    assert stale.read_text(encoding="utf-8") != "# an older version\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in first)  # no temporary left
