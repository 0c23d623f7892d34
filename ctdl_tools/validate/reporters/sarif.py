"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer): annotations on the catalog file's lines.

* ``tool.driver.rules``: the rules that fired (sorted by id), with name, descriptions, help URI, default
  level and the published source they enforce; results point at them by ``ruleId`` and ``ruleIndex``.
* Locations: a file under the base (``Options.base``, default the working directory) has its path
  relative to it as ``artifactLocation.uri``, with ``uriBaseId`` ``%SRCROOT%`` (GitHub resolves it against
  the checkout: run from the repository's root, as the action does); a file outside it, named by an
  absolute path or through ``..``, an absolute ``file://`` URI and no ``uriBaseId`` (a relative URI
  cannot climb out of %SRCROOT%). ``region.startLine`` when the input had lines: findings have no columns,
  so there is no ``startColumn`` (SARIF then means the whole line; ``columnKind`` only says how columns
  would be counted). The JSON pointer and CTID as ``logicalLocations``.
* Validation reports found among the inputs and skipped are named in ``run.properties.skipped``.
* Text for people (``message.text``, rule names and descriptions, logical location names) has what a reader
  cannot see escaped (``common.visible``: a bidi control would show the rest of an annotation reversed);
  identifiers (``ruleId``, ``rules[].id``) and ``properties`` keep the data exact, for machines.
* ``partialFingerprints``: a hash of what identifies a finding but not its line (rule, file, record, node,
  property, value, JSON pointer), so an alert survives lines moving and the same finding is the same alert.
* ``Options.sarif_max_results``: GitHub code scanning rejects an upload of more than 25,000 results per run
  and keeps only 5,000 (https://docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/
  results-exceed-limit); a 10k-record catalog has ~125,000 findings. With a limit, the results kept are
  the most severe (every Violation first, then Warnings, then Infos, each in report order) and are listed
  in report order (file, then line: as a reader of the SARIF goes through the catalog); a tool
  notification and ``run.properties`` say how many were left out: the verdict and exit code still count
  every finding.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

import orjson

from ctdl_tools import __version__
from ctdl_tools.validate.reporters.common import (
    Options,
    display_path,
    escaped,
    fired_rules,
    most_severe,
    rule_of,
    visible,
)
from ctdl_tools.validate.result import INFO, VIOLATION, WARNING, Finding, Report, Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {VIOLATION: "error", WARNING: "warning", INFO: "note"}
FINGERPRINT = "ctdlFinding/v1"


def render(report: Report, options: Options | None = None) -> bytes:
    # orjson: the same text as json.dumps(indent=2, ensure_ascii=False), whose indenting encoder is pure
    # Python (9 s for a 10k-record catalog's 127k results; under a second this way).
    return orjson.dumps(as_dict(report, options or Options()), option=orjson.OPT_INDENT_2) + b"\n"


def as_dict(report: Report, options: Options) -> dict[str, Any]:
    rules = [rule for rule, _ in fired_rules(report)]
    index = {rule.id: i for i, rule in enumerate(rules)}
    uris = {file: _uri(file, options.base) for file in {f.file for f in report.findings}}  # once per file
    driver = {"name": "ctdl_tools", "version": __version__, "semanticVersion": __version__,
              "rules": [_rule(r) for r in rules]}
    listed = most_severe(report.findings, options.sarif_max_results)
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "columnKind": "unicodeCodePoints",
        "results": [_result(report, f, index[f.rule_id], uris) for f in listed],
        "properties": {"engine": report.engine, "files": len(report.files), "records": report.records},
    }
    if report.skipped:
        run["properties"]["skipped"] = [display_path(name, options.base) for name in report.skipped]
    left_out = len(report.findings) - len(listed)
    if left_out:
        run["properties"] |= {"findings": len(report.findings), "resultsOmitted": left_out}
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": [
            {"level": "warning", "message": {"text": omitted_note(report, len(listed))}}]}]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def omitted_note(report: Report, listed: int) -> str:
    counts = report.counts
    return (f"{listed:,} of {len(report.findings):,} findings are listed, the most severe first "
            f"({counts[VIOLATION]:,} violations, {counts[WARNING]:,} warnings, {counts[INFO]:,} infos in all); "
            "chosen by severity, they are shown in report order. Code scanning takes at most 25,000 results per "
            "run and shows 5,000. The JSON (or text) report has every finding.")


def _rule(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rule.id,
        "name": _pascal(rule.name or rule.id),
        "shortDescription": {"text": visible(rule.name or rule.id)},
        "fullDescription": {"text": visible(rule.message or rule.name or rule.id)},
        "defaultConfiguration": {"level": LEVELS.get(rule.severity, "warning")},
        "help": {"text": f"{visible(rule.message or rule.name)}\nSource: {visible(rule.citation or 'ctdl_tools')}"},
        "properties": {"source": rule.source, "tags": ["ctdl", rule.origin or "user"]},
    }
    if rule.see_also.startswith(("https://", "http://")):  # a user shape's rdfs:seeAlso may be anything
        out["helpUri"] = rule.see_also
    return out


def _result(report: Report, f: Finding, rule_index: int, uris: dict[str, str | None]) -> dict[str, Any]:
    logical = [{"name": visible(f.ctid or f.pointer or "/"), "fullyQualifiedName": visible(_qualified(f)),
                "kind": "object"}]
    location: dict[str, Any] = {"logicalLocations": logical}
    uri = uris[f.file]
    if uri is not None:
        artifact = {"uri": uri} if uri.startswith("file:") else {"uri": uri, "uriBaseId": "%SRCROOT%"}
        physical: dict[str, Any] = {"artifactLocation": artifact}
        if f.line:
            physical["region"] = {"startLine": f.line}
        location["physicalLocation"] = physical
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": LEVELS.get(f.severity, "warning"),
        "message": {"text": _message(f)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: _fingerprint(f, uri)},
        "properties": {"severity": f.severity, "pointer": f.pointer, "ctid": f.ctid, "property": f.property,
                       "value": f.value, "source": f.source or rule_of(report, f).citation},
    }
    return result


def _message(f: Finding) -> str:
    """The message, then what it does not already say: property, value, record."""
    extra = []
    if f.property and f.property not in f.message:
        extra.append(f.property)
    if f.value is not None and f.value not in f.message:
        extra.append(escaped(f.value))  # JSON's escapes, and what else is invisible (zero-width, bidi)
    text = f"{f.message} ({' = '.join(extra)})" if extra else f.message
    # The value is escaped already (escaped() leaves nothing hidden); a message quoting it raw, the property
    # and the record's CTID are data too.
    return visible(f"{text} [record {f.ctid}]" if f.ctid else text)


def _qualified(f: Finding) -> str:
    # "<ctid>#<pointer>" reads as "where in which record"; a file-level finding has only the pointer.
    return f"{f.ctid}#{f.pointer}" if f.ctid else f"#{f.pointer}"


def _uri(file: str, base: str | None) -> str | None:
    """The file's URI: relative to the base (``%SRCROOT%``) when the file is under it, else an absolute
    ``file:`` URI; None for inputs that are not files (stdin).

    Decided on the absolute path, with ``.`` and ``..`` taken out as written (``../mix/a.json`` from
    ``catalog/sub`` is ``catalog/mix/a.json``: outside a base of ``catalog/sub``); then, for a path that
    only looks outside, on the paths with symbolic links resolved (``/tmp`` for ``/private/tmp``)."""
    if file.startswith("<"):
        return None
    root = os.path.abspath(base or os.curdir)
    path = os.path.abspath(file)
    inside = _under(path, root)
    if inside is None:
        inside = _under(os.path.realpath(path), os.path.realpath(root))
    if inside is None:
        return Path(path).as_uri()
    return quote(inside)


def _under(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` with forward slashes, when it is under it; else None."""
    try:
        relative = PurePath(path).relative_to(root)
    except ValueError:
        return None
    return relative.as_posix() if relative.parts else None  # the base itself is no file under it


def _fingerprint(f: Finding, uri: str | None) -> str:
    # The JSON pointer, not the line: two blank nodes of one record can break one rule the same way (no
    # focus IRI, same property and value) and must stay two alerts, while lines move with every edit.
    key = "\x1f".join([f.rule_id, uri or f.file, f.ctid or "", f.focus or "", f.property or "", f.value or "",
                       f.pointer])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _pascal(text: str) -> str:
    # SARIF's reportingDescriptor.name is meant to be an identifier-like name ("MissingDescription").
    words = "".join(ch if ch.isalnum() else " " for ch in text).split()
    return "".join(w[:1].upper() + w[1:] for w in words) or "Rule"
