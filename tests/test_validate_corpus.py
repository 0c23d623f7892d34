"""Real records validate without crashing, with findings we have read and believe.

Each file of ``tests/data/registry/`` is validated on its own. Recommended-benchmark Warnings
(``MDP-*-BENCHMARK-*``) and the Info findings for references to registry resources outside the file
(``XREF-REGISTRY-REFERENCE``) are expected everywhere and not listed. What else fires, and why it is right:

* ``wgu_*_resource.json`` (five records Credential Engine accepted, 2025-26): no Violation. Info
  ``BNODE-UNDEFINED-RESOURCE``: a ``/resources`` record refers to ``_:`` accreditor/QA nodes that live in its
  ``/graph/`` document. Warning ``XREF-EXTERNAL-REFERENCE`` (bs-accounting): ``ceterms:supersedes`` points at
  ``https://credentialfinder.org/Credential/65182``, not a registry URI.
* ``CredentialGraphSampleInput.json`` (Assistant ``publishGraph`` request): no Violation.
* ``LearningOpportunityEnvelope.json`` (2017-18): ``MDP-LEARNINGOPPORTUNITY-LIFECYCLESTATUSTYPE`` — the
  Assistant requires lifeCycleStatusType since 2023; a 2018 record has none.
* ``ra_learningopportunity_160-driving-academy_published.json``: the same lifeCycleStatusType Violation;
  ``JSONLD-DROPPED-KEY`` on ``"ceterms:financialAssistanceType "`` (a trailing space: JSON-LD drops the key
  and its value — a real defect in Credential Engine's own sample); Warning ``STRUCT-CODE-FORM``: CIP written
  ``49-0205`` (the SOC form) instead of ``49.0205``.
* ``CredentialEnvelope.json``: ``JSONLD-DROPPED-KEY`` — ``ceterms:creditHourType`` is not a language map in the
  context, so ``{"en": …}`` is read as a node and its key ``en`` is dropped; Warnings
  ``STRUCT-UNKNOWN-PROPERTY`` (creditHourType/creditHourValue were removed from CTDL) and an external
  ``latestVersion`` URL.
* ``OrganizationEnvelope.json``: ``STRUCT-LANGSTRING`` — missionAndGoalsStatementDescription is a plain
  string, not a language map.
* ``CredentialWithMultipleLanguages_Api_output.json``: no Violation. Its creditUnitType wraps the concept in
  an alignment object where CTDL's range is skos:Concept: accepted (the registry takes both; the
  alignment's targetNode is checked against the CreditUnit scheme and is in it). Warning
  ``STRUCT-UNKNOWN-CLASS`` — ``schema:ValueProfile`` (CTDL's class is ``ceterms:ValueProfile``).
* ``Credential_PublishDetailedRecord_API_output.json``: no Violation (its blank-node organizations and
  learning opportunity are references, to which the policy does not apply).
* ``graph_credential_masterdegree{,_provisional}.json`` (registry seeds, 2017 form): no Violation; Warnings
  ``STRUCT-DOMAIN`` (creditUnitType on a ConditionProfile), ``STRUCT-UNKNOWN-PROPERTY`` (creditUnitValue,
  removed from CTDL), ``JSONLD-CONTEXT-HTTP`` (the 2017 http:// context URL).
* ``legacy_*.json`` (2017 single-object records): upper-case CTIDs (``STRUCT-CTID-FORM``), plain strings
  for text (``STRUCT-LANGSTRING``), alignment frameworks written as relative names like ``"AgentSector"``
  (``JSONLD-RELATIVE-IRI``), lifeCycleStatusType missing on learning opportunities, concepts retired from
  CTDL (``learnMethod:ElectronicMediaBased``: ``STRUCT-CONCEPT-SCHEME``), a ``ceterms:PostalAddress`` where
  availableAt takes a ``ceterms:Place`` (``STRUCT-RANGE``), and no owner on the certification.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from ctdl_tools.validate import VIOLATION, validate

from .conftest import DATA

FILES = sorted((DATA / "registry").glob("*.json"))
EXPECTED_VIOLATIONS = {
    "wgu_bs-accounting_resource.json": set(),
    "wgu_bs-computer-science_resource.json": set(),
    "wgu_cert-leadership_proxy_aws-devops_resource.json": set(),
    "wgu_mba_resource.json": set(),
    "wgu_ms-nursing-education_resource.json": set(),
    "CredentialGraphSampleInput.json": set(),
    "Credential_PublishDetailedRecord_API_output.json": set(),
    "LearningOpportunityEnvelope.json": {"MDP-LEARNINGOPPORTUNITY-LIFECYCLESTATUSTYPE"},
    "ra_learningopportunity_160-driving-academy_published.json": {
        "MDP-LEARNINGOPPORTUNITY-LIFECYCLESTATUSTYPE", "JSONLD-DROPPED-KEY"},
    "CredentialEnvelope.json": {"JSONLD-DROPPED-KEY"},
    "OrganizationEnvelope.json": {"STRUCT-LANGSTRING"},
    "CredentialWithMultipleLanguages_Api_output.json": set(),
    "ra_iusb_bachelordegree_outcomedata_output.json": set(),  # the sandbox published it
    "graph_credential_masterdegree.json": set(),
    "graph_credential_masterdegree_provisional.json": set(),
    "legacy_certification_3_import.json": {
        "JSONLD-DROPPED-KEY", "JSONLD-RELATIVE-IRI", "MDP-CREDENTIAL-OWNEDBY-OR-OFFEREDBY", "STRUCT-CTID-FORM",
        "STRUCT-IRI-VALUED", "STRUCT-LANGSTRING", "STRUCT-LITERAL-VALUED", "STRUCT-RANGE"},
    "legacy_list_learning_opportunity_profiles_10.json": {
        "JSONLD-RELATIVE-IRI", "MDP-LEARNINGOPPORTUNITY-LIFECYCLESTATUSTYPE", "STRUCT-CONCEPT-SCHEME",
        "STRUCT-CTID-FORM", "STRUCT-LANGSTRING"},
    "legacy_list_organizations_10.json": {"JSONLD-RELATIVE-IRI", "STRUCT-CTID-FORM", "STRUCT-LANGSTRING"},
}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_file_violations_are_the_ones_we_read(path: Path, no_network: None) -> None:
    report = validate([path])
    violations = {f.rule_id for f in report.findings if f.severity == VIOLATION}
    assert violations == EXPECTED_VIOLATIONS[path.name]
    assert report.documents >= 1
    for finding in report.findings:  # every finding is placed
        assert finding.file == str(path) and finding.line is not None and finding.rule_id
        assert finding.pointer == "" or finding.pointer.startswith("/")


def test_findings_point_at_the_right_line() -> None:
    path = DATA / "registry" / "ra_learningopportunity_160-driving-academy_published.json"
    report = validate([path])
    (dropped,) = [f for f in report.findings if f.rule_id == "JSONLD-DROPPED-KEY"]
    line = path.read_text(encoding="utf-8").splitlines()[dropped.line - 1]
    assert '"ceterms:financialAssistanceType "' in line
    assert dropped.ctid == "ce-f8885b28-134d-4188-8c86-063aadff14ea"
    (code,) = [f for f in report.findings if f.rule_id == "STRUCT-CODE-FORM"]
    assert code.value == "49-0205" and code.property == "ceterms:instructionalProgramType"


def test_whole_corpus_at_once_is_deterministic(no_network: None) -> None:
    first = validate([DATA / "registry"])
    second = validate(sorted((DATA / "registry").glob("*.json"), reverse=True))
    assert json.dumps(first.to_dict()["findings"]) == json.dumps(
        validate([DATA / "registry"]).to_dict()["findings"])
    assert Counter(f.rule_id for f in first.findings) == Counter(f.rule_id for f in second.findings)
    # The two seeds describe the same MasterDegree: submitted together, that is a duplicate CTID.
    assert {f.file.rsplit("/", 1)[-1] for f in first.findings if f.rule_id == "XREF-CTID-DUPLICATE"} == {
        "graph_credential_masterdegree.json", "graph_credential_masterdegree_provisional.json"}
