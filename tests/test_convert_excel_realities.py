"""Convert: what Excel does to a catalog (catalogs.md §4.1) — zeros a number format shows, error values and
TRUE/FALSE from formulas, lookup sheets, two-row and merged headers, array formulas, line breaks typed with
Alt+Enter, language codes as people type them — each read as the sheet shows it or said at its cell."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from .test_convert_tables import CRED_HEADER, LO_HEADER, LO_ROWS, SOLO_ROW, load_docs, run, write_csv

SHEET = "Credentials"


def column(name: str, header: list[str] = CRED_HEADER) -> int:
    """A header's 1-based column."""
    return header.index(name) + 1


def letter(name: str, header: list[str] = CRED_HEADER) -> str:
    return get_column_letter(column(name, header))


def credential(number: int, cells: dict[str, object] | None = None) -> list[object]:
    """The solo credential with its own identifier and name, some cells (by header) replaced."""
    row: list[object] = [f"C{number}", f"Credential {number}", *SOLO_ROW[2:]]
    for header, value in (cells or {}).items():
        row[CRED_HEADER.index(header)] = value
    return row


def csv_file(path: Path, rows: list[list[object]]) -> Path:
    return write_csv(path, CRED_HEADER, [[str(cell) for cell in row] for row in rows])


def workbook(rows: list[list[object]], header: list[str] = CRED_HEADER,
             title: str = SHEET) -> tuple[openpyxl.Workbook, object]:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    return book, sheet


def convert(tmp_path: Path, book: openpyxl.Workbook, name: str = "catalog.xlsx") -> tuple[int, str, dict[str, dict]]:
    book.save(tmp_path / name)
    code, _, err = run("convert", str(tmp_path / name), "-o", str(tmp_path / "out"))
    return code, err, nodes_by_name(tmp_path / "out")


def nodes_by_name(outdir: Path) -> dict[str, dict]:
    if not outdir.exists():
        return {}
    return {next(iter(d["@graph"][0]["ceterms:name"].values())): d["@graph"][0] for d in load_docs(outdir).values()}


def said(err: str, row: int, header: str) -> list[str]:
    """The lines of stderr about one cell."""
    return [line for line in err.splitlines() if f"row {row}, column {header!r}:" in line]


# --- 1: a number's zeros as its format shows them; a short ZIP code warned about --------------------------------
ORG_HEADER = ["External Identifier", "Organization Name", "Description", "Subject Webpage", "Phone", "Postal Code",
              "Country"]


def test_zip_codes_keep_the_zeros_their_format_shows_and_short_ones_are_warned(tmp_path: Path) -> None:
    # Found in acceptance testing: a Postal Code cell holding 7016 formatted 00000 (shown 07016) became "7016",
    # and a ZIP code whose zero Excel dropped passed with no word.
    rows = [["O1", "Formatted", "An organization.", "https://o1.example.org", 5550142, 7016, "United States"],
            ["O2", "General", "An organization.", "https://o2.example.org", "555-0100", 7016, ""],
            ["O3", "Five digits", "An organization.", "https://o3.example.org", "", 45601, "USA"],
            ["O4", "Abroad", "An organization.", "https://o4.example.org", "", 2000, "Australia"]]
    book, sheet = workbook(rows, ORG_HEADER, "Organizations")
    sheet.cell(2, column("Postal Code", ORG_HEADER)).number_format = "00000"
    sheet.cell(2, column("Phone", ORG_HEADER)).number_format = "000-0000"
    code, err, nodes = convert(tmp_path, book)
    assert code == 0, err
    address = {name: node["ceterms:address"][0] for name, node in nodes.items()}
    assert address["Formatted"]["ceterms:postalCode"] == "07016"
    assert address["Formatted"]["ceterms:targetContactPoint"][0]["ceterms:telephone"] == ["555-0142"]
    assert address["General"]["ceterms:postalCode"] == "7016"  # kept as written, and said:
    (warning,) = said(err, 3, "Postal Code")
    assert "'7016' has 4 digits, a US ZIP code 5: a leading zero lost in a spreadsheet ('07016')?" in warning
    assert [address[n]["ceterms:postalCode"] for n in ("Five digits", "Abroad")] == ["45601", "2000"]
    assert err.count("Postal Code") == 1
    # The same damage in a CSV (New Jersey's real provider feed lost 07016's zero between releases).
    write_csv(tmp_path / "orgs.csv", ORG_HEADER, [["O5", "From a CSV", "An organization.", "", "", "8360", ""]])
    _, _, err = run("convert", str(tmp_path / "orgs.csv"), "-o", str(tmp_path / "csv"))
    assert "row 2, column 'Postal Code': '8360' has 4 digits" in err


# --- 2: Excel error values and TRUE/FALSE are no values -------------------------------------------------------
def test_excel_error_values_and_booleans_fail_their_record_at_the_cell(tmp_path: Path) -> None:
    # Found in acceptance testing: a VLOOKUP's cached #N/A was published as the description "#N/A", and a
    # =TRUE() in a Description as "True".
    rows = [credential(2, {"DESCRIPTION": "#N/A"}), credential(3, {"Owned By": "#REF!"}),
            credential(4, {"External Identifier": "#VALUE!"}), credential(5, {"DESCRIPTION": True}), credential(6)]
    book, sheet = workbook(rows)
    assert sheet.cell(2, column("DESCRIPTION")).data_type == "e"  # stored as Excel stores an error value
    code, err, nodes = convert(tmp_path, book)
    assert code == 1, err
    assert list(nodes) == ["Credential 6"]
    error = "the cell holds the Excel error value {} (a formula that failed, e.g. a lookup that found nothing)"
    assert error.format("#N/A") in said(err, 2, "DESCRIPTION")[0]
    assert error.format("#REF!") in said(err, 3, "Owned By")[0]
    assert error.format("#VALUE!") in said(err, 4, "External Identifier")[0]  # says why the identifier is missing
    assert "the cell holds the logical value TRUE, not a value of this column" in said(err, 5, "DESCRIPTION")[0]
    # A CSV saved from such a sheet holds the error's text: the same error.
    csv_file(tmp_path / "c.csv", [credential(2, {"DESCRIPTION": "#DIV/0!"})])
    code, _, err = run("convert", str(tmp_path / "c.csv"), "-o", str(tmp_path / "csv"))
    assert code == 1 and error.format("#DIV/0!") in said(err, 2, "DESCRIPTION")[0], err


def test_a_boolean_in_a_yes_no_column_is_its_value(tmp_path: Path) -> None:
    header = [*LO_HEADER, "Is Non-Credit"]
    book, _ = workbook([[*LO_ROWS[0], True]], header, "Courses")
    code, err, nodes = convert(tmp_path, book)
    assert code == 0, err
    assert nodes["Welding Safety and Fundamentals"]["ceterms:isNonCredit"] is True


# --- 3: a lookup or summary sheet beside the data ---------------------------------------------------------------
def test_a_lookup_or_summary_sheet_is_skipped_with_a_warning(tmp_path: Path) -> None:
    # Found in acceptance testing: a "Lists" sheet of drop-down values (Credential Type | Credential Status |
    # Language) stopped the whole workbook with "missing required column".
    book, _ = workbook([credential(2)])
    book.create_sheet("Lists").append(["Credential Type", "Credential Status", "Language"])
    book["Lists"].append(["Certificate", "Active", "English"])
    summary = book.create_sheet("Summary")
    summary.append(["Credential Name", "Credential Type", "Description", "Total Cost"])
    summary.append(["Credential 2", "Certificate", "see the main sheet", 1000])
    code, err, nodes = convert(tmp_path, book)
    assert code == 0, err
    assert list(nodes) == ["Credential 2"]
    assert "[Lists]: sheet skipped: it has no 'Credential Name' column" in err
    assert "[Summary]: sheet skipped: it has no 'External Identifier' or 'CTID' column" in err
    # With no data sheet, the missing column is the error it was.
    book = openpyxl.Workbook()
    book.active.title = "Lists"
    book.active.append(["Credential Type", "Credential Status", "Language"])
    code, err, _ = convert(tmp_path, book, "lists.xlsx")
    assert code == 2 and "[Lists]: missing required column 'Credential Name'" in err, err


# --- 4: merged header cells ------------------------------------------------------------------------------------
COSTS = [h for h in CRED_HEADER if h.startswith("Cost: ")]


def two_row_header() -> openpyxl.Workbook:
    """The header as people lay it out: "Cost" merged over its sub-headers, every other header merged down
    over both rows."""
    book, sheet = workbook([])
    sheet.delete_rows(1)
    sheet.append([("Cost" if h == COSTS[0] else None) if h in COSTS else h for h in CRED_HEADER])
    sheet.append([h.removeprefix("Cost: ") if h in COSTS else None for h in CRED_HEADER])
    sheet.append(credential(3))
    for number, header in enumerate(CRED_HEADER, start=1):
        if header not in COSTS:
            sheet.merge_cells(start_row=1, start_column=number, end_row=2, end_column=number)
    sheet.merge_cells(f"{letter(COSTS[0])}1:{letter(COSTS[-1])}1")
    return book


def test_a_two_row_header_is_one_message_naming_the_merged_cells(tmp_path: Path) -> None:
    # Found in acceptance testing: a two-row header (a merged "Cost" over Price, Types List…) gave 29 errors,
    # none about the header.
    code, err, nodes = convert(tmp_path, two_row_header())
    assert code == 2 and err.count("error") == 1, err
    more = len(CRED_HEADER) - len(COSTS) + 1 - 3  # each other header, and "Cost"; three are named
    assert (f"[{SHEET}], row 1: the header row has merged cells (A1:A2, B1:B2, C1:C2 and {more} more): the "
            "header must be one row, one column name per cell") in err
    assert nodes == {}


def test_a_header_cell_merged_across_columns_is_refused(tmp_path: Path) -> None:
    book, sheet = workbook([credential(2)])
    sheet.merge_cells("B1:C1")  # the Credential Type column loses its name: its cells were silently unread
    code, err, _ = convert(tmp_path, book)
    assert code == 2 and "row 1: the header row has merged cells (B1:C1)" in err, err


# --- 5: formulas openpyxl gives as objects --------------------------------------------------------------------
@pytest.mark.parametrize(("formula", "shown"), [
    (ArrayFormula("B2", '=UPPER("welding")'), '=UPPER("welding")'),
    (DataTableFormula("B2:B3", r1="A1"), "=TABLE()"),
])
def test_an_array_or_data_table_formula_without_a_value_is_refused(tmp_path: Path, formula: object,
                                                                   shown: str) -> None:
    # Found in acceptance testing: an array formula with no computed value was silently an empty cell.
    book, sheet = workbook([credential(2), credential(3)])
    sheet["B2"] = formula
    code, err, nodes = convert(tmp_path, book)
    assert code == 2 and f"sheet {SHEET!r}, cell B2: the formula {shown!r} has no computed value" in err, err
    assert nodes == {}


# --- 6: language codes as people type them ---------------------------------------------------------------------
def test_language_codes_are_written_as_bcp_47_spells_them(tmp_path: Path) -> None:
    # Found in acceptance testing: Language "eng" and "EN" were written as is ("inLanguage": ["EN"] beside a
    # language map keyed "en"), and "xx-YY" too, all of which `ctdl validate` then warned about.
    languages = {2: "eng", 3: "EN", 4: "en-us", 5: "xx-YY", 6: "fre|Spanish"}
    csv_file(tmp_path / "c.csv", [credential(n, {"Language": v}) for n, v in languages.items()])
    code, _, err = run("convert", str(tmp_path / "c.csv"), "-o", str(tmp_path / "out"))
    assert code == 1, err
    nodes = nodes_by_name(tmp_path / "out")
    expected = {2: (["en"], "en"), 3: (["en"], "en"), 4: (["en-US"], "en-US"), 6: (["fr", "es"], "en-US")}
    for number, (in_language, key) in expected.items():
        node = nodes[f"Credential {number}"]
        assert node["ceterms:inLanguage"] == in_language
        assert list(node["ceterms:name"]) == list(node["ceterms:description"]) == [key]
    assert "'eng' written 'en': 'eng' is the three-letter ISO 639-2 code of English" in said(err, 2, "Language")[0]
    assert "'fre' written 'fr'" in said(err, 6, "Language")[0]
    assert not said(err, 3, "Language") and not said(err, 4, "Language")
    assert "unknown language 'xx-YY': no ISO 639-1 language code is 'xx'" in said(err, 5, "Language")[0]
    assert "Credential 5" not in nodes


# --- 7: merged cells across the columns of a record ------------------------------------------------------------
def test_cells_merged_across_a_rows_columns_are_warned_about(tmp_path: Path) -> None:
    # Found in acceptance testing: Description merged over Subject Webpage (D4:E4) silently lost the webpage.
    book, sheet = workbook([["Enter one row per credential."], credential(3), credential(4)])
    sheet.merge_cells("A2:F2")  # a guidance row under the header: no record's cells
    span = f"{letter('DESCRIPTION')}3:{letter('Subject Webpage')}3"
    sheet.merge_cells(span)
    code, err, nodes = convert(tmp_path, book)
    assert f"row 3: cells {span} are merged over the columns 'DESCRIPTION' and 'Subject Webpage': only " \
           f"{letter('DESCRIPTION')}3 holds a value, 'Subject Webpage' read as empty" in err
    assert err.count("are merged") == 1, err
    assert code == 0 and "ceterms:subjectWebpage" not in nodes["Credential 3"]


# --- 8: line breaks typed in cells -----------------------------------------------------------------------------
def test_line_breaks_separate_list_values_and_are_spaces_in_a_name(tmp_path: Path) -> None:
    # Found in acceptance testing: Keywords typed one per line became one keyword with line breaks, and Cost
    # Types typed so were reported as "3 prices for 1 cost types" against the price column.
    rows = [credential(2, {"Keywords": "welding\nfabrication\r\nSMAW", "Cost: Types List": "Tuition\nTechnology Fee",
                           "Credential Name*": "Welding\nTechnology"}),
            credential(3, {"Cost: Types List": "Tuition", "Cost: Price": "100|200|300"})]
    csv_file(tmp_path / "c.csv", rows)
    code, _, err = run("convert", str(tmp_path / "c.csv"), "-o", str(tmp_path / "out"))
    assert code == 1, err
    node = nodes_by_name(tmp_path / "out")["Welding Technology"]
    assert node["ceterms:keyword"] == {"en-US": ["welding", "fabrication", "SMAW"]}
    assert [c["ceterms:directCostType"]["ceterms:targetNode"] for c in node["ceterms:estimatedCost"]] == [
        "costType:Tuition", "costType:TechnologyFee"]
    assert "line breaks read as | (one value per line)" in said(err, 2, "Keywords")[0]
    assert "line breaks read as |" in said(err, 2, "Cost: Types List")[0]
    assert "line break in a one-line text: read as a space" in said(err, 2, "Credential Name*")[0]
    (mismatch,) = said(err, 3, "Cost: Types List")  # the column with fewer values, naming both
    assert "'Cost: Types List' has 1 value(s) and 'Cost: Price' 3: give one price per cost type" in mismatch


# --- lesser: computed floats, columns without a header ---------------------------------------------------------
def test_a_computed_float_reads_as_excel_shows_it(tmp_path: Path) -> None:
    credits = column("Condition Profile: Credit Unit Value")
    book, sheet = workbook([credential(2), credential(3)])
    sheet.cell(2, credits).value = 60.00000000000001
    sheet.cell(3, credits).value = 0.1 + 0.2
    code, err, nodes = convert(tmp_path, book)
    assert code == 0, err
    values = [nodes[f"Credential {n}"]["ceterms:requires"][0]["ceterms:creditValue"][0]["schema:value"]
              for n in (2, 3)]
    assert values == [60, 0.3]


def test_cells_under_no_header_are_warned_about_by_column_letter(tmp_path: Path) -> None:
    header = [*CRED_HEADER[:3], "", *CRED_HEADER[3:]]
    book, _ = workbook([[*credential(2)[:3], "stray", *credential(2)[3:], "", "beyond"],
                        [*credential(3)[:3], "again", *credential(3)[3:]]], header)
    code, err, _ = convert(tmp_path, book)
    assert code == 0, err
    assert "row 2: column D has no header: its cells are ignored ('stray' here)" in err
    assert err.count("has no header") == 1  # once per column
    assert f"row 2: 1 cell(s) right of the last column ({CRED_HEADER[-1]!r}) ignored: 'beyond'" in err

