"""Plain text for people and CI logs: by file and record, one line per finding, rules cited, totals, verdict.

    tests/broken.json
      ce-5d6e…  Welding Certificate
        tests/broken.json:12  Violation  RA-DESCRIPTION-MIN-LENGTH  ceterms:description="short"  The description … (https://…)

Each finding line starts with ``file:line`` so terminals and editors can jump to it, and ends with the
rule's source as a URL (the full citations are long: the JSON, HTML and SARIF reports and ``ctdl shapes
list`` carry them); "Rules that fired" counts each rule once, for choosing what to ``--disable``. Colour
only when ``Options.color`` (the command sets it for a terminal): a file or a CI log gets plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import click

from ctdl_tools.validate.reporters.common import (
    Options,
    display_path,
    fired_rules,
    group,
    short_source,
    shown_value,
    skipped_note,
    totals,
    verdict,
    visible,
)
from ctdl_tools.validate.result import INFO, VIOLATION, WARNING, Finding, Report

COLOURS = {VIOLATION: "red", WARNING: "yellow", INFO: "cyan"}
SEVERITY_WIDTH = max(len(s) for s in COLOURS)
VALUE_WIDTH = 60
_LINE_BREAKING = re.compile("[\r\n\t\v\f]")
Paint = Callable[..., str]  # click.style's signature: (text, fg=…, bold=…)


def render(report: Report, options: Options | None = None) -> str:
    options = options or Options()
    paint = _painter(options.color)
    line_of = FindingLines(report, options, paint)
    lines: list[str] = []
    for file_group in group(report, options):
        path = line_of.path(file_group.file)
        lines.append(paint(path, bold=True))
        for record in file_group.records:
            lines.append("  " + paint(_one_line(record.label), bold=True))
            lines += ["    " + line_of.line(path, f) for f in record.findings]
        lines.append("")
    rules = fired_rules(report)
    if rules:
        # Count and severity first: rule ids run to 90 characters, padding them would push the names off screen.
        lines.append(paint("Rules that fired (full citations: --format json/html/sarif, or `ctdl shapes list`)",
                           bold=True))
        lines.extend(f"  {count:>5}  {rule.severity:<{SEVERITY_WIDTH}}  {_one_line(rule.id)}  {_one_line(rule.name)}"
                     for rule, count in rules)
        lines.append("")
    skipped = skipped_note(report, options.base)
    if skipped:
        lines.append(_one_line(skipped))
    lines.append(totals(report))
    line = verdict(report, options.fail_on)
    lines.append(paint(line, fg="red" if line.startswith("FAILED") else "green", bold=True))
    return "\n".join(lines) + "\n"


class FindingLines:
    """``file:line  Severity  RULE-ID  property="value"  message  (source)`` for the findings of one report
    (the text report's lines, the JUnit report's failure texts). A catalog's report has ~13 findings per
    record from a few hundred rules over a few files each: the file's path, and the severity, rule and
    message with the cited source, are made once each (the display path alone, per finding, was most of
    a 10k-record report's time)."""

    def __init__(self, report: Report, options: Options, paint: Paint | None = None) -> None:
        self.report, self.options, self.paint = report, options, paint or _painter(False)
        self._paths: dict[str, str] = {}
        self._rules: dict[tuple, tuple[str, str]] = {}
        self._properties: dict[tuple[str | None, str | None], str] = {}  # most findings name a missing property

    def path(self, file: str) -> str:
        found = self._paths.get(file)
        if found is None:
            found = self._paths[file] = _one_line(display_path(file, self.options.base))
        return found

    def __call__(self, f: Finding) -> str:
        return self.line(self.path(f.file), f)

    def line(self, path: str, f: Finding) -> str:
        """The line of a finding in the file shown as ``path`` (``self.path(f.file)``)."""
        parts = self._rules.get((f.severity, f.rule_id, f.message, f.source)) or self._rule_parts(f)
        where = f"{path}:{f.line}" if f.line else path
        if f.property or f.value is not None:
            prop = self._properties.get((f.property, f.value))
            if prop is None:
                prop = self._properties[f.property, f.value] = _property(f.property, f.value)
            return f"{where}  {parts[0]}  {prop}  {parts[1]}"
        return f"{where}  {parts[0]}  {parts[1]}"

    def _rule_parts(self, f: Finding) -> tuple[str, str]:
        severity = self.paint(f"{f.severity:<{SEVERITY_WIDTH}}", fg=COLOURS.get(f.severity))
        source = short_source(self.report, f)
        parts = (f"{severity}  {_one_line(f.rule_id)}", _one_line(f.message) + (f"  ({source})" if source else ""))
        self._rules[f.severity, f.rule_id, f.message, f.source] = parts
        return parts


def _property(prop: str | None, value: str | None) -> str:
    shown = _one_line(prop) if prop else ""
    if value is None:
        return shown
    value = shown_value(value, VALUE_WIDTH)  # escaped when it holds what cannot be seen ("P16W\n")
    return f"{shown}={value}" if shown else value


def _one_line(text: str) -> str:
    """Whitespace runs as one space, what a reader cannot see as ``\\uXXXX`` (common.visible).

    A newline in a value would break "one finding per line" for grep and editors, an ESC from the data (a
    catalog is untrusted input) must not reach the terminal as an escape sequence, a bidi control would
    show the rest of the line reversed, and a zero-width space in a name hides a difference.
    """
    if _LINE_BREAKING.search(text):
        text = " ".join(text.split())
    return visible(text)


def _painter(color: bool) -> Paint:
    if not color:
        return lambda text, **_: text
    return lambda text, **style: click.style(text, **style)
