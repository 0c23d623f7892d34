"""A JSON text's structure read by regular expression, without parsing it: where each member and container
starts (JSON pointer and line), and the member names an object gives more than once.

Python's json module reports neither positions nor repeated names (it keeps the last value of a name,
silently). ctdl validate uses this for line numbers and JSON-DUPLICATE-KEY; every other reader of JSON
input (catalogs, skill files, Registry Assistant requests) refuses a repeated name, naming where it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

_TOKEN = re.compile(r'"(?:[^"\\\n\r]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+|\r\n?|\n')  # CR LF, CR, LF: a line


def _string(token: str) -> str:
    if "\\" not in token:
        return token[1:-1]
    try:
        return json.loads(token)
    except ValueError:
        return token[1:-1]


def escape_pointer(token: str) -> str:
    """A member name as a JSON pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1") if "~" in token or "/" in token else token


def pointer_tokens(pointer: str) -> list[str]:
    """The member names and indexes a JSON pointer steps through, unescaped."""
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]] if pointer else []


def repeated_members(text: str) -> list[tuple[str, str, int, int]]:
    """(pointer of the member, its name, line, offset of its name) for every name an object gives again after
    its first time, in text order; run only on texts that have repeats (``jsonio.loads_noting_repeats`` says
    which)."""
    seen: dict[int, set[str]] = {}
    found: list[tuple[str, str, int, int]] = []
    for pointer, line, name, number, offset in scan(text):
        if name is not None:
            names = seen.setdefault(number, set())
            if name in names:
                found.append((pointer, name, line, offset))
            names.add(name)
    return found


def scan(text: str) -> Iterator[tuple[str, int, str | None, int, int]]:
    """A JSON text's structure, token by token (regular expression; no parse): (pointer, line, None, 0,
    offset) where a member's value or a container in an array starts, and (pointer of the member, line, its
    name, number of its object, offset of the name) for each member name. Objects are numbered in text
    order: a repeated member's value has the same pointer as the first one's."""
    line = 1
    objects = 0
    # Each stack entry: [pointer of the container, is_object, next index, expecting_key, object number]
    stack: list[list] = []
    key: str = ""
    for match in _TOKEN.finditer(text):
        tok = match.group()
        first = tok[0]
        if first == "\n" or first == "\r":
            line += 1
        elif first in ",:":
            continue
        elif first in "}]":
            if stack:
                stack.pop()
        elif stack and stack[-1][1]:
            top = stack[-1]
            if top[3]:  # an object key
                key = _string(tok) if first == '"' else tok
                top[3] = False
                yield f"{top[0]}/{escape_pointer(key)}", line, key, top[4], match.start()
                continue
            top[3] = True
            pointer = f"{top[0]}/{escape_pointer(key)}"
            yield pointer, line, None, 0, match.start()
            if first == "{" or first == "[":
                objects += 1
                stack.append([pointer, first == "{", 0, first == "{", objects])
        elif stack:  # an array element
            top = stack[-1]
            index = top[2]
            top[2] = index + 1
            if first == "{" or first == "[":
                pointer = f"{top[0]}/{index}"
                yield pointer, line, None, 0, match.start()
                objects += 1
                stack.append([pointer, first == "{", 0, first == "{", objects])
        elif first == "{" or first == "[":  # the root
            objects += 1
            stack.append(["", first == "{", 0, first == "{", objects])
