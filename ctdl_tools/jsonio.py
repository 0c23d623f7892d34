"""Reading JSON with located errors, and writing bytes atomically and deterministically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ctdl_tools.errors import InputError, Where


def read_text(path: Path | str) -> str:
    """A UTF-8 text file (a UTF-8 BOM is fine); anything else is an :class:`InputError`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(Where(str(path)), "file not found") from None
    except IsADirectoryError:
        raise InputError(Where(str(path)), "is a directory, expected a file") from None
    except OSError as exc:
        raise InputError(Where(str(path)), f"cannot read: {exc.strerror or exc}") from None
    return decode_utf8(data, str(path))


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
    """Pretty, deterministic JSON: keys keep the order the builders gave them, UTF-8, final newline."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_atomic(path: Path | str, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
