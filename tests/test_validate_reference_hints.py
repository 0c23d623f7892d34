"""A relative IRI is told what it most likely is when "use an absolute URL" would be the wrong advice."""

from __future__ import annotations

import copy

import pytest

from ctdl_tools.validate import validate

from .test_validate_gate import LEARNING, main

ORG_CTID = main(LEARNING, 0)["ceterms:ctid"]


@pytest.mark.parametrize(("prop", "value", "said"), [
    # Found in acceptance testing: each of these was told "is a relative IRI; use an absolute URL".
    ("ceterms:offeredBy", ORG_CTID,
     f"is a CTID, not a URI: write the record's registry URI, https://credentialengineregistry.org/resources/{ORG_CTID}"),
    ("ceterms:lifeCycleStatusType", "Active",
     "is not a reference: ceterms:lifeCycleStatusType takes a concept of ceterms:LifeCycleStatus, "
     "here lifeCycle:Active"),
    ("ceterms:availableAt", "Main campus, Riverbend OH",
     "is text where ceterms:availableAt takes a ceterms:Place: an object with its properties, or the URL of one"),
    ("ceterms:estimatedDuration", "P2Y", "is text where ceterms:estimatedDuration takes a ceterms:DurationProfile"),
    ("ceterms:subjectWebpage", "www.riverbend.example.edu/welding",
     "has no scheme: write the whole URL, https://www.riverbend.example.edu/welding"),
])
def test_relative_iri_hints(prop: str, value: str, said: str) -> None:
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)[prop] = value
    [found] = [f for f in validate(docs).findings if f.rule_id == "JSONLD-RELATIVE-IRI"]
    assert found.property == prop and found.value == value
    assert f"{value!r} {said}" in found.message


def test_other_relative_iris_keep_the_general_advice() -> None:
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)["ceterms:subjectWebpage"] = "welding/wld-101"
    [found] = [f for f in validate(docs).findings if f.rule_id == "JSONLD-RELATIVE-IRI"]
    assert found.message == "'welding/wld-101' is a relative IRI; use an absolute URL"


def test_a_value_object_where_a_language_map_belongs_is_one_finding_saying_what_to_write() -> None:
    # Found in acceptance testing: {"@value": …, "@language": "en-US"} as a name gave "'@value' is not a BCP 47
    # language tag" and the same for '@language': two findings, neither saying what to write.
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)["ceterms:name"] = {"@value": "WLD 101 Shielded Metal Arc Welding", "@language": "en-US"}
    found = [f for f in validate(docs).findings if f.rule_id.startswith("JSONLD-")]
    assert [f.rule_id for f in found] == ["JSONLD-LANGMAP-FORM"]
    assert found[0].message.endswith('write {"en-US": "WLD 101 Shielded Metal Arc Welding"}')
    assert found[0].pointer.endswith("/ceterms:name")


def test_a_concept_whose_prefix_the_context_does_not_define_says_which_context_does() -> None:
    # Found in acceptance testing: a credential written with the CTDL-ASN context got "not a concept of
    # ceterms:CredentialStatus" for credentialStat:Active, with nothing about the context (which does not
    # define the credentialStat: prefix).
    docs = copy.deepcopy(LEARNING)
    docs[2]["@context"] = "https://credreg.net/ctdlasn/schema/context/json"
    main(docs, 2)["ceterms:lifeCycleStatusType"] = "lifeCycle:Active"
    found = [f for f in validate(docs).findings if f.rule_id == "STRUCT-CONCEPT-SCHEME"]
    said = {f.property: f.message for f in found}
    assert said["ceterms:lifeCycleStatusType"].endswith(
        "(its prefix lifeCycle: is not defined by this document's @context; "
        "https://credreg.net/ctdl/schema/context/json defines it)")
    assert all("is not defined by this document's @context" in message for message in said.values())


@pytest.mark.parametrize(("value", "said"), [
    # Found in acceptance testing: "not a concept of ceterms:LifeCycleStatus" said neither what the value is nor
    # what to write.
    ("credentialStat:Active", "(credentialStat:Active is a concept of ceterms:CredentialStatus; for this property, "
                              "write lifeCycle:Active)"),
    ("lifeCycle:Foo", "(no concept is lifeCycle:Foo; this property takes lifeCycle:Active, lifeCycle:Ceased, "),
])
def test_a_concept_of_the_wrong_scheme_says_what_to_write(value: str, said: str) -> None:
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)["ceterms:lifeCycleStatusType"] = value
    [found] = [f for f in validate(docs).findings if f.rule_id == "STRUCT-CONCEPT-SCHEME"]
    assert said in found.message


@pytest.mark.parametrize(("prop", "value", "said"), [
    ("ceterms:submissionOf", "First submission item",
     "'First submission item' is text where ceterms:submissionOf takes a URL: text goes in "
     "ceterms:submissionOfDescription"),
    ("ceterms:framework", "Delivery",
     "'Delivery' is text where ceterms:framework takes a URL: text goes in ceterms:frameworkName"),
])
def test_text_where_a_url_belongs_is_told_where_text_goes(prop: str, value: str, said: str) -> None:
    # Found in acceptance testing: "'Delivery' is a relative IRI; use an absolute URL" (27 times in CE's payloads).
    docs = copy.deepcopy(LEARNING)
    holder = ({"@type": "ceterms:ConditionProfile", "ceterms:description": {"en-US": "Submit a portfolio"}}
              if prop == "ceterms:submissionOf" else
              {"@type": "ceterms:CredentialAlignmentObject", "ceterms:targetNode": "deliveryType:InPerson"})
    holder[prop] = [value] if prop == "ceterms:submissionOf" else value
    main(docs, 2)["ceterms:requires" if prop == "ceterms:submissionOf" else "ceterms:deliveryType"] = [holder]
    [relative] = [f for f in validate(docs).findings if f.rule_id == "JSONLD-RELATIVE-IRI"]
    assert relative.message == said


@pytest.mark.parametrize(("key", "said"), [
    # Found in acceptance testing (Credential Engine's pathways drafts): unprefixed keys got no hint.
    ("type", " (did you mean @type?)"),
    ("id", " (did you mean @id?)"),
    ("hasDestinationComponent", " (a CTDL term is written with its prefix: ceterms:hasDestinationComponent)"),
    ("name", " (a CTDL term is written with its prefix: ceasn:name or ceterms:name)"),
    ("fooBar", ""),
])
def test_a_dropped_key_is_told_what_it_most_likely_is(key: str, said: str) -> None:
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)[key] = "x"
    [dropped] = [f for f in validate(docs).findings if f.rule_id == "JSONLD-DROPPED-KEY"]
    assert dropped.message == f"key {key!r} is not a CTDL term or IRI: JSON-LD drops it and everything under it{said}"


def test_a_keyword_without_its_at_inside_a_property_is_not_taken_for_a_language_map() -> None:
    # Found in review: "id" is also a language tag (Indonesian), so {"id": …, "type": …} as an owner got both hints.
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)["ceterms:ownedBy"] = [{"id": main(docs, 0)["@id"], "type": "ceterms:CredentialOrganization"}]
    said = {f.value: f.message for f in validate(docs).findings if f.rule_id == "JSONLD-DROPPED-KEY"}
    assert said["id"].endswith("(did you mean @id?)") and said["type"].endswith("(did you mean @type?)")


def test_a_misspelt_concept_is_told_the_closest_of_the_scheme() -> None:
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)["ceterms:audienceLevelType"] = ["audLevel:BachelorDegreeLevel"]  # the concept is BachelorsDegreeLevel
    [wrong] = [f for f in validate(docs).findings if f.rule_id == "STRUCT-CONCEPT-SCHEME"]
    assert wrong.message.endswith(
        "(no concept is audLevel:BachelorDegreeLevel: did you mean audLevel:BachelorsDegreeLevel?)")
