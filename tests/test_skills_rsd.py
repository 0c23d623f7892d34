"""OSMT Rich Skill Descriptors (collection v3, single RSD, v2 strings) → CTDL-ASN framework documents."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from ctdl_tools.build.context import BuildContext
from ctdl_tools.build.document import GraphDocument
from ctdl_tools.build.framework import build_framework, index_framework
from ctdl_tools.catalog.model import SkillFramework
from ctdl_tools.catalog.rsd import OCCUPATION_PROPERTY, occupation_property_allowed, read_rsd
from ctdl_tools.ctid import DEFAULT_NAMESPACE
from ctdl_tools.errors import InputError
from ctdl_tools.vocab import offline_loader, vocabulary
from ctdl_tools.vocab.expansion import dropped_terms

DATA = Path(__file__).parent / "data" / "catalogs"
COLLECTION = DATA / "rsd_osmt_collection_it-network_v3.json"
COLLECTION_UUID = "42d882da-aec3-4e0d-9582-c8559912a9c6"
SKILL = "f6538cc1-8fdf-4f11-b373-781571b386bf"
OWNER = "ce-5b0f0f4e-3c1a-4f8e-9d55-2f4b9b7a1c01"
BASE = "https://credentialengineregistry.org/resources/"
CAO = "ceterms:CredentialAlignmentObject"


def build(frameworks: list[SkillFramework]) -> tuple[list[GraphDocument | None], BuildContext]:
    ctx = BuildContext(namespace=DEFAULT_NAMESPACE, owner=OWNER)
    for fw in frameworks:
        index_framework(fw, ctx)
    return [build_framework(fw, ctx) for fw in frameworks], ctx


def keys_in(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        found |= {k for k in node if not k.startswith("@")}
        for value in node.values():
            found |= keys_in(value)
    elif isinstance(node, list):
        for value in node:
            found |= keys_in(value)
    return found


def test_corpus_file_is_the_copied_bytes() -> None:
    digest = hashlib.sha256(COLLECTION.read_bytes()).hexdigest()
    assert f"{digest}  {COLLECTION.name}" in (DATA / "README.md").read_text(encoding="utf-8")


def test_occupation_type_is_a_competency_property_in_the_vocabulary() -> None:
    info = vocabulary().properties[OCCUPATION_PROPERTY]
    assert "ceasn:Competency" in info.domain and CAO in info.range
    assert occupation_property_allowed()


def test_collection_is_one_framework_of_24_competencies() -> None:
    (fw,) = read_rsd(COLLECTION)
    assert fw.key == COLLECTION_UUID and fw.name == "IT Network" and fw.description == "Computer Networking in IT"
    assert len(fw.competencies) == 24
    (doc,), ctx = build([fw])
    assert doc is not None and not ctx.problems.errors
    assert doc.ctid == f"ce-{COLLECTION_UUID}"
    skills = json.loads(COLLECTION.read_text(encoding="utf-8"))["skills"]
    assert [n["ceterms:ctid"] for n in doc.nodes[1:]] == [f"ce-{s['uuid']}" for s in skills]
    framework = doc.nodes[0]
    assert len(framework["ceasn:hasTopChild"]) == 24
    assert framework["ceasn:publisher"] == [BASE + OWNER]
    assert framework["ceasn:creator"] == [BASE + "ce-036d082d-d80e-41a7-99a0-2d63a4ad3a4a"]
    assert framework["ceasn:author"] == ["OSMT Developer"]
    assert framework["ceasn:publicationStatusType"] == "publicationStatus:Published"
    assert framework["ceasn:dateCreated"] == "2023-02-28"


def test_known_skill() -> None:
    (doc,), _ = build(read_rsd(COLLECTION))
    node = next(n for n in doc.nodes if n["ceterms:ctid"] == f"ce-{SKILL}")
    assert node["ceasn:competencyLabel"] == {"en-US": "Validation and Troubleshooting"}
    assert node["ceasn:competencyText"]["en-US"].startswith("Validate authorization and authentication runbooks")
    assert node["ceasn:competencyCategory"] == {"en-US": ["Authentications"]}
    keywords = node["ceasn:conceptKeyword"]["en-US"]
    assert keywords.count("Authentications") == 1 and "WGUSID: 1619.1" in keywords  # duplicates dropped
    assert node["ceasn:exactAlignment"] == [f"http://localhost:8080/api/skills/{SKILL}"]
    assert node["ceasn:isTopChildOf"] == BASE + f"ce-{COLLECTION_UUID}"


def test_occupations_become_soc_alignments() -> None:
    (doc,), ctx = build(read_rsd(COLLECTION))
    node = next(n for n in doc.nodes if n["ceterms:ctid"] == f"ce-{SKILL}")
    occupations = node[OCCUPATION_PROPERTY]
    codes = [o["ceterms:codedNotation"] for o in occupations]
    assert codes[:4] == ["11-0000", "11-3000", "11-3020", "11-3021"] and "15-1244" in codes and len(codes) == 15
    admin = occupations[codes.index("15-1244")]
    assert admin == {"@type": CAO, "ceterms:codedNotation": "15-1244", "ceterms:framework": "https://www.bls.gov/soc/2018/",
                     "ceterms:frameworkName": {"en-US": "Standard Occupational Classification"},
                     "ceterms:targetNodeName": {"en-US": "Network and Computer Systems Administrators"}}
    # every skill of the collection has SOC occupations
    assert all(n.get(OCCUPATION_PROPERTY) for n in doc.nodes[1:])
    # a code that is not SOC 2018 is kept, with a warning at its JSON path
    assert any("15-1245" in p.message and p.where.path == "$.skills[0].occupations[14].code"
               for p in ctx.problems.warnings)


def test_a_code_listed_under_many_skills_is_one_warning_naming_the_other_places() -> None:
    # The collection lists four codes that are not SOC 2018 under 7 to 11 skills each: that was 33 lines of the
    # same four messages. One per code now, at its first place, with the next three and how many more.
    _, ctx = build(read_rsd(COLLECTION))
    retired = [p for p in ctx.problems.warnings if "is not in SOC 2018" in p.message]
    assert [p.message.split(" is not")[0] for p in retired] == ["SOC 15-1245", "SOC 15-1256", "SOC 15-1257",
                                                                "SOC 15-1259"]
    first = retired[0]
    assert first.where.path == "$.skills[0].occupations[14].code"
    assert first.message.endswith("(also at $.skills[1].occupations[14].code, $.skills[8].occupations[4].code, "
                                  "$.skills[9].occupations[4].code and 6 more)")
    assert retired[2].message.endswith("$.skills[15].occupations[10].code)")  # four places: all named


def test_localhost_urls_are_warned_once() -> None:
    _, ctx = build(read_rsd(COLLECTION))
    assert [p.message for p in ctx.problems.warnings if "localhost" in p.message] == [
        "canonical RSD URLs point at localhost: kept, but registry users cannot resolve them"]


def test_collection_expands_without_dropping_any_key() -> None:
    (doc,), _ = build(read_rsd(COLLECTION))
    data = json.loads(doc.to_bytes())
    expanded = keys_in(jsonld.expand(data, {"documentLoader": offline_loader()}))
    vocab = vocabulary()
    for key in keys_in(data["@graph"]) - {"en-US"}:
        assert vocab.expand(key) in expanded, key
    assert dropped_terms(data) == []


def test_build_is_deterministic() -> None:
    (first,), _ = build(read_rsd(COLLECTION))
    (second,), _ = build(read_rsd(COLLECTION))
    assert first.to_bytes() == second.to_bytes()


# --- single RSDs, v2 strings, lists ---------------------------------------------------------------------
V2_SKILL = {
    "type": "RichSkillDescriptor", "uuid": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "id": "https://osmt.example.org/api/skills/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "status": "draft",
    "skillName": "Python Scripting", "skillStatement": "Write Python scripts to automate routine tasks.",
    "author": "Bilbo Baggins;Western Governors University", "category": "Programming; Automation",
    "keywords": ["python", "python", "scripting"],
    "alignments": [{"id": "https://skills.emsidata.com/skills/KS127296VDYS7ZFWVC46", "skillName": "Python"}],
    "occupations": [{"code": "15-1252.00", "frameworkName": "o*net"}, {"code": "not a code"}],
    "standards": [{"skillName": "NICE_SP_DEV"}], "creator": "https://credentialengineregistry.org/resources/"
                                                          "ce-036d082d-d80e-41a7-99a0-2d63a4ad3a4a",
    "creationDate": "2021-03-01T10:00:00Z", "updateDate": "2022-01-02T03:04:05Z",
}


def test_single_v2_rsd(tmp_path: Path) -> None:
    path = tmp_path / "skill.json"
    path.write_text(json.dumps(V2_SKILL), encoding="utf-8")
    (fw,) = read_rsd(path)
    assert fw.name == "Python Scripting" and len(fw.competencies) == 1
    (doc,), ctx = build([fw])
    assert doc is not None and not ctx.problems.errors
    node = doc.nodes[1]
    assert node["ceterms:ctid"] == "ce-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert node["ceasn:author"] == ["Bilbo Baggins", "Western Governors University"]
    assert node["ceasn:competencyCategory"] == {"en-US": ["Programming", "Automation"]}
    assert node["ceasn:conceptKeyword"] == {"en-US": ["python", "scripting"]}
    assert node["ceasn:exactAlignment"] == ["https://skills.emsidata.com/skills/KS127296VDYS7ZFWVC46", V2_SKILL["id"]]
    assert node["ceasn:publicationStatusType"] == "publicationStatus:Draft"
    assert node["ceasn:dateCreated"] == "2021-03-01" and node["ceasn:dateModified"] == "2022-01-02T03:04:05Z"
    (onet,) = node[OCCUPATION_PROPERTY]
    assert onet["ceterms:codedNotation"] == "15-1252.00"
    assert onet["ceterms:targetNode"] == "https://www.onetonline.org/link/summary/15-1252.00"
    messages = [p.message for p in ctx.problems.warnings]
    assert any("'not a code'" in m for m in messages)
    assert any("not converted (names without URIs): standards" in m for m in messages)
    assert dropped_terms(json.loads(doc.to_bytes())) == []


def test_list_of_rsds_and_missing_statement(tmp_path: Path) -> None:
    second = dict(V2_SKILL, uuid="1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", skillStatement="")
    path = tmp_path / "my-skills.json"
    path.write_text(json.dumps([V2_SKILL, second]), encoding="utf-8")
    (fw,) = read_rsd(path)
    assert fw.name == "My skills" and [c.text for c in fw.competencies] == [V2_SKILL["skillStatement"],
                                                                             "Python Scripting"]
    _, ctx = build([fw])
    assert any(p.where.path == "$[1].skillStatement" for p in ctx.problems.warnings)


@pytest.mark.parametrize(("content", "message"), [
    (b"42", "not an OSMT RSD"),
    (b'{"type": "RichSkillCollection", "skills": {}}', "skills must be a list"),
    (b'{"type": "RichSkillCollection", "skills": [3]}', "each skill must be an RSD object"),
    (b"[" * 100_000, "JSON"),
])
def test_unreadable_rsd_is_an_input_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_rsd(path)


def test_pass_two_may_read_the_file_again() -> None:
    ctx = BuildContext(namespace=DEFAULT_NAMESPACE, owner=OWNER)
    for fw in read_rsd(COLLECTION):
        index_framework(fw, ctx)
    (doc,) = [build_framework(fw, ctx) for fw in read_rsd(COLLECTION)]  # equal, not identical, objects
    assert doc is not None and not ctx.problems.errors
