"""Which reader reads which input: by ``--kind``, else by extension, headers and content.

An input whose name has no extension (``/dev/stdin``, ``<(…)``'s ``/dev/fd/63``, a pipe or file named
``catalog``) is read by its content (:func:`content_suffix`): a ZIP archive is an XLSX workbook, text starting
with ``{`` or ``[`` is JSON, text whose first line is ``---`` or a ``key:`` is YAML, anything else CSV; the
readers then see it as a file of that extension (:func:`input_suffix`).

A :class:`Source` can stream its items twice (conversion indexes everything before it builds).
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctdl_tools.catalog.fields import header_key
from ctdl_tools.catalog.mapping import KIND_NAMES, Mapping
from ctdl_tools.errors import CWD_GONE, CWD_GONE_HINT, InputError, Problems, Where, cwd_gone
from ctdl_tools.jsonio import decode_utf8, parse_json, read_bytes

TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".tsv")
JSON_SUFFIXES = (".json", ".jsonld", ".yaml", ".yml")


@dataclass
class Source:
    name: str
    format: str                       # e.g. "ce-bulk-upload", "case", "rsd", "esco", "skills-csv", "json-catalog"
    items: Callable[..., Iterator[Any]]   # items(index_only=False): index_only may skip unneeded fields
    record_kind: str | None = None    # the one kind of record it holds (a bulk-upload table), if known


def _missing(path: Path) -> str:
    """Why a path given does not exist as a file: a link that leads nowhere (or round in a loop) is said so."""
    if not path.is_absolute() and cwd_gone():
        return f"{CWD_GONE}, and this path is relative to it: {CWD_GONE_HINT}"
    if not path.is_symlink():
        return "file not found"
    try:
        path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 and 3.12: a symlink loop
        return "cannot read: a loop of symbolic links"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "cannot read: a loop of symbolic links"
        return f"a symbolic link to {os.readlink(path)}, which does not exist"
    return "file not found"


def expand_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files as given; directories contribute their catalog files (sorted, recursively)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
                           and p.suffix.lower() in TABLE_SUFFIXES + JSON_SUFFIXES)
            if not found:
                raise InputError(Where(str(path)), "directory holds no .csv, .xlsx, .json or .yaml catalog")
            files.extend(found)
        elif not path.exists():
            raise InputError(Where(str(path)), _missing(path))
        else:
            files.append(path)
    return files


# An input that cannot be read twice, as given → the regular file its bytes were read into (:func:`read_once`).
_READ_ONCE: dict[str, str] = {}


def input_file(path: Path | str) -> str:
    """Where to read input ``path`` from: the copy :func:`read_once` made of a named pipe's bytes, else ``path``
    itself. Every reader opens an input through it (messages still name ``path``)."""
    name = str(path)
    return _READ_ONCE.get(name, name)


def input_suffix(path: Path | str) -> str:
    """The extension (lower case) that decides how input ``path`` is read: its own, else that of the name
    :func:`read_once` gave it from its content, else (outside :func:`read_once`) what its content says."""
    suffix = Path(path).suffix.lower()
    if suffix:
        return suffix
    copy = _READ_ONCE.get(str(path))
    if copy is not None:
        return Path(copy).suffix.lower()
    try:  # a pipe is read by read_once only: a look at its content here would take the bytes its reader needs
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        regular = False
    return content_suffix(str(path)) if regular else ""


_YAML_START = re.compile(rb"(---|%YAML)(\s|$)|[A-Za-z_][\w-]*[ \t]*:(\s|$)")


def content_suffix(file: str) -> str:
    """The extension a file's content calls for: ``.xlsx`` for a ZIP archive (a workbook), ``.json`` for text
    starting with ``{`` or ``[`` (after a byte order mark and white space), ``.yaml`` when the first line that is
    not blank or a ``#`` comment is ``---``, ``%YAML …`` or a mapping key (``credentials:``), else ``.csv``.
    A file that cannot be read is ``.csv``: its reader says why."""
    try:
        with open(file, "rb") as handle:
            head = handle.read(64 * 1024)
    except OSError:
        return ".csv"
    if head.startswith(b"PK\x03\x04"):
        return ".xlsx"
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if text[:1] in (b"{", b"["):
        return ".json"
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(b"#"):
            return ".yaml" if _YAML_START.match(line) else ".csv"
    return ".csv"


@contextlib.contextmanager
def read_once(paths: Iterable[Path]) -> Iterator[None]:
    """Read each of ``paths`` that is not a regular file or a folder (a named pipe, ``/dev/stdin``, ``<(…)``)
    now, once, into a private temporary folder that :func:`input_file` reads from, removed on the way out. The
    readers open an input several times (to tell its format, then in each pass, in forked workers too), and a
    pipe gives its bytes to the first only: the second open waited for a writer that never came. Regular files
    cost a ``stat``.

    An input whose name has no extension gets one from its content (:func:`content_suffix`) in the name it is
    read by (the copy's, or for a regular file a symbolic link's): the readers, and openpyxl, go by the name."""
    folder: str | None = None
    copied: list[str] = []
    try:
        for path in paths:
            try:
                mode = os.stat(path).st_mode
            except OSError:  # said by the reader (expand_inputs), as for any input
                continue
            regular = stat.S_ISREG(mode)
            if (regular and Path(path).suffix) or stat.S_ISDIR(mode) or str(path) in _READ_ONCE:
                continue
            folder = folder or tempfile.mkdtemp(prefix="ctdl-convert-")
            copy = Path(folder, str(len(copied)), path.name or "input")  # its name: openpyxl looks at the suffix
            if regular:  # no extension: read where it is, by a name with the one its content calls for
                copy.parent.mkdir()
                copy = copy.with_name(copy.name + content_suffix(str(path)))
                copy.symlink_to(Path(path).absolute())
            else:
                _copy_once(path, copy)
                if not copy.suffix:
                    copy = copy.rename(copy.with_name(copy.name + content_suffix(str(copy))))
            _READ_ONCE[str(path)] = str(copy)
            copied.append(str(path))
        yield
    finally:
        for name in copied:
            _READ_ONCE.pop(name, None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _copy_once(path: Path, copy: Path) -> None:
    copy.parent.mkdir()
    given = Path(path)
    try:
        source = given.open("rb")  # not in the with below: a failure to write the copy is not the input's
    except OSError as exc:
        raise InputError(Where(str(path)), f"cannot read: {exc.strerror or exc}") from None
    with source, open(copy, "wb") as target:
        while True:
            try:
                chunk = source.read(1024 * 1024)
            except OSError as exc:
                raise InputError(Where(str(path)), f"cannot read: {exc.strerror or exc}") from None
            if not chunk:
                break
            target.write(chunk)


def read_input_text(path: Path) -> str:
    """``jsonio.read_text`` of an input (:func:`input_file`)."""
    return decode_utf8(read_bytes(input_file(path)), str(path))


def read_input_json(path: Path) -> Any:
    """``jsonio.read_json`` of an input (:func:`input_file`)."""
    return parse_json(read_input_text(path), str(path))


def open_sources(files: Iterable[Path], kind: str, mapping: Mapping, problems: Problems) -> list[Source]:
    """The sources of input files (:func:`expand_inputs`' list: directories already walked)."""
    kind = mapping_kind(kind, mapping)
    return [source for path in files for source in _open(path, kind, mapping, problems)]


def mapping_kind(kind: str, mapping: Mapping) -> str:
    if kind == "auto" and mapping.kind:
        return {v: k for k, v in KIND_NAMES.items() if k.endswith("s")}.get(mapping.kind, kind)
    return kind


def _open(path: Path, kind: str, mapping: Mapping, problems: Problems) -> list[Source]:
    suffix = input_suffix(path)
    if kind in ("case", "rsd", "esco", "competencies"):
        return [_skill_source(path, kind)]
    if suffix in TABLE_SUFFIXES:
        return _table_sources(path, kind, mapping, problems)
    if suffix in JSON_SUFFIXES:
        return [_json_source(path, kind, mapping, problems)]
    raise InputError(Where(str(path)), f"unsupported file type {suffix or '(none)'} "
                     "(use .csv, .xlsx, .json or .yaml)")


def _skill_source(path: Path, kind: str) -> Source:
    from ctdl_tools.catalog import case, esco, rsd, skills_csv

    table = input_suffix(path) in TABLE_SUFFIXES
    if kind == "case":
        reader = case.read_case_csv if table else case.read_case_package
    elif kind == "rsd" and table:
        reader = rsd.read_rsd_csv
    else:
        reader = {"rsd": rsd.read_rsd, "esco": esco.read_esco_csv, "competencies": skills_csv.read_skills_csv}[kind]
    frameworks = reader(path)
    return Source(str(path), kind, lambda index_only=False: iter(frameworks))


def _sniff_header(path: Path) -> set[str]:
    """The first non-empty row of a CSV, or of a workbook's first sheet, as header keys."""
    if input_suffix(path) in (".csv", ".tsv"):
        from ctdl_tools.catalog.tabular import read_tables

        return {header_key(h) for h in read_tables(path)[0].header}
    from ctdl_tools.catalog.tabular import first_sheet_header

    return {header_key(h) for h in first_sheet_header(path)}


def _table_sources(path: Path, kind: str, mapping: Mapping, problems: Problems) -> list[Source]:
    header = _sniff_header(path)
    if kind == "auto":
        if {"concepturi", "preferredlabel"} <= header:
            return [_skill_source(path, "esco")]
        if {"fullstatement", "humancodingscheme"} <= header:
            return [_skill_source(path, "case")]
        from ctdl_tools.catalog.rsd import is_osmt_csv_header

        if is_osmt_csv_header(header):
            return [_skill_source(path, "rsd")]
        if "competency" in header or "@type" in header or "ceasn.competencytext" in header:
            return [_skill_source(path, "competencies")]
    from ctdl_tools.catalog.tabular import INDEX_FIELDS, bind_columns, read_tables, table_records

    forced = KIND_NAMES.get(kind) if kind != "auto" else mapping.kind
    sources = []
    for table, table_kind in _data_tables(read_tables(path), forced, mapping, problems):
        bind_columns(table, table_kind, mapping, problems)
        sources.append(Source(str(table.where), "ce-bulk-upload",
                              lambda index_only=False, t=table: table_records(
                                  t, mapping, problems, INDEX_FIELDS if index_only else None), table.kind))
    return sources


def _data_tables(tables: list[Any], forced: str | None, mapping: Mapping,
                 problems: Problems) -> list[tuple[Any, str]]:
    """The tables to read, with their kind. A workbook's sheet without the columns its kind requires (a "Lists"
    sheet of drop-down values, a "Summary") is skipped with a warning, when another sheet holds data; with
    none, the first one's missing column is the error, as for a CSV."""
    from ctdl_tools.catalog.tabular import detect_kind, missing_required

    usable, skipped = [], []
    for table in tables:
        kind = detect_kind(table, forced)
        lacking = missing_required(table, kind, mapping)
        (skipped if lacking else usable).append((table, kind, lacking))
    if not usable:
        table, _, lacking = skipped[0]
        raise InputError(table.where, f"missing required column {lacking}")
    for table, kind, lacking in skipped:
        problems.warn(table.where, f"sheet skipped: it has no {lacking} column, which every "
                      f"{kind.replace('-', ' ')} row needs (a drop-down list or summary sheet?); the other "
                      "sheets are read")
    return [(table, kind) for table, kind, _ in usable]


def _json_source(path: Path, kind: str, mapping: Mapping, problems: Problems) -> Source:
    from ctdl_tools.catalog import jsoncat

    data = jsoncat.load_catalog(path) if input_suffix(path) in (".yaml", ".yml") else read_input_json(path)
    if isinstance(data, dict) and ("CFDocument" in data or "CFItems" in data):
        return _skill_source(path, "case")
    if isinstance(data, dict) and str(data.get("type", "")).startswith("Rich"):
        return _skill_source(path, "rsd")
    from ctdl_tools.catalog import ra_json

    if ra_json.looks_like_ra_request(data):
        items = ra_json.read_ra_request(path)
        return Source(str(path), "registry-assistant", lambda index_only=False: iter(items))
    if jsoncat.looks_like_catalog(data):
        catalog = jsoncat.check_catalog(data, str(path))
        frameworks = jsoncat.catalog_frameworks(catalog, str(path))

        def items(index_only: bool = False) -> Iterator[Any]:
            yield from frameworks
            yield from jsoncat.catalog_records(catalog, str(path), mapping, problems)

        return Source(str(path), "json-catalog", items)
    raise InputError(Where(str(path), path="$"), "not a catalog ctdl_tools knows: expected a ctdl_tools JSON "
                     "catalog, a Registry Assistant request, a CASE CFPackage or an OSMT RSD collection")
