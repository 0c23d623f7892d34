"""CASE CFPackage JSON and OpenSALT's CASE spreadsheet → CTDL-ASN framework documents."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pyld import jsonld

from ctdl_tools.build.context import BuildContext
from ctdl_tools.build.document import GraphDocument
from ctdl_tools.build.framework import asn_terms, build_framework, index_framework
from ctdl_tools.catalog.case import read_case_csv, read_case_package
from ctdl_tools.catalog.model import SkillFramework
from ctdl_tools.cli import main
from ctdl_tools.ctid import DEFAULT_NAMESPACE
from ctdl_tools.errors import InputError
from ctdl_tools.vocab import CTDLASN_CONTEXT_URL, offline_loader, vocabulary
from ctdl_tools.vocab.expansion import dropped_terms

DATA = Path(__file__).parent / "data" / "catalogs"
PACKAGE = DATA / "case_opensalt_what-standards-could-be_cfpackage.json"
SHEET = DATA / "case_opensalt_spreadsheet_import_sample.csv"
OWNER = "ce-5b0f0f4e-3c1a-4f8e-9d55-2f4b9b7a1c01"
BASE = "https://credentialengineregistry.org/resources/"
DOC_ID = "20c5134f-423d-4097-a971-3dd5152bf507"
RATIO_A = "edfce0e7-dbbf-40d5-af1a-baccabef85e9"      # CCSS.Math.Content.6.RP.A (Cluster, a top child)
RATIO_A1 = "b6f61076-aa12-450b-8f9d-b86bc071f85e"     # CCSS.Math.Content.6.RP.A.1, child of RATIO_A
RATIO_A2 = "eceec0fb-e4de-4ef3-a48f-0987b366c9ae"     # 6.RP.A.2: RATIO_A1 precedes it


Built = tuple[list[GraphDocument | None], BuildContext]


def build(frameworks: list[SkillFramework], owner: str | None = None) -> Built:
    ctx = BuildContext(namespace=DEFAULT_NAMESPACE, owner=owner)
    for fw in frameworks:
        index_framework(fw, ctx)
    return [build_framework(fw, ctx) for fw in frameworks], ctx


def by_ctid(doc: GraphDocument) -> dict[str, dict[str, Any]]:
    return {node["ceterms:ctid"]: node for node in doc.nodes}


def expanded_keys(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        found |= {k for k in node if not k.startswith("@")}
        for value in node.values():
            found |= expanded_keys(value)
    elif isinstance(node, list):
        for value in node:
            found |= expanded_keys(value)
    return found


def assert_expands_completely(doc: GraphDocument) -> None:
    """Every non-@ key of every node (and nested node) survives pyld expansion, and forms match the context."""
    data = json.loads(doc.to_bytes())
    expanded = expanded_keys(jsonld.expand(data, {"documentLoader": offline_loader()}))
    vocab = vocabulary()
    _, maps, iris = asn_terms()

    def check(node: dict[str, Any]) -> None:
        for key, value in node.items():
            if key.startswith("@"):
                continue
            assert key in vocab.properties, key
            assert vocab.expand(key) in expanded, f"{key} dropped by expansion"
            if key in maps:
                assert isinstance(value, dict), key
            elif key in iris:
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, dict):
                        check(item)
                    else:
                        assert ":" in item and " " not in item, (key, item)

    for node in data["@graph"]:
        check(node)
    assert dropped_terms(data) == []


# --- the real package ---------------------------------------------------------------------------------
def test_corpus_files_are_the_copied_bytes() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for path in (PACKAGE, SHEET):
        assert f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}" in readme


def test_package_reads_as_one_framework_of_16_competencies() -> None:
    (fw,) = read_case_package(PACKAGE)
    items = json.loads(PACKAGE.read_text(encoding="utf-8"))["CFItems"]
    assert fw.key == DOC_ID and fw.name == "What Standards Could Be" and fw.language == "en"
    assert len(fw.competencies) == 16
    assert [c.key for c in fw.competencies] == [item["identifier"] for item in items]


def test_package_builds_with_case_identifiers_as_ctids() -> None:
    (doc,), ctx = build(read_case_package(PACKAGE))
    assert doc is not None and doc.context == CTDLASN_CONTEXT_URL
    items = json.loads(PACKAGE.read_text(encoding="utf-8"))["CFItems"]
    assert doc.ctid == f"ce-{DOC_ID}"
    assert [n["ceterms:ctid"] for n in doc.nodes[1:]] == [f"ce-{item['identifier']}" for item in items]
    assert doc.nodes[0]["@type"] == "ceasn:CompetencyFramework"
    assert {n["@type"] for n in doc.nodes[1:]} == {"ceasn:Competency"}
    assert ctx.frameworks[f"ce-{DOC_ID}"].competencies[0] == (
        f"ce-{RATIO_A}", "Understand ratio concepts and use ratio reasoning to solve problems.")
    assert not ctx.problems.errors


def test_package_hierarchy() -> None:
    (doc,), _ = build(read_case_package(PACKAGE))
    nodes = by_ctid(doc)
    framework = doc.nodes[0]
    assert framework["ceasn:hasTopChild"] == [BASE + f"ce-{RATIO_A}", BASE + "ce-ddcf67a6-abf2-4df1-8d95-8752d65f0ec2"]
    competencies = doc.nodes[1:]
    assert sum("ceasn:isTopChildOf" in n for n in competencies) == 2
    assert sum("ceasn:isChildOf" in n for n in competencies) == 14
    assert all(n["ceasn:isPartOf"] == BASE + f"ce-{DOC_ID}" for n in competencies)
    child = nodes[f"ce-{RATIO_A1}"]
    assert child["ceasn:competencyText"] == {"en": "Understand the concept of a ratio and use ratio language to "
                                             "describe a ratio relationship between two quantities."}
    assert child["ceasn:isChildOf"] == [BASE + f"ce-{RATIO_A}"]
    assert child["ceasn:codedNotation"] == "CCSS.Math.Content.6.RP.A.1"
    assert child["ceasn:competencyCategory"] == {"en": ["Standard"]}
    assert BASE + f"ce-{RATIO_A1}" in nodes[f"ce-{RATIO_A}"]["ceasn:hasChild"]
    # inverse pairs agree
    for node in competencies:
        for parent in node.get("ceasn:isChildOf", []):
            assert node["@id"] in nodes[parent.rsplit("/", 1)[1]]["ceasn:hasChild"]


def test_package_alignments_and_metadata() -> None:
    (doc,), ctx = build(read_case_package(PACKAGE), owner=OWNER)
    nodes = by_ctid(doc)
    framework = doc.nodes[0]
    assert framework["ceasn:publisher"] == [BASE + OWNER]
    assert framework["ceasn:inLanguage"] == ["en"]
    assert framework["ceasn:publicationStatusType"] == "publicationStatus:Draft"
    assert framework["ceasn:author"] == ["Brandon Dorman"]
    assert framework["ceasn:source"] == [f"http://opensalt-staging.opened.com/uri/{DOC_ID}"]
    assert framework["ceasn:description"] == {"en": "What Standards Could Be"}  # no description: the name
    assert any("no description" in p.message for p in ctx.problems.warnings)
    # item uri + exactMatchOf destination
    assert nodes[f"ce-{RATIO_A1}"]["ceasn:exactAlignment"] == [
        f"http://opensalt-staging.opened.com/uri/{RATIO_A1}",
        "http://opensalt-staging.opened.com/uri/2c75d647-4ed4-56d8-965d-c3affe91643d"]
    # "A.1 precedes A.2" → A.2's prerequisite is A.1, as a registry URI
    assert nodes[f"ce-{RATIO_A2}"]["ceasn:prerequisiteAlignment"] == [BASE + f"ce-{RATIO_A1}"]
    related = [n for n in doc.nodes if "ceasn:crossSubjectReference" in n]
    assert len(related) == 2
    assert any("'exemplar' association(s) not converted" in p.message for p in ctx.problems.warnings)


def test_package_expands_without_dropping_any_key() -> None:
    (doc,), _ = build(read_case_package(PACKAGE), owner=OWNER)
    assert_expands_completely(doc)


def test_package_build_is_deterministic() -> None:
    (first,), _ = build(read_case_package(PACKAGE), owner=OWNER)
    (second,), _ = build(read_case_package(PACKAGE), owner=OWNER)
    assert first.to_bytes() == second.to_bytes()


# --- CASE 1.1 and edge cases --------------------------------------------------------------------------
DOC = "11111111-1111-4111-8111-111111111111"
A, B, C = ("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
           "cccccccc-cccc-4ccc-8ccc-cccccccccccc")


def package(tmp_path: Path, associations: list[dict], **extra: Any) -> Path:
    items = [{"identifier": i, "uri": f"https://case.example.org/uri/{i}", "fullStatement": f"Statement {n}",
              "humanCodingScheme": f"X.{n}", "CFItemTypeURI": {"identifier": "type-1"},
              "conceptKeywords": ["alpha", "beta"], "listEnumeration": str(n), "language": "es"}
             for n, i in enumerate((A, B, C), start=1)]
    data = {"CFDocument": {"identifier": DOC, "uri": f"https://case.example.org/uri/{DOC}", "title": "Doc",
                           "caseVersion": "1.1", "description": "A test framework", "publisher": "Example Board",
                           "adoptionStatus": "Adopted", "subject": ["Math"]},
            "CFItems": items, "CFAssociations": associations,
            "CFDefinitions": {"CFItemTypes": [{"identifier": "type-1", "title": "Standard"}]}, **extra}
    path = tmp_path / "package.json"
    path.write_text(json.dumps({"CFPackage": data}), encoding="utf-8")
    return path


def child_of(origin: str, destination: str) -> dict:
    # CASE 1.1 servers may give bare identifiers instead of LinkGenURI objects
    return {"associationType": "isChildOf", "originNodeIdentifier": origin, "destinationNodeIdentifier": destination}


def test_case_11_identifiers_definitions_and_language(tmp_path: Path) -> None:
    path = package(tmp_path, [child_of(A, DOC), child_of(B, A), child_of(C, A)])
    (fw,) = read_case_package(path)
    assert fw.language == "es"  # from the items: the CFDocument has none
    (doc,), ctx = build([fw])
    nodes = by_ctid(doc)
    assert doc.nodes[0]["ceasn:hasTopChild"] == [BASE + f"ce-{A}"]
    assert doc.nodes[0]["ceasn:publisherName"] == {"es": "Example Board"}
    assert doc.nodes[0]["ceasn:publicationStatusType"] == "publicationStatus:Published"
    assert doc.nodes[0]["ceasn:localSubject"] == {"es": ["Math"]}
    assert nodes[f"ce-{A}"]["ceasn:hasChild"] == [BASE + f"ce-{B}", BASE + f"ce-{C}"]
    assert nodes[f"ce-{B}"]["ceasn:competencyCategory"] == {"es": ["Standard"]}
    assert nodes[f"ce-{B}"]["ceasn:conceptKeyword"] == {"es": ["alpha", "beta"]}
    assert nodes[f"ce-{B}"]["ceasn:listID"] == "2"
    assert not ctx.problems.errors
    assert_expands_completely(doc)


def test_identifiers_match_in_any_case(tmp_path: Path) -> None:
    # CASE identifiers are UUIDs: a package that writes them in upper case in its associations (and in lower
    # case on the items) has the same hierarchy; compared as written, B and C became top children.
    path = package(tmp_path, [child_of(A.upper(), DOC.upper()), child_of(B.upper(), A.upper()),
                              {"associationType": "isChildOf",
                               "originNodeURI": {"identifier": C.upper(), "uri": f"https://x.example/{C}"},
                               "destinationNodeURI": {"identifier": A.upper(), "uri": f"https://x.example/{A}"}}])
    (doc,), ctx = build(read_case_package(path))
    assert doc.nodes[0]["ceasn:hasTopChild"] == [BASE + f"ce-{A}"]
    assert by_ctid(doc)[f"ce-{A}"]["ceasn:hasChild"] == [BASE + f"ce-{B}", BASE + f"ce-{C}"]
    assert not ctx.problems.errors
    assert [w.message for w in ctx.problems.warnings] == ["no publisher: the Registry requires ceasn:publisher (use "
                                                          "--owner)"]


def test_cyclic_hierarchy_is_an_error_and_nothing_is_written(tmp_path: Path) -> None:
    path = package(tmp_path, [child_of(A, B), child_of(B, A), child_of(C, DOC)])
    (doc,), ctx = build(read_case_package(path))
    assert doc is None
    (error,) = ctx.problems.errors
    assert "cyclic competency hierarchy: 'X.1' → 'X.2' → 'X.1'" in error.message
    assert error.where.path is not None and error.where.path.startswith("$.CFAssociations[")


def test_self_parent_is_a_cycle(tmp_path: Path) -> None:
    (doc,), ctx = build(read_case_package(package(tmp_path, [child_of(A, A)])))
    assert doc is None
    assert [e.message for e in ctx.problems.errors] == ["cyclic competency hierarchy: 'X.1' → 'X.1'"]


def test_unknown_parent_is_a_warning_and_a_top_child(tmp_path: Path) -> None:
    other = "dddddddd-dddd-4ddd-8ddd-dddddddddddd"
    (doc,), ctx = build(read_case_package(package(tmp_path, [child_of(A, other)])))
    assert doc is not None and not ctx.problems.errors
    assert by_ctid(doc)[f"ce-{A}"]["ceasn:isTopChildOf"] == BASE + f"ce-{DOC}"
    assert any(other in p.message and "not a competency of this framework" in p.message
               for p in ctx.problems.warnings)


def test_duplicate_identifiers_are_an_error_naming_both_places(tmp_path: Path) -> None:
    path = package(tmp_path, [])
    data = json.loads(path.read_text(encoding="utf-8"))
    data["CFPackage"]["CFItems"][2]["identifier"] = A
    path.write_text(json.dumps(data), encoding="utf-8")
    (doc,), ctx = build(read_case_package(path))
    assert doc is None
    (error,) = ctx.problems.errors
    assert error.where.path == "$.CFItems[2].identifier"
    assert "$.CFItems[0]" in error.message and A in error.message


def test_item_without_full_statement(tmp_path: Path) -> None:
    path = package(tmp_path, [])
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["CFPackage"]["CFItems"][1]["fullStatement"]
    path.write_text(json.dumps(data), encoding="utf-8")
    (doc,), ctx = build(read_case_package(path))
    assert doc is not None  # the human coding scheme stands in, with a warning
    assert by_ctid(doc)[f"ce-{B}"]["ceasn:competencyText"] == {"es": "X.2"}
    assert any(p.where.path == "$.CFItems[1].fullStatement" for p in ctx.problems.warnings)


EDUCATION_REASON = "not converted: it would need a translation to ceterms:AudienceLevel concepts"


def test_education_levels_are_one_warning_per_file() -> None:
    """The real package has OpenSALT's ``educationalLevel`` on all 16 items: one warning counts them."""
    (doc,), ctx = build(read_case_package(PACKAGE), owner=OWNER)
    assert doc is not None
    found = [(p.where.file, p.where.path, p.message) for p in ctx.problems.warnings if "Level'" in p.message]
    assert found == [(str(PACKAGE), "$.CFItems", f"'educationalLevel' of 16 CFItem(s) {EDUCATION_REASON}")]


def test_case_education_level_is_counted_over_the_items_that_have_it(tmp_path: Path) -> None:
    path = package(tmp_path, [child_of(A, DOC)])
    data = json.loads(path.read_text(encoding="utf-8"))
    for item, levels in zip(data["CFPackage"]["CFItems"], (["09", "10"], "11", []), strict=True):
        item["educationLevel"] = levels  # an empty list is no value
    path.write_text(json.dumps(data), encoding="utf-8")
    (doc,), ctx = build(read_case_package(path))
    assert doc is not None and "ceasn:educationLevelType" not in str(doc.nodes)
    found = [(p.where.file, p.where.path, p.message) for p in ctx.problems.warnings if "Level'" in p.message]
    assert found == [(str(path), "$.CFItems", f"'educationLevel' of 2 CFItem(s) {EDUCATION_REASON}")]


def test_the_education_level_warning_is_printed_once_naming_the_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["convert", str(PACKAGE), "--kind", "case", "--owner", OWNER, "-o",
                                       str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("educationalLevel") == 1
    assert f"warning: {PACKAGE}, $.CFItems: 'educationalLevel' of 16 CFItem(s) {EDUCATION_REASON}" in result.stderr


@pytest.mark.parametrize(("content", "message"), [
    (b"{not json", "invalid JSON"),
    (b"[1, 2]", "not a CASE CFPackage"),
    (b'{"CFDocument": {"identifier": "x"}, "CFItems": {}}', "CFItems must be a list"),
    (b'{"CFDocument": {"identifier": "x"}, "CFItems": [1]}', "each of CFItems must be an object"),
    (b"\xff\xfe{}", "not UTF-8"),
])
def test_unreadable_packages_are_input_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_case_package(path)


# --- OpenSALT spreadsheet -------------------------------------------------------------------------------
def test_spreadsheet_sample_with_shifted_columns() -> None:
    (fw,) = read_case_csv(SHEET)
    assert len(fw.competencies) == 10
    assert fw.name == "Case opensalt spreadsheet import sample"
    # the Abbreviated Statement column holds the parent's Identifier: not a label
    assert all(c.label is None for c in fw.competencies)
    (doc,), ctx = build([fw])
    assert doc is not None and not ctx.problems.errors
    shifted = [p for p in ctx.problems.warnings if p.where.column == "Abbreviated Statement"]
    # rows 8 and 7 repeat the values of rows 4 and 6: the same words, said once with the other place named
    assert [p.where.row for p in shifted] == [3, 4, 5, 6, 9]
    assert shifted[1].message.endswith("(shifted column?): ignored (Is Child Of names the parent) (also at row 8)")
    assert shifted[3].message.endswith("(also at row 7)")
    nodes = {n.get("ceasn:codedNotation"): n for n in doc.nodes[1:]}
    assert nodes["M.F"]["ceasn:isChildOf"] == [nodes["M"]["@id"]]
    assert nodes["M.F.1-2.S1a"]["ceasn:isChildOf"] == [nodes["M.F.1-2.S1"]["@id"]]
    assert nodes["M.F.1-2"]["ceasn:competencyText"] == {"en-US": "Students understand operations on fractions."}
    assert nodes["M.F.1-2"]["ceasn:crossSubjectReference"] == ["http://asn.jesandco.org/resources/S1143417"]
    assert nodes["M.F"]["ceasn:comment"] == {"en-US": "Testing"}
    roots = [code for code, n in nodes.items() if "ceasn:isTopChildOf" in n]
    assert roots == ["M", "M.E", "M.E.C1"]
    assert len(doc.nodes[0]["ceasn:hasTopChild"]) == 3
    assert any("IsRelatedTo 'CCSS.Math.Content.HSF-IF.C.8b' is not a URL" in p.message for p in ctx.problems.warnings)
    assert_expands_completely(doc)


def test_spreadsheet_label_taken_as_parent_when_is_child_of_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "sheet.csv"
    path.write_text("Identifier,fullStatement,Human Coding Scheme,Abbreviated Statement,Is Child Of\n"
                    "Root,The root,R,,\nLeaf,A leaf,R.1,Root,\nOther,Another,R.2,Short,R\n", encoding="utf-8")
    (doc,), ctx = build(read_case_csv(path))
    nodes = {n.get("ceasn:codedNotation"): n for n in doc.nodes[1:]}
    assert nodes["R.1"]["ceasn:isChildOf"] == [nodes["R"]["@id"]]
    assert "ceasn:competencyLabel" not in nodes["R.1"]
    assert nodes["R.2"]["ceasn:competencyLabel"] == {"en-US": "Short"}
    assert any("taken as the parent" in p.message for p in ctx.problems.warnings)


def test_spreadsheet_without_full_statement_column(tmp_path: Path) -> None:
    path = tmp_path / "sheet.csv"
    path.write_text("Identifier,Statement\nA,B\n", encoding="utf-8")
    with pytest.raises(InputError, match="fullStatement"):
        read_case_csv(path)


def test_the_same_framework_twice_is_a_duplicate_ctid(tmp_path: Path) -> None:
    copy = tmp_path / "copy.json"
    copy.write_bytes(PACKAGE.read_bytes())
    (first, second), ctx = build(read_case_package(PACKAGE) + read_case_package(copy))
    assert first is not None and second is None
    assert any(f"duplicate CTID ce-{DOC_ID}" in e.message and e.where.file == str(copy) for e in ctx.problems.errors)
