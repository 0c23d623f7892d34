"""The report as JSON, described by ``report.schema.json`` (JSON Schema draft 2020-12) beside this module.

Top level: verdict and counts, the files validated and those skipped (validation reports kept beside the
catalog), the rules that fired (id, severity, name, message, source, see_also, how often) keyed by id, and
the findings in report order, each with the name of its record when known. The shape is versioned by
``schema_version``; fields are only ever added within a version (``skipped`` was).
"""

from __future__ import annotations

import io
import json
from importlib import resources
from typing import Any, BinaryIO

import orjson

from ctdl_tools import __version__
from ctdl_tools.validate.reporters.common import Options, failed, fired_rules, verdict
from ctdl_tools.validate.result import Finding, Report, Rule

SCHEMA_VERSION = 1
SCHEMA_FILE = "report.schema.json"


BATCH = 2000  # findings serialised at a time when streaming


def render(report: Report, options: Options | None = None) -> bytes:
    buffer = io.BytesIO()
    write(report, options or Options(), buffer)
    return buffer.getvalue()


def write(report: Report, options: Options, handle: BinaryIO) -> None:
    """The report, streamed: a 100k-record catalog's report is over a gigabyte (every benchmark warning),
    more than the findings themselves take in memory. Same bytes as one ``orjson.dumps(as_dict(…))`` with
    two-space indentation: the findings are serialised a batch at a time and indented to their depth.

    orjson: the standard library's indenting encoder is pure Python and was half of a 10k-record run.
    """
    head = orjson.dumps({**as_dict(report, options, findings=False), "findings": []}, option=orjson.OPT_INDENT_2)
    if not report.findings:
        handle.write(head + b"\n")
        return
    handle.write(head[: -len(b"[]\n}")] + b"[\n")
    names = options.names
    for start in range(0, len(report.findings), BATCH):
        batch = [_finding(f, names) for f in report.findings[start:start + BATCH]]
        # Dumped one level down, where orjson indents them as they sit in the report (strings never hold
        # a newline): '{\n  "findings": [\n    {…},\n    {…}\n  ]\n}'; the items are what lies between.
        items = memoryview(orjson.dumps({"findings": batch}, option=orjson.OPT_INDENT_2))
        handle.write(b",\n" if start else b"")
        handle.write(items[len(_BATCH_HEAD):-len(_BATCH_TAIL)])
    handle.write(b"\n  ]\n}\n")


_BATCH_HEAD = b'{\n  "findings": [\n'
_BATCH_TAIL = b"\n  ]\n}"


def as_dict(report: Report, options: Options, findings: bool = True) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ctdl_tools", "version": __version__},
        "conforms": report.conforms,
        "passed": not failed(report, options.fail_on),
        "fail_on": options.fail_on,
        "verdict": verdict(report, options.fail_on),
        "engine": report.engine,
        "counts": report.counts,
        "files": list(report.files),
        "skipped": list(report.skipped),
        "documents": report.documents,
        "records": report.records,
        "rules": {rule.id: _rule(rule, count) for rule, count in fired_rules(report)},
        **({"findings": [_finding(f, options.names) for f in report.findings]} if findings else {}),
    }


def _rule(rule: Rule, count: int) -> dict[str, Any]:
    return {"id": rule.id, "severity": rule.severity, "name": rule.name, "message": rule.message,
            "source": rule.source, "see_also": rule.see_also, "citation": rule.citation, "origin": rule.origin,
            "count": count}


def _finding(f: Finding, names: dict[tuple[str, str], str]) -> dict[str, Any]:
    # Finding.to_dict() plus the record's name (``names``: Options.names), spelled out: twice as fast at 100k+
    # findings.
    return {"rule_id": f.rule_id, "severity": f.severity, "message": f.message, "file": f.file,
            "pointer": f.pointer, "line": f.line, "ctid": f.ctid, "focus": f.focus, "property": f.property,
            "value": f.value, "source": f.source, "shape": f.shape,
            "record_name": names.get((f.file, f.ctid)) if f.ctid else None}


def schema() -> dict[str, Any]:
    """The JSON Schema of this format (shipped as package data)."""
    text = resources.files("ctdl_tools.validate.reporters").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)
