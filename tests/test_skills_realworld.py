"""Skill files from other systems (OSMT CSV and v2 JSON, OpenSALT CASE, ESCO downloads) → CTDL-ASN.

The files are in ``tests/data/catalogs/realworld/`` (provenance and licences in its README.md).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctdl_tools.cli import main

DATA = Path(__file__).parent / "data" / "catalogs" / "realworld"
OSMT_CSV = DATA / "osmt_Skills-Import.csv"
OSMT_V2 = DATA / "rsd_osmt_v2_collection_it-network_excerpt.json"
CASE_UTF8 = DATA / "case_opensalt_Utf8TestFramework.json"
ESCO_ICT = DATA / "esco_ictSkillsCollection_en.csv"
ESCO_TRIMMED = DATA / "esco_skills_en_excerpt.csv"
OWNER = "ce-5b0f0f4e-3c1a-4f8e-9d55-2f4b9b7a1c01"
BASE = "https://credentialengineregistry.org/resources/"
# The headers of OSMT's current CSV export (RichSkillCsvExport.kt) with two alignments.
CURRENT_OSMT_HEADER = ('"Canonical URL","RSD Name","Authors","Skill Statement","Categories","Keywords","Standards",'
                       '"Certifications","Occupation Major Groups","Occupation Minor Groups","Broad Occupations",'
                       '"Detailed Occupations","O*Net Job Codes","Employers","Alignment Name","Alignment URL",'
                       '"Alignment Framework","Alignment 2 Name","Alignment 2 URL","Alignment 2 Framework"')


def convert(tmp_path: Path, *args: str) -> tuple[object, list[dict]]:
    """Run ``ctdl convert``; the result and the written documents' graphs (sorted by file name)."""
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["convert", *args, "--owner", OWNER, "-o", str(out)])
    graphs = [json.loads(p.read_text(encoding="utf-8"))["@graph"] for p in sorted(out.glob("*.json"))] \
        if out.exists() else []
    return result, graphs


@pytest.mark.parametrize("path", sorted(p for p in DATA.iterdir() if p.name != "README.md"), ids=lambda p: p.name)
def test_files_are_the_recorded_bytes(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert f"{digest}  {path.name}" in (DATA / "README.md").read_text(encoding="utf-8")


# --- OSMT CSV ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["auto", "rsd"])
def test_osmt_csv_export_is_a_framework_of_its_rsds(tmp_path: Path, kind: str) -> None:
    result, graphs = convert(tmp_path, str(OSMT_CSV), "--kind", kind)
    assert result.exit_code == 0, result.stderr
    (graph,) = graphs
    framework, *skills = graph
    assert framework["@type"] == "ceasn:CompetencyFramework" and len(skills) == 2
    first = skills[0]
    assert first["ceasn:competencyText"] == {"en-US": "Access data and data stores using the .NET Framework."}
    assert first["ceasn:competencyLabel"] == {"en-US": "Data and Data Store Access"}
    assert first["ceasn:competencyCategory"] == {"en-US": [".NET Framework"]}
    assert first["ceasn:conceptKeyword"] == {"en-US": [".NET Framework", "ADO.NET", "Language Integrated Query "
                                                       "(LINQ)", "WCF Data Services", "XML"]}
    assert first["ceasn:exactAlignment"] == ["https://skills.emsidata.com/skills/KS1200B62W5ZF38RJ7TD"]
    codes = [a["ceterms:codedNotation"] for a in first["ceterms:occupationType"]]
    assert codes == ["15-0000", "15-1200", "15-1220", "15-1250", "15-1290", "15-1251", "15-1252", "15-1253",
                     "15-1254", "15-1255", "15-1221", "15-1299"]
    assert framework["ceasn:hasTopChild"] == [s["@id"] for s in skills]
    assert "Alignment Title" in result.stderr and "Traceback" not in result.stderr


def test_osmt_csv_ctids_are_stable(tmp_path: Path) -> None:
    _, first = convert(tmp_path / "a", str(OSMT_CSV))
    _, second = convert(tmp_path / "b", str(OSMT_CSV), "--kind", "rsd")
    # No Canonical URL in this sheet: UUIDv5 CTIDs from the file and the skills, the same in every run and either way
    expected = ["ce-510c29bb-d40a-5b96-ad77-d102b77cee08", "ce-ebd24ac6-f156-5d50-8a3a-ed7cf782f20e",
                "ce-d2110102-4377-53fb-bd8c-f7dddb70aeb4"]
    assert [n["ceterms:ctid"] for n in first[0]] == [n["ceterms:ctid"] for n in second[0]] == expected


def test_osmt_csv_current_export_headers(tmp_path: Path) -> None:
    """The current export: canonical URL (its uuid is the CTID), Authors, Categories, numbered alignments; a row
    without statement and name is left out, the framework written without it."""
    uuid = "de1ed4d0-78ce-4072-917b-1d35c41e37e0"
    rows = [CURRENT_OSMT_HEADER,
            f'"https://osmt.wgu.edu/api/skills/{uuid}","New Technology Implementation","Western Governors '
            'University","Implement new technologies.","Technology; Change Management","innovation; adoption",'
            '"ISO 9001","","15-0000","15-1200","15-1250","15-1252","15-1252.00","ACME",'
            '"Tech Adoption","https://example.org/align/1","Lightcast","Adoption 2","https://example.org/align/2",'
            '""',
            '"","","","","","","","","","","","","","","","","","","",""',
            '"https://osmt.wgu.edu/api/skills/other","","","","","x","","","","","","","","","","","","","",""']
    path = tmp_path / "library-export.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result, graphs = convert(tmp_path, str(path))
    assert result.exit_code == 1, result.stderr  # one competency failed; the framework is written
    assert f"{path}, row 4, column 'Skill Statement': the RSD has no Skill Statement or name" in result.stderr
    (graph,) = graphs
    _framework, skill = graph
    assert skill["ceterms:ctid"] == f"ce-{uuid}"
    assert skill["ceasn:exactAlignment"] == ["https://example.org/align/1", "https://example.org/align/2",
                                             f"https://osmt.wgu.edu/api/skills/{uuid}"]
    assert skill["ceasn:author"] == ["Western Governors University"]
    assert skill["ceasn:competencyCategory"] == {"en-US": ["Technology", "Change Management"]}
    assert [a["ceterms:codedNotation"] for a in skill["ceterms:occupationType"]][-1] == "15-1252.00"
    for column in ("Standards", "Employers", "Alignment Name", "Alignment Framework", "Alignment 2 Name"):
        assert f"column '{column}': column not converted (names without URIs)" in result.stderr
    assert "Alignment 2 Framework" not in result.stderr  # empty in every row


def test_osmt_v2_collection_excerpt(tmp_path: Path) -> None:
    result, graphs = convert(tmp_path, str(OSMT_V2))
    assert result.exit_code == 0, result.stderr
    framework, *skills = graphs[0]
    assert framework["ceterms:ctid"] == "ce-42d882da-aec3-4e0d-9582-c8559912a9c6"
    assert framework["ceasn:author"] == ["OSMT Developer"]
    assert [s["ceterms:ctid"] for s in skills] == ["ce-cad699ef-64b9-40ee-81db-b5de69a90558",
                                                   "ce-5069cebe-102e-40ca-a2a8-7e06cfd0214b"]
    assert skills[1]["ceasn:competencyCategory"] == {"en-US": ["Agile Methodology"]}
    assert "SOC 15-1245 is not in SOC 2018" in result.stderr


# --- CASE ----------------------------------------------------------------------------------------------
def test_opensalt_package_with_non_bmp_text(tmp_path: Path) -> None:
    result, graphs = convert(tmp_path, str(CASE_UTF8))
    assert result.exit_code == 0, result.stderr
    framework, item = graphs[0]
    assert framework["ceasn:name"] == {"en-US": "UTF8 \U0001d451 Test"}
    assert item["ceasn:competencyText"] == {"en-US": "Item \U0001d451 1"}
    assert framework["ceasn:hasTopChild"] == [item["@id"]] and item["ceasn:isTopChildOf"] == framework["@id"]


# --- ESCO ----------------------------------------------------------------------------------------------
def test_esco_ict_collection(tmp_path: Path) -> None:
    result, graphs = convert(tmp_path, str(ESCO_ICT))
    assert result.exit_code == 0, result.stderr
    framework, *skills = graphs[0]
    assert len(skills) == 21 and framework["ceasn:inLanguage"] == ["en"]
    assert framework["ceasn:name"] == {"en": "ESCO ICT skills collection"}  # as ESCO names it, not "ict"
    programming = next(s for s in skills if s["ceasn:competencyLabel"] == {"en": "computer programming"})
    assert programming["ceasn:broadAlignment"] == ["http://data.europa.eu/esco/skill/f5369f2f-e52b-43d8-8d31-"
                                                   "79a6c11188d8", "http://data.europa.eu/esco/isced-f/0613"]


def test_esco_file_without_description_column_warns_once(tmp_path: Path) -> None:
    """A trimmed skills_en.csv (13,000 rows) gave one warning per row, naming a column the file does not have."""
    result, graphs = convert(tmp_path, str(ESCO_TRIMMED))
    assert result.exit_code == 0, result.stderr
    assert len(graphs[0]) == 5
    assert result.stderr.count("preferredLabel is") == 1
    assert "column 'description'" not in result.stderr
    assert f"{ESCO_TRIMMED}, row 1: no description or definition column" in result.stderr


def test_esco_api_json_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "skill.json"
    path.write_text(json.dumps({"className": "Skill", "uri": "http://data.europa.eu/esco/skill/7111b95d-0ce3-441a-"
                                "9d92-4c75d05c4388", "preferredLabel": {"en": "project management"}}), encoding="utf-8")
    result, graphs = convert(tmp_path, str(path), "--kind", "esco")
    assert result.exit_code == 2 and graphs == []
    assert f"{path}, $: ESCO API JSON is not read" in result.stderr
    assert "Traceback" not in result.stderr and "column" not in result.stderr


def test_osmt_collection_creator_is_the_publisher_without_owner(tmp_path: Path) -> None:
    # OSMT writes the organization behind a collection as its creator (a registry URI): with no --owner,
    # that organization publishes the framework, said once, rather than a framework the registry refuses.
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["convert", str(OSMT_V2), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    framework = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))["@graph"][0]
    creator = "https://credentialengineregistry.org/resources/ce-036d082d-d80e-41a7-99a0-2d63a4ad3a4a"
    assert framework["ceasn:publisher"] == [creator] and framework["ceasn:creator"] == [creator]
    assert result.stderr.count("is taken as the publisher") == 1
    assert "no publisher" not in result.stderr.replace("no publisher given", "")
    # --owner still decides
    result, graphs = convert(tmp_path / "owned", str(OSMT_V2))
    assert graphs[0][0]["ceasn:publisher"] == [BASE + OWNER] and "taken as the publisher" not in result.stderr


def test_esco_collection_names_keep_esco_spelling(tmp_path: Path) -> None:
    from ctdl_tools.catalog.esco import read_esco_csv

    for file_name, expected in (("digCompSkillsCollection_en.csv", "ESCO DigComp skills collection"),
                                ("greenSkillsCollection_en.csv", "ESCO green skills collection")):
        copy = tmp_path / file_name
        copy.write_bytes(ESCO_ICT.read_bytes())
        (framework,) = read_esco_csv(copy)
        assert framework.name == expected


def test_an_rsd_without_text_is_left_out_in_json_as_in_csv(tmp_path: Path) -> None:
    # Found in review: in OSMT's CSV a skill with no statement and no name is left out and the framework
    # written; in OSMT's JSON the same skill failed the whole framework. Both now leave out that skill only.
    collection = json.loads(OSMT_V2.read_text(encoding="utf-8"))
    empty = {**collection["skills"][0], "skillStatement": "", "skillName": "", "uuid": "0000-empty"}
    collection["skills"].append(empty)
    given = tmp_path / "collection.json"
    given.write_text(json.dumps(collection), encoding="utf-8")
    result, graphs = convert(tmp_path, str(given))
    assert result.exit_code == 1
    assert "$.skills[2].skillStatement: the RSD has no skillStatement or skillName: it is left out" in result.stderr
    assert len(graphs) == 1 and len(graphs[0]) == 3  # the framework and its two other skills


def test_an_osmt_csv_of_one_collection_keeps_its_ctids_when_the_file_is_renamed(tmp_path: Path) -> None:
    # Found in the docs round: the framework's identity (and, without Canonical URLs, its skills' CTIDs) came
    # from the file name, so a renamed export of the same collection published a second framework.
    rows = ('"RSD Name","Skill Statement","Collections"\n'
            '"Weld Safety","Work safely in a weld shop.","Welding Collection"\n'
            '"Flat Welds","Weld in the flat position.","Welding Collection"\n')
    ctids = []
    for name in ("export-2025-01.csv", "renamed.csv"):
        source = tmp_path / name
        source.write_text(rows, encoding="utf-8")
        result, graphs = convert(tmp_path / name.removesuffix(".csv"), str(source))
        assert result.exit_code == 0, result.stderr
        assert graphs[0][0]["ceasn:name"] == {"en-US": "Welding Collection"}
        ctids.append([node["ceterms:ctid"] for node in graphs[0]])
    assert ctids[0] == ctids[1] and len(ctids[0]) == 3


def test_an_osmt_csv_of_several_collections_is_named_after_its_file(tmp_path: Path) -> None:
    rows = ('"RSD Name","Skill Statement","Collections"\n'
            '"Weld Safety","Work safely in a weld shop.","Welding Collection"\n'
            '"Flat Welds","Weld in the flat position.","Fabrication Collection"\n')
    source = tmp_path / "shop-skills.csv"
    source.write_text(rows, encoding="utf-8")
    result, graphs = convert(tmp_path / "out", str(source))
    assert result.exit_code == 0, result.stderr
    assert graphs[0][0]["ceasn:name"] == {"en-US": "Shop skills"} and len(graphs[0]) == 3
