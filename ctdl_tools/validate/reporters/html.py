"""One self-contained HTML page (inline CSS and JS, nothing fetched) to read, sort and filter a report.

The rows are rendered on the server side, so the page reads without JavaScript; the script only sorts
(column header buttons, ``aria-sort``) and filters (severity checkboxes, a text box over rule, file, CTID,
record name, property, value and message: not the source, which every finding of a rule shares). The page
applies ``?severity=Violation,Warning&q=text&sort=rule&dir=desc`` on load and keeps the address in step, so a
filtered view can be bookmarked or linked from a CI summary. Every count is written with thousands separators.
The page is never wider than the window: long values break anywhere, and under 64rem (a phone) each row of a
table is shown as a card of labelled fields.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ctdl_tools import __version__
from ctdl_tools.validate.reporters.common import (
    Options,
    citation_of,
    display_path,
    failed,
    fired_rules,
    has_hidden,
    most_severe,
    shown_value,
    skipped_note,
    totals,
    verdict,
    visible,
)
from ctdl_tools.validate.result import SEVERITIES, SEVERITY_RANK, Finding, Report, Rule

if TYPE_CHECKING:
    import jinja2

COLUMNS = (  # (key, header, numeric sort): the keys are what ?sort= takes
    ("severity", "Severity", True),
    ("location", "File:line", False),
    ("record", "Record (CTID)", False),
    ("property", "Property", False),
    ("value", "Value", False),
    ("rule", "Rule", False),
    ("message", "Message", False),
    ("source", "Source", False),
)

RULE_COLUMNS = ("Rule", "Severity", "Findings", "Name", "Source")  # of the table of the rules that fired


# Rows a page lists. A page is for people: 12,800 rows (a 1k-record catalog with every benchmark Warning)
# took 9 s to open in headless Chromium and 127,000 (10k records) never finished within two minutes.
MAX_ROWS = 5_000


def render(report: Report, options: Options | None = None) -> str:
    options = options or Options()
    return _template().render(**context(report, options))


def context(report: Report, options: Options) -> dict[str, Any]:
    return {
        "version": __version__,
        "verdict": separated(verdict(report, options.fail_on)),
        "passed": not failed(report, options.fail_on),
        "totals": separated(totals(report)),
        "skipped": visible(skipped_note(report, options.base)),
        "counts": report.counts,
        "severities": SEVERITIES,
        "report": report,
        "fail_on": options.fail_on,
        "columns": COLUMNS,
        "rule_columns": RULE_COLUMNS,
        "column": {key: i for i, (key, _, _) in enumerate(COLUMNS, start=1)},  # for the CSS's :nth-child()
        "rules": [{"rule": _visible_rule(rule), "count": count, "url": web_url(rule.see_also)}
                  for rule, count in fired_rules(report)],
        **_listing(report, options),
    }


def _listing(report: Report, options: Options) -> dict[str, Any]:
    """The rows the page lists: every finding, or past MAX_ROWS every Violation first, then Warnings, then
    Infos as room allows (in report order); the rule table and the totals still count them all."""
    listed = most_severe(report.findings, MAX_ROWS)
    counted = Counter(f.severity for f in listed)
    return {"rows": _rows(listed, report, options), "capped": len(listed) < len(report.findings),
            "total": len(report.findings), "listed": {sev: counted.get(sev, 0) for sev in SEVERITIES},
            "listed_by_rule": Counter(f.rule_id for f in listed)}


def _rows(findings: list[Finding], report: Report, options: Options) -> list[dict[str, Any]]:
    paths: dict[str, str] = {}  # display paths and citations once per file and per rule, not per finding
    citations: dict[tuple[str, str], tuple[str, str]] = {}
    rows = []
    for f in findings:
        path = paths.get(f.file)
        if path is None:
            path = paths[f.file] = visible(display_path(f.file, options.base))
        cited = citations.get((f.rule_id, f.source))
        if cited is None:
            source, see_also = citation_of(report, f)
            cited = citations[(f.rule_id, f.source)] = (visible(source), web_url(see_also))
        name = options.name_of(f.file, f.ctid)
        rows.append({
            "finding": _visible(f),
            "rank": SEVERITY_RANK.get(f.severity, 9),
            "path": path,
            "location": f"{path}:{f.line}" if f.line else path,
            "name": visible(name) if name else name,
            "source": cited[0],
            "see_also": cited[1],
        })
    return rows


def _visible(f: Finding) -> Finding:
    """The finding as the page shows it: what a reader could not see escaped (common.visible), in the value
    (a trailing newline, a zero-width space) and in every other text of the data (a bidi control in a
    message quoting a value would show the rest of the cell reversed); plain text is shown as it is."""
    value = shown_value(f.value) if f.value is not None and has_hidden(f.value) else f.value
    message, pointer, rule_id = visible(f.message), visible(f.pointer), visible(f.rule_id)
    prop, ctid = f.property and visible(f.property), f.ctid and visible(f.ctid)
    if (value, message, pointer, rule_id, prop, ctid) == (f.value, f.message, f.pointer, f.rule_id, f.property,
                                                          f.ctid):
        return f
    return replace(f, value=value, message=message, pointer=pointer, property=prop, ctid=ctid, rule_id=rule_id)


def _visible_rule(rule: Rule) -> Rule:
    """A rule as the page shows it: a user shape's id, name and source may hold what cannot be seen."""
    shown = visible(rule.id), visible(rule.name), visible(rule.source)
    if shown == (rule.id, rule.name, rule.source):
        return rule
    return replace(rule, id=shown[0], name=shown[1], source=shown[2])


_COUNT = re.compile(r"(?<![\d.,])\d{4,}(?![\d.,])")


def separated(text: str) -> str:
    """``text`` (a verdict or totals line: only counts in it) with thousands separators, as the page writes
    every count: "1,383 warnings", like "5,000 of 6,915" in the note on a capped page."""
    return _COUNT.sub(lambda m: f"{int(m[0]):,}", text)


def thousands(n: int) -> str:
    return f"{n:,}"


def web_url(url: str) -> str:
    """``url`` when it is http(s), else "": a shape's rdfs:seeAlso must not become a ``javascript:`` link."""
    return url if url.lower().startswith(("https://", "http://")) else ""


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    import jinja2  # here: every `ctdl validate` loads the reporters, few write HTML

    env = jinja2.Environment(loader=jinja2.PackageLoader("ctdl_tools.validate.reporters", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["thousands"] = thousands
    return env.get_template("report.html")
