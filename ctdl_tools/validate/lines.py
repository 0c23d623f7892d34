"""JSON pointer → line number, for findings in files that were given as text.

Python's json module does not report positions, so the text is scanned once (tokens by regular
expression) and the line of every value is recorded under its pointer. Only files that have findings are
scanned, once each.
"""

from __future__ import annotations

import bisect
import json
import re

from ctdl_tools.jsonio import has_lone_cr, line_column
from ctdl_tools.jsonscan import escape_pointer, scan

_LINE_END = re.compile("\n")
_ANY_LINE_END = re.compile("\r\n|\n|\r")


def pointer_lines(text: str) -> dict[str, int]:
    """The 1-based line of every object, array and object member in a JSON text, by JSON pointer.

    Scalars inside arrays are not recorded (findings point at objects and members; ``line_of`` falls
    back to the enclosing array), which keeps the scan cheap on large files.
    """
    lines: dict[str, int] = {"": 1}
    for pointer, line, name, _, _ in scan(text):
        if name is None:
            lines[pointer] = line
    return lines


def line_of(index: dict[str, int], pointer: str) -> int | None:
    """The line of ``pointer``, or of its nearest ancestor that has one."""
    while True:
        if pointer in index:
            return index[pointer]
        if not pointer:
            return None
        pointer = pointer.rpartition("/")[0]


class Lines:
    """The line of a JSON pointer in one JSON text, found by walking down that pointer only.

    Findings point at a handful of places in a file, so instead of tokenising the whole text in Python
    (:func:`pointer_lines`), each container on the way is read member by member with the C JSON scanner
    (which returns where every value ends) and the newlines before the value are counted. Arrays are
    read only as far as the element wanted (``/@graph/0`` does not parse the rest of the graph); objects
    whole, since a repeated key's last value is the one json.loads keeps, unless the text is known to
    repeat no key (``unique_keys``: the loader's parse says so), when they too are read only as far as the
    member wanted (a record's findings then do not parse the whole graph, nor every member of the record,
    again). Walks are kept per container and resumed. Falls back to :func:`pointer_lines` for text the
    scanner rejects.
    """

    _DECODER = json.JSONDecoder()
    _SPACE = re.compile(r"[ \t\n\r]*")
    # Up to this many characters, a line is found by counting the newlines before it; past it, by looking its
    # offset up in the offsets where lines start, listed once (a 20 MB framework file with a finding per
    # competency counted newlines from the start for each: minutes).
    COUNTED = 32_768

    def __init__(self, text: str | None, unique_keys: bool = False) -> None:
        self.text = text
        self.unique_keys = unique_keys
        # container start → its walk so far (see _open)
        self._members: dict[int, list] = {}
        self._fallback: dict[str, int] | None = None
        self._lines: dict[str, int | None] = {}  # answers so far: a record's findings share pointers
        # All on one line (minified): that line, after any blank lines before it.
        self.one_line: int | None = None
        if text is not None and "\n" not in text.strip() and "\r" not in text.strip():
            self.one_line = line_column(text, len(text) - len(text.lstrip()))[0]
        self.lone_cr = text is not None and "\r" in text and has_lone_cr(text)
        self._starts: list[int] | None = None  # where each line starts (see _line_at)

    def __call__(self, pointer: str) -> int | None:
        """The line of ``pointer``, or of its nearest ancestor that has one (None without a text)."""
        if pointer in self._lines:
            return self._lines[pointer]
        line = self._lines[pointer] = self._line(pointer)
        return line

    def _line(self, pointer: str) -> int | None:
        if self.text is None:
            return None
        if self.one_line is not None:
            return self.one_line
        if self._fallback is not None:
            return line_of(self._fallback, pointer)
        try:
            position = self._position(pointer)
        except (ValueError, IndexError, RecursionError):  # the C scanner recurses; pointer_lines does not
            self._fallback = pointer_lines(self.text)
            return line_of(self._fallback, pointer)
        return self._line_at(position)

    def _line_at(self, position: int) -> int:
        text = self.text
        assert text is not None
        if len(text) <= self.COUNTED and not self.lone_cr:
            return text.count("\n", 0, position) + 1
        if self._starts is None:
            # A classic Mac file: CR alone ends lines too (as jsonio.line_column counts them).
            ends = _ANY_LINE_END if self.lone_cr else _LINE_END
            self._starts = [0, *(m.end() for m in ends.finditer(text))]
        return bisect.bisect_right(self._starts, position)

    def _position(self, pointer: str) -> int:
        start = 1 if self.text.startswith("\ufeff") else 0  # a byte order mark is not JSON
        position = self._SPACE.match(self.text, start).end()  # type: ignore[union-attr]
        for token in pointer.split("/")[1:] if pointer else ():
            found = self._member(position, token)
            if found is None:
                break  # a scalar's part or a pointer past the text: the nearest ancestor's line
            position = found
        return position

    def _member(self, start: int, token: str) -> int | None:
        """Where the value of member ``token`` (escaped key or array index) of the container at ``start``
        begins; None if there is none. Reads the container's members up to that one, from where the
        last call stopped. The value of the member found is passed over only when a later member is
        wanted: ``/@graph/0`` is found without parsing the whole main record."""
        walk = self._members.get(start)
        if walk is None:
            walk = self._members[start] = self._open(start)
        members = walk[0]
        if token in members or walk[1] < 0:
            return members.get(token)
        text, space, scan = self.text, self._SPACE, self._DECODER.scan_once
        assert text is not None
        is_object = text[start] == "{"
        closing = "}" if is_object else "]"
        i, index, skip = walk[1], walk[2], walk[3]
        while True:
            if skip:  # the value at i belongs to the member found last: passed over now
                _, i = scan(text, i)
                i = space.match(text, i).end()  # type: ignore[union-attr]
                if text[i] == ",":
                    i = space.match(text, i + 1).end()  # type: ignore[union-attr]
            if text[i] == closing:
                break
            if is_object:
                key, i = json.decoder.scanstring(text, i + 1)
                i = space.match(text, i).end()  # type: ignore[union-attr]
                if text[i] != ":":
                    raise ValueError("':' expected")
                i = space.match(text, i + 1).end()  # type: ignore[union-attr]
                name = escape_pointer(key)
            else:
                name = str(index)
                index += 1
            members[name] = i  # a repeated key: the last, as json.loads keeps
            skip = True
            if name == token and (self.unique_keys or not is_object):  # else its key may come again
                walk[1], walk[2], walk[3] = i, index, True
                return i
        walk[1] = -1
        return members.get(token)

    def _open(self, start: int) -> list:
        text = self.text
        assert text is not None
        if text[start] not in "{[":
            return [{}, -1, 0, False]
        # [member token → value start, where reading resumes (-1: all read), next array index, whether a
        # value to pass over is at the resume position]
        return [{}, self._SPACE.match(text, start + 1).end(), 0, False]  # type: ignore[union-attr]
