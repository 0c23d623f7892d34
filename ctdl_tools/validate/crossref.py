"""Checks across everything submitted: CTIDs, references, frameworks, inverse relations.

These are plain Python over the JSON (one pass, dictionaries), not SHACL-SPARQL: the research note (§2.6,
§3.4) measured ``sh:sparql`` uniqueness at ~6 ms per node in pyshacl and quadratic in ``shacl`` 0.3.4.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ctdl_tools.ctid import REGISTRY_BASE, SANDBOX_BASE, ctid_in_uri
from ctdl_tools.jsonio import MAX_DEPTH, TooDeep
from ctdl_tools.jsonscan import escape_pointer
from ctdl_tools.validate.loader import GRAPH, Document
from ctdl_tools.validate.prepass import finding
from ctdl_tools.validate.result import Finding
from ctdl_tools.vocab import vocabulary

REGISTRY_URI = re.compile(r"^https://(sandbox\.)?credentialengineregistry\.org/(resources|graph)/ce-[0-9a-fA-F-]{36}$")
# CTDL-ASN pairs the vocabulary does not declare with owl:inverseOf.
EXTRA_INVERSES = (("ceasn:hasTopChild", "ceasn:isTopChildOf"),)


@dataclass(slots=True)
class Node:
    doc: Document
    pointer: str  # inside the document
    data: dict
    id: str | None = field(init=False)  # its @id when that is a string; read ~3× per node per run

    def __post_init__(self) -> None:
        value = self.data.get("@id")
        self.id = value if isinstance(value, str) else None


@dataclass
class Index:
    """Every described node (an object with @id and content) of the submission, by @id."""

    nodes: dict[str, list[Node]] = field(default_factory=lambda: defaultdict(list))
    by_ctid: dict[str, list[Node]] = field(default_factory=lambda: defaultdict(list))
    # Made once per run, on first use (per competency they made the checks quadratic in a framework's size):
    listed: dict[int, set[str]] = field(default_factory=dict)  # id(framework data) → the competencies it lists
    node_ids: dict[int, set[str]] = field(default_factory=dict)  # document index → the @ids of its nodes


@cache
def reference_properties() -> frozenset[str]:
    """IRI-valued properties whose range includes a top-level (CTID-bearing) class."""
    vocab = vocabulary()
    # Concepts (skos:Concept has a CTID when published in a scheme) are checked against their schemes,
    # not as references: creditUnitType "creditUnit:SemesterHour" is not a record to look up.
    top = vocab.top_level_classes - {"skos:Concept", "skos:ConceptScheme"}
    return frozenset(p.id for p in vocab.properties.values()
                     if p.id in vocab.iri_valued and not p.target_schemes and any(r in top for r in p.range))


@cache
def alignment_properties() -> frozenset[str]:
    """References meant to point outside the registry too: alignments of a competency or resource to another
    framework's (CASE, ESCO, O*NET URIs). An external IRI there is what they are for, not a Warning."""
    named = ("ceasn:alignFrom", "ceasn:alignTo", "ceasn:crossSubjectReference")
    return frozenset(p for p in reference_properties() if p.endswith("Alignment") or p in named)


@cache
def inverse_pairs() -> tuple[tuple[str, str], ...]:
    vocab = vocabulary()
    pairs = {tuple(sorted((p.id, inv))) for p in vocab.properties.values() for inv in p.inverse_of}
    return tuple(sorted(pairs | set(EXTRA_INVERSES)))


_WALKED: dict[int, list[Node]] = {}


@cache
def crossref_keys() -> frozenset[str]:
    """The keys the cross-record checks read."""
    pairs = {p for pair in inverse_pairs() for p in pair}
    return reference_properties() | pairs | {"@id", "@type", "@graph", "@context", "ceterms:ctid",
                                             "ceasn:isPartOf", "ceasn:hasTopChild", "ceasn:hasChild"}


def prune(value: Any, keep: bool = False) -> Any:
    """What the cross-record checks need of a document, so 100k documents fit in memory.

    Ids, types, CTIDs and reference properties are kept; other keys only where they lead to nested
    nodes, and lists keep their length (pointers stay valid). A node that had content besides its
    @id keeps a marker, so it still counts as described rather than referenced.
    """
    if type(value) is dict:
        return _prune_object(value, crossref_keys(), MAX_DEPTH)[0]
    if type(value) is list:
        return _prune_array(value, keep, crossref_keys(), MAX_DEPTH)[0]
    return value if keep else None


# Validation's first walk over every container, so it is where input nested too deep for the later, recursive
# ones (the converter's, the cross-record checks') is caught: TooDeep. ``room``: levels left before MAX_DEPTH.
# Each returns (the pruned container, whether a node object is in it): one walk instead of a walk per level.
# `type(x) is dict` (documents hold plain dicts and lists: parsed, or copied by jsonio.plain_json) and a function
# per kind of container, not one taking both: 10k records, 0.21 s → 0.10 s.
def _prune_object(value: dict, keys: frozenset[str], room: int) -> tuple[dict, bool]:
    if room <= 0:
        raise TooDeep
    room -= 1
    nodes = "@id" in value or "@type" in value
    out = {}
    for key, item in value.items():
        kind = type(item)
        if kind is dict:
            kept, has_node = _prune_object(item, keys, room)
        elif kind is list:
            kept, has_node = _prune_array(item, key in keys, keys, room)
        else:
            if key in keys:
                out[key] = item
            continue
        if has_node:
            out[key] = kept
            nodes = True
        elif key in keys:
            out[key] = kept
    if "@id" in value and len(value) > 1 and len(out) < 2:
        out["@described"] = True
    return out, nodes


def _prune_array(value: list, keep: bool, keys: frozenset[str], room: int) -> tuple[list, bool]:
    if room <= 0:
        raise TooDeep
    room -= 1
    out = list(value) if keep else [None] * len(value)  # plain values: the common case
    nodes = False
    for i, item in enumerate(value):
        kind = type(item)
        if kind is dict:
            out[i], has_node = _prune_object(item, keys, room)
        elif kind is list:
            out[i], has_node = _prune_array(item, keep, keys, room)
        else:
            continue
        nodes = nodes or has_node
    return out, nodes


def walk(doc: Document) -> list[Node]:
    """Every JSON object with @id or @type in the document (top-level and embedded); computed once, or
    taken from ``doc.walked``."""
    nodes = _WALKED.get(doc.index)
    if nodes is None or (nodes and nodes[0].doc is not doc):
        listed = node_list(doc) if doc.walked is None else doc.walked
        nodes = _WALKED[doc.index] = [Node(doc, pointer, data) for pointer, data in listed]
    return nodes


def node_list(doc: Document) -> list[tuple[str, dict]]:
    """(pointer, object) of every node object (one with @id or @type), depth first; only containers are
    visited."""
    out: list[tuple[str, dict]] = []
    for pointer, node in doc.nodes:
        _in_object(node, pointer, out)
    return out


# Module functions, not closures: two nested functions that call each other form a reference cycle, which
# validation (run with the cyclic collector paused) would keep, with every node list, until the end.
# A pointer is made only for a container that is walked into (not for a list of plain values, most lists), and
# each key's pointer token is made once per run (_TOKENS): 10k records, 0.063 s → 0.047 s.
def _in_object(value: dict, pointer: str, out: list[tuple[str, dict]]) -> None:
    if "@id" in value or "@type" in value:
        out.append((pointer, value))
    for key, item in value.items():
        kind = type(item)
        if (kind is dict or kind is list) and key != "@context":
            token = _TOKENS.get(key) or _token(key)
            if kind is dict:
                _in_object(item, f"{pointer}/{token}", out)
            else:
                _in_array(item, pointer, token, out)


def _in_array(value: list, above: str, token: str, out: list[tuple[str, dict]]) -> None:
    """The nodes in an array, member ``token`` of the container at ``above``."""
    pointer = None
    for i, item in enumerate(value):
        kind = type(item)
        if kind is dict or kind is list:
            pointer = pointer or f"{above}/{token}"
            if kind is dict:
                _in_object(item, f"{pointer}/{i}", out)
            else:
                _in_array(item, pointer, str(i), out)


_TOKENS: dict[str, str] = {}  # member name → its JSON pointer token (RFC 6901); a vocabulary's worth of names


def _token(key: str) -> str:
    token = escape_pointer(key)
    if len(_TOKENS) < 10_000:
        _TOKENS[key] = token
    return token


def build_index(documents: list[Document]) -> Index:
    index = Index()
    for doc in documents:
        for node in walk(doc):
            if node.id and len(node.data) > 1 and not node.id.startswith("_:"):
                index.nodes[node.id].append(node)
            ctid = node.data.get("ceterms:ctid")
            if isinstance(ctid, str):
                index.by_ctid[ctid.strip().lower()].append(node)
    return index


def check(documents: list[Document]) -> list[Finding]:
    _WALKED.clear()
    try:
        index = build_index(documents)
        out = list(duplicate_ctids(index))
        for doc in documents:
            out.extend(references(doc, index))
            out.extend(frameworks(doc, index))
        out.extend(inverses(documents, index))
        return out
    finally:
        _WALKED.clear()


MAIN_POINTERS = ("", "/@graph/0", "/@graph")  # where a document's main resource is


def duplicate_ctids(index: Index) -> Iterator[Finding]:
    for ctid, nodes in sorted(index.by_ctid.items()):
        ids = {n.id for n in nodes}
        mains = [n for n in nodes if _is_main(n)]
        # An organisation repeated as a full node in several graphs is one resource described twice; two
        # @ids with one CTID, or two records submitted with the same main CTID, is what the registry rejects.
        if len(ids) > 1 or len(mains) > 1:
            for node in _charged(nodes, ctid):
                # Where, not only what: two files may describe the same @id with the CTID.
                others = sorted(f"{n.id or 'a blank node'} ({n.doc.file} at {n.doc.base}{n.pointer or '/'})"
                                for n in nodes if n is not node)
                written = node.data.get("ceterms:ctid")  # as this node writes it (the index compares lower case)
                yield finding(node.doc, "XREF-CTID-DUPLICATE", f"{node.pointer}/ceterms:ctid",
                              f"CTID {ctid} is also used by {', '.join(others[:3])}"
                              + (" …" if len(others) > 3 else ""), prop="ceterms:ctid",
                              value=written if isinstance(written, str) else ctid)


def _charged(nodes: list[Node], ctid: str) -> list[Node]:
    """The nodes a shared CTID is reported on. When one record's @id ends with the CTID and the others'
    do not, the others took it (a CTID copied from another record: STRUCT-CTID-MATCHES-ID says so too); the
    record that owns it is named in their finding, not failed with them. Several records whose @id ends with
    it (the same record submitted in several files) are duplicates of each other too: each is reported."""
    owns = [n.id is not None and ctid_in_uri(n.id) == ctid for n in nodes]
    if all(owns) or not any(owns):
        return nodes
    main_owners = sum(1 for n, own in zip(nodes, owns, strict=True) if own and _is_main(n))
    return [n for n, own in zip(nodes, owns, strict=True) if not own or (main_owners > 1 and _is_main(n))]


def _is_main(node: Node) -> bool:
    return node.pointer in MAIN_POINTERS


def _items(node: dict, key: str) -> list:
    """A property's values: its list, or its one value as a list of one."""
    value = node.get(key)
    return value if isinstance(value, list) else [value]


def _values(node: dict, key: str) -> Iterator[tuple[str, object]]:
    """(pointer inside the node, value) of each of a property's values."""
    many = isinstance(node.get(key), list)
    for i, item in enumerate(_items(node, key)):
        yield (f"/{escape_pointer(key)}/{i}" if many else f"/{escape_pointer(key)}"), item


def vocabulary_term(ref: str) -> bool:
    """A class, property or concept of the vocabulary (``credentialType`` "ceterms:Certificate"), not a
    record: nothing to look up in the submission or the registry."""
    terms, namespaces, vocab = _vocabulary_terms()
    if "://" in ref:
        return ref.startswith(namespaces) and vocab.compact(ref) in terms
    return ref in terms


@cache
def _vocabulary_terms() -> tuple[frozenset[str], tuple[str, ...], Any]:
    vocab = vocabulary()
    return frozenset([*vocab.classes, *vocab.properties, *vocab.concepts]), tuple(vocab.prefixes.values()), vocab


def _reference(item: object) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and set(item) == {"@id"} and isinstance(item["@id"], str):
        return item["@id"]
    return None


def references(doc: Document, index: Index) -> Iterator[Finding]:
    props, described, alignments = reference_properties(), index.nodes, alignment_properties()
    for node in walk(doc):
        for key, value in node.data.items():
            if key not in props:
                continue
            # Most references resolve: look before making pointers.
            if isinstance(value, str) and value in described:
                continue
            for pointer, item in _values(node.data, key):
                ref = _reference(item)
                if not ref or ref.startswith("_:") or ref in described or vocabulary_term(ref):
                    continue
                rule = "XREF-REGISTRY-REFERENCE" if REGISTRY_URI.match(ref) else "XREF-EXTERNAL-REFERENCE"
                if rule == "XREF-EXTERNAL-REFERENCE" and key in alignments:
                    continue
                record = _record_named(ref, described) if rule == "XREF-REGISTRY-REFERENCE" else None
                if record is not None:  # the record is here, named by its graph or on the other registry
                    rule, said = "XREF-OTHER-URI", f"{key} refers to {ref}, {_other_uri(ref, record)}"
                else:
                    said = f"{key} refers to {ref}, which is not in this submission" + (
                        ": it must already be published" if rule == "XREF-REGISTRY-REFERENCE"
                        else " and is not a Credential Registry URI")
                yield finding(doc, rule, node.pointer + pointer, said, prop=key, value=ref)


_HOSTS = (f"{REGISTRY_BASE}/", f"{SANDBOX_BASE}/")


def _record_named(ref: str, described: dict[str, list[Node]]) -> str | None:
    """The @id of a record of the submission that a registry URI names by another form: its /graph/ document,
    or the same CTID on the other registry (production ↔ sandbox)."""
    resource = ref.replace("/graph/", "/resources/", 1)
    host = next((h for h in _HOSTS if resource.startswith(h)), None)
    if host is None:
        return None
    candidates = (other + resource[len(host):] for other in _HOSTS)
    return next((c for c in candidates if c != ref and c in described), None)


def _other_uri(ref: str, record: str) -> str:
    graph = "/graph/" in ref
    other_host = ref.split("/", 3)[2] != record.split("/", 3)[2]
    what = ("a graph document on the other registry" if graph and other_host else
            "a graph document" if graph else "the other registry's copy")
    return f"{what}; the record is in this submission as {record}: refer to records by their own URI"


def node_types(node: dict) -> set[str]:
    """The node's @type values that are strings (one, or a list)."""
    value = node.get("@type")
    return {t for t in value if isinstance(t, str)} if isinstance(value, list) else (
        {value} if isinstance(value, str) else set())


def _ids(node: dict, key: str) -> set[str]:
    return {ref for item in _items(node, key) if (ref := _reference(item))}


def frameworks(doc: Document, index: Index) -> Iterator[Finding]:
    """Competencies name, with ceasn:isPartOf, the framework whose graph holds them (or that lists them)."""
    nodes = doc.nodes
    first = nodes[0][1] if doc.kind == GRAPH and nodes else {}
    framework = first if "ceasn:CompetencyFramework" in node_types(first) else None
    for pointer, node in nodes:
        if "ceasn:Competency" not in node_types(node):
            continue
        parts = _ids(node, "ceasn:isPartOf")
        if framework is not None and isinstance(framework.get("@id"), str):
            if parts and framework["@id"] not in parts:
                yield finding(doc, "XREF-COMPETENCY-FRAMEWORK", f"{pointer}/ceasn:isPartOf",
                              f"this competency is in the graph of framework {framework['@id']} but its "
                              f"ceasn:isPartOf names {', '.join(sorted(parts))}", prop="ceasn:isPartOf",
                              value=", ".join(sorted(parts)))
            continue
        for part in sorted(parts):  # a competency outside its framework's graph
            owner = _framework(part, index)
            if owner is not None and not _lists(owner, node, index):
                yield finding(doc, "XREF-COMPETENCY-FRAMEWORK", f"{pointer}/ceasn:isPartOf",
                              f"ceasn:isPartOf names framework {part}, which does not list this competency",
                              prop="ceasn:isPartOf", value=part)
    yield from _listed_but_not_part(doc, index)


def _listed_but_not_part(doc: Document, index: Index) -> Iterator[Finding]:
    """A framework of this document lists (hasTopChild, hasChild) a competency another document describes
    whose ceasn:isPartOf names another framework, one not in the submission (a framework in it that does not
    list the competency is reported above)."""
    for _, node in doc.nodes:
        fid = node.get("@id")
        if "ceasn:CompetencyFramework" not in node_types(node) or not isinstance(fid, str):
            continue
        for cid in sorted(_listed(node, index)):
            for competency in index.nodes.get(cid, []):
                parts = _ids(competency.data, "ceasn:isPartOf")
                if (competency.doc is doc or "ceasn:Competency" not in node_types(competency.data) or not parts
                        or fid in parts or any(_framework(p, index) for p in parts)):
                    continue
                yield finding(competency.doc, "XREF-COMPETENCY-FRAMEWORK", f"{competency.pointer}/ceasn:isPartOf",
                              f"framework {fid} lists this competency, but its ceasn:isPartOf names "
                              f"{', '.join(sorted(parts))}", prop="ceasn:isPartOf", value=", ".join(sorted(parts)))


def _framework(iri: str, index: Index) -> Node | None:
    return next((n for n in index.nodes.get(iri, []) if "ceasn:CompetencyFramework" in node_types(n.data)), None)


def _lists(framework: Node, competency: dict, index: Index) -> bool:
    cid = competency.get("@id")
    if framework.doc.kind == GRAPH:
        ids = index.node_ids.get(framework.doc.index)
        if ids is None:
            ids = index.node_ids[framework.doc.index] = {n.get("@id") for _, n in framework.doc.nodes}
        if cid in ids:
            return True
    return cid in _listed(framework.data, index)


def _listed(framework: dict, index: Index) -> set[str]:
    """The competencies a framework lists: hasTopChild, and hasChild down from them (as described here);
    walked once per framework and run."""
    found = index.listed.get(id(framework))
    if found is None:
        found = index.listed[id(framework)] = _walk_listed(framework, index)
    return found


def _walk_listed(framework: dict, index: Index) -> set[str]:
    seen: set[str] = set()
    todo = list(_ids(framework, "ceasn:hasTopChild"))
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for node in index.nodes.get(current, []):
            todo.extend(_ids(node.data, "ceasn:hasChild"))
    return seen


def _may_have(data: dict, prop: str) -> bool:
    """Whether a node of its @type may have ``prop`` (its domain, with subclasses). A competency's isChildOf
    naming a framework (which has hasTopChild, not hasChild) is a wrong link, which STRUCT-RANGE reports: asking
    the framework for hasChild would be wrong advice."""
    types = node_types(data)
    domain = _domain_closure(prop)
    return not types or not domain or any(t in domain for t in types)


@cache
def _domain_closure(prop: str) -> frozenset[str]:
    vocab = vocabulary()
    info = vocab.properties.get(prop)
    return frozenset(c for cls in (info.domain if info else ()) for c in vocab.subclasses(cls))


def inverses(documents: list[Document], index: Index) -> Iterator[Finding]:
    """A P B with both described here: B must say P⁻¹ A. Reported on the node that lacks the link."""
    inverse_of: dict[str, list[str]] = {}  # both directions of every pair
    for forward, backward in inverse_pairs():
        inverse_of.setdefault(forward, []).append(backward)
        inverse_of.setdefault(backward, []).append(forward)
    # A node's references by property, each set made once: a framework's 100k hasTopChild were made again
    # for each of its 100k competencies' isTopChildOf (time growing with the square of the framework).
    said: dict[tuple[int, str], set[str]] = {}

    def ids(data: dict, prop: str) -> set[str]:
        found = said.get((id(data), prop))
        if found is None:
            found = said[id(data), prop] = _ids(data, prop)
        return found

    for doc in documents:
        for node in walk(doc):
            if not node.id:
                continue
            for prop in sorted(k for k in node.data if k in inverse_of):
                for target in sorted(ids(node.data, prop)):
                    for other in index.nodes.get(target, []):
                        for inverse in inverse_of[prop]:
                            if node.id not in ids(other.data, inverse) and _may_have(other.data, inverse):
                                yield finding(other.doc, "XREF-INVERSE", other.pointer,
                                              f"{node.id} says {prop} {target}, but {target} has no "
                                              f"{inverse} {node.id}", prop=inverse, value=node.id)
