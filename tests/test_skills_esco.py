"""ESCO skills CSV downloads → one CTDL-ASN framework document."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from pyld import jsonld

from ctdl_tools.build.context import BuildContext
from ctdl_tools.build.document import GraphDocument
from ctdl_tools.build.framework import build_framework, index_framework
from ctdl_tools.catalog.esco import read_esco_csv
from ctdl_tools.catalog.model import SkillFramework
from ctdl_tools.ctid import DEFAULT_NAMESPACE, derive_ctid
from ctdl_tools.errors import InputError
from ctdl_tools.vocab import offline_loader
from ctdl_tools.vocab.expansion import dropped_terms

DATA = Path(__file__).parent / "data" / "catalogs"
TRANSVERSAL = DATA / "esco_transversalSkillsCollection_en.csv"
SKILL = "http://data.europa.eu/esco/skill/"
ADVICE = SKILL + "045f71e6-0699-4169-8a54-9c6b96f3174d"          # give advice to others
INTERFACE = SKILL + "04fe962b-4017-4eb7-9139-7d69b6922bc9"       # child of "use databases" (in the file)
DATABASES = SKILL + "4463a721-69f3-413d-8321-43e3af13a4f1"
STORE = SKILL + "611ed16b-99bf-4840-9cab-f55d1d286e0a"           # three broader concepts, one in the file
MANAGE = SKILL + "4d97e3c3-f335-47cc-a4ee-0d779fd42222"           # manage data, information and digital content
OWNER = "ce-5b0f0f4e-3c1a-4f8e-9d55-2f4b9b7a1c01"


def build(frameworks: list[SkillFramework]) -> tuple[list[GraphDocument | None], BuildContext]:
    ctx = BuildContext(namespace=DEFAULT_NAMESPACE, owner=OWNER)
    for fw in frameworks:
        index_framework(fw, ctx)
    return [build_framework(fw, ctx) for fw in frameworks], ctx


def nodes_by_alignment(doc: GraphDocument) -> dict[str, dict]:
    """Competency nodes by their ESCO concept URI (their first exact alignment)."""
    return {n["ceasn:exactAlignment"][0]: n for n in doc.nodes[1:]}


def test_corpus_file_is_the_copied_bytes() -> None:
    digest = hashlib.sha256(TRANSVERSAL.read_bytes()).hexdigest()
    assert f"{digest}  {TRANSVERSAL.name}" in (DATA / "README.md").read_text(encoding="utf-8")


def test_transversal_collection_is_one_framework_of_107() -> None:
    (fw,) = read_esco_csv(TRANSVERSAL)
    assert fw.name == "ESCO transversal skills collection" and fw.language == "en"
    assert len(fw.competencies) == 107
    (doc,), ctx = build([fw])
    assert doc is not None and not ctx.problems.errors and not ctx.problems.warnings
    assert len(doc.nodes) == 108
    framework = doc.nodes[0]
    assert framework["ceasn:inLanguage"] == ["en"] and framework["ceasn:source"] == ["https://esco.ec.europa.eu"]
    # keys are the concept URIs: CTIDs derive from "<framework key>:<conceptUri>"
    assert doc.nodes[1]["ceterms:ctid"] == derive_ctid(
        DEFAULT_NAMESPACE, f"competency:esco:esco_transversalSkillsCollection_en:{ADVICE}")


def test_known_concept() -> None:
    (doc,), _ = build(read_esco_csv(TRANSVERSAL))
    advice = nodes_by_alignment(doc)[ADVICE]
    assert advice["ceasn:competencyText"] == {"en": "Offer suggestions about the best course of action."}
    assert advice["ceasn:competencyLabel"] == {"en": "give advice to others"}
    assert advice["ceasn:competencyCategory"] == {"en": ["skill/competence", "transversal"]}
    keywords = advice["ceasn:conceptKeyword"]["en"]
    assert len(keywords) == 11 and "counsel others" in keywords and keywords[0] == "make recommendations to others"
    assert advice["ceasn:exactAlignment"] == [ADVICE]
    # its two broader concepts (skill pillar groups) are not in the file: broad alignments, a top child
    assert advice["ceasn:broadAlignment"] == [SKILL + "8f18f987-33e2-4228-9efb-65de25d03330", SKILL + "S1.5.0"]
    assert "ceasn:isTopChildOf" in advice


def test_hierarchy_inside_the_file() -> None:
    (doc,), _ = build(read_esco_csv(TRANSVERSAL))
    nodes = nodes_by_alignment(doc)
    assert nodes[INTERFACE]["ceasn:isChildOf"] == [nodes[DATABASES]["@id"]]
    assert nodes[INTERFACE]["@id"] in nodes[DATABASES]["ceasn:hasChild"]
    store = nodes[STORE]
    assert store["ceasn:isChildOf"] == [nodes[MANAGE]["@id"]]
    assert store["ceasn:broadAlignment"] == [SKILL + "629685b8-5f9e-4522-8cff-b3e2c4ec625a", SKILL + "S5.5.2"]
    children = [n for n in doc.nodes[1:] if "ceasn:isChildOf" in n]
    assert len(children) == 22 and len(doc.nodes[0]["ceasn:hasTopChild"]) == 85


def test_expands_without_dropping_any_key_and_is_deterministic() -> None:
    (doc,), _ = build(read_esco_csv(TRANSVERSAL))
    (again,), _ = build(read_esco_csv(TRANSVERSAL))
    assert doc.to_bytes() == again.to_bytes()
    data = json.loads(doc.to_bytes())
    expanded = json.dumps(jsonld.expand(data, {"documentLoader": offline_loader()}))
    for key in ("competencyText", "broadAlignment", "isChildOf", "hasChild", "conceptKeyword", "hasTopChild"):
        assert f"https://purl.org/ctdlasn/terms/{key}" in expanded
    assert dropped_terms(data) == []


SKILLS_EN = (
    "conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,status,description,broaderConceptUri\n"
    'KnowledgeSkillCompetence,http://x.org/esco/a,skill/competence,cross-sector,do A,"a one\na two",released,'
    "Do A well.,\n"
    "KnowledgeSkillCompetence,http://x.org/esco/b,knowledge,sector-specific,know B,,released,,\n"
    'KnowledgeSkillCompetence,http://x.org/esco/c,skill/competence,transversal,do C,,released,Do C.,'
    '"http://x.org/esco/a\nhttp://x.org/esco/b"\n'
    "Occupation,http://x.org/esco/occupation/1,,,pilot,,released,Flies.,\n"
)


def test_poly_hierarchy_and_newline_separated_values(tmp_path: Path) -> None:
    path = tmp_path / "skills_fr.csv"
    path.write_text(SKILLS_EN, encoding="utf-8")
    (fw,) = read_esco_csv(path, name="My ESCO selection")
    assert fw.name == "My ESCO selection" and fw.language == "fr"
    (doc,), ctx = build([fw])
    nodes = nodes_by_alignment(doc)
    assert set(nodes) == {"http://x.org/esco/a", "http://x.org/esco/b", "http://x.org/esco/c"}
    c = nodes["http://x.org/esco/c"]
    assert c["ceasn:isChildOf"] == [nodes["http://x.org/esco/a"]["@id"], nodes["http://x.org/esco/b"]["@id"]]
    assert nodes["http://x.org/esco/a"]["ceasn:conceptKeyword"] == {"fr": ["a one", "a two"]}
    assert nodes["http://x.org/esco/a"]["ceasn:publicationStatusType"] == "publicationStatus:Published"
    # no description: the preferred label, warned; the occupation row is skipped, warned
    assert nodes["http://x.org/esco/b"]["ceasn:competencyText"] == {"fr": "know B"}
    warned = {(p.where.row, p.where.column) for p in ctx.problems.warnings}
    assert (3, "description") in warned and (5, "conceptType") in warned
    assert doc.nodes[0]["ceasn:hasTopChild"] == [nodes["http://x.org/esco/a"]["@id"], nodes["http://x.org/esco/b"]["@id"]]


def test_missing_columns_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "skills.csv"
    path.write_text("conceptType,description\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError, match="conceptUri, preferredLabel"):
        read_esco_csv(path)


def test_not_utf8_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "skills.csv"
    path.write_bytes("conceptUri,preferredLabel\nhttp://x.org/a,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_esco_csv(path)
