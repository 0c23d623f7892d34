"""JUnit XML for CI test tabs (GitLab, Jenkins, Azure): a test suite per file, a test case per record.

A test case fails when its record has a Violation (or a Warning with ``fail_on="warning"``); it carries
one ``<failure>`` (several confuse some readers) whose text lists every failing finding, and a
``<system-out>`` with the record's name and the findings that do not fail. Input that could not be read
(``rules.UNREADABLE_RULES``: ``ctdl validate`` exits 2) is an ``<error>`` instead, JUnit's "the test could
not run", counted in ``errors``. Each test case names its ``file`` (GitLab shows it). Records without
findings are passing test cases, so the test count is the record count. A validation report found among
the inputs (not validated: ``Report.skipped``) is a suite of one skipped test case, which CI test tabs show
as skipped.
Built with ``xml.etree`` (escaping), after writing as ``\\uXXXX`` what a reader cannot see (``common.visible``:
controls, bidi controls that would reverse what follows, zero-width characters) and the characters XML 1.0
cannot carry at all (a JSON string may hold U+0001).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ctdl_tools.validate.reporters.common import (
    FileGroup,
    Options,
    RecordGroup,
    display_path,
    failing,
    group,
    plural,
    visible,
)
from ctdl_tools.validate.reporters.text import FindingLines
from ctdl_tools.validate.result import Report
from ctdl_tools.validate.rules import UNREADABLE_RULES

WHOLE_FILE = "(whole file)"
SKIPPED = "not validated: a validation report (ctdl validate JSON or SARIF log), not CTDL"
# Outside XML 1.0's Char production: C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render(report: Report, options: Options | None = None) -> str:
    options = options or Options()
    line_of = FindingLines(report, options)
    suites = [_suite(fg, options, line_of) for fg in group(report, options, include_clean=True)]
    suites += [_skipped_suite(display_path(name, options.base)) for name in report.skipped]
    root = ET.Element("testsuites", name="ctdl validate")
    _counts(root, suites)
    root.extend(suites)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _suite(file_group: FileGroup, options: Options, line_of: FindingLines) -> ET.Element:
    name = display_path(file_group.file, options.base)
    suite = ET.Element("testsuite", name=_shown(name))
    cases = [_case(name, rg, options, line_of) for rg in file_group.records]
    if not cases:  # a file with no record and nothing found (e.g. a document without CTID): still one test
        cases = [_case(name, RecordGroup("", None, None), options, line_of)]
    _counts(suite, cases)
    suite.extend(cases)
    return suite


def _skipped_suite(name: str) -> ET.Element:
    suite = ET.Element("testsuite", name=_shown(name))
    case = ET.Element("testcase", classname=_shown(name), name=WHOLE_FILE, file=_shown(name), time="0")
    ET.SubElement(case, "skipped", message=SKIPPED)
    _counts(suite, [case])
    suite.append(case)
    return suite


def _case(file: str, record: RecordGroup, options: Options, line_of: FindingLines) -> ET.Element:
    case = ET.Element("testcase", classname=_shown(file), name=_shown(record.key or WHOLE_FILE),
                      file=_shown(file), time="0")
    bad = failing(options.fail_on)
    failures = [f for f in record.findings if f.severity in bad]
    others = [f for f in record.findings if f.severity not in bad]
    if failures:
        # Input that could not be read is JUnit's <error> (the test could not run; ctdl exits 2), first;
        # still one element, listing every failing finding.
        failures.sort(key=lambda f: f.rule_id not in UNREADABLE_RULES)  # stable: report order otherwise
        kind = "error" if failures[0].rule_id in UNREADABLE_RULES else "failure"
        summary = ", ".join(plural(record.count(sev), sev) for sev in bad if record.count(sev))
        failure = ET.SubElement(case, kind, message=_shown(f"{summary}: {failures[0].message}"),
                                type=_shown(failures[0].rule_id))
        failure.text = _clean("\n".join(line_of(f) for f in failures))  # each line made visible already
    out = [visible(f"{record.ctid}  {record.name}")] if record.ctid and record.name else []
    out += [line_of(f) for f in others]
    if out:
        ET.SubElement(case, "system-out").text = _clean("\n".join(out))
    return case


def _counts(element: ET.Element, children: list[ET.Element]) -> None:
    # Attributes first-set order is what ElementTree writes: keep name, tests, failures, errors, skipped, time.
    tests = sum(int(c.get("tests", "1")) for c in children)
    failures = sum(int(c.get("failures", "1" if c.find("failure") is not None else "0")) for c in children)
    errors = sum(int(c.get("errors", "1" if c.find("error") is not None else "0")) for c in children)
    skipped = sum(int(c.get("skipped", "1" if c.find("skipped") is not None else "0")) for c in children)
    element.set("tests", str(tests))
    element.set("failures", str(failures))
    element.set("errors", str(errors))
    element.set("skipped", str(skipped))
    element.set("time", "0")  # no timing: the report must be byte-identical across runs


def _clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _shown(text: str) -> str:
    """One line of the data as the report shows it: what cannot be seen escaped, and legal XML."""
    return _clean(visible(text))
