"""The reporters on a real run: a small catalog with Violations, Warnings and Infos, in every format.

The catalog (written per module into a temporary directory): three of the clean hand-made graphs of
``tests/data/validate`` (Warnings for benchmark properties, Infos for references to the registry), one
of them as ``.jsonld`` in a subdirectory, and a broken certificate (Violations) whose name and values
carry HTML, quotes, non-ASCII and a control character. JSON and SARIF are checked against schemas (the
shipped one; a compact subset of SARIF's), JUnit by parsing it, HTML statically and in headless Chromium.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import click
import pytest

from ctdl_tools.validate import validate
from ctdl_tools.validate.reporters import FORMATS, Options, index_records, json_report, junit, render, sarif, text
from ctdl_tools.validate.reporters.common import display_path, record_pointer, verdict
from ctdl_tools.validate.result import INFO, VIOLATION, WARNING, Finding, Report
from tests._browser_support import CHROMIUM, DevToolsPage, chromium

from .conftest import DATA

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="Debian's chromium is not installed (/usr/bin/chromium); "
                                           "apt-get install -y chromium to run the browser tests")
BROKEN_CTID = "ce-5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
BROKEN_NAME = 'Welding <script>alert(1)</script> & "Fab" café'
BROKEN = {
    "@context": "https://credreg.net/ctdl/schema/context/json",
    "@id": f"https://credentialengineregistry.org/graph/{BROKEN_CTID}",
    "@graph": [{
        "@id": f"https://credentialengineregistry.org/resources/{BROKEN_CTID}",
        "@type": "ceterms:Certificate",
        "ceterms:ctid": BROKEN_CTID,
        "ceterms:name": {"en-US": BROKEN_NAME},
        "ceterms:description": {"en-US": "short"},  # RA-DESCRIPTION-MIN-LENGTH
        "ceterms:subjectWebpage": "not a url",  # JSONLD-RELATIVE-IRI, MDP-CREDENTIAL-SUBJECTWEBPAGE
        "ceterms:inLanguage": ["en"],
        "ceterms:ownedBy": ["https://credentialengineregistry.org/resources/ce-0a7c3f2e-8d41-4c6b-9f0e-2b5d7a1c3e90"],
        "ceterms:bogusProperty": "x\u0001y ]]> <b>&amp; \x1b[2J",  # STRUCT-UNKNOWN-PROPERTY
    }],
}
ORG_CTID = "ce-0a7c3f2e-8d41-4c6b-9f0e-2b5d7a1c3e90"


def write_catalog(root: Path) -> Path:
    """``root/catalog``: organization, course, broken (json) and frameworks/framework.jsonld."""
    catalog = root / "catalog"
    (catalog / "frameworks").mkdir(parents=True)
    for name in ("organization", "course"):
        shutil.copy(DATA / "validate" / f"{name}.json", catalog / f"{name}.json")
    shutil.copy(DATA / "validate" / "competency_framework.json", catalog / "frameworks" / "framework.jsonld")
    (catalog / "broken.json").write_text(json.dumps(BROKEN, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return catalog


@dataclass
class Run:
    root: Path
    catalog: Path
    report: Report
    options: Options


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("reporters")
    catalog = write_catalog(root)
    report = validate([catalog])
    return Run(root, catalog, report, Options(records=index_records([catalog]), base=str(root)))


def rendered(run: Run, fmt: str, **options: Any) -> str:
    opts = Options(**{"records": run.options.records, "base": run.options.base, **options})
    return render(fmt, run.report, opts).decode("utf-8")


def test_the_fixture_has_every_severity_and_the_record_index_names_records(run: Run) -> None:
    counts = run.report.counts
    assert counts[VIOLATION] == 4 and counts[WARNING] > 10 and counts[INFO] >= 1, counts
    assert run.report.records == 7 and len(run.report.files) == 4
    names = {r.ctid: r.name for r in run.options.records}
    assert names[BROKEN_CTID] == BROKEN_NAME and names[ORG_CTID] == "Riverbend Technical College"
    assert [r.pointer for r in run.options.records if r.file.endswith("framework.jsonld")] == \
        ["/@graph/0", "/@graph/1", "/@graph/2", "/@graph/3"]


def test_helpers() -> None:
    assert record_pointer("/@graph/2/ceterms:name/en-US") == "/@graph/2"
    assert record_pointer("/3/@graph/0/ceterms:ctid") == "/3/@graph/0"
    assert record_pointer("/decoded_resource/ceterms:name") == "/decoded_resource"
    assert record_pointer("/@context") == "" and record_pointer("") == ""
    assert display_path("./a/../b/c.json") == "b/c.json"
    assert display_path("/srv/x/c.json", "/srv") == "x/c.json"
    assert display_path("/elsewhere/c.json", "/srv") == "/elsewhere/c.json"
    assert display_path("<stdin>") == "<stdin>"


# --- text ---------------------------------------------------------------------------------------------------
def test_text_groups_by_file_and_record_with_located_lines_and_ends_with_totals_and_verdict(run: Run) -> None:
    out = rendered(run, "text")
    lines = out.splitlines()
    assert lines[0] == "catalog/broken.json"
    assert lines[1] == f"  {BROKEN_CTID}  {BROKEN_NAME}"
    line = next(x for x in lines if "RA-DESCRIPTION-MIN-LENGTH" in x and "Violation" in x)
    assert re.fullmatch(r'    catalog/broken\.json:\d+  Violation  RA-DESCRIPTION-MIN-LENGTH'
                        r'  ceterms:description="short"'
                        r"  The description must be at least 15 characters long \(this one has 5 characters\)"
                        r"  \(https://\S+\)", line), line
    headings = [x for x in lines if x and not x.startswith(" ")]
    assert headings[:4] == ["catalog/broken.json", "catalog/course.json", "catalog/frameworks/framework.jsonld",
                            "catalog/organization.json"]
    assert "  ce-3da06051-b074-4f9e-8231-5e80ad4f6bc3  Welding Competencies" in lines
    counts = run.report.counts
    infos = f"{counts[INFO]} info" + ("" if counts[INFO] == 1 else "s")
    assert lines[-2] == f"4 files, 7 records: 4 violations, {counts[WARNING]} warnings, {infos}"
    assert lines[-1] == f"FAILED: 4 violations in 1 record ({counts[WARNING]} warnings, {infos})"
    assert "\x1b" not in out and "\x01" not in out  # no colour in a file; control characters from the data escaped
    assert "\\u0001" in out and "\\u001b[2J" in out
    finding_lines = [x for x in lines if x.startswith("    catalog/")]
    assert len(finding_lines) == len(run.report.findings)


def test_text_colour_only_when_asked(run: Run) -> None:
    plain = rendered(run, "text")
    coloured = rendered(run, "text", color=True)
    assert "\x1b[31m" in coloured and click.unstyle(coloured) == plain


def test_text_verdict_follows_fail_on() -> None:
    report = Report(files=["a.json"], records=1)
    assert verdict(report) == "PASSED: no violations (0 warnings, 0 infos)"
    assert text.render(report).splitlines()[-1] == "PASSED: no violations (0 warnings, 0 infos)"

    warned = Report([Finding("X", WARNING, "m", "a.json", "/@graph/0", 3, ORG_CTID)], ["a.json"], 1, 1)
    assert verdict(warned, "violation").startswith("PASSED")
    assert verdict(warned, "warning") == "FAILED: 0 violations and 1 warning in 1 record (0 infos) [--fail-on warning]"
    unreadable = Finding("JSON-SYNTAX", VIOLATION, "invalid JSON", "b.json", "", 1)  # no record: the whole file
    assert verdict(Report([unreadable], ["b.json"])) == "FAILED: 1 violation in 1 file (0 warnings, 0 infos)"
    both = Report([Finding("X", VIOLATION, "m", "a.json", "/@graph/0", 3, ORG_CTID), unreadable], ["a.json", "b.json"])
    assert verdict(both) == "FAILED: 2 violations in 1 record and 1 file (0 warnings, 0 infos)"


def test_verdict_counts_document_level_findings_of_wrapped_documents_as_files(tmp_path: Path) -> None:
    # Found by hand: `[[], {"@graph": []}]` was "3 violations in 2 records" of a file with no record.
    nested = tmp_path / "nested.json"
    nested.write_text('[[], {"@graph": []}]', encoding="utf-8")
    report = validate([nested])
    assert {(f.rule_id, f.pointer) for f in report.findings} >= {("JSON-NOT-CTDL", "/0"), ("GRAPH-NODES", "/1/@graph")}
    assert verdict(report) == f"FAILED: {report.counts[VIOLATION]} violations in 1 file (0 warnings, 0 infos)"
    record = Finding("X", VIOLATION, "m", "a.json", "/1/@graph/0/ceterms:name", 3)  # no CTID, still in a record
    assert verdict(Report([record], ["a.json"])) == "FAILED: 1 violation in 1 record (0 warnings, 0 infos)"


# --- JSON ---------------------------------------------------------------------------------------------------
def test_json_follows_the_shipped_schema_and_carries_rule_metadata(run: Run) -> None:
    data = json.loads(rendered(run, "json"))
    schema = json_report.schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert_valid(data, schema)
    assert data["counts"] == run.report.counts and data["passed"] is False and data["conforms"] is False
    assert len(data["findings"]) == len(run.report.findings)
    assert set(data["rules"]) == {f.rule_id for f in run.report.findings}
    for rule_id, rule in data["rules"].items():
        assert rule["id"] == rule_id and rule["source"] and rule["name"]
        assert rule["count"] == sum(1 for f in data["findings"] if f["rule_id"] == rule_id)
    assert data["rules"]["RA-DESCRIPTION-MIN-LENGTH"]["see_also"].startswith("https://")
    broken = [f for f in data["findings"] if f["ctid"] == BROKEN_CTID]
    assert {f["record_name"] for f in broken} == {BROKEN_NAME}
    assert any(f["value"] == BROKEN["@graph"][0]["ceterms:bogusProperty"] for f in broken)  # exact, not escaped
    # The schema rejects what it should: a misspelt severity, an unknown field.
    bad = json.loads(json.dumps(data))
    bad["findings"][0]["severity"] = "Error"
    bad["findings"][1]["extra"] = 1
    assert len(schema_errors(bad, schema)) == 2


def test_json_passed_follows_fail_on() -> None:
    report = Report(files=["a.json"])
    data = json.loads(json_report.render(report, Options(fail_on="warning")))
    assert data["passed"] is True and data["fail_on"] == "warning" and data["rules"] == {}
    assert_valid(data, json_report.schema())


# --- JUnit --------------------------------------------------------------------------------------------------
def test_junit_has_a_suite_per_file_and_a_case_per_record(run: Run) -> None:
    root = ET.fromstring(rendered(run, "junit").encode("utf-8"))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["catalog/broken.json", "catalog/course.json",
                                               "catalog/frameworks/framework.jsonld", "catalog/organization.json"]
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 7 == int(root.get("tests"))
    assert {c.get("name") for c in cases} == {r.ctid for r in run.options.records}
    assert all(c.get("classname") == s.get("name") for s in suites for c in s.findall("testcase"))
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == [BROKEN_CTID] and root.get("failures") == "1"
    failure = failed[0].find("failure")
    assert failure.get("message").startswith("4 violations: ") and failure.text.count("\n") == 3
    out = failed[0].find("system-out").text
    assert out.splitlines()[0] == f"{BROKEN_CTID}  {BROKEN_NAME}"  # escaped in the XML, exact when parsed
    assert "STRUCT-UNKNOWN-PROPERTY" in out and "\\u0001" in out  # a Warning, in system-out; U+0001 made legal
    for suite in suites:
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))


def test_junit_fails_warnings_with_fail_on_warning(run: Run) -> None:
    root = ET.fromstring(rendered(run, "junit", fail_on="warning").encode("utf-8"))
    warned = {f.ctid for f in run.report.findings if f.severity in (VIOLATION, WARNING)}
    assert {c.get("name") for c in root.iter("testcase") if c.find("failure") is not None} == warned
    assert int(root.get("failures")) == len(warned)


def test_junit_clean_records_pass(run: Run) -> None:
    report = validate([run.catalog / "frameworks"], disabled_rules=["MDP-*-BENCHMARK-*"])
    options = Options(records=index_records([run.catalog / "frameworks"]))
    root = ET.fromstring(junit.render(report, options).encode("utf-8"))
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 4 and root.get("failures") == "0"
    assert all(c.find("failure") is None for c in cases)


# --- SARIF --------------------------------------------------------------------------------------------------
SARIF_SUBSET: dict[str, Any] = {
    "type": "object",
    "required": ["$schema", "version", "runs"],
    "properties": {
        "$schema": {"const": "https://json.schemastore.org/sarif-2.1.0.json"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/run"}},
    },
    "$defs": {
        "message": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "minLength": 1}}},
        "level": {"enum": ["none", "note", "warning", "error"]},
        "run": {"type": "object", "required": ["tool", "results"], "properties": {
            "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {"$ref": "#/$defs/driver"}}},
            "results": {"type": "array", "items": {"$ref": "#/$defs/result"}}}},
        "driver": {"type": "object", "required": ["name", "version", "rules"], "properties": {
            "name": {"const": "ctdl_tools"}, "version": {"type": "string", "minLength": 1},
            "informationUri": {"type": "string", "pattern": "^https?://"},
            "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}}}},
        "rule": {"type": "object",
                 "required": ["id", "name", "shortDescription", "fullDescription", "defaultConfiguration",
                              "properties"],
                 "properties": {
                     "id": {"type": "string", "minLength": 1},
                     "name": {"type": "string", "pattern": "^[A-Za-z0-9]+$"},
                     "shortDescription": {"$ref": "#/$defs/message"},
                     "fullDescription": {"$ref": "#/$defs/message"},
                     "helpUri": {"type": "string", "pattern": "^https?://"},
                     "defaultConfiguration": {"type": "object", "required": ["level"],
                                              "properties": {"level": {"$ref": "#/$defs/level"}}},
                     "properties": {"type": "object", "required": ["source"],
                                    "properties": {"source": {"type": "string", "minLength": 1}}}}},
        "result": {"type": "object",
                   "required": ["ruleId", "ruleIndex", "level", "message", "locations", "partialFingerprints"],
                   "properties": {
                       "ruleId": {"type": "string", "minLength": 1},
                       "ruleIndex": {"type": "integer", "minimum": 0},
                       "level": {"$ref": "#/$defs/level"},
                       "message": {"$ref": "#/$defs/message"},
                       "locations": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/location"}},
                       "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}}}},
        "location": {"type": "object", "properties": {
            "physicalLocation": {"type": "object", "required": ["artifactLocation"], "properties": {
                # GitHub code scanning: a URI relative to the checkout, forward slashes.
                "artifactLocation": {"type": "object", "required": ["uri", "uriBaseId"], "properties": {
                    "uri": {"type": "string", "pattern": "^(?![/\\\\])(?![a-z]+:)[^\\\\ ]+$"},
                    "uriBaseId": {"const": "%SRCROOT%"}}},
                "region": {"type": "object", "required": ["startLine"],
                           "properties": {"startLine": {"type": "integer", "minimum": 1}}}}},
            "logicalLocations": {"type": "array", "minItems": 1,
                                 "items": {"type": "object", "required": ["name", "fullyQualifiedName"]}}}},
    },
}


def test_sarif_has_the_essentials_github_needs(run: Run) -> None:
    data = json.loads(rendered(run, "sarif"))
    assert_valid(data, SARIF_SUBSET)
    sarif_run = data["runs"][0]
    rules = sarif_run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({f.rule_id for f in run.report.findings})
    results = sarif_run["results"]
    assert len(results) == len(run.report.findings)
    levels = {"Violation": "error", "Warning": "warning", "Info": "note"}
    for result, finding in zip(results, run.report.findings, strict=True):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding.rule_id
        assert result["level"] == levels[finding.severity]
    prints = [r["partialFingerprints"]["ctdlFinding/v1"] for r in results]
    assert len(set(prints)) == len(prints)
    rule = next(r for r in rules if r["id"] == "RA-DESCRIPTION-MIN-LENGTH")
    assert rule["defaultConfiguration"]["level"] == "error" and rule["helpUri"].startswith("https://")
    assert "Registry_Assistant" in rule["properties"]["source"]


def test_sarif_locations_point_at_the_real_lines(run: Run) -> None:
    data = json.loads(rendered(run, "sarif"))
    checked = 0
    for result, finding in zip(data["runs"][0]["results"], run.report.findings, strict=True):
        physical = result["locations"][0]["physicalLocation"]
        path = run.root / physical["artifactLocation"]["uri"]
        assert path.is_file()
        line = path.read_text(encoding="utf-8").splitlines()[physical["region"]["startLine"] - 1]
        last = finding.pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
        if last and not last.isdigit() and last != "@graph":
            assert f'"{last}"' in line, (finding, line)  # the line of the property
        else:
            assert line.strip()[:1] in "{[\"", (finding, line)  # a node or an array element
        checked += 1
        logical = result["locations"][0]["logicalLocations"][0]
        assert logical["fullyQualifiedName"].endswith("#" + finding.pointer)
    assert checked == len(run.report.findings)


def test_sarif_fingerprints_survive_lines_moving(run: Run, tmp_path: Path) -> None:
    moved = tmp_path / "catalog"
    shutil.copytree(run.catalog, moved)
    broken = moved / "broken.json"
    broken.write_text("\n\n\n" + broken.read_text(encoding="utf-8"), encoding="utf-8")  # JSON allows it
    before = json.loads(rendered(run, "sarif"))["runs"][0]["results"]
    report = validate([moved])
    after = json.loads(sarif.render(report, Options(base=str(tmp_path))))["runs"][0]["results"]
    line = {r["partialFingerprints"]["ctdlFinding/v1"]: r["locations"][0]["physicalLocation"]["region"]["startLine"]
            for r in after}
    for result in before:
        if result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "catalog/broken.json":
            print_ = result["partialFingerprints"]["ctdlFinding/v1"]
            assert line[print_] == result["locations"][0]["physicalLocation"]["region"]["startLine"] + 3


def test_sarif_fingerprints_tell_every_finding_apart() -> None:
    # Found in acceptance testing: on the real registry records 194 results shared 40 fingerprints (two blank
    # nodes of one record breaking one rule alike), which code scanning merges into one alert.
    report = validate([DATA / "registry"])
    results = sarif.as_dict(report, Options(base=str(DATA)))["runs"][0]["results"]
    prints = [r["partialFingerprints"]["ctdlFinding/v1"] for r in results]
    assert len(results) > 100 and len(set(prints)) == len(prints)


def test_sarif_lists_the_most_severe_results_when_asked_for_fewer() -> None:
    severities = [WARNING, VIOLATION, INFO, WARNING, VIOLATION, WARNING, INFO, VIOLATION, WARNING, WARNING]
    findings = [Finding(f"R-{i}", sev, "m", "a.json", f"/@graph/{i}", i + 1) for i, sev in enumerate(severities)]
    report = Report(findings, ["a.json"])
    run = sarif.as_dict(report, Options(sarif_max_results=4))["runs"][0]
    # Every Violation (1, 4, 7), then the first Warning (0); in report order.
    assert [r["ruleId"] for r in run["results"]] == ["R-0", "R-1", "R-4", "R-7"]
    assert run["properties"]["resultsOmitted"] == 6 and run["properties"]["findings"] == 10
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"].startswith("4 of 10 findings are listed, the most severe first (3 violations")
    assert run["invocations"][0]["executionSuccessful"] is True
    only_some_violations = sarif.as_dict(report, Options(sarif_max_results=2))["runs"][0]["results"]
    assert [r["ruleId"] for r in only_some_violations] == ["R-1", "R-4"]
    for everything in (Options(), Options(sarif_max_results=10)):
        whole = sarif.as_dict(report, everything)["runs"][0]
        assert len(whole["results"]) == 10 and "invocations" not in whole
        assert "resultsOmitted" not in whole["properties"]


def test_sarif_for_stdin_and_outside_files() -> None:

    report = Report([Finding("JSON-SYNTAX", VIOLATION, "bad", "<stdin>", "", 2),
                     Finding("JSON-SYNTAX", VIOLATION, "bad", "/elsewhere/x y.json", "", 3)],
                    ["<stdin>", "/elsewhere/x y.json"])
    results = sarif.as_dict(report, Options(base="/srv/repo"))["runs"][0]["results"]
    assert "physicalLocation" not in results[0]["locations"][0]
    assert results[1]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "file:///elsewhere/x%20y.json"}


# --- HTML, static -------------------------------------------------------------------------------------------
def test_html_is_escaped_self_contained_and_labelled(run: Run) -> None:
    page = rendered(run, "html")
    assert page.count("<script") == 1  # ours; the record name's <script> is text
    assert "Welding &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Fab&#34; café" in page
    assert not re.search(r"\b(src|srcset)=|<link\b|@import|url\(", page)  # nothing fetched
    dom = Dom(page)
    headers = [a for tag, a in dom.tags if tag == "th"]
    assert headers and all(a.get("scope") == "col" for a in headers)
    assert [a for a in headers if "aria-sort" in a] == [{"scope": "col", "data-key": "location",
                                                         "aria-sort": "ascending"}]
    inputs = [a for tag, a in dom.tags if tag == "input"]
    assert len(inputs) == 4 and all(a["id"] in dom.labels_for for a in inputs)
    assert len(dom.rows) == len(run.report.findings)
    assert next(t for tag, t in dom.tags if tag == "html")["lang"] == "en"


def test_html_links_only_to_the_web_and_says_when_nothing_was_found() -> None:
    from ctdl_tools.validate.result import Finding, Rule

    rule = Rule("USER-RULE", WARNING, "n", "m", "a policy", "javascript:alert(1)", origin="user")
    finding = Finding("USER-RULE", WARNING, "m", "a.json", "/@graph/0", 1, source=rule.citation)
    page = render("html", Report([finding], ["a.json"], 1, 1, "shacl", {"USER-RULE": rule})).decode("utf-8")
    assert "javascript:" not in page and "a policy" in page  # the source is kept, the non-web "URL" is not
    empty = Dom(render("html", Report(files=["a.json"], documents=1, records=1)).decode("utf-8"))
    assert empty.text("empty") == "No findings." and empty.text("verdict").startswith("PASSED")


def test_a_large_report_lists_every_violation_first_and_says_what_it_left_out(
        run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    # 127,000 rows (a 10k-record catalog) never opened in Chromium; past html.MAX_ROWS the page lists a part.
    from ctdl_tools.validate.reporters import html

    counts = run.report.counts
    monkeypatch.setattr(html, "MAX_ROWS", counts[VIOLATION] + 2)
    page = rendered(run, "html")
    dom = Dom(page)
    assert [r.severity for r in dom.rows].count(VIOLATION) == counts[VIOLATION]  # all of them
    assert len(dom.rows) == counts[VIOLATION] + 2 and {r.severity for r in dom.rows} == {VIOLATION, WARNING}
    total = len(run.report.findings)
    assert dom.text("capped").startswith(f"This page lists {counts[VIOLATION] + 2} of the report's {total} findings")
    assert f"Warning ({counts[WARNING]}; 2 listed)" in page  # the severity filter's label
    assert dom.text("count-Warning") == str(counts[WARNING])  # the totals count every finding
    monkeypatch.setattr(html, "MAX_ROWS", 1)  # fewer rows than Violations: the first Violations only
    assert [r.severity for r in Dom(rendered(run, "html")).rows] == [VIOLATION]
    monkeypatch.undo()
    assert "capped" not in rendered(run, "html")  # a report this size is listed whole


def test_every_format_is_deterministic_in_process(run: Run) -> None:
    again = validate([run.catalog])
    for fmt in FORMATS:
        first = rendered(run, fmt)
        assert first == rendered(run, fmt), fmt
        assert first == render(fmt, again, run.options).decode("utf-8"), fmt
        if fmt != "json":  # paths relative to the base (JSON keeps each file as given)
            assert str(run.root) not in first, fmt


# --- HTML in Chromium ---------------------------------------------------------------------------------------
@needs_chromium
def test_a_page_listing_part_of_a_large_report_works_in_chromium(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from ctdl_tools.validate.reporters import html

    monkeypatch.setattr(html, "MAX_ROWS", 5)
    page = run.root / "capped.html"
    page.write_text(rendered(run, "html"), encoding="utf-8")
    dom = Dom(dump_dom(page.as_uri() + "?severity=Violation"))
    assert dom.text("capped").startswith(f"This page lists 5 of the report's {len(run.report.findings)} findings")
    assert dom.text("shown") == "4 of 5 findings shown"  # the script filters the listed rows
    # The rule chooser says how many of a rule's findings the page lists (found in acceptance testing: it
    # offered a rule with 1,848 findings and then showed none).
    warned = run.report.by_rule()
    text = page.read_text(encoding="utf-8")
    assert all(f"{rule} ({count}; " in text for rule, count in warned.items())


@needs_chromium
def test_html_filters_and_sorts_from_the_address(run: Run) -> None:
    page = run.root / "report.html"
    page.write_text(rendered(run, "html"), encoding="utf-8")
    dom = Dom(dump_dom(page.as_uri() + "?severity=Violation"))
    visible = [r for r in dom.rows if not r.hidden]
    assert len(visible) == 4 and {r.severity for r in visible} == {VIOLATION}
    assert dom.text("shown") == f"4 of {len(run.report.findings)} findings shown"
    dom = Dom(dump_dom(page.as_uri() + "?q=ceterms%3Abogus&sort=rule&dir=desc"))
    assert [r.cells[5] for r in dom.rows if not r.hidden] == ["STRUCT-UNKNOWN-PROPERTY"]
    rules = [r.cells[5] for r in dom.rows]
    assert rules == sorted(rules, reverse=True)
    assert dom.sorted_by == ("rule", "descending")


@needs_chromium
def test_html_rule_link_shows_that_rule_only(tmp_path: Path) -> None:
    # Found in acceptance testing: the rule table's link filtered by text, so MDP-CREDENTIAL-BENCHMARK-RENEWAL
    # also showed …-RENEWALFREQUENCY findings.
    findings = [Finding("MDP-X-RENEWAL", WARNING, "m", "a.json", "/@graph/0", 3, ORG_CTID),
                Finding("MDP-X-RENEWALFREQUENCY", WARNING, "m", "a.json", "/@graph/0", 3, ORG_CTID)]
    page = tmp_path / "report.html"
    page.write_bytes(render("html", Report(findings, ["a.json"], 1, 1, "native")))
    assert 'href="?rule=MDP-X-RENEWAL"' in page.read_text(encoding="utf-8")
    dom = Dom(dump_dom(page.as_uri() + "?rule=MDP-X-RENEWAL"))
    assert [r.cells[5] for r in dom.rows if not r.hidden] == ["MDP-X-RENEWAL"]
    assert dom.text("shown") == "1 of 2 findings shown"


@needs_chromium
def test_html_sorts_and_filters_when_a_person_clicks_and_types(run: Run) -> None:
    pytest.importorskip("websockets", reason="pip install websockets (test extra) for the DevTools protocol")
    page = run.root / "interactive.html"
    page.write_text(rendered(run, "html"), encoding="utf-8")
    total = len(run.report.findings)
    with DevTools(page.as_uri()) as browser:
        # Each step waits for the page to show its effect (a loaded machine may take a moment), then checks it.
        browser.click("th[data-key=rule] button")
        state = browser.until(lambda s: s["sort"] == ["rule", "ascending"])
        assert state["rules"] == sorted(state["rules"])
        browser.click("th[data-key=rule] button")
        state = browser.until(lambda s: s["sort"] == ["rule", "descending"])
        assert state["rules"] == sorted(state["rules"], reverse=True)
        browser.click("label[for=sev-Warning]")  # the label toggles its checkbox
        state = browser.until(lambda s: WARNING not in s["visible_severities"])
        assert browser.js("document.getElementById('sev-Warning').checked") is False
        assert state["visible"] == total - run.report.counts[WARNING]
        browser.type("#q", "RELATIVE-IRI")
        state = browser.until(lambda s: s["visible"] == 1)
        assert state["shown"] == f"1 of {total} findings shown"
        assert state["search"] == "?severity=Violation%2CInfo&q=RELATIVE-IRI&sort=rule&dir=desc"
        browser.type("#q", "no such thing")
        assert browser.until(lambda s: s["visible"] == 0)["visible"] == 0
        assert browser.js("document.getElementById('empty').hidden") is False

LONG_RULE = "MDP-LEARNINGOPPORTUNITY-BENCHMARK-AVAILABLEAT-OR-AVAILABLEONLINEAT-OR-AVAILABILITYLISTING"
LONG_URL = "https://www.example-community-college.edu/programs/advanced-manufacturing/welding-technology-2024"
POLICY = ("Credential Engine Minimum Data Policy, policy-browser data of March 2022 "
          "(philbarker/CredRegSHACL:inputData/policyBrowserData.json) <https://credreg.net/registry/policy#mindata>")


def long_values_report() -> Report:
    """Findings with a long rule id, a long URL as the value and in the message, a long path and source."""
    findings = [Finding(LONG_RULE if i % 2 else "MDP-ORGANIZATION-BENCHMARK-AGENTPURPOSE-OR-AGENTPURPOSEDESCRIPTION",
                        (VIOLATION, WARNING, INFO)[i % 3],
                        f"The value must be the address of a page that answers; this one ({LONG_URL}) did not",
                        f"catalog/learning-opportunities/ce-08c7e580-b007-4004-b1de-6bfd9c5bbebc-{i}.json",
                        f"/@graph/{i}/ceterms:subjectWebpage", 10 + i, ORG_CTID, property="ceterms:subjectWebpage",
                        value=f"{LONG_URL}?page={i}", source=POLICY)
                for i in range(12)]
    return Report(findings, sorted({f.file for f in findings}), 12, 12, "native")


@needs_chromium
def test_html_fits_the_window_with_long_values_on_a_laptop_and_a_phone(tmp_path: Path) -> None:
    # Found in a browser review: `overflow-wrap: anywhere` on the code cells let the Rule column shrink to ~54 px
    # (a rule id wrapped every 4 characters, a row ~500 px tall) while a long URL value made the table 1,719 px
    # wide in a 1,280 px window; on a phone (390 px) the page was 1,255 px wide.
    pytest.importorskip("websockets", reason="pip install websockets (test extra) for the DevTools protocol")
    page = tmp_path / "long.html"
    page.write_bytes(render("html", long_values_report()))
    measure = """(() => {
      const root = document.documentElement;
      const row = document.querySelector('#findings tbody tr');
      const headers = Array.from(document.querySelectorAll('#findings th'));
      const width = (key) => row.cells[headers.findIndex((h) => h.dataset.key === key)].getBoundingClientRect().width;
      const info = document.getElementById('sev-Info').getBoundingClientRect();
      const label = document.querySelector('label[for=sev-Info]').getBoundingClientRect();
      return {scroll: root.scrollWidth, client: root.clientWidth, inner: window.innerWidth,
              rule: width('rule'), location: width('location'), source: width('source'),
              select: document.getElementById('rule').getBoundingClientRect().right,
              info_with_label: info.top < label.bottom && label.top < info.bottom && info.right <= label.left};
    })()"""
    with DevTools(page.as_uri()) as browser:
        for width in (1280, 390):
            browser.call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1,
                         mobile=False)
            m = browser.js(measure)
            assert m["inner"] == width, m
            # The page does not scroll sideways (clientWidth: the window less a scroll bar).
            assert m["scroll"] <= m["inner"] and m["scroll"] <= m["client"], (width, m)
            assert m["select"] <= m["client"], (width, m)  # the rule chooser fits too
            assert m["info_with_label"], (width, m)  # a checkbox and its label stay on one line
            if width == 1280:
                # Rule ids and file:line stay readable (they break at hyphens, not every few characters); the
                # source, which every finding of a rule shares, takes less room.
                assert m["rule"] >= 120 and m["location"] >= 120, m
                assert m["source"] <= 240, m


@needs_chromium
def test_html_text_filter_searches_what_its_label_says_not_the_source(tmp_path: Path) -> None:
    # Found in a browser review: "policy" matched every row, from the Source column ("…Minimum Data Policy…").
    findings = [Finding("MDP-X-NAME", WARNING, "a name is recommended", "a.json", "/@graph/0", 3, ORG_CTID,
                        source=POLICY),
                Finding("RA-X-POLICY", VIOLATION, "the policy needs a date", "a.json", "/@graph/0", 4, ORG_CTID,
                        property="ceterms:dateEffective", value="yesterday", source=POLICY)]
    page = tmp_path / "report.html"
    page.write_bytes(render("html", Report(findings, ["a.json"], 1, 1, "native")))
    dom = Dom(dump_dom(page.as_uri() + "?q=policy"))
    assert [r.cells[5] for r in dom.rows if not r.hidden] == ["RA-X-POLICY"]  # its rule and message, not the source
    assert dom.text("shown") == "1 of 2 findings shown"
    dom = Dom(dump_dom(page.as_uri() + "?q=yesterday"))  # the value is searched, and the label says so
    assert [r.cells[5] for r in dom.rows if not r.hidden] == ["RA-X-POLICY"]
    label = re.search(r'<label for="q">([^<]*)</label>', page.read_text(encoding="utf-8"))
    assert label and "value" in label[1] and "source" not in label[1].lower(), label


def test_html_writes_every_count_with_thousands_separators(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Found in a browser review: the summary said "6915" where the note on a capped page said "5,000 of 6,915".
    from ctdl_tools.validate.reporters import html

    findings = [Finding("MDP-X-NAME", WARNING, "m", "a.json", f"/@graph/{i}", i + 1, f"ce-{i}") for i in range(1234)]
    report = Report([*findings, Finding("RA-X", VIOLATION, "m", "a.json", "/@graph/0", 1, "ce-0")], ["a.json"],
                    2345, 5678, "native")
    page = html.render(report)
    dom = Dom(page)
    assert [dom.text(f"count-{key}") for key in ("files", "documents", "records", VIOLATION, WARNING, INFO)] == \
        ["1", "2,345", "5,678", "1", "1,234", "0"]
    assert dom.text("verdict") == "FAILED: 1 violation in 1 record (1,234 warnings, 0 infos)"
    assert "<p>1 file, 5,678 records: 1 violation, 1,234 warnings, 0 infos</p>" in page
    assert dom.text("shown") == "1,235 of 1,235 findings shown"
    assert "Warning (1,234)" in page and "MDP-X-NAME (1,234)" in page  # the severity filter, the rule chooser
    assert '<td class="num">1,234</td>' in page  # the rule table
    monkeypatch.setattr(html, "MAX_ROWS", 1100)
    capped = html.render(report)
    assert "Warning (1,234; 1,099 listed)" in capped and "MDP-X-NAME (1,234; 1,099 listed)" in capped
    assert Dom(capped).text("capped").startswith("This page lists 1,100 of the report's 1,235 findings")
    if CHROMIUM.exists():  # what the script writes once it has filtered
        path = tmp_path / "report.html"
        path.write_text(page, encoding="utf-8")
        assert Dom(dump_dom(path.as_uri() + "?severity=Warning")).text("shown") == "1,234 of 1,235 findings shown"


# --- helpers --------------------------------------------------------------------------------------------------
SUPPORTED_KEYWORDS = {"$schema", "$id", "$ref", "$defs", "title", "description", "type", "required", "properties",
                      "additionalProperties", "propertyNames", "items", "minItems", "enum", "const", "minimum",
                      "minLength", "pattern"}


def assert_valid(instance: Any, schema: dict) -> None:
    """Validate with ``jsonschema`` when installed (and ``jsonschema_rs``), and always with :func:`schema_errors`."""
    used = _keywords(schema)
    assert used <= SUPPORTED_KEYWORDS, used - SUPPORTED_KEYWORDS  # the small validator must not skip a keyword
    assert schema_errors(instance, schema) == []
    try:
        import jsonschema
    except ImportError:
        pass
    else:
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.Draft202012Validator(schema).validate(instance)
    try:
        import jsonschema_rs
    except ImportError:
        pass
    else:
        jsonschema_rs.Draft202012Validator(schema).validate(instance)


def _keywords(schema: Any, parent: str = "") -> set[str]:
    if isinstance(schema, list):
        return set().union(*(_keywords(s) for s in schema)) if schema else set()
    if not isinstance(schema, dict):
        return set()
    out = set()
    for key, value in schema.items():
        if parent in ("properties", "$defs"):  # names, not keywords
            out |= _keywords(value)
            continue
        out.add(key)
        if key not in ("enum", "const", "required"):
            out |= _keywords(value, key)
    return out


def schema_errors(instance: Any, schema: dict, root: dict | None = None, path: str = "$") -> list[str]:
    """A small JSON Schema 2020-12 validator for the keywords in SUPPORTED_KEYWORDS."""
    root = root or schema
    errors: list[str] = []
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        errors += schema_errors(instance, target, root, path)
    if "type" in schema and not any(_is(instance, t) for t in _list(schema["type"])):
        return [*errors, f"{path}: not {schema['type']}"]
    if "const" in schema and instance != schema["const"]:
        errors.append(f"{path}: not {schema['const']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{path}: not one of {schema['enum']}")
    if isinstance(instance, dict):
        errors += [f"{path}: {key} missing" for key in schema.get("required", []) if key not in instance]
        for key, value in instance.items():
            if key in schema.get("properties", {}):
                errors += schema_errors(value, schema["properties"][key], root, f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: {key} not allowed")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += schema_errors(value, schema["additionalProperties"], root, f"{path}.{key}")
            if "propertyNames" in schema:
                errors += schema_errors(key, schema["propertyNames"], root, f"{path}[{key!r}]")
    if isinstance(instance, list):
        if len(instance) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        for i, item in enumerate(instance):
            if "items" in schema:
                errors += schema_errors(item, schema["items"], root, f"{path}[{i}]")
    if isinstance(instance, str):
        if len(instance) < schema.get("minLength", 0):
            errors.append(f"{path}: shorter than {schema['minLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            errors.append(f"{path}: {instance!r} does not match {schema['pattern']}")
    if _is(instance, "number") and "minimum" in schema and instance < schema["minimum"]:
        errors.append(f"{path}: below {schema['minimum']}")
    return errors


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _is(value: Any, kind: str) -> bool:
    return {
        "object": isinstance(value, dict), "array": isinstance(value, list), "string": isinstance(value, str),
        "boolean": isinstance(value, bool), "null": value is None,
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
    }[kind]


@dataclass
class Row:
    severity: str
    hidden: bool
    cells: list[str]


class Dom(HTMLParser):
    """Tags, labels, the findings rows (visibility, cell texts) and texts by id of a page or a DOM dump."""

    VOID: ClassVar[set[str]] = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.labels_for: set[str] = set()
        self.rows: list[Row] = []
        self.sorted_by: tuple[str, str] | None = None
        self._texts: dict[str, str] = {}
        self._open: list[str | None] = []  # ids of the open elements
        self._in_findings = False
        self._cell: bool = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "label" and a.get("for"):
            self.labels_for.add(str(a["for"]))
        if tag == "table":
            self._in_findings = a.get("id") == "findings"
        if tag == "th" and a.get("aria-sort"):
            self.sorted_by = (str(a.get("data-key")), str(a["aria-sort"]))
        if self._in_findings and tag == "tr" and a.get("data-severity"):
            self.rows.append(Row(str(a["data-severity"]), "hidden" in a, []))
        if self._in_findings and tag == "td" and self.rows:
            self.rows[-1].cells.append("")
            self._cell = True
        if tag not in self.VOID:
            self._open.append(a.get("id"))
            if a.get("id"):
                self._texts[str(a["id"])] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = False
        if tag == "table":
            self._in_findings = False
        if tag not in self.VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in filter(None, self._open):
            self._texts[element_id] += data
        if self._cell:
            self.rows[-1].cells[-1] += data

    def text(self, element_id: str) -> str:
        return " ".join(self._texts.get(element_id, "").split())


def dump_dom(url: str) -> str:
    """The DOM after Chromium loaded the page and ran its script."""
    # Chromium's helper processes can still be writing to the profile when it exits: cleaning up may race.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        result = subprocess.run([*chromium(profile), "--dump-dom", url], capture_output=True, text=True,
                                timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


class DevTools(DevToolsPage):
    """A page in headless Chromium driven over the DevTools protocol: real mouse clicks and typing."""

    STATE = """(() => {
      const rows = Array.from(document.querySelectorAll('#findings tbody tr'));
      const visible = rows.filter((r) => !r.hidden);
      const sorted = document.querySelector('#findings th[aria-sort]');
      return {rules: rows.map((r) => r.cells[5].textContent.trim()), visible: visible.length,
              visible_severities: Array.from(new Set(visible.map((r) => r.dataset.severity))),
              sort: [sorted.dataset.key, sorted.getAttribute('aria-sort')],
              shown: document.getElementById('shown').textContent, search: location.search};
    })()"""

    def ready(self) -> None:
        self.wait("document.readyState === 'complete' && document.getElementById('controls')?.hidden === false")

    def state(self) -> dict:
        return self.js(self.STATE)

    def until(self, settled: Callable[[dict], bool], seconds: float = 10) -> dict:
        """The page's state once ``settled`` holds for it, or the last state seen after ``seconds``."""
        deadline = time.monotonic() + seconds
        state = self.state()
        while not settled(state) and time.monotonic() < deadline:
            time.sleep(0.05)
            state = self.state()
        return state

    def click(self, selector: str) -> None:
        """A left click in the middle of the element, as a mouse would."""
        box = self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView();"
                      f" const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def type(self, selector: str, text: str) -> None:
        """Replace the field's text by typing (the page sees input events)."""
        self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.focus(); e.select(); }})()")
        self.call("Input.insertText", text=text)


def test_json_findings_carry_every_finding_field() -> None:
    """The JSON reporter spells a finding's fields out (for speed); it must not fall behind Finding."""
    from dataclasses import fields

    from ctdl_tools.validate.reporters.json_report import _finding

    finding = Finding("R", "Warning", "m", "f.json", "/a", 3, "ce-x", "urn:x", "p", "v", "src", "shape")
    out = _finding(finding, {})
    assert list(out) == [f.name for f in fields(Finding)] + ["record_name"]
    assert {k: v for k, v in out.items() if k != "record_name"} == finding.to_dict()
