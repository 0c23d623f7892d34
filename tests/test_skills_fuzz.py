"""Skill readers (and the framework builder after them) never crash: a result or one InputError."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdl_tools.build.context import BuildContext
from ctdl_tools.build.framework import build_framework, index_framework
from ctdl_tools.catalog.case import read_case_csv, read_case_package
from ctdl_tools.catalog.esco import read_esco_csv
from ctdl_tools.catalog.model import SkillFramework
from ctdl_tools.catalog.rsd import read_rsd
from ctdl_tools.catalog.skills_csv import read_skills_csv
from ctdl_tools.ctid import DEFAULT_NAMESPACE
from ctdl_tools.errors import InputError

Reader = Callable[[Path], list[SkillFramework]]
CSV_READERS: list[tuple[str, Reader]] = [("esco.csv", read_esco_csv), ("case.csv", read_case_csv),
                                         ("skills.csv", read_skills_csv)]
JSON_READERS: list[tuple[str, Reader]] = [("case.json", read_case_package), ("rsd.json", read_rsd)]
HEADERS = ["Framework", "Framework CTID", "ID", "CTID", "Competency", "Label", "Code", "Category", "Keywords",
           "Parent", "Alignment URL", "Language", "Publisher", "@type", "@id", "ceasn:name", "ceasn:competencyText",
           "ceasn:isChildOf", "ceasn:isPartOf", "ceasn:isTopChildOf", "ceasn:author", "ceasn:weight",
           "ceasn:publicationStatusType", "conceptUri", "preferredLabel", "description", "broaderConceptUri",
           "altLabels", "conceptType", "Identifier", "fullStatement", "Human Coding Scheme", "Is Child Of",
           "Abbreviated Statement", "IsRelatedTo", "junk", ""]
CELLS = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=10),
    st.sampled_from(["ceasn:CompetencyFramework", "ceasn:Competency", "A", "B", "ce-123",
                     "ce-7d2e4f10-8b6a-4c3d-a1e2-0f9b8c7d6e51", "http://x.org/a", "http://x.org/b", "A|B", "en",
                     "English", "Published", "1.5", "a | b\nc"]),
)
KEYS = st.sampled_from(["CFDocument", "CFItems", "CFAssociations", "CFPackage", "CFDefinitions", "CFItemTypes",
                        "identifier", "uri", "title", "fullStatement", "humanCodingScheme", "associationType",
                        "originNodeURI", "destinationNodeURI", "originNodeIdentifier", "destinationNodeIdentifier",
                        "isChildOf", "precedes", "exactMatchOf", "type", "RichSkillCollection", "skills", "uuid",
                        "skillName", "skillStatement", "occupations", "code", "alignments", "id", "keywords",
                        "language", "lastChangeDateTime", "status", "author", "category", "x"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    st.sampled_from(["A", "B", "isChildOf", "precedes", "RichSkillCollection", "15-1244", "",
                                     "http://x.org/a", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "2020-01-01"]),
                    st.text(max_size=8))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(KEYS, inner, max_size=6)), max_leaves=30)


def convert(reader: Reader, path: Path) -> None:
    """Read, index and build: only InputError may escape, and it names the file."""
    try:
        frameworks = reader(path)
    except InputError as exc:
        assert path.name in str(exc)
        return
    ctx = BuildContext(namespace=DEFAULT_NAMESPACE)
    for fw in frameworks:
        index_framework(fw, ctx)
    for fw in frameworks:
        doc = build_framework(fw, ctx)
        if doc is not None:
            doc.to_bytes()


def run(name: str, reader: Reader, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        convert(reader, path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    for name, reader in CSV_READERS + JSON_READERS:
        run(name, reader, data)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8),
       st.lists(st.lists(CELLS, max_size=9), max_size=6))
def test_random_csv_text(header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    data = buffer.getvalue().encode("utf-8")
    for name, reader in CSV_READERS:
        run(name, reader, data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_random_json_structures(value: Any) -> None:
    data = json.dumps(value).encode("utf-8")
    for name, reader in JSON_READERS:
        run(name, reader, data)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(KEYS, JSON, max_size=6), max_size=5),
       st.lists(st.dictionaries(KEYS, JSON, max_size=6), max_size=5))
def test_random_case_packages(items: list[dict], associations: list[dict]) -> None:
    package = {"CFDocument": {"identifier": "11111111-1111-4111-8111-111111111111", "title": "T"},
               "CFItems": items, "CFAssociations": associations}
    run("case.json", read_case_package, json.dumps(package).encode("utf-8"))
    run("rsd.json", read_rsd, json.dumps({"type": "RichSkillCollection", "skills": items}).encode("utf-8"))
