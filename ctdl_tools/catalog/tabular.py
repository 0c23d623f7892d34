"""CSV and XLSX catalogs in Credential Engine bulk-upload form, read the way the Publisher reads them.

A workbook may hold several templates (credentials, learning opportunities, organizations) on separate
sheets: every sheet whose header row we recognise is read. Tables are streamed twice (index, then
build), so a 100k-row catalog never sits in memory as rows.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from ctdl_tools.catalog.csvrows import CELL_LIMIT, LongCellRow, csv_rows
from ctdl_tools.catalog.fields import (
    BOOLEAN_FIELDS,
    FIELDS,
    LIST_FIELDS,
    header_key,
    header_table,
    signature_score,
)
from ctdl_tools.catalog.mapping import Mapping
from ctdl_tools.catalog.model import CREDENTIAL, LEARNING, ORGANIZATION, Record
from ctdl_tools.catalog.numformat import shown_digits
from ctdl_tools.catalog.sources import input_file, input_suffix
from ctdl_tools.errors import InputError, Problems, Where
from ctdl_tools.jsonio import decode_utf8

RECORD_KINDS = (CREDENTIAL, LEARNING, ORGANIZATION)
SAMPLE_PREFIX = "SAMPLE:"
SAMPLE_MESSAGE = ("starts with the word SAMPLE. This is likely invalid data left from the sample data in the "
                  "template spreadsheet.")
# Rows CE's templates put under the header to explain the columns (row 2: Required/Optional, row 3: hints).
_GUIDANCE = re.compile(r"^(required|optional|recommended|conditional|enter|provide|select|example|e\.g\.|"
                       r"format|instructions?|use |list |one of|if )", re.IGNORECASE)
_PADDING = re.compile(r"^add new .* here$", re.IGNORECASE)
_HEADER_SCAN_ROWS = 10

RowSource = Callable[[], Iterator[tuple[int, list[str]]]]
CODE_FIELDS = frozenset({"cip", "soc", "naics"})  # a number typed in them keeps the digits its format shows
# Fields read as numbers: a number in any other column is text, read as its cell's number format shows it.
NUMBER_FIELDS = frozenset({"cost_price", "credit_value", "credit_max_value", "condition_credit_value"})
# What Excel shows for a formula that failed (openpyxl gives them as text): never a catalog value.
EXCEL_ERRORS = frozenset({"#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                          "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!"})


class Merge(NamedTuple):
    """A merged range of a sheet (1-based rows and columns)."""

    ref: str
    first_row: int
    last_row: int
    first_column: int
    last_column: int


@dataclass
class Table:
    """One sheet or CSV file: its header and a way to stream its rows (1-based row numbers)."""

    file: str
    sheet: str | None
    header: list[str]
    header_row: int
    rows: RowSource
    kind: str | None = None
    columns: dict[int, str] = field(default_factory=dict)   # column index -> canonical field
    merged: list[Merge] = field(default_factory=list)  # workbook: merged ranges over data rows
    encoding: str = "utf-8"  # a CSV's: "cp1252" when it was read as Excel's Windows "CSV (Comma delimited)"

    @property
    def where(self) -> Where:
        return Where(f"{self.file} [{self.sheet}]" if self.sheet else self.file)


# --- reading files -----------------------------------------------------------------------------------
def read_tables(path: Path) -> list[Table]:
    suffix = input_suffix(path)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_tables(path)
    return [_csv_table(path)]


def _csv_encoding(path: Path) -> str:
    """UTF-8 (a BOM allowed); else Windows-1252, what Excel on Windows writes for "CSV (Comma delimited)",
    when the bytes read as that (said with a warning); else the UTF-8 error naming the line. Read whole
    once, in C: a second reading of a 100k-row file costs a few tens of milliseconds."""
    try:
        data = Path(input_file(path)).read_bytes()
    except OSError as exc:
        raise InputError(Where(str(path)), f"cannot read: {exc.strerror or exc}") from None
    try:
        decode_utf8(data, str(path))
        return "utf-8-sig"
    except InputError as exc:
        not_utf8 = exc  # names the line of the first bad byte
    if data[:2] not in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 reads as Windows-1252 too, wrongly
        try:
            data.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    raise not_utf8


def _csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """Stream a CSV's rows in the encoding :func:`_csv_encoding` found (so no byte fails to decode); the
    file is never held whole as rows (100k-row catalogs)."""
    file = Path(input_file(path))  # a named pipe's copy (messages name the input as given)
    try:
        handle = file.open(encoding=encoding, newline="")
    except OSError as exc:
        raise InputError(Where(str(path)), f"cannot read: {exc.strerror or exc}") from None
    with handle:
        sample = handle.read(8192)
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
        handle.seek(0)
        yield from csv_rows(lambda: _reread(handle), delimiter, str(path), long_cells=True)


def _reread(handle: TextIO) -> TextIO:
    """The open CSV from its start again (csv_rows reads it twice only to explain an error)."""
    handle.seek(0)
    return handle


def _csv_table(path: Path) -> Table:
    encoding = _csv_encoding(path)

    def rows() -> Iterator[tuple[int, list[str]]]:
        return _csv_rows(path, encoding)

    for number, row in rows():
        if any(cell.strip() for cell in row):
            return Table(str(path), None, _header(row), number, rows, encoding=encoding)
    raise InputError(Where(str(path)), "the file is empty (no header row)")


def open_workbook(path: Path) -> tuple[Any, dict[str, SheetXml]]:
    """The workbook's computed values (read-only), once its formulas are known to have them, and what each
    sheet's XML says that openpyxl's read-only mode does not (:class:`SheetXml`); one message for a file that
    is not a readable workbook."""
    import openpyxl  # imported here: only workbooks pay for it

    try:
        workbook = openpyxl.load_workbook(input_file(path), read_only=True, data_only=True)
    except MemoryError:  # the machine's, not the file's: the command says so (exit 2), not "not a workbook"
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged or non-XLSX file
        raise InputError(Where(str(path)), f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    sheets = {sheet: _scan_sheet(path, workbook[sheet]) for sheet in workbook.sheetnames}
    try:
        refuse_uncomputed_formulas(path, workbook, sheets)
    except InputError:
        workbook.close()
        raise
    return workbook, sheets


def _xlsx_tables(path: Path) -> list[Table]:
    workbook, sheets = open_workbook(path)
    tables = []
    try:
        for sheet in workbook.sheetnames:
            table = _sheet_table(path, sheet, SheetRows(path, sheet))
            if table is not None:
                refuse_merged_header(table, sheets[sheet].merged)
                table.merged = [m for m in sheets[sheet].merged if m.first_row > table.header_row]
                tables.append(table)
    finally:
        workbook.close()
    if not tables:
        raise InputError(Where(str(path)), "no sheet has a recognisable header row "
                         "(expected Credential Engine bulk-upload column names)")
    return tables


MERGES_NAMED = 3


def refuse_merged_header(table: Table, merged: list[Merge]) -> None:
    """InputError for merged cells in the header row. A two-row header (a group title such as "Cost" merged over
    sub-headers "Price", "Types List" in the row below, the other headers merged down over both rows) read as
    one row gave every record a confusing error per cell; a header cell merged across columns leaves the
    columns after its first without a name, their data silently unread. Not guessed at: "Cost" over "Price"
    is CE's "Cost: Price", but another workbook's group titles are not CE's prefixes."""
    touching = [m.ref for m in sorted(merged, key=lambda m: (m.first_column, m.first_row))
                if m.first_row <= table.header_row <= m.last_row]
    if not touching:
        return
    named = ", ".join(touching[:MERGES_NAMED]) + (f" and {len(touching) - MERGES_NAMED} more"
                                                  if len(touching) > MERGES_NAMED else "")
    raise InputError(table.where.at(row=table.header_row), f"the header row has merged cells ({named}): the "
                     "header must be one row, one column name per cell; unmerge them and give each column its "
                     "full name in that row (e.g. 'Cost: Price', not 'Cost' above 'Price')")


@dataclass
class SheetXml:
    """What one read of a sheet's XML says: whether it holds formulas, the cells whose formula result is
    typed (``t="str"`` …), and its merged cells."""

    formulas: bool = False
    typed: set[str] = field(default_factory=set)
    merged: list[Merge] = field(default_factory=list)


_FORMULA = re.compile(rb"<f[\s>/]")
_CELL_TAG = re.compile(rb"<c\b([^>]*)>")
_CELL_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_TYPED = re.compile(rb'\bt="(?:str|s|inlineStr|e|b)"')
_STYLE = re.compile(rb'\bs="([0-9]+)"')
_CELL_OPEN = re.compile(rb"<c\s")
_MERGE = re.compile(rb'<mergeCell\b[^>]*\bref="([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)"')


def _scan_sheet(path: Path, sheet: Any) -> SheetXml:
    """The sheet's XML read once (read-only openpyxl gives neither formulas beside values nor merged cells).

    * typed results: an empty text result is stored like no result at all, and only ``t="str"`` (``s``,
      ``inlineStr``, ``e``, ``b``) tells them apart: Excel and LibreOffice write it, openpyxl and scripts do not;
    * merged cells hold their value in their first cell only, so the other cells read as empty (an Owned By
      merged over two records left the second with none, silently; a Description merged over the Subject
      Webpage beside it left the record without one).
    Unreadable XML says nothing (openpyxl read the workbook; the reading that follows finds any damage)."""
    xml = _sheet_xml(path, sheet)
    if xml is None:
        return SheetXml()
    scan = SheetXml(formulas=_FORMULA.search(xml) is not None)
    if scan.formulas:
        for tag in _CELL_TAG.finditer(xml):
            ref = _CELL_REF.search(tag.group(1))
            if ref and _TYPED.search(tag.group(1)):
                scan.typed.add(ref.group(1).decode())
    scan.merged = [_merge(match) for match in _MERGE.finditer(xml)]
    return scan


def _merge(match: re.Match[bytes]) -> Merge:
    from openpyxl.utils import column_index_from_string

    left, first, right, last = (group.decode() for group in match.groups())
    return Merge(f"{left}{first}:{right}{last}", int(first), int(last), column_index_from_string(left),
                 column_index_from_string(right))


def _sheet_xml(path: Path, sheet: Any) -> bytes | None:
    """The XML of a read-only worksheet's part, or None if it cannot be read (openpyxl read the workbook;
    the reading that follows finds any damage)."""
    import zipfile

    part = getattr(sheet, "_worksheet_path", None)
    if not part:
        return None
    try:
        with zipfile.ZipFile(input_file(path)) as archive:
            return archive.read(part.lstrip("/"))
    except (OSError, zipfile.BadZipFile, KeyError):
        return None


def refuse_uncomputed_formulas(path: Path, computed: Any, sheets: dict[str, SheetXml]) -> None:
    """InputError at the first formula cell that has no computed value. A workbook written by a script
    (openpyxl, CE's own pipelines) stores formulas without their results, and reading values only, such a
    cell was silently empty: a credential lost its name or price with no word. Costs a second read of the
    sheets that have formulas, only."""
    with_formulas = [sheet for sheet in computed.sheetnames if sheets[sheet].formulas]
    if not with_formulas:
        return
    import openpyxl

    formulas = openpyxl.load_workbook(input_file(path), read_only=True, data_only=False)
    try:
        for sheet in with_formulas:
            rows = zip(formulas[sheet].iter_rows(), computed[sheet].iter_rows(values_only=True), strict=False)
            for cells, values in rows:
                for cell, value in zip(cells, values, strict=False):
                    formula = _formula_text(cell.value) if value is None else None
                    if formula is not None and cell.coordinate not in sheets[sheet].typed:
                        raise InputError(Where(str(path)), f"sheet {sheet!r}, cell {cell.coordinate}: the formula "
                                         f"{formula[:60]!r} has no computed value (the workbook was saved by a "
                                         "program that does not compute formulas): open and save it in Excel or "
                                         "LibreOffice, or type the values")
    finally:
        formulas.close()


def _formula_text(value: object) -> str | None:
    """A cell's formula as written, or None for a value: openpyxl gives a plain formula as text, an array
    formula (``{=…}``, Excel 365's dynamic arrays) or a data table's ``TABLE()`` as an object."""
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    if isinstance(value, str):
        return value if value.startswith("=") else None
    if isinstance(value, ArrayFormula):
        return str(value.text or "=")
    if isinstance(value, DataTableFormula):
        return "=TABLE()"
    return None


def first_sheet_header(path: Path) -> list[str]:
    """The first non-empty row of a workbook's first sheet (to tell a skills sheet from CE templates)."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(input_file(path), read_only=True, data_only=True)
    except MemoryError:  # the machine's, not the file's: the command says so (exit 2), not "not a workbook"
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged or non-XLSX file
        raise InputError(Where(str(path)), f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    try:
        for values in workbook[workbook.sheetnames[0]].iter_rows(values_only=True):
            row = [_cell_text(v) for v in values]
            if any(cell.strip() for cell in row):
                return row
        return []
    finally:
        workbook.close()


class SheetRow(list[str]):
    """A sheet row's cell texts; ``refused`` holds the 0-based columns whose cell holds no value of its field
    (a TRUE in a text column), with why."""

    refused: dict[int, str]


class SheetRows:
    """A sheet's rows as cell texts (the table's :data:`RowSource`). A number in a text column is read as its
    cell's number format shows it: a CIP code 1.0101 formatted ``00.0000`` is ``01.0101`` (and 11.07 is
    ``11.0700``, not the 4-digit series 11.07), a ZIP code 7016 formatted ``00000`` is ``07016``. Formats are
    looked up only for the columns a number is met in (a sheet's XML read per batch of such columns)."""

    def __init__(self, path: Path, sheet: str) -> None:
        self.path, self.sheet = path, sheet
        self.fields: dict[int, str] = {}  # 0-based column -> field, once the table's columns are bound
        self._styles: dict[tuple[int, int], int] = {}  # (row, column) -> style index, read on need
        self._styled: frozenset[int] = frozenset()  # the columns whose styles are read
        self._formats: dict[int, str | None] = {}  # style index -> its number format (None: undefined)

    def bind(self, fields: dict[int, str]) -> None:
        """Once the table's columns are bound: what each holds."""
        self.fields, self._styles, self._styled, self._formats = dict(fields), {}, frozenset(), {}

    def __call__(self) -> Iterator[tuple[int, list[str]]]:
        import openpyxl

        workbook = openpyxl.load_workbook(input_file(self.path), read_only=True, data_only=True)
        try:
            worksheet = workbook[self.sheet]
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                texts = SheetRow([v if type(v) is str else _cell_text(v) for v in values])
                texts.refused = {}
                if self.fields:
                    self._typed_cells(worksheet, number, values, texts)
                yield number, texts
        finally:
            workbook.close()

    def _typed_cells(self, worksheet: Any, row: int, values: tuple[Any, ...], texts: SheetRow) -> None:
        """Numbers in text columns as their format shows them; a TRUE/FALSE outside a yes/no column refused."""
        numbers = []
        for column, value in enumerate(values):
            name = self.fields.get(column) if value is not None and type(value) is not str else None
            if name is None:
                continue
            if isinstance(value, bool):
                if name not in BOOLEAN_FIELDS:
                    texts.refused[column] = (f"the cell holds the logical value {str(value).upper()}, not a value "
                                             "of this column (a formula giving TRUE or FALSE?): type the value")
            elif isinstance(value, int | float) and name not in NUMBER_FIELDS:
                numbers.append(column)
        if numbers:
            self._read_styles(worksheet, numbers)
        for column in numbers:
            texts[column] = self._formatted(worksheet, row, column, values[column]) or texts[column]

    def _read_styles(self, worksheet: Any, columns: list[int]) -> None:
        """The styles of the cells of ``columns`` not read yet; the code columns with the first (their numbers
        come together)."""
        new = frozenset(columns) - self._styled
        if not new:
            return
        if not self._styled:
            new |= {i for i, name in self.fields.items() if name in CODE_FIELDS}
        self._styled |= new
        self._styles.update(_code_cell_styles(self.path, worksheet, new))

    def _formatted(self, worksheet: Any, row: int, column: int, value: float) -> str | None:
        style = self._styles.get((row, column))
        if not style:
            return None  # style 0: General
        if style not in self._formats:
            self._formats[style] = _number_format(worksheet, style)
        number_format = self._formats[style]
        return shown_digits(value, number_format) if number_format is not None else None


def _number_format(worksheet: Any, style: int) -> str | None:
    """The number format of the workbook's cell style ``style`` (as openpyxl gives a cell's: it depends on
    the style alone), or None for a style index the workbook does not define."""
    from openpyxl.cell.read_only import ReadOnlyCell

    try:
        return ReadOnlyCell(worksheet, 1, 1, None, "n", style).number_format
    except (IndexError, KeyError):
        return None


def _code_cell_styles(path: Path, worksheet: Any, columns: frozenset[int]) -> dict[tuple[int, int], int]:
    """The style index of every styled cell of ``columns``, by (row, 0-based column), from one read of the
    sheet's XML (read-only openpyxl gives values or whole cells, and whole cells cost much more): the cells'
    references are found, then the tag around each is read (matching every ``<c …>`` tag took 15 times as
    long). Cells written without their ``r`` reference (optional in OOXML) are not found: they read as before,
    without their format."""
    from openpyxl.utils import get_column_letter

    xml = _sheet_xml(path, worksheet)
    if not xml or not columns:
        return {}
    index = {get_column_letter(c + 1).encode(): c for c in columns}
    # Led by a literal, which the regex engine finds fast (a leading \b made it 15 times slower).
    reference = re.compile(rb'r="(' + b"|".join(index) + rb')([0-9]+)"')
    styles = {}
    for match in reference.finditer(xml):
        tag = xml[xml.rfind(b"<", 0, match.start()):xml.find(b">", match.end())]
        style = _STYLE.search(tag) if _CELL_OPEN.match(tag) and xml[match.start() - 1] in b" \t\r\n" else None
        if style and style.group(1) != b"0":
            styles[(int(match.group(2)), index[match.group(1)])] = int(style.group(1))
    return styles


def _cell_text(value: object) -> str:
    """Excel cells as the text a person typed: 3.0 → "3", dates → ISO, a float to the 15 significant digits
    Excel shows (a computed 60.00000000000001 is the 60 the sheet displays)."""
    if value is None:
        return ""
    if isinstance(value, float):
        value = float(f"{value:.15g}")
        return str(int(value)) if value.is_integer() else str(value)
    if hasattr(value, "isoformat"):
        text = value.isoformat()  # type: ignore[union-attr]
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


def _sheet_table(path: Path, sheet: str, rows: RowSource) -> Table | None:
    """The sheet's header row: the first of its top rows that names enough known columns."""
    best: tuple[int, int, list[str]] | None = None
    for number, row in rows():
        if number > _HEADER_SCAN_ROWS:
            break
        score = max(signature_score(kind, row) for kind in RECORD_KINDS)
        if score >= 3 and (best is None or score > best[0]):
            best = (score, number, _header(row))
    if best is None:
        return None
    return Table(str(path), sheet, best[2], best[1], rows)


def _header(row: list[str]) -> list[str]:
    """A header row's names, without the empty cells after the last (a sheet's rows are as wide as its widest),
    so that a cell right of the last name is said to be (:func:`_warn_beyond_header`)."""
    header = [cell.strip() for cell in row]
    while header and not header[-1]:
        header.pop()
    return header


# --- tables → records ----------------------------------------------------------------------------------
def detect_kind(table: Table, forced: str | None = None) -> str:
    if forced:
        return forced
    scores = {kind: signature_score(kind, table.header) for kind in RECORD_KINDS}
    kind, score = max(scores.items(), key=lambda item: item[1])
    if score < 3:
        raise InputError(table.where, "cannot tell what this table holds: no Credential Engine bulk-upload "
                         "headers for credentials, learning opportunities or organizations "
                         "(use --kind or --mapping)")
    return kind


_REQUIRED = {
    CREDENTIAL: (("name",), ("type",), ("external_id", "ctid")),
    LEARNING: (("name",), ("external_id", "ctid")),
    ORGANIZATION: (("name",), ("external_id", "ctid")),
}


def bind_columns(table: Table, kind: str, mapping: Mapping, problems: Problems) -> None:
    """Decide which column feeds which field; unknown columns warn, missing required ones stop."""
    lacking = missing_required(table, kind, mapping)
    if lacking:
        raise InputError(table.where, f"missing required column {lacking}")
    table.kind = kind
    for index, header, name in _matched_columns(table, kind, mapping):
        if name is None:
            problems.warn(table.where.at(column=header), "unknown column ignored")
        elif name in table.columns.values():
            problems.warn(table.where.at(column=header), f"second column for {name!r} ignored")
        else:
            table.columns[index] = name
    if isinstance(table.rows, SheetRows):
        table.rows.bind(table.columns)


def missing_required(table: Table, kind: str, mapping: Mapping) -> str | None:
    """The first required column ``table`` lacks for records of ``kind``, as the template names it (``'External
    Identifier' or 'CTID'``), or None: asked before binding, so a workbook's lookup sheet can be skipped."""
    present = {name for _, _, name in _matched_columns(table, kind, mapping)} | set(mapping.defaults_for(kind))
    for alternatives in _REQUIRED[kind]:
        if not present.intersection(alternatives):
            return " or ".join(repr(_display_header(kind, a)) for a in alternatives)
    return None


def _matched_columns(table: Table, kind: str, mapping: Mapping) -> Iterator[tuple[int, str, str | None]]:
    """(index, header, field or None) of every named column."""
    known = header_table(kind)
    for index, header in enumerate(table.header):
        if header:
            yield index, header, mapping.column_field(header, kind) or known.get(header_key(header))


def _display_header(kind: str, name: str) -> str:
    headers = FIELDS[kind].get(name, ())
    return headers[0] if headers else name


# What pass 1 (indexing) needs of a row: identity (the owner is part of a derived CTID), type, name and the
# parts a program lists.
INDEX_FIELDS = frozenset({"external_id", "ctid", "type", "name", "has_part", "owned_by", "offered_by"})


def table_records(table: Table, mapping: Mapping, problems: Problems,
                  only: frozenset[str] | None = None) -> Iterator[Record]:
    """Stream a bound table's data rows as records (guidance, padding and empty rows skipped).

    ``only`` limits the fields read (the indexing pass needs a few; reading all is most of its cost).
    """
    assert table.kind is not None
    names = dict(table.columns)
    wanted = {i: n for i, n in names.items() if only is None or n in only}
    headers = {name: table.header[index] for index, name in names.items()}
    defaults = mapping.defaults_for(table.kind)
    if only is None and table.encoding == "cp1252":  # the building pass: said once, not again by indexing
        problems.warn(table.where, "not UTF-8: read as Windows-1252, the encoding of Excel's \"CSV (Comma "
                      "delimited)\"; save it as \"CSV UTF-8\" to be sure every character reads as written")
    unnamed = [i for i, header in enumerate(table.header) if not header]
    merges: dict[int, list[Merge]] = {}  # by first row; said at a record's row (not a guidance row's)
    for merge in table.merged if only is None else ():
        merges.setdefault(merge.first_row, []).append(merge)
    in_guidance, pending_empty = True, []
    # A CSV row with fewer cells than the header (a sheet's rows are as wide as the sheet): counted, said once.
    width, short = (len(table.header) if table.sheet is None else 0), ShortRows()
    for number, row in table.rows():
        if number <= table.header_row:
            continue
        if in_guidance and _is_guidance(row):
            continue
        in_guidance = False
        if _is_padding(row) or not any(_clean(v) for i, v in enumerate(row) if i in names):
            pending_empty.append(number)
            continue
        for empty in pending_empty:  # an empty row between records is worth a word; trailing ones are not
            problems.warn(table.where.at(row=empty), "empty row skipped")
        pending_empty = []
        if len(row) < width:
            short.add(number, len(row))
        unnamed = _warn_about_row(table, number, row, merges.get(number, ()), unnamed, problems)
        filled, invalid = _row_values(row, wanted)
        for name in [n for n, text in filled.items() if "\n" in text or "\r" in text]:
            filled[name] = _line_breaks(filled[name], name, table.where.at(row=number, column=headers[name]),
                                        problems)
        values = {**defaults, **mapping.translate(table.kind, filled)}
        yield Record(table.kind, values, table.where.at(row=number), headers, invalid)
    if short.count:
        short.warn(table, problems)


@dataclass
class ShortRows:
    """A CSV's record rows with fewer cells than the header. Their missing cells are read as empty (a spreadsheet
    program may leave out a row's trailing empty cells, so not an error), but a row cut short or shifted reads
    the same way, so it is worth a word: once per file, at the first such row, with how many more there are
    (not one line per row: 10k lines for a 10k-row file)."""

    count: int = 0
    first: int = 0  # the first one's row number
    cells: int = 0  # and its number of cells
    last: int = 0

    def add(self, number: int, cells: int) -> None:
        if not self.count:
            self.first, self.cells = number, cells
        self.count += 1
        self.last = number

    def warn(self, table: Table, problems: Problems) -> None:
        problems.warn(table.where.at(row=self.first), self.message(len(table.header)))

    def message(self, header: int) -> str:
        """The one warning (``header``: the header's number of cells); the skill readers say it too."""
        message = (f"the row has {self.cells} cell(s), the header {header}: the missing ones are read as "
                   "empty")
        if self.count > 1:
            message += (f"; so are those of {self.count - 1:,} more row(s) with fewer cells than the header (the "
                        f"last: row {self.last})")
        return message


def _warn_about_row(table: Table, number: int, row: list[str], merges: Iterable[Merge], unnamed: list[int],
                    problems: Problems) -> list[int]:
    """What a record's row holds that nobody reads: cells right of the header or under no header, merged cells
    (the empty-header columns still to watch are returned)."""
    _warn_beyond_header(table, number, row, problems)
    for merge in merges:
        problems.warn(table.where.at(row=number), _merge_message(table, merge))
    return _warn_unnamed(table, number, row, unnamed, problems) if unnamed else unnamed


def _row_values(row: list[str], wanted: dict[int, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The wanted fields' texts, and the fields whose cell is refused, with why."""
    filled, invalid = {}, {}
    controls = CONTROL.search("".join(row)) is not None  # once per row: nearly always none
    too_long = row.too_long if isinstance(row, LongCellRow) else frozenset()
    refused = row.refused if isinstance(row, SheetRow) else {}
    for i, v in enumerate(row):
        if i not in wanted:
            continue
        text = _clean(v)
        if i in too_long:
            invalid[wanted[i]] = f"cell longer than {CELL_LIMIT:,} characters, more than a catalog cell may hold"
        elif i in refused:
            invalid[wanted[i]] = refused[i]
        elif controls and CONTROL.search(text):
            invalid[wanted[i]] = control_message(text)
        elif text[:1] == "#" and text in EXCEL_ERRORS:
            invalid[wanted[i]] = (f"the cell holds the Excel error value {text} (a formula that failed, e.g. a "
                                  "lookup that found nothing), not a value: fix the formula or type the value")
        elif text:
            filled[wanted[i]] = text
    return filled, invalid


# One-line texts: a line break in them (Alt+Enter, a pasted paragraph) is read as a space.
SINGLE_LINE_FIELDS = frozenset({"name", "condition_name", "coded_notation", "version_identifier", "city", "region",
                                "postal_code", "country"})
_LINE_BREAKS = re.compile(r"\s*(?:\r\n|\r|\n)\s*")


def _line_breaks(text: str, name: str, where: Where, problems: Problems) -> str:
    """A cell's line breaks: in a list, separators (Excel users type one value per line with Alt+Enter, which
    made one keyword of three); in a one-line text, spaces; elsewhere (a description's paragraphs) kept."""
    if name in LIST_FIELDS:
        problems.warn(where, "line breaks read as | (one value per line)")
        return _LINE_BREAKS.sub("|", text)
    if name in SINGLE_LINE_FIELDS:
        problems.warn(where, "line break in a one-line text: read as a space")
        return _LINE_BREAKS.sub(" ", text)
    return text


COLUMNS_NAMED = 4


def _merge_message(table: Table, merge: Merge) -> str:
    """What a merge over data rows loses: the cells after its first read as empty."""
    from openpyxl.utils import get_column_letter

    ref, first, last = merge.ref, merge.first_row, merge.last_row
    if merge.first_column == merge.last_column:  # down one column: the rows below lose the value
        below = f"row {last}" if last == first + 1 else f"rows {first + 1} to {last}"
        return (f"cells {ref} are merged: only the first holds the value, {below} read it as empty (unmerge them "
                "and fill each row)")
    columns = [repr(_column_name(table, c)) for c in range(merge.first_column, merge.last_column + 1)]
    if len(columns) > COLUMNS_NAMED:
        columns = [*columns[:COLUMNS_NAMED - 1], f"{len(columns) - COLUMNS_NAMED + 1} more", columns[-1]]
    rows = "" if last == first else f" and rows {first} to {last}"
    start = f"{get_column_letter(merge.first_column)}{first}"
    return (f"cells {ref} are merged over the columns {_and(columns)}{rows}: only {start} holds a value, "
            f"{_and(columns[1:]) if not rows else 'the other cells'} read as empty (unmerge them and fill each cell)")


def _column_name(table: Table, column: int) -> str:
    """A 1-based column's header, else its letter (a column without a header)."""
    from openpyxl.utils import get_column_letter

    header = table.header[column - 1] if column <= len(table.header) else ""
    return header or get_column_letter(column)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _warn_unnamed(table: Table, number: int, row: list[str], unnamed: list[int], problems: Problems) -> list[int]:
    """A filled cell under an empty header is read by nobody (a header cell deleted, or never typed): said once
    per column, at its first filled cell; the columns still to watch are returned."""
    from openpyxl.utils import get_column_letter

    left = []
    for i in unnamed:
        if i < len(row) and row[i].strip():
            problems.warn(table.where.at(row=number), f"column {get_column_letter(i + 1)} has no header: its cells "
                          f"are ignored ({row[i].strip()[:40]!r} here); give it a column name")
        else:
            left.append(i)
    return left


# Control characters (NUL and the like, not tab or line breaks) are no text: a registry record must not
# carry them, and they are usually a damaged export.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_message(text: str) -> str:
    char = CONTROL.search(text)
    assert char is not None
    return f"contains the control character U+{ord(char.group()):04X}, which is not text (a damaged export?)"


def _warn_beyond_header(table: Table, number: int, row: list[str], problems: Problems) -> None:
    """Cells right of the last header are read by nobody: a shifted row, or a column without a header."""
    extra = [cell for cell in row[len(table.header):] if cell.strip()]
    if extra:
        problems.warn(table.where.at(row=number), f"{len(extra)} cell(s) right of the last column "
                      f"({table.header[-1]!r}) ignored: {extra[0][:40]!r}")


def _clean(value: str) -> str:
    text = value.strip().replace("`", '"')
    return "" if text in ("NULL", "#DELETE") else text


def _is_guidance(row: list[str]) -> bool:
    cells = [c.strip() for c in row if c and c.strip()]
    return bool(cells) and all(_GUIDANCE.match(c) for c in cells)


def _is_padding(row: list[str]) -> bool:
    first = row[0].strip() if row else ""
    if not first or first[0] not in "Aa":  # cheap exit: padding rows start "ADD NEW … HERE"
        return False
    cells = [c.strip() for c in row if c and c.strip()]
    return len(cells) == 1 and bool(_PADDING.match(cells[0]))


def sample_leftovers(record: Record) -> list[str]:
    """Fields whose value is a template leftover (``SAMPLE: …``), which CE's Publisher rejects."""
    return [name for name, value in record.values.items()
            if isinstance(value, str) and value.upper().startswith(SAMPLE_PREFIX)]


LIST_SEPARATOR = re.compile(r"\||\r\n|\r|\n")


def list_value(value: object) -> list[str]:
    """A field's values as a list: ``a|b`` cells split, JSON arrays kept, scalars wrapped. A line break
    separates values as ``|`` does: a cell typed with Alt+Enter between keywords (the builder warns)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in LIST_SEPARATOR.split(str(value)) if part.strip()]


__all__ = ["LIST_FIELDS", "Table", "bind_columns", "detect_kind", "list_value", "missing_required", "read_tables",
           "sample_leftovers", "table_records"]
