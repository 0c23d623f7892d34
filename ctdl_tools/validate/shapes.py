"""Load the SHACL shapes: ours (``shapes/policy``, ``shapes/structure``) plus the user's directories.

The shapes are combined into one N-Triples text (what every engine compiles) and a table of rules keyed
by shape IRI (``ctshapes:ruleId``, ``sh:message``, severity, ``dct:source``…), which is how an engine's
result is turned back into a finding: engines do not copy custom annotations into their reports, but
every shape of ours has an IRI, so ``sh:sourceShape`` finds its rule.

Blank-node shapes (``sh:property [ … ]``, the members of ``sh:or ( … )``…) are given IRIs here, before any engine
sees the graph (``<https://purl.org/ctdl_tools/.well-known/shape-genid/…>``): each engine parses the graph itself
and labels blank nodes its own way, so a result's ``sh:sourceShape`` could not otherwise be traced back. With the
IRIs, every engine names the same shape, and :meth:`ShapeSet.holding` leads from it to the shapes that hold it: a
result of an anonymous shape belongs to the nearest shape holding it that has a rule id (up to the nearest named
shape), and its message is its own ``sh:message``, else that of the nearest shape holding it that has one.

Rules are turned off by id (or glob pattern, e.g. ``MDP-*-BENCHMARK-*``) by adding
``sh:deactivated true`` to their shapes before compiling, so disabled rules also cost nothing.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import stat
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

import pyoxigraph

from ctdl_tools.errors import InputError
from ctdl_tools.validate.rdf import ntriples
from ctdl_tools.validate.result import Rule
from ctdl_tools.validate.rules import rule_matches

SH = "http://www.w3.org/ns/shacl#"
CTSHAPES = "https://purl.org/ctdl_tools/shapes/"
RULE_ID = f"<{CTSHAPES}ruleId>"
_ANNOTATIONS = {
    RULE_ID: "id", f"<{SH}name>": "name", f"<{SH}message>": "message", f"<{SH}severity>": "severity",
    "<http://purl.org/dc/terms/source>": "source", "<http://www.w3.org/2000/01/rdf-schema#seeAlso>": "see_also",
    "<http://www.w3.org/2000/01/rdf-schema#comment>": "comment", f"<{CTSHAPES}aboutProperty>": "about",
}
DEACTIVATED = f"<{SH}deactivated>"
SHAPE_GENID = "https://purl.org/ctdl_tools/.well-known/shape-genid/"  # blank-node shapes as IRIs (see _skolemised)
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
# What holds a shape: these parameters' values are shapes, and so are the members of the lists of _SHAPE_LISTS.
_SHAPE_VALUES = frozenset(f"<{SH}{n}>" for n in ("property", "node", "not", "qualifiedValueShape"))
_SHAPE_LISTS = frozenset(f"<{SH}{n}>" for n in ("and", "or", "xone"))
_SHAPE_TYPES = frozenset(f"<{SH}{n}>" for n in ("NodeShape", "PropertyShape"))
_TARGETS = frozenset(f"<{SH}{n}>" for n in ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf"))
CACHE_FILES = 8
TRUE = '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'
Triple = tuple[str, str, str]


def bundled_shapes_dir() -> Path:
    """``ctdl_tools.shapes`` when installed; the checkout's top-level ``shapes/`` otherwise."""
    try:
        root = resources.files("ctdl_tools.shapes")
        path = Path(str(root))
        if (path / "policy").is_dir():
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parents[2] / "shapes"


def shape_files(dirs: Iterable[Path | str]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        path = Path(d)
        files.extend(sorted(path.rglob("*.ttl")) if path.is_dir() else [path])
    return files


@dataclass
class ShapeSet:
    """Compiled-ready shapes: the graph as (s, p, o) N-Triples terms, rules by shape IRI, and a digest for
    caching engines."""

    triples: tuple[tuple[str, str, str], ...]
    rules: dict[str, Rule] = field(default_factory=dict)  # shape IRI (N-Triples "<…>") → rule
    files: list[str] = field(default_factory=list)
    disabled: frozenset[str] = frozenset()
    # What the shapes were read from (each file's path, size and modification time, the version, the rules
    # turned off), as the parsed-shapes cache keys them; "": the digest is made from the triples.
    source_key: str = ""
    # Each blank-node shape (given an IRI, see _skolemised) → the shape that holds it.
    holders: dict[str, str] = field(default_factory=dict)

    @cached_property
    def ntriples(self) -> str:
        """The graph as N-Triples text (what the shacl and pyshacl engines parse; the native one does not)."""
        return ntriples(self.triples)

    @property
    def digest(self) -> str:
        if self.source_key:  # hashing 6 MB of N-Triples was a sixth of a small run's start-up
            return hashlib.sha256(self.source_key.encode("utf-8")).hexdigest()
        return hashlib.sha256(self.ntriples.encode("utf-8")).hexdigest()

    def rule_ids(self) -> set[str]:
        return {r.id for r in self.rules.values()}

    def holding(self, shape: str) -> tuple[str, ...]:
        """The shape, then the shapes that hold it, up to the first that is not a blank-node shape (its nearest
        named shape): where a result of an anonymous shape finds its rule id and message."""
        return holding(self.holders, shape)

    @cached_property
    def messages(self) -> dict[str, str]:
        """Shape → its sh:message (English first), or its one sh:sparql constraint's: for results of shapes
        without a rule of their own, whose engines' messages differ (pySHACL writes one, shacl none)."""
        fields = _annotations(self.triples, {f"<{SH}message>": "message"})
        return {shape: _message(f["message"]) for shape, f in fields.items() if "message" in f}


def _term(term: object) -> str:
    return str(term)


def plain_text(term: str) -> str:
    if term.startswith("<"):
        return term[1:-1]
    if term.startswith('"'):
        end = term.rfind('"')
        return unescape(term[1:end]) if "\\" in term[1:end] else term[1:end]
    return term


_UNESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[tbnrf\"'\\])")
_SIMPLE = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def unescape(lexical: str) -> str:
    """An N-Triples literal's lexical form from its escaped text. Not Python's ``unicode_escape`` codec: that
    reads its input as Latin-1, so "café" or an em dash beside an escaped quote came out as mojibake."""
    return _UNESCAPE.sub(_unescape_match, lexical)


def _unescape_match(m: re.Match) -> str:
    code = m.group(1)
    return chr(int(code[1:], 16)) if code[0] in "uU" else _SIMPLE[code]


def _read(path: Path, number: int) -> list[tuple[str, str, str]]:
    """Triples of one file; blank nodes renamed per file so files never share one."""
    triples = []
    labels: dict[str, str] = {}

    def name(term: object) -> str:
        text = _term(term)
        if text.startswith("_:"):
            text = labels.setdefault(text, f"_:s{number}x{len(labels)}")
        return text

    for quad in pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE):
        triples.append((name(quad.subject), _term(quad.predicate), name(quad.object)))
    return triples


def _origin(path: Path, bundled: Path) -> str:
    try:
        rel = path.resolve().relative_to(bundled.resolve())
    except ValueError:
        return "user"
    return rel.parts[0] if rel.parts else "user"


@lru_cache(maxsize=8)
def _load(files: tuple[str, ...], disabled: tuple[str, ...]) -> ShapeSet:
    cache = _cache_file(files)
    triples, rules, holders = _parsed_shapes(files, cache)
    off = {shape for shape, rule in rules.items() if any(rule_matches(rule.id, pat) for pat in disabled)}
    graph = (*triples, *((shape, DEACTIVATED, TRUE) for shape in sorted(off)))
    key = (f"{cache.name}\n" + "\n".join(sorted(off))) if cache is not None else ""
    return ShapeSet(graph, rules, list(files), frozenset(rules[s].id for s in off), key, holders)


def _parsed(files: tuple[str, ...], cache: Path | None) -> tuple[list[Triple], dict[str, Rule]]:
    """The shapes' triples and rules (see _parsed_shapes)."""
    triples, rules, _ = _parsed_shapes(files, cache)
    return triples, rules


def _parsed_shapes(files: tuple[str, ...], cache: Path | None) -> tuple[list[Triple], dict[str, Rule], dict[str, str]]:
    """The shapes' triples (sorted, unique, blank-node shapes given IRIs), rules and the holders of the
    blank-node shapes (see _skolemised); from ``cache`` (see _cache_file) when it holds them."""
    if cache is not None:
        cached = _load_cached(cache)
        if cached is not None:
            return cached
    bundled = bundled_shapes_dir()
    triples: list[tuple[str, str, str]] = []
    origins: dict[str, str] = {}
    users: dict[str, list[Triple]] = {}  # the user's files' triples, checked below
    for number, name in enumerate(files):
        path = Path(name)
        origin = _origin(path, bundled)
        read = _read(path, number)
        triples.extend(read)
        if origin == "user":
            users[name] = read
        origins.update((s, origin) for s, p, _ in read if p == RULE_ID)
    rules = _rules(triples, origins)
    if users:  # before the cache is written: a cached parse is one whose user shapes passed
        from ctdl_tools.validate.shapes_check import checked_user_rules

        rules = checked_user_rules(users, rules)
    triples, rules, holders = _skolemised(triples, rules)  # after the checks, whose messages say "[ … ]"
    # One str object per distinct term: the cache then stores each once, loads faster, and the engines'
    # indexes hash each term once.
    pool: dict[str, str] = {}
    unique = [tuple(pool.setdefault(t, t) for t in triple) for triple in sorted(set(triples))]
    holders = {pool.get(k, k): pool.get(v, v) for k, v in holders.items()}
    parsed = unique, rules, holders
    if cache is not None:
        _store(cache, parsed)
    return parsed


def _load_cached(cache: Path) -> tuple[list[Triple], dict[str, Rule], dict[str, str]] | None:
    """What _store kept, or None. Unpickling runs code the file names: only a file this user wrote (its owner)
    and no one else can write is read (a shared or restored cache directory could hold anyone's), and what it
    holds must have the parsed shapes' form. Anything else is a cache miss: the shapes are parsed again."""
    try:
        with cache.open("rb") as handle:
            if not _private(os.fstat(handle.fileno())):
                return None
            parsed = pickle.load(handle)
    except Exception:  # a broken or foreign file, whatever it raises, only costs the parse it would have saved
        return None
    return parsed if _parsed_form(parsed) else None


def _private(found: os.stat_result) -> bool:
    owner = os.getuid() if hasattr(os, "getuid") else found.st_uid
    return found.st_uid == owner and not found.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _parsed_form(parsed: object) -> bool:
    """Whether ``parsed`` looks like what _store wrote (the ownership check is what keeps foreign code out; this
    keeps out another version's or program's well-formed pickle: a look at the containers and a first item,
    not a walk of 50k triples, which would cost more than the load)."""
    if not (isinstance(parsed, tuple) and len(parsed) == 3):
        return False
    triples, rules, holders = parsed
    if not (isinstance(triples, list) and isinstance(rules, dict) and isinstance(holders, dict)):
        return False
    first = triples[0] if triples else ("", "", "")
    rule = next(iter(rules.values()), None)
    return (isinstance(first, tuple) and len(first) == 3 and all(isinstance(term, str) for term in first)
            and (rule is None or isinstance(rule, Rule)))


def _cache_file(files: tuple[str, ...]) -> Path | None:
    """Parsing 2 MB of Turtle is a quarter of a second a run: the result is kept, keyed by each file's path,
    size and modification time and by the ctdl_tools version. ``CTDL_TOOLS_CACHE=off`` turns it off; the
    directory is ``$CTDL_TOOLS_CACHE``, else ``$XDG_CACHE_HOME/ctdl_tools``, else ``~/.cache/ctdl_tools``."""
    from ctdl_tools import __version__

    root = cache_dir()
    if root is None:
        return None
    key = hashlib.sha256(f"{__version__}\n{sys.version}\nterms shared\nunescaped\nsparql lifted\nuser shapes checked"
                         "\nblank shapes named".encode())
    try:
        for name in files:
            found = os.stat(name)
            key.update(f"\n{os.path.abspath(name)}\t{found.st_size}\t{found.st_mtime_ns}".encode())
    except OSError:
        return None
    return root / f"shapes-{key.hexdigest()[:32]}.pickle"


def cache_dir() -> Path | None:
    """Where ctdl_tools keeps what it can compute again (None: ``CTDL_TOOLS_CACHE=off``)."""
    setting = os.environ.get("CTDL_TOOLS_CACHE", "")
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    if setting:
        return Path(setting)
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "ctdl_tools"
    try:
        return Path.home() / ".cache" / "ctdl_tools"
    except (RuntimeError, KeyError):  # no HOME and no passwd entry (`docker run --user N`): nothing is kept
        return None


def _store(cache: Path, parsed: object) -> None:
    """Write atomically; a cache that cannot be written (read-only home, full disk) is simply not kept."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=cache.parent, prefix=".shapes-")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(parsed, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, cache)
        prune_cache(cache.parent, "shapes-*.pickle", CACHE_FILES)  # one per shape-file set and version
    except OSError:
        pass


def prune_cache(root: Path, pattern: str, keep: int) -> None:
    """Delete all but the ``keep`` most recently written cache files matching ``pattern``."""
    files = sorted(root.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


def _annotations(triples: Iterable[tuple[str, str, str]], wanted: dict[str, str]) -> dict[str, dict[str, str]]:
    """Subject → {field: term} of the ``wanted`` annotation predicates (an English message first), with a
    shape's one sh:sparql constraint's id and message lifted to the shape."""
    fields: dict[str, dict[str, str]] = defaultdict(dict)
    triples = list(triples)
    for s, p, o in triples:
        key = wanted.get(p)
        if key and (key not in fields[s] or (key == "message" and o.endswith("@en"))):
            fields[s][key] = o
    _lift_sparql_annotations(triples, fields)
    return fields


def _rules(triples: list[tuple[str, str, str]], origins: dict[str, str]) -> dict[str, Rule]:
    fields = _annotations(triples, _ANNOTATIONS)
    rules = {}
    for shape, f in fields.items():
        if "id" not in f:
            continue
        severity = plain_text(f.get("severity", f"<{SH}Violation>")).rpartition("#")[2]
        rules[shape] = Rule(
            plain_text(f["id"]), severity, plain_text(f.get("name", f["id"])), _message(f.get("message", "")),
            plain_text(f.get("source", "")), plain_text(f.get("see_also", "")), _message(f.get("comment", "")),
            plain_text(shape), origins.get(shape, "user"), plain_text(f.get("about", "")))
    return rules


def _skolemised(triples: list[Triple], rules: dict[str, Rule]) -> tuple[list[Triple], dict[str, Rule], dict[str, str]]:
    """The triples with every blank-node shape given an IRI (``_:s3x0`` → ``<…/shape-genid/s3x0>``), the rules
    keyed by those IRIs, and each such shape's holder (the shape whose sh:property, sh:node, sh:not,
    sh:qualifiedValueShape or sh:and/or/xone list it is in).

    Every engine parses the shapes graph itself and relabels its blank nodes, so a result of ``sh:property
    [ … ]`` named a shape that only that engine knew; as IRIs, every engine reports the same shape. The other
    blank nodes (lists, paths, SPARQL constraints) stay blank. A rule on a blank-node shape is shown with the
    nearest named shape that holds it, the shape a user can find in their file."""
    first: dict[str, str] = {}
    rest: dict[str, str] = {}
    held: dict[str, set[str]] = defaultdict(set)  # shape → the shapes holding it
    lists: list[tuple[str, str]] = []  # (shape, head of its sh:and/or/xone list)
    shapes: set[str] = set()
    rdf_first, rdf_rest, rdf_type = f"<{RDF}first>", f"<{RDF}rest>", f"<{RDF}type>"
    for s, p, o in triples:
        if p in _SHAPE_VALUES:
            held[o].add(s)
            shapes.update((s, o))
        elif p in _SHAPE_LISTS:
            lists.append((s, o))
            shapes.add(s)
        elif p == rdf_first:
            first[s] = o
        elif p == rdf_rest:
            rest[s] = o
        elif (p == rdf_type and o in _SHAPE_TYPES) or p in _TARGETS:
            shapes.add(s)
    for shape, node in lists:
        seen: set[str] = set()
        while node in first and node not in seen:
            seen.add(node)
            held[first[node]].add(shape)
            shapes.add(first[node])
            node = rest.get(node, "")
    named = {term: f"<{SHAPE_GENID}{term[2:]}>" for term in shapes if term.startswith("_:")}
    if not named:
        return triples, rules, {}
    triples = [(named.get(s, s), p, named.get(o, o)) for s, p, o in triples]
    # A shape held by several (a labelled blank node used twice): a named one first, then the first by IRI.
    holders = {named[term]: min(named.get(h, h) for h in held[term]) if held[term] <= named.keys()
               else min(h for h in held[term] if h not in named) for term in named if held.get(term)}
    renamed = {}
    for shape, rule in rules.items():
        if shape in named:
            shape = named[shape]
            chain = holding(holders, shape)
            rule = replace(rule, shape=plain_text(chain[-1]))
        renamed[shape] = rule
    return triples, renamed, holders


def holding(holders: dict[str, str], shape: str) -> tuple[str, ...]:
    """The shape, then the shapes that hold it (``holders``: shape → its holder), up to the first that is not
    a blank-node shape (ShapeSet.holding)."""
    chain, seen = [shape], {shape}
    while (holder := holders.get(chain[-1])) is not None and holder not in seen:
        chain.append(holder)
        seen.add(holder)
    return tuple(chain)


def _lift_sparql_annotations(triples: list[tuple[str, str, str]], fields: dict[str, dict[str, str]]) -> None:
    """A shape's one ``sh:sparql`` constraint may carry the message (as SHACL has it) or our rule id: results
    name the shape, not the constraint, and the shacl engine reports no message for them."""
    constraints: dict[str, list[str]] = defaultdict(list)
    for s, p, o in triples:
        if p == f"<{SH}sparql>":
            constraints[s].append(o)
    for shape, (constraint, *others) in constraints.items():
        if others or constraint not in fields:
            continue
        for key in ("id", "message"):
            if key in fields[constraint]:
                fields[shape].setdefault(key, fields[constraint][key])


def _message(term: str) -> str:
    if not term:
        return ""
    body = term[: term.rfind('"') + 1] if term.startswith('"') else term
    return plain_text(body)


def load_shapes(extra_dirs: Iterable[Path | str] = (), disabled_rules: Iterable[str] = ()) -> ShapeSet:
    """Our shapes plus ``extra_dirs`` (directories of .ttl or single .ttl files), with rules turned off.

    A user path with no Turtle in it is an InputError: an agency's rules that silently never ran would
    pass what they exist to stop. A file reached twice (a directory and a file in it) is read once."""
    bundled = bundled_shapes_dir()
    extra_dirs = list(extra_dirs)  # read twice below: a generator would be empty the second time
    for extra in extra_dirs:
        _check_user_shapes(Path(extra))
    files = shape_files([bundled / "policy", bundled / "values", bundled / "structure", *extra_dirs])
    unique: dict[str, str] = {}
    for f in files:
        unique.setdefault(os.path.abspath(f), str(f))
    return _load(tuple(unique.values()), tuple(sorted(set(disabled_rules))))


def _check_user_shapes(path: Path) -> None:
    if path.is_dir():
        if next(path.rglob("*.ttl"), None) is None:
            raise InputError(f"--shapes {path}", "no .ttl (Turtle) files under it")
    elif path.suffix.lower() != ".ttl":
        raise InputError(f"--shapes {path}", "not a .ttl (Turtle) file")

