"""The README's demo input converts cleanly, deterministically and offline."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctdl_tools.cli import main
from ctdl_tools.vocab import vocabulary
from ctdl_tools.vocab.expansion import dropped_terms

from .conftest import SAMPLES


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    out = tmp_path_factory.mktemp("samples") / "ctdl"
    result = CliRunner().invoke(main, ["convert", str(SAMPLES / "college"), str(SAMPLES / "catalog.json"),
                                       "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    return out, result.stdout, result.stderr


def documents(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]


def test_sample_catalog_sizes(converted: tuple[Path, str, str]) -> None:
    out, _, _ = converted
    vocab = vocabulary()
    types = Counter(doc["@graph"][0]["@type"] for doc in documents(out))
    credentials = sum(n for t, n in types.items() if vocab.is_a(t, "ceterms:Credential"))
    assert credentials >= 25 + 3
    assert types["ceterms:Course"] >= 40
    assert types["ceterms:LearningProgram"] >= 10
    assert types["ceasn:CompetencyFramework"] == 2
    assert len({t for t in types if vocab.is_a(t, "ceterms:Credential")}) >= 5
    framework = max((d for d in documents(out) if d["@graph"][0]["@type"] == "ceasn:CompetencyFramework"),
                    key=lambda d: len(d["@graph"]))
    assert len(framework["@graph"]) - 1 >= 50


def test_programs_teach_the_frameworks_competencies(converted: tuple[Path, str, str]) -> None:
    out, _, _ = converted
    docs = documents(out)
    competencies = {n["@id"] for d in docs for n in d["@graph"] if n["@type"] == "ceasn:Competency"}
    programs = [d["@graph"][0] for d in docs if d["@graph"][0]["@type"] == "ceterms:LearningProgram"]
    taught = [a["ceterms:targetNode"] for p in programs for a in p.get("ceterms:teaches", [])]
    assert taught and set(taught) <= competencies


def test_every_sample_document_keeps_every_term(converted: tuple[Path, str, str]) -> None:
    out, _, _ = converted
    for doc in documents(out):
        assert dropped_terms(doc) == [], doc["@id"]


def test_samples_convert_offline_and_identically(converted: tuple[Path, str, str], tmp_path: Path,
                                                 no_network: None) -> None:
    out, stdout, _ = converted
    again = tmp_path / "again"
    result = CliRunner().invoke(main, ["convert", str(SAMPLES / "college"), str(SAMPLES / "catalog.json"),
                                       "-o", str(again)])
    assert result.exit_code == 0
    assert result.stdout == stdout
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {p.name: p.read_bytes() for p in again.iterdir()}
