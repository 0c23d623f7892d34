"""Readers never crash on arbitrary input: they give records or one InputError."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdl_tools.catalog.mapping import Mapping, load_mapping
from ctdl_tools.catalog.tabular import bind_columns, detect_kind, read_tables, table_records
from ctdl_tools.errors import InputError, Problems

HEADERS = ["External Identifier", "Credential Name", "Credential Type", "Description", "Owned By", "CIP List",
           "Learning Type", "Learning Opportunity Name", "Organization Name", "Agent Type", "junk", ""]
cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


def read_all(path: Path) -> None:
    problems = Problems()
    for table in read_tables(path):
        bind_columns(table, detect_kind(table), Mapping(), problems)
        for record in table_records(table, Mapping(), problems):
            assert record.where.row is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_as_csv(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        path.write_bytes(data)
        try:
            read_all(path)
        except InputError as exc:
            assert "x.csv" in str(exc)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8),
       st.lists(st.lists(cell, max_size=9), max_size=6), st.sampled_from([",", ";", "\t"]))
def test_random_tables(header: list[str], rows: list[list[str]], sep: str) -> None:
    def line(values: list[str]) -> str:
        return sep.join('"' + v.replace('"', '""') + '"' for v in values)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_text("\n".join([line(header), *(line(r) for r in rows)]), encoding="utf-8")
        try:
            read_all(path)
        except InputError as exc:
            assert "t.csv" in str(exc)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_random_mapping_files(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_mapping(path)
        except InputError as exc:
            assert "m.yaml" in str(exc)
