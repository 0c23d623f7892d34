"""A finding about one of a property's values points at that value, not at the whole list (found in acceptance
testing on Credential Engine's 2018 test payloads: a STRUCT-RANGE about the second of two references, a concept of
the wrong scheme inside the second alignment object, each of two plain keywords, all pointed at the property), and
what a provider reads says how to mend it."""

from __future__ import annotations

import copy

import pytest

from ctdl_tools.validate import validate

from .test_validate_gate import LEARNING, main

ENGINES = ["native", "shacl", "pyshacl"]


def _found(docs: list[dict], engine: str, rule: str) -> list[tuple[str, str | None]]:
    return sorted((f.pointer, f.value) for f in validate(docs, engine=engine).findings if f.rule_id == rule)


@pytest.mark.parametrize("engine", ENGINES)
def test_each_plain_keyword_is_its_own_place(engine: str) -> None:
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)["ceterms:keyword"] = ["welding", "safety"]
    assert _found(docs, engine, "STRUCT-LANGSTRING") == [("/@graph/0/ceterms:keyword/0", "welding"),
                                                        ("/@graph/0/ceterms:keyword/1", "safety")]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_concept_of_another_scheme_in_an_alignment_list(engine: str) -> None:
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)["ceterms:deliveryType"] = [
        {"@type": "ceterms:CredentialAlignmentObject", "ceterms:targetNode": "deliveryType:InPerson"},
        {"@type": "ceterms:CredentialAlignmentObject", "ceterms:targetNode": "audience:Member"}]
    [(pointer, _)] = _found(docs, engine, "STRUCT-CONCEPT-SCHEME")
    assert pointer == "/@graph/0/ceterms:deliveryType/1/ceterms:targetNode"


@pytest.mark.parametrize("engine", ENGINES)
def test_an_object_of_the_wrong_class_in_a_list(engine: str) -> None:
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)["ceterms:estimatedCost"] = [
        {"@type": "ceterms:CostProfile", "ceterms:price": 10, "ceterms:currency": "USD",
         "ceterms:description": {"en-US": "Lab fee"}, "ceterms:costDetails": "https://example.org/costs"},
        {"@type": "ceterms:DurationProfile", "ceterms:exactDuration": "P2W"}]
    [(pointer, _)] = _found(docs, engine, "STRUCT-RANGE")
    assert pointer == "/@graph/0/ceterms:estimatedCost/1"
    [message] = [f.message for f in validate(docs, engine=engine).findings if f.rule_id == "STRUCT-RANGE"]
    assert message.endswith("(this one is a ceterms:DurationProfile)")  # the class given, not only those taken


@pytest.mark.parametrize("engine", ENGINES)
def test_a_language_map_in_a_list_is_told_to_leave_the_list(engine: str) -> None:
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)["ceterms:keyword"] = [{"en-US": ["welding", "safety"]}]
    found = {f.rule_id: f for f in validate(docs, engine=engine).findings if f.property == "ceterms:keyword"
             or f.rule_id == "JSONLD-DROPPED-KEY"}
    assert found["JSONLD-DROPPED-KEY"].message.endswith(
        "; a language map is not put in a list: write ceterms:keyword as one map, {\"en-US\": …}, with a list inside "
        "it for several texts")
    assert found["STRUCT-LANGSTRING"].message == ("ceterms:keyword must be a language map such as {\"en-US\": \"…\"}: "
                                                  "this value is an object JSON-LD does not read as one")
    assert found["STRUCT-LANGSTRING"].pointer == "/@graph/0/ceterms:keyword/0"


def test_a_misspelt_property_with_a_language_map_is_still_told_to_check_its_name() -> None:
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)["ceterms:keywrd"] = {"en-US": ["welding"]}
    [dropped] = [f for f in validate(docs).findings if f.rule_id == "JSONLD-DROPPED-KEY"]
    assert dropped.message.endswith("if this object is meant as a language map, check the name of ceterms:keywrd: "
                                    "only properties CTDL defines as text take one")


@pytest.mark.parametrize(("url", "said"), [
    ("https://example.org/weld ", "(white space before or after it: remove it)"),  # %20 would change the URL
    ("https://example.org/weld shop", "(a URL cannot hold white space: write a space as %20)"),
])
def test_white_space_in_a_url_is_told_what_to_do(url: str, said: str) -> None:
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)["ceterms:subjectWebpage"] = url
    [invalid] = [f for f in validate(docs).findings if f.rule_id == "JSONLD-INVALID-IRI"]
    assert invalid.message == f"{url!r} is not a valid IRI {said}"



@pytest.mark.parametrize("engine", ENGINES)
def test_ctid_findings_say_what_is_wrong_with_this_one(engine: str) -> None:
    # Found in acceptance testing: 49 upper-case CTIDs were told "a lower-case UUID, 39 characters" (they had 39),
    # and a CTID that differs from its @id's left the provider to compare 32 hex digits by hand.
    docs = copy.deepcopy(LEARNING)
    course = main(docs, 2)
    upper = course["ceterms:ctid"].upper().replace("CE-", "ce-")
    course["ceterms:ctid"], course["@id"] = upper, course["@id"].rsplit("/", 1)[0] + "/" + upper
    program = main(docs, 1)
    tail = program["@id"].rsplit("/", 1)[1]
    program["ceterms:ctid"] = "ce-" + "0" * 8 + tail[11:]
    found = {f.rule_id: f.message for f in validate(docs, engine=engine).findings
             if f.rule_id in ("STRUCT-CTID-FORM", "STRUCT-CTID-MATCHES-ID")}
    assert found["STRUCT-CTID-FORM"].endswith(
        f"(this one has capital letters or spaces around it: write it as {upper.lower()}, in the @id too)")
    assert found["STRUCT-CTID-MATCHES-ID"].endswith(f"(its @id ends in {tail!r})")


def test_a_relative_id_is_shown_as_written() -> None:
    # Found in acceptance testing: a finding's focus showed the base pyld resolves relative IRIs against
    # ("http://example.org/base/f1a08dc6-…"), an address the file never wrote.
    docs = copy.deepcopy(LEARNING)
    course = main(docs, 2)
    course["@id"] = "wld-101"
    course["ceterms:name"] = "WLD 101"  # a plain string: a finding on this node
    focus = {f.focus for f in validate(docs).findings if f.rule_id == "STRUCT-LANGSTRING"}
    assert focus == {"wld-101"}
