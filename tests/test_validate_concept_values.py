"""Concept values, in both of the ways CTDL data writes them (STRUCT-CONCEPT-SCHEME).

A property with a closed target scheme (``meta:targetScheme`` naming a ``skos:ConceptScheme``) is written in
registry records as a ``ceterms:CredentialAlignmentObject`` whose ``ceterms:targetNode`` is the concept, and by
the Registry Assistant's input and many providers as the bare concept IRI (``"credentialStat:Active"``).
Both must be a concept of the scheme, whatever the property's range says (found in acceptance testing: a bare
``credentialStat:Foo`` or ``lifeCycle:Active`` passed on ``ceterms:credentialStatusType``, whose range is the
alignment object, while the same value on ``ceterms:creditLevelType``, whose range is ``skos:Concept``, was
reported). One wrong value is one finding, on every engine.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from ctdl_tools.validate import VIOLATION, validate
from ctdl_tools.validate.engine import available
from ctdl_tools.validate.shapes_build import CODE_FORMS, concept_shapes, typed_scheme_ids
from ctdl_tools.vocab import vocabulary

from .conftest import DATA

RULE = "STRUCT-CONCEPT-SCHEME"
VOCABS = "https://purl.org/ctdl/vocabs/"


def wgu(name: str = "mba") -> dict:
    return json.loads((DATA / "registry" / f"wgu_{name}_resource.json").read_text(encoding="utf-8"))


def alignment(concept: str) -> dict:
    return {"@type": "ceterms:CredentialAlignmentObject", "ceterms:targetNode": concept}


def findings(doc: dict | list[dict], engine: str | None = None) -> Counter:
    report = validate(copy.deepcopy(doc), engine=engine) if engine else validate(copy.deepcopy(doc))
    return Counter((f.rule_id, f.severity, f.property, f.value) for f in report.findings)


def new_findings(change: Callable[[dict], None], doc: dict | None = None) -> Counter:
    clean = doc if doc is not None else wgu()
    broken = copy.deepcopy(clean)
    change(broken)
    return findings(broken) - findings(clean)


def concept_finding(prop: str, concept: str) -> tuple:
    return (RULE, VIOLATION, prop, VOCABS + concept.replace(":", "/"))


# --- the bare concept IRI ------------------------------------------------------------------------------------
def test_bare_unknown_concept() -> None:
    new = new_findings(lambda d: d.update({"ceterms:credentialStatusType": "credentialStat:Foo"}))
    assert new == Counter({concept_finding("ceterms:credentialStatusType", "credentialStat:Foo"): 1})


def test_bare_concept_of_the_wrong_scheme() -> None:
    new = new_findings(lambda d: d.update({"ceterms:credentialStatusType": "lifeCycle:Active"}))
    assert new == Counter({concept_finding("ceterms:credentialStatusType", "lifeCycle:Active"): 1})
    report = validate([_changed({"ceterms:credentialStatusType": "lifeCycle:Active"})])
    (found,) = [f for f in report.findings if f.rule_id == RULE]
    assert found.message == ("The value of ceterms:credentialStatusType is not a concept of ceterms:CredentialStatus "
                             "(lifeCycle:Active is a concept of ceterms:LifeCycleStatus; for this property, write "
                             "credentialStat:Active)")
    assert found.pointer.endswith("/ceterms:credentialStatusType")  # points at the value written


def test_bare_valid_concept_raises_nothing() -> None:
    assert new_findings(lambda d: d.update({"ceterms:credentialStatusType": "credentialStat:Active"})) == Counter()
    full = VOCABS + "credentialStat/Deprecated"  # the full IRI too
    assert new_findings(lambda d: d.update({"ceterms:credentialStatusType": full})) == Counter()
    levels = ["audLevel:MastersDegreeLevel", "audLevel:GraduateLevel"]
    assert new_findings(lambda d: d.update({"ceterms:audienceLevelType": levels})) == Counter()


def test_array_of_bare_values_with_one_bad() -> None:
    levels = ["audLevel:MastersDegreeLevel", "audLevel:Foo", "audLevel:GraduateLevel"]
    new = new_findings(lambda d: d.update({"ceterms:audienceLevelType": levels}))
    assert new == Counter({concept_finding("ceterms:audienceLevelType", "audLevel:Foo"): 1})


def test_wrapped_form_still_checked_and_mixed_arrays_report_each_bad_value_once() -> None:
    def wrapped(d: dict) -> None:
        d["ceterms:credentialStatusType"]["ceterms:targetNode"] = "credentialStat:Foo"
    assert new_findings(wrapped) == Counter({concept_finding("ceterms:credentialStatusType", "credentialStat:Foo"): 1})
    mixed = [alignment("audLevel:Foo"), "audLevel:Bar", alignment("audLevel:GraduateLevel"), "audLevel:Primary"]
    new = new_findings(lambda d: d.update({"ceterms:audienceLevelType": mixed}))
    assert new == Counter({concept_finding("ceterms:audienceLevelType", "audLevel:Foo"): 1,
                           concept_finding("ceterms:audienceLevelType", "audLevel:Bar"): 1})


def test_both_kinds_of_range_are_checked_alike() -> None:
    # creditLevelType's range is skos:Concept, credentialStatusType's the alignment object: the same checks.
    for prop, bad, good in [("ceterms:creditLevelType", "audLevel:Foo", "audLevel:GraduateLevel"),
                            ("ceterms:audienceLevelType", "audLevel:Foo", "audLevel:GraduateLevel")]:
        for value in (bad, alignment(bad)):
            new = new_findings(lambda d, p=prop, v=value: d.update({p: v}))
            assert [k for k in new.elements() if k[0] == RULE] == [concept_finding(prop, bad)], (prop, value)
        for value in (good, alignment(good)):
            new = new_findings(lambda d, p=prop, v=value: d.update({p: v}))
            assert not [k for k in new if k[0] == RULE], (prop, value)


def test_text_where_the_concept_belongs_is_reported_once_by_its_own_rule() -> None:
    # Literal values are not concept-scheme findings: each is one finding, as it was before bare IRIs were checked.
    text = new_findings(lambda d: d.update({"ceterms:credentialStatusType": {"@value": "Active"}}))
    assert text == Counter({("STRUCT-IRI-VALUED", VIOLATION, "ceterms:credentialStatusType", "Active"): 1})
    relative = new_findings(lambda d: d.update({"ceterms:credentialStatusType": "Active"}))  # no prefix
    assert relative == Counter({("JSONLD-RELATIVE-IRI", VIOLATION, "ceterms:credentialStatusType", "Active"): 1})


def test_an_alignment_object_with_an_id_is_checked_by_its_target_node() -> None:
    def described(target: str) -> Callable[[dict], None]:
        node = {"@id": "https://example.org/alignment/1", **alignment(target)}
        return lambda d: d.update({"ceterms:credentialStatusType": node})
    assert new_findings(described("credentialStat:Active")) == Counter()
    bad = new_findings(described("credentialStat:Foo"))
    assert bad == Counter({concept_finding("ceterms:credentialStatusType", "credentialStat:Foo"): 1})


# --- real records --------------------------------------------------------------------------------------------
def _closed_properties() -> set[str]:
    vocab, typed = vocabulary(), typed_scheme_ids()
    return {p.id for p in vocab.properties.values()
            if any(s in typed and vocab.concepts_in(s) for s in p.target_schemes)}


def _unwrap(node: object, closed: set[str]) -> object:
    """Every alignment object of a closed-scheme property replaced by its bare targetNode."""
    if isinstance(node, list):
        return [_unwrap(x, closed) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in closed:
            values = [v["ceterms:targetNode"] if isinstance(v, dict) and "ceterms:targetNode" in v
                      else _unwrap(v, closed) for v in (value if isinstance(value, list) else [value])]
            out[key] = values if isinstance(value, list) else values[0]
        else:
            out[key] = _unwrap(value, closed)
    return out


REAL = sorted((DATA / "registry").glob("wgu_*_resource.json")) + [
    DATA / "registry" / n for n in ("CredentialWithMultipleLanguages_Api_output.json",
                                    "CredentialGraphSampleInput.json", "OrganizationEnvelope.json",
                                    "ra_learningopportunity_160-driving-academy_published.json")]


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_real_records_written_with_bare_concepts_raise_nothing_new(path: Path, no_network: None) -> None:
    doc = json.loads(path.read_text(encoding="utf-8-sig"))
    bare = _unwrap(doc, _closed_properties())
    assert bare != doc  # there was something to unwrap
    assert findings(bare) == findings(doc)


# --- the generated shapes ------------------------------------------------------------------------------------
def test_every_closed_scheme_property_gets_both_forms_and_code_lists_none() -> None:
    shapes = {s.name: s for s in concept_shapes(vocabulary(), typed_scheme_ids())}
    closed = _closed_properties()
    assert {"ceterms:credentialStatusType", "ceterms:audienceLevelType", "ceterms:creditLevelType",
            "ceterms:lifeCycleStatusType", "ceterms:deliveryType", "ceterms:audienceType"} <= closed
    for prop in closed:
        local = "".join(ch if ch.isalnum() else "_" for ch in prop)
        bare, wrapped = shapes[f"P_{local}_scheme"], shapes[f"P_{local}_scheme_alignment"]
        assert any(line.startswith("sh:path ") and " " not in line[8:] for line in bare.lines), prop
        assert any(line.endswith(" ceterms:targetNode )") for line in wrapped.lines), prop
        assert all('ctshapes:ruleId "STRUCT-CONCEPT-SCHEME"' in s.lines for s in (bare, wrapped))
    vocab = vocabulary()
    external = {p.id for p in vocab.properties.values() if set(p.target_schemes) & set(CODE_FORMS)}
    assert external and not external & closed
    for prop in external:  # checked by code form only, never by membership
        local = "".join(ch if ch.isalnum() else "_" for ch in prop)
        assert f"P_{local}_scheme" not in shapes and f"P_{local}_scheme_alignment" not in shapes


# --- engines ---------------------------------------------------------------------------------------------------
CASES = [
    {"ceterms:credentialStatusType": "credentialStat:Foo"},
    {"ceterms:credentialStatusType": "lifeCycle:Active"},
    {"ceterms:credentialStatusType": "credentialStat:Active"},
    {"ceterms:audienceLevelType": ["audLevel:MastersDegreeLevel", "audLevel:Foo"]},
    {"ceterms:audienceLevelType": [alignment("audLevel:Foo"), "audLevel:Bar", alignment("audLevel:Primary")]},
    {"ceterms:credentialStatusType": alignment("credentialStat:Foo")},
    {"ceterms:credentialStatusType": {"@value": "Active"}},
    {"ceterms:creditLevelType": "audLevel:Foo"},
]


def _changed(change: dict, i: int | None = None) -> dict:
    doc = wgu()
    doc.update(copy.deepcopy(change))
    if i is not None:  # a record of its own in one submission
        doc["ceterms:ctid"] = doc["ceterms:ctid"][:-2] + f"{i:02d}"
        doc["@id"] = doc["@id"].rpartition("/")[0] + "/" + doc["ceterms:ctid"]
    return doc


@pytest.mark.skipif(not available("pyshacl"), reason="needs pyshacl")
def test_native_and_pyshacl_agree_on_concept_values() -> None:
    docs = [_changed(change, i) for i, change in enumerate(CASES)]
    native, reference = validate(copy.deepcopy(docs), engine="native"), validate(docs, engine="pyshacl")
    assert (native.engine, reference.engine) == ("native", "pyshacl")

    def shacl(report) -> Counter:
        return Counter((f.focus, f.rule_id, f.severity, f.property, f.value) for f in report.findings if f.shape)
    assert shacl(native) == shacl(reference)
    concept = Counter((f.ctid[-2:], f.value) for f in native.findings if f.rule_id == RULE)
    assert concept == Counter({("00", VOCABS + "credentialStat/Foo"): 1, ("01", VOCABS + "lifeCycle/Active"): 1,
                               ("03", VOCABS + "audLevel/Foo"): 1, ("04", VOCABS + "audLevel/Foo"): 1,
                               ("04", VOCABS + "audLevel/Bar"): 1, ("05", VOCABS + "credentialStat/Foo"): 1,
                               ("07", VOCABS + "audLevel/Foo"): 1})
