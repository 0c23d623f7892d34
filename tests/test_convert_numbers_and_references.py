"""Convert: numbers and prices as providers type them (thousands groups, not decimal commas; currency signs that
must agree with an ISO 4217 currency), required name/description/owner, references to records that failed,
very long cells, and documents an earlier run left in the output folder. Found in acceptance testing; each
test failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctdl_tools.build.convert import ConvertOptions, convert
from ctdl_tools.build.nodes import number, price_and_sign
from ctdl_tools.catalog import csvrows
from ctdl_tools.cli import main

OWNER = "ce-08c7e580-b007-4004-b1de-6bfd9c5bbebc"
OWNER_URI = f"https://credentialengineregistry.org/resources/{OWNER}"
LO_HEADER = ["External Identifier", "Learning Type", "Learning Opportunity Name", "Coded Notation", "Description",
             "In Catalog", "Owned By", "Language", "Credit Unit Value", "Credit Unit Type", "Cost: Currency Type",
             "Cost: Types List", "Cost: Price"]
CRED_HEADER = ["External Identifier", "Credential Name", "Credential Type", "Description", "Subject Webpage",
               "Owned By", "Cost: Currency Type", "Cost: Types List", "Cost: Price"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def write_lines(path: Path, *rows: list[str]) -> Path:
    path.write_text("\n".join(",".join(f'"{c}"' if "," in c else c for c in r) for r in rows) + "\n",
                    encoding="utf-8")
    return path


def course(ident: str, credits: str = "3", currency: str = "", price: str = "") -> list[str]:
    return [ident, "Course", f"Course {ident}", ident, "A course with enough description.",
            f"https://college.example.edu/{ident}", OWNER, "English", credits, "Semester Hour", currency,
            "Tuition" if price else "", price]


def credential(ident: str, currency: str = "", price: str = "", types: str = "Tuition") -> list[str]:
    return [ident, f"Certificate {ident}", "Certificate", "A certificate for testing prices.",
            f"https://college.example.edu/{ident}", OWNER, currency, types if price else "", price]


def main_nodes(outdir: Path) -> dict[str, dict]:
    """Main nodes by their name's English text."""
    nodes = [json.loads(p.read_text())["@graph"][0] for p in sorted(outdir.glob("*.json"))]
    return {n["ceterms:name"]["en-US"]: n for n in nodes}


# --- B1: a decimal comma was read as a thousands separator ----------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [("9,900", 9900), ("1,250,000", 1250000), ("$4,695.00", 4695),
                                                ("1,000.5", 1000.5), ("-1,000", -1000), ("1.5", 1.5)])
def test_commas_in_well_formed_thousands_groups_are_separators(text: str, expected: float) -> None:
    assert number(text) == expected


@pytest.mark.parametrize("text", ["1,5", "9,90", "1,2,3", "12,34,567", "1,0000", ",5", "€9,90"])
def test_any_other_comma_is_refused_as_a_decimal_comma(text: str) -> None:
    with pytest.raises(ValueError, match="looks like a decimal comma: write decimals with a point"):
        number(text)


def test_decimal_commas_fail_their_cells_in_a_csv_and_a_json_catalog(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "los.csv", LO_HEADER, course("ENG-101", "1,5", "EUR", "9,90"),
                       course("ENG-102", "3", "USD", "9,900"))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1, err
    assert ("row 2, column 'Credit Unit Value': '1,5' looks like a decimal comma: write decimals with a point "
            "(1.5)") in err
    assert "row 2, column 'Cost: Price': '9,90' looks like a decimal comma: write decimals with a point (9.90)" in err
    nodes = main_nodes(tmp_path / "out")
    assert list(nodes) == ["Course ENG-102"]
    assert nodes["Course ENG-102"]["ceterms:estimatedCost"][0]["ceterms:price"] == 9900
    catalog = {"learning_opportunities": [{"External Identifier": "C1", "Learning Type": "Course",
                                           "Learning Opportunity Name": "Course One", "Owned By": OWNER,
                                           "Description": "A course with a decimal comma.",
                                           "Credit Unit Value": "2,5", "Credit Unit Type": "Semester Hour"}]}
    (tmp_path / "c.json").write_text(json.dumps(catalog))
    code, _, err = run("convert", str(tmp_path / "c.json"), "-o", str(tmp_path / "json"))
    assert code == 1 and "$.learning_opportunities[0].Credit Unit Value: '2,5' looks like a decimal comma" in err


# --- B2: currency signs were dropped and the currency code never checked ---------------------------------------
def test_a_price_sign_must_agree_with_the_currency_column(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "c.csv", CRED_HEADER, credential("C1", "USD", "€1.250"),
                       credential("C2", "USD", "£12"), credential("C3", "USD", "$4,695.00"),
                       credential("C4", "eur", "12 €"), credential("C5", "CAD", "$100|C$20", "Tuition|Mixed Fees"))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1, err
    assert ("row 2, column 'Cost: Price': '€1.250' is written with €, the sign of EUR, but Cost: Currency Type "
            "says USD") in err
    assert "row 3, column 'Cost: Price': '£12' is written with £, the sign of GBP" in err
    nodes = main_nodes(tmp_path / "out")
    assert sorted(nodes) == ["Certificate C3", "Certificate C4", "Certificate C5"]
    cost = nodes["Certificate C3"]["ceterms:estimatedCost"][0]
    assert (cost["ceterms:price"], cost["ceterms:currency"]) == (4695, "USD")
    cost = nodes["Certificate C4"]["ceterms:estimatedCost"][0]
    assert (cost["ceterms:price"], cost["ceterms:currency"]) == (12, "EUR")
    assert {c["ceterms:currency"] for c in nodes["Certificate C5"]["ceterms:estimatedCost"]} == {"CAD"}


def test_without_a_currency_the_prices_sign_sets_it(tmp_path: Path) -> None:
    header = [h for h in CRED_HEADER if h != "Cost: Currency Type"]
    rows = [[v for h, v in zip(CRED_HEADER, r, strict=True) if h != "Cost: Currency Type"]
            for r in (credential("C1", price="€12"), credential("C2", price="$7,920.00"), credential("C3", price="450"),
                      credential("C4", price="¥1000"), credential("C5", price="£12"))]
    path = write_lines(tmp_path / "c.csv", header, *rows)
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1, err
    assert ("row 5, column 'Cost: Price': '¥1000': ¥ stands for JPY or CNY: give the ISO 4217 code in a "
            "Cost: Currency Type column") in err
    nodes = main_nodes(tmp_path / "out")
    currencies = {name: n["ceterms:estimatedCost"][0]["ceterms:currency"] for name, n in nodes.items()}
    assert currencies == {"Certificate C1": "EUR", "Certificate C2": "USD", "Certificate C3": "USD",
                          "Certificate C5": "GBP"}


@pytest.mark.parametrize(("currency", "message"), [
    ("Dollars", "'Dollars' is not an ISO 4217 currency code: CTDL takes ISO 4217 codes such as USD"),
    ("US", "'US' is not an ISO 4217 currency code"),
    ("XYZ", "'XYZ' is not an ISO 4217 currency code"),
    ("$", "'$' is a currency sign: write its ISO 4217 code (USD or CAD or AUD)"),
])
def test_a_currency_that_is_no_iso_4217_code_is_its_cells_error(tmp_path: Path, currency: str, message: str) -> None:
    path = write_lines(tmp_path / "c.csv", CRED_HEADER, credential("C1", currency, "100"), credential("C2", "USD", "1"))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1 and f"row 2, column 'Cost: Currency Type': {message}" in err, err
    assert list(main_nodes(tmp_path / "out")) == ["Certificate C2"]


def test_a_mapping_default_currency_is_checked_too(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "c.csv", CRED_HEADER, credential("C1", "", "100"))
    mapping = tmp_path / "m.yaml"
    mapping.write_text('defaults:\n  "Cost: Currency Type": Dollars\n')
    code, _, err = run("convert", str(path), "--mapping", str(mapping), "-o", str(tmp_path / "out"))
    assert code == 2 and "is not an ISO 4217 currency code" in err, err


def test_price_and_sign_reads_signs_before_and_after_the_amount() -> None:
    assert price_and_sign("US$ 1,200") == (1200, "US$")
    assert price_and_sign("9.90 €") == (9.9, "€")
    assert price_and_sign("450") == (450, None)
    assert price_and_sign(450) == (450, None)


# --- B5: records without a name, description or owner were written ---------------------------------------------
def test_a_record_without_name_description_or_owner_fails_naming_each_column(tmp_path: Path) -> None:
    header = ["External Identifier", "Credential Name", "Credential Type", "Description", "Subject Webpage",
              "Owned By", "Credential Status", "Language"]
    path = write_lines(tmp_path / "c.csv", header,
                       ["N1", "", "Certificate", "", "https://college.example.edu/n1", "", "", ""],
                       ["N2", "Named", "Certificate", "Described well enough.", "https://college.example.edu/n2",
                        OWNER, "", ""])
    code, out, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1, err
    assert "row 2, column 'Credential Name': missing: a credential needs a name" in err
    assert "row 2, column 'Description': missing: a credential needs a description" in err
    assert "row 2, column 'Owned By': missing: a credential needs an owner: give Owned By or Offered By" in err
    assert "1 written, 1 failed" in out
    assert list(main_nodes(tmp_path / "out")) == ["Named"]
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "owner"), "--owner", OWNER)
    assert code == 1 and "needs an owner" not in err and "needs a name" in err


def test_missing_columns_are_named_as_the_template_names_them(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "orgs.csv", ["External Identifier", "Organization Name", "Organization Type",
                                                "Agent Type"],
                       ["O1", "An Org", "CredentialOrganization", "Two-Year College"])
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1 and "row 2, column 'Description': missing: an organization needs a description" in err, err
    assert "Owned By" not in err  # organizations have no owner
    catalog = {"credentials": [{"External Identifier": "J1", "Credential Type": "Certificate"}]}
    (tmp_path / "c.json").write_text(json.dumps(catalog))
    code, _, err = run("convert", str(tmp_path / "c.json"), "-o", str(tmp_path / "json"))
    assert code == 1
    for column in ("Credential Name", "Description", "Owned By"):
        assert f"$.credentials[0].{column}: missing" in err, err


def test_a_refused_value_is_not_also_reported_missing(tmp_path: Path) -> None:
    header = ["External Identifier", "Credential Name", "Credential Type", "Description", "Owned By"]
    path = write_lines(tmp_path / "c.csv", header, ["N1", "Named", "Certificate", "Described well enough.",
                                                    "not-an-owner"])
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1 and "'not-an-owner' is not a CTID" in err and "missing" not in err, err


# --- B6: references to records that failed were left dangling, silently -----------------------------------------
DANGLING_HEADER = ["External Identifier", "Learning Type", "Learning Opportunity Name", "Coded Notation",
                   "Description", "Subject Webpage", "In Catalog", "Owned By", "Language", "Has Part",
                   "ConditionProfile: Target Learning Opportunity"]


def dangling_catalog(folder: Path) -> Path:
    folder.mkdir()
    write_lines(folder / "orgs.csv", ["External Identifier", "Organization Name", "Organization Type", "Description"],
                ["ORG-1", "Failing Org", "Not A Type", "An organization whose type is unknown."])
    write_lines(folder / "los.csv", DANGLING_HEADER,
                ["PRG-1", "Learning Program", "Program 1", "", "Program one with course parts.",
                 "https://college.example.edu/p1", "", OWNER, "English", "CRS-1|CRS-2", ""],
                ["CRS-1", "Seminar", "Course 1", "C 1", "Course one introduction.", "",
                 "https://college.example.edu/c1", OWNER, "English", "", ""],
                ["CRS-2", "Course", "Course 2", "C 2", "Course two continuation.", "",
                 "https://college.example.edu/c2", OWNER, "English", "", "CRS-1"],
                ["PRG-2", "Learning Program", "", "", "Program two, without a name.",
                 "https://college.example.edu/p2", "", OWNER, "English", "CRS-2", ""],
                ["CRS-3", "Course", "Course 3", "C 3", "Course three, owned by the failing org.", "",
                 "https://college.example.edu/c3", "ORG-1", "English", "", ""])
    return folder


def test_a_reference_to_a_record_that_failed_is_a_warning_at_the_referring_cell(tmp_path: Path) -> None:
    folder = dangling_catalog(tmp_path / "cat")
    code, _, err = run("convert", str(folder), "-o", str(tmp_path / "out"))
    assert code == 1, err
    los = str(folder / "los.csv")
    failed = "which failed in this run and was not written: this reference points to no document"
    assert f"warning: {los}, row 2, column 'Has Part': 'CRS-1' refers to 'Course 1' ({los}, row 3), {failed}" in err
    assert (f"warning: {los}, row 4, column 'ConditionProfile: Target Learning Opportunity': 'CRS-1' refers to "
            f"'Course 1'") in err
    assert f"warning: {los}, row 4: ceterms:isPartOf (this row is in that program's Has Part) refers to the record " \
           f"at {los}, row 5, {failed}" in err
    assert f"warning: {los}, row 6, column 'Owned By': 'ORG-1' refers to 'Failing Org'" in err
    assert sorted(main_nodes(tmp_path / "out")) == ["Course 2", "Course 3", "Program 1"]
    assert err.count(failed) == 4


def test_dangling_references_are_found_when_workers_build_in_parallel(tmp_path: Path) -> None:
    folder = dangling_catalog(tmp_path / "cat")
    result = convert([folder], tmp_path / "out", ConvertOptions(), workers=2)
    warnings = [str(p) for p in result.problems.warnings if "which failed in this run" in p.message]
    assert len(warnings) == 4, warnings


def test_a_framework_publisher_that_failed_is_warned_about(tmp_path: Path) -> None:
    org_ctid = "ce-11111111-2222-4333-8444-555555555555"
    catalog = {"organizations": [{"CTID": org_ctid, "Organization Name": "No Description Org",
                                  "Organization Type": "CredentialOrganization"}],
               "competency_frameworks": [{"Framework": "Skills", "Framework Description": "Some skills.",
                                          "Framework CTID": "ce-aa2b04af-15af-488f-8d69-a19addc75efe",
                                          "Publisher": org_ctid,
                                          "competencies": [{"ID": "S1", "Competency": "Weld a joint."}]}]}
    (tmp_path / "c.json").write_text(json.dumps(catalog))
    code, _, err = run("convert", str(tmp_path / "c.json"), "-o", str(tmp_path / "out"))
    assert code == 1, err
    assert f"$.competency_frameworks[0]: '{org_ctid}' refers to 'No Description Org'" in err
    assert "which failed in this run" in err


# --- B7: one long CSV cell made the whole file unreadable -------------------------------------------------------
def long_rows(tmp_path: Path, description: str) -> Path:
    header = ["External Identifier", "Credential Name", "Credential Type", "Description", "Owned By"]
    return write_lines(tmp_path / "long.csv", header, ["L1", "Cert L1", "Certificate", description, OWNER],
                       ["L2", "Cert L2", "Certificate", "Short description here.", OWNER])


def test_a_cell_past_the_csv_modules_default_limit_converts(tmp_path: Path) -> None:
    code, _, err = run("convert", str(long_rows(tmp_path, "x" * 140_000)), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert len(main_nodes(tmp_path / "out")["Cert L1"]["ceterms:description"]["en-US"]) == 140_000


def test_a_cell_past_the_limit_fails_its_row_only(tmp_path: Path) -> None:
    path = long_rows(tmp_path, "x" * (csvrows.CELL_LIMIT + 1))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1, err
    assert f"{path}, row 2, column 'Description': cell longer than 16,777,216 characters" in err
    assert "quote" not in err and "missing" not in err
    assert list(main_nodes(tmp_path / "out")) == ["Cert L2"]


def test_a_quoted_cell_past_the_limit_is_an_input_error_without_a_quote_hint(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvrows, "CELL_LIMIT", 1000)
    path = long_rows(tmp_path, "x, " * 400)  # written quoted (it holds commas), on one line
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 2 and f"{path}, row 2: line 2 has a cell longer than 1,000 characters" in err, err
    assert "quote (" not in err and '""' not in err
    path.write_text(path.read_text().replace('"x, ', '"x\n', 1))  # now the cell spans lines: a quote may be astray
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 2 and "runs on to line 3 and is longer than 1,000 characters" in err, err
    assert not (tmp_path / "out").exists()


# --- Q6: documents of an earlier run were left in the output folder, silently ------------------------------------
def test_documents_an_earlier_run_left_in_the_output_folder_are_warned_about(tmp_path: Path) -> None:
    rows = [credential(f"C{i}", "USD", "100") for i in range(1, 6)]
    path = write_lines(tmp_path / "c.csv", CRED_HEADER, *rows)
    out = tmp_path / "out"
    assert run("convert", str(path), "-o", str(out))[0] == 0
    first = sorted(p.name for p in out.iterdir())
    code, _, err = run("convert", str(path), "-o", str(out))
    assert code == 0 and "not written by this run" not in err, err
    write_lines(path, CRED_HEADER, rows[0])
    code, _, err = run("convert", str(path), "-o", str(out))
    assert code == 0, err
    assert f"warning: {out}: 4 document(s) here were not written by this run (" in err
    assert ", …): left from an earlier conversion" in err and "convert into a fresh output folder" in err
    assert sorted(p.name for p in out.iterdir()) == first  # nothing deleted
    assert err.count("warning") == 1
