"""A small, read-only API over the vendored CTDL and CTDL-ASN schema encodings and contexts.

Terms are handled as compact IRIs (``ceterms:Course``), the form registry documents use.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from ctdl_tools.vocab.pins import CTDL_CONTEXT_URL, CTDLASN_CONTEXT_URL

DATA_PACKAGE = "ctdl_tools.vocab.data"
SCHEMA_FILES = ("ctdl_schema.json", "ctdlasn_schema.json")
LANG = "en-US"


def read_data_bytes(name: str) -> bytes:
    return resources.files(DATA_PACKAGE).joinpath(name).read_bytes()


@cache
def load_context(name: str) -> dict:
    """The bundled JSON-LD context document (``ctdl_context.json`` or ``ctdlasn_context.json``)."""
    return json.loads(read_data_bytes(name))


@dataclass
class ClassInfo:
    id: str
    label: str
    comment: str = ""
    superclasses: list[str] = field(default_factory=list)
    status: str = ""


@dataclass
class PropertyInfo:
    id: str
    label: str
    comment: str = ""
    domain: set[str] = field(default_factory=set)
    range: set[str] = field(default_factory=set)
    target_schemes: list[str] = field(default_factory=list)
    inverse_of: list[str] = field(default_factory=list)
    superproperties: list[str] = field(default_factory=list)


@dataclass
class ConceptScheme:
    id: str
    label: str
    concepts: list[str] = field(default_factory=list)


@dataclass
class Concept:
    id: str
    label: str
    definition: str = ""
    schemes: list[str] = field(default_factory=list)


def _text(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get(LANG) or next(iter(value.values()), ""))
    return str(value or "")


def _list(value: object) -> list[str]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]  # type: ignore[list-item]


class Vocabulary:
    """Classes, properties, concept schemes and concepts of CTDL + CTDL-ASN, with context facts."""

    def __init__(self, graphs: list[list[dict]], contexts: list[dict]) -> None:
        self.classes: dict[str, ClassInfo] = {}
        self.properties: dict[str, PropertyInfo] = {}
        self.schemes: dict[str, ConceptScheme] = {}
        self.concepts: dict[str, Concept] = {}
        for graph in graphs:
            for node in graph:
                self._add(node)
        self.prefixes: dict[str, str] = {}
        self.language_maps: set[str] = set()
        self.iri_valued: set[str] = set()
        self.datatypes: dict[str, str] = {}
        for ctx in contexts:
            self._read_context(ctx["@context"])
        self._subclasses: dict[str, set[str]] = {}
        for cls in self.classes.values():
            for sup in cls.superclasses:
                self._subclasses.setdefault(sup, set()).add(cls.id)

    def _add(self, node: dict) -> None:
        kind, term = node.get("@type"), node["@id"]
        label = _text(node.get("rdfs:label") or node.get("skos:prefLabel"))
        if kind == "rdfs:Class":
            self.classes[term] = ClassInfo(
                term, label, _text(node.get("rdfs:comment")), _list(node.get("rdfs:subClassOf")),
                str(node.get("vs:term_status", "")),
            )
        elif kind == "rdf:Property":
            prop = self.properties.setdefault(term, PropertyInfo(term, label, _text(node.get("rdfs:comment"))))
            prop.domain.update(_list(node.get("schema:domainIncludes")))
            prop.range.update(_list(node.get("schema:rangeIncludes")))
            prop.target_schemes += [s for s in _list(node.get("meta:targetScheme")) if s not in prop.target_schemes]
            prop.inverse_of += _list(node.get("owl:inverseOf"))
            prop.superproperties += _list(node.get("rdfs:subPropertyOf"))
        elif kind == "skos:ConceptScheme":
            scheme = self.schemes.setdefault(term, ConceptScheme(term, label))
            scheme.concepts += [c for c in _list(node.get("meta:hasConcept")) if c not in scheme.concepts]
        elif kind == "skos:Concept":
            schemes = _list(node.get("skos:inScheme"))
            self.concepts[term] = Concept(term, label, _text(node.get("skos:definition")), schemes)
            for scheme_id in schemes:
                scheme = self.schemes.setdefault(scheme_id, ConceptScheme(scheme_id, scheme_id))
                if term not in scheme.concepts:
                    scheme.concepts.append(term)

    def _read_context(self, ctx: dict) -> None:
        for key, value in ctx.items():
            if isinstance(value, str) and ":" not in key:
                self.prefixes[key] = value
            elif isinstance(value, dict):
                if value.get("@container") == "@language":
                    self.language_maps.add(key)
                if value.get("@type") == "@id":
                    self.iri_valued.add(key)
                elif isinstance(value.get("@type"), str):
                    self.datatypes[key] = value["@type"]

    # --- classes -------------------------------------------------------------------------------------
    def subclasses(self, cls: str) -> set[str]:
        """``cls`` and every class below it."""
        seen, todo = {cls}, [cls]
        while todo:
            for sub in self._subclasses.get(todo.pop(), ()):
                if sub not in seen:
                    seen.add(sub)
                    todo.append(sub)
        return seen

    def superclasses(self, cls: str) -> set[str]:
        """``cls`` and every class above it."""
        seen, todo = {cls}, [cls]
        while todo:
            info = self.classes.get(todo.pop())
            for sup in info.superclasses if info else ():
                if sup not in seen:
                    seen.add(sup)
                    todo.append(sup)
        return seen

    def is_a(self, cls: str, ancestor: str) -> bool:
        return ancestor in self.superclasses(cls)

    @property
    def top_level_classes(self) -> set[str]:
        """Classes that carry a CTID and are published on their own (the domain of ``ceterms:ctid``)."""
        return set(self.properties["ceterms:ctid"].domain)

    # --- concepts ------------------------------------------------------------------------------------
    def scheme_of(self, prop: str) -> str | None:
        info = self.properties.get(prop)
        return info.target_schemes[0] if info and info.target_schemes else None

    def concepts_in(self, scheme: str) -> list[str]:
        return list(self.schemes[scheme].concepts) if scheme in self.schemes else []

    def concepts_for(self, prop: str) -> list[str]:
        """The concepts of a property's target schemes (none for a property that takes no concept)."""
        info = self.properties.get(prop)
        return [c for scheme in (info.target_schemes if info else ()) for c in self.concepts_in(scheme)]

    def concept_named(self, prop: str, name: str) -> str | None:
        """The concept of ``prop``'s schemes whose own name is ``name`` in any case ("Active" →
        lifeCycle:Active for ceterms:lifeCycleStatusType), or None."""
        wanted = name.strip().lower()
        return next((c for c in self.concepts_for(prop) if c.rpartition(":")[2].lower() == wanted), None)

    # --- IRIs ----------------------------------------------------------------------------------------
    def expand(self, curie: str) -> str:
        prefix, sep, local = curie.partition(":")
        if sep and prefix in self.prefixes and not local.startswith("//"):
            return self.prefixes[prefix] + local
        return curie

    def compact(self, iri: str) -> str:
        best = ""
        for prefix, ns in self.prefixes.items():
            if iri.startswith(ns) and len(ns) > len(self.prefixes.get(best, "")):
                best = prefix
        return f"{best}:{iri[len(self.prefixes[best]):]}" if best else iri

    def closest(self, term: str, classes: bool = False, also: Iterable[str] = ()) -> str | None:
        """The property (or class) a misspelt, mis-cased or mis-prefixed term most likely means, or None:
        ``ceterms:SubjectWebpage`` → ``ceterms:subjectWebpage``, ``ceasn:subjectWebpage`` →
        ``ceterms:subjectWebpage``, ``ceterms:nmae`` → ``ceterms:name``. A compact IRI or a full one.
        ``also``: more compact terms to choose from (the QData classes the vocabulary only names)."""
        known = dict.fromkeys([*(self.classes if classes else self.properties), *also])  # ordered: ties decide alike
        term = self.compact(term)
        prefix, sep, local = term.rpartition(":")
        if term in known or not sep or not local:
            return None
        lowered = [t for t in known if t.lower() == term.lower()]  # the case alone
        if lowered:
            return lowered[0]
        elsewhere = sorted(t for t in known if t.rpartition(":")[2] == local)  # the prefix alone
        if elsewhere:
            return elsewhere[0]
        # A typo: the closest name under the same prefix, else under any (0.75 takes one swapped or lost
        # letter in a short name, "nmae", and not a different word).
        for pool in ([t for t in known if t.startswith(prefix + ":")], list(known)):
            by_local: dict[str, str] = {}
            for t in sorted(pool):
                by_local.setdefault(t.rpartition(":")[2].lower(), t)
            close = difflib.get_close_matches(local.lower(), list(by_local), n=1, cutoff=0.75)
            if close:
                return by_local[close[0]]
        return None

    def label(self, term: str) -> str:
        for table in (self.classes, self.properties, self.concepts, self.schemes):
            if term in table:
                return table[term].label  # type: ignore[attr-defined]
        return term.partition(":")[2] or term


@cache
def vocabulary() -> Vocabulary:
    """The CTDL + CTDL-ASN vocabulary, loaded once per process from the bundled files."""
    graphs = [json.loads(read_data_bytes(name))["@graph"] for name in SCHEMA_FILES]
    contexts = [load_context("ctdl_context.json"), load_context("ctdlasn_context.json")]
    return Vocabulary(graphs, contexts)


__all__ = [
    "CTDLASN_CONTEXT_URL",
    "CTDL_CONTEXT_URL",
    "ClassInfo",
    "Concept",
    "ConceptScheme",
    "PropertyInfo",
    "Vocabulary",
    "load_context",
    "vocabulary",
]
