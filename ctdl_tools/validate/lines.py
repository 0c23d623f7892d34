"""JSON pointer → line number, for findings in files that were given as text.

Python's json module does not report positions, so the text is scanned once (tokens by regular
expression) and the line of every value is recorded under its pointer. Only files that have findings are
scanned, once each.
"""

from __future__ import annotations

import json
import re

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+|\n')


def _unescape(token: str) -> str:
    if "\\" not in token:
        return token[1:-1]
    try:
        return json.loads(token)
    except ValueError:
        return token[1:-1]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1") if "~" in token or "/" in token else token


def pointer_lines(text: str) -> dict[str, int]:
    """The 1-based line of every object, array and object member in a JSON text, by JSON pointer.

    Scalars inside arrays are not recorded (findings point at objects and members; ``line_of`` falls
    back to the enclosing array), which keeps the scan cheap on large files.
    """
    lines: dict[str, int] = {"": 1}
    line = 1
    # Each stack entry: [pointer of the container, is_object, next index, expecting_key]
    stack: list[list] = []
    key: str = ""
    for match in _TOKEN.finditer(text):
        tok = match.group()
        first = tok[0]
        if first == "\n":
            line += 1
        elif first in ",:":
            continue
        elif first in "}]":
            if stack:
                stack.pop()
        elif stack and stack[-1][1]:
            top = stack[-1]
            if top[3]:  # an object key
                key = _unescape(tok) if first == '"' else tok
                top[3] = False
                continue
            top[3] = True
            pointer = f"{top[0]}/{_escape(key)}"
            lines[pointer] = line
            if first == "{":
                stack.append([pointer, True, 0, True])
            elif first == "[":
                stack.append([pointer, False, 0, False])
        elif stack:  # an array element
            top = stack[-1]
            index = top[2]
            top[2] = index + 1
            if first == "{" or first == "[":
                pointer = f"{top[0]}/{index}"
                lines[pointer] = line
                stack.append([pointer, first == "{", 0, first == "{"])
        elif first == "{" or first == "[":  # the root
            stack.append(["", first == "{", 0, first == "{"])
    return lines


def line_of(index: dict[str, int], pointer: str) -> int | None:
    """The line of ``pointer``, or of its nearest ancestor that has one."""
    while True:
        if pointer in index:
            return index[pointer]
        if not pointer:
            return None
        pointer = pointer.rpartition("/")[0]
