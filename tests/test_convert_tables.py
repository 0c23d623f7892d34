"""CE bulk-upload tables (CSV/XLSX) → CTDL documents, through the real CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from ctdl_tools.cli import main
from ctdl_tools.ctid import DEFAULT_NAMESPACE, derive_ctid, namespace_from
from ctdl_tools.vocab.expansion import dropped_terms

OWNER = "ce-5b0f0f4e-3c1a-4f8e-9d55-2f4b9b7a1c01"
FRAMEWORK = "ce-7d2e4f10-8b6a-4c3d-a1e2-0f9b8c7d6e51"

CRED_HEADER = ["External Identifier", "Credential Name*", "credential type", "DESCRIPTION", "Subject Webpage",
               "Owned By", "Credential Status", "Language", "Keywords", "Estimated Duration", "CIP List",
               "SOC List", "Cost: Description", "Cost: Types List", "Cost: Price", "Cost: Details Url",
               "Condition Profile: Description", "Condition Profile: Credit Unit Value",
               "Condition Profile: Credit Unit Type", "Condition Profile: Target Learning Opportunity",
               "Accredited By", "Date Effective", "Version Identifier"]
CRED_ROW = ["AAS-WELD", "Welding Technology", "Associate of Applied Science Degree",
            "Prepares students for entry-level welding careers in manufacturing and construction.",
            "https://www.riverbend.example.edu/programs/welding/", OWNER, "Active", "English|Spanish",
            "welding|fabrication", "2 years", "48.0508", "51-4121", "Estimated program cost",
            "Tuition|Technology Fee", "$7,920.00|450", "https://www.riverbend.example.edu/tuition",
            "Complete the program courses", "60", "Credit Hour", "PRG-WELD",
            "Higher Learning Commission~https://www.hlcommission.org/", "2025-08-15", "2025-2026 Catalog"]
# The same credential on its own: its required program is not in a one-file conversion.
SOLO_ROW = [("" if h == "Condition Profile: Target Learning Opportunity" else v)
            for h, v in zip(CRED_HEADER, CRED_ROW, strict=True)]
LO_HEADER = ["External Identifier", "Learning Type", "Learning Opportunity Name", "Coded Notation", "Description",
             "Subject Webpage", "In Catalog", "Owned By", "Language", "Life Cycle Status Type", "Credit Unit Value",
             "Credit Unit Type", "Delivery Type", "Has Part", "ConditionProfile: Name",
             "ConditionProfile: Description", "ConditionProfile: Target Learning Opportunity"]
LO_ROWS = [
    ["WLD-110", "Course", "Welding Safety and Fundamentals", "WLD 110",
     "Shop safety, equipment setup and fundamental welding processes.", "",
     "https://catalog.riverbend.example.edu/wld-110", OWNER, "English", "Active", "3", "Semester Hour",
     "In-Person Only", "", "", "", ""],
    ["WLD-120", "Course", "Shielded Metal Arc Welding I", "WLD 120",
     "Stick welding in flat and horizontal positions on carbon steel.", "",
     "https://catalog.riverbend.example.edu/wld-120", OWNER, "English", "Active", "4", "Credit Hour", "Hybrid",
     "", "Prerequisites", "Completion of WLD 110 with a C or better.", "WLD-110"],
    ["PRG-WELD", "Learning Program", "Welding Technology Program", "", "The courses of the welding AAS program.",
     "https://www.riverbend.example.edu/programs/welding", "", OWNER, "English", "Active", "", "", "",
     "WLD-110|WLD-120",
     "", "", ""],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def load_docs(outdir: Path) -> dict[str, dict]:
    docs = {}
    for path in sorted(outdir.glob("*.json")):
        doc = json.loads(path.read_text())
        docs[doc["@graph"][0]["ceterms:ctid"]] = doc
    return docs


def by_name(docs: dict[str, dict], name: str) -> dict:
    return next(d for d in docs.values() if d["@graph"][0].get("ceterms:name", {}).get("en-US") == name)


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    folder.mkdir()
    write_csv(folder / "credentials.csv", CRED_HEADER, [CRED_ROW])
    write_csv(folder / "courses.csv", LO_HEADER, LO_ROWS)
    return folder


def test_credential_row_becomes_a_registry_graph(catalog: Path, tmp_path: Path, no_network: None) -> None:
    code, _out, err = run("convert", str(catalog), "-o", str(tmp_path / "out"))
    assert code == 0, err
    docs = load_docs(tmp_path / "out")
    assert len(docs) == 4
    doc = by_name(docs, "Welding Technology")
    ctid = derive_ctid(DEFAULT_NAMESPACE, f"credential:{OWNER}:AAS-WELD")  # the owner scopes the external id
    assert doc["@context"] == "https://credreg.net/ctdl/schema/context/json"
    assert doc["@id"] == f"https://credentialengineregistry.org/graph/{ctid}"
    main_node = doc["@graph"][0]
    assert main_node["@type"] == "ceterms:AssociateOfAppliedScienceDegree"
    assert main_node["ceterms:ctid"] == ctid
    assert main_node["ceterms:subjectWebpage"] == "https://www.riverbend.example.edu/programs/welding"
    assert main_node["ceterms:ownedBy"] == [f"https://credentialengineregistry.org/resources/{OWNER}"]
    assert main_node["ceterms:inLanguage"] == ["en-US", "es"]
    assert main_node["ceterms:keyword"] == {"en-US": ["welding", "fabrication"]}
    assert main_node["ceterms:credentialStatusType"]["ceterms:targetNode"] == "credentialStat:Active"
    assert main_node["ceterms:estimatedDuration"] == [{"@type": "ceterms:DurationProfile",
                                                       "ceterms:exactDuration": "P2Y"}]
    costs = main_node["ceterms:estimatedCost"]
    assert [c["ceterms:price"] for c in costs] == [7920, 450]
    assert [c["ceterms:directCostType"]["ceterms:targetNode"] for c in costs] == ["costType:Tuition",
                                                                                   "costType:TechnologyFee"]
    assert main_node["ceterms:instructionalProgramType"][0]["ceterms:codedNotation"] == "48.0508"
    assert main_node["ceterms:occupationType"][0]["ceterms:codedNotation"] == "51-4121"
    condition = main_node["ceterms:requires"][0]
    program = derive_ctid(DEFAULT_NAMESPACE, f"learning-opportunity:{OWNER}:PRG-WELD")
    assert condition["ceterms:targetLearningOpportunity"] == [
        f"https://credentialengineregistry.org/resources/{program}"]
    assert condition["ceterms:creditValue"][0]["schema:value"] == 60
    assert condition["ceterms:creditValue"][0]["ceterms:creditUnitType"][0]["ceterms:targetNode"] == \
        "creditUnit:SemesterHour"
    qa_ref = main_node["ceterms:accreditedBy"][0]
    assert qa_ref.startswith("_:")
    qa = next(n for n in doc["@graph"][1:] if n["@id"] == qa_ref)
    assert qa["@type"] == "ceterms:QACredentialOrganization"
    assert qa["ceterms:subjectWebpage"] == "https://www.hlcommission.org"
    assert main_node["ceterms:versionIdentifier"][0]["ceterms:identifierValueCode"] == "2025-2026 Catalog"
    for document in docs.values():
        assert dropped_terms(document) == []


def test_courses_programs_and_inverse_links(catalog: Path, tmp_path: Path) -> None:
    code, _, err = run("convert", str(catalog), "-o", str(tmp_path / "out"))
    assert code == 0, err
    docs = load_docs(tmp_path / "out")
    program = by_name(docs, "Welding Technology Program")["@graph"][0]
    course = by_name(docs, "Shielded Metal Arc Welding I")["@graph"][0]
    assert program["@type"] == "ceterms:LearningProgram"
    assert course["@type"] == "ceterms:Course"
    assert course["@id"] in program["ceterms:hasPart"]
    assert course["ceterms:isPartOf"] == [program["@id"]]
    assert course["ceterms:deliveryType"][0]["ceterms:targetNode"] == "deliveryType:BlendedDelivery"
    assert course["ceterms:creditValue"][0]["schema:value"] == 4
    assert course["ceterms:lifeCycleStatusType"]["ceterms:targetNode"] == "lifeCycle:Active"
    assert course["ceterms:codedNotation"] == "WLD 120"
    prereq = course["ceterms:requires"][0]
    assert prereq["ceterms:name"] == {"en-US": "Prerequisites"}
    first = by_name(docs, "Welding Safety and Fundamentals")["@graph"][0]
    assert prereq["ceterms:targetLearningOpportunity"] == [first["@id"]]


def test_same_input_same_bytes(catalog: Path, tmp_path: Path) -> None:
    run("convert", str(catalog), "-o", str(tmp_path / "a"))
    run("convert", str(catalog), "-o", str(tmp_path / "b"))
    a = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    b = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert a == b and len(a) == 4


def test_xlsx_with_guidance_and_padding_rows_matches_csv(catalog: Path, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Credential Data - MAKE UPDATES"
    sheet.append(CRED_HEADER)
    sheet.append(["Required" if i < 3 else "Optional" for i in range(len(CRED_HEADER))])
    sheet.append(["Enter your identifier"] + ["Example: see guidance"] * (len(CRED_HEADER) - 1))
    sheet.append(CRED_ROW)
    sheet.append(["ADD NEW CREDENTIAL HERE"])
    sheet.append(["ADD NEW CREDENTIAL HERE"])
    courses = workbook.create_sheet("Learning Opportunity Data")
    courses.append(LO_HEADER)
    for row in LO_ROWS:
        courses.append(row)
    workbook.create_sheet("Instructions").append(["Read me first"])
    workbook.save(tmp_path / "catalog.xlsx")
    code, _, err = run("convert", str(tmp_path / "catalog.xlsx"), "-o", str(tmp_path / "x"))
    assert code == 0, err
    run("convert", str(catalog), "-o", str(tmp_path / "c"))
    x = {p.name: p.read_bytes() for p in (tmp_path / "x").iterdir()}
    c = {p.name: p.read_bytes() for p in (tmp_path / "c").iterdir()}
    assert x == c


def test_xlsx_formula_with_no_computed_value_is_refused_naming_the_cell(tmp_path: Path) -> None:
    # Found in acceptance testing: a workbook written by a script keeps formulas without their results, and
    # the credential's name and price were silently missing from the output (exit 0, no warning).
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Credentials"
    sheet.append(CRED_HEADER)
    row = list(CRED_ROW)
    row[CRED_HEADER.index("Credential Name*")] = '=CONCATENATE("Welding ","Technology")'
    sheet.append(row)
    workbook.save(tmp_path / "catalog.xlsx")  # openpyxl stores no computed value, as scripts do
    code, _, err = run("convert", str(tmp_path / "catalog.xlsx"), "-o", str(tmp_path / "x"))
    assert code == 2 and "sheet 'Credentials', cell B2: the formula" in err and "no computed value" in err
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())
    # Excel and LibreOffice store an empty text result the same way, but say it is text (t="str"): read it.
    import zipfile

    with zipfile.ZipFile(tmp_path / "catalog.xlsx") as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet_xml = "xl/worksheets/sheet1.xml"
    parts[sheet_xml] = parts[sheet_xml].replace(b'<c r="B2">', b'<c r="B2" t="str">')
    with zipfile.ZipFile(tmp_path / "computed.xlsx", "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    code, _, err = run("convert", str(tmp_path / "computed.xlsx"), "-o", str(tmp_path / "y"))
    assert "no computed value" not in err and code != 2, err  # the empty name is the row's own problem


def test_xlsx_merged_cells_over_records_are_warned_about(tmp_path: Path) -> None:
    # Found in acceptance testing: an Owned By merged over two rows left the second record without an owner,
    # with no word (a merged cell's value is in its first cell only).
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Credentials"
    sheet.append(CRED_HEADER)
    sheet.append(CRED_ROW)
    sheet.append(["AAS-TWO", *CRED_ROW[1:]])
    column = openpyxl.utils.get_column_letter(CRED_HEADER.index("Owned By") + 1)
    sheet.merge_cells(f"{column}2:{column}3")
    workbook.save(tmp_path / "catalog.xlsx")
    _, _, err = run("convert", str(tmp_path / "catalog.xlsx"), "-o", str(tmp_path / "x"))
    assert f"row 2: cells {column}2:{column}3 are merged: only the first holds the value, row 3 read it as empty" \
        in err
    assert err.count("are merged") == 1  # once, not again by the indexing pass


def test_missing_required_column_is_exit_2_naming_file_and_column(tmp_path: Path) -> None:
    header = [h for h in CRED_HEADER if h != "credential type"]
    row = [v for h, v in zip(CRED_HEADER, CRED_ROW, strict=True) if h != "credential type"]
    path = write_csv(tmp_path / "creds.csv", header, [row])
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"), "--kind", "credentials")
    assert code == 2
    assert "creds.csv" in err and "'Credential Type'" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("column", "value", "expected"), [
    ("credential type", "Bachlor Degre", "closest: Bachelor's Degree"),
    ("credential type", "Degree", "generic type"),
    ("Credential Status", "Sleeping", "unknown credential status value 'Sleeping'"),
    ("Credential Name*", "SAMPLE: Welding", "starts with the word SAMPLE"),
    ("Subject Webpage", "www.example.edu", "not an http(s) URL"),
    ("Estimated Duration", "two fortnights", "cannot read duration"),
    ("Language", "Klingonese", "unknown language"),
])
def test_bad_cell_fails_that_record_only(tmp_path: Path, column: str, value: str, expected: str) -> None:
    bad = list(SOLO_ROW)
    bad[CRED_HEADER.index(column)] = value
    bad[0] = "BAD-1"
    good = list(SOLO_ROW)
    path = write_csv(tmp_path / "creds.csv", CRED_HEADER, [good, bad])
    code, out, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1
    assert expected in err
    assert f"creds.csv, row 3, column {column!r}" in err
    assert "1 written, 1 failed" in out
    assert len(list((tmp_path / "out").glob("*.json"))) == 1


def test_bad_ctid_and_missing_identifier(tmp_path: Path) -> None:
    header = ["CTID", *CRED_HEADER]
    rows = [["ce-not-a-uuid", *SOLO_ROW], ["", "", *SOLO_ROW[1:]]]
    path = write_csv(tmp_path / "creds.csv", header, rows)
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1
    assert "row 2, column 'CTID'" in err and "is not a CTID" in err
    assert "row 3" in err and "Either an identifier from the source system or a ctid" in err


def test_duplicate_external_ids_are_reported_with_both_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "creds.csv", CRED_HEADER, [SOLO_ROW, SOLO_ROW])
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1
    assert "duplicate CTID" in err or "duplicate external identifier" in err
    assert "row 3" in err and "row 2" in err


def test_empty_row_between_records_warns(tmp_path: Path) -> None:
    second = list(SOLO_ROW)
    second[0] = "AAS-2"
    path = write_csv(tmp_path / "creds.csv", CRED_HEADER, [SOLO_ROW, [""] * len(CRED_HEADER), second])
    code, out, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 0
    assert "row 3" in err and "empty row skipped" in err
    assert "2 written" in out


def test_encoding_bom_ok_windows_1252_read_with_a_warning_others_refused(tmp_path: Path) -> None:
    bom = write_csv(tmp_path / "bom.csv", CRED_HEADER, [SOLO_ROW], encoding="utf-8-sig")
    assert run("convert", str(bom), "-o", str(tmp_path / "a"))[0] == 0
    # Found in acceptance testing: Excel on Windows saves "CSV (Comma delimited)" as Windows-1252, the most
    # common college export; it was refused. It is read, with a warning; what is neither is still refused.
    row = list(SOLO_ROW)
    row[1] = "Soldadura Técnica \u2013 “Nivel 1”"
    excel = write_csv(tmp_path / "excel.csv", CRED_HEADER, [row], encoding="cp1252")
    code, _, err = run("convert", str(excel), "-o", str(tmp_path / "b"))
    assert code == 0 and "excel.csv: not UTF-8: read as Windows-1252" in err
    written = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "b").iterdir())
    assert "Soldadura Técnica – “Nivel 1”" in written
    (tmp_path / "utf16.csv").write_text(",".join(CRED_HEADER) + "\n", encoding="utf-16")
    code, _, err = run("convert", str(tmp_path / "utf16.csv"), "-o", str(tmp_path / "c"))
    assert code == 2 and "not UTF-8 (it is UTF-16)" in err
    (tmp_path / "neither.csv").write_bytes(",".join(CRED_HEADER).encode() + b"\n\x81\x8d\n")
    code, _, err = run("convert", str(tmp_path / "neither.csv"), "-o", str(tmp_path / "d"))
    assert code == 2 and "neither.csv" in err and "not UTF-8: line 2" in err


def test_unreadable_inputs_exit_2(tmp_path: Path) -> None:
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    for path in (tmp_path / "missing.csv", tmp_path / "broken.xlsx"):
        code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
        assert code == 2 and path.name in err and "Traceback" not in err


def test_mapping_file_for_a_providers_own_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "programs.csv",
                     ["Program ID", "Program Title", "Award", "Summary", "Program URL", "Mode"],
                     [["P1", "Welding", "AAS", "Two-year welding program with shop practice.",
                       "https://example.edu/weld", "Active"]])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "kind: credentials\n"
        "columns:\n  Program ID: External Identifier\n  Program Title: Credential Name\n"
        "  Award: Credential Type\n  Summary: Description\n  Program URL: subject_webpage\n"
        "  Mode: Credential Status\n"
        "values:\n  Credential Type:\n    AAS: Associate of Applied Science Degree\n"
        f"defaults:\n  Language: English\n  Owned By: {OWNER}\n")
    code, _, err = run("convert", str(path), "--mapping", str(mapping), "-o", str(tmp_path / "out"))
    assert code == 0, err
    node = next(iter(load_docs(tmp_path / "out").values()))["@graph"][0]
    assert node["@type"] == "ceterms:AssociateOfAppliedScienceDegree"
    assert node["ceterms:ownedBy"] == [f"https://credentialengineregistry.org/resources/{OWNER}"]


def test_owner_option_fills_records_without_owner(tmp_path: Path) -> None:
    header = [h for h in CRED_HEADER if h != "Owned By"]
    row = [v for h, v in zip(CRED_HEADER, SOLO_ROW, strict=True) if h != "Owned By"]
    path = write_csv(tmp_path / "creds.csv", header, [row])
    code, _, err = run("convert", str(path), "--owner", OWNER.upper(), "-o", str(tmp_path / "out"))
    assert code == 0, err
    node = next(iter(load_docs(tmp_path / "out").values()))["@graph"][0]
    assert node["ceterms:ownedBy"] == [f"https://credentialengineregistry.org/resources/{OWNER}"]


def test_ctid_namespace_changes_derived_ctids(catalog: Path, tmp_path: Path) -> None:
    run("convert", str(catalog), "-o", str(tmp_path / "a"))
    run("convert", str(catalog), "-o", str(tmp_path / "b"), "--ctid-namespace", "https://riverbend.example.edu")
    assert {p.name for p in (tmp_path / "a").iterdir()}.isdisjoint({p.name for p in (tmp_path / "b").iterdir()})


def test_repaired_codes_warn_with_the_cell(tmp_path: Path) -> None:
    row = list(SOLO_ROW)
    row[CRED_HEADER.index("CIP List")] = "1.0101|47-0604"
    path = write_csv(tmp_path / "creds.csv", CRED_HEADER, [row])
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 0
    assert "row 2, column 'CIP List'" in err
    node = next(iter(load_docs(tmp_path / "out").values()))["@graph"][0]
    assert [c["ceterms:codedNotation"] for c in node["ceterms:instructionalProgramType"]] == ["01.0101", "47.0604"]


def test_a_competency_id_requires_its_subtree_only(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    skills = [["Framework", "Framework CTID", "Framework Description", "Publisher", "ID", "Competency", "Parent"],
              ["Skills", FRAMEWORK, "College-wide skills framework.", OWNER, "WLD", "Weld metals.", ""],
              ["Skills", FRAMEWORK, "College-wide skills framework.", OWNER, "WLD-1", "Weld plate.", "WLD"],
              ["Skills", FRAMEWORK, "College-wide skills framework.", OWNER, "WLD-1.1", "Weld flat plate.", "WLD-1"],
              ["Skills", FRAMEWORK, "College-wide skills framework.", OWNER, "NUR", "Care for patients.", ""]]
    write_csv(folder / "skills.csv", skills[0], skills[1:])
    header = [*CRED_HEADER, "Condition Profile: Required Competency Framework"]
    rows = [[*SOLO_ROW, "WLD"], [*SOLO_ROW[:1], *SOLO_ROW[1:], FRAMEWORK], [*SOLO_ROW, "NOPE"]]
    rows[1][0], rows[2][0] = "AAS-2", "AAS-3"
    write_csv(folder / "creds.csv", header, rows)
    code, _, err = run("convert", str(folder), "-o", str(tmp_path / "out"))
    assert code == 1 and "'NOPE' is neither a CTID nor the ID of a competency" in err
    docs = load_docs(tmp_path / "out")
    required = {}
    for doc in docs.values():
        node = doc["@graph"][0]
        if "ceterms:requires" in node:
            targets = node["ceterms:requires"][0]["ceterms:targetCompetency"]
            required[node["ceterms:ctid"]] = [t["ceterms:targetNodeName"]["en-US"] for t in targets]
    assert sorted(required.values()) == [
        ["Weld metals.", "Weld plate.", "Weld flat plate."],
        ["Weld metals.", "Weld plate.", "Weld flat plate.", "Care for patients."]]


def test_two_providers_same_external_id_get_two_ctids(tmp_path: Path) -> None:
    # Found in acceptance testing: CTIDs derived from External Identifiers used one fixed namespace, so two
    # colleges' "ENG-101" (or two providers' "CNA") were one CTID, and the second publish clashed with the first.
    other = "ce-8966d710-9d88-4287-af36-66ad12da64b9"
    ctids = []
    for owner in (OWNER, other, other.upper()):
        folder = tmp_path / owner
        folder.mkdir()
        row = {**dict(zip(CRED_HEADER, CRED_ROW, strict=True)), "Owned By": owner}
        row = {h: "" if h.startswith("Condition Profile") else v for h, v in row.items()}  # no courses here
        write_csv(folder / "credentials.csv", CRED_HEADER, [list(row.values())])
        code, _out, err = run("convert", str(folder), "-o", str(folder / "out"))
        assert code == 0, err
        ctids.append(by_name(load_docs(folder / "out"), "Welding Technology")["@graph"][0]["ceterms:ctid"])
    assert ctids[0] != ctids[1] == ctids[2]  # a CTID is the same CTID in any case
    # A namespace of one's own already keeps providers apart: the key stays kind:external id.
    code, _out, err = run("convert", str(tmp_path / other / "credentials.csv"), "-o", str(tmp_path / "ns"),
                          "--ctid-namespace", "riverbend")
    assert code == 0, err
    mine = by_name(load_docs(tmp_path / "ns"), "Welding Technology")["@graph"][0]["ceterms:ctid"]
    assert mine == derive_ctid(namespace_from("riverbend"), "credential:AAS-WELD")


def test_owners_ids_scope_records_written_either_way_and_references_find_their_own(tmp_path: Path) -> None:
    # Found in acceptance testing: with CTIDs scoped by owner, an owner written as the organization's External
    # Identifier gave another CTID than the same owner written as its CTID; two colleges' ENG-101 in one run
    # were a "duplicate", and a credential's reference to ENG-101 took whichever came first.
    college_a, college_b = "ce-08c7e580-b007-4004-b1de-6bfd9c5bbebc", "ce-8966d710-9d88-4287-af36-66ad12da64b9"
    orgs = ["External Identifier", "CTID", "Organization Type", "Organization Name", "Description",
            "Subject Webpage", "Agent Type", "Agent Sector Type", "Email"]
    write_csv(tmp_path / "orgs.csv", orgs, [
        ["RCC", college_a, "CredentialOrganization", "Riverbend College", "A public two-year college on the river.",
         "https://a.example.edu/", "Postsecondary Educational Institution", "Public", "info@a.example.edu"]])
    lo = ["External Identifier", "Learning Type", "Learning Opportunity Name", "Description", "In Catalog",
          "Owned By", "Language", "Life Cycle Status Type"]
    course = ["ENG-101", "Course", "English Composition I", "Academic writing for first-year students.",
              "https://a.example.edu/eng-101", college_a, "English", "Active"]
    write_csv(tmp_path / "a_by_ctid.csv", lo, [course])
    write_csv(tmp_path / "a_by_id.csv", lo, [[*course[:5], "RCC", *course[6:]]])
    ctids = []
    for name in ("a_by_ctid.csv", "a_by_id.csv"):
        code, _out, err = run("convert", str(tmp_path / "orgs.csv"), str(tmp_path / name), "-o",
                              str(tmp_path / name[:-4]))
        assert code == 0, err
        ctids.append(by_name(load_docs(tmp_path / name[:-4]), "English Composition I")["@graph"][0]["ceterms:ctid"])
    assert ctids[0] == ctids[1]
    write_csv(tmp_path / "b.csv", lo, [[*course[:4], "https://b.example.edu/eng-101", college_b, *course[6:]]])
    creds = ["External Identifier", "Credential Name", "Credential Type", "Description", "Subject Webpage",
             "Owned By", "Credential Status", "Language", "Condition Profile: Description",
             "Condition Profile: Target Learning Opportunity"]
    third = "ce-d8be3fbf-83cc-490e-9bd8-1b233dfffb82"
    write_csv(tmp_path / "creds.csv", creds, [
        [f"CRED-{who}", f"Certificate {who}", "Certificate", f"A certificate of college {who} requiring ENG-101.",
         f"https://{who.lower()}.example.edu/c", owner, "Active", "English", "Complete ENG-101", "ENG-101"]
        for who, owner in (("A", college_a), ("B", college_b), ("C", third))])
    code, _out, err = run("convert", str(tmp_path / "a_by_ctid.csv"), str(tmp_path / "b.csv"),
                          str(tmp_path / "creds.csv"), "-o", str(tmp_path / "both"))
    assert code == 1 and "duplicate" not in err and "a bug" not in err
    assert "'ENG-101' is the external identifier of records of 2 owners" in err  # college C's: which one?
    docs = load_docs(tmp_path / "both")
    courses = {d["@graph"][0]["ceterms:ownedBy"][0]: d["@id"].replace("/graph/", "/resources/") for d in docs.values()
               if d["@graph"][0]["@type"] == "ceterms:Course"}
    for who, owner in (("A", college_a), ("B", college_b)):
        required = by_name(docs, f"Certificate {who}")["@graph"][0]["ceterms:requires"][0]
        owned = f"https://credentialengineregistry.org/resources/{owner}"
        assert required["ceterms:targetLearningOpportunity"] == [courses[owned]]
