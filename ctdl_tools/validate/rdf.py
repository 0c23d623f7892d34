"""CTDL JSON-LD (registry compact form) → N-Triples, directly, without pyld or rdflib.

pyld's ``to_rdf`` costs ~1 ms per registry record; validating 10k records through it spends most of the
run in expansion. Registry documents use a tiny subset of JSON-LD: one bundled context given by URL,
prefixed terms, ``@type: @id`` and datatype coercion, ``@container: @language`` maps, nested node
objects and ``_:`` ids. This module implements exactly that subset, following pyld's algorithm
(JSON-LD 1.1 expansion + ``toRdf``) line by line where it matters (number canonicalisation, lower-cased
language tags, dropping relative IRIs), and raises :class:`Unsupported` for anything else so the caller
can fall back to pyld for that document. ``tests/test_validate_rdf.py`` checks that the triples are
isomorphic to pyld's on every corpus record and on generated data.

While converting it records, for every subject, the JSON pointer of the object that defined it, which
is how SHACL results are mapped back to places in the user's file.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

import pyoxigraph

from ctdl_tools.jsonscan import escape_pointer
from ctdl_tools.textchars import INVISIBLE_IN_LINKS, character_class
from ctdl_tools.validate.loader import graph_items
from ctdl_tools.vocab import vocabulary
from ctdl_tools.vocab.pins import CONTEXT_URLS
from ctdl_tools.vocab.schema import load_context

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING, XSD_BOOLEAN, XSD_DOUBLE, XSD_INTEGER, XSD_DECIMAL = (
    XSD + n for n in ("string", "boolean", "double", "integer", "decimal"))

# pyld's test for an absolute IRI (jsonld._is_absolute_iri); anything else is dropped from its RDF.
_PYLD_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
# Blank nodes as skolem IRIs (RDF 1.1 §3.5) for the engines: shacl 0.3.4 reports blank nodes under its
# own internal labels ("_:0_b16591"), which cannot be mapped back to the document.
SKOLEM = "https://purl.org/ctdl_tools/.well-known/genid/"
PYLD_BASE = "http://example.org/base/"  # pyld's DEFAULT_BASE_IRI, used when no base is given
_KEYWORD_LIKE = re.compile(r"^@[a-zA-Z]+$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'[\\"\n\r]')


class Unsupported(ValueError):
    """The document uses JSON-LD this converter does not implement; convert it with pyld instead."""


@dataclass
class Dropped:
    """A value the RDF cannot carry (an IRI or language tag N-Triples rejects); reported, not emitted."""

    pointer: str
    # "iri" | "language" | "langmap" | "valueobject" | "relative" | "key" | "blank" | "invisible" (kept) |
    # "range-integer" | "range-float" | "not-a-number" (rdf._beyond_double)
    kind: str
    value: str


@dataclass
class Conversion:
    """The triples of one document and where their subjects came from."""

    triples: list[tuple[str, str, str]] = field(default_factory=list)  # N-Triples terms
    pointers: dict[str, str] = field(default_factory=dict)  # N-Triples subject term → JSON pointer
    bnode_labels: dict[str, str] = field(default_factory=dict)  # our label → the document's own "_:x"
    defined: set[str] = field(default_factory=set)  # subject terms described here (not only referenced)
    referenced: set[str] = field(default_factory=set)  # IRIs used as objects (for chunked validation)
    bnode_defined: set[str] = field(default_factory=set)  # the document's "_:x" ids that a node defines
    bnode_refs: list[tuple[str, str]] = field(default_factory=list)  # (pointer, "_:x") used as a value
    dropped: list[Dropped] = field(default_factory=list)
    exact: bool = True  # False when pyld converted it (fallback): only IRI subjects are mapped

    @property
    def lines(self) -> list[str]:
        return [f"{s} {p} {o} .\n" for s, p, o in self.triples]


def ntriples(triples: Iterable[tuple[str, str, str]]) -> str:
    """N-Triples text of (s, p, o) terms already in N-Triples syntax."""
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples)


def _escape(text: str) -> str:
    # Four substring tests, not _NEEDS_ESCAPE.search: the regex scans a 170-character description in ~1.4 µs,
    # these in well under 0.1 µs, and literals rarely need an escape (none of the 10k-record catalog's do).
    if '"' in text or "\\" in text or "\n" in text or "\r" in text:
        return _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[m.group()], text)
    return text


# Zero-width, bidi and other format characters: invisible where a URL is shown, so a link copied from a web
# page with one inside leads somewhere else than it reads (a browser percent-encodes it).
INVISIBLE = character_class(INVISIBLE_IN_LINKS)


@cache
def iri_ok(iri: str) -> bool:
    """True if pyld keeps the IRI *and* N-Triples parsers (oxiri, as used by both engines) accept it."""
    if not _PYLD_ABSOLUTE.match(iri):
        return False
    try:
        pyoxigraph.NamedNode(iri)
    except ValueError:
        return False
    return True


@cache
def lang_ok(tag: str) -> bool:
    try:
        pyoxigraph.Literal("x", language=tag)
    except ValueError:
        return False
    return True


class ContextTables:
    """What one bundled context says about each key: its predicate IRI and how its values expand."""

    def __init__(self, context: dict) -> None:
        self.prefixes = {k: v for k, v in context.items() if isinstance(v, str) and ":" not in k}
        self.coercion: dict[str, str] = {}
        self.language_maps: set[str] = set()
        for key, value in context.items():
            if isinstance(value, dict):
                if value.get("@container") == "@language":
                    self.language_maps.add(key)
                if isinstance(value.get("@type"), str):
                    kind = value["@type"]
                    self.coercion[key] = kind if kind.startswith("@") else self.expand(kind, vocab=True) or kind
        self._keys: dict[str, str | None] = {}
        self.plans: dict[str, _Plan] = {}  # key → how its values convert (see _plan)
        # Terms remembered for values that convert with nothing to report (records name the same organizations,
        # concepts and classes again and again): @id value → "<iri>", @type value → "<iri>", and a language
        # map key → its literal suffix ("@en-us"; "" for @none; False: not known, see _language_map).
        self.iri_terms: dict[str, str] = {}
        self.type_terms: dict[str, str] = {}
        self.language_suffixes: dict[str, str | bool] = {}

    def expand(self, value: str, vocab: bool, relative: bool = True) -> str | None:
        """pyld's ``_expand_iri`` for these contexts (no @vocab, no @base).

        ``relative``: resolve a relative IRI as pyld does for ``@id``/``@type`` values (against its
        DEFAULT_BASE_IRI ``http://example.org/base/``); keys are never resolved (None: dropped).
        """
        if vocab and value in self.prefixes:
            return self.prefixes[value]
        prefix, colon, suffix = value.partition(":")
        if colon and prefix:
            if prefix == "_" or suffix.startswith("//"):
                return value
            if prefix in self.prefixes:
                return self.prefixes[prefix] + suffix
            if _PYLD_ABSOLUTE.match(value):
                return value
        if not relative:
            return value if colon and prefix else None
        return _resolve_relative(value)

    def predicate(self, key: str) -> str | None:
        if key not in self._keys:
            self._keys[key] = self.expand(key, vocab=True, relative=False)
        return self._keys[key]

    def language_suffix(self, lang: object) -> str | bool:
        """What a language map key adds to its literals ("@en-us", "" for @none), or False when the key is
        not a known tag (or is "@value") and _Converter._language_map must report it; remembered."""
        if not isinstance(lang, str) or lang == "@value":
            return False
        suffix: str | bool = "" if lang == "@none" else f"@{lang.lower()}" if lang_ok(lang.lower()) else False
        if len(self.language_suffixes) > 10_000:
            self.language_suffixes.clear()
        self.language_suffixes[lang] = suffix
        return suffix


@cache
def _resolve_relative(value: str) -> str:
    # Relative references are rare and always a data error (reported by the JSON pre-pass); pyld's own
    # resolver keeps the RDF identical to jsonld.to_rdf without reimplementing RFC 3986 here.
    from pyld.iri_resolver import resolve

    return resolve(value, PYLD_BASE)


@cache
def context_tables(url: str) -> ContextTables:
    return ContextTables(load_context(CONTEXT_URLS[url])["@context"])


def bundled_url(context: object) -> str | None:
    """The bundled context URL a document's @context names: the URL, or an array of that one URL (the same
    to JSON-LD; JSONLD-CONTEXT-FORM asks for the string)."""
    if isinstance(context, list) and len(context) == 1:
        context = context[0]
    return context if isinstance(context, str) and context in CONTEXT_URLS else None


def is_bundled(context: object) -> bool:
    return bundled_url(context) is not None


class _Converter:
    """Converts one document; ``label`` namespaces its blank nodes so documents never share one."""

    def __init__(self, tables: ContextTables, context_url: str, label: str, skolem: bool = False) -> None:
        self.skolem = skolem
        self.t = tables
        self.context_url = context_url
        self.label = label
        self.out = Conversion()
        # The tables and output collections the hot paths use, as plain attributes (one lookup, not two).
        self.plans = tables.plans
        self.iri_terms = tables.iri_terms
        self.triples = self.out.triples
        self.referenced = self.out.referenced
        self._bnodes: dict[str, str] = {}
        self._fresh = 0

    # --- terms -----------------------------------------------------------------------------------------
    def _bnode(self, original: str | None) -> str:
        if original is not None and original in self._bnodes:
            return self._bnodes[original]
        self._fresh += 1
        term = f"<{SKOLEM}{self.label}b{self._fresh}>" if self.skolem else f"_:{self.label}b{self._fresh}"
        if original is not None:
            self._bnodes[original] = term
            self.out.bnode_labels[term] = original
        return term

    def _iri_term(self, iri: str | None, pointer: str) -> str | None:
        """``<iri>``, a blank node, or None when pyld would drop it (relative) or N-Triples cannot carry it."""
        if iri is None:
            return None
        if iri.startswith("_:"):
            return self._bnode(iri)
        if iri_ok(iri):
            # Valid RFC 3987, but a copy-paste accident: reported, kept (isascii: O(1), and so are nearly all IRIs).
            if not iri.isascii() and INVISIBLE.search(iri):
                self.out.dropped.append(Dropped(pointer, "invisible", iri))
            return f"<{iri}>"
        # pyld drops it silently (white space: not "absolute" to it) or keeps what no N-Triples parser takes:
        # either way it is not emitted, and the value is reported, not lost without a word (a relative one
        # resolved against pyld's base already was, by _expand).
        if not iri.startswith(PYLD_BASE):
            self.out.dropped.append(Dropped(pointer, "iri", iri))
        return None

    def _literal(self, value: Any, datatype: str | None, language: str | None, pointer: str) -> str | None:
        if isinstance(value, str) and (datatype is None or datatype == XSD_STRING) and _blank(value):
            self.out.dropped.append(Dropped(pointer, "blank", value))
            return None
        if language is not None:
            if not lang_ok(language):
                self.out.dropped.append(Dropped(pointer, "language", language))
                return None
            return f'"{_escape(value)}"@{language}'
        if _beyond_double(value, datatype):  # pyld fails on it (OverflowError) or writes "INF" for 1e400
            kind = ("range-integer" if isinstance(value, int) else "range-float"
                    if isinstance(getattr(value, "literal", None), str) else "not-a-number")
            self.out.dropped.append(Dropped(pointer, kind, number_text(value)))
            return None
        lexical, datatype = _lexical(value, datatype)
        if datatype is not None and datatype != XSD_STRING:
            dt = self._iri_term(datatype, pointer)
            if dt is None or dt.startswith("_:"):
                return None
            return f'"{_escape(lexical)}"^^{dt}'
        return f'"{_escape(lexical)}"'

    def _id_term(self, value: str, pointer: str) -> str | None:
        """The term of an @id (or @id-coerced) string; IRIs that convert with nothing to report are
        remembered (records reference the same organizations and concepts again and again)."""
        term = self.t.iri_terms.get(value)
        if term is not None:
            return term
        if value.startswith("_:"):
            return self._bnode(value)
        dropped = len(self.out.dropped)
        term = self._iri_term(self._expand(value, False, pointer), pointer)
        if term is not None and len(self.out.dropped) == dropped:
            if len(self.t.iri_terms) > 200_000:
                self.t.iri_terms.clear()
            self.t.iri_terms[value] = term
        return term

    def _type_term(self, value: str, pointer: str) -> str | None:
        """The term of an @type value; remembered, like _id_term's, when it converts with nothing to report."""
        dropped = len(self.out.dropped)
        iri = self._expand(value, True, pointer)
        term = self._iri_term(iri, pointer)
        if term is not None and len(self.out.dropped) == dropped and not iri.startswith("_:"):
            if len(self.t.type_terms) > 200_000:
                self.t.type_terms.clear()
            self.t.type_terms[value] = term
        return term

    def _expand(self, value: str, vocab: bool, pointer: str) -> str | None:
        out = self.t.expand(value, vocab=vocab)
        if out is not None and out.startswith(PYLD_BASE) and not value.startswith(PYLD_BASE):
            self.out.dropped.append(Dropped(pointer, "relative", value))  # emitted as pyld does; reported
        return out

    # --- structure -------------------------------------------------------------------------------------
    def emit(self, subject: str | None, predicate: str | None, obj: str | None) -> None:
        if subject is not None and predicate is not None and obj is not None:
            self.out.triples.append((subject, predicate, obj))
            if obj[0] == "<" and predicate is not RDF_TYPE:
                self.out.referenced.add(obj)

    def node(self, obj: dict, pointer: str, skip: tuple[str, ...] = ()) -> str | None:
        """Emit the triples of a node object; return its subject term (None if pyld would drop it)."""
        ctx = obj.get("@context")
        if ctx is not None and ctx != self.context_url:
            raise Unsupported(f"{pointer or '/'}: a nested @context")
        if "@id" in obj:
            raw = obj["@id"]
            if not isinstance(raw, str):
                raise Unsupported(f"{pointer}/@id is not a string")
            if raw.startswith("_:") and len(obj) > 1:
                self.out.bnode_defined.add(raw)
            # (the cache looked up here first: a hit needs no pointer string)
            subject = self.iri_terms.get(raw) or self._id_term(raw, pointer + "/@id")
        else:
            subject = self._bnode(None)
        if subject is not None:
            # A definition (an object with content) wins over an earlier bare {"@id": …} reference.
            if len(obj) > 1 and subject not in self.out.defined:
                self.out.defined.add(subject)
                self.out.pointers[subject] = pointer
            else:
                self.out.pointers.setdefault(subject, pointer)
        entry = self._entry
        for key, value in obj.items():
            if key in skip:
                continue
            entry(subject, key, value, pointer)
        return subject

    def _entry(self, subject: str | None, key: str, value: Any, parent: str) -> None:
        """One key of a node object at ``parent``; its own pointer is only made where it is needed (a
        nested node, something dropped or reported), not for every plain value.

        The common forms (a string, an array of strings, a one-tag language map, a remembered @id or @type) are
        emitted right here from the key's _Plan, exactly as the general path (_values, _language_map,
        _entry_slow) emits them: on a 10k-record catalog that took convert from 0.53 to 0.32 s (0.45 to 0.25 s
        with warm caches). Exact type tests: a str, list or dict subclass takes the general path."""
        plan = self.plans.get(key)
        if plan is None:
            plan = self.plans[key] = _plan(self.t, key)
        kind, predicate, coercion, language_map, key_pointer, text_suffix = plan
        if kind is _PROPERTY:  # the common case, decided once per key and context
            value_class = value.__class__
            if value_class is str:
                if text_suffix is not None:  # a literal, as _literal makes it; blank text is dropped unless typed
                    if text_suffix or (value and not value.isspace()):
                        if subject is not None and predicate is not None:
                            self.triples.append((subject, predicate, f'"{_escape(value)}"{text_suffix}'))
                        return
                elif coercion == "@id":
                    term = self.iri_terms.get(value)
                    if term is not None:
                        if subject is not None and predicate is not None:  # as emit does
                            self.triples.append((subject, predicate, term))
                            self.referenced.add(term)
                        return
            elif value_class is list:
                self._list(subject, plan, value, parent + key_pointer)
                return
            elif language_map and value_class is dict:
                if not self._one_language(subject, predicate, value):
                    self._language_map(subject, predicate, value, parent + key_pointer)
                return
            if language_map and isinstance(value, dict):
                self._language_map(subject, predicate, value, parent + key_pointer)
            else:
                self._values(subject, predicate, coercion, value, parent + key_pointer)
        elif kind is _TYPE:
            term = self.t.type_terms.get(value) if value.__class__ is str else None
            if term is None:
                self._entry_slow(subject, key, value, parent + key_pointer)
            elif subject is not None:
                self.triples.append((subject, RDF_TYPE, term))
        elif kind is _SLOW:
            self._entry_slow(subject, key, value, parent + key_pointer)

    def _list(self, subject: str | None, plan: _Plan, value: list, pointer: str) -> None:
        """A property's array: strings the quick way, each other item through _values (as its list branch)."""
        _, predicate, coercion, _, _, text_suffix = plan
        emit = subject is not None and predicate is not None
        triples = self.triples
        if text_suffix is not None:
            for i, item in enumerate(value):
                if item.__class__ is str and (text_suffix or (item and not item.isspace())):
                    if emit:
                        triples.append((subject, predicate, f'"{_escape(item)}"{text_suffix}'))
                else:
                    self._values(subject, predicate, coercion, item, f"{pointer}/{i}")
        elif coercion == "@id":
            iri_terms = self.iri_terms
            for i, item in enumerate(value):
                term = iri_terms.get(item) if item.__class__ is str else None
                if term is None:
                    self._values(subject, predicate, coercion, item, f"{pointer}/{i}")
                elif emit:
                    triples.append((subject, predicate, term))
                    self.referenced.add(term)
        else:
            for i, item in enumerate(value):
                self._values(subject, predicate, coercion, item, f"{pointer}/{i}")

    def _one_language(self, subject: str | None, predicate: str | None, value: dict) -> bool:
        """A language map of one known tag and one non-blank string (55k of 58k maps in a 10k-record
        catalog), emitted as _language_map would; False when that must do it."""
        if len(value) != 1:
            return False
        ((lang, item),) = value.items()
        suffix = self.t.language_suffixes.get(lang)
        if suffix is None:
            suffix = self.t.language_suffix(lang)
        if suffix is False or item.__class__ is not str or not item or item.isspace():
            return False
        if subject is not None and predicate is not None:
            self.triples.append((subject, predicate, f'"{_escape(item)}"{suffix}'))
        return True

    def _entry_slow(self, subject: str | None, key: str, value: Any, pointer: str) -> None:
        if key == "@type":
            for i, item in enumerate(_as_list(value)):
                if not isinstance(item, str):
                    raise Unsupported(f"{pointer}: non-string @type")
                where = f"{pointer}/{i}" if isinstance(value, list) else pointer
                self.emit(subject, RDF_TYPE, self._type_term(item, where))
            return
        if key in ("@id", "@context", "@index"):
            return
        if key in ("@reverse", "@included", "@nest", "@graph", "@list", "@set", "@value", "@language"):
            raise Unsupported(f"{pointer}: {key} is not handled by the fast converter")
        if key.startswith("@"):
            if _KEYWORD_LIKE.match(key):
                return  # pyld ignores unknown keyword-like keys
            raise Unsupported(f"{pointer}: key {key!r}")
        iri = self.t.predicate(key)
        if iri is None or not _PYLD_ABSOLUTE.match(iri):
            self.out.dropped.append(Dropped(pointer, "key", key))
            return  # expansion drops the key and everything under it
        # A blank-node predicate (``_:p``) is not RDF; nested nodes still count even when the link cannot.
        predicate = None if iri.startswith("_:") else self._iri_term(iri, pointer)
        if key in self.t.language_maps and isinstance(value, dict):
            self._language_map(subject, predicate, value, pointer)
            return
        self._values(subject, predicate, self.t.coercion.get(key), value, pointer)

    def _language_map(self, subject: str | None, predicate: str | None, value: dict, pointer: str) -> None:
        if "@value" in value:  # a value object where the map belongs: one finding, not one per "@…" key
            tag = value.get("@language")
            text = value["@value"]
            if isinstance(text, str) and len(text) > 60:  # the advice stays valid JSON, and short
                text = text[:57] + "…"
            wanted = {tag if isinstance(tag, str) and tag else "en-US": text}
            self.out.dropped.append(Dropped(pointer, "valueobject", json.dumps(wanted, ensure_ascii=False)))
            return
        for lang in sorted(value):
            items = value[lang]
            tag = None if lang == "@none" else lang.lower()
            known = tag is None or lang_ok(tag)  # else _literal reports it, item by item
            for i, item in enumerate(_as_list(items)):
                if item is None:
                    continue
                if known and isinstance(item, str) and not _blank(item):  # the common case, as _literal makes it
                    if subject is not None and predicate is not None:
                        literal = f'"{_escape(item)}"@{tag}' if tag is not None else f'"{_escape(item)}"'
                        self.out.triples.append((subject, predicate, literal))
                    continue
                where = f"{pointer}/{escape_pointer(lang)}" + (f"/{i}" if isinstance(items, list) else "")
                if not isinstance(item, str):
                    # pyld rejects the whole document here; we report it and keep the rest checkable.
                    self.out.dropped.append(Dropped(where, "langmap", json.dumps(item)[:80]))
                    continue
                if not known:  # quoted as written ("en_US"), not as lower-cased for RDF
                    self.out.dropped.append(Dropped(where, "language", lang))
                    continue
                self.emit(subject, predicate, self._literal(item, None, tag, where))

    def _values(self, subject: str | None, predicate: str | None, coercion: str | None, value: Any,
                pointer: str) -> None:
        if isinstance(value, list):
            for i, item in enumerate(value):
                if coercion is None and isinstance(item, str) and not _blank(item):  # as _literal makes it
                    if subject is not None and predicate is not None:
                        self.out.triples.append((subject, predicate, f'"{_escape(item)}"'))
                else:
                    self._values(subject, predicate, coercion, item, f"{pointer}/{i}")
            return
        if value is None:
            return
        if isinstance(value, dict):
            if "@value" in value:
                self.emit(subject, predicate, self._value_object(value, pointer))
            elif "@list" in value or "@set" in value or "@graph" in value:
                raise Unsupported(f"{pointer}: @list/@set/@graph values")
            else:
                if len(value) == 1 and isinstance(value.get("@id"), str) and value["@id"].startswith("_:"):
                    self.out.bnode_refs.append((pointer, value["@id"]))
                self.emit(subject, predicate, self.node(value, pointer))
        elif coercion == "@id" and isinstance(value, str):
            if value.startswith("_:"):
                self.out.bnode_refs.append((pointer, value))
            self.emit(subject, predicate, self._id_term(value, pointer))
        elif coercion == "@vocab":
            raise Unsupported(f"{pointer}: @type @vocab")
        else:
            datatype = coercion if coercion and not coercion.startswith("@") else None
            self.emit(subject, predicate, self._literal(value, datatype, None, pointer))

    def _value_object(self, value: dict, pointer: str) -> str | None:
        if set(value) - {"@value", "@type", "@language", "@index"}:
            raise Unsupported(f"{pointer}: value object with extra keys")
        raw, language, datatype = value["@value"], value.get("@language"), value.get("@type")
        if raw is None:
            return None
        if isinstance(raw, (dict, list)) or (language is not None and not isinstance(raw, str)):
            raise Unsupported(f"{pointer}: unusual value object")
        if datatype is not None:
            if not isinstance(datatype, str):
                raise Unsupported(f"{pointer}: @type of a value object")
            datatype = self.t.expand(datatype, vocab=True)
            if datatype is None or datatype.startswith("_:"):
                raise Unsupported(f"{pointer}: relative datatype")
        if language is not None:
            if not isinstance(language, str) or datatype is not None:
                raise Unsupported(f"{pointer}: @language")
            if not lang_ok(language.lower()):
                self.out.dropped.append(Dropped(pointer, "language", language))  # as written
                return None
            language = language.lower()
        return self._literal(raw, datatype, language, pointer)


def _blank(text: str) -> bool:
    """Empty or white space only: text that says nothing. Left out of the RDF (and reported), so that a
    required text property written as "" or "   " is missing, as it is to a reader."""
    return not text or text.isspace()


# _Plan kinds (compared with ``is``).
_PROPERTY, _TYPE, _SKIP, _SLOW = "property", "type", "skip", "slow"


class _Plan(NamedTuple):
    kind: str
    predicate: str | None = None  # the predicate term (None: a blank-node predicate, not emitted)
    coercion: str | None = None
    language_map: bool = False
    key_pointer: str = ""  # "/" + the key escaped for a JSON pointer
    # A string value's literal is '"text"' + this: "" (plain, blank text dropped) or "^^<datatype>"; None when
    # strings need more (an @id, an xsd:double lexical form, a datatype N-Triples cannot carry as it is).
    text_suffix: str | None = None


def _plan(tables: ContextTables, key: str) -> _Plan:
    """How every value of ``key`` converts: a property (its predicate term, coercion and language map), the
    @type key, a key to skip, or "slow" for other keywords, dropped keys and predicates N-Triples cannot carry
    (reported per place)."""
    if key in ("@id", "@context", "@index") or (_KEYWORD_LIKE.match(key) and key not in _HANDLED_KEYWORDS):
        return _Plan(_SKIP)
    key_pointer = f"/{escape_pointer(key)}"
    if key == "@type":
        return _Plan(_TYPE, key_pointer=key_pointer)
    if key.startswith("@"):
        return _Plan(_SLOW, key_pointer=key_pointer)
    iri = tables.predicate(key)
    if iri is None or not _PYLD_ABSOLUTE.match(iri):
        return _Plan(_SLOW, key_pointer=key_pointer)
    if iri.startswith("_:"):
        predicate = None
    elif iri_ok(iri):
        predicate = f"<{iri}>"
    else:
        return _Plan(_SLOW, key_pointer=key_pointer)
    coercion = tables.coercion.get(key)
    return _Plan(_PROPERTY, predicate, coercion, key in tables.language_maps, key_pointer, _text_suffix(coercion))


def _text_suffix(coercion: str | None) -> str | None:
    """_Plan.text_suffix: what _Converter._literal adds to a string under this coercion, where that needs no
    more than the string (no report, no blank node, no number form)."""
    if coercion is None or coercion == XSD_STRING:
        return ""
    if coercion.startswith("@") or coercion == XSD_DOUBLE or not iri_ok(coercion) or INVISIBLE.search(coercion):
        return None
    return f"^^<{coercion}>"


# Keywords _entry_slow acts on (the others that look like keywords are ignored, as pyld does).
_HANDLED_KEYWORDS = frozenset({"@type", "@reverse", "@included", "@nest", "@graph", "@list", "@set", "@value",
                               "@language"})


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _lexical(value: Any, datatype: str | None) -> tuple[str, str | None]:
    """pyld's ``_object_to_rdf`` for native JSON values: canonical numbers and default datatypes."""
    if isinstance(value, bool):
        return ("true" if value else "false"), datatype or XSD_BOOLEAN
    if isinstance(value, float) and not value.is_integer():
        if datatype == XSD_DECIMAL:  # the one place this module departs from JSON-LD 1.1: see _decimal_form
            return _decimal_form(value), XSD_DECIMAL
        return _canonical_double(value), datatype or XSD_DOUBLE
    if datatype == XSD_DOUBLE and not isinstance(value, str):
        return _canonical_double(float(value)), XSD_DOUBLE
    if datatype == XSD_DOUBLE:
        try:
            return _canonical_double(float(value)), XSD_DOUBLE
        except ValueError:
            return value, XSD_DOUBLE
    if isinstance(value, (int, float)):
        if abs(value) >= 1e21:
            return _canonical_double(value), datatype or XSD_DOUBLE
        return str(int(value)), datatype or XSD_INTEGER
    if not isinstance(value, str):
        raise Unsupported(f"value {value!r}")
    return value, datatype


def _beyond_double(value: Any, datatype: str | None) -> bool:
    """A number JSON-LD must write as an xsd:double that no double holds: infinity (a JSON ``1e400`` reads so)
    or NaN, and an integer of 10^21 or more (JSON-LD 1.1 §8.6 writes those as doubles) past ~1.8E308."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float):
        return value - value != 0  # inf - inf and nan - nan are nan
    if abs(value) < 1e21 and datatype != XSD_DOUBLE:  # exact: Python compares int and float without rounding
        return False
    try:
        float(value)
    except OverflowError:
        return True
    return False


def number_text(value: float | int) -> str:
    """A number as the file gives it, for a message: ``1e400`` as written (jsonio.OutOfRange), a long integer
    cut ("1000000000…0000 (401 digits)"); never raises (str() of a 5000-digit integer does)."""
    literal = getattr(value, "literal", None)
    if isinstance(literal, str):
        return literal
    if isinstance(value, float):
        return "NaN" if value != value else "Infinity" if value > 0 else "-Infinity"
    try:
        digits = str(value)
    except ValueError:
        return f"an integer of more than {sys.get_int_max_str_digits()} digits"
    return digits if len(digits) <= 24 else f"{digits[:10]}…{digits[-4:]} ({len(digits.lstrip('-'))} digits)"


def big_number_note(written: Any, shown: str | None) -> str:
    """What to add to a datatype finding whose value ``shown`` (e.g. "1.0E21") is the xsd:double form JSON-LD
    gave a JSON number of 10^21 or more (``written``: the property's value in the document, a list or value
    object allowed), else "". The triple is pyld's (JSON-LD 1.1 §8.6 Object to RDF); the finding must say
    that the number as written was fine and why it became a double."""
    for item in written if isinstance(written, list) else [written]:
        if isinstance(item, dict):
            item = item.get("@value")
        if (isinstance(item, (int, float)) and not isinstance(item, bool) and not _beyond_double(item, None)
                and abs(item) >= 1e21 and _canonical_double(item) == shown):
            plain = str(item) if isinstance(item, int) else format(Decimal(repr(item)), "f")
            return (f" (JSON-LD turns a number of 10^21 or more into an xsd:double, here {shown}: write it as a "
                    f"string, \"{plain}\", or a smaller number)")
    return ""


def _decimal_form(value: float) -> str:
    """A JSON number with a fraction under an ``xsd:decimal`` coercion (``"ceterms:price": 8900.5``), as a
    decimal: "8900.5". JSON-LD 1.1 (and pyld) write the xsd:double form, "8.9005E3"^^xsd:decimal, which is not
    a well-formed xsd:decimal, so every such price would be a Violation although it is how Credential
    Engine's own records and ``ctdl convert`` write prices (and rdflib, so pySHACL, reads it as 8900.5)."""
    return format(Decimal(repr(value)), "f")


def _canonical_double(value: float) -> str:
    return re.sub(r"(\d)0*E\+?(-)?0*(\d)", r"\1E\2\3", f"{value:1.15E}")


def convert(document: dict, label: str, skolem: bool = False) -> Conversion:
    """The N-Triples of one registry document (graph, /resources record or a single node).

    ``label`` must be unique per document in one validation run: blank nodes are ``_:<label>b<n>``, or
    ``<SKOLEM<label>b<n>>`` with ``skolem`` (what the engines are given).
    Raises :class:`Unsupported`: use :func:`convert_with_pyld` for that document.
    """
    context = bundled_url(document.get("@context"))
    if context is None:
        raise Unsupported("the @context is not a bundled CTDL context URL")
    conv = _Converter(context_tables(context), context, label, skolem)
    graph = document.get("@graph")
    if graph is None:
        conv.node(document, "")
        return conv.out
    # A top-level object with @graph: its own other properties (e.g. adms:status) describe the graph
    # node; pyld puts those in the default graph and the @graph content in a named graph. We validate
    # the union, so both are emitted as triples.
    if set(document) - {"@context", "@graph", "@id"}:
        conv.node(document, "", skip=("@graph",))
    for pointer, item in graph_items(graph):
        if not isinstance(item, dict):
            raise Unsupported(f"{pointer} is not an object")
        conv.node(item, pointer)
    return conv.out


def convert_with_pyld(document: dict, label: str, skolem: bool = False) -> Conversion:
    """The slow, complete path: pyld ``to_rdf`` with the offline loader; graph names are dropped."""
    from pyld import jsonld

    from ctdl_tools.vocab import offline_loader

    nquads = jsonld.to_rdf(document, {"documentLoader": offline_loader(), "format": "application/n-quads"})
    out = Conversion(exact=False)
    for quad in pyoxigraph.parse(nquads.encode("utf-8"), format=pyoxigraph.RdfFormat.N_QUADS):
        terms = [_relabel(str(t), label, skolem) for t in (quad.subject, quad.predicate, quad.object)]
        out.triples.append((terms[0], terms[1], terms[2]))
        out.defined.add(terms[0])
        if terms[2].startswith("<") and terms[1] != RDF_TYPE:
            out.referenced.add(terms[2])
    for pointer, iri in _ids(document, ""):
        out.pointers.setdefault(f"<{iri}>", pointer)
    return out


def _relabel(term: str, label: str, skolem: bool) -> str:
    if not term.startswith("_:"):
        return term
    return f"<{SKOLEM}{label}p{term[2:]}>" if skolem else f"_:{label}p{term[2:]}"


def is_skolem(term: str) -> bool:
    return term.startswith(f"<{SKOLEM}")


def _ids(node: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if isinstance(node.get("@id"), str):
            yield pointer, node["@id"]
        for key, value in node.items():
            yield from _ids(value, f"{pointer}/{escape_pointer(key)}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _ids(value, f"{pointer}/{i}")


@cache
def ontology_ntriples() -> str:
    """``rdfs:subClassOf`` triples of the bundled vocabulary.

    Added to every data graph so that ``sh:targetClass ceterms:Credential`` and ``sh:class`` reach
    ``ceterms:BachelorDegree`` nodes (SHACL follows subClassOf in the *data* graph): ~200 triples
    once per run instead of extra rdf:type triples on every node.
    """
    return ntriples(ontology_triples())


@cache
def ontology_triples() -> tuple[tuple[str, str, str], ...]:
    """:func:`ontology_ntriples` as (s, p, o) terms."""
    vocab = vocabulary()
    return tuple((f"<{vocab.expand(cls.id)}>", RDFS_SUBCLASS, f"<{vocab.expand(sup)}>")
                 for cls in sorted(vocab.classes.values(), key=lambda c: c.id) for sup in sorted(cls.superclasses))


def dumps_compact(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True)
