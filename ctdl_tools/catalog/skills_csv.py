"""Skills tables → :class:`SkillFramework`: ctdl_tools' plain skills CSV/XLSX and CE's "CTDL-ASN CSV".

Two layouts, told apart by their headers:

* **plain** (ours, one row per competency): ``Framework``, ``Framework CTID``, ``Framework Description``,
  ``ID``, ``CTID``, ``Competency`` (required), ``Label``, ``Code``, ``Category``, ``Keywords`` (``|``),
  ``Parent`` (the ID or Code of the parent row), ``Alignment URL`` (``|``), plus ``Comment``, ``List ID``,
  ``Language``, ``Framework Source``, ``Publisher`` (organization CTID), ``Publisher Name``. Headers match
  case/space/``*``-insensitively. A blank ``Framework`` cell continues the previous row's framework (and
  the file name names the framework when there is none). A competency's key is its ID, else its Code,
  else its text — the same rule as the JSON catalog — so give IDs or codes for CTIDs that survive edits.
* **CTDL-ASN CSV** (CaSS / CE Publisher): literal ``@type``, ``@id``, ``ceasn:*`` headers, a framework row
  then its competencies; membership from ``ceasn:isPartOf``/``ceasn:isTopChildOf``, else the nearest
  framework row above; hierarchy from ``ceasn:isChildOf`` (parent ``@id``). Other ``ceasn:``/``ceterms:``
  columns are carried over when the vocabulary puts the property on that row's class.

This module also holds what every skill reader shares (CASE, RSD, ESCO): reading a sheet, header
matching, and the notes a reader leaves on a framework for ``build/framework.py`` to report — readers
are called with a path only, so they have no :class:`Problems` of their own.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ctdl_tools.catalog.csvrows import csv_rows
from ctdl_tools.catalog.fields import header_key
from ctdl_tools.catalog.model import Competency, SkillFramework
from ctdl_tools.catalog.sources import input_suffix, read_input_json, read_input_text
from ctdl_tools.catalog.tabular import ShortRows
from ctdl_tools.ctid import ctid_in_uri, is_ctid
from ctdl_tools.errors import InputError, Where

# --- shared by the skill readers and build/framework.py --------------------------------------------
_NOTES = "_ctdl_reader_notes"
_FIELDS = "_ctdl_source_fields"
Note = tuple[str, Where, str]  # (severity, where, message)


# A note's severity for an error that fails one competency, which the reader left out: the framework is written.
COMPETENCY_ERROR = "competency-error"


def note(fw: SkillFramework, severity: str, where: Where, message: str) -> None:
    """Leave a problem on ``fw``; ``index_framework`` reports it. An "error" stops the framework; a
    :data:`COMPETENCY_ERROR` is an error for a competency the reader left out, and does not."""
    vars(fw).setdefault(_NOTES, []).append((severity, where, message))


def reader_notes(fw: SkillFramework) -> list[Note]:
    return list(vars(fw).get(_NOTES, []))


def locate(item: Competency | SkillFramework, **fields: str) -> None:
    """Remember the column (or JSON key) each model field came from, so problems name the cell."""
    vars(item).setdefault(_FIELDS, {}).update({k: v for k, v in fields.items() if v})


def field_where(item: Competency | SkillFramework, name: str) -> Where:
    """Where one model field of ``item`` came from: a cell, a JSON path, or the item itself."""
    source = vars(item).get(_FIELDS, {}).get(name)
    if source is None:
        return item.where
    if source.startswith("$"):  # an absolute JSON path (e.g. the CASE association that set a parent)
        return item.where.at(path=source)
    if item.where.path is not None:
        return item.where.at(path=f"{item.where.path}.{source}")
    return item.where.at(column=source)


def load_json(path: Path) -> Any:
    """``jsonio.read_json``: every way the file fails to be read (syntax, NaN, nesting, over-long integers,
    lone surrogates) is one located InputError."""
    return read_input_json(path)


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text.strip())
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def clean(value: Any) -> str:
    """A cell or JSON scalar as trimmed text ('' for None, lists and objects)."""
    if value is None or isinstance(value, dict | list | bool):
        return ""
    return str(value).strip()


def split_values(text: str, separators: str | tuple[str, ...] = "|") -> list[str]:
    """Non-empty trimmed parts of a multi-valued cell, de-duplicated in order."""
    parts = re.split("|".join(re.escape(s) for s in separators), text) if separators else [text]
    return unique(p.strip() for p in parts)


def unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def is_http_url(text: str) -> bool:
    return bool(re.match(r"^https?://[^\s/]+[^\s]*$", text))


_STATUS = {"draft": "Draft", "published": "Published", "adopted": "Published", "active": "Published",
           "released": "Published",
           "deprecated": "Deprecated", "archived": "Deprecated", "retired": "Deprecated"}


def publication_status(word: str) -> str | None:
    """``publicationStatus:<X>`` for a status word or CTDL-ASN concept URL (CASE, RSD, CTDL-ASN CSV)."""
    last = re.split(r"[/:#]", word.strip())[-1].lower()
    return f"publicationStatus:{_STATUS[last]}" if last in _STATUS else None


def framework_name_from(path: Path) -> str:
    """``it_network-skills.csv`` → ``It network skills`` (a framework needs a name; the file has one)."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", path.stem)
    words = re.sub(r"[_\-.\s]+", " ", words).strip()
    return (words[:1].upper() + words[1:]) if words else path.name


# --- sheets ----------------------------------------------------------------------------------------
@dataclass
class Sheet:
    """The first table of a CSV file or workbook: header cells and non-blank data rows (1-based)."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    # A CSV's rows with fewer cells than its header (up to its last named cell), as a bulk-upload CSV's: a
    # workbook's rows are as wide as the sheet. A reader says them once, with :func:`note_short_rows`.
    width: int = 0
    short: ShortRows = field(default_factory=ShortRows)

    def where(self, row: int | None = None, column: str | None = None) -> Where:
        return Where(self.name, row=row, column=column)

    def columns(self, wanted: dict[str, tuple[str, ...]]) -> dict[str, int]:
        """field → column index, matching headers CE's way (case, spaces, ``*`` and ``_`` ignored)."""
        keys = [header_key(h) for h in self.header]
        found: dict[str, int] = {}
        for name, aliases in wanted.items():
            for alias in aliases:
                if header_key(alias) in keys:
                    found[name] = keys.index(header_key(alias))
                    break
        return found

    def cell(self, row: list[str], index: int | None) -> str:
        return row[index].strip() if index is not None and index < len(row) else ""


def read_sheet(path: Path) -> Sheet:
    """A CSV (UTF-8, BOM allowed; ``,`` ``;`` or tab) or the first sheet of an XLSX workbook."""
    if input_suffix(path) in (".xlsx", ".xlsm"):
        return _sheet(str(path), _xlsx_rows(path), workbook=True)
    return _sheet(str(path), _csv_rows(path))


def _sheet(name: str, rows: Iterable[tuple[int, list[str]]], workbook: bool = False) -> Sheet:
    sheet: Sheet | None = None
    for number, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if sheet is None:
            sheet = Sheet(name, [cell.strip() for cell in row])
            if not workbook:
                sheet.width = max((i + 1 for i, cell in enumerate(sheet.header) if cell), default=0)
        else:
            if len(row) < sheet.width:
                sheet.short.add(number, len(row))
            sheet.rows.append((number, row))
    if sheet is None:
        raise InputError(Where(name), "the file is empty (no header row)")
    return sheet


def note_short_rows(sheet: Sheet, fw: SkillFramework) -> None:
    """The sheet's rows with fewer cells than its header, one warning on ``fw`` (worded as a bulk-upload CSV's)."""
    if sheet.short.count:
        note(fw, "warning", sheet.where(row=sheet.short.first), sheet.short.message(sheet.width))


def _delimiter(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    text = read_input_text(path)
    return list(csv_rows(lambda: io.StringIO(text, newline=""), _delimiter(text, input_suffix(path)), str(path)))


def _xlsx_rows(path: Path) -> list[tuple[int, list[str]]]:
    from ctdl_tools.catalog.tabular import open_workbook

    workbook, _ = open_workbook(path)
    try:
        try:
            sheet = workbook[workbook.sheetnames[0]]
            return [(n, [_cell_text(v) for v in values])
                    for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
        finally:
            workbook.close()
    except MemoryError:  # the machine's, not the file's: the command says so (exit 2), not "not a workbook"
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged or non-XLSX file
        raise InputError(Where(str(path)), f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 3 as 3.0
    return str(value)


# --- plain skills CSV --------------------------------------------------------------------------------
PLAIN_COLUMNS: dict[str, tuple[str, ...]] = {
    "framework": ("Framework", "Framework Name", "Competency Framework"),
    "framework_ctid": ("Framework CTID",),
    "framework_description": ("Framework Description",),
    "framework_source": ("Framework Source", "Framework URL", "Source"),
    "language": ("Language", "Framework Language", "In Language"),
    "publisher": ("Publisher", "Framework Publisher", "Publisher CTID"),
    "publisher_name": ("Publisher Name",),
    "key": ("ID", "Identifier", "Competency ID", "External Identifier"),
    "ctid": ("CTID", "Competency CTID"),
    "text": ("Competency", "Competency Text"),
    "label": ("Label", "Competency Label"),
    "code": ("Code", "Coded Notation"),
    "category": ("Category", "Categories", "Competency Category"),
    "keywords": ("Keywords", "Keyword", "Concept Keyword"),
    "parent": ("Parent", "Parent ID", "Is Child Of"),
    "alignment": ("Alignment URL", "Alignment URLs", "Exact Alignment"),
    "comment": ("Comment", "Notes"),
    "list_id": ("List ID",),
}
_COMPETENCY_FIELDS = ("key", "ctid", "label", "code", "category", "keywords", "parent", "alignment", "comment",
                      "list_id")
_FRAMEWORK_FIELDS = ("framework_ctid", "framework_description", "framework_source", "language", "publisher",
                     "publisher_name")


def read_skills_csv(path: Path) -> list[SkillFramework]:
    """Frameworks in a plain skills table or a CTDL-ASN CSV (told apart by the headers)."""
    path = Path(path)
    sheet = read_sheet(path)
    keys = {header_key(h) for h in sheet.header}
    if "@type" in keys and any(k.startswith("ceasn.") for k in keys):
        return _read_ctdlasn(sheet, path)
    if header_key("Competency") in keys or header_key("Competency Text") in keys:
        return _read_plain(sheet, path)
    raise InputError(sheet.where(row=1), "missing required column 'Competency' (or, for a CTDL-ASN CSV, "
                     "the columns '@type' and 'ceasn:competencyText')")


class _PlainReader:
    def __init__(self, sheet: Sheet, path: Path) -> None:
        self.sheet, self.path = sheet, path
        self.cols = sheet.columns(PLAIN_COLUMNS)
        self.frameworks: list[SkillFramework] = []
        self.current: SkillFramework | None = None

    def header(self, name: str) -> str | None:
        index = self.cols.get(name)
        return self.sheet.header[index] if index is not None else None

    def get(self, row: list[str], name: str) -> str:
        return self.sheet.cell(row, self.cols.get(name))

    def framework(self, number: int, row: list[str]) -> SkillFramework:
        name, ctid = self.get(row, "framework"), self.get(row, "framework_ctid").lower()
        if not name and not ctid and self.current is not None:
            return self.current  # a blank Framework cell continues the framework above
        fw = self.find(name, ctid)
        if fw is None:
            name = name or framework_name_from(self.path)
            fw = SkillFramework(key=ctid or name, name=name, where=self.sheet.where(row=number))
            locate(fw, name=self.header("framework") or "", ctid=self.header("framework_ctid") or "",
                   description=self.header("framework_description") or "",
                   source=self.header("framework_source") or "", publisher=self.header("publisher") or "",
                   language=self.header("language") or "")
            self.frameworks.append(fw)
        self.current = fw
        self.framework_fields(fw, number, row)
        return fw

    def find(self, name: str, ctid: str) -> SkillFramework | None:
        """The framework a row names: by CTID when it gives one, else by name (a CTID-less one)."""
        for fw in self.frameworks:
            if ctid and (fw.ctid or fw.key) == ctid:
                return fw
        for fw in self.frameworks:
            if fw.name == name and (not ctid or fw.ctid is None):
                return fw
        return None

    def framework_fields(self, fw: SkillFramework, number: int, row: list[str]) -> None:
        """Framework-level cells may sit on any of its rows; the first value wins, a different one warns."""
        targets = {"framework_ctid": "ctid", "framework_description": "description",
                   "framework_source": "source", "language": "language", "publisher": "publisher",
                   "publisher_name": "publisher_name"}
        for name in _FRAMEWORK_FIELDS:
            value, attr = self.get(row, name), targets[name]
            if not value:
                continue
            if name == "framework_ctid" and not is_ctid(value.lower()):
                note(fw, "error", self.sheet.where(number, self.header(name)),
                     f"{value!r} is not a CTID (expected ce- followed by a UUID)")
                continue
            old = getattr(fw, attr)
            if old is None:
                setattr(fw, attr, value.lower() if name == "framework_ctid" else value)
            elif old.lower() != value.lower():
                note(fw, "warning", self.sheet.where(number, self.header(name)),
                     f"framework {fw.name!r} already has {old!r} here; {value!r} ignored")

    def competency(self, fw: SkillFramework, number: int, row: list[str]) -> None:
        text = self.get(row, "text")
        where = self.sheet.where(row=number)
        if not text:
            if not any(self.get(row, name) for name in _COMPETENCY_FIELDS):
                return  # a row that only describes its framework
            self.left_out(fw, row, where)
            return
        ctid = self.get(row, "ctid")
        if ctid and not is_ctid(ctid.lower()):
            note(fw, "error", where.at(column=self.header("ctid")),
                 f"{ctid!r} is not a CTID (expected ce- followed by a UUID)")
            ctid = ""
        code = self.get(row, "code")
        c = Competency(
            key=self.get(row, "key") or code or text, text=text, where=where, ctid=ctid.lower() or None,
            label=self.get(row, "label") or None, coded_notation=code or None,
            categories=split_values(self.get(row, "category")), keywords=split_values(self.get(row, "keywords")),
            parents=split_values(self.get(row, "parent")), exact_alignments=split_values(self.get(row, "alignment")),
            comment=self.get(row, "comment") or None, list_id=self.get(row, "list_id") or None)
        locate(c, **{f: h for f, n in (("text", "text"), ("parents", "parent"), ("ctid", "ctid"),
                                       ("exact_alignments", "alignment"), ("key", "key"))
                     if (h := self.header(n))})
        fw.competencies.append(c)

    def left_out(self, fw: SkillFramework, row: list[str], where: Where) -> None:
        """A competency row without its text is left out, said as its error; the framework is still written (one
        empty cell failed the whole framework and its competencies). Its Label is not taken for the text: a
        label names a competency, the text states it."""
        label = self.get(row, "label") or self.get(row, "code") or self.get(row, "key")
        named = f" ({label!r})" if label else ""
        note(fw, COMPETENCY_ERROR, where.at(column=self.header("text")), f"the competency text is required: this "
             f"competency{named} is left out, the rest of the framework is written without it")

    def read(self) -> list[SkillFramework]:
        for number, row in self.sheet.rows:
            self.competency(self.framework(number, row), number, row)
        if not self.frameworks:
            raise InputError(self.sheet.where(), "no competency rows under the header")
        note_short_rows(self.sheet, self.frameworks[0])
        for index, column in enumerate(self.sheet.header):
            if column and index not in self.cols.values():
                note(self.frameworks[0], "warning", self.sheet.where(row=1, column=column),
                     "not a skills CSV column: ignored")
        return self.frameworks


def _read_plain(sheet: Sheet, path: Path) -> list[SkillFramework]:
    return _PlainReader(sheet, path).read()


# --- CTDL-ASN CSV ------------------------------------------------------------------------------------
FRAMEWORK_TYPE, COMPETENCY_TYPE = "ceasn:CompetencyFramework", "ceasn:Competency"
# Columns read into the model; every other ceasn:/ceterms: column goes to ``extra`` when the vocabulary
# allows it on the row's class.
_ASN_MODEL = {"@type", "@id", "ceterms.ctid", "ceasn.name", "ceasn.competencytext", "ceasn.ischildof",
              "ceasn.ispartof", "ceasn.istopchildof", "ceasn.codednotation", "ceasn.competencycategory",
              "competencycategory", "ceasn.description", "ceasn.inlanguage", "ceasn.competencylabel",
              "ceasn.conceptkeyword", "ceasn.comment", "ceasn.listid", "ceasn.exactalignment", "ceasn.source",
              "ceasn.publisher", "ceasn.publishername", "ceasn.haschild", "ceasn.hastopchild",
              "ceasn.publicationstatustype"}
# Computed by the builder from the hierarchy: a value in the CSV would contradict or duplicate it.
_DERIVED = {"ceasn.haschild", "ceasn.hastopchild"}


@dataclass
class _AsnRow:
    number: int
    type: str
    values: dict[str, str]     # header_key → cell
    headers: dict[str, str]    # header_key → header as written


def _asn_rows(sheet: Sheet) -> list[_AsnRow]:
    keys = [header_key(h) for h in sheet.header]
    rows = []
    for number, row in sheet.rows:
        values = {k: sheet.cell(row, i) for i, k in enumerate(keys) if k}
        raw_type = values.get("@type", "")
        type_ = {"ceasn:competencyframework": FRAMEWORK_TYPE, "competencyframework": FRAMEWORK_TYPE,
                 "ceasn:competency": COMPETENCY_TYPE, "competency": COMPETENCY_TYPE}.get(raw_type.lower(), raw_type)
        rows.append(_AsnRow(number, type_, values, dict(zip(keys, sheet.header, strict=False))))
    return rows


def _ctid_of(row: _AsnRow) -> str | None:
    """The CTID a row gives: ``ceterms:ctid``, or an ``@id`` that is a CTID or a registry URI."""
    for value in (row.values.get("ceterms.ctid", ""), row.values.get("@id", "")):
        text = value.strip().lower()
        if is_ctid(text):
            return text
        found = ctid_in_uri(value)
        if found:
            return found
    return None


def _read_ctdlasn(sheet: Sheet, path: Path) -> list[SkillFramework]:
    rows = _asn_rows(sheet)
    frameworks: dict[str, SkillFramework] = {}
    pending: list[Note] = []
    current: SkillFramework | None = None
    for row in rows:
        if row.type == FRAMEWORK_TYPE:
            current = _asn_framework(row, sheet, path)
            if current.key in frameworks:
                note(frameworks[current.key], "warning", current.where,
                     f"framework {current.key!r} repeated: its first row is used")
                current = frameworks[current.key]
            frameworks[current.key] = current
        elif row.type == COMPETENCY_TYPE:
            fw = _asn_home(row, frameworks, current)
            if fw is None:
                current = fw = _asn_default_framework(sheet, path, pending)
                frameworks[fw.key] = fw
            fw.competencies.append(_asn_competency(row, sheet, fw))
        else:
            pending.append(("warning", sheet.where(row.number, row.headers.get("@type")),
                            f"@type {row.values.get('@type', '')!r} is neither {FRAMEWORK_TYPE} nor "
                            f"{COMPETENCY_TYPE}: row skipped"))
    if not frameworks:
        raise InputError(sheet.where(), f"no {FRAMEWORK_TYPE} or {COMPETENCY_TYPE} rows (No @type in CSV)")
    first = next(iter(frameworks.values()))
    note_short_rows(sheet, first)
    for severity, where, message in pending:
        note(first, severity, where, message)
    return list(frameworks.values())


def _asn_default_framework(sheet: Sheet, path: Path, pending: list[Note]) -> SkillFramework:
    name = framework_name_from(path)
    pending.append(("warning", sheet.where(), f"no {FRAMEWORK_TYPE} row before the first competency: "
                    f"a framework named {name!r} after the file holds them"))
    return SkillFramework(key=f"file:{path.name}", name=name, where=sheet.where())


def _asn_home(row: _AsnRow, frameworks: dict[str, SkillFramework],
              current: SkillFramework | None) -> SkillFramework | None:
    """The framework named by isPartOf / isTopChildOf (by @id or CTID), else the nearest one above."""
    for column in ("ceasn.ispartof", "ceasn.istopchildof"):
        for ref in split_values(row.values.get(column, "")):
            ctid = ref.lower() if is_ctid(ref.lower()) else ctid_in_uri(ref)
            for fw in frameworks.values():
                if ref == fw.key or (ctid and ctid == fw.ctid):
                    return fw
    return current


def _asn_framework(row: _AsnRow, sheet: Sheet, path: Path) -> SkillFramework:
    v = row.values
    where = sheet.where(row=row.number)
    name = v.get("ceasn.name") or v.get("ceasn.description") or framework_name_from(path)
    fw = SkillFramework(key=v.get("@id") or _ctid_of(row) or name, name=name, where=where, ctid=_ctid_of(row),
                        description=v.get("ceasn.description") or None,
                        language=(split_values(v.get("ceasn.inlanguage", "")) or [None])[0],
                        source=(split_values(v.get("ceasn.source", "")) or [None])[0],
                        publisher_name=v.get("ceasn.publishername") or None)
    publisher = split_values(v.get("ceasn.publisher", ""))
    fw.publisher = publisher[0] if publisher else None
    locate(fw, name=row.headers.get("ceasn.name", ""), description=row.headers.get("ceasn.description", ""),
           source=row.headers.get("ceasn.source", ""), publisher=row.headers.get("ceasn.publisher", ""),
           language=row.headers.get("ceasn.inlanguage", ""))
    if not v.get("ceasn.name"):
        note(fw, "warning", where.at(column=row.headers.get("ceasn.name")), f"framework has no ceasn:name: "
             f"named {name!r}")
    fw.extra.update(_asn_extra(row, sheet, FRAMEWORK_TYPE, fw))
    return fw


def _asn_competency(row: _AsnRow, sheet: Sheet, fw: SkillFramework) -> Competency:
    v = row.values
    where = sheet.where(row=row.number)
    text = v.get("ceasn.competencytext") or v.get("ceasn.name") or ""
    if not text:
        note(fw, "error", where.at(column=row.headers.get("ceasn.competencytext", "ceasn:competencyText")),
             "the competency has no ceasn:competencyText")
    categories = split_values(v.get("ceasn.competencycategory", "")) + split_values(v.get("competencycategory", ""))
    c = Competency(
        key=v.get("@id") or _ctid_of(row) or v.get("ceasn.codednotation") or text or f"row {row.number}",
        text=text, where=where, ctid=_ctid_of(row), label=v.get("ceasn.competencylabel") or None,
        coded_notation=v.get("ceasn.codednotation") or None, categories=unique(categories),
        keywords=split_values(v.get("ceasn.conceptkeyword", "")), parents=split_values(v.get("ceasn.ischildof", "")),
        exact_alignments=split_values(v.get("ceasn.exactalignment", "")),
        comment=v.get("ceasn.comment") or None, list_id=v.get("ceasn.listid") or None)
    locate(c, text=row.headers.get("ceasn.competencytext", ""), parents=row.headers.get("ceasn.ischildof", ""),
           exact_alignments=row.headers.get("ceasn.exactalignment", ""), key=row.headers.get("@id", ""))
    c.extra.update(_asn_extra(row, sheet, COMPETENCY_TYPE, fw))
    return c


def _asn_extra(row: _AsnRow, sheet: Sheet, class_: str, fw: SkillFramework) -> dict[str, Any]:
    """Further ``ceasn:``/``ceterms:`` cells, shaped by the bundled context (see build/framework.py)."""
    from ctdl_tools.vocab import vocabulary

    vocab = vocabulary()
    extra: dict[str, Any] = {}
    status = row.values.get("ceasn.publicationstatustype", "")
    if status:
        concept = publication_status(status)
        if concept:
            extra["ceasn:publicationStatusType"] = concept
        else:
            note(fw, "warning", sheet.where(row.number, row.headers["ceasn.publicationstatustype"]),
                 f"{status!r} is not a publication status (Draft, Published, Deprecated): ignored")
    for key, value in row.values.items():
        if not value or (key in _ASN_MODEL and key not in _DERIVED):
            continue
        header = row.headers[key]
        prop = _property_named(header)
        info = vocab.properties.get(prop or "")
        if key in _DERIVED or prop is None or info is None or class_ not in info.domain:
            reason = ("is computed from the hierarchy" if key in _DERIVED else
                      "is not a CTDL-ASN property" if info is None else f"is not a property of {class_}")
            # once per column and class: the same column is usually filled on every row
            note(fw, "warning", sheet.where(1, header), f"{reason} ({class_} rows): ignored")
            continue
        extra[prop] = split_values(value) if prop in vocab.iri_valued else value
    return extra


def _property_named(header: str) -> str | None:
    """The vocabulary term a header spells, ignoring case and spaces (``ceasn:Author`` → ``ceasn:author``)."""
    return _properties_by_lower_name().get(header.replace(" ", "").lower())


@cache
def _properties_by_lower_name() -> dict[str, str]:
    from ctdl_tools.vocab import vocabulary

    return {p.lower(): p for p in vocabulary().properties}
