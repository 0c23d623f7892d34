"""SHACL engines behind one small interface: compile a shape set once, validate a list of triples.

``native`` (:mod:`ctdl_tools.validate.native`, SHACL Core compiled to Python) is the default whenever the
shapes stay within what it implements, which ours do; ``shacl`` (Rust, PyPI ``shacl``) runs any other
shapes (``auto`` picks it then); ``pyshacl`` is the reference implementation, kept for agreement tests and
as the last fallback. Data arrives as (subject, predicate, object) terms in N-Triples syntax; every engine
returns :class:`RawResult` with terms in the same syntax, so the rest of ctdl_tools never sees an
engine's own objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import NamedTuple, Protocol

from ctdl_tools.errors import InputError
from ctdl_tools.validate.rdf import SKOLEM, ntriples
from ctdl_tools.validate.shapes import SHAPE_GENID, ShapeSet

SH = "http://www.w3.org/ns/shacl#"
_GENID = f"<{SHAPE_GENID}"  # the loader's IRIs for blank-node shapes (see shapes._skolemised)
PARSER_TERM_LIMIT = 16 * 2**20  # bytes of one term pyoxigraph's N-Triples parser reads (its buffer's maximum)


class RawResult(NamedTuple):
    """One SHACL validation result, engine-neutral. Terms in N-Triples syntax ("<iri>", "_:b", literals).

    A named tuple: engines make one per result (100k+ in a catalog), and a frozen dataclass costs ~5× as much.
    """

    focus: str
    source_shape: str | None
    severity: str  # "Violation" | "Warning" | "Info"
    component: str  # local name, e.g. "MinCountConstraintComponent"
    path: str | None = None  # first predicate IRI of sh:resultPath, "<…>"
    value: str | None = None  # N-Triples term
    value_plain: str | None = None  # lexical form / IRI / label
    message: str | None = None
    root_shape: str | None = None  # for a blank-node shape (a shape-genid IRI): the nearest named shape holding it


Triple = tuple[str, str, str]


class Engine(Protocol):
    name: str

    def validate(self, triples: list[Triple]) -> list[RawResult]:
        """Validate a data graph given as N-Triples terms."""
        ...





class ShaclEngine:
    """The Rust ``shacl`` package (pwin/SHACL_Engine)."""

    name = "shacl"

    def __init__(self, shapes: ShapeSet) -> None:
        import shacl

        # Blank-node shapes come as IRIs (the loader names them): results of `sh:property [ … ]` name the same
        # shape as on the other engines, and their root is the loader's (the engine's is the nearest IRI).
        self._shapes = shacl.Shapes.from_text(shapes.ntriples, format="ntriples")
        self._root = _roots(shapes)
        # Our shapes' results need no component or message (the rule has them); users' shapes' do.
        self._ruled = frozenset(t for t, rule in shapes.rules.items() if t.startswith("<") and rule.origin != "user")

    def validate(self, triples: list[Triple]) -> list[RawResult]:
        report = self._shapes.validate_text(ntriples(triples), format="ntriples")
        out = []
        for r in report.results:
            shape = r.source_shape
            # Each attribute read crosses into Rust: at 100k results the optional ones cost seconds, and
            # they are only needed for users' shapes.
            ruled = shape in self._ruled
            out.append(RawResult(r.focus_node, shape, r.severity, "" if ruled else r.component, _first_iri(r.path),
                                 r.value, r.value_plain, None if ruled else r.message,
                                 None if ruled else self._root(shape) if shape.startswith(_GENID) else r.root_shape))
        return out


class PyshaclEngine:
    """pySHACL over rdflib: slow, the reference. Blank-node labels are kept so results map back."""

    name = "pyshacl"

    def __init__(self, shapes: ShapeSet) -> None:
        self._shapes = _rdflib_graph(shapes.ntriples, shapes.triples)
        self._root = _roots(shapes)

    def validate(self, triples: list[Triple]) -> list[RawResult]:
        import pyshacl
        from rdflib import Namespace

        sh = Namespace(SH)
        data = _rdflib_graph(ntriples(triples), triples)
        _, report, _ = pyshacl.validate(data, shacl_graph=self._shapes, inference="none", abort_on_first=False,
                                        allow_warnings=True, meta_shacl=False)
        out = []
        # Only top-level results (sh:result of the report): pySHACL also types the nested results it
        # keeps under sh:detail (e.g. inside sh:node) as sh:ValidationResult.
        for result in report.objects(None, sh.result):
            def one(pred: object, result: object = result) -> object:
                return report.value(result, pred)
            value = one(sh.value)
            shape = _nt(one(sh.sourceShape))
            out.append(RawResult(
                _nt(one(sh.focusNode)), shape, _local(one(sh.resultSeverity)),
                _local(one(sh.sourceConstraintComponent)), _path_iri(report, one(sh.resultPath)),
                _nt(value) if value is not None else None, str(value) if value is not None else None,
                str(one(sh.resultMessage)) if one(sh.resultMessage) is not None else None,
                self._root(shape) if shape.startswith(_GENID) else None))
        return out


def _roots(shapes: ShapeSet) -> Callable[[str], str | None]:
    """Blank-node shape → the nearest named shape that holds it (see ShapeSet.holding), None when none does: the
    root the native engine gives."""
    @cache
    def root(shape: str) -> str | None:
        named = shapes.holding(shape)[-1]
        return None if named.startswith(_GENID) else named

    return root


def _nt(term: object) -> str:
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        return term.n3()
    return str(term)


def _local(term: object) -> str:
    text = str(term)
    return text.rpartition("#")[2] if "#" in text else text.rpartition("/")[2]


def _path_iri(report: object, path: object) -> str | None:
    """The first predicate of a result path (a sequence path is an RDF list in pyshacl's report)."""
    from rdflib import RDF, BNode, URIRef

    while isinstance(path, BNode):
        path = report.value(path, RDF.first)  # type: ignore[attr-defined]
    return f"<{path}>" if isinstance(path, URIRef) else None


@lru_cache(maxsize=4096)
def _first_iri(path: str | None) -> str | None:
    if not path:
        return None
    start = path.find("<")
    return path[start: path.find(">", start) + 1] if start >= 0 else None


def _rdflib_graph(ntriples: str, triples: Iterable[Triple]) -> object:
    """An rdflib Graph from N-Triples (``triples`` as text) that keeps blank-node labels (rdflib's own parser
    renames them)."""
    import pyoxigraph
    from rdflib import BNode, Graph, Literal, URIRef

    xsd_string = "http://www.w3.org/2001/XMLSchema#string"

    def conv(term: object) -> object:
        if isinstance(term, pyoxigraph.NamedNode):
            return URIRef(term.value)
        if isinstance(term, pyoxigraph.BlankNode):
            return BNode(term.value)
        assert isinstance(term, pyoxigraph.Literal)
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value) if datatype == xsd_string else Literal(term.value, datatype=URIRef(datatype))

    graph = Graph()
    try:
        for quad in pyoxigraph.parse(ntriples.encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES):
            graph.add((conv(quad.subject), conv(quad.predicate), conv(quad.object)))
    except MemoryError:  # pyoxigraph's "Reached the buffer maximal size": one term over its 16 MiB limit
        too_large = _too_large(triples)
        if too_large is None:
            raise
        raise InputError(*too_large) from None
    return graph


def _too_large(triples: Iterable[Triple]) -> tuple[str, str] | None:
    """(where, message) to tell the user when a term is longer than the reference engine's parser takes:
    the node that holds it (for a blank node, the record it is in) and what to do."""
    from ctdl_tools.vocab import vocabulary

    triples = list(triples)
    s, p, o = max(triples, key=lambda t: len(t[2]), default=("", "", ""))
    if len(o.encode("utf-8")) <= PARSER_TERM_LIMIT:
        return None
    owners = {obj: subj for subj, _, obj in triples}
    node, seen = s, {s}
    while _is_blank(node) and owners.get(node, node) not in seen:
        node = owners[node]
        seen.add(node)
    where = node if node == s else f"a blank node in {node}" if not _is_blank(node) else "a blank node"
    size = len(o[1:o.rfind('"')]) if o.startswith('"') else len(o) - 2
    return where, (f"its {vocabulary().compact(p[1:-1])} of {size:,} characters is more than the pyshacl engine's "
                   f"parser takes ({PARSER_TERM_LIMIT // 2**20} MiB a term); the native and shacl engines have no "
                   "such limit (--engine auto, the default, picks one)")


def _is_blank(term: str) -> bool:
    return term.startswith("_:") or term.startswith(f"<{SKOLEM}")


def _native(shapes: ShapeSet) -> Engine:
    from ctdl_tools.validate.native import NativeEngine

    return NativeEngine(shapes)


ENGINES = {"native": _native, "shacl": ShaclEngine, "pyshacl": PyshaclEngine}
ENGINE_NAMES = ("auto", *ENGINES)


def available(name: str) -> bool:
    import importlib.util

    return name == "native" or importlib.util.find_spec(name) is not None


def check_engine_name(name: str) -> str:
    if name != "auto" and name not in ENGINES:
        raise ValueError(f"unknown SHACL engine {name!r}; choose from {', '.join(ENGINE_NAMES)}")
    return name


_COMPILED: dict[tuple[str, str], Engine] = {}


def compile_engine(name: str, shapes: ShapeSet) -> Engine:
    """The engine for ``shapes``, compiled once per process and shape set.

    ``auto``: native when it implements every construct the shapes use, else shacl, else pyshacl.
    """
    from ctdl_tools.validate.native import UnsupportedShapes

    candidates = [check_engine_name(name)] if name != "auto" else [n for n in ENGINES if available(n)]
    for candidate in candidates:
        key = (candidate, shapes.digest)
        if key not in _COMPILED:
            try:
                engine = ENGINES[candidate](shapes)
            except UnsupportedShapes:
                if name == "auto":
                    continue
                raise
            if len(_COMPILED) >= 8:  # bound memory when many shape sets are used in one process
                _COMPILED.pop(next(iter(_COMPILED)))
            _COMPILED[key] = engine
        return _COMPILED[key]
    raise ValueError("no SHACL engine can run these shapes")
