"""CSV and XLSX catalogs in Credential Engine bulk-upload form, read the way the Publisher reads them.

A workbook may hold several templates (credentials, learning opportunities, organizations) on separate
sheets: every sheet whose header row we recognise is read. Tables are streamed twice (index, then
build), so a 100k-row catalog never sits in memory as rows.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ctdl_tools.catalog.csvrows import CELL_LIMIT, LongCellRow, csv_rows
from ctdl_tools.catalog.fields import FIELDS, LIST_FIELDS, header_key, header_table, signature_score
from ctdl_tools.catalog.mapping import Mapping
from ctdl_tools.catalog.model import CREDENTIAL, LEARNING, ORGANIZATION, Record
from ctdl_tools.catalog.numformat import shown_digits
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
    merged: list[tuple[str, int, int]] = field(default_factory=list)  # workbook: (range, first row, last row)
    encoding: str = "utf-8"  # a CSV's: "cp1252" when it was read as Excel's Windows "CSV (Comma delimited)"

    @property
    def where(self) -> Where:
        return Where(f"{self.file} [{self.sheet}]" if self.sheet else self.file)


# --- reading files -----------------------------------------------------------------------------------
def read_tables(path: Path) -> list[Table]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_tables(path)
    return [_csv_table(path)]


def _csv_encoding(path: Path) -> str:
    """UTF-8 (a BOM allowed); else Windows-1252, what Excel on Windows writes for "CSV (Comma delimited)",
    when the bytes read as that (said with a warning); else the UTF-8 error naming the line. Read whole
    once, in C: a second reading of a 100k-row file costs a few tens of milliseconds."""
    try:
        data = path.read_bytes()
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
    try:
        handle = path.open(encoding=encoding, newline="")
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
            return Table(str(path), None, [c.strip() for c in row], number, rows, encoding=encoding)
    raise InputError(Where(str(path)), "the file is empty (no header row)")


def open_workbook(path: Path) -> tuple[Any, dict[str, SheetXml]]:
    """The workbook's computed values (read-only), once its formulas are known to have them, and what each
    sheet's XML says that openpyxl's read-only mode does not (:class:`SheetXml`); one message for a file that
    is not a readable workbook."""
    import openpyxl  # imported here: only workbooks pay for it

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
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
    for sheet in workbook.sheetnames:
        table = _sheet_table(path, sheet, SheetRows(path, sheet))
        if table is not None:
            table.merged = [m for m in sheets[sheet].merged if m[1] > table.header_row]
            tables.append(table)
    workbook.close()
    if not tables:
        raise InputError(Where(str(path)), "no sheet has a recognisable header row "
                         "(expected Credential Engine bulk-upload column names)")
    return tables


@dataclass
class SheetXml:
    """What one read of a sheet's XML says: whether it holds formulas, the cells whose formula result is
    typed (``t="str"`` …), and its merged cells that span rows."""

    formulas: bool = False
    typed: set[str] = field(default_factory=set)
    merged: list[tuple[str, int, int]] = field(default_factory=list)  # (range, first row, last row)


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
    * merged cells hold their value in their first cell only, so the rows below read it as empty (an Owned By
      merged over two records left the second with none, silently).
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
    for match in _MERGE.finditer(xml):
        first, last = int(match.group(2)), int(match.group(4))
        if last > first:
            scan.merged.append((f"{match.group(1).decode()}{first}:{match.group(3).decode()}{last}", first, last))
    return scan


def _sheet_xml(path: Path, sheet: Any) -> bytes | None:
    """The XML of a read-only worksheet's part, or None if it cannot be read (openpyxl read the workbook;
    the reading that follows finds any damage)."""
    import zipfile

    part = getattr(sheet, "_worksheet_path", None)
    if not part:
        return None
    try:
        with zipfile.ZipFile(path) as archive:
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

    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        for sheet in with_formulas:
            rows = zip(formulas[sheet].iter_rows(), computed[sheet].iter_rows(values_only=True), strict=False)
            for cells, values in rows:
                for cell, value in zip(cells, values, strict=False):
                    if (value is None and isinstance(cell.value, str) and cell.value.startswith("=")
                            and cell.coordinate not in sheets[sheet].typed):
                        raise InputError(Where(str(path)), f"sheet {sheet!r}, cell {cell.coordinate}: the formula "
                                         f"{cell.value[:60]!r} has no computed value (the workbook was saved by a "
                                         "program that does not compute formulas): open and save it in Excel or "
                                         "LibreOffice, or type the values")
    finally:
        formulas.close()


def first_sheet_header(path: Path) -> list[str]:
    """The first non-empty row of a workbook's first sheet (to tell a skills sheet from CE templates)."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
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


class SheetRows:
    """A sheet's rows as cell texts (the table's :data:`RowSource`). A number in a code column (CIP, SOC,
    NAICS) is read as its cell's number format shows it: 1.0101 formatted ``00.0000`` is ``01.0101``, and
    11.07 is ``11.0700``, not the 4-digit series 11.07. Formats are looked up for those cells only."""

    def __init__(self, path: Path, sheet: str) -> None:
        self.path, self.sheet = path, sheet
        self.code_columns: frozenset[int] = frozenset()  # 0-based
        self._styles: dict[tuple[int, int], int] | None = None  # (row, column) -> style index, read on need
        self._formats: dict[int, str | None] = {}  # style index -> its number format (None: undefined)

    def read_codes_in(self, columns: frozenset[int]) -> None:
        """Once the table's columns are bound: which hold codes."""
        self.code_columns, self._styles, self._formats = columns, None, {}

    def __call__(self) -> Iterator[tuple[int, list[str]]]:
        import openpyxl

        workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        try:
            worksheet = workbook[self.sheet]
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                texts = [_cell_text(v) for v in values]
                for column in self.code_columns:
                    value = values[column] if column < len(values) else None
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        texts[column] = self._formatted(worksheet, number, column, value) or texts[column]
                yield number, texts
        finally:
            workbook.close()

    def _formatted(self, worksheet: Any, row: int, column: int, value: float) -> str | None:
        if self._styles is None:
            self._styles = _code_cell_styles(self.path, worksheet, self.code_columns)
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
    """Excel cells as the text a person typed: 3.0 → "3", dates → ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
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
            best = (score, number, [c.strip() for c in row])
    if best is None:
        return None
    return Table(str(path), sheet, best[2], best[1], rows)


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
    table.kind = kind
    known = header_table(kind)
    for index, header in enumerate(table.header):
        if not header:
            continue
        target = mapping.column_field(header, kind)
        name = target or known.get(header_key(header))
        if name is None:
            problems.warn(table.where.at(column=header), "unknown column ignored")
        elif name in table.columns.values():
            problems.warn(table.where.at(column=header), f"second column for {name!r} ignored")
        else:
            table.columns[index] = name
    if isinstance(table.rows, SheetRows):
        table.rows.read_codes_in(frozenset(i for i, name in table.columns.items() if name in CODE_FIELDS))
    present = set(table.columns.values()) | set(mapping.defaults_for(kind))
    for alternatives in _REQUIRED[kind]:
        if not present.intersection(alternatives):
            headers = " or ".join(repr(_display_header(kind, a)) for a in alternatives)
            raise InputError(table.where, f"missing required column {headers}")


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
    if only is None:  # the building pass: said once, not again by the indexing pass
        if table.encoding == "cp1252":
            problems.warn(table.where, "not UTF-8: read as Windows-1252, the encoding of Excel's \"CSV (Comma "
                          "delimited)\"; save it as \"CSV UTF-8\" to be sure every character reads as written")
        for ref, first, last in table.merged:
            below = f"row {last}" if last == first + 1 else f"rows {first + 1} to {last}"
            problems.warn(table.where.at(row=first), f"cells {ref} are merged: only the first holds the value, "
                          f"{below} read it as empty (unmerge them and fill each row)")
    in_guidance, pending_empty = True, []
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
        _warn_beyond_header(table, number, row, problems)
        filled, invalid = {}, {}
        controls = CONTROL.search("".join(row)) is not None  # once per row: nearly always none
        too_long = row.too_long if isinstance(row, LongCellRow) else frozenset()
        for i, v in enumerate(row):
            if i in too_long and i in wanted:
                invalid[wanted[i]] = f"cell longer than {CELL_LIMIT:,} characters, more than a catalog cell may hold"
            elif i in wanted:
                text = _clean(v)
                if controls and CONTROL.search(text):
                    invalid[wanted[i]] = control_message(text)
                elif text:
                    filled[wanted[i]] = text
        values = {**defaults, **mapping.translate(table.kind, filled)}
        yield Record(table.kind, values, table.where.at(row=number), headers, invalid)


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


def list_value(value: object) -> list[str]:
    """A field's values as a list: ``a|b`` cells split, JSON arrays kept, scalars wrapped."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split("|") if part.strip()]


__all__ = ["LIST_FIELDS", "Table", "bind_columns", "detect_kind", "list_value", "read_tables",
           "sample_leftovers", "table_records"]
