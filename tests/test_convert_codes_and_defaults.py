"""Convert: CIP, SOC and NAICS codes typed into XLSX cells as numbers keep the digits their number format
shows; a mapping file's bad defaults are one message naming the mapping file and key."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from ctdl_tools.catalog.numformat import shown_digits

from .test_convert_tables import CRED_HEADER, OWNER, SOLO_ROW, load_docs, run, write_csv

# --- 2: a code typed as a number keeps the digits its cell's number format shows ------------------------------
CODE_CELLS = [  # (CIP cell value, its number format, the code written, a warning expected about it)
    (11.0701, "00.0000", "11.0701", None),
    (1.0101, "00.0000", "01.0101", None),
    (11.07, "00.0000", "11.0700", "CIP 11.0700 is not in CIP 2020"),
    (1.01, "00.00", "01.01", None),
    (11.07, "General", "11.07", None),
    (1.0101, "General", "01.0101", "the leading zero was lost"),
]


def test_xlsx_code_cells_read_as_their_number_format_shows_them(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Credentials"
    sheet.append(CRED_HEADER)
    cip, soc = CRED_HEADER.index("CIP List") + 1, CRED_HEADER.index("SOC List") + 1
    for number, (value, number_format, _, _) in enumerate(CODE_CELLS, start=2):
        sheet.append([f"C{number}", f"Credential {number}", *SOLO_ROW[2:]])
        sheet.cell(number, cip, value).number_format = number_format
        sheet.cell(number, soc, 151252).number_format = "00-0000"
    workbook.save(tmp_path / "catalog.xlsx")
    code, _, err = run("convert", str(tmp_path / "catalog.xlsx"), "-o", str(tmp_path / "out"))
    assert code == 0, err
    nodes = {d["@graph"][0]["ceterms:name"]["en-US"]: d["@graph"][0] for d in load_docs(tmp_path / "out").values()}
    for number, (_, number_format, written, warning) in enumerate(CODE_CELLS, start=2):
        node = nodes[f"Credential {number}"]
        assert [c["ceterms:codedNotation"] for c in node["ceterms:instructionalProgramType"]] == [written], \
            number_format
        assert [c["ceterms:codedNotation"] for c in node["ceterms:occupationType"]] == ["15-1252"]
        said = [line for line in err.splitlines() if f"row {number}, column 'CIP List'" in line]
        assert (warning in said[0]) if warning else not said, (number, said)
    assert "SOC '151252'" not in err  # formatted as 15-1252: nothing to repair


def test_formats_are_read_only_for_numbers_in_code_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ctdl_tools.catalog import tabular

    reads: list[frozenset[int]] = []
    original = tabular._code_cell_styles
    monkeypatch.setattr(tabular, "_code_cell_styles", lambda *args: reads.append(args[2]) or original(*args))
    workbook = openpyxl.Workbook()
    workbook.active.append(CRED_HEADER)
    workbook.active.append(["C1", "Text codes", *SOLO_ROW[2:]])  # CIP and SOC typed as text
    workbook.save(tmp_path / "text.xlsx")
    assert run("convert", str(tmp_path / "text.xlsx"), "-o", str(tmp_path / "a"))[0] == 0
    assert reads == []
    workbook.active.cell(2, CRED_HEADER.index("CIP List") + 1, 48.0508).number_format = "00.0000"
    workbook.save(tmp_path / "number.xlsx")
    assert run("convert", str(tmp_path / "number.xlsx"), "-o", str(tmp_path / "b"))[0] == 0
    assert reads == [frozenset({CRED_HEADER.index("CIP List"), CRED_HEADER.index("SOC List")})]  # once, 2 passes


@pytest.mark.parametrize(("value", "number_format", "shown"), [
    (1.0101, "00.0000", "01.0101"), (11.1, "00.0000", "11.1000"), (151252, '00"-"0000', "15-1252"),
    (151252, "00\\-0000", "15-1252"), (101, "0000", "0101"), (11.070100000000002, "00.0000", "11.0701"),
    (11.0701, "00.00", None), (11.07, "General", None), (3, "#,##0", None), (True, "0", None),
])
def test_number_formats_that_show_digits(value: float, number_format: str, shown: str | None) -> None:
    assert shown_digits(value, number_format) == shown


# --- 3: a bad default in a mapping file names the mapping file and its key, once ------------------------------
MAPPING = ("kind: credentials\ncolumns:\n  Program ID: External Identifier\n  Program Title: Credential Name\n"
           f"defaults:\n  Owned By: {OWNER}\n  Credential Type: Certificate\n")


def convert_with_defaults(tmp_path: Path, defaults: str) -> tuple[int, str, str]:
    path = write_csv(tmp_path / "programs.csv", ["Program ID", "Program Title"], [["P1", "Welding"], ["P2", "Milling"]])
    (tmp_path / "m.yaml").write_text(MAPPING + "".join(f"  {line}\n" for line in defaults.splitlines()))
    return run("convert", str(path), "--mapping", str(tmp_path / "m.yaml"), "-o", str(tmp_path / "out"))


@pytest.mark.parametrize(("default", "place", "message"), [
    ("Description: [a, b]", "$.defaults.Description", "must be text or a language map, not a list"),
    ("Credential Status: {a: 1}", "$.defaults.Credential Status", "must be text, not a mapping"),
    ("Credential Status: Actve", "$.defaults.Credential Status", "unknown credential status value 'Actve'"),
    ("'Cost: Price': abc", "$.defaults.Cost: Price", "'abc' is not a number"),
    ("'Cost: Price': [450, abc]", "$.defaults.Cost: Price[1]", "'abc' is not a number"),
    ("Date Effective: not-a-date", "$.defaults.Date Effective", "'not-a-date' is not a date"),
    ("Date Effective: [2024-01-05]", "$.defaults.Date Effective", "must be text, not a list"),
    ("Language: [English, Klingon]", "$.defaults.Language[1]", "unknown language 'Klingon'"),
    ("Subject Webpage: example.edu", "$.defaults.Subject Webpage", "'example.edu' is not an http(s) URL"),
])
def test_a_bad_default_names_the_mapping_file_and_key_once(tmp_path: Path, default: str, place: str,
                                                           message: str) -> None:
    code, _, err = convert_with_defaults(tmp_path, default)
    assert code == 2, err
    assert err.count("error:") == 1 and f"m.yaml, {place}: {message}" in err, err
    assert "programs.csv" not in err and "Traceback" not in err


def test_an_impossible_date_in_a_mapping_file_is_one_message(tmp_path: Path) -> None:
    code, _, err = convert_with_defaults(tmp_path, "Date Effective: 2024-13-45")
    assert code == 2 and "m.yaml" in err and "Traceback" not in err, err


def test_good_defaults_of_every_shape_still_apply(tmp_path: Path) -> None:
    code, _, err = convert_with_defaults(tmp_path, "'Cost: Price': 450\n'Cost: Types List': Tuition\n"
                                         "Date Effective: 2024-01-05\nLanguage: [English, Spanish]\n"
                                         "Description: {en-US: Shop practice., es: Práctica de taller.}")
    assert code == 0, err
    node = next(iter(load_docs(tmp_path / "out").values()))["@graph"][0]
    assert [c["ceterms:price"] for c in node["ceterms:estimatedCost"]] == [450]
    assert node["ceterms:dateEffective"] == "2024-01-05" and node["ceterms:inLanguage"] == ["en-US", "es"]
    assert node["ceterms:description"] == {"en-US": "Shop practice.", "es": "Práctica de taller."}
