"""Reading JSON with located errors, and writing bytes atomically and deterministically."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
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
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(Where(name), f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


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
