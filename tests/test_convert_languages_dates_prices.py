"""Convert: a row's own language tags its texts, two-digit years are refused, and a price such as ``1.250`` (a
European thousands separator or a decimal point) is refused rather than read as 1.25. Each test failed before
its fix. Most run on a copy of the sample college (``samples/college``) with a few cells changed."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ctdl_tools.build.nodes import iso_date, price
from ctdl_tools.cli import main

from .conftest import SAMPLES

OWNER = "ce-08c7e580-b007-4004-b1de-6bfd9c5bbebc"
# Credentials of samples/college/credentials.csv changed below, by External Identifier, and their rows.
EDITS: dict[str, dict[str, str]] = {
    "AAS-NURS": {"Language": "Spanish", "Credential Name": "Grado Asociado en Enfermería",
                 "Description": "Prepara a los estudiantes para el examen NCLEX-RN."},
    "AAS-ITS": {"Language": "Spanish|es"},  # one language, written twice
    "AAS-ACC": {"Language": "es-MX", "Date Effective": "8/15/25"},  # row 5
    "AAS-HVAC": {"Cost: Currency Type": "EUR", "Cost: Price": "9.900|930|1.100"},  # row 6
    "AAS-MECH": {"Cost: Currency Type": "EUR", "Cost: Price": "€10,065.00|1.25|950.2500"},
    "AA-GEN": {"Date Effective": "8/15/2025"},
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def edit_csv(path: Path, edits: dict[str, dict[str, str]]) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, rows = list(reader.fieldnames or []), list(reader)
    for row in rows:
        row.update(edits.get(row["External Identifier"], {}))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)


def main_nodes(outdir: Path) -> dict[str, dict[str, Any]]:
    """Main nodes (not frameworks) by their first name text."""
    nodes = [json.loads(p.read_text())["@graph"][0] for p in sorted(outdir.glob("*.json"))]
    return {next(iter(n["ceterms:name"].values())): n for n in nodes if "ceterms:name" in n}


def blank_nodes(outdir: Path) -> dict[str, dict[str, Any]]:
    return {n["@id"]: n for p in outdir.glob("*.json") for n in json.loads(p.read_text())["@graph"]
            if n["@id"].startswith("_:")}


@pytest.fixture(scope="module")
def college(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, dict[str, dict[str, Any]], Path, Path]:
    folder = tmp_path_factory.mktemp("college")
    shutil.copytree(SAMPLES / "college", folder / "college")
    csv_path = folder / "college" / "credentials.csv"
    edit_csv(csv_path, EDITS)
    code, _, err = run("convert", str(folder / "college"), "-o", str(folder / "out"))
    return code, err, main_nodes(folder / "out"), csv_path, folder / "out"


# --- 1: a row's Language tags the row's texts ------------------------------------------------------------
def test_a_row_in_one_language_has_its_texts_in_that_language(college: tuple) -> None:
    _, _, nodes, _, out = college
    node = nodes["Grado Asociado en Enfermería"]
    assert node["ceterms:inLanguage"] == ["es"]
    assert node["ceterms:name"] == {"es": "Grado Asociado en Enfermería"}
    assert node["ceterms:description"] == {"es": "Prepara a los estudiantes para el examen NCLEX-RN."}
    assert list(node["ceterms:keyword"]) == ["es"]
    assert {tag for cost in node["ceterms:estimatedCost"] for tag in cost["ceterms:description"]} == {"es"}
    assert list(node["ceterms:requires"][0]["ceterms:description"]) == ["es"]
    accreditor = blank_nodes(out)[node["ceterms:accreditedBy"][0]]  # Name~URL: a name the row wrote
    assert accreditor["ceterms:name"] == {"es": "Tri-State Nursing Education Accreditation Council"}


def test_our_english_labels_keep_the_runs_language(college: tuple) -> None:
    """Concept labels, code titles and the framework's competencies are not the row's text: not retagged."""
    _, _, nodes, _, _ = college
    node = nodes["Grado Asociado en Enfermería"]
    alignments = [node["ceterms:credentialStatusType"], *node["ceterms:audienceLevelType"],
                  *node["ceterms:instructionalProgramType"], *node["ceterms:occupationType"],
                  *node["ceterms:requires"][0]["ceterms:targetCompetency"]]
    for alignment in alignments:
        assert set(alignment.get("ceterms:frameworkName", {"en-US": ""})) == {"en-US"}, alignment
        assert set(alignment["ceterms:targetNodeName"]) == {"en-US"}, alignment
    tuition = node["ceterms:estimatedCost"][0]["ceterms:directCostType"]
    assert tuition["ceterms:targetNodeName"] == {"en-US": "Tuition"}


@pytest.mark.parametrize(("name", "tag", "in_language"), [
    ("Information Technology Support, A.A.S.", "es", ["es", "es"]),  # Spanish|es: one language
    ("Welding Technology, A.A.S.", "en-US", ["en-US"]),  # English: the run's en-US, as before
    ("Early Childhood Education, A.A.S.", "en-US", ["en-US", "es"]),  # two languages: the run's
])
def test_the_runs_language_stays_unless_the_row_names_exactly_one(college: tuple, name: str, tag: str,
                                                                   in_language: list[str]) -> None:
    _, _, nodes, _, _ = college
    node = nodes[name]
    assert list(node["ceterms:name"]) == [tag] and list(node["ceterms:description"]) == [tag]
    assert node["ceterms:inLanguage"] == in_language


def test_a_language_code_tags_in_the_conventional_case(tmp_path: Path) -> None:
    catalog = {"credentials": [
        {"External Identifier": f"C{i}", "Credential Name": f"Certificado {i}", "Credential Type": "Certificate",
         "Description": "Un certificado.", "Owned By": OWNER, "Language": language}
        for i, language in enumerate(["es-mx", "English", None])]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(catalog))
    code, _, err = run("convert", str(path), "--language", "fr-CA", "-o", str(tmp_path / "out"))
    assert code == 0, err
    nodes = main_nodes(tmp_path / "out")
    # "English" under --language fr-CA is plain "en"; no Language: the run's fr-CA
    assert [list(nodes[f"Certificado {i}"]["ceterms:description"]) for i in range(3)] == [["es-MX"], ["en"],
                                                                                          ["fr-CA"]]
    status = nodes["Certificado 0"]["ceterms:credentialStatusType"]
    assert list(status["ceterms:targetNodeName"]) == ["fr-CA"]  # our labels: the run's language, as before


def test_a_language_map_in_a_json_catalog_wins_over_the_rows_language(tmp_path: Path) -> None:
    catalog = {"credentials": [{
        "External Identifier": "C1", "Credential Name": {"en-US": "Welding", "es": "Soldadura"},
        "Credential Type": "Certificate", "Description": "Un certificado de soldadura.", "Owned By": OWNER,
        "Language": "Spanish"}]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(catalog))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    node = main_nodes(tmp_path / "out")["Welding"]
    assert node["ceterms:name"] == {"en-US": "Welding", "es": "Soldadura"}
    assert node["ceterms:description"] == {"es": "Un certificado de soldadura."}


def test_an_unknown_language_is_one_error_at_its_cell(tmp_path: Path) -> None:
    catalog = {"credentials": [{"External Identifier": "C1", "Credential Name": "Welding",
                                "Credential Type": "Certificate", "Description": "A certificate.",
                                "Owned By": OWNER, "Language": "Klingon"}]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(catalog))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1 and err.count("error:") == 1, err
    assert "$.credentials[0].Language: unknown language 'Klingon'" in err


# --- 2: two-digit years ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["1/2/24", "01/02/70", "12/31/99 "])
def test_a_two_digit_year_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="has a two-digit year, which could be 19.. or 20..: write the four-digit "
                                         r"year \(YYYY-MM-DD\)"):
        iso_date(text)


def test_a_two_digit_year_fails_its_row_at_its_cell(college: tuple) -> None:
    code, err, nodes, csv_path, _ = college
    assert code == 1, err
    assert (f"error: {csv_path}, row 5, column 'Date Effective': '8/15/25' has a two-digit year, which could be "
            "1925 or 2025: write the four-digit year (YYYY-MM-DD)") in err
    assert "Accounting, A.A.S." not in nodes
    assert nodes["Associate of Arts"]["ceterms:dateEffective"] == "2025-08-15"  # 8/15/2025


def test_a_two_digit_year_in_a_mapping_default_names_the_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("Program ID,Program Title,Description\nP1,Welding,A welding certificate.\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("kind: credentials\ncolumns:\n  Program ID: External Identifier\n  Program Title: Credential "
                       f"Name\ndefaults:\n  Owned By: {OWNER}\n  Credential Type: Certificate\n"
                       "  Date Effective: 1/2/24\n")
    code, _, err = run("convert", str(path), "--mapping", str(mapping), "-o", str(tmp_path / "out"))
    assert code == 2, err
    assert "m.yaml, $.defaults.Date Effective: '1/2/24' has a two-digit year" in err


# --- 4: a point before three digits ------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "grouped", "decimal"), [
    ("1.250", "1250", "1.25"), ("€1.250", "1250", "1.25"), ("1.250 €", "1250", "1.25"), ("12.500", "12500", "12.5"),
    ("123.456", "123456", "123.4560"), ("1.000", "1000", "1"),
])
def test_a_point_before_three_digits_is_refused_as_ambiguous(text: str, grouped: str, decimal: str) -> None:
    with pytest.raises(ValueError, match=rf"is ambiguous: .* without a thousands separator \({grouped} or "
                                         rf"{grouped}\.00\), or as {decimal} if the point is a decimal point"):
        price(text, catalog=True)


@pytest.mark.parametrize(("text", "expected"), [
    ("1.25", 1.25), ("1.2500", 1.25), ("0.250", 0.25), ("1250.500", 1250.5), ("1,250.000", 1250),
    ("1,250.00", 1250), ("€12,500", 12500), ("1250", 1250),
])
def test_unambiguous_prices_are_read_as_before(text: str, expected: float) -> None:
    assert price(text, catalog=True) == expected


def test_outside_catalogs_a_point_is_a_decimal_point() -> None:
    """A Registry Assistant request's Price is a C# decimal: CE's Assistant reads "1.250" as 1.25."""
    assert price("1.250") == 1.25


def test_an_ambiguous_price_fails_its_row_at_its_cell(college: tuple) -> None:
    code, err, nodes, csv_path, _ = college
    assert code == 1, err
    where = f"error: {csv_path}, row 6, column 'Cost: Price': "
    assert f"{where}'9.900' is ambiguous: a point before three digits may separate thousands (9900)" in err
    assert f"{where}'1.100' is ambiguous" in err and "'930'" not in err
    assert "Heating, Ventilation, Air Conditioning and Refrigeration Technology, A.A.S." not in nodes
    costs = nodes["Mechatronics and Advanced Manufacturing Technology, A.A.S."]["ceterms:estimatedCost"]
    assert [(c["ceterms:price"], c["ceterms:currency"]) for c in costs] == [(10065, "EUR"), (1.25, "EUR"),
                                                                            (950.25, "EUR")]


def test_an_ambiguous_price_in_a_json_catalog_or_a_mapping_default(tmp_path: Path) -> None:
    record = {"External Identifier": "C1", "Credential Name": "Welding", "Credential Type": "Certificate",
              "Description": "A certificate.", "Owned By": OWNER, "Cost: Types List": "Tuition",
              "Cost: Currency Type": "EUR"}
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"credentials": [{**record, "Cost: Price": "12.500"},
                                                {**record, "External Identifier": "C2", "Credential Name": "Milling",
                                                 "Cost: Price": 12.5}]}))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "json"))
    assert code == 1 and "$.credentials[0].Cost: Price: '12.500' is ambiguous" in err, err
    assert main_nodes(tmp_path / "json")["Milling"]["ceterms:estimatedCost"][0]["ceterms:price"] == 12.5
    (tmp_path / "m.yaml").write_text("defaults:\n  'Cost: Price': '1.250'\n")
    code, _, err = run("convert", str(path), "--mapping", str(tmp_path / "m.yaml"), "-o", str(tmp_path / "m"))
    assert code == 2 and "m.yaml, $.defaults.Cost: Price: '1.250' is ambiguous" in err, err
