"""Finding values as people see them: a value that holds what cannot be seen when printed (a trailing newline,
a zero-width space, a bidi control) is shown escaped in the text, HTML, JUnit and SARIF reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from ctdl_tools.validate.reporters import Options, render
from ctdl_tools.validate.reporters.common import escaped, shown_value
from ctdl_tools.validate.result import VIOLATION, Finding, Report

CTID = "ce-5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f"


# --- 1: values that hide characters are escaped in the text, HTML, JUnit and SARIF reports -------------------
HIDDEN_VALUES = {  # the value → how a report shows it
    "P16W\n": r'"P16W\n"',
    "two\twords": r'"two\twords"',
    "P1Y\r": r'"P1Y\r"',
    "Weld\u200bing": r'"Weld\u200bing"',
    "\u202eevil": r'"\u202eevil"',
    "no\u00a0break": r'"no\u00a0break"',
    'C:\\n "quoted"': r'"C:\\n \"quoted\""',  # a backslash written in the data is not a newline
}
ORDINARY_VALUES = ("café Ωμέγα 日本", 'Welding "Fab" <b>', "short")


def finding(value: str, pointer: str = "/@graph/0/ceterms:name") -> Finding:
    return Finding("X-RULE", VIOLATION, "bad value", "a.json", pointer, 3, CTID, property="ceterms:name",
                   value=value)


def report_of(*values: str) -> Report:
    return Report([finding(v, f"/@graph/0/p{i}") for i, v in enumerate(values)], ["a.json"], 1, 1)


@pytest.mark.parametrize(("value", "shown"), HIDDEN_VALUES.items())
def test_text_report_escapes_a_value_that_hides_characters(value: str, shown: str) -> None:
    out = render("text", report_of(value)).decode("utf-8")
    finding_lines = [line for line in out.splitlines() if "a.json:3" in line]
    assert len(finding_lines) == 1, out  # still one line per finding
    assert f"  ceterms:name={shown}  bad value" in finding_lines[0]


@pytest.mark.parametrize("value", ORDINARY_VALUES)
def test_text_report_prints_ordinary_values_as_before(value: str) -> None:
    out = render("text", report_of(value)).decode("utf-8")
    assert f'  ceterms:name="{value}"  bad value' in out


def test_a_long_value_is_cut_around_what_is_hidden() -> None:
    description = "A" * 200 + "\n"
    shown = shown_value(description, 60)
    assert shown.endswith('A\\n"') and shown.startswith('"…') and len(shown) <= 62
    assert shown_value("B" * 100, 60) == '"' + "B" * 59 + '…"'  # a plain value is cut as before
    assert escaped("a\u200bb\n") == '"a\\u200bb\\n"'
    assert escaped('plain "text" café') == json.dumps('plain "text" café', ensure_ascii=False)


def test_html_junit_and_sarif_show_hidden_characters_escaped() -> None:
    report = report_of("P16W\n", "Weld\u200bing", "café")
    page = render("html", report).decode("utf-8")
    assert "&#34;P16W\\n&#34;" in page and "&#34;Weld\\u200bing&#34;" in page
    assert "\u200b" not in page and "<td>café</td>" in page  # ordinary values as before, unquoted
    root = ET.fromstring(render("junit", report, Options()))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert 'ceterms:name="P16W\\n"' in failure.text and 'ceterms:name="Weld\\u200bing"' in failure.text
    sarif = json.loads(render("sarif", report))
    messages = [r["message"]["text"] for r in sarif["runs"][0]["results"]]
    assert any('"Weld\\u200bing"' in m for m in messages) and not any("\u200b" in m for m in messages)
    assert sarif["runs"][0]["results"][1]["properties"]["value"] == "Weld\u200bing"  # the data stays exact
