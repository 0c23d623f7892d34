"""A SHACL Core engine compiled to Python for the constructs ctdl_tools' shapes use.

Why another engine: both general engines spend their time on generality. Measured on the 10k-record
benchmark catalog, the Rust ``shacl`` package needs ~0.25 ms per document for the policy shapes and
evaluates the one ``sh:sparql`` constraint (CTID agrees with the @id) by running the query per focus
node, quadratic in the chunk; pySHACL is two orders slower. CTDL validation is mostly "does this node
have that property" and "is this value in that list": compiled once into sets and closures over a
subject → predicate → objects index (a predicate's shapes into one generated function, compile_flat),
and with the answers of value-only shapes (``sh:in`` lists of classes, concept schemes) memoised, a
record costs a few microseconds per shape.

Scope (SHACL 1.0 Core, https://www.w3.org/TR/shacl/): targets (class, implicit class, subjectsOf,
objectsOf, node); predicate, inverse, alternative and sequence paths; the value type, cardinality,
value range-free string, list, logical, shape-based and closed components listed in ``COMPONENTS``;
``sh:deactivated``, ``sh:severity``, ``sh:message``. SPARQL constraints run only when this module has a
native implementation of that exact query (``NATIVE_SPARQL``; ours is the CTID/@id agreement). Shapes
that use anything else raise :class:`UnsupportedShapes` at compile time, and ``engine="auto"`` then
uses the Rust engine, so a user's shapes never silently lose a constraint.

Agreement with pySHACL (the reference) and with ``shacl`` is tested on the corpus records and on the
break-the-gate fixtures (``tests/test_validate_engines.py``), and component by component on small
graphs (``tests/test_validate_native.py``).
"""

from __future__ import annotations

import itertools
import pathlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from ctdl_tools.validate.engine import RawResult
from ctdl_tools.validate.shapes import SHAPE_GENID, ShapeSet, unescape

SH = "http://www.w3.org/ns/shacl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE, RDF_FIRST, RDF_REST, RDF_NIL = (f"<{RDF}{n}>" for n in ("type", "first", "rest", "nil"))
RDFS_SUBCLASS, RDFS_CLASS = f"<{RDFS}subClassOf>", f"<{RDFS}Class>"
XSD_STRING, RDF_LANGSTRING = f"{XSD}string", f"{RDF}langString"
TRUE = f'"true"^^<{XSD}boolean>'
Triple = tuple[str, str, str]
EMPTY: dict[str, None] = {}


def sh(name: str) -> str:
    return f"<{SH}{name}>"


TARGETS = {sh(n) for n in ("targetClass", "targetSubjectsOf", "targetObjectsOf", "targetNode")}
# Shapes-graph predicates this engine understands; annotations outside the sh: namespace are ignored.
UNDERSTOOD = TARGETS | {sh(n) for n in (
    "property", "path", "alternativePath", "inversePath", "class", "datatype", "nodeKind", "minCount",
    "maxCount", "minLength", "maxLength", "pattern", "flags", "in", "hasValue", "languageIn", "uniqueLang",
    "node", "not", "and", "or", "xone", "closed", "ignoredProperties", "severity", "message", "name",
    "description", "deactivated", "order", "group", "defaultValue", "sparql", "select", "declare",
    "prefix", "namespace")}
NODE_KINDS = {
    sh("IRI"): (True, False, False), sh("BlankNode"): (False, True, False), sh("Literal"): (False, False, True),
    sh("BlankNodeOrIRI"): (True, True, False), sh("BlankNodeOrLiteral"): (False, True, True),
    sh("IRIOrLiteral"): (True, False, True),
}


# Constraint parameters in the order they are compiled, with the Compiler method that builds each.
BUILDERS = {name: f"_{re.sub(r'([A-Z])', lambda m: '_' + m.group(1).lower(), name)}" for name in (
    "class", "datatype", "nodeKind", "minCount", "maxCount", "minLength", "maxLength", "pattern", "in",
    "hasValue", "languageIn", "uniqueLang", "node", "not", "and", "or", "xone", "closed", "sparql")}
CONSTRAINTS = tuple((name, sh(name)) for name in BUILDERS)
# Components whose verdict on a value node depends on that term alone (not on the data graph).
TERM_LOCAL = frozenset({"datatype", "nodeKind", "minLength", "maxLength", "pattern", "in", "languageIn", "not",
                        "and", "or", "xone", "node"})


class UnsupportedShapes(ValueError):
    """The shapes use a SHACL feature this engine does not implement (use the Rust or pySHACL engine)."""


# --- terms (N-Triples syntax, as the converter writes them) ---------------------------------------------
@lru_cache(maxsize=65536)
def literal_parts(term: str) -> tuple[str, str | None, str]:
    """(lexical form, language or None, datatype IRI) of an N-Triples literal."""
    end = term.rfind('"')
    lexical = term[1:end]
    if "\\" in lexical:
        lexical = unescape(lexical)
    rest = term[end + 1:]
    if rest.startswith("@"):
        return lexical, rest[1:], RDF_LANGSTRING
    if rest.startswith("^^<"):
        return lexical, None, rest[3:-1]
    return lexical, None, XSD_STRING


def plain(term: str) -> str:
    """What SPARQL's STR() gives: the lexical form, the IRI, or the blank node label."""
    if term[0] == '"':
        return literal_parts(term)[0]
    return term[1:-1] if term[0] == "<" else term


# Lexical forms (XML Schema 1.1 Part 2) of the datatypes whose values SPARQL 1.1 knows; SHACL's
# sh:datatype fails an ill-typed literal of these. Other datatypes are checked by IRI only.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_DOUBLE = re.compile(r"([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([Ee][+-]?[0-9]+)?|[+-]?INF|NaN)")
_TZ = r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_DATE = re.compile(r"-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])" + _TZ)
_DATETIME = re.compile(r"-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                       r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|24:00:00(\.0+)?)" + _TZ)
_TIME = re.compile(r"(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|24:00:00(\.0+)?)" + _TZ)
_BOOLEAN = {"true", "false", "1", "0"}


def _date_ok(lexical: str) -> bool:
    if not _DATE.fullmatch(lexical):
        return False
    year, month, day = re.match(r"-?([0-9]+)-([0-9]{2})-([0-9]{2})", lexical).groups()  # type: ignore[union-attr]
    return _day_exists(int(year), int(month), int(day))


def _datetime_ok(lexical: str) -> bool:
    if not _DATETIME.fullmatch(lexical):
        return False
    year, month, day = re.match(r"-?([0-9]+)-([0-9]{2})-([0-9]{2})", lexical).groups()  # type: ignore[union-attr]
    return _day_exists(int(year), int(month), int(day))


def _day_exists(year: int, month: int, day: int) -> bool:
    try:
        date(2000 if year == 0 or year > 9999 else year, month, day)  # leap rule of year 2000 for 0 / > 9999
    except ValueError:
        return False
    return True


def _decimal_ok(lexical: str) -> bool:
    if not _DECIMAL.fullmatch(lexical):
        return False
    try:
        Decimal(lexical)
    except InvalidOperation:
        return False
    return True


WELL_FORMED: dict[str, Callable[[str], bool]] = {
    f"{XSD}integer": lambda v: bool(_INTEGER.fullmatch(v)),
    f"{XSD}decimal": _decimal_ok,
    f"{XSD}float": lambda v: bool(_DOUBLE.fullmatch(v)),
    f"{XSD}double": lambda v: bool(_DOUBLE.fullmatch(v)),
    f"{XSD}boolean": lambda v: v in _BOOLEAN,
    f"{XSD}date": _date_ok,
    f"{XSD}dateTime": _datetime_ok,
    f"{XSD}time": lambda v: bool(_TIME.fullmatch(v)),
}


# --- the data graph ----------------------------------------------------------------------------------------
class DataGraph:
    """Subject → predicate → objects (an ordered set), with lazily built reverse and class indexes."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        out: dict[str, dict[str, dict[str, None]]] = {}
        for s, p, o in triples:
            preds = out.get(s)
            if preds is None:
                preds = out[s] = {}
            objs = preds.get(p)
            if objs is None:
                preds[p] = {o: None}
            else:
                objs[o] = None
        self.out = out
        self._reverse: dict[str, dict[str, dict[str, None]]] | None = None
        self._supers: dict[str, frozenset[str]] = {}
        self._instances: dict[str, list[str]] | None = None
        self._subjects_of: dict[str, list[str]] | None = None
        self.memo: dict[tuple[int, str], bool] = {}

    def objects(self, s: str, p: str) -> dict[str, None]:
        preds = self.out.get(s)
        return preds.get(p, EMPTY) if preds else EMPTY

    def subjects(self, p: str, o: str) -> dict[str, None]:
        if self._reverse is None:
            rev: dict[str, dict[str, dict[str, None]]] = {}
            for s, preds in self.out.items():
                for pred, objs in preds.items():
                    for obj in objs:
                        rev.setdefault(obj, {}).setdefault(pred, {})[s] = None
            self._reverse = rev
        preds = self._reverse.get(o)
        return preds.get(p, EMPTY) if preds else EMPTY

    def supers(self, cls: str) -> frozenset[str]:
        """The class and its superclasses (rdfs:subClassOf* in the data graph, as SHACL defines it)."""
        found = self._supers.get(cls)
        if found is None:
            seen, todo = {cls}, [cls]
            while todo:
                for sup in self.objects(todo.pop(), RDFS_SUBCLASS):
                    if sup not in seen:
                        seen.add(sup)
                        todo.append(sup)
            found = self._supers[cls] = frozenset(seen)
        return found

    def is_instance(self, node: str, cls: str) -> bool:
        return any(cls in self.supers(t) for t in self.objects(node, RDF_TYPE))

    def instances(self, cls: str) -> list[str]:
        if self._instances is None:
            index: dict[str, list[str]] = {}
            for s, preds in self.out.items():
                types = preds.get(RDF_TYPE)
                if types:
                    classes = (self.supers(next(iter(types))) if len(types) == 1
                               else set().union(*(self.supers(t) for t in types)))
                    for c in classes:
                        index.setdefault(c, []).append(s)
            self._instances = index
        return self._instances.get(cls, [])

    def subjects_of(self, p: str) -> list[str]:
        if self._subjects_of is None:
            index: dict[str, list[str]] = {}
            for s, preds in self.out.items():
                for pred in preds:
                    index.setdefault(pred, []).append(s)
            self._subjects_of = index
        return self._subjects_of.get(p, [])

    def objects_of(self, p: str) -> list[str]:
        seen: dict[str, None] = {}
        for s in self.subjects_of(p):
            seen.update(self.out[s][p])
        return list(seen)


# --- paths -------------------------------------------------------------------------------------------------
Path = Callable[[DataGraph, str], Iterable[str]]


def _predicate_path(p: str) -> Path:
    def values(g: DataGraph, node: str) -> dict[str, None]:
        return g.objects(node, p)
    values.predicate = p  # type: ignore[attr-defined]
    return values


def _predicates(paths: list[Path]) -> list[str] | None:
    """The predicates of ``paths`` when each is a single predicate (then read from the index in place)."""
    predicates = [getattr(path, "predicate", None) for path in paths]
    return None if None in predicates else predicates  # type: ignore[return-value]


def _inverse_path(inner: Path, p: str | None) -> Path:
    if p is None:
        raise UnsupportedShapes("sh:inversePath of a complex path")
    return lambda g, node: g.subjects(p, node)


def _alternative_path(paths: list[Path]) -> Path:
    predicates = _predicates(paths)
    if predicates is not None:  # the common case (rdf:type | describedType): no call per step
        def of_predicates(g: DataGraph, node: str) -> dict[str, None]:
            out: dict[str, None] = {}
            preds = g.out.get(node)
            if preds:
                for p in predicates:
                    objs = preds.get(p)
                    if objs:
                        out.update(objs)
            return out
        return of_predicates

    def values(g: DataGraph, node: str) -> dict[str, None]:
        out: dict[str, None] = {}
        for path in paths:
            out.update(dict.fromkeys(path(g, node)))
        return out
    return values


def _sequence_path(paths: list[Path]) -> Path:
    predicates = _predicates(paths)
    if predicates is not None:  # the common case (a property, then a property of its values)
        def of_predicates(g: DataGraph, node: str) -> dict[str, None]:
            current: dict[str, None] = {node: None}
            for p in predicates:
                step: dict[str, None] = {}
                for n in current:
                    preds = g.out.get(n)
                    if preds:
                        objs = preds.get(p)
                        if objs:
                            step.update(objs)
                current = step
            return current
        return of_predicates

    def values(g: DataGraph, node: str) -> dict[str, None]:
        current: dict[str, None] = {node: None}
        for path in paths:
            step: dict[str, None] = {}
            for n in current:
                step.update(dict.fromkeys(path(g, n)))
            current = step
        return current
    return values


# --- shapes ------------------------------------------------------------------------------------------------
# A constraint: (graph, focus, value nodes) → [(component local name, value or None, path or None)].
# Value nodes are any iterable that supports len() and `in` (a dict used as an ordered set, a tuple).
Violation = tuple[str, str | None, str | None]
Constraint = Callable[[DataGraph, str, Any], list[Violation]]
Result = tuple[str, "Shape", str, str | None, str | None]
NONE: list = []


class Shape:
    """One compiled shape: its value nodes (the focus, or the path's values) and its constraints."""

    def __init__(self, term: str, root: str | None) -> None:
        self.term = term
        self.root = root  # the nearest named shape: itself, or the one holding a blank-node (shape-genid) shape
        self.id = 0
        self.path: Path | None = None
        self.path_iri: str | None = None
        self.predicate: str | None = None  # set when the path is a single predicate
        self.severity = "Violation"
        self.message: str | None = None
        self.deactivated = False
        self.constraints: list[Constraint] = []
        self.properties: list[Shape] = []
        self.counts: list[tuple[Shape, str, int, int | None]] = []  # simple counting property shapes
        self.kinds: set[str] = set()  # the constraint parameters it has (minCount, in, …)
        self.term_local = False  # its verdict depends on the value node's term alone (memoised across graphs)
        self.flat = False  # a predicate path, constraints only: evaluated inline by the shape that holds it
        self.count_sensitive = False  # has a constraint that can fail with no values (minCount, hasValue…)
        # (least, most or None) for a shape that only counts its predicate's values: then conforms() counts.
        self.cardinality: tuple[int, int | None] | None = None
        # For flat shapes: (per-value test, component, constraint), the test None for whole-set constraints.
        self.checks: list[tuple[Callable[[DataGraph, str], bool] | None, str, Constraint]] = []

    def results(self, g: DataGraph, focus: str) -> list[Result]:
        """(focus, shape, component, value, path) for every validation result, nested property shapes too."""
        if self.deactivated:
            return NONE
        focus_preds = g.out.get(focus)
        if self.predicate is not None:  # the common case, inlined: a single-predicate path
            values: Iterable[str] = focus_preds.get(self.predicate, EMPTY) if focus_preds else EMPTY
        elif self.path is None:
            values = (focus,)
        else:
            values = self.path(g, focus)
        out: list[Result] | None = None
        for constraint in self.constraints:
            found = constraint(g, focus, values)
            if found:
                out = out or []
                for component, value, path in found:  # no generator: most often one
                    out.append((focus, self, component, value, path))
        for prop in self.properties:
            if prop.flat:  # inlined: a predicate path and constraints, nothing nested (most shapes)
                for value in values:
                    found = prop.flat_values(g, value, focus_preds if value is focus else g.out.get(value))
                    if found:
                        out = out or []
                        out.extend(found)
                continue
            for value in values:
                nested = prop.results(g, value)
                if nested:
                    out = out or []
                    out.extend(nested)
        if self.counts:
            # Property shapes that only count one predicate's values ("required", "recommended"): most of
            # the policy shapes. Evaluated here in one loop rather than one call each.
            for value in values:
                preds = g.out.get(value) or EMPTY
                for prop, predicate, least, most in self.counts:
                    n = len(preds.get(predicate, EMPTY))  # type: ignore[arg-type]
                    if n < least:
                        out = out or []
                        out.append((value, prop, "MinCountConstraintComponent", None, predicate))
                    if most is not None and n > most:
                        out = out or []
                        out.append((value, prop, "MaxCountConstraintComponent", None, predicate))
        return out or NONE

    def flat_values(self, g: DataGraph, focus: str, preds: dict | None) -> list[Result]:
        """The results of a flat property shape (predicate path, constraints only) for one focus node."""
        own = preds.get(self.predicate) if preds else None
        if own is None:
            if not self.count_sensitive:
                return NONE  # no values: value-type constraints have nothing to say
            own = EMPTY
        out: list[Result] | None = None
        for ok, component, constraint in self.checks:
            if ok is not None:  # judged value by value: no intermediate lists
                for v in own:
                    if not ok(g, v):
                        out = out or []
                        out.append((focus, self, component, v, self.path_iri))
                continue
            found = constraint(g, focus, own)
            if found:
                out = out or []
                out.extend((focus, self, c, v, path) for c, v, path in found)
        return out or NONE

    @property
    def holds_only_flat(self) -> bool:
        """A node shape with flat property shapes and nothing else (one of the forms compile_flat writes out)."""
        return self.path is None and not self.constraints and not self.counts and all(p.flat for p in self.properties)

    def conforms(self, g: DataGraph, node: str, memo: dict[tuple[int, str], bool]) -> bool:
        if self.cardinality is not None:  # ("has one of these properties" lists): cheaper than the memo
            least, most = self.cardinality
            preds = g.out.get(node)
            n = len(preds.get(self.predicate, EMPTY)) if preds else 0  # type: ignore[arg-type]
            return least <= n and (most is None or n <= most)
        key = (self.id, node)
        found = (memo if self.term_local else g.memo).get(key)
        if found is None:
            found = not self.results(g, node)
            (memo if self.term_local else g.memo)[key] = found
        return found


_GENID = f"<{SHAPE_GENID}"  # the loader's IRIs for blank-node shapes: not named shapes (see Compiler.shape)


class Compiler:
    """Shapes graph → :class:`Shape` objects (memoised by term; cycles are refused)."""

    def __init__(self, triples: Iterable[Triple], memo: dict[tuple[int, str], bool], checked: bool = False) -> None:
        """``checked``: this shape set compiled whole before (NativeEngine's marker), so it uses nothing this
        engine does not understand; not looked for again at every start."""
        self.g = DataGraph(triples)
        self.memo = memo
        self.shapes: dict[str, Shape] = {}
        self._building: set[str] = set()
        self._ids = itertools.count(1)
        unknown = [] if checked else sorted({p for preds in self.g.out.values() for p in preds
                                             if p.startswith(f"<{SH}") and p not in UNDERSTOOD})
        if unknown:
            raise UnsupportedShapes(f"not implemented: {', '.join(unknown)}")

    def one(self, s: str, p: str) -> str | None:
        values = self.g.objects(s, p)
        if len(values) > 1:
            raise UnsupportedShapes(f"{s} has several {p}")
        return next(iter(values), None)

    def rdf_list(self, head: str) -> list[str]:
        items, node, seen = [], head, set()
        while node != RDF_NIL:
            if node in seen or not self.g.objects(node, RDF_FIRST):
                raise UnsupportedShapes(f"{head} is not a well-formed RDF list")
            seen.add(node)
            items.append(self.one(node, RDF_FIRST))
            node = self.one(node, RDF_REST) or RDF_NIL
        return [i for i in items if i is not None]

    def targeted(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Every shape with a target (its term, not compiled), with its targets as (kind, term)."""
        out = []
        kinds, node_shape, property_shape = sorted(TARGETS), sh("NodeShape"), sh("PropertyShape")
        for term in sorted(self.g.out):
            preds = self.g.out[term]
            targets = [(p, o) for p in kinds if p in preds for o in preds[p]]
            types = preds.get(RDF_TYPE)
            if types and RDFS_CLASS in types and (node_shape in types or property_shape in types):
                targets.append((sh("targetClass"), term))  # implicit class target
            if targets:
                out.append((term, targets))
        return out

    def shape(self, term: str, root: str | None) -> Shape:
        if term in self.shapes:
            return self.shapes[term]
        if term in self._building:
            raise UnsupportedShapes(f"recursive shape {term}")
        self._building.add(term)
        # A blank-node shape (given an IRI by the loader: shape-genid) is not named: its root is its holder's.
        named = term.startswith("<") and not term.startswith(_GENID)
        shape = Shape(term, term if named else root)
        shape.id = next(self._ids)
        self._fill(shape)
        self._building.discard(term)
        self.shapes[term] = shape
        return shape

    def _fill(self, shape: Shape) -> None:
        term, g = shape.term, self.g
        path = self.one(term, sh("path"))
        if path is not None:
            shape.path, shape.path_iri = self.path(path)
            shape.predicate = path if path.startswith("<") else None
        severity = self.one(term, sh("severity"))
        if severity is not None:
            shape.severity = severity[1:-1].rpartition("#")[2]
        messages = list(g.objects(term, sh("message")))
        if messages:
            english = [m for m in messages if m.endswith("@en")]
            shape.message = plain((english or messages)[0])
        shape.deactivated = TRUE in g.objects(term, sh("deactivated"))
        root = shape.root
        shape.properties = [self.shape(p, root) for p in sorted(g.objects(term, sh("property")))]
        term_local = path is None and not shape.properties
        preds = g.out.get(term, {})
        for name, predicate in CONSTRAINTS:
            if predicate not in preds:
                continue
            build = getattr(self, BUILDERS[name])
            for value in sorted(preds[predicate]):
                constraint = build(shape, value)
                if constraint is not None:
                    shape.constraints.append(constraint)
                    shape.kinds.add(name)
                    term_local = term_local and name in TERM_LOCAL
        shape.term_local = term_local and all(self._nested_local(shape))
        shape.count_sensitive = bool(shape.kinds & {"minCount", "hasValue", "sparql"})
        for prop in list(shape.properties):
            if prop.predicate and not prop.properties and not prop.counts and not prop.deactivated \
                    and prop.kinds and prop.kinds <= {"minCount", "maxCount"}:
                least = self.one(prop.term, sh("minCount"))
                most = self.one(prop.term, sh("maxCount"))
                shape.counts.append((prop, prop.predicate, int(plain(least)) if least else 0,
                                     int(plain(most)) if most else None))
                shape.properties.remove(prop)
        shape.properties = [p for p in shape.properties if not p.deactivated]
        if shape.predicate and not shape.properties and not shape.counts and not shape.deactivated \
                and shape.kinds and shape.kinds <= {"minCount", "maxCount"}:
            least = [int(plain(n)) for n in g.objects(term, sh("minCount"))]
            most = [int(plain(n)) for n in g.objects(term, sh("maxCount"))]
            shape.cardinality = (max(least, default=0), min(most, default=None))
        for prop in shape.properties:
            prop.flat = prop.predicate is not None and not prop.properties and not prop.counts
            prop.checks = [(*getattr(c, "per_value", (None, "")), c) for c in prop.constraints]

    def _nested_local(self, shape: Shape) -> Iterator[bool]:
        for p in ("node", "not"):
            for o in self.g.objects(shape.term, sh(p)):
                yield self.shapes[o].term_local if o in self.shapes else False
        for p in ("and", "or", "xone"):
            for o in self.g.objects(shape.term, sh(p)):
                yield all(self.shapes[s].term_local for s in self.rdf_list(o) if s in self.shapes)

    def path(self, term: str) -> tuple[Path, str | None]:
        """A path and the predicate IRI results report for it (the first step of a sequence path; none for
        inverse and alternative paths, as pySHACL)."""
        if term.startswith("<"):
            return _predicate_path(term), term
        if self.g.objects(term, RDF_FIRST):
            parts = [self.path(t) for t in self.rdf_list(term)]
            return _sequence_path([p for p, _ in parts]), parts[0][1] if parts else None
        alternatives = self.one(term, sh("alternativePath"))
        if alternatives is not None:
            parts = [self.path(t) for t in self.rdf_list(alternatives)]
            return _alternative_path([p for p, _ in parts]), None
        inverse = self.one(term, sh("inversePath"))
        if inverse is not None:
            inner, _ = self.path(inverse)
            return _inverse_path(inner, inverse if inverse.startswith("<") else None), None
        raise UnsupportedShapes(f"path {term}: only predicate, inverse, alternative and sequence paths")

    # --- value type -----------------------------------------------------------------------------------
    def _class(self, shape: Shape, cls: str) -> Constraint:
        return _per_value(shape, "ClassConstraintComponent", lambda g, v: v[0] != '"' and g.is_instance(v, cls))

    def _datatype(self, shape: Shape, datatype: str) -> Constraint:
        want = datatype[1:-1]
        well_formed = WELL_FORMED.get(want)

        @lru_cache(maxsize=4096)
        def ok(v: str) -> bool:
            if v[0] != '"':
                return False
            lexical, _, actual = literal_parts(v)
            return actual == want and (well_formed is None or well_formed(lexical))

        return _per_value(shape, "DatatypeConstraintComponent", lambda g, v: ok(v), ("{c}(v)", ok))

    def _node_kind(self, shape: Shape, kind: str) -> Constraint:
        if kind not in NODE_KINDS:
            raise UnsupportedShapes(f"sh:nodeKind {kind}")
        iri, blank, literal = NODE_KINDS[kind]

        def matches(g: DataGraph, v: str) -> bool:
            return (literal if v[0] == '"' else iri if v[0] == "<" else blank)

        inline = {(False, False, True): "v[0] == '\"'", (True, True, False): "v[0] != '\"'",
                  (True, False, False): "v[0] == '<'"}.get((iri, blank, literal))
        return _per_value(shape, "NodeKindConstraintComponent", matches, (inline, None) if inline else None)

    # --- cardinality ----------------------------------------------------------------------------------
    def _min_count(self, shape: Shape, n: str) -> Constraint:
        if shape.path is None:
            raise UnsupportedShapes(f"sh:minCount on node shape {shape.term}")
        count = int(plain(n))
        hit = [("MinCountConstraintComponent", None, shape.path_iri)]
        return lambda g, focus, values: hit if len(values) < count else NONE

    def _max_count(self, shape: Shape, n: str) -> Constraint:
        if shape.path is None:
            raise UnsupportedShapes(f"sh:maxCount on node shape {shape.term}")
        count = int(plain(n))
        hit = [("MaxCountConstraintComponent", None, shape.path_iri)]
        return lambda g, focus, values: hit if len(values) > count else NONE

    # --- strings --------------------------------------------------------------------------------------
    def _min_length(self, shape: Shape, n: str) -> Constraint:
        count = int(plain(n))

        return _per_value(shape, "MinLengthConstraintComponent",
                          lambda g, v: not v.startswith("_:") and len(plain(v)) >= count)

    def _max_length(self, shape: Shape, n: str) -> Constraint:
        count = int(plain(n))

        return _per_value(shape, "MaxLengthConstraintComponent",
                          lambda g, v: not v.startswith("_:") and len(plain(v)) <= count)

    def _pattern(self, shape: Shape, pattern: str) -> Constraint:
        flags_term = self.one(shape.term, sh("flags"))
        flags = plain(flags_term) if flags_term else ""
        if "q" in flags:  # XPath's "quote": the pattern is plain text; not implemented here
            raise UnsupportedShapes(f"sh:flags {flags!r}")
        regex = compile_pattern(plain(pattern), flags)

        return _per_value(shape, "PatternConstraintComponent",
                          lambda g, v: not v.startswith("_:") and regex.search(plain(v)) is not None)

    def _language_in(self, shape: Shape, head: str) -> Constraint:
        ranges = [plain(t).lower() for t in self.rdf_list(head)]

        def matches(g: DataGraph, v: str) -> bool:
            if v[0] != '"':
                return False
            lang = (literal_parts(v)[1] or "").lower()
            return bool(lang) and any(r == "*" or lang == r or lang.startswith(r + "-") for r in ranges)

        return _per_value(shape, "LanguageInConstraintComponent", matches)

    def _unique_lang(self, shape: Shape, flag: str) -> Constraint | None:
        if flag != TRUE:
            return None

        def check(g: DataGraph, focus: str, values: list[str]) -> list[Violation]:
            if len(values) < 2:  # most often one name, one description
                return NONE
            seen: set[str] = set()
            twice: set[str] = set()
            for v in values:
                if v[0] == '"':
                    lang = (literal_parts(v)[1] or "").lower()
                    if lang:
                        (twice if lang in seen else seen).add(lang)
            return [("UniqueLangConstraintComponent", None, shape.path_iri) for _ in sorted(twice)] or NONE
        return check

    # --- values ---------------------------------------------------------------------------------------
    def _in(self, shape: Shape, head: str) -> Constraint:
        allowed = frozenset(self.rdf_list(head))
        return _per_value(shape, "InConstraintComponent", lambda g, v: v in allowed, ("v in {c}", allowed))

    def _has_value(self, shape: Shape, wanted: str) -> Constraint:
        hit = [("HasValueConstraintComponent", None, shape.path_iri)]
        return lambda g, focus, values: NONE if wanted in values else hit

    # --- logic and shapes -----------------------------------------------------------------------------
    def _nested(self, shape: Shape, term: str) -> Shape:
        return self.shape(term, shape.root)

    def _node(self, shape: Shape, term: str) -> Constraint:
        other, memo = self._nested(shape, term), self.memo
        return _per_value(shape, "NodeConstraintComponent", lambda g, v: other.conforms(g, v, memo),
                          _memo_test(other, memo, "{memo}.get(({id}, v)) or {ok}(g, v)"))

    def _not(self, shape: Shape, term: str) -> Constraint:
        other, memo = self._nested(shape, term), self.memo
        return _per_value(shape, "NotConstraintComponent", lambda g, v: not other.conforms(g, v, memo),
                          _memo_test(other, memo, "{memo}.get(({id}, v)) is False or {ok}(g, v)"))

    def _logical(self, shape: Shape, head: str, component: str, verdict: Callable[[int, int], bool]) -> Constraint:
        members, memo = [self._nested(shape, t) for t in self.rdf_list(head)], self.memo
        local = all(m.term_local for m in members)
        known: dict[str, bool] = {}  # value → verdict, when it depends on the term alone (class lists…)

        def passes(g: DataGraph, v: str) -> bool:
            if local:
                found = known.get(v)
                if found is not None:
                    return found
            if component == "OrConstraintComponent":  # short-circuit: the common case in our shapes
                found = False
                for m in members:  # a loop, not any(…): no generator for the two or three members
                    if m.conforms(g, v, memo):
                        found = True
                        break
            else:
                found = verdict(sum(m.conforms(g, v, memo) for m in members), len(members))
            if local:
                if len(known) > 100_000:
                    known.clear()
                known[v] = found
            return found

        return _per_value(shape, component, passes, ("{c}.get(v) or {ok}(g, v)", known) if local else None)

    def _and(self, shape: Shape, head: str) -> Constraint:
        return self._logical(shape, head, "AndConstraintComponent", lambda ok, n: ok == n)

    def _or(self, shape: Shape, head: str) -> Constraint:
        return self._logical(shape, head, "OrConstraintComponent", lambda ok, n: ok > 0)

    def _xone(self, shape: Shape, head: str) -> Constraint:
        return self._logical(shape, head, "XoneConstraintComponent", lambda ok, n: ok == 1)

    def _closed(self, shape: Shape, flag: str) -> Constraint | None:
        if flag != TRUE:
            return None
        allowed = {p.path_iri for p in shape.properties if p.path is not None and p.path_iri is not None
                   and self.one(p.term, sh("path")) == p.path_iri}
        for head in self.g.objects(shape.term, sh("ignoredProperties")):
            allowed.update(self.rdf_list(head))

        def check(g: DataGraph, focus: str, values: list[str]) -> list[Violation]:
            out = []
            for v in values:
                for p, objs in (g.out.get(v) or {}).items():
                    if p not in allowed:
                        out.extend(("ClosedConstraintComponent", o, p) for o in objs)
            return out or NONE
        return check

    def _sparql(self, shape: Shape, node: str) -> Constraint:
        select = self.one(node, sh("select"))
        query = plain(select) if select else ""
        native = NATIVE_SPARQL.get(" ".join(query.split()))
        if native is None or self.g.objects(node, sh("prefixes")):
            raise UnsupportedShapes(f"SPARQL constraint with no native implementation: {query[:80]!r}")
        if self.g.objects(node, sh("message")):
            shape.message = shape.message or plain(next(iter(self.g.objects(node, sh("message")))))

        def check(g: DataGraph, focus: str, values: list[str]) -> list[Violation]:
            return [("SPARQLConstraintComponent", v, shape.path_iri) for v in native(g, focus)] or NONE
        return check


REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


def compile_pattern(pattern: str, flags: str = "") -> re.Pattern[str]:
    """An sh:pattern with its sh:flags as this engine runs it (re.error when Python cannot read it: user
    shapes are checked with this when loaded)."""
    bits = 0
    for letter in flags:
        bits |= REGEX_FLAGS.get(letter, 0)
    return re.compile(pattern if bits & re.MULTILINE else _end_anchors(pattern), bits)


def _end_anchors(pattern: str) -> str:
    """``$`` as SHACL means it (XPath ``fn:matches``: the end of the string), not as Python's ``re`` does
    (also just before a final newline, so "P16W\\n" passed a duration pattern and a CTID with a trailing
    newline its grammar): each ``$`` outside a character class becomes ``\\Z``."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            opening = re.match(r"\[\^?\]?", pattern[i:]).group()  # type: ignore[union-attr]
            out.append(opening)  # "[]…]", "[^]…]": a "]" first is a member, not the end
            i += len(opening)
            continue
        elif char == "$":
            char = "\\Z"
        out.append(char)
        i += 1
    return "".join(out)


def _memo_test(other: Shape, memo: dict[tuple[int, str], bool], test: str) -> tuple[str, object]:
    """The inline test of sh:node / sh:not ``other``: Shape.conforms' memo read in place (``{c}``), and the
    call only when the verdict is not there (or is the rare failing one)."""
    return test.format(memo="{c}" if other.term_local else "g.memo", id=other.id, ok="{ok}"), memo


def _per_value(shape: Shape, component: str, ok: Callable[[DataGraph, str], bool],
               inline: tuple[str, object] | None = None) -> Constraint:
    """A constraint that judges each value node on its own; ``ok`` is kept on it for the inlined loop, and
    ``inline`` for generated code (compile_flat): a Python test of ``v`` and ``g``, ``{c}`` standing for the
    constant given and ``{ok}`` for a call of ``ok``."""
    def check(g: DataGraph, focus: str, values: list[str]) -> list[Violation]:
        return [(component, v, shape.path_iri) for v in values if not ok(g, v)] or NONE

    check.per_value = (ok, component)  # type: ignore[attr-defined]
    check.inline = inline  # type: ignore[attr-defined]
    return check


Run = Callable[..., list[Result]]  # (graph, focus, the focus's predicates[, results so far]) → results


class _Source:
    """A generated function being written (see compile_flat): its lines, and the objects its code names."""

    def __init__(self, present: str | None) -> None:
        self.lines = ["def run(g, focus, preds, out=None):", "    if out is None:", "        out = []"]
        self.names: dict[str, object] = {"EMPTY": EMPTY}
        self._named: dict[int, str] = {}  # id(object) → its name
        self._read: dict[str, str] = {}  # predicate → the local holding the focus's values of it
        self.present = present

    def name(self, obj: object, prefix: str) -> str:
        """The global name of ``obj`` in the generated code (one per object)."""
        found = self._named.get(id(obj))
        if found is None:
            found = self._named[id(obj)] = f"{prefix}{len(self._named)}"
            self.names[found] = obj
        return found

    def add(self, depth: int, *lines: str) -> None:
        self.lines.extend("    " * depth + line for line in lines)

    def values(self, predicate: str) -> str:
        """A local holding the focus's values of ``predicate`` (None if it has none), read at its first use
        and reused: the shapes of a predicate look at the same few (the property itself, rdf:type)."""
        local = self._read.get(predicate)
        if local is None:
            local = self._read[predicate] = f"own{len(self._read)}"
            p = self.name(predicate, "p")
            self.add(1, f"{local} = preds[{p}]" if predicate == self.present else f"{local} = preds.get({p})")
        return local

    def test(self, constraint: Constraint) -> str:
        """A per-value constraint as a Python test of ``v``: its ``inline`` form, else a call of its ``ok``."""
        ok = constraint.per_value[0]  # type: ignore[attr-defined]
        inline = constraint.inline  # type: ignore[attr-defined]
        if inline is None:
            return f"{self.name(ok, 'ok')}(g, v)"
        fill = {"c": self.name(inline[1], "c")} if "{c}" in inline[0] else {}
        if "{ok}" in inline[0]:
            fill["ok"] = self.name(ok, "ok")
        return inline[0].format(**fill)

    def build(self, title: str) -> Run:
        self.add(1, "return out")
        exec(compile("\n".join(self.lines), title, "exec"), self.names)  # our own generated code
        return self.names["run"]  # type: ignore[return-value]


def _write_checks(src: _Source, depth: int, shape: Shape, values: str | None) -> None:
    """Shape.results' constraint loop over ``values`` (a local; None: the focus alone, a node shape's value
    node) written out: per-value tests inline, other constraints called."""
    s, path = src.name(shape, "s"), src.name(shape.path_iri, "path")
    for constraint in shape.constraints:
        per_value = getattr(constraint, "per_value", None)
        if per_value is None:
            src.add(depth, f"found = {src.name(constraint, 'k')}(g, focus, {values or '(focus,)'})",
                    "if found:", f"    out.extend((focus, {s}, c, x, p) for c, x, p in found)")
            continue
        test, inner = src.test(constraint), depth
        if values is None:
            src.add(depth, "v = focus")
        else:
            src.add(depth, f"for v in {values}:")
            inner += 1
        src.add(inner, f"if not ({test}):", f"    out.append((focus, {s}, {per_value[1]!r}, v, {path}))")


def _write_property(src: _Source, shape: Shape) -> None:
    """A property shape with a predicate path and constraints only, on the focus: what Shape.flat_values
    does for a flat one, Shape.results for a per-property shape of that form."""
    own = src.values(shape.predicate)  # type: ignore[arg-type]
    if shape.predicate == src.present:
        _write_checks(src, 1, shape, own)
    elif shape.count_sensitive:  # no values: only these constraints can fail
        src.add(1, f"own = EMPTY if {own} is None else {own}")
        _write_checks(src, 1, shape, "own")
    else:  # no values: nothing to say
        src.add(1, f"if {own} is not None:")
        _write_checks(src, 2, shape, own)


def _write_counts(src: _Source, shape: Shape) -> None:
    """Shape.results' loop over ``shape.counts`` for a node shape (its one value node: the focus)."""
    for prop, predicate, least, most in shape.counts:
        own, s, p = src.values(predicate), src.name(prop, "s"), src.name(predicate, "p")
        src.add(1, f"n = len({own})" if predicate == src.present else f"n = 0 if {own} is None else len({own})")
        if least > 0:
            src.add(1, f"if n < {least}:", f"    out.append((focus, {s}, 'MinCountConstraintComponent', None, {p}))")
        if most is not None:
            src.add(1, f"if n > {most}:", f"    out.append((focus, {s}, 'MaxCountConstraintComponent', None, {p}))")


def _write_shape(src: _Source, shape: Shape) -> None:
    """What ``shape.results(g, focus)`` gives, appended to ``out``: written out for a node shape whose
    property shapes are flat and for a property shape with no nested shapes (the per-property shapes are
    all of these forms but one), called otherwise."""
    if shape.deactivated:
        return
    if shape.path is None and all(p.flat for p in shape.properties):
        _write_checks(src, 1, shape, None)
        for prop in shape.properties:
            _write_property(src, prop)
        _write_counts(src, shape)
    elif shape.predicate is not None and not shape.properties and not shape.counts:
        _write_property(src, shape)
    elif shape.path is not None and not shape.properties and not shape.counts:
        src.add(1, f"vals = {src.name(shape.path, 'path')}(g, focus)")
        _write_checks(src, 1, shape, "vals")
    else:
        src.add(1, f"out.extend({src.name(shape, 's')}.results(g, focus))")


def compile_flat(*shapes: Shape, present: str | None = None) -> Run:
    """One Python function giving what ``shape.results(g, focus)`` gives for each of ``shapes``, in order
    (appended to ``out`` when given, else a new list); ``present``: a predicate every focus has.

    Why: the per-property pass (NativeEngine.validate) runs a predicate's shapes for each subject having it,
    ~200k (subject, predicate) pairs on the 10k-record benchmark catalog, and the calls cost more than the
    checks: ~3 µs per shape even when it finds nothing (ceterms:ctid's four shapes: 0.21 s). So one function
    per predicate holds all its shapes, with their value loops and simple tests written out (no calls
    through Shape.results, Shape.flat_values and the constraint closures), each predicate's values read
    once for all of them, and memoised verdicts (class lists, sh:node) read in place. Measured there: the
    per-property pass ~20% faster than with one function per shape (one per holds_only_flat shape only: ~5%)."""
    src = _Source(present)
    for shape in shapes:
        _write_shape(src, shape)
    what = f"shapes of {present}" if present else " ".join(s.term for s in shapes)
    return src.build(f"<{what[:200]}>")


# --- SPARQL constraints with a native implementation -----------------------------------------------------
CTID = "<https://purl.org/ctdl/terms/ctid>"
_REGISTRY_TAIL = re.compile(r"/(resources|graph)/[^/]*/?$", re.IGNORECASE)


def _ctid_disagrees_with_id(g: DataGraph, this: str) -> list[str]:
    """SELECT $this ?value WHERE { $this ceterms:ctid ?value . FILTER (isIRI($this) && REGEX(STR($this),
    "/(resources|graph)/[^/]*/?$", "i") && !STRENDS(STR($this), CONCAT("/", STR(?value)))) }"""
    if this[0] != "<" or not _REGISTRY_TAIL.search(this[1:-1]):
        return []
    return [v for v in g.objects(this, CTID) if not this[1:-1].endswith("/" + plain(v))]


CTID_MATCHES_ID_QUERY = (
    "SELECT $this ?value WHERE { $this <https://purl.org/ctdl/terms/ctid> ?value . FILTER (isIRI($this) && "
    'REGEX(STR($this), "/(resources|graph)/[^/]*/?$", "i") && !STRENDS(STR($this), CONCAT("/", STR(?value)))) }')
# Keyed by the query with runs of white space collapsed.
NATIVE_SPARQL: dict[str, Callable[[DataGraph, str], list[str]]] = {
    " ".join(CTID_MATCHES_ID_QUERY.split()): _ctid_disagrees_with_id,
}


# --- the engine --------------------------------------------------------------------------------------------
class NativeEngine:
    """ctdl_tools' compiled SHACL Core engine (see the module docstring)."""

    name = "native"

    def __init__(self, shapes: ShapeSet) -> None:
        self._memo: dict[tuple[int, str], bool] = {}
        # Shapes that target the subjects of one predicate (the generated per-property shapes, ~570 of
        # them) are found by predicate while walking the subjects once, and compiled when a predicate is
        # first seen: all its shapes into one generated function (compile_flat). A shape set is compiled
        # whole the first time this machine sees it (that is when UnsupportedShapes is raised); once it
        # compiled, later runs only compile what their data uses.
        marker = _marker(shapes)
        verified = marker is not None and marker.exists()
        self._compiler = compiler = Compiler(shapes.triples, self._memo, checked=verified)
        self._by_predicate: dict[str, list[str]] = {}
        self._runs: dict[str, list[Run]] = {}
        self._compiling = threading.Lock()
        self._targeted: list[tuple[Shape, list[tuple[str, str]]]] = []
        for term, targets in compiler.targeted():
            by_predicate = len(targets) == 1 and targets[0][0] == sh("targetSubjectsOf")
            if by_predicate and verified:
                self._by_predicate.setdefault(targets[0][1], []).append(term)
                continue
            shape = compiler.shape(term, None)
            if shape.deactivated:
                continue
            if by_predicate:
                self._by_predicate.setdefault(targets[0][1], []).append(term)
            else:
                self._targeted.append((shape, targets))
        if not verified:
            _mark_verified(marker)

    def _compiled_for(self, predicate: str) -> list[Run]:
        """The predicate's shapes, compiled once. One thread at a time: the local registry validates requests
        in several, and two compiling one shape at once each saw the other's half-built shape as recursion."""
        with self._compiling:
            compiled = self._runs.get(predicate)
            if compiled is None:
                compiled = self._runs[predicate] = self._compile_for(predicate)
            return compiled

    def _compile_for(self, predicate: str) -> list[Run]:
        """One function for all the predicate's shapes (none if it has none), in their order."""
        shapes = (self._compiler.shape(term, None) for term in self._by_predicate.get(predicate, ()))
        live = [shape for shape in shapes if not shape.deactivated]
        return [compile_flat(*live, present=predicate)] if live else []

    def validate(self, triples: list[Triple]) -> list[RawResult]:
        g = DataGraph(triples)
        if len(self._memo) > 500_000:  # bound the cross-graph memo of value-only shapes
            self._memo.clear()
        found: list[Result] = []
        for shape, targets in self._targeted:
            for focus in _focus_nodes(g, targets):
                found.extend(shape.results(g, focus))
        runs = self._runs
        for focus, preds in g.out.items():  # the per-property shapes, one pass over the subjects
            for predicate in preds:
                compiled = runs.get(predicate)
                if compiled is None:  # made on first use: a catalog uses a fraction of the ~570
                    compiled = self._compiled_for(predicate)
                for run in compiled:  # one, or none: it appends to found (no list per call)
                    run(g, focus, preds, found)
        # tuple.__new__: the named tuple's own __new__ is a Python function (127k results: 0.10 s → 0.065 s).
        return [tuple.__new__(RawResult, (node, source.term, source.severity, component, path, value,
                                          plain(value) if value is not None else None, source.message, source.root))
                for node, source, component, value, path in found]


def _marker(shapes: ShapeSet) -> pathlib.Path | None:
    """The file that says this shape set compiled whole with this version of the engine (None without a
    cache directory: then nothing needs hashing either)."""
    from ctdl_tools.validate.shapes import cache_dir

    return None if cache_dir() is None else _marker_for(shapes.digest)


def _marker_for(digest: str) -> pathlib.Path | None:
    import hashlib

    from ctdl_tools import __version__
    from ctdl_tools.validate.shapes import cache_dir

    root = cache_dir()
    key = hashlib.sha256(f"{__version__}\n{digest}".encode()).hexdigest()[:32]
    return None if root is None else root / f"native-{key}.ok"


def _verified(digest: str) -> bool:
    """The shape set with this digest compiled whole before on this machine (see NativeEngine)."""
    marker = _marker_for(digest)
    return marker is not None and marker.exists()


def _mark_verified(marker: pathlib.Path | None) -> None:
    from ctdl_tools.validate.shapes import prune_cache

    if marker is None:
        return
    root = marker.parent
    try:
        root.mkdir(parents=True, exist_ok=True)
        marker.touch()
        prune_cache(root, "native-*.ok", 16)
    except OSError:
        pass


def _focus_nodes(g: DataGraph, targets: list[tuple[str, str]]) -> Iterable[str]:
    if len(targets) == 1:
        kind, term = targets[0]
        if kind == sh("targetSubjectsOf"):
            return g.subjects_of(term)
        if kind == sh("targetClass"):
            return g.instances(term)
    nodes: dict[str, None] = {}
    for kind, term in targets:
        if kind == sh("targetClass"):
            nodes.update(dict.fromkeys(g.instances(term)))
        elif kind == sh("targetSubjectsOf"):
            nodes.update(dict.fromkeys(g.subjects_of(term)))
        elif kind == sh("targetObjectsOf"):
            nodes.update(dict.fromkeys(g.objects_of(term)))
        else:
            nodes[term] = None
    return nodes
