"""A misspelt property or class is told the term it most likely means (its case, its prefix, a letter or two)."""

from __future__ import annotations

import copy

import pytest

from ctdl_tools.validate import validate
from ctdl_tools.vocab import vocabulary

from .test_validate_gate import LEARNING, main


@pytest.mark.parametrize(("term", "meant"), [
    ("ceterms:SubjectWebpage", "ceterms:subjectWebpage"),  # case
    ("ceterms:ownedby", "ceterms:ownedBy"),
    ("ceasn:subjectWebpage", "ceterms:subjectWebpage"),  # prefix
    ("ceterms:competencyText", "ceasn:competencyText"),
    ("ceterms:nmae", "ceterms:name"),  # letters
    ("ceterms:descriptoin", "ceterms:description"),
    ("ceterms:keywords", "ceterms:keyword"),
    ("https://purl.org/ctdl/terms/offerdBy", "ceterms:offeredBy"),  # a full IRI
    ("ceterms:creditHours", None),  # a different word: no guess
    ("ceterms:fooBar", None),
    ("ceterms:name", None),  # known
    ("name", None),
])
def test_closest_property(term: str, meant: str | None) -> None:
    assert vocabulary().closest(term) == meant


@pytest.mark.parametrize(("term", "meant"), [
    ("ceterms:bachelorDegree", "ceterms:BachelorDegree"),
    ("ceasn:Course", "ceterms:Course"),
    ("ceterms:Adress", None),  # no class is close: PostalAddress is a different word
    ("https://purl.org/ctdl/terms/Certificat", "ceterms:Certificate"),
    ("ceterms:LearningProgramme", "ceterms:LearningProgram"),
])
def test_closest_class(term: str, meant: str | None) -> None:
    assert vocabulary().closest(term, classes=True) == meant


@pytest.mark.parametrize("engine", ["native", "shacl", "pyshacl"])
def test_findings_name_the_likely_term_on_every_engine(engine: str) -> None:
    docs = copy.deepcopy(LEARNING)
    node = main(docs, 2)
    node["ceterms:inlanguage"] = node.pop("ceterms:inLanguage")
    node["ceterms:creditHours"] = 3
    main(docs, 0)["@type"] = "ceterms:CredentialOrganisation"
    found = validate(docs, engine=engine).findings
    unknown = {f.property: f.message for f in found if f.rule_id == "STRUCT-UNKNOWN-PROPERTY"}
    assert unknown["ceterms:inlanguage"].endswith(": did you mean ceterms:inLanguage?")
    assert unknown["ceterms:creditHours"] == "This property is not a term of CTDL or CTDL-ASN"  # no guess
    [cls] = [f for f in found if f.rule_id == "STRUCT-UNKNOWN-CLASS"]
    assert "CredentialOrganisation" in (cls.value or "")
    assert cls.message.endswith(": did you mean ceterms:CredentialOrganization?")


def test_a_rule_many_shapes_share_is_cited_as_a_whole() -> None:
    # Found in acceptance testing: STRUCT-LANGSTRING's rules-table entry linked ceasn:benchmarkLabel (the first
    # shape's property), in reports whose findings were about ceterms:name.
    from ctdl_tools.validate.commands import all_rules

    rules = {r.id: r for r in all_rules()}
    for rule_id in ("STRUCT-LANGSTRING", "STRUCT-DOMAIN", "STRUCT-RANGE", "STRUCT-UNIQUE-LANG"):
        assert rules[rule_id].see_also == "https://credreg.net/ctdl/terms", rule_id
    assert rules["STRUCT-DOMAIN"].source.endswith(": per property (each finding cites its shape's)")
    assert "hasProgressionLevel" not in rules["STRUCT-DOMAIN"].source
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)["ceterms:name"] = "WLD 101"
    report = validate(docs)
    [finding] = [f for f in report.findings if f.rule_id == "STRUCT-LANGSTRING"]
    assert report.rules["STRUCT-LANGSTRING"].see_also == "https://credreg.net/ctdl/terms"
    assert "ceterms/name" in (finding.source or "") or "name" in (finding.shape or "")  # the finding's own shape


@pytest.mark.parametrize("engine", ["native", "pyshacl"])
def test_a_currency_written_by_name_is_told_its_code(engine: str) -> None:
    # Credential Engine's registry holds "US Dollar" (WGU's records): VALUE-CURRENCY says what to write instead.
    docs = copy.deepcopy(LEARNING)
    costs = [{"@type": "ceterms:CostProfile", "ceterms:currency": currency, "ceterms:price": 10,
              "ceterms:costDetails": "https://example.org/costs", "ceterms:description": {"en-US": "Tuition fees"}}
             for currency in ("US Dollar", "usd", "Euros", "Dollars")]
    main(docs, 2)["ceterms:estimatedCost"] = costs
    found = validate(docs, engine=engine).findings
    said = {f.value: f.message.partition("other text cannot be read as a currency")[2]
            for f in found if f.rule_id == "VALUE-CURRENCY"}
    assert said == {"US Dollar": ": write USD ('US Dollar' is ISO 4217's name of USD)", "usd": ": write USD",
                    "Euros": " (did you mean EUR, 'Euro'?)", "Dollars": ""}


@pytest.mark.parametrize(("written", "meant"), [
    ("qdata:DataSetProfle", "qdata:DataSetProfile"),  # a letter lost
    ("qdata:dataSetTimeFrame", "qdata:DataSetTimeFrame"),  # the case
    ("ceterms:DataSetProfile", "qdata:DataSetProfile"),  # the prefix: QData's classes are not CTDL's
])
@pytest.mark.parametrize("engine", ["native", "pyshacl"])
def test_a_misspelt_qdata_class_is_told_the_class(engine: str, written: str, meant: str) -> None:
    # QData's classes are known though the bundled vocabulary only names them (shapes_build.QDATA_CLASSES).
    docs = copy.deepcopy(LEARNING)
    main(docs, 2)["ceterms:aggregateData"] = [{"@type": "ceterms:AggregateDataProfile",
                                                "qdata:relevantDataSet": [{"@type": written}]}]
    [cls] = [f for f in validate(docs, engine=engine).findings if f.rule_id == "STRUCT-UNKNOWN-CLASS"]
    assert cls.message.endswith(f": did you mean {meant}?"), cls.message
