"""Reading JSON with located errors, and writing bytes atomically and deterministically."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ctdl_tools.errors import InputError, Where


def read_bytes(path: Path | str, max_bytes: int | None = None) -> bytes:
    """A file's bytes; a missing, unreadable or (with ``max_bytes``) oversized file is an :class:`InputError`."""
    path = Path(path)
    try:
        if max_bytes is not None and (size := path.stat().st_size) > max_bytes:
            raise InputError(Where(str(path)), f"file is {size} bytes; the limit is {max_bytes} "
                                               f"({max_bytes // (1024 * 1024)} MiB)")
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(Where(str(path)), "file not found") from None
    except IsADirectoryError:
        raise InputError(Where(str(path)), "is a directory, expected a file") from None
    except OSError as exc:
        raise InputError(Where(str(path)), f"cannot read: {exc.strerror or exc}") from None


def read_text(path: Path | str) -> str:
    """A UTF-8 text file (a UTF-8 BOM is fine); anything else is an :class:`InputError`."""
    return decode_utf8(read_bytes(path), str(path))


def decode_utf8(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(Where(name, row=line),
                         f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                         "save the file as UTF-8") from None


def parse_json(text: str, name: str) -> Any:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(Where(name), f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    lone = unpaired_surrogate(text)
    if lone is not None:
        raise InputError(Where(name), lone.message)
    return data


HALF_PAIR = "half of a UTF-16 surrogate pair, not a character"


@dataclass(frozen=True)
class Surrogate:
    """Where a JSON text escapes half of a UTF-16 surrogate pair, and what to tell the user."""

    offset: int
    line: int
    column: int
    escape: str

    @property
    def message(self) -> str:
        return (f"{self.escape} at line {self.line}, column {self.column} is {HALF_PAIR}: remove it or give the "
                "whole pair")


def unpaired_surrogate(text: str) -> Surrogate | None:
    """The first ``\\ud800``-style escape of an unpaired surrogate in a JSON text, or None.

    RFC 8259 allows the escape (§8.2: "unpredictable" behaviour); json.loads keeps it as a str that no
    UTF-8 writer can write out, so every report, CTDL document or registry page made from it would fail
    late. Callers treat the text as unreadable instead, naming the place.
    """
    if "\\ud" not in text and "\\uD" not in text:
        return None
    offset = _first_unpaired(text)
    if offset is None:
        return None
    line, column = text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
    return Surrogate(offset, line, column, text[offset:offset + 6])


def surrogate_path(value: Any) -> str | None:
    """The JSON path of the first key or string holding a lone surrogate, or None: for data from parsers
    whose text :func:`unpaired_surrogate` cannot scan (YAML has ``\\ud800`` and ``\\U0000d800`` escapes)."""
    try:
        orjson.dumps(value)  # in C, and it refuses surrogates: nearly always the whole answer
        return None
    except (orjson.JSONEncodeError, TypeError):
        pass  # a surrogate, or something else orjson does not write (walked below all the same)
    todo: list[tuple[Any, str]] = [(value, "$")]
    while todo:
        item, path = todo.pop()
        if isinstance(item, str):
            if not item.isascii() and not _encodes(item):
                return path
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                where = f"{path}.{key}"
                if isinstance(key, str) and not key.isascii() and not _encodes(key):
                    return where
                todo.append((child, where))
        elif isinstance(item, list):
            todo.extend((child, f"{path}[{i}]") for i, child in reversed(list(enumerate(item))))
    return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# A \u escape of a UTF-16 surrogate, with the backslashes before it (an even run is escaped backslashes).
_SURROGATE_ESCAPE = re.compile(r"(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})")


def _first_unpaired(text: str) -> int | None:
    """Where the first escape of an unpaired surrogate (e.g. ``\\ud800`` alone) starts, or None."""
    high: tuple[int, int] | None = None  # (start, end) of a high surrogate escape waiting for its low half
    for match in _SURROGATE_ESCAPE.finditer(text):
        if len(match.group(1)) % 2 == 0:
            continue  # "\\ud800" in the text: an escaped backslash, then the letters "ud800"
        start = match.end(1) - 1
        is_high = match.group(2)[1] in "89abAB"
        if high is not None:
            if not is_high and start == high[1]:
                high = None  # the pair's low half
                continue
            return high[0]
        if not is_high:
            return start
        high = (start, match.end())
    return high[0] if high is not None else None


def read_json(path: Path | str) -> Any:
    return parse_json(read_text(path), str(path))


def dumps(document: Any) -> bytes:
    """Pretty, deterministic JSON: two-space indent, keys sorted (so ``@id``, ``@type`` lead), UTF-8,
    final newline. orjson does this in C; the standard library's indenting encoder is pure Python and
    was most of a 10k-record conversion's time."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def write_atomic(path: Path | str, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Write to a temporary file beside ``path`` and rename it: readers never see half a file.

    ``data`` is the bytes, or a function that writes them to the open file (a report larger than memory
    should hold is streamed).
    """
    path = Path(path)
    # One temporary name per process and target: cheaper than mkstemp's random probing, and still
    # private to this process (the pid) and never confused with a finished file (the leading dot).
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            if callable(data):
                data(handle)
            else:
                handle.write(data)
        os.replace(tmp, path)
    except FileNotFoundError:
        if path.parent.exists():
            raise
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
