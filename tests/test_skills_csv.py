"""ctdl_tools' plain skills CSV/XLSX and CE's CTDL-ASN CSV → CTDL-ASN framework documents."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from pyld import jsonld

from ctdl_tools.build.context import BuildContext
from ctdl_tools.build.document import GraphDocument
from ctdl_tools.build.framework import asn_terms, build_framework, index_framework
from ctdl_tools.catalog.model import SkillFramework
from ctdl_tools.catalog.skills_csv import read_skills_csv
from ctdl_tools.ctid import DEFAULT_NAMESPACE, derive_ctid
from ctdl_tools.errors import InputError
from ctdl_tools.vocab import CTDLASN_CONTEXT_URL, offline_loader, vocabulary
from ctdl_tools.vocab.expansion import dropped_terms

OWNER = "ce-5b0f0f4e-3c1a-4f8e-9d55-2f4b9b7a1c01"
FW_CTID = "ce-7d2e4f10-8b6a-4c3d-a1e2-0f9b8c7d6e51"
C_CTID = "ce-2f0c1e4d-6b7a-4e3f-9a8b-1c2d3e4f5a6b"
BASE = "https://credentialengineregistry.org/resources/"

PLAIN = [
    ["Framework*", "framework ctid", "FRAMEWORK DESCRIPTION", "ID", "CTID", "Competency", "Label", "Code",
     "Category", "Keywords", "Parent", "Alignment URL", "Color"],
    ["Welding Fundamentals", FW_CTID, "Core skills of an entry-level welder.", "W1", C_CTID,
     "Work safely in a weld shop", "Shop safety", "WLD.1", "Safety", "PPE | ventilation", "",
     "https://example.org/skills/safety", "red"],
    ["", "", "", "W2", "", "Read welding blueprints", "", "WLD.2", "Drawings", "", "", "", ""],
    ["", "", "", "W2a", "", "Interpret weld symbols", "", "WLD.2.1", "", "", "WLD.2", "", ""],
    ["", "", "", "", "", "Identify base metals", "", "", "", "", "W2", "", ""],
    ["Shop Math", "", "Math for the shop floor.", "M1", "", "Measure with a tape", "", "", "", "", "", "", ""],
    ["Shop Math", "", "", "M2", "", "Convert fractions to decimals", "", "", "", "", "M1|W1", "", ""],
]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def build(frameworks: list[SkillFramework]) -> tuple[list[GraphDocument | None], BuildContext]:
    ctx = BuildContext(namespace=DEFAULT_NAMESPACE, owner=OWNER)
    for fw in frameworks:
        index_framework(fw, ctx)
    return [build_framework(fw, ctx) for fw in frameworks], ctx


def by_text(doc: GraphDocument) -> dict[str, dict]:
    return {next(iter(n["ceasn:competencyText"].values())): n for n in doc.nodes[1:]}


def assert_context_forms(doc: GraphDocument) -> None:
    """Language maps exactly where the CTDL-ASN context declares them; IRIs where it asks for @id."""
    _, maps, iris = asn_terms()
    for node in doc.nodes:
        for key, value in node.items():
            if key.startswith("@"):
                continue
            assert key in vocabulary().properties
            assert isinstance(value, dict) == (key in maps), key
            if key in iris:
                for item in value if isinstance(value, list) else [value]:
                    assert isinstance(item, dict) or item.startswith(("http://", "https://", "publicationStatus:"))


def assert_nothing_dropped(doc: GraphDocument) -> None:
    data = json.loads(doc.to_bytes())
    expanded = json.dumps(jsonld.expand(data, {"documentLoader": offline_loader()}))
    vocab = vocabulary()
    for node in data["@graph"]:
        for key in node:
            if not key.startswith("@"):
                assert json.dumps(vocab.expand(key)) in expanded, key
    assert dropped_terms(data) == []


# --- plain skills CSV -------------------------------------------------------------------------------------
def test_plain_csv_two_frameworks(tmp_path: Path) -> None:
    frameworks = read_skills_csv(write_csv(tmp_path / "skills.csv", PLAIN))
    assert [fw.name for fw in frameworks] == ["Welding Fundamentals", "Shop Math"]
    assert [len(fw.competencies) for fw in frameworks] == [4, 2]
    (welding, math), ctx = build(frameworks)
    assert welding is not None and math is not None and not ctx.problems.errors
    assert welding.ctid == FW_CTID and welding.context == CTDLASN_CONTEXT_URL
    framework = welding.nodes[0]
    assert framework["ceasn:description"] == {"en-US": "Core skills of an entry-level welder."}
    assert framework["ceasn:publisher"] == [BASE + OWNER]
    nodes = by_text(welding)
    safety = nodes["Work safely in a weld shop"]
    assert safety["ceterms:ctid"] == C_CTID
    assert safety["ceasn:competencyLabel"] == {"en-US": "Shop safety"}
    assert safety["ceasn:codedNotation"] == "WLD.1"
    assert safety["ceasn:conceptKeyword"] == {"en-US": ["PPE", "ventilation"]}
    assert safety["ceasn:exactAlignment"] == ["https://example.org/skills/safety"]
    # parents by Code (WLD.2) and by ID (W2); keys are ID, else Code, else text
    blueprints = nodes["Read welding blueprints"]
    assert nodes["Interpret weld symbols"]["ceasn:isChildOf"] == [blueprints["@id"]]
    assert nodes["Identify base metals"]["ceasn:isChildOf"] == [blueprints["@id"]]
    assert blueprints["ceasn:hasChild"] == [nodes["Interpret weld symbols"]["@id"],
                                            nodes["Identify base metals"]["@id"]]
    assert blueprints["ceterms:ctid"] == derive_ctid(DEFAULT_NAMESPACE, f"competency:{FW_CTID}:W2")
    assert framework["ceasn:hasTopChild"] == [safety["@id"], blueprints["@id"]]
    for doc in (welding, math):
        assert_context_forms(doc)
        assert_nothing_dropped(doc)


def test_plain_csv_problems_are_located(tmp_path: Path) -> None:
    frameworks = read_skills_csv(write_csv(tmp_path / "skills.csv", PLAIN))
    (_, math), ctx = build(frameworks)
    warnings = {(p.where.row, p.where.column, p.message) for p in ctx.problems.warnings}
    assert (1, "Color", "not a skills CSV column: ignored") in warnings
    # parent W1 belongs to another framework: a warning, M1 stays its only parent
    assert any(row == 7 and column == "Parent" and "'W1' is not a competency of this framework" in message
               for row, column, message in warnings)
    nodes = by_text(math)
    assert nodes["Convert fractions to decimals"]["ceasn:isChildOf"] == [nodes["Measure with a tape"]["@id"]]


def test_plain_xlsx(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([])  # a blank first row: the header is the first non-empty one
    for row in PLAIN:
        sheet.append(row)
    path = tmp_path / "skills.xlsx"
    workbook.save(path)
    from_xlsx = read_skills_csv(path)
    from_csv = read_skills_csv(write_csv(tmp_path / "skills.csv", PLAIN))
    (doc_x, _), _ = build(from_xlsx)
    (doc_c, _), _ = build(from_csv)
    assert doc_x.to_bytes() == doc_c.to_bytes()
    assert from_xlsx[0].competencies[0].where.row == 3


def test_duplicate_keys_are_an_error_naming_both_rows(tmp_path: Path) -> None:
    rows = [["Framework", "ID", "Competency"], ["F", "A", "First"], ["F", "B", "Second"], ["F", "A", "Third"]]
    (doc,), ctx = build(read_skills_csv(write_csv(tmp_path / "dup.csv", rows)))
    assert doc is None
    (error,) = ctx.problems.errors
    assert (error.where.row, error.where.column) == (4, "ID")
    assert "duplicate competency key 'A'" in error.message and "row 2" in error.message


def test_cycle_is_an_error_naming_the_competencies(tmp_path: Path) -> None:
    rows = [["Framework", "Code", "Competency", "Parent"], ["F", "A", "Alpha", "C"], ["F", "B", "Beta", "A"],
            ["F", "C", "Gamma", "B"], ["F", "D", "Delta", ""]]
    (doc,), ctx = build(read_skills_csv(write_csv(tmp_path / "cycle.csv", rows)))
    assert doc is None
    (error,) = ctx.problems.errors
    assert error.message == "cyclic competency hierarchy: 'A' → 'C' → 'B' → 'A'"
    assert (error.where.row, error.where.column) == (2, "Parent")


def test_bad_ctid_and_missing_text_are_errors(tmp_path: Path) -> None:
    rows = [["Framework", "CTID", "Competency", "Label"], ["F", "ce-123", "Alpha", ""], ["F", "", "", "Lonely label"],
            ["F", "", "", ""]]
    (doc,), ctx = build(read_skills_csv(write_csv(tmp_path / "bad.csv", rows)))
    assert doc is None
    assert {(e.where.row, e.where.column) for e in ctx.problems.errors} == {(2, "CTID"), (3, "Competency")}


def test_framework_name_from_file_when_no_framework_column(tmp_path: Path) -> None:
    rows = [["Competency", "Keywords"], ["Use a multimeter", "electrical|test"]]
    (fw,) = read_skills_csv(write_csv(tmp_path / "electrician_basics.csv", rows))
    assert fw.name == "Electrician basics"
    (doc,), ctx = build([fw])
    assert doc is not None
    assert any(p.message.startswith("the framework has no description") for p in ctx.problems.warnings)


@pytest.mark.parametrize(("content", "message"), [
    (b"Name,Text\nA,B\n", "missing required column 'Competency'"),
    (b"", "empty"),
    (b"Competency\n", "no competency rows"),
    (b"Competency\n\xe9t\xe9\n", "not UTF-8"),
    (b'Competency\n"unterminated\n' + b"x" * 200_000, "CSV"),
])
def test_unreadable_tables_are_input_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "skills.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_skills_csv(path)


def test_damaged_workbook_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "skills.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="not a readable XLSX workbook"):
        read_skills_csv(path)


# --- CTDL-ASN CSV -----------------------------------------------------------------------------------------
ASN_FW = "ce-3f1d8a52-2c4b-4d7e-9f10-6a5b4c3d2e1f"
ASN_UUID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
ASN = [
    ["@type", "@id", "ceasn:name", "ceasn:description", "ceasn:inLanguage", "ceasn:publicationStatusType",
     "ceasn:competencyText", "ceasn:isPartOf", "ceasn:isTopChildOf", "ceasn:isChildOf", "ceasn:codedNotation",
     "ceasn:competencyCategory", "ceasn:listID", "ceasn:author", "ceasn:hasChild", "ceterms:name",
     "Competency Category"],
    ["ceasn:CompetencyFramework", ASN_FW, "Nursing Assistant", "Competencies of a certified nursing assistant.", "en",
     "http://credreg.net/ctdlasn/vocabs/publicationStatus/Published", "", "", "", "", "", "", "", "Jane Roe", "", "",
     ""],
    ["ceasn:Competency", ASN_UUID, "", "", "", "Published", "Provide basic patient care", ASN_FW, ASN_FW, "", "NA.1",
     "Core", "1", "", "x", "Care", "Course Objectives"],
    ["ceasn:Competency", "c2", "", "", "", "", "Take vital signs", ASN_FW, "", ASN_UUID, "NA.1.1", "", "2", "", "", "",
     ""],
    ["ceasn:Rubric", "r1", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
]


def test_ctdlasn_csv(tmp_path: Path) -> None:
    frameworks = read_skills_csv(write_csv(tmp_path / "framework.csv", ASN))
    (fw,) = frameworks
    assert fw.ctid == ASN_FW and fw.name == "Nursing Assistant" and fw.language == "en"
    (doc,), ctx = build(frameworks)
    assert doc is not None and not ctx.problems.errors
    framework = doc.nodes[0]
    assert doc.ctid == ASN_FW
    assert framework["ceasn:name"] == {"en": "Nursing Assistant"}
    assert framework["ceasn:publicationStatusType"] == "publicationStatus:Published"
    assert framework["ceasn:author"] == "Jane Roe"
    care, vitals = doc.nodes[1:]
    assert care["ceterms:ctid"] == f"ce-{ASN_UUID}"  # a bare UUID @id: ce- + uuid
    assert care["ceasn:competencyCategory"] == {"en": ["Core", "Course Objectives"]}
    assert care["ceasn:hasChild"] == [vitals["@id"]] and vitals["ceasn:isChildOf"] == [care["@id"]]
    assert vitals["ceasn:listID"] == "2" and vitals["ceasn:isPartOf"] == BASE + ASN_FW
    warned = {(p.where.column, p.message) for p in ctx.problems.warnings}
    assert ("ceasn:hasChild", "is computed from the hierarchy (ceasn:Competency rows): ignored") in warned
    assert ("ceterms:name", "is not a property of ceasn:Competency (ceasn:Competency rows): ignored") in warned
    assert any("'ceasn:Rubric' is neither" in message for _, message in warned)
    assert_context_forms(doc)
    assert_nothing_dropped(doc)


def test_ctdlasn_csv_without_framework_row(tmp_path: Path) -> None:
    rows = [["@type", "@id", "ceasn:competencyText"], ["ceasn:Competency", "a", "Do A"]]
    (fw,) = read_skills_csv(write_csv(tmp_path / "orphans.csv", rows))
    assert fw.name == "Orphans" and len(fw.competencies) == 1
    (doc,), ctx = build([fw])
    assert doc is not None
    assert any("no ceasn:CompetencyFramework row" in p.message for p in ctx.problems.warnings)
