"""Line numbers of JSON pointers: the pointer walk (Lines) against the full tokenising scan (pointer_lines)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ctdl_tools.jsonio import JsonProblem, line_column, loads
from ctdl_tools.validate.lines import Lines, line_of, pointer_lines

from .conftest import DATA

KEYS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                      max_leaves=30)


def agree(text: str, unique_keys: bool = False) -> None:
    index = pointer_lines(text)
    # Every object, array and member the full scan records, asked in document order and the other way
    # round (arrays, and objects of a text that repeats no key, are read only as far as asked, then resumed).
    for order in (list(index), list(reversed(index))):
        lines = Lines(text, unique_keys)
        for pointer in order:
            assert lines(pointer) == index[pointer], pointer
            assert lines(pointer + "/missing/0") == line_of(index, pointer + "/missing/0")


@settings(max_examples=150, deadline=None)
@given(VALUES, st.sampled_from([None, 1, 2, "\t"]), st.booleans())
def test_pointer_walk_agrees_with_the_full_scan(value: object, indent: int | str | None, ascii_only: bool) -> None:
    text = json.dumps({"@graph": [value, {"k": value}]}, indent=indent, ensure_ascii=ascii_only)
    agree(text)
    agree(text, unique_keys=True)  # json.dumps of a dict never repeats a key


def test_the_loader_says_whether_a_text_repeats_a_key(tmp_path) -> None:
    from ctdl_tools.validate.loader import read_input

    once, twice = tmp_path / "once.json", tmp_path / "twice.json"
    once.write_text('{"@context": "x", "@graph": [{"a": 1, "b": {"a": 2}}]}', encoding="utf-8")
    twice.write_text('{"@context": "x", "@graph": [{"a": 1, "b": 2, "a": 3}]}', encoding="utf-8")
    assert read_input(str(once), 0).sources[0].unique_keys
    assert not read_input(str(twice), 0).sources[0].unique_keys


def test_pointer_walk_on_the_corpus_and_scalars_in_arrays() -> None:
    for path in sorted((DATA / "registry").glob("*.json")):
        agree(path.read_text(encoding="utf-8"))
    text = '{\n "a": [\n  "x",\n  "y"\n ]\n}'
    assert Lines(text)("/a/1") == 4  # the full scan only knows the array's line (2); the walk finds the item
    assert Lines('{"a": 1}')("/a") == 1 and Lines(None)("/a") is None
    assert Lines("{\n not json")("/a") == 1  # the scanner gives up: the full scan's answer
    assert Lines('\n\r\n{"a": 1}\n')("/a") == 3  # minified after blank lines (found in acceptance testing)
    repeated = '{"a": 1,\n "a": {\n  "b": [\n   0,\n   {}\n  ]\n }\n}'  # json.loads keeps the last "a"
    assert [Lines(repeated)(p) for p in ("/a", "/a/b", "/a/b/1")] == [2, 3, 5]
    agree(repeated)


@settings(max_examples=100, deadline=None)
@given(VALUES, st.sampled_from(["\r", "\r\n"]))
def test_lines_are_the_same_whatever_ends_them(value: object, newline: str) -> None:
    # Found by hand: a classic Mac file (CR alone) had every finding on line 1.
    text = json.dumps({"@graph": [value, {"k": value}]}, indent=1)
    other = text.replace("\n", newline)
    assert pointer_lines(other) == pointer_lines(text)
    lines, other_lines = Lines(text), Lines(other)
    for pointer in pointer_lines(text):
        assert other_lines(pointer) == lines(pointer), pointer


@given(st.text(alphabet="ab\r\n", max_size=30), st.data())
def test_line_column_counts_lf_crlf_and_lone_cr(text: str, data: st.DataObject) -> None:
    offset = data.draw(st.integers(0, len(text)))
    before = text[:offset].replace("\r\n", "\n").replace("\r", "\n")
    expected = (before.count("\n") + 1, len(before) - before.rfind("\n"))
    if text[offset - 1:offset + 1] != "\r\n":  # an offset inside CR LF has no column of its own
        assert line_column(text, offset) == expected


def json_problem(text: str) -> JsonProblem:
    try:
        loads(text)
    except JsonProblem as problem:
        return problem
    raise AssertionError("parsed")


def test_syntax_errors_are_located_in_cr_only_files() -> None:
    broken = '{\r "@context": "https://credreg.net/ctdl/schema/context/json",\r "@graph": [\r  {"a": 1,}\r ]\r}'
    problem = json_problem(broken)
    assert (problem.line, problem.column) == (4, 11)
    assert json_problem(broken.replace("\r", "\r\n")).line == json_problem(broken.replace("\r", "\n")).line == 4


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\r\n", max_size=60), st.data())
def test_lines_looked_up_in_long_texts_are_the_lines_counted(text: str, data: st.DataObject) -> None:
    # Past Lines.COUNTED characters a line is looked up in the offsets where lines start, listed once (a 20 MB
    # framework file with a finding per competency counted newlines from its start for each: 97 s at 14k).
    positions = data.draw(st.lists(st.integers(0, len(text)), max_size=8))
    counted, listed = Lines(text), Lines(text)
    listed.COUNTED = 0
    for position in positions:
        assert listed._line_at(position) == counted._line_at(position) == line_column(text, position)[0]


def test_a_large_file_s_lines_are_found_without_counting_from_its_start(monkeypatch) -> None:
    competencies = [{"@id": f"_:c{i}", "ceasn:competencyText": {"en": f"Skill {i}"}} for i in range(3000)]
    text = json.dumps({"@context": "x", "@graph": competencies}, indent=2)
    assert len(text) > Lines.COUNTED
    lines = Lines(text, unique_keys=True)
    counted = []
    real_count = str.count

    class Text(str):
        def count(self, *args):  # type: ignore[override]
            counted.append(args)
            return real_count(self, *args)

    lines.text = Text(text)
    found = [lines(f"/@graph/{i}/ceasn:competencyText") for i in range(0, 3000, 7)]
    index = pointer_lines(text)
    assert found == [index[f"/@graph/{i}/ceasn:competencyText"] for i in range(0, 3000, 7)]
    assert not counted  # looked up, not counted from the start for each finding
