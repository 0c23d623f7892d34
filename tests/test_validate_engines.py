"""The engines agree on the same shapes and data: native (the default), shacl (Rust) and pySHACL (the reference).

Compared: the multiset of (focus node, rule id, severity, property) over every SHACL finding, on the
corpus records plus the hand-made fixtures with one defect each (the break-the-gate cases), all in one
submission so pySHACL compiles the shapes once.
"""

from __future__ import annotations

import copy
import json
from collections import Counter

import pytest

from ctdl_tools.validate import validate
from ctdl_tools.validate.engine import available

from .conftest import DATA

pytestmark = pytest.mark.skipif(not (available("shacl") and available("pyshacl")), reason="needs both engines")

CORPUS = ["wgu_mba_resource.json", "wgu_cert-leadership_proxy_aws-devops_resource.json",
          "CredentialWithMultipleLanguages_Api_output.json", "LearningOpportunityEnvelope.json",
          "graph_credential_masterdegree.json", "legacy_certification_3_import.json",
          "ra_learningopportunity_160-driving-academy_published.json"]


def broken_fixtures() -> list[dict]:
    def load(name: str) -> dict:
        return json.loads((DATA / "validate" / f"{name}.json").read_text(encoding="utf-8"))

    out = [load(n) for n in ("organization", "learning_program", "course", "competency_framework")]
    defects = [
        lambda m: m.pop("ceterms:name"),
        lambda m: m.update({"ceterms:ctid": "CE-NOT-A-CTID"}),
        lambda m: m.update({"ceterms:name": "plain"}),
        lambda m: m.update({"ceterms:subjectWebpage": {"@type": "ceterms:Place"}}),
        lambda m: m.update({"ceterms:description": {"en-US": "short", "en-us": "two"}}),
        lambda m: m.update({"ceterms:lifeCycleStatusType": {"@type": "ceterms:CredentialAlignmentObject",
                                                             "ceterms:targetNode": "lifeCycle:Nope"}}),
        lambda m: m.update({"ceterms:ownedBy": [{"@value": "Acme"}], "ceterms:credentialStatusType": []}),
        lambda m: m.update({"@type": "ceterms:Credential"}),
    ]
    for i, defect in enumerate(defects):
        doc = copy.deepcopy(out[1 + i % 2])
        main = doc["@graph"][0]
        main["@id"] += f"-{i}"
        main["ceterms:ctid"] = main["ceterms:ctid"][:-1] + str(i)
        doc["@id"] = doc["@id"][:-1] + str(i)
        defect(main)
        out.append(doc)
    return out


def shacl_findings(report) -> Counter:
    return Counter((f.focus, f.rule_id, f.severity, f.property) for f in report.findings if f.shape)


def all_fields(report) -> Counter:
    return Counter((f.rule_id, f.severity, f.file, f.pointer, f.line, f.ctid, f.focus, f.property, f.value)
                   for f in report.findings)


def test_engines_agree_on_corpus_and_broken_fixtures() -> None:
    inputs = [DATA / "registry" / name for name in CORPUS] + broken_fixtures()
    native = validate(inputs, engine="native")
    fast = validate(inputs, engine="shacl")
    reference = validate(inputs, engine="pyshacl")
    assert (native.engine, fast.engine, reference.engine) == ("native", "shacl", "pyshacl")
    assert shacl_findings(native) == shacl_findings(reference)
    assert shacl_findings(fast) == shacl_findings(reference)
    assert all_fields(native) == all_fields(fast)  # and every field of every finding, where both map back
    assert sum(shacl_findings(fast).values()) > 300
    rules = {key[1] for key in shacl_findings(fast)}
    assert {"STRUCT-CTID-FORM", "STRUCT-LANGSTRING", "STRUCT-IRI-VALUED", "STRUCT-UNIQUE-LANG",
            "STRUCT-CONCEPT-SCHEME", "MDP-CREDENTIAL-SPECIFIC-TYPE", "MDP-LEARNINGOPPORTUNITY-NAME",
            "STRUCT-CTID-MATCHES-ID", "STRUCT-DOMAIN", "STRUCT-RANGE"} <= rules


def test_the_command_offers_every_engine() -> None:
    """commands.py lists the engines without importing them (a fast --help); the list must not drift."""
    from ctdl_tools.validate.commands import ENGINE_NAMES as OFFERED
    from ctdl_tools.validate.engine import ENGINE_NAMES

    assert OFFERED == ENGINE_NAMES
