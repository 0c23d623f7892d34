"""jsonio's nesting guard: how deep JSON may nest where ctdl_tools reads it, and where to point when it is
deeper (found by hand: 600 nested objects crashed validation, a YAML catalog crashed convert)."""

from __future__ import annotations

import json
import os
import stat
import threading
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ctdl_tools.jsonio import MAX_DEPTH, json_path, nesting_position, too_deep, write_atomic

# Nested JSON values with their keys and string contents drawn to trip a naive bracket counter.
TRICKY_TEXT = st.text(alphabet=st.sampled_from(['[', ']', '{', '}', '"', '\\', 'a', '\n']), max_size=4)
VALUES = st.recursive(st.none() | st.integers() | TRICKY_TEXT,
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY_TEXT, inner, max_size=3),
                      max_leaves=30)


def depth_of(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    return 0


def follow(value: Any, path: list) -> Any:
    for key in path:
        value = value[key]
    return value


@settings(max_examples=300, deadline=None)
@given(VALUES, st.integers(1, 6), st.booleans())
def test_too_deep_and_nesting_position_agree_with_the_depth(value: Any, limit: int, indent: bool) -> None:
    text = json.dumps(value, indent=1 if indent else None)
    path = too_deep(value, limit)
    assert (path is None) == (depth_of(value) <= limit)
    place = nesting_position(text, limit)
    assert (place is None) == (path is None)
    if path is not None:
        assert isinstance(follow(value, path), (dict, list)) and len(path) == limit  # level limit + 1
        line, column = place  # type: ignore[misc]
        assert text.splitlines()[line - 1][column - 1] in "[{"


def test_the_limit_is_a_hundred_levels_and_paths_are_shortened() -> None:
    value: Any = 1
    for _ in range(MAX_DEPTH):
        value = [value]
    assert too_deep(value) is None and too_deep([value]) == [0] * MAX_DEPTH
    assert json_path(["credentials", 0, "name"]) == "$.credentials[0].name"
    assert json_path(["a"] * 30) == "$.a.a.a.a.a.a.a.a… (22 more levels)"


def _text(value: Any) -> str:
    """JSON text of nested ("obj", [(key, value)…]) pairs, which may repeat a key."""
    if isinstance(value, tuple):
        return "{" + ", ".join(f"{json.dumps(k)}: {_text(v)}" for k, v in value[1]) + "}"
    if isinstance(value, list):
        return "[" + ",\n".join(_text(v) for v in value) + "]"
    return json.dumps(value)


PAIRS = st.recursive(st.integers(0, 3) | TRICKY_TEXT,
                     lambda inner: st.lists(inner, max_size=3)
                     | st.lists(st.tuples(st.sampled_from(["a", "b", "a/b", "~", 'q"']), inner), max_size=3).map(
                         lambda pairs: ("obj", pairs)), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(PAIRS)
def test_repeated_names_are_noticed_and_found(value: Any) -> None:
    from ctdl_tools.jsonio import loads_noting_repeats
    from ctdl_tools.jsonscan import repeated_members

    text = _text(value)
    data, repeats = loads_noting_repeats(text)
    assert data == json.loads(text)  # the same value json.loads gives: the last of a repeated name wins
    found = repeated_members(text)
    assert repeats == bool(found)
    for pointer, key, line, offset in found:
        assert pointer.rsplit("/", 1)[1] == key.replace("~", "~0").replace("/", "~1")
        assert f"{json.dumps(key)}:" in text.splitlines()[line - 1]
        assert text[offset:].startswith(json.dumps(key))  # where the repeat's name starts


# --- write_atomic: a temporary file renamed over the target, except where renaming would replace
# something that is not a plain file ---------------------------------------------------------------------
def test_write_atomic_writes_through_a_symlink(tmp_path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to("report.json")
    write_atomic(link, b"new")
    assert link.is_symlink() and target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "report.json"]  # no temporary left


def test_write_atomic_writes_into_a_fifo_and_leaves_it_a_fifo(tmp_path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, lambda handle: handle.write(b"streamed"))
    reader.join(timeout=10)
    assert received == [b"streamed"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_write_atomic_replaces_a_regular_file_whole(tmp_path) -> None:
    target = tmp_path / "out" / "report.json"  # the directory is made
    write_atomic(target, b"first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second" and os.listdir(target.parent) == ["report.json"]


def test_sigterm_while_writing_leaves_no_temporary_file(tmp_path) -> None:
    # Found in acceptance testing: a cancelled job left .report.json.<pid>.tmp beside the report.
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    script = ("import sys, time\nfrom ctdl_tools.jsonio import write_atomic\n"
              "def slow(handle):\n    handle.write(b'new'); print('writing', flush=True); time.sleep(30)\n"
              "write_atomic(sys.argv[1], slow)\n")
    child = subprocess.Popen([sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert child.stdout is not None and child.stdout.readline() == "writing\n"
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=20) == 128 + signal.SIGTERM
    deadline = time.monotonic() + 5
    while len(list(tmp_path.iterdir())) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"] and target.read_text() == "old"


@settings(max_examples=200, deadline=None)
@given(PAIRS)
def test_input_readers_refuse_a_repeated_name_at_its_place(value: Any) -> None:
    from ctdl_tools.errors import InputError
    from ctdl_tools.jsonio import parse_json
    from ctdl_tools.jsonscan import repeated_members

    text = _text(value)
    found = repeated_members(text)
    assert parse_json(text, "f.json", repeats=True) == json.loads(text)
    if not found:
        assert parse_json(text, "f.json") == json.loads(text)
        return
    try:
        parse_json(text, "f.json")
    except InputError as error:
        _, key, line, _ = found[0]
        assert error.where.path is not None and error.where.path.startswith("$")
        assert error.message.startswith(f"{key!r} is given twice in one object (line {line})")
    else:
        raise AssertionError("a repeated name was read")
