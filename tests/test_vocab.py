import hashlib
from importlib import resources

import pytest
from pyld import jsonld

from ctdl_tools.vocab import (
    RemoteContextRefused,
    UnknownLabel,
    class_index,
    concept_index,
    normalize_label,
    offline_loader,
    vocabulary,
)
from ctdl_tools.vocab.loader import refusal_in
from ctdl_tools.vocab.pins import CONTEXT_URLS, PINNED_SHA256


@pytest.mark.parametrize("name", sorted(PINNED_SHA256))
def test_vendored_files_match_their_pins(name: str) -> None:
    data = resources.files("ctdl_tools.vocab.data").joinpath(name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == PINNED_SHA256[name]


def test_attribution_is_shipped() -> None:
    text = resources.files("ctdl_tools.vocab.data").joinpath("SOURCES.md").read_text()
    assert "CC BY 4.0" in text or "Creative Commons Attribution 4.0" in text


def test_counts_and_class_tree() -> None:
    vocab = vocabulary()
    assert "ceterms:BachelorOfScienceDegree" in vocab.subclasses("ceterms:Credential")
    assert vocab.superclasses("ceterms:AssociateOfAppliedScienceDegree") >= {
        "ceterms:AssociateDegree", "ceterms:Degree", "ceterms:Credential"}
    assert vocab.is_a("ceterms:Course", "ceterms:LearningOpportunityProfile")
    assert len(vocab.top_level_classes) == 113
    assert "ceasn:CompetencyFramework" in vocab.classes


def test_properties_domain_range_and_context_facts() -> None:
    vocab = vocabulary()
    owned = vocab.properties["ceterms:ownedBy"]
    assert "ceterms:CredentialOrganization" in owned.range
    assert "ceterms:Course" in owned.domain
    assert vocab.scheme_of("ceterms:credentialStatusType") == "ceterms:CredentialStatus"
    assert {"ceterms:name", "ceterms:description", "ceasn:competencyText"} <= vocab.language_maps
    assert {"ceterms:ownedBy", "ceterms:subjectWebpage", "ceasn:isPartOf"} <= vocab.iri_valued
    assert vocab.expand("ceterms:Course") == "https://purl.org/ctdl/terms/Course"
    assert vocab.compact("https://purl.org/ctdlasn/terms/Competency") == "ceasn:Competency"


def test_concept_schemes() -> None:
    vocab = vocabulary()
    assert "credentialStat:Active" in vocab.concepts_in("ceterms:CredentialStatus")
    assert "lifeCycle:Active" in vocab.concepts_in("ceterms:LifeCycleStatus")
    assert "agentSector:PrivateNonProfit" in vocab.concepts_in("ceterms:AgentSector")
    assert vocab.label("deliveryType:InPerson") == "In-Person Only"


@pytest.mark.parametrize("word", ["Bachelor Degree", "bachelor's degree", "BachelorDegree", "BACHELORS DEGREE",
                                  "ceterms:BachelorDegree", " bachelor’s  degree "])
def test_lenient_class_labels(word: str) -> None:
    assert class_index("ceterms:Credential").resolve(word) == "ceterms:BachelorDegree"


def test_unknown_label_lists_closest() -> None:
    with pytest.raises(UnknownLabel) as info:
        class_index("ceterms:Credential").resolve("Bachlor Degre")
    assert "Bachelor's Degree" in str(info.value)


def test_concept_labels_and_aliases() -> None:
    assert concept_index("ceterms:CredentialStatus").resolve("active") == "credentialStat:Active"
    assert concept_index("ceterms:CreditUnit").resolve("Credit Hours") == "creditUnit:SemesterHour"
    assert concept_index("ceterms:Delivery").resolve("In-Person Only") == "deliveryType:InPerson"
    assert concept_index("ceterms:Delivery").resolve("InPerson") == "deliveryType:InPerson"
    assert normalize_label("Associate's Degree") == "associatedegree"


@pytest.mark.parametrize("url", sorted(CONTEXT_URLS))
def test_offline_loader_serves_bundled_contexts(url: str, no_network: None) -> None:
    doc = {"@context": url, "@id": "https://example.org/x", "ceterms:name": {"en-US": "X"}}
    expanded = jsonld.expand(doc, {"documentLoader": offline_loader()})
    assert expanded[0]["https://purl.org/ctdl/terms/name"][0]["@language"].lower() == "en-us"


def test_offline_loader_refuses_other_contexts(no_network: None) -> None:
    doc = {"@context": "https://example.org/context.jsonld", "name": "x"}
    with pytest.raises(Exception) as info:
        jsonld.expand(doc, {"documentLoader": offline_loader()})
    refusal = refusal_in(info.value)
    assert isinstance(refusal, RemoteContextRefused)
    assert refusal.url == "https://example.org/context.jsonld"
