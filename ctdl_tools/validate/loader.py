"""Find and read what the user asked to validate, and split it into CTDL documents.

Accepted: files, directories (every ``*.json`` / ``*.jsonld`` below, sorted), glob patterns, ``-`` for
standard input, already-parsed Python objects (a dict or list), a file's content as ``bytes`` or
``bytearray`` (read as the file would be: UTF-8, a BOM allowed, with line numbers; named ``<document N>``)
and :class:`NamedContent`, a file's content under the file's own name (what a caller read from a named pipe,
which cannot be opened twice, is reported as that file would be).
A parsed object is read as its JSON text would be (jsonio.plain_json): a Decimal is a number, a tuple an
array; what no JSON text could hold (a key that is not a string, a set, bytes, a date, NaN, an object that
contains itself) is a JSON-UNREADABLE finding at its pointer and left out. Any other kind of input (an int,
None) is a TypeError: a programming error, not bad data (the items of a bytes object given as the list of
inputs are ints).

A file may hold a registry graph document (``@context``, ``@id``, ``@graph``), a single ``/resources``
record, an array of either, a registry envelope (its ``decoded_resource``) or a Registry Assistant graph
request (:data:`GRAPH_REQUEST_KEYS`: ``publishGraph``'s ``GraphInput``, the competency framework and concept
scheme ``CompetencyFrameworkGraph`` and ``ConceptSchemeGraph``).
Unreadable input becomes a finding, never an exception, so one bad file does not hide the others; so
does a folder or glob pattern that holds no file to read (:class:`Unmatched`). A
validation report kept beside the catalog (a ``ctdl validate`` JSON report or a SARIF log) is skipped:
``Loaded.skipped`` names it, and it is no source.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctdl_tools.ctdl_files import GRAPH_REQUEST_KEYS, SUFFIXES, display_name, is_report, matched_files
from ctdl_tools.jsonio import (
    HALF_PAIR,
    JsonProblem,
    line_column,
    loads,
    loads_noting_repeats,
    plain_json,
    surrogate_path,
    unpaired_surrogate,
)
from ctdl_tools.validate.result import VIOLATION, Finding

GRAPH, RESOURCE = "graph", "resource"


@dataclass
class Source:
    """One input as read: its display name and where its text is (for line numbers).

    A file's text is not kept (100k records would hold their text twice: as text and parsed); it is
    read again, only for files that have findings. Standard input keeps its text, and so does anything else
    that is not a regular file (a named pipe, ``<(…)``, ``/dev/stdin``): it cannot be read twice.
    """

    name: str
    text: str | None = None
    path: str | None = None
    obj: Any = None  # an input given as a Python object (kept: it cannot be read again)
    size: int = 0  # bytes read
    unique_keys: bool = False  # its JSON text gives no member name twice in an object (lines.Lines reads less)

    def read_text(self) -> str | None:
        if self.text is not None or self.path is None:
            return self.text
        try:
            return Path(self.path).read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return None


STDIN_NAME = "<stdin>"  # how standard input ("-") is named in findings and reports


def graph_items(graph: Any) -> list[tuple[str, Any]]:
    """(pointer, item) of a document's @graph: an array's items, or the one object JSON-LD also takes there
    (GRAPH-NODES says it should be an array; its findings still point where it is)."""
    if isinstance(graph, list):
        return [(f"/@graph/{i}", item) for i, item in enumerate(graph)]
    return [("/@graph", graph)]


@dataclass
class Document:
    """One CTDL JSON-LD document found in a source.

    ``base`` is the JSON pointer of the document inside its file ("" for the whole file,
    "/decoded_resource" for an envelope, "/3" for the fourth element of an array).
    """

    index: int
    source: Source
    base: str
    data: dict
    kind: str  # GRAPH (has @graph) or RESOURCE (a single node)
    wrapper: str = ""  # "envelope", "Registry Assistant graph request", "array" or ""
    ordinal: int = 0  # position among the documents of its source (to find it again on re-reading)
    # Pass 1 of validation: every node object of the pruned document with its pointer (crossref.node_list),
    # listed once where the document is read, in a worker when there are workers; crossref.walk reads it.
    walked: list[tuple[str, dict]] | None = None

    @property
    def file(self) -> str:
        return self.source.name

    @property
    def nodes(self) -> list[tuple[str, dict]]:
        """Top-level nodes with their pointers inside the document."""
        if self.kind != GRAPH:
            return [("", self.data)]
        graph = self.data["@graph"]
        if isinstance(graph, list):  # graph_items's pointers, in one comprehension (read ~4× per document)
            return [(f"/@graph/{i}", n) for i, n in enumerate(graph) if isinstance(n, dict)]
        return [("/@graph", graph)] if isinstance(graph, dict) else []


@dataclass
class Loaded:
    documents: list[Document] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # Inputs that are validation reports (ctdl_files.is_report: a `ctdl validate` JSON report or a SARIF log
    # kept beside the catalog), by display name: not sources, never validated nor counted as files.
    skipped: list[str] = field(default_factory=list)
    # The text of each file as read, for placing this input's findings right away (the Source does not
    # keep it: see Source). Callers that hold many Loaded should drop it.
    texts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Unmatched:
    """A folder or glob pattern named as input that holds no file to read (iter_inputs gives it in its place):
    a file-level JSON-UNREADABLE finding, as a missing file is, so a gate never passes having read nothing
    there and its report still says why."""

    path: str

    @property
    def message(self) -> str:
        if os.path.isdir(self.path):
            return f"no {' or '.join(SUFFIXES)} files under this folder (hidden ones are left out)"
        return "no file matches this pattern"


@dataclass(frozen=True)
class NamedContent:
    """A file's bytes, already read, validated and reported under the file's name (``name``: its path)."""

    name: str
    data: bytes


Item = str | Path | dict | list | bytes | bytearray | NamedContent
_GIVEN = (dict, list, bytes, bytearray, NamedContent)  # inputs that are their content, not a name to look up


def iter_inputs(items: Iterable[Item]) -> Iterator[str | dict | list | bytes | bytearray | Unmatched]:
    """File names (directories and globs expanded, "-" kept, each file once: ctdl_files.unique_files) and
    :class:`Unmatched` for a folder or glob that holds no file, in the order of the names reports show, then
    Python objects and bytes in the order given. The same files give the same report whatever order they are
    named in (which of two files describing one node comes first decides where findings about it go).
    Raises TypeError for anything else (see the module docstring), before anything is read."""
    items = list(items)
    for number, item in enumerate(items):
        _check_item(number, item)
    paths = [(i, os.fspath(item)) for i, item in enumerate(items) if not isinstance(item, _GIVEN)]
    names: dict[int, list[str | Unmatched]] = {}
    unique, unmatched = matched_files([path for _, path in paths])
    for number, name in unique:
        names.setdefault(paths[number][0], []).append(name)
    for number in unmatched:
        names[paths[number][0]] = [Unmatched(paths[number][1])]
    files = [name for found in names.values() for name in found]
    files += [item for item in items if isinstance(item, NamedContent)]  # files too, only read already
    yield from sorted(files, key=_name_order)
    yield from (item for item in items if isinstance(item, _GIVEN) and not isinstance(item, NamedContent))


def _name_order(name: str | Unmatched | NamedContent) -> tuple[str, str]:
    path = name.path if isinstance(name, Unmatched) else name.name if isinstance(name, NamedContent) else name
    return display_name(path), path


def _check_item(number: int, item: object) -> None:
    if isinstance(item, NamedContent) and not (isinstance(item.name, str) and isinstance(item.data, bytes)):
        raise TypeError(f"input {number + 1} is a NamedContent that is not a file name (str) and its bytes")
    if isinstance(item, (str, os.PathLike, *_GIVEN)):
        if isinstance(item, os.PathLike) and not isinstance(os.fspath(item), str):
            raise TypeError(f"input {number + 1} is a path given as bytes ({item!r}): give it as a str or Path")
        return
    hint = (" (bytes given as the whole list of inputs are read as their items, ints: give a file's content as "
            "one input, [data])" if isinstance(item, int) and not isinstance(item, bool) else "")
    name = type(item).__name__
    kind = "None" if item is None else f"{'an' if name[:1] in 'aeiouAEIOU' else 'a'} {name}"
    raise TypeError(f"input {number + 1} is {kind}: validate reads file names, paths, \"-\", parsed JSON (a dict "
                    f"or a list) or a file's content (bytes){hint}")


def read_input(item: str | dict | list | bytes | bytearray | NamedContent | Unmatched, number: int,
               first_index: int = 0) -> Loaded:
    """One input: its source, its documents (numbered from ``first_index``) and any reading findings."""
    loaded = Loaded()
    if isinstance(item, Unmatched):
        source = Source(display_name(item.path))
        loaded.sources.append(source)
        loaded.findings.append(_file_finding(source.name, "JSON-UNREADABLE", item.message))
        return loaded
    if isinstance(item, (dict, list)):
        source, data = _given(item, f"<document {number + 1}>", loaded)
    elif isinstance(item, (bytes, bytearray)):
        source, data = _parse(bytes(item), f"<document {number + 1}>", None, loaded)
    elif isinstance(item, NamedContent):  # its text is kept, as standard input's: there is no reading it again
        source, data = _parse(item.data, display_name(item.name), None, loaded)
    else:
        source, data = _read(item, loaded)
    if data is not _UNREADABLE and _is_report(data):  # `-o catalog/report.json` from an earlier run
        return Loaded(skipped=[source.name])  # not the catalog's: no source, no documents, no findings
    loaded.sources.append(source)
    if data is not _UNREADABLE:
        _split(data, source, "", loaded, first_index=first_index)
    return loaded


def reread(source: Source) -> list[Document]:
    """The documents of a source read again (numbering from 0; match them by ``ordinal``)."""
    if source.obj is not None:
        data: Any = source.obj
    else:
        text = source.read_text()
        if text is None:
            return []
        try:
            data = loads(text, exact_range=True)
        except JsonProblem:
            return []
    loaded = Loaded()
    _split(data, source, "", loaded)
    return loaded.documents


def load_documents(items: Iterable[str | Path | dict | list]) -> Loaded:
    """Read every input; documents are numbered in input order."""
    loaded = Loaded()
    for number, item in enumerate(iter_inputs(items)):
        one = read_input(item, number, len(loaded.documents))
        loaded.sources += one.sources
        loaded.documents += one.documents
        loaded.findings += one.findings
        loaded.skipped += one.skipped
    return loaded


_UNREADABLE = object()


def _is_report(data: Any) -> bool:
    """ctdl_files.is_report, asked only of what has no @context (a report never has one; CTDL nearly always
    does): 1.4 µs a file saved twice."""
    return not (isinstance(data, dict) and "@context" in data) and is_report(data)


def _given(item: dict | list, name: str, loaded: Loaded) -> tuple[Source, Any]:
    """A parsed object as its JSON text would read (jsonio.plain_json); what no JSON could hold is reported at
    its pointer and left out (the copy is what is validated, and read again in pass 2)."""
    data, problems = plain_json(item)
    loaded.findings += [_file_finding(name, "JSON-UNREADABLE", problem.message, pointer=problem.pointer,
                                      prop=next((s for s in reversed(problem.path) if isinstance(s, str)
                                                 and ":" in s and not s.startswith("@")), None))
                        for problem in problems]
    source = Source(name, obj=data)
    lone = surrogate_path(data)  # what unpaired_surrogate finds in a file's text, in a Python object
    if lone is not None:
        loaded.findings.append(_file_finding(name, "JSON-UNREADABLE", f"{lone}: {HALF_PAIR}"))
        return source, _UNREADABLE
    return source, data


def _read(name: str, loaded: Loaded) -> tuple[Source, Any]:
    display = STDIN_NAME if name == "-" else display_name(name)
    try:
        if name == "-":
            if sys.stdin is None:  # `<&-`: nothing to read is not an empty catalog
                raise OSError("standard input is closed")
            raw, once = sys.stdin.buffer.read(), True
        else:
            raw, once = _read_file(name)
    except OSError as exc:
        loaded.findings.append(_file_finding(display, "JSON-UNREADABLE", f"cannot read: {exc.strerror or exc}"))
        return Source(display), _UNREADABLE
    return _parse(raw, display, None if once else name, loaded)


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)  # (O_BINARY: Windows would translate line ends)


def _read_file(name: str) -> tuple[bytes, bool]:
    """A file's bytes, and whether it can be read only once (not a regular file: a named pipe, ``<(…)``).

    os.open and os.read, not open(): no file object, buffer or isatty call per file (10k files: 0.062 s →
    0.041 s; Path.read_bytes was 0.1 s more). A regular file is read in one call, and one more to see its end."""
    fd = os.open(name, _READ_FLAGS)
    try:
        info = os.fstat(fd)
        chunks = []
        while chunk := os.read(fd, max(info.st_size + 1, 1 << 16)):
            chunks.append(chunk)
        return b"".join(chunks), not stat.S_ISREG(info.st_mode)
    finally:
        os.close(fd)


def _parse(raw: bytes, display: str, path: str | None, loaded: Loaded) -> tuple[Source, Any]:
    """A file's bytes as JSON; ``path`` is where to read them again (None: the text is kept, as for stdin)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = line_column(raw[: exc.start].decode("latin-1"), exc.start)[0]
        loaded.findings.append(_file_finding(display, "JSON-UNREADABLE", "not UTF-8: save the file as UTF-8", line))
        return Source(display), _UNREADABLE
    source = Source(display, text if path is None else None, path, size=len(raw))
    loaded.texts[display] = text
    try:
        # Nesting past MAX_DEPTH that the parser takes is found in pass 1 (crossref.prune). A number beyond a
        # double's range is kept as written (jsonio.OutOfRange): the converter reports it at its pointer.
        data, repeats = loads_noting_repeats(text, exact_range=True)
    except JsonProblem as problem:
        rule = "JSON-SYNTAX" if problem.syntax else "JSON-UNREADABLE"
        loaded.findings.append(_file_finding(display, rule, problem.located, problem.line))
        return source, _UNREADABLE
    if repeats:
        loaded.findings += _repeat_findings(display, text)
    source.unique_keys = not repeats
    lone = unpaired_surrogate(text)
    if lone is not None:
        loaded.findings.append(_file_finding(display, "JSON-UNREADABLE", lone.message, lone.line))
        return source, _UNREADABLE
    return source, data


def _file_finding(file: str, rule: str, message: str, line: int | None = None, pointer: str = "",
                  prop: str | None = None) -> Finding:
    from ctdl_tools.validate.rules import PYTHON_RULES

    return Finding(rule, VIOLATION, message, file, pointer, line, property=prop,
                   source=PYTHON_RULES[rule].citation)


def _repeat_findings(file: str, text: str) -> list[Finding]:
    """JSON-DUPLICATE-KEY for each name an object repeats, at the repeat (the value json.loads kept)."""
    from ctdl_tools.jsonscan import repeated_members
    from ctdl_tools.validate.rules import PYTHON_RULES

    citation = PYTHON_RULES["JSON-DUPLICATE-KEY"].citation
    return [Finding("JSON-DUPLICATE-KEY", VIOLATION,
                    f"{key} is given again in this object: only this last value is read, the earlier one is lost "
                    "(merge the values into one list)", file, pointer, line,
                    property=key if ":" in key or key.startswith("@") else None, source=citation)
            for pointer, key, line, _ in repeated_members(text)]


def _split(data: Any, source: Source, base: str, loaded: Loaded, wrapper: str = "", first_index: int = 0) -> None:
    if isinstance(data, list) and data:
        for i, item in enumerate(data):
            _split(item, source, f"{base}/{i}", loaded, "array", first_index)
        return
    if isinstance(data, list):  # a gate must not pass a catalog file that lost its records
        loaded.findings.append(_not_ctdl(source, base, "an empty array: it holds no CTDL document"))
        return
    if isinstance(data, dict):
        if base == "" and _is_report(data):
            return  # a report (read_input skips it whole; reread never meets one)
        if not _WRAPPER_KEYS.isdisjoint(data):  # one look for the common case, a document unwrapped
            if isinstance(data.get("decoded_resource"), dict):
                _split(data["decoded_resource"], source, f"{base}/decoded_resource", loaded, "envelope",
                       first_index)
                return
            request = next((key for key in GRAPH_REQUEST_KEYS if isinstance(data.get(key), dict)), None)
            if request is not None:
                _split(data[request], source, f"{base}/{request}", loaded, "Registry Assistant graph request",
                       first_index)
                return
        kind = GRAPH if "@graph" in data else RESOURCE if ("@context" in data or "@type" in data
                                                             or "@id" in data) else None
        if kind:
            n = len(loaded.documents)
            loaded.documents.append(Document(first_index + n, source, base, data, kind, wrapper, n))
            return
    loaded.findings.append(_not_ctdl(source, base, NOT_CTDL))


_WRAPPER_KEYS = frozenset(("decoded_resource", *GRAPH_REQUEST_KEYS))  # a document inside another object

NOT_CTDL = ("not a CTDL document: expected a graph document (@graph), a /resources record (@context, @type), an "
            "array of them, a registry envelope (decoded_resource) or a Registry Assistant graph request "
            "(GraphInput of a publishGraph request, CompetencyFrameworkGraph or ConceptSchemeGraph); the Assistant's "
            "other requests (Credential, Organization…) are not CTDL: `ctdl convert` makes CTDL of them")


def _not_ctdl(source: Source, base: str, message: str) -> Finding:
    return Finding("JSON-NOT-CTDL", VIOLATION, message, source.name, base, None, source=_citation("JSON-NOT-CTDL"))


def _citation(rule: str) -> str:
    from ctdl_tools.validate.rules import PYTHON_RULES

    return PYTHON_RULES[rule].citation
