"""Finding the CTDL JSON-LD files in what a user names: files, directories, globs.

Shared by ``ctdl validate`` and ``ctdl publish`` (so both read the same files), and kept free of the
validator's dependencies: publish with ``--force`` must still find its files when the validator cannot be
imported.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

SUFFIXES = (".json", ".jsonld")


def files_under(directory: str, with_links: bool = False) -> Iterator:
    """JSON files below a directory (os.scandir: pathlib's rglob + is_file was 0.3 s for 10k files); with
    ``with_links``, (name, is a symbolic link) pairs.

    Hidden files and folders (``.git``, ``.github``, ``.vscode``, publish's ``.ctdl``) are left out, as
    linters do: they are not a catalog's. Named directly, they are read."""
    for entry in os.scandir(directory):
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):  # as rglob: no symlink loops
            yield from files_under(entry.path, with_links)
        elif os.path.splitext(entry.name)[1].lower() in SUFFIXES and (entry.is_symlink() or entry.is_file()):
            # a dangling or looping symlink too: reported unreadable, not silently left out
            yield (entry.path, entry.is_symlink()) if with_links else entry.path


def expand(text: str) -> Iterator[tuple[str, bool]]:
    """(file name, whether it is a symbolic link) for one path, directory or glob; "-" (stdin) stays."""
    if text == "-":
        yield "-", False
        return
    path = Path(text)
    if path.is_dir():
        yield from sorted(files_under(text, with_links=True))
    elif any(ch in text for ch in "*?[") and not path.exists():
        for match in sorted(glob.glob(text, recursive=True)):  # as the shell's expansion would be given
            if os.path.isdir(match):
                yield from sorted(files_under(match, with_links=True))
            elif os.path.isfile(match):
                yield match, os.path.islink(match)
    else:
        yield text, os.path.islink(text)


def unique_files(paths: Iterable[str]) -> Iterator[str]:
    """The files of ``paths`` (directories and globs expanded), each once, in order. A file named twice
    (``ctdl validate out out/a.json``), or also reached through a symbolic link, is read once: twice, its
    records would be duplicates of themselves. Files are told apart by absolute path (not realpath: a stat
    per path component is too slow for 100k files), links by the file they lead to, and a link gives way to
    the file it leads to wherever that is named."""
    for _, name in unique_files_of(paths):
        yield name


def unique_files_of(paths: Iterable[str]) -> Iterator[tuple[int, str]]:
    """:func:`unique_files`, each with the number of the path it came from."""
    names = [(number, *pair) for number, path in enumerate(paths) for pair in expand(path)]
    # Each name's key once (10k files: abspath is ~3 µs each): "-", a link's target, or the absolute path.
    keys = [name if name == "-" else _link_target(name) if link else os.path.abspath(name) for _, name, link in names]
    plain = {key for (_, name, link), key in zip(names, keys, strict=True) if not link and name != "-"}
    seen: set[str] = set()
    for (number, name, link), key in zip(names, keys, strict=True):
        if key in seen or (link and key in plain):
            continue
        seen.add(key)
        yield number, name


def _link_target(name: str) -> str:
    """Where a symbolic link leads, as an absolute path spelled like the others (a link to a link: its end)."""
    seen = set()
    path = os.path.abspath(name)
    while os.path.islink(path) and path not in seen:
        seen.add(path)
        try:
            path = os.path.abspath(os.path.join(os.path.dirname(path), os.readlink(path)))
        except OSError:
            break
    return path


def display_name(name: str) -> str:
    """A file name as reports show it: bytes that are not UTF-8 (kept by Python as lone surrogates, which no
    UTF-8 writer takes) as backslash escapes, ``caf\\xe9.json``; the file is still read by its own name."""
    return name if is_utf8(name) else os.fsencode(name).decode("utf-8", "backslashreplace")


def is_utf8(name: str) -> bool:
    """Whether a name (of a file, as the OS gave it) is text UTF-8 can hold, or bytes that are not UTF-8."""
    if name.isascii():
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def main_ctid(document: Any) -> str | None:
    """The CTID of a document's main resource (the first node of its ``@graph``, or the document itself),
    lower-cased; None when it has none. How publish files a record and how status finds its file."""
    graph = document.get("@graph") if isinstance(document, dict) else None
    main = graph[0] if isinstance(graph, list) and graph and isinstance(graph[0], dict) else document
    ctid = main.get("ceterms:ctid") if isinstance(main, dict) else None
    return ctid.strip().lower() if isinstance(ctid, str) else None


def is_report(data: Any) -> bool:
    """A ctdl validate JSON report or a SARIF log (ours or any tool's): never CTDL, often kept beside it."""
    if not isinstance(data, dict):
        return False
    tool = data.get("tool")
    ours = isinstance(tool, dict) and tool.get("name") == "ctdl_tools" and isinstance(data.get("findings"), list)
    sarif = isinstance(data.get("runs"), list) and "sarif" in str(data.get("$schema", "")).lower()
    return ours or sarif
