"""Values a JSON reader or a Python caller can give that are not plain CTDL JSON: numbers past what a double
holds, Python objects that are not JSON, characters that reorder a report, Registry Assistant request bodies and
@context arrays. Each is a finding at its place (or one clear error), never a crash, a hang or a silent loss."""

from __future__ import annotations

import contextlib
import copy
import datetime
import json
import signal
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ctdl_tools.jsonio import OutOfRange, loads, plain_json, surrogate_path
from ctdl_tools.validate import load_documents, validate
from ctdl_tools.validate.loader import GRAPH_REQUEST_KEYS, NOT_CTDL
from ctdl_tools.validate.rdf import big_number_note, convert
from ctdl_tools.validate.reporters import Options, Record, render
from ctdl_tools.validate.reporters.common import WRAPPER_KEYS, visible
from ctdl_tools.validate.result import VIOLATION, Finding, Report

from .conftest import DATA
from .test_validate_rdf import assert_same_as_pyld

COURSE = DATA / "validate" / "course.json"
FRAMEWORK = DATA / "validate" / "competency_framework.json"
PRICE = "/@graph/0/ceterms:estimatedCost/0/ceterms:price"
OFF = ["MDP-*", "XREF-*"]


def course(price: Any = 250) -> dict:
    doc = json.loads(COURSE.read_text(encoding="utf-8"))
    doc["@graph"][0]["ceterms:estimatedCost"] = [{
        "@type": "ceterms:CostProfile", "ceterms:price": price, "ceterms:currency": "USD",
        "ceterms:description": {"en-US": "Tuition and fees"}, "ceterms:costDetails": "https://example.org/cost"}]
    return doc


def new_findings(given: Any, baseline: Any | None = None) -> list[Finding]:
    """The findings of ``given`` that the plain course (a price of 250) does not have."""
    seen = {(f.rule_id, f.pointer, f.message) for f in validate([baseline or course()], disabled_rules=OFF).findings}
    return [f for f in validate([given], disabled_rules=OFF).findings if (f.rule_id, f.pointer, f.message) not in seen]


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail, rather than hang the test run, when the block takes longer than ``seconds``."""
    def expire(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def as_file(tmp_path: Path, doc: dict, price_text: str) -> Path:
    """``doc`` as a file whose price is written as ``price_text`` (a number json.dumps could not write)."""
    path = tmp_path / "course.json"
    path.write_text(json.dumps(doc, indent=1).replace('"ceterms:price": 250', f'"ceterms:price": {price_text}'),
                    encoding="utf-8")
    return path


# --- 1: numbers past a double -----------------------------------------------------------------------------
def test_an_integer_past_a_double_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    # Found in acceptance testing: a price of 1 and 400 zeros, a valid JSON integer, crashed `ctdl validate` (exit
    # 3, OverflowError in rdf._canonical_double): JSON-LD writes a number of 10^21 or more as a double.
    path = as_file(tmp_path, course(), "1" + "0" * 400)
    (found,) = new_findings(path)
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "price" in text)
    assert (found.rule_id, found.pointer, found.line) == ("JSON-UNREADABLE", PRICE, line)
    assert found.value == "1000000000…0000 (401 digits)" and "beyond a double's range" in found.message
    assert "JSON-LD turns a number of 10^21 or more into an xsd:double" in found.message
    (given,) = new_findings(course(10**400))  # validate(dict) alike
    assert (given.rule_id, given.pointer, given.value) == ("JSON-UNREADABLE", PRICE, found.value)
    (huge,) = new_findings(course(10**5000))  # more digits than Python turns into text
    assert (huge.rule_id, huge.pointer) == ("JSON-UNREADABLE", PRICE) and "more than 4300 digits" in huge.message


def test_a_number_json_reads_as_infinity_is_reported_as_written(tmp_path: Path) -> None:
    # Found in acceptance testing: "ceterms:price": 1e400 was a STRUCT-DATATYPE Violation showing "Infinity", a
    # value that is not in the file.
    (found,) = new_findings(as_file(tmp_path, course(), "1e400"))
    assert (found.rule_id, found.pointer, found.value) == ("JSON-UNREADABLE", PRICE, "1e400")
    assert found.message.startswith("1e400 is beyond a double's range") and "Infinity" not in found.message
    value_object = as_file(tmp_path, course(), '{"@value": -1E+999}')
    (found,) = new_findings(value_object)
    assert (found.pointer, found.value) == (PRICE, "-1E+999")
    assert isinstance(loads("1e400", exact_range=True), OutOfRange) and type(loads("1e400")) is float  # opt-in


def test_an_integer_of_ten_to_the_21_is_pyld_s_double_and_the_finding_says_why() -> None:
    # Found in acceptance testing: a price of 1000000000000000000000 was a STRUCT-DATATYPE Violation showing
    # "1.0E21", with nothing to say that JSON-LD (1.1 §8.6, as pyld) turned the number into a double.
    doc = course(10**21)
    assert_same_as_pyld(doc)
    assert '"1.0E21"^^<http://www.w3.org/2001/XMLSchema#decimal>' in "".join(convert(doc, "t").lines)
    note = big_number_note(10**21, "1.0E21")
    assert "JSON-LD turns a number of 10^21 or more into an xsd:double" in note
    assert '"1000000000000000000000"' in note
    assert big_number_note([{"@value": 2e22}], "2.0E22") and not big_number_note(250, "250")
    [finding] = [f for f in validate([doc]).findings if f.rule_id == "STRUCT-DATATYPE"]
    assert finding.value == "1.0E21" and finding.message.endswith(note)  # the finding says it too


# --- 2: characters that reorder or hide text in reports ---------------------------------------------------
RLO, ZWSP = "\u202e", "\u200b"
CTID = "ce-5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
FILE = f"cat{RLO}alog.json"


def bidi_report() -> tuple[Report, Options]:
    finding = Finding("X-RULE", VIOLATION, f"refers to https://evil.example/{RLO}gro, which is not here", FILE,
                      f"/@graph/0/ceterms:owned{ZWSP}By", 3, CTID, property=f"ceterms:owned{ZWSP}By",
                      value=f"https://evil.example/{RLO}gro")
    record = Record(FILE, CTID, "/@graph/0", f"Welding {RLO}I ssaP{ZWSP} 101")
    return Report([finding], [FILE], 1, 1), Options(records=(record,))


@pytest.mark.parametrize("fmt", ["text", "html", "junit", "sarif"])
def test_every_text_a_report_shows_has_hidden_characters_escaped(fmt: str) -> None:
    # Found in acceptance testing: the HTML escaped the Value column only, so a record name with U+202E showed
    # reversed; SARIF message.text and JUnit carried U+202E raw; the text report escaped bidi but not U+200B.
    report, options = bidi_report()
    out = render(fmt, report, options).decode("utf-8")
    if fmt == "sarif":
        result = json.loads(out)["runs"][0]["results"][0]
        out = json.dumps([result["message"], result["locations"][0]["logicalLocations"]], ensure_ascii=False)
        assert result["properties"]["value"] == report.findings[0].value  # the data for machines stays exact
    if fmt == "junit":
        out = json.dumps([(e.attrib, e.text) for e in ET.fromstring(out).iter()], ensure_ascii=False)
    assert RLO not in out and ZWSP not in out
    assert "\\u202e" in out and ("\\u200b" in out)


def test_the_json_report_keeps_the_data_exact() -> None:
    # JSON is data for machines (report.schema.json: the finding's own strings); JSON escaping already keeps
    # it safe to embed, and a consumer must be able to match the value in the file.
    report, options = bidi_report()
    found = json.loads(render("json", report, options))["findings"][0]
    assert found["value"] == report.findings[0].value and found["file"] == FILE
    assert visible(f"a{RLO}b{ZWSP}c\\n") == "a\\u202eb\\u200bc\\n"  # backslashes in free text as written


# --- 3: Registry Assistant graph requests -----------------------------------------------------------------
@pytest.mark.parametrize("key", ["CompetencyFrameworkGraph", "ConceptSchemeGraph"])
def test_graph_request_bodies_of_the_assistant_are_read(key: str) -> None:
    # Found in acceptance testing: {"PublishForOrganizationIdentifier": …, "CompetencyFrameworkGraph": <graph>},
    # the competency framework publish body of registry.md §4(b), was JSON-NOT-CTDL.
    graph = json.loads(FRAMEWORK.read_text(encoding="utf-8"))
    body = {"PublishForOrganizationIdentifier": "ce-8966d710-9d88-4287-af36-66ad12da64b9", key: graph}
    (doc,) = load_documents([body]).documents
    assert doc.base == f"/{key}" and doc.data is not graph and doc.data == graph
    plain = {(f.rule_id, f.pointer.removeprefix(f"/{key}"), f.message) for f in validate([graph]).findings}
    wrapped = {(f.rule_id, f.pointer.removeprefix(f"/{key}"), f.message) for f in validate([body]).findings}
    assert wrapped == plain


def test_not_ctdl_names_every_form_read() -> None:
    report = validate([{"PublishForOrganizationIdentifier": "x", "Credential": {"Name": "x"}}])
    assert [f.message for f in report.findings] == [NOT_CTDL]
    assert all(key in NOT_CTDL for key in GRAPH_REQUEST_KEYS) and "decoded_resource" in NOT_CTDL
    assert ("decoded_resource", *GRAPH_REQUEST_KEYS) == WRAPPER_KEYS  # the reporters group findings by them


# --- 4: Python values that are not JSON -------------------------------------------------------------------
def test_a_decimal_is_read_as_the_number_it_writes() -> None:
    # Found in acceptance testing: a Decimal price (from a database) was JSONLD-INVALID, "'decimal.Decimal'
    # object has no attribute 'replace'".
    assert new_findings(course(Decimal("4200.50")), course(4200.5)) == []
    assert plain_json([Decimal("100"), Decimal("8900.50"), Decimal("1E+2")])[0] == [100, 8900.5, 100.0]


CASES: dict[str, tuple[Callable[[dict], None], str, str]] = {  # mutation of the first node, pointer, message part
    "int key": (lambda n: n.__setitem__(5, "x"), "/@graph/0", "a key that is not a string (5)"),
    "set": (lambda n: n.__setitem__("ceterms:codedNotation", {"abc"}), "/@graph/0/ceterms:codedNotation",
            "a set is not a JSON value"),
    "bytes": (lambda n: n.__setitem__("ceterms:codedNotation", b"abc"), "/@graph/0/ceterms:codedNotation",
              "bytes is not a JSON value"),
    "date": (lambda n: n.__setitem__("ceterms:dateEffective", datetime.date(2025, 8, 15)),
             "/@graph/0/ceterms:dateEffective", "'2025-08-15'"),
    "nan": (lambda n: n["ceterms:estimatedCost"][0].__setitem__("ceterms:price", float("nan")), PRICE,
            "NaN is not a JSON number"),
    "in a list": (lambda n: n.__setitem__("ceterms:keyword", {"en-US": ["a", {"b"}]}),
                  "/@graph/0/ceterms:keyword/en-US/1", "a set is not a JSON value"),
}


@pytest.mark.parametrize("case", CASES)
def test_what_no_json_could_hold_is_a_finding_at_its_pointer(case: str) -> None:
    # Found in acceptance testing: a non-string key was a TypeError in rdf._plan; sets, bytes and dates were
    # dropped without a word.
    mutate, pointer, said = CASES[case]
    doc = course()
    mutate(doc["@graph"][0])
    found = new_findings(doc)
    assert [(f.rule_id, f.pointer) for f in found] == [("JSON-UNREADABLE", pointer)], found
    assert said in found[0].message and found[0].ctid


def test_an_object_that_contains_itself_is_a_finding_not_a_hang() -> None:
    # Found in acceptance testing: a cyclic dict hung validate() in jsonio.surrogate_path.
    doc = course()
    loop: dict = {"@type": "ceterms:ConditionProfile", "ceterms:description": {"en-US": "Condition text here"}}
    loop["ceterms:requires"] = [loop]
    doc["@graph"][0]["ceterms:requires"] = [loop]
    with within(20):
        found = new_findings(doc)
        assert surrogate_path(loop) is None
    cycles = [f for f in found if f.rule_id == "JSON-UNREADABLE"]
    assert [f.pointer for f in cycles] == ["/@graph/0/ceterms:requires/0/ceterms:requires/0"]
    assert "contains itself" in cycles[0].message
    shared = course()
    twice = {"@type": "ceterms:ConditionProfile", "ceterms:description": {"en-US": "Condition text here"}}
    shared["@graph"][0]["ceterms:requires"] = [twice, copy.copy(twice), twice]  # the same object twice: no cycle
    assert not [f for f in new_findings(shared) if f.rule_id == "JSON-UNREADABLE"]


def test_bytes_are_read_as_a_file_and_other_inputs_are_a_type_error(tmp_path: Path) -> None:
    # Found in acceptance testing: validate(data) with bytes read each byte as a file name (70 findings named
    # 123, 10, …).
    data = COURSE.read_bytes()
    from_bytes, from_file = validate([data]), validate([COURSE])
    assert from_bytes.files == ["<document 1>"]
    assert [(f.rule_id, f.line) for f in from_bytes.findings] == [(f.rule_id, f.line) for f in from_file.findings]
    assert validate([bytearray(b"\xef\xbb\xbf" + data)]).counts == from_file.counts  # a BOM, as in a file
    with pytest.raises(TypeError, match=r"input 1 is an int: .*give a file's content as one input, \[data\]"):
        validate(list(data))
    assert validate(data).counts == from_file.counts  # one bytes input, as one str or dict is
    with pytest.raises(TypeError, match="input 2 is None"):
        validate([COURSE, None])


# --- 5: @context arrays and inline contexts ---------------------------------------------------------------
@pytest.mark.parametrize(("context", "said", "url"), [
    (["https://credreg.net/ctdl/schema/context/json", "https://credreg.net/ctdlasn/schema/context/json"],
     "is an array of contexts (", "https://credreg.net/ctdlasn/schema/context/json"),
    (["https://credreg.net/ctdl/schema/context/json", {"@language": "en-US"}],
     "is an array of contexts with an inline context", "https://credreg.net/ctdlasn/schema/context/json"),
    ({"@vocab": "https://example.org/"}, "is an inline context", "https://credreg.net/ctdlasn/schema/context/json"),
])
def test_a_context_array_says_what_is_wrong_and_which_url_to_give(context: object, said: str, url: str) -> None:
    # Found in acceptance testing: [CTDL, CTDL-ASN] and [CTDL, {"@language": "en-US"}] were "not the CTDL or
    # CTDL-ASN context URL", although the array holds it.
    doc = json.loads(FRAMEWORK.read_text(encoding="utf-8"))
    doc["@context"] = context
    (found,) = [f for f in validate([doc]).findings if f.rule_id == "JSONLD-CONTEXT"]
    assert said in found.message and f"give {url!r} as a string" in found.message
    assert "is not the CTDL or CTDL-ASN context URL" not in found.message
    assert ("language maps give each text its language" in found.message) == ("@language" in json.dumps(context))
