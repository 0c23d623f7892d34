"""Random CTDL-like documents through the whole validator: it never raises, and every report writes.

The documents mix real CTDL keys and classes, the shapes JSON-LD takes (language maps, @value objects,
@id references, nested nodes, arrays, @graph) and values that break each of them (numbers where strings
go, unknown prefixes, blank-node ids, CTIDs of every wrong form), so the converter, the native engine, the
cross-record checks, the line finder and the reporters all see what a careless catalog could hold.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdl_tools.validate import validate
from ctdl_tools.validate.reporters import FORMATS, render

CONTEXTS = ["https://credreg.net/ctdl/schema/context/json", "https://credreg.net/ctdlasn/schema/context/json",
            "https://example.org/context.json", {"ceterms": "https://purl.org/ctdl/terms/"}, 7, None]
CTIDS = ["ce-5f1c1a2e-9a43-4b8b-8d2c-3c2c7e1f0a11", "ce-5F1C1A2E-9A43-4B8B-8D2C-3C2C7E1F0A11",
         "5f1c1a2e-9a43-4b8b-8d2c-3c2c7e1f0a11", "ce-", "", "ce-00000000-0000-4000-8000-000000000002"]
IDS = [f"https://credentialengineregistry.org/resources/{c}" for c in CTIDS[:2]] + [
    "_:b0", "_:b1", "https://example.org/x", "urn:x", "not an iri", "ceterms:Badge", ""]
CLASSES = ["ceterms:Certificate", "ceterms:Credential", "ceterms:CredentialOrganization", "ceterms:Course",
           "ceterms:LearningProgram", "ceasn:CompetencyFramework", "ceasn:Competency", "skos:Concept",
           "ceterms:CostProfile", "ceterms:NoSuchClass", "Thing", ""]
PROPERTIES = ["ceterms:name", "ceterms:description", "ceterms:ownedBy", "ceterms:offeredBy", "ceterms:keyword",
              "ceterms:subjectWebpage", "ceterms:inLanguage", "ceterms:credentialStatusType",
              "ceterms:estimatedCost", "ceterms:price", "ceterms:dateEffective", "ceasn:isPartOf",
              "ceasn:competencyText", "ceasn:hasTopChild", "ceterms:audienceLevelType", "ceterms:occupationType",
              "ceterms:noSuchProperty", "unprefixed", "@language", "@value"]
PIECES = ["a", "é", " ", "\n", "\"", "\\", "/", "~", "😀", "ce-", "0", ":"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)
SCALARS = st.one_of(TEXT, st.sampled_from(IDS + CLASSES + CTIDS), st.integers(-3, 10**6), st.floats(allow_nan=False),
                    st.booleans(), st.none())
LANGUAGE_MAPS = st.dictionaries(st.sampled_from(["en", "en-US", "fr", "x-bad", "", "@none"]),
                                st.one_of(TEXT, st.lists(TEXT, max_size=2)), max_size=2)


def nodes(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    value = st.one_of(SCALARS, LANGUAGE_MAPS, st.fixed_dictionaries({"@id": st.sampled_from(IDS)}),
                      st.fixed_dictionaries({"@value": SCALARS}, optional={"@language": st.sampled_from(["en", 3])}))
    if depth > 0:
        value = st.one_of(value, nodes(depth - 1))
    return st.fixed_dictionaries(
        {}, optional={"@id": st.sampled_from(IDS), "@type": st.one_of(st.sampled_from(CLASSES),
                                                                      st.lists(st.sampled_from(CLASSES), max_size=2)),
                      "ceterms:ctid": st.sampled_from(CTIDS)},
    ).flatmap(lambda head: st.dictionaries(st.sampled_from(PROPERTIES), st.one_of(value, st.lists(value, max_size=3)),
                                           max_size=5).map(lambda rest: {**head, **rest}))


DOCUMENTS = st.one_of(
    st.builds(lambda ctx, graph: {"@context": ctx, "@graph": graph}, st.sampled_from(CONTEXTS),
              st.lists(nodes(2), max_size=4)),
    st.builds(lambda ctx, node: {"@context": ctx, **node}, st.sampled_from(CONTEXTS), nodes(2)),
    st.lists(nodes(1), max_size=2),  # an array of records
    SCALARS,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(DOCUMENTS, min_size=1, max_size=3), st.booleans())
def test_random_documents_never_crash_the_validator(documents: list[Any], as_files: bool) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        if as_files:
            inputs: list[Any] = []
            for i, doc in enumerate(documents):
                path = Path(tmp) / f"d{i}.json"
                path.write_text(json.dumps(doc, indent=1, ensure_ascii=i % 2 == 0), encoding="utf-8")
                inputs.append(str(path))
        else:
            inputs = [doc for doc in documents if isinstance(doc, (dict, list))] or [{}]
        report = validate(inputs)
    assert all(f.rule_id in report.rules for f in report.findings)
    assert report.findings == sorted(set(report.findings), key=lambda f: f.sort_key())
    for fmt in FORMATS:
        assert render(fmt, report)
