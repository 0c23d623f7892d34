"""Records Credential Engine's Registry Assistant published: what we say of them.

The fixtures (``tests/data/real_records/``, provenance in its README) are Registry Assistant API
outputs, graphs the sandbox registry accepted.

Found by acceptance testing on real records: every ``qdata:DataSetProfile`` record the Assistant publishes
(outcome data), with its ``qdata:DataSetTimeFrame`` and ``qdata:DataProfile`` nodes and earnings as
``schema:MonetaryAmountDistribution``, got ``STRUCT-UNKNOWN-CLASS`` Warnings ("not a class of CTDL or
CTDL-ASN: did you mean ceterms:DurationProfile?") although CTDL itself names these classes (the domain of
``ceterms:ctid``, ``ceterms:description``, the range of ``qdata:relevantDataSet``) and QData defines them.
"""

from __future__ import annotations

import json
from pathlib import Path

from ctdl_tools.validate import validate

from .conftest import DATA

REAL = DATA / "real_records"
OUTCOME = REAL / "ra_certification_outcomedata_output.json"
FILES = sorted(REAL.glob("*.json"))
IGNORED = ("MDP-", "XREF-REGISTRY-REFERENCE")  # benchmark Warnings (policy) and references outside the file


def _rules(report, severity: str | None = None) -> list[str]:
    return sorted(f.rule_id for f in report.findings
                  if (severity is None or f.severity == severity) and not f.rule_id.startswith(IGNORED))


def test_the_published_records_have_no_violation() -> None:
    assert len(FILES) == 4
    for path in FILES:
        report = validate([path])
        assert _rules(report, "Violation") == [], path.name


def test_qdata_classes_the_assistant_publishes_are_known_classes() -> None:
    report = validate([OUTCOME])
    unknown = [f for f in report.findings if f.rule_id == "STRUCT-UNKNOWN-CLASS"]
    assert unknown == []
    # What is left is the vocabulary's word: qdata:relevantDataSet moved from AggregateDataProfile (QData
    # 2023) to the credential itself in CTDL (see tests/data/real_records/README.md).
    assert _rules(report) == ["STRUCT-DOMAIN"]
    for path in FILES:
        assert not [f for f in validate([path]).findings if f.rule_id == "STRUCT-UNKNOWN-CLASS"], path.name


def test_a_misspelt_qdata_class_is_still_an_unknown_class(tmp_path: Path) -> None:
    doc = json.loads(OUTCOME.read_text(encoding="utf-8"))
    node = doc["@graph"][1]
    assert node["@type"] == "qdata:DataSetProfile"
    node["@type"] = "qdata:DataSetProfle"
    node["qdata:dataSetTimePeriod"][0]["@type"] = "qdata:DataSetTimeFram"
    path = tmp_path / "misspelt.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    report = validate([path])
    unknown = sorted(f.value for f in report.findings if f.rule_id == "STRUCT-UNKNOWN-CLASS")
    assert unknown == ["https://credreg.net/qdata/terms/DataSetProfle", "https://credreg.net/qdata/terms/DataSetTimeFram"]
    # A record of no known class is still refused: the policy could not be checked.
    assert "STRUCT-RECORD-CLASS" in _rules(report, "Violation")


def test_a_domain_finding_names_the_general_classes_not_fifty_subclasses() -> None:
    # The vocabulary lists every credential subclass in a Credential property's domain: the finding on the
    # Assistant's AggregateDataProfile named six of them (AcademicCertificate, ApprenticeshipCertificate…) and
    # never ceterms:Credential.
    from ctdl_tools.validate.shapes_build import _class_summary
    from ctdl_tools.vocab import vocabulary

    (found,) = [f for f in validate([OUTCOME]).findings if f.rule_id == "STRUCT-DOMAIN"]
    assert "ceterms:Credential," in found.message and "and their subclasses" in found.message
    assert "AcademicCertificate" not in found.message
    vocab = vocabulary()
    assert _class_summary(vocab, ["ceterms:Credential", "ceterms:Badge", "ceterms:Course"]) == \
        "ceterms:Course, ceterms:Credential and their subclasses"
    assert _class_summary(vocab, ["ceterms:Course", "ceterms:Badge"]) == "ceterms:Badge, ceterms:Course"
    assert _class_summary(vocab, ["ceterms:Credential", "ceterms:Badge"]) == "ceterms:Credential and its subclasses"
