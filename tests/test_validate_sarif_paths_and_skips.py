"""SARIF locations of files outside the base, and validation reports skipped in a catalog folder.

Found in acceptance testing:

* ``cd sub && ctdl validate ../mix --format sarif`` gave ``"uri": "../mix/…"`` under ``%SRCROOT%``, which
  code scanning cannot resolve, while an absolute path outside gave a ``file://`` URI.
* A ``ctdl validate`` JSON report or SARIF log kept in the catalog folder was skipped but still counted
  ("8 files"), a passing JUnit test case, and named by no report.
* A record nested too deep (JSON-UNREADABLE inside a record) was "in 1 record", a file nested too deep to
  parse "in 1 file".
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from ctdl_tools.validate import validate
from ctdl_tools.validate.loader import load_documents
from ctdl_tools.validate.reporters import FORMATS, Options, json_report, render, sarif, skipped_note, text, verdict
from ctdl_tools.validate.result import VIOLATION, Finding, Report

from .conftest import DATA
from .test_validate_cli import ctdl
from .test_validate_reporters import BROKEN_CTID, assert_valid, write_catalog

# What the SARIF 2.1.0 schema (docs.oasis-open.org/sarif/sarif/v2.1.0, sarif-schema-2.1.0.json) says of
# the objects a location is made of, in the draft 2020-12 keywords assert_valid takes: every property the
# reporter may write is one the standard defines (additionalProperties false there too).
SARIF_LOCATION: dict[str, Any] = {
    "type": "object",
    "required": ["runs", "version"],
    "properties": {"version": {"const": "2.1.0"}, "runs": {"type": "array", "items": {"$ref": "#/$defs/run"}}},
    "$defs": {
        "run": {"type": "object", "required": ["tool", "results"], "properties": {
            "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
            "results": {"type": "array", "items": {"$ref": "#/$defs/result"}}}},
        "result": {"type": "object", "required": ["message", "locations"], "properties": {
            "locations": {"type": "array", "items": {"$ref": "#/$defs/location"}}}},
        "location": {"type": "object", "additionalProperties": False, "properties": {
            "physicalLocation": {"$ref": "#/$defs/physicalLocation"},
            "logicalLocations": {"type": "array"}}},
        "physicalLocation": {"type": "object", "required": ["artifactLocation"], "additionalProperties": False,
                             "properties": {"artifactLocation": {"$ref": "#/$defs/artifactLocation"},
                                            "region": {"$ref": "#/$defs/region"}}},
        "artifactLocation": {"type": "object", "required": ["uri"], "additionalProperties": False, "properties": {
            "uri": {"type": "string", "minLength": 1}, "uriBaseId": {"type": "string", "minLength": 1}}},
        "region": {"type": "object", "additionalProperties": False, "properties": {
            "startLine": {"type": "integer", "minimum": 1}, "startColumn": {"type": "integer", "minimum": 1},
            "endLine": {"type": "integer", "minimum": 1}, "endColumn": {"type": "integer", "minimum": 1}}},
    },
}


def artifact_locations(data: dict) -> list[dict]:
    return [loc["physicalLocation"]["artifactLocation"] for result in data["runs"][0]["results"]
            for loc in result["locations"] if "physicalLocation" in loc]


def assert_locations_resolve(data: dict, base: Path) -> None:
    """Every location is a relative URI under %SRCROOT% naming a file under ``base``, or an absolute file URI
    (and no uriBaseId) naming a file outside it; never a relative URI that climbs out."""
    assert_valid(data, SARIF_LOCATION)
    for artifact in artifact_locations(data):
        uri = artifact["uri"]
        if uri.startswith("file:"):
            assert set(artifact) == {"uri"}, artifact
            path = Path(unquote(urlparse(uri).path))
            assert path.is_absolute() and path.is_file(), uri
            assert not path.resolve().is_relative_to(base.resolve()), uri
        else:
            assert artifact["uriBaseId"] == "%SRCROOT%", artifact
            parts = unquote(uri).split("/")
            assert ".." not in parts and "." not in parts and not uri.startswith("/"), uri
            assert (base / unquote(uri)).is_file(), uri


# --- SARIF paths --------------------------------------------------------------------------------------------
def test_a_file_reached_through_dotdot_gets_an_absolute_file_uri(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = write_catalog(tmp_path)
    sub = tmp_path / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)
    result = ctdl("validate", "../catalog", "--format", "sarif")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert_locations_resolve(data, sub)
    uris = {a["uri"] for a in artifact_locations(data)}
    assert (catalog / "broken.json").as_uri() in uris
    assert all(uri.startswith("file:///") for uri in uris)
    # From the folder above, the same files are under the working directory: relative, under %SRCROOT%.
    monkeypatch.chdir(tmp_path)
    above = json.loads(ctdl("validate", "catalog", "--format", "sarif").stdout)
    assert_locations_resolve(above, tmp_path)
    assert "catalog/broken.json" in {a["uri"] for a in artifact_locations(above)}
    assert all(a.get("uriBaseId") == "%SRCROOT%" for a in artifact_locations(above))
    # A path that steps out and back in is under the base: its URI is the plain relative one.
    back = json.loads(ctdl("validate", "../" + tmp_path.name + "/catalog/broken.json", "--format", "sarif").stdout)
    assert {(a["uri"], a.get("uriBaseId")) for a in artifact_locations(back)} == {("catalog/broken.json",
                                                                                    "%SRCROOT%")}


def test_paths_are_placed_against_the_base_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "repo" / "ctdl").mkdir(parents=True)
    findings = [Finding("JSON-SYNTAX", VIOLATION, "bad", name, "", 1) for name in (
        "repo/ctdl/a.json",                # relative to the working directory, under the base
        str(tmp_path / "repo/ctdl/b.json"),  # absolute, under the base
        "repo/../elsewhere/c.json",        # relative, outside the base
        "/srv/outside/d e.json",           # absolute, outside
        "<stdin>")]
    report = Report(findings, [f.file for f in findings])
    results = sarif.as_dict(report, Options(base=str(tmp_path / "repo")))["runs"][0]["results"]
    located = [r["locations"][0].get("physicalLocation", {}).get("artifactLocation") for r in results]
    assert located == [
        {"uri": "ctdl/a.json", "uriBaseId": "%SRCROOT%"},
        {"uri": "ctdl/b.json", "uriBaseId": "%SRCROOT%"},
        {"uri": (tmp_path / "elsewhere" / "c.json").as_uri()},
        {"uri": "file:///srv/outside/d%20e.json"},
        None,  # standard input is no artifact: logical locations only
    ]
    # With no base, the working directory: the relative file is under it as it was written.
    default = sarif.as_dict(report, Options())["runs"][0]["results"]
    assert default[0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "repo/ctdl/a.json", "uriBaseId": "%SRCROOT%"}
    assert default[2]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "elsewhere/c.json", "uriBaseId": "%SRCROOT%"}


def test_a_base_reached_through_a_symbolic_link_still_gives_relative_uris(tmp_path: Path) -> None:
    (tmp_path / "real" / "ctdl").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    finding = Finding("JSON-SYNTAX", VIOLATION, "bad", str(tmp_path / "real" / "ctdl" / "a.json"), "", 1)
    results = sarif.as_dict(Report([finding], [finding.file]), Options(base=str(tmp_path / "link")))
    assert artifact_locations(results) == [{"uri": "ctdl/a.json", "uriBaseId": "%SRCROOT%"}]


def test_sarif_regions_have_lines_and_no_invented_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_catalog(tmp_path)
    data = json.loads(ctdl("validate", "catalog", "--format", "sarif").stdout)
    assert_valid(data, SARIF_LOCATION)
    regions = [r["locations"][0]["physicalLocation"].get("region") for r in data["runs"][0]["results"]]
    assert regions and all(region is not None and set(region) == {"startLine"} for region in regions)
    assert data["runs"][0]["columnKind"] == "unicodeCodePoints"  # valid SARIF without any column given


# --- validation reports skipped -----------------------------------------------------------------------------
@pytest.fixture
def with_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``catalog`` (4 files) with a JSON report and a SARIF log of an earlier run kept in it."""
    monkeypatch.chdir(tmp_path)
    catalog = write_catalog(tmp_path)
    assert ctdl("validate", "catalog", "--format", "json", "-o", "catalog/report.json").exit_code == 1
    assert ctdl("validate", "catalog", "--format", "sarif", "-o", "catalog/ctdl.sarif.json").exit_code == 1
    return catalog


SKIPPED = ["catalog/ctdl.sarif.json", "catalog/report.json"]
VALIDATED = 4


def test_the_loader_names_a_report_and_makes_no_source_of_it(with_reports: Path) -> None:
    loaded = load_documents(["catalog"])
    assert loaded.skipped == SKIPPED
    assert len(loaded.sources) == VALIDATED and not any("report" in s.name or "sarif" in s.name
                                                        for s in loaded.sources)
    report = validate(["catalog"])
    assert len(report.files) == VALIDATED and not set(SKIPPED) & set(report.files)


def test_text_counts_only_validated_files_and_names_the_skipped(with_reports: Path) -> None:
    result = ctdl("validate", "catalog")
    lines = result.stdout.splitlines()
    assert lines[-3] == ("skipped 2 files that are validation reports (ctdl validate JSON or SARIF logs), not CTDL: "
                         "catalog/ctdl.sarif.json, catalog/report.json")
    assert lines[-2].startswith(f"{VALIDATED} files, ")
    assert not any(line.startswith(tuple(SKIPPED)) for line in lines[:-3])  # no group for them
    assert "note:" not in result.stderr  # the text report already says it
    as_file = ctdl("validate", "catalog", "--format", "junit", "-o", "out.xml")
    assert "note: skipped 2 files that are validation reports" in as_file.stderr


def test_json_lists_the_skipped_and_follows_its_schema(with_reports: Path) -> None:
    data = json.loads(ctdl("validate", "catalog", "--format", "json").stdout)
    assert data["skipped"] == SKIPPED and len(data["files"]) == VALIDATED
    assert not set(SKIPPED) & {f["file"] for f in data["findings"]}
    assert_valid(data, json_report.schema())
    schema = json_report.schema()
    assert "skipped" in schema["properties"] and "skipped" not in schema["required"]  # added within version 1
    assert schema["properties"]["schema_version"] == {"const": data["schema_version"]}
    (with_reports / "report.json").unlink()
    (with_reports / "ctdl.sarif.json").unlink()
    clean = json.loads(ctdl("validate", "catalog", "--format", "json").stdout)
    assert clean["skipped"] == [] and len(clean["files"]) == VALIDATED
    assert_valid(clean, json_report.schema())


def test_junit_marks_a_skipped_report_skipped_not_passed(with_reports: Path) -> None:
    root = ET.fromstring(ctdl("validate", "catalog", "--format", "junit").stdout.encode("utf-8"))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    for name in SKIPPED:
        (case,) = suites[name].findall("testcase")
        skipped = case.find("skipped")
        assert skipped is not None and "validation report" in skipped.get("message", "")
        assert case.find("failure") is None
        assert suites[name].get("skipped") == "1" and suites[name].get("tests") == "1"
    passing = [c for c in root.iter("testcase") if c.find("failure") is None and c.find("skipped") is None]
    assert not {c.get("classname") for c in passing} & set(SKIPPED)
    cases = list(root.iter("testcase"))
    assert root.get("skipped") == "2" and root.get("tests") == str(len(cases))
    assert int(root.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
    (with_reports / "report.json").unlink()
    (with_reports / "ctdl.sarif.json").unlink()
    clean = ET.fromstring(ctdl("validate", "catalog", "--format", "junit").stdout.encode("utf-8"))
    assert clean.get("skipped") == "0" and not list(clean.iter("skipped"))


def test_sarif_and_html_count_only_validated_files(with_reports: Path) -> None:
    run = json.loads(ctdl("validate", "catalog", "--format", "sarif").stdout)["runs"][0]
    assert run["properties"]["files"] == VALIDATED and run["properties"]["skipped"] == SKIPPED
    page = ctdl("validate", "catalog", "--format", "html").stdout
    assert f'id="count-files">{VALIDATED}<' in page
    assert "Skipped 2 files that are validation reports" in page and "catalog/report.json" in page


def test_every_format_without_skipped_files_is_unchanged_by_the_note() -> None:
    report = Report([Finding("X", VIOLATION, "m", "a.json", "/@graph/0", 3, BROKEN_CTID)], ["a.json"], 1, 1)
    assert skipped_note(report) == ""
    outputs = {fmt: render(fmt, report).decode("utf-8") for fmt in FORMATS}
    assert "skipped" not in outputs["text"] and 'id="skipped"' not in outputs["html"]
    assert json.loads(outputs["json"])["skipped"] == []
    assert "skipped" not in json.loads(outputs["sarif"])["runs"][0]["properties"]
    assert ET.fromstring(outputs["junit"].encode("utf-8")).get("skipped") == "0"
    one = Report(files=["a.json"], skipped=["r.json"])
    assert text.render(one).splitlines()[-3] == ("skipped 1 file that is a validation report (ctdl validate JSON or "
                                                 "SARIF logs), not CTDL: r.json")
    many = Report(skipped=[f"r{i}.json" for i in range(12)])
    assert skipped_note(many).endswith("r8.json, r9.json and 2 more")
    assert json.loads(render("json", many))["skipped"] == many.skipped  # the JSON report names every one


def test_stdin_holding_a_report_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_catalog(tmp_path)
    earlier = ctdl("validate", "catalog", "--format", "json").stdout
    data = json.loads(ctdl("validate", "-", "--format", "json", input=earlier).stdout)
    assert data["skipped"] == ["<stdin>"] and data["files"] == []


# --- summary wording ----------------------------------------------------------------------------------------
def test_unreadable_input_is_in_a_file_wherever_it_is_placed(tmp_path: Path) -> None:
    placed = Finding("JSON-UNREADABLE", VIOLATION, "JSON nested more than 100 levels deep", "deep.json",
                     "/@graph/0/ceterms:requires/0", 1, BROKEN_CTID)
    assert verdict(Report([placed], ["deep.json"], 1, 1)) == "FAILED: 1 violation in 1 file (0 warnings, 0 infos)"
    # End to end: a record nesting too deep, and a file too deep to parse at all, say the same.
    record = json.loads((DATA / "validate" / "course.json").read_text(encoding="utf-8"))
    main = record["@graph"][0] if "@graph" in record else record
    nested: dict = {"@type": "ceterms:ConditionProfile"}
    for _ in range(120):
        nested = {"@type": "ceterms:ConditionProfile", "ceterms:alternativeCondition": [nested]}
    main["ceterms:requires"] = [nested]
    (tmp_path / "deep_record.json").write_text(json.dumps(record), encoding="utf-8")
    (tmp_path / "deep_file.json").write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    for name in ("deep_record.json", "deep_file.json"):
        report = validate([tmp_path / name])
        unreadable = [f for f in report.findings if f.rule_id == "JSON-UNREADABLE"]
        assert unreadable, name
        violations = report.counts[VIOLATION]
        assert verdict(report).startswith(f"FAILED: {violations} violation{'s' if violations > 1 else ''} in "), name
        assert "in 1 file" in verdict(report) or "and 1 file" in verdict(report), (name, verdict(report))


def test_a_catalog_copied_with_its_reports_validates_the_same(with_reports: Path, tmp_path: Path) -> None:
    # The reports change nothing but the skipped list: same findings, same verdict.
    bare = tmp_path / "bare"
    shutil.copytree(with_reports, bare / "catalog")
    for name in SKIPPED:
        (bare / name).unlink()
    kept = json.loads(ctdl("validate", "catalog", "--format", "json").stdout)
    plain = json.loads(ctdl("validate", str(bare / "catalog"), "--format", "json").stdout)
    assert kept["verdict"] == plain["verdict"] and kept["counts"] == plain["counts"]
    assert len(kept["findings"]) == len(plain["findings"])


@pytest.mark.parametrize("jobs", [1, 2])
def test_validate_itself_names_the_skipped_reports_with_or_without_workers(
        tmp_path: Path, jobs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # validate() (the API, and the workers' part of a run) says what it skipped, not only the command.
    from ctdl_tools.validate import checker

    monkeypatch.setattr(checker, "PARALLEL_MIN_DOCS", 1)  # workers from two files
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    for path in sorted((DATA / "registry").glob("wgu_*_resource.json")):
        shutil.copy(path, catalog / path.name)
    (catalog / "report.json").write_text(json.dumps({"tool": {"name": "ctdl_tools"}, "findings": []}))
    report = validate([str(catalog)], jobs=jobs)
    assert report.skipped == [str(catalog / "report.json")]
    records = sorted(p.name for p in (DATA / "registry").glob("wgu_*_resource.json"))
    assert sorted(Path(f).name for f in report.files) == records
