"""jsonio's nesting guard: how deep JSON may nest where ctdl_tools reads it, and where to point when it is
deeper (found by hand: 600 nested objects crashed validation, a YAML catalog crashed convert)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ctdl_tools.jsonio import MAX_DEPTH, json_path, nesting_position, too_deep

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
