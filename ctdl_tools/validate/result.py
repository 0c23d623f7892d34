"""What validation hands to reporters: findings, rules and the report.

Everything here is plain data (dataclasses of str/int/None) with a stable ``to_dict`` so the text, JSON,
HTML and SARIF reporters written later need nothing from the engines or RDF libraries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from itertools import groupby
from operator import attrgetter
from typing import Any

VIOLATION, WARNING, INFO = "Violation", "Warning", "Info"
SEVERITIES = (VIOLATION, WARNING, INFO)
SEVERITY_RANK = {VIOLATION: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class Rule:
    """A rule a finding can cite: from a SHACL shape (``shape`` set) or from the Python checks."""

    id: str
    severity: str
    name: str
    message: str
    source: str = ""  # the published rule it enforces (policy, Registry Assistant model, vocabulary…)
    see_also: str = ""  # a URL for humans
    comment: str = ""
    shape: str = ""  # IRI of the SHACL shape, "" for JSON-level and cross-record rules
    origin: str = ""  # "policy", "values", "structure", "user", "json", "cross-record"
    about: str = ""  # IRI of the property a shape is about when its sh:path is another (domain: rdf:type)

    citation: str = field(default="", compare=False)  # source and URL in one string, made once

    def __post_init__(self) -> None:
        # Computed once and shared by every finding of the rule (1M findings would otherwise hold 1M copies).
        object.__setattr__(self, "citation", f"{self.source} <{self.see_also}>" if self.see_also else self.source)


@dataclass(slots=True, unsafe_hash=True)
class Finding:
    """One problem at one place. Treat it as immutable; it is hashable by value.

    Not a frozen dataclass: those set each field through ``object.__setattr__`` and cost 8× as much to
    create (1.4 µs vs 0.2 µs), and a 100k-record catalog makes over a million findings, twice.

    ``pointer`` is an RFC 6901 JSON pointer into the file as given (an envelope's record is under
    ``/decoded_resource``; an array of records under ``/<index>``); ``line`` is 1-based, None when the
    input was not text (documents passed as Python objects). ``ctid`` is the CTID of the record the
    problem is in (the focus node's own, or the nearest enclosing record's).
    """

    rule_id: str
    severity: str
    message: str
    file: str
    pointer: str = ""
    line: int | None = None
    ctid: str | None = None
    focus: str | None = None  # the node's @id (IRI or the document's own _:id), when it has one
    property: str | None = None  # compact, e.g. "ceterms:name"; "@type" for class rules
    value: str | None = None
    source: str = ""  # citation of the rule
    shape: str | None = None  # SHACL source shape IRI, for SHACL findings

    def sort_key(self) -> tuple:
        # Reading order first; then every field, so that two findings with the same key are equal: a tie (a value
        # "" and a value None) kept the order the findings came in, which with worker processes is the order their
        # chunks finished in, and the report's bytes changed from run to run.
        return (self.file, self.line or 0, self.pointer, SEVERITY_RANK.get(self.severity, 9), self.rule_id,
                self.property or "", self.value or "", self.focus or "", self.message,
                (self.value is None, self.property is None, self.focus is None, self.line is None, self.severity,
                 self.ctid or "", self.ctid is None, self.source, self.shape or "", self.shape is None))

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every field, and reports hold 100k+ findings.
        return {name: getattr(self, name) for name in _FINDING_FIELDS}


_FINDING_FIELDS = tuple(f.name for f in fields(Finding))


@dataclass(frozen=True)
class Record:
    """A record (node with a CTID) of the submission, whether or not anything was found in it."""

    file: str
    ctid: str
    pointer: str
    name: str | None = None
    type: str | None = None


@dataclass
class Report:
    """All findings of one ``validate`` call, sorted; ``conforms`` means no Violation."""

    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    documents: int = 0
    records: int = 0  # nodes with a CTID
    engine: str = ""
    rules: dict[str, Rule] = field(default_factory=dict)  # every rule that could fire, by id
    index: tuple[Record, ...] = ()  # every record read, with its name (for reporters; not in to_dict)
    # Files found but not validated, in input order: `ctdl validate` JSON reports and SARIF logs kept beside
    # the catalog (ctdl_files.is_report). Not in ``files``, not counted.
    skipped: list[str] = field(default_factory=list)
    # (device, inode) of every input file, from the stat that measured the input: `ctdl validate -o` refuses to
    # write its report over one (a stat of each file again after the run was 50 ms of a 10k-file run).
    input_ids: frozenset[tuple[int, int]] = field(default=frozenset(), repr=False, compare=False)
    # (findings list, its length, how many of each (rule id, severity)): the verdict, the exit code and a
    # reporter ask for counts ~10 times, and at 10k records each count was a pass over 127k findings. Counted
    # again when the list is replaced or grows.
    _tally: tuple[list | None, int, Counter] = field(default=(None, -1, Counter()), repr=False, compare=False)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for (_, severity), n in self._rules_and_severities().items():
            if severity in counts:
                counts[severity] += n
        return counts

    @property
    def conforms(self) -> bool:
        return self.counts[VIOLATION] == 0

    def by_rule(self) -> dict[str, int]:
        counted: Counter[str] = Counter()
        for (rule_id, _), n in self._rules_and_severities().items():
            counted[rule_id] += n
        return dict(sorted(counted.items()))

    def _rules_and_severities(self) -> Counter[tuple[str, str]]:
        listed, length, counted = self._tally
        if listed is not self.findings or length != len(self.findings):
            # One pass for the counts of severities and of rules (the exit code, the verdict, fired_rules).
            counted = Counter(map(_RULE_AND_SEVERITY, self.findings))
            self._tally = (self.findings, len(self.findings), counted)
        return counted

    def to_dict(self) -> dict[str, Any]:
        return {
            "conforms": self.conforms,
            "counts": self.counts,
            "documents": self.documents,
            "records": self.records,
            "files": list(self.files),
            "skipped": list(self.skipped),
            "engine": self.engine,
            "findings": [f.to_dict() for f in self.findings],
        }


LONGEST_VALUE = 1_000  # characters of a value a finding keeps; a message keeps twice as many


def shortened(text: str, limit: int = LONGEST_VALUE) -> str:
    """``text`` with its middle left out past ``limit`` characters, saying how much: a 5 MB value in a
    finding would be copied into every report format, message and location (a 10 MB input made a 170 MB
    SARIF). Both ends stay: where a value starts, and what a message says after it."""
    if len(text) <= limit:
        return text
    keep = (limit - 40) // 2
    return f"{text[:keep]}… ({len(text) - 2 * keep:,} characters left out) …{text[-keep:]}"


def sort_findings(findings: list[Finding], runs: Iterable[list[Finding]] = ()) -> list[Finding]:
    """Deterministic order, duplicates removed (two shapes or two passes can say the same thing).

    Sorted file by file: the order is the same as one sort by ``sort_key`` (whose first item is the
    file), but only one file's keys exist at a time (1M findings' sort keys are ~150 MB).

    ``runs``: lists already in this order (what ``sort_findings`` returned for a part of the findings,
    made by worker processes). A file whose findings all come from one run is taken as it is; a file
    with findings in several runs or in ``findings`` is sorted again with the rest of its findings.
    """
    by_file: dict[str, list[Finding]] = {}
    for name, group in groupby(findings, key=_file_of):  # they come in runs of a file (a chunk's are by file)
        by_file.setdefault(name, []).extend(group)
    ready: dict[str, list[Finding]] = {}
    for run in runs:
        for name, group in groupby(run, key=_file_of):
            if name in by_file:
                by_file[name].extend(group)
            elif name in ready:
                by_file[name] = [*ready.pop(name), *group]
            else:
                ready[name] = list(group)
    out: list[Finding] = []
    for name in sorted(by_file.keys() | ready.keys()):
        if name in ready:
            out.extend(ready.pop(name))
        else:
            out.extend(_sorted_unique(by_file.pop(name)))
    return out


def _sorted_unique(findings: list[Finding]) -> list[Finding]:
    """``findings`` by ``Finding.sort_key``, duplicates removed. The key holds every field, so equal keys are
    equal findings: the sorted keys are compared with their neighbours, not every finding hashed to drop the
    rare duplicate (127k findings in 8k files: sorted(set(…)) 0.127 s, this 0.104 s)."""
    keys = [f.sort_key() for f in findings]
    out: list[Finding] = []
    previous: tuple | None = None
    for i in sorted(range(len(findings)), key=keys.__getitem__):
        if keys[i] != previous:
            previous = keys[i]
            out.append(findings[i])
    return out


_file_of = attrgetter("file")
_RULE_AND_SEVERITY = attrgetter("rule_id", "severity")
