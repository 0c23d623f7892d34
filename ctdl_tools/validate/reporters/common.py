"""What every reporter shares: options, the record index, grouping by file and record, totals and verdict.

Findings alone do not say which records were clean nor what a record is called: the checker keeps a
record index (:func:`records_of` every document it reads, ``Report.index``; :func:`index_records` for
documents read elsewhere) and the reporters take it through :class:`Options`, so a JUnit report has a
passing test case for every clean record and every heading can say which program it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from ctdl_tools.ctdl_files import GRAPH_REQUEST_KEYS
from ctdl_tools.textchars import HIDDEN, character_class
from ctdl_tools.validate.result import (
    INFO,
    SEVERITIES,
    SEVERITY_RANK,
    VIOLATION,
    WARNING,
    Finding,
    Record,
    Report,
    Rule,
)
from ctdl_tools.validate.rules import UNREADABLE_RULES

FAIL_ON = ("violation", "warning")
# Keys that hold a record's display name, most specific first (CTDL, CTDL-ASN frameworks, competencies, concepts).
NAME_KEYS = ("ceterms:name", "ceasn:name", "ceasn:competencyLabel", "ceasn:competencyText", "skos:prefLabel")
PREFERRED_LANGUAGES = ("en-US", "en")
PLURALS = {VIOLATION: ("violation", "violations"), WARNING: ("warning", "warnings"), INFO: ("info", "infos")}


@dataclass(frozen=True)
class Options:
    """How to render: which severities fail, the record index, colour (text on a terminal only)."""

    fail_on: str = "violation"
    records: tuple[Record, ...] = ()
    color: bool = False
    base: str | None = None  # directory SARIF URIs are relative to; None: the working directory at render time
    sarif_max_results: int = 0  # SARIF lists at most this many results, the most severe; 0: every one

    @cached_property
    def names(self) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for r in self.records:
            if r.name:
                out.setdefault((r.file, r.ctid), r.name)
        return out

    def name_of(self, file: str, ctid: str | None) -> str | None:
        return self.names.get((file, ctid)) if ctid else None


@dataclass
class RecordGroup:
    """Findings of one record: ``key`` is its CTID, else the JSON pointer of the node ("" = the file)."""

    key: str
    ctid: str | None
    name: str | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.ctid:
            return f"{self.ctid}  {self.name}" if self.name else self.ctid
        return self.key or "(whole file)"

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


@dataclass
class FileGroup:
    file: str
    records: list[RecordGroup]


# --- values ------------------------------------------------------------------------------------------------
# What a reader cannot see in a printed value (textchars.HIDDEN), and the backslash, so that an escaped value
# reads one way only ("P16W\n" is a newline, "P16W\\n" a backslash and an n).
_HIDDEN = character_class("\\\\", HIDDEN)
_ESCAPED = character_class("\\\\", HIDDEN, '"')  # in an escaped value, the quote too
_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


_UNSEEN = character_class(HIDDEN)


def visible(text: str) -> str:
    """``text`` with each character a reader cannot see (textchars.HIDDEN: controls, bidi controls that would
    reorder what follows, zero-width and other format characters, spaces other than U+0020, lone surrogates)
    as ``\\uXXXX``. For every text of the data a report shows besides a value: record names, messages (which
    quote values), pointers, properties, file names, rule ids, names and sources of user shapes. A value is
    shown with :func:`shown_value` (quoted, its backslashes escaped too, so that it reads one way); here
    backslashes stay as written (messages quote values with Python's own escapes)."""
    return _UNSEEN.sub(_code, text) if _UNSEEN.search(text) else text


def _code(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def has_hidden(text: str) -> bool:
    """Whether ``text`` holds a character a reader cannot see when it is printed (or a backslash)."""
    return _HIDDEN.search(text) is not None


def escaped(text: str) -> str:
    """``text`` as a JSON string literal, quotes included, that also escapes what is invisible when printed:
    ``"P16W\\n"``, ``"a\\u200bb"``. Ordinary text, non-ASCII letters too, is kept as it is."""
    return '"' + _ESCAPED.sub(lambda m: _escape(m.group()), text) + '"'


def shown_value(text: str, width: int | None = None) -> str:
    """A finding's value for people, in quotes: as it is, or :func:`escaped` when it holds something hidden.
    Past ``width`` characters it is cut, with "…": after the start of a plain value, around the first
    hidden character of an escaped one (a trailing newline must stay in sight)."""
    hidden = _HIDDEN.search(text)
    if hidden is None:
        cut = text if width is None or len(text) <= width else text[: width - 1] + "…"
        return f'"{cut}"'
    pieces = [_escape(ch) if _ESCAPED.match(ch) else ch for ch in text]  # a cut never splits an escape
    if width is None or sum(map(len, pieces)) <= width:
        return '"' + "".join(pieces) + '"'
    return '"' + _window(pieces, hidden.start(), width) + '"'


def _escape(char: str) -> str:
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _window(pieces: list[str], first: int, width: int) -> str:
    """At most ``width`` characters of ``pieces`` showing ``first``, "…" where text is left out."""
    budget, start = width - 2, max(0, first - width // 3)  # room for the two "…"
    end = start
    while end < len(pieces) and len(pieces[end]) <= budget:
        budget -= len(pieces[end])
        end += 1
    while start > 0 and len(pieces[start - 1]) <= budget:  # the end is in sight: fill up with what is before
        start -= 1
        budget -= len(pieces[start])
    return ("…" if start else "") + "".join(pieces[start:end]) + ("…" if end < len(pieces) else "")


# --- records -----------------------------------------------------------------------------------------------
def index_records(inputs: Iterable[Any]) -> tuple[Record, ...]:
    """Every record of the inputs (same paths/globs/"-" as ``validate``) with its name and type."""
    from ctdl_tools.validate.loader import load_documents

    return tuple(r for doc in load_documents(list(inputs)).documents for r in records_of(doc))


def records_of(doc: Any, names: bool = True) -> list[Record]:
    """The records (nodes with a CTID) of one loaded document, with their names (unless ``names`` is False:
    a document nested too deep to walk) and types."""
    return [Record(doc.file, ctid, doc.base + pointer, record_name(node) if names else None, _first_type(node))
            for pointer, node in doc.nodes if isinstance(ctid := node.get("ceterms:ctid"), str)]


def record_name(node: dict) -> str | None:
    for key in NAME_KEYS:
        name = text_of(node.get(key))
        if name:
            return name
    return None


def text_of(value: Any) -> str | None:
    """The display text of a JSON-LD value: a string, a language map (English first) or a list of them."""
    if isinstance(value, str):
        return " ".join(value.split()) or None
    if isinstance(value, list):
        return next((t for t in map(text_of, value) if t), None)
    if isinstance(value, dict):
        if "@value" in value:
            return text_of(value["@value"])
        for lang in (*PREFERRED_LANGUAGES, *sorted(value)):
            found = text_of(value.get(lang))
            if found:
                return found
    return None


def _first_type(node: dict) -> str | None:
    types = node.get("@type")
    if isinstance(types, list):
        types = next((t for t in types if isinstance(t, str)), None)
    return types if isinstance(types, str) else None


# --- grouping ----------------------------------------------------------------------------------------------
WRAPPER_KEYS = ("decoded_resource", *GRAPH_REQUEST_KEYS)  # what loader._split unwraps: envelopes, requests


def record_pointer(pointer: str) -> str:
    """The pointer of the top-level node a pointer is in: ``/3/@graph/2/ceterms:name`` → ``/3/@graph/2``."""
    tokens = pointer.split("/")[1:] if pointer else []
    for i, token in enumerate(tokens[:-1]):
        if token == "@graph" and tokens[i + 1].isdigit():
            return "/" + "/".join(tokens[: i + 2])
    base = []
    for token in tokens:  # an array element, envelope or request wrapper holding a single resource
        if not (token.isdigit() or token in WRAPPER_KEYS):
            break
        base.append(token)
    return "/" + "/".join(base) if base else ""


def group(report: Report, options: Options, include_clean: bool = False) -> list[FileGroup]:
    """Findings by file (input order) and record (document order, then others by first finding).

    ``include_clean`` adds the files and records with no finding (JUnit wants a passing test case each).
    """
    files: dict[str, dict[str, RecordGroup]] = {name: {} for name in report.files}
    if include_clean:
        for r in options.records:
            files.setdefault(r.file, {}).setdefault(r.ctid, RecordGroup(r.ctid, r.ctid, r.name))
    known = {(r.file, r.ctid) for r in options.records}
    for f in report.findings:
        records = files.setdefault(f.file, {})
        key = f.ctid or record_pointer(f.pointer)
        if key not in records:
            records[key] = RecordGroup(key, f.ctid, options.name_of(f.file, f.ctid))
        records[key].findings.append(f)
    order = {(r.file, r.ctid): i for i, r in enumerate(options.records)}
    out = []
    for name, records in files.items():
        # Indexed records keep document order; the rest (no CTID, unknown) follow in first-finding order.
        ordered = sorted(records.values(), key=lambda g, n=name: (
            0 if (n, g.key) in known else 1, order.get((n, g.key), 0)))
        kept = ordered if include_clean else [g for g in ordered if g.findings]
        if kept or include_clean:
            out.append(FileGroup(name, kept))
    return out


# --- counts, rules, verdict --------------------------------------------------------------------------------
def failing(fail_on: str) -> tuple[str, ...]:
    return (VIOLATION, WARNING) if fail_on == "warning" else (VIOLATION,)


def failed(report: Report, fail_on: str = "violation") -> bool:
    counts = report.counts
    return any(counts[sev] for sev in failing(fail_on))


def plural(n: int, severity: str) -> str:
    one, many = PLURALS[severity]
    return f"{n} {one if n == 1 else many}"


def totals(report: Report) -> str:
    counts = report.counts
    files = f"{len(report.files)} file{'' if len(report.files) == 1 else 's'}"
    records = f"{report.records} record{'' if report.records == 1 else 's'}"
    return f"{files}, {records}: " + ", ".join(plural(counts[sev], sev) for sev in SEVERITIES)


SKIPPED_SHOWN = 10  # skipped files named in a note; the JSON report lists every one


def skipped_note(report: Report, base: str | None = None) -> str:
    """One line naming the files that were not validated because they are validation reports, or "":
    ``skipped 2 files that are validation reports (ctdl validate JSON or SARIF logs), not CTDL: a.json, b.sarif``.
    """
    names = [display_path(name, base) for name in report.skipped]
    if not names:
        return ""
    shown = ", ".join(names[:SKIPPED_SHOWN]) + (f" and {len(names) - SKIPPED_SHOWN} more"
                                               if len(names) > SKIPPED_SHOWN else "")
    what = "file that is a validation report" if len(names) == 1 else "files that are validation reports"
    return f"skipped {len(names)} {what} (ctdl validate JSON or SARIF logs), not CTDL: {shown}"


def verdict(report: Report, fail_on: str = "violation") -> str:
    """One line: PASSED/FAILED and why, e.g. ``FAILED: 4 violations in 2 records (12 warnings, 0 infos)``."""
    counts = report.counts
    bad = failing(fail_on)
    rest = [sev for sev in SEVERITIES if sev not in bad]
    others = ", ".join(plural(counts[sev], sev) for sev in rest)
    if not failed(report, fail_on):
        what = "no violations" if fail_on == "violation" else "no violations or warnings"
        return f"PASSED: {what} ({others})"
    failing_findings = [f for f in report.findings if f.severity in bad]  # one pass, not one per set
    hit = {(f.file, f.ctid or record_pointer(f.pointer)) for f in failing_findings if not _about_file(f)}
    files = {f.file for f in failing_findings if _about_file(f)}
    where = [f"{len(hit)} record{'' if len(hit) == 1 else 's'}"] if hit or not files else []
    where += [f"{len(files)} file{'' if len(files) == 1 else 's'}"] if files else []
    found = " and ".join(plural(counts[sev], sev) for sev in bad)
    return (f"FAILED: {found} in {' and '.join(where)} ({others})"
            + (" [--fail-on warning]" if fail_on == "warning" else ""))


def _about_file(finding: Finding) -> bool:
    """A finding about the file rather than a record in it: unreadable input, or a document-level key
    (``/@graph``, ``/@context``) outside any record.

    Unreadable input is about the file even when it is placed in a record (JSON nested too deep inside one
    is found after the record's CTID was read): the exit code and its message name the file either way."""
    if finding.rule_id in UNREADABLE_RULES:
        return True
    if finding.ctid:
        return False
    if finding.rule_id == "JSON-NOT-CTDL" or not finding.pointer:
        return True
    tokens = finding.pointer.split("/")[1:]
    wrappers = 0  # array items, envelopes and publish requests around the document
    while wrappers < len(tokens) and (tokens[wrappers].isdigit() or tokens[wrappers] in WRAPPER_KEYS):
        wrappers += 1
    document = "/".join(["", *tokens[:wrappers]]) if wrappers else ""
    if wrappers == len(tokens):  # the document itself, as the empty pointer is for a file of one document
        return True
    return tokens[wrappers].startswith("@") and record_pointer(finding.pointer) == document


def most_severe(findings: list[Finding], limit: int) -> list[Finding]:
    """At most ``limit`` findings (0: all), for a report that cannot list them all: every Violation first,
    then Warnings, then Infos, each in report order; listed in report order."""
    if not limit or len(findings) <= limit:
        return findings
    chosen = sorted(range(len(findings)), key=lambda i: (SEVERITY_RANK.get(findings[i].severity, 9), i))[:limit]
    return [findings[i] for i in sorted(chosen)]


def rule_of(report: Report, finding: Finding) -> Rule:
    """The rule a finding cites; a user shape without ``ctshapes:ruleId`` gets one made from the finding."""
    rule = report.rules.get(finding.rule_id)
    if rule is not None:
        return rule
    return Rule(finding.rule_id, finding.severity, finding.rule_id, finding.message, finding.source,
                shape=finding.shape or "")


def fired_rules(report: Report) -> list[tuple[Rule, int]]:
    """Every rule that fired, by id, with how often."""
    fired = report.by_rule()
    unknown = fired.keys() - report.rules.keys()  # a user shape's without ctshapes:ruleId: made from a finding
    first: dict[str, Finding] = {}
    if unknown:
        for f in report.findings:
            if f.rule_id in unknown:
                first.setdefault(f.rule_id, f)
    return [(report.rules[rule_id] if rule_id in report.rules else rule_of(report, first[rule_id]), n)
            for rule_id, n in fired.items()]


def citation_of(report: Report, finding: Finding) -> tuple[str, str]:
    """(source, URL) a finding cites.

    The finding's own citation first: several shapes share one ``STRUCT-…`` id, each citing the vocabulary
    facts of its own property, and ``Report.rules`` keeps one of them per id. ``Finding.source`` is
    ``Rule.citation``, i.e. ``source <url>``.
    """
    text = finding.source
    if text:
        if text.endswith(">") and " <" in text:
            source, _, url = text[:-1].rpartition(" <")
            return source, url
        return text, ""
    rule = rule_of(report, finding)
    return rule.source, rule.see_also


def short_source(report: Report, finding: Finding, width: int = 80) -> str:
    """A short citation for one line: the URL, else the source cut to ``width``."""
    source, url = citation_of(report, finding)
    if url:
        return url
    text = " ".join(source.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def display_path(file: str, base: str | None = None) -> str:
    """``file`` relative to ``base`` (default: the working directory) when it is under it, POSIX slashes."""
    if file.startswith("<"):  # "<stdin>", "<document 1>": not a path
        return file
    if not base:
        try:
            base = os.getcwd()
        except OSError:  # the working directory was deleted: paths are shown as given
            base = "\0"  # no path is under it
    folder, slash, name = file.rpartition("/")
    if not slash or name in ("", ".", "..") or file.startswith("//"):  # POSIX keeps a leading "//"
        return _display(file, base)
    # A catalog's files share a few folders: the folder's part is made once (pathlib per file was a fifth of
    # a 10k-file text report). Normalising "folder" then adding a plain name is normalising the whole path.
    shown = _display_folder(folder or "/", base)
    if shown.startswith("/") and base.rstrip("/").endswith(f"/{name}"):  # the file may be the base itself
        return _display(file, base)
    return name if shown == "." else f"{shown.rstrip('/')}/{name}"


@lru_cache(maxsize=1024)
def _display_folder(folder: str, base: str) -> str:
    return _display(folder, base)


def _display(file: str, base: str) -> str:
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.relative_to(Path(base))
        except ValueError:
            return path.as_posix()
    parts: list[str] = []
    for part in path.parts:  # normalise "./a/../b" without touching the file system
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            else:
                parts.append(part)
        elif part != ".":
            parts.append(part)
    return "/".join(parts) or "."
