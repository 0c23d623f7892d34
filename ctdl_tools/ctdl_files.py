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
JSONLD_KEYS = ("@context", "@graph", "@type", "@id")  # what no validation report has at its top
# Registry Assistant request members that carry a graph document: GraphContentRequest / GraphRequest
# (publishGraph: CE's publish Action, registry.md §4(b)), CompetencyFrameworkGraphRequest (registry.md §4(b))
# and GraphConceptSchemeRequest (CredentialEngine/Registry_Assistant src/RA.Models/Input/ConceptSchemeRequest.cs).
GRAPH_REQUEST_KEYS = ("GraphInput", "CompetencyFrameworkGraph", "ConceptSchemeGraph")


def files_under(directory: str, with_links: bool = False) -> Iterator:
    """JSON files below a directory (os.scandir: pathlib's rglob + is_file was 0.3 s for 10k files); with
    ``with_links``, (name, is a symbolic link or below one) pairs.

    Hidden files and folders (``.git``, ``.github``, ``.vscode``, publish's ``.ctdl``) are left out, as
    linters do: they are not a catalog's. Named directly, they are read. A symbolic link to a folder is
    followed, as a glob follows it (``ctdl validate sl`` and ``'sl/**/*.json'`` read the same files), once:
    a link back to a folder it is in, or to one already walked, is not walked again."""
    real = os.path.realpath(directory)
    for entry, linked in _tree(directory, real, False, {real}):
        if _is_dir(entry):
            continue
        if os.path.splitext(entry.name)[1].lower() in SUFFIXES and (entry.is_symlink() or entry.is_file()):
            # a dangling or looping symlink too: reported unreadable, not silently left out
            yield (entry.path, linked or entry.is_symlink()) if with_links else entry.path


def _tree(directory: str, real: str, linked: bool, walked: set[str]) -> Iterator[tuple[os.DirEntry, bool]]:
    """Every entry below ``directory`` (whose real path is ``real``) but hidden ones, a folder before what it
    holds, with whether it was reached through a symbolic link. ``walked``: the real paths of the folders
    walked so far. In name order, so which name a folder is read by does not depend on the file system; a
    folder itself is always walked (unique_files_of keeps its files' names over a link's)."""
    with os.scandir(directory) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if not _is_dir(entry):
            yield entry, linked
            continue
        link = entry.is_symlink()
        target = os.path.realpath(entry.path) if link else os.path.join(real, entry.name)
        if link and target in walked:  # a loop (a link to a folder it is in), or a folder walked already
            continue
        walked.add(target)
        yield entry, linked or link
        yield from _tree(entry.path, target, linked or link, walked)


def _is_dir(entry: os.DirEntry) -> bool:
    """Whether an entry is a folder or a link to one (one stat, for links only); a looping link is not."""
    try:
        return entry.is_dir()
    except OSError:  # ELOOP: read as a file, and reported unreadable
        return False


def _glob(pattern: str) -> list[tuple[str, bool]]:
    """glob.glob(pattern, recursive=True), each name with whether a ``**`` reached it through a symbolic
    link; but ``**`` walks folders as files_under does: a link followed once, never round a loop (glob.glob
    walks ``a/up -> ..`` until the paths grow too long)."""
    parts = pattern.split(os.sep)
    if "**" not in parts:
        return [(name, os.path.islink(name)) for name in glob.glob(pattern)]
    i = parts.index("**")
    prefix, rest = os.sep.join(parts[:i]) or (os.sep if i else ""), os.sep.join(parts[i + 1:])
    tops = glob.glob(prefix) if glob.has_magic(prefix) else [prefix]
    out: list[tuple[str, bool]] = []
    for top in (t for t in tops if not t or os.path.isdir(t)):
        for folder, linked in _folders(top):
            here = glob.escape(folder)
            if rest:
                out += [(name, linked or link) for name, link in _glob(os.path.join(here, rest))]
            else:  # a trailing **: every file below (the folders are all listed here)
                out += [(name, linked or os.path.islink(name)) for name in glob.glob(os.path.join(here, "*"))
                        if not os.path.isdir(name)]
    return out


def _folders(top: str) -> Iterator[tuple[str, bool]]:
    """``top`` ("" for the working directory, as glob names it) and every folder below it but hidden ones,
    each with whether it was reached through a symbolic link."""
    yield top, False
    real = os.path.realpath(top or os.curdir)
    for entry, linked in _tree(top or os.curdir, real, False, {real}):
        if _is_dir(entry):
            yield entry.path if top else os.path.relpath(entry.path), linked


def expand(text: str) -> Iterator[tuple[str, bool]]:
    """(file name, whether it is a symbolic link or below a linked folder) for one path, directory or glob;
    "-" (stdin) stays."""
    if text in ("-", ""):  # stdin; an empty name (an unset variable), which Path reads as "." but names no file
        yield text, False
        return
    path = Path(text)
    if path.is_dir():
        yield from sorted(files_under(text, with_links=True))
    elif any(ch in text for ch in "*?[") and not path.exists():
        for match, linked in sorted(dict(_glob(text)).items()):  # as the shell's expansion would be given
            if os.path.isdir(match):
                yield from sorted((name, linked or link) for name, link in files_under(match, with_links=True))
            elif os.path.isfile(match):
                yield match, linked
    else:
        yield text, os.path.islink(text)


def unique_files(paths: Iterable[str]) -> Iterator[str]:
    """The files of ``paths`` (directories and globs expanded), each once, in order. A file named twice
    (``ctdl validate out out/a.json``), or also reached through a symbolic link (to it or to a folder it is
    in), is read once: twice, its records would be duplicates of themselves. Files are told apart by real
    path, found once per folder (a stat per path component of each of 100k files is too slow), a link's
    (and a file's below a linked folder) per file; a link gives way to the file it leads to wherever that
    is named."""
    for _, name in unique_files_of(paths):
        yield name


def unique_files_of(paths: Iterable[str]) -> Iterator[tuple[int, str]]:
    """:func:`unique_files`, each with the number of the path it came from."""
    yield from matched_files(paths)[0]


def matched_files(paths: Iterable[str]) -> tuple[list[tuple[int, str]], list[int]]:
    """:func:`unique_files_of` as a list, and the numbers of the paths that hold no file at all (an empty
    folder, a glob matching nothing): a gate must say so, not pass having read nothing. A missing file is
    no such path: it is given back as it is, to be reported unreadable."""
    paths = list(paths)
    names = [(number, *pair) for number, path in enumerate(paths) for pair in expand(path)]
    folders: dict[str, str] = {}  # absolute folder → its real path
    keys = [name if name == "-" else os.path.realpath(name) if link else _real_name(name, folders)
            for _, name, link in names]
    plain = {key for (_, name, link), key in zip(names, keys, strict=True) if not link and name != "-"}
    seen: set[str] = set()
    unique = []
    for (number, name, link), key in zip(names, keys, strict=True):
        if key in seen or (link and key in plain):
            continue
        seen.add(key)
        unique.append((number, name))
    found = {number for number, _, _ in names}
    return unique, [number for number in range(len(paths)) if number not in found]


def _real_name(name: str, folders: dict[str, str]) -> str:
    """The real path of a file that is no link, its folder's resolved once (10k files: abspath is ~3 µs)."""
    folder, base = os.path.split(os.path.abspath(name))
    if folder not in folders:
        folders[folder] = os.path.realpath(folder)
    return os.path.join(folders[folder], base)


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


def texts_of(value: Any) -> list[str]:
    """Every string of a text value: a plain string, a language map (all its languages) or a list of either."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for v in value for t in texts_of(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts_of(v)]
    return []


def main_ctid(document: Any) -> str | None:
    """The CTID of a document's main resource (the first node of its ``@graph``, or the document itself),
    lower-cased; None when it has none. How publish files a record and how status finds its file."""
    graph = document.get("@graph") if isinstance(document, dict) else None
    main = graph[0] if isinstance(graph, list) and graph and isinstance(graph[0], dict) else document
    ctid = main.get("ceterms:ctid") if isinstance(main, dict) else None
    return ctid.strip().lower() if isinstance(ctid, str) else None


def is_report(data: Any) -> bool:
    """A ctdl validate JSON report or a SARIF log (ours or any tool's): never CTDL, often kept beside it."""
    if not isinstance(data, dict) or any(key in data for key in JSONLD_KEYS):
        return False  # JSON-LD: CTDL however it ends, never skipped (a record with `"runs": []` is validated)
    tool = data.get("tool")
    ours = isinstance(tool, dict) and tool.get("name") == "ctdl_tools" and isinstance(data.get("findings"), list)
    sarif = isinstance(data.get("runs"), list) and "sarif" in str(data.get("$schema", "")).lower()
    return ours or sarif
