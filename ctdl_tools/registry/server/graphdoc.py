"""Graph documents as the registry sees them: publish-schema checks, digests, node index, base URLs.

Base URLs (a decision): documents are stored exactly as published, with their original ``@id``s (the
digest, ``decoded_resource`` of envelopes and the Assistant's ``Payload`` are the published bytes'
content). JSON-LD read endpoints (``/resources``, ``/graph``, ``/graph/search``, ``/resources/search``)
and the HTML pages rewrite ``/resources/`` and ``/graph/`` URIs on Credential Engine's production,
sandbox and staging hosts to this server's ``--base-url``, so every link in what a client reads resolves
on the registry that served it. Matching an existing envelope for update uses the ``@id`` with any of
those hosts (and our own base URL) removed, so a document re-published after switching between the
sandbox and a local base updates in place instead of clashing with itself.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ctdl_tools.ctdl_files import main_ctid, texts_of
from ctdl_tools.ctid import ctid_in_uri

CTID_ANY_CASE = re.compile(r"^ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_CE_HOSTS = r"https?://(?:sandbox\.|staging\.)?credentialengineregistry\.org"
_CE_URI = re.compile(_CE_HOSTS + r"(?:/ce-registry|/ce_registry)?/(resources|graph)/")
NAME_KEYS = ("ceterms:name", "ceasn:name", "skos:prefLabel", "ceasn:competencyLabel", "ceasn:competencyText")
DESCRIPTION_KEYS = ("ceterms:description", "ceasn:description", "skos:definition", "ceasn:comment")
COMPETENCY = "ceasn:Competency"
# A competency's own description: its text, when its label is its name (competencyText is last of NAME_KEYS, so a
# labelled competency's heading is its label); its ceasn:comment is a fact of its own on its page.
COMPETENCY_DESCRIPTION_KEYS = ("ceasn:competencyText", "ceterms:description", "ceasn:description", "skos:definition")
LANGUAGES = ("en-US", "en", "en-us")
# What search finds: the name in every language, other names, the codes people search by (a course code, CIP /
# SOC / NAICS codes, an identifier), and the description in every language (search_terms).
TERM_KEYS = (*NAME_KEYS, "ceterms:alternateName", "ceasn:altCodedNotation", "ceterms:codedNotation",
             "ceasn:codedNotation")
CODE_KEYS = ("ceterms:occupationType", "ceterms:instructionalProgramType", "ceterms:industryType", "ceterms:naics",
             "ceterms:identifier")


class SchemaError(Exception):
    """The document fails the registry's publish schema; ``errors`` are ``{property: message}`` maps."""

    def __init__(self, errors: list[dict[str, str]] | list[str]) -> None:
        super().__init__(str(errors))
        self.errors = errors


def check_publish_schema(document: Any) -> None:
    """The registry's only publish-time checks (``fixtures/schemas/publish_envelope.json``) plus the
    main node's CTID, which the registry needs to file the envelope at all, and its agreement with the
    CTID a registry ``@id`` ends with."""
    if not isinstance(document, dict):
        raise SchemaError(["The document must be a JSON object with @id and @graph"])
    errors: list[dict[str, str]] = []
    for key in ("@id", "@graph"):
        if key not in document:
            errors.append({key: "is required"})
    if "@id" in document and not isinstance(document["@id"], str):
        errors.append({"@id": "must be a string"})
    graph = document.get("@graph")
    if "@graph" in document and (not isinstance(graph, list) or not graph):
        errors.append({"@graph": "must be a non-empty array"})
    elif isinstance(graph, list):
        errors += _node_errors(graph)
    if not errors:
        errors += _ctid_errors(graph[0]) or _agreement_errors(document)  # type: ignore[index]
    if errors:
        raise SchemaError(errors)


def _node_errors(graph: list[Any]) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    for node in graph:
        if not isinstance(node, dict):
            errors.append({"@graph": "items must be objects"})
            continue
        for key in ("@id", "@type"):
            if key not in node:
                errors.append({key: "is required"})
            elif not isinstance(node[key], str):
                errors.append({key: "must be a string"})
    unique: list[dict[str, str]] = []
    for error in errors:  # one message per problem, not one per node
        if error not in unique:
            unique.append(error)
    return unique


def _ctid_errors(main: dict) -> list[dict[str, str]]:
    ctid = main.get("ceterms:ctid")
    if ctid is None:
        return [{"ceterms:ctid": "is required"}]
    if not isinstance(ctid, str) or not CTID_ANY_CASE.match(ctid.strip()):
        return [{"ceterms:ctid": "must be ce- followed by a UUID"}]
    return []


def _agreement_errors(document: dict) -> list[dict[str, str]]:
    """The CTID in a registry ``@id`` must be the main node's: Credential Engine's registry refuses an
    envelope whose CTID differs from its resource's, and the envelope would be filed under one CTID while
    its ``@id`` points at another. ``document`` has a string ``@id`` and a main node with a string CTID."""
    in_id, ctid = ctid_in_uri(document["@id"]), main_ctid(document)
    errors = []
    if in_id is not None and in_id != ctid:
        errors.append({"@id": f"names CTID {in_id}, but the main resource's ceterms:ctid is {ctid}; they must match"})
    # The main node's own @id too: a record filed under its CTID but calling itself another (served under
    # one identity, naming another) would replace the envelope of the CTID it carries.
    graph = document.get("@graph")
    main = graph[0] if isinstance(graph, list) and graph and isinstance(graph[0], dict) else {}
    node_id = main.get("@id")
    in_node = ctid_in_uri(node_id) if isinstance(node_id, str) else None
    if in_node is not None and in_node != ctid:
        errors.append({"@graph/0/@id": f"names CTID {in_node}, but its ceterms:ctid is {ctid}; they must match"})
    return errors


def canonical(document: Any) -> bytes:
    """Key-sorted, compact JSON: the same content gives the same bytes whatever the key order."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(document: Any) -> str:
    """``resource_digest``: base64 of the SHA-256 of the canonical resource, as the registry shows it."""
    return base64.b64encode(hashlib.sha256(canonical(document)).digest()).decode("ascii")


def stored_form(document: dict) -> str:
    """The text kept in the database: the document verbatim, top-level keys ordered as the registry does."""
    lead = [k for k in ("@context", "@id", "@graph") if k in document]
    ordered = {k: document[k] for k in lead} | {k: v for k, v in document.items() if k not in lead}
    return json.dumps(ordered, ensure_ascii=False, separators=(",", ":"))


def resource_key(uri: str, base_url: str) -> str:
    """The ``@id`` with registry hosts removed: the identity used to find the envelope to update."""
    text, base = uri.strip(), base_url.rstrip("/")
    match = _CE_URI.match(text)
    if match:
        return f"/{match.group(1)}/{text[match.end():]}".lower()  # CTIDs are case-insensitive
    if text.startswith((base + "/resources/", base + "/graph/")):
        return text[len(base):].lower()
    return text


def ctid_of(value: str) -> str | None:
    """A CTID given as itself (any case) or at the end of a registry URI."""
    text = value.strip()
    if CTID_ANY_CASE.match(text):
        return text.lower()
    return ctid_in_uri(text)


def shown_language(value: dict) -> Any:
    """The key of a language map whose text is shown: the first of LANGUAGES it has, else its first key (None
    for an empty map)."""
    return next((lang for lang in LANGUAGES if lang in value), next(iter(value), None))


def text_of(value: Any) -> str:
    """A display string from a plain string, a language map or a list of either."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return text_of(value[shown_language(value)]) if value else ""
    if isinstance(value, list):
        return "; ".join(t for t in (text_of(v) for v in value) if t)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def first_text(node: dict, keys: tuple[str, ...]) -> str:
    for key in keys:
        text = text_of(node.get(key))
        if text:
            return text
    return ""


def description_key(node: dict) -> str | None:
    """The property whose text is the node's description, on its page and in the search list (one rule, so they
    agree). A competency's is its text when its label is its name, and never its name again (ESCO without
    descriptions: the label is the text)."""
    if node.get("@type") != COMPETENCY:
        return next((key for key in DESCRIPTION_KEYS if text_of(node.get(key))), None)
    name = first_text(node, NAME_KEYS).strip()
    for key in COMPETENCY_DESCRIPTION_KEYS:
        text = text_of(node.get(key))
        if text and text.strip() != name:
            return key
    return None


LISTED_DESCRIPTION_CHARS = 2000  # the stored description column, which the search list shows


def shown_description(node: dict) -> str:
    key = description_key(node)
    return text_of(node.get(key)) if key else ""


# Bump when search_terms changes what it indexes: a registry opened later writes its stored rows' terms again.
# 2: the shown name and description come first, and descriptions in every language are terms too (search
# compared each row's name and description columns, case-folded per query).
# 3: the description is the one the node's page shows (description_key: a labelled competency's text, not its
# comment); the stored description column is written again with the terms.
SEARCH_TERMS_VERSION = 3


def search_terms(node: dict) -> str:
    """Names in every language, alternate names, codes and descriptions, one per line and case-folded, for the
    search page: the one column search reads. Folded here, once: SQLite's LIKE folds ASCII letters only
    ("évaluation" missed "Évaluation"), and folding each row's name and description in every query, in a Python
    function SQLite calls per row, made searching 14k competencies take 3× as long."""
    # What the page shows first (as text_of reads it: a name that is a number too), so a long text elsewhere
    # cannot push them past the end.
    terms = [first_text(node, NAME_KEYS), shown_description(node)]
    terms += [t for key in TERM_KEYS for t in texts_of(node.get(key))]
    for key in CODE_KEYS:
        for item in node.get(key) if isinstance(node.get(key), list) else [node.get(key)]:
            if isinstance(item, str):
                terms.append(item)
            elif isinstance(item, dict):
                terms += texts_of(item.get("ceterms:codedNotation"))
                terms += texts_of(item.get("ceterms:identifierValueCode"))
    terms += [t for key in DESCRIPTION_KEYS for t in texts_of(node.get(key))]  # last: the longest, cut first
    return "\n".join(dict.fromkeys(t.strip().casefold() for t in terms if t.strip()))[:8000]


@dataclass(frozen=True)
class IndexedNode:
    position: int
    node_id: str
    ctid: str | None
    type: str
    name: str
    description: str
    terms: str = ""
    node: str = ""  # the node's own JSON (node_json), so that its page need not parse the whole graph
    children: str = "[]"  # JSON array of the positions of its narrower competencies (competency_children)


def node_json(node: Any) -> str:
    """One node as stored on its own row: compact, as published (stored_form's way of writing JSON)."""
    return json.dumps(node, ensure_ascii=False, separators=(",", ":"))


def index_nodes(graph: list[dict]) -> list[IndexedNode]:
    """One row per node, for lookups by CTID / ``@id``, for the search page, and for a node's own page (its JSON
    and its narrower competencies, read without the rest of the graph)."""
    rows = []
    children = competency_children(graph)
    for position, node in enumerate(graph):
        raw_ctid = node.get("ceterms:ctid")
        ctid = raw_ctid.strip().lower() if isinstance(raw_ctid, str) and CTID_ANY_CASE.match(raw_ctid.strip()) else None
        rows.append(IndexedNode(position, str(node["@id"]), ctid, str(node["@type"]),
                                first_text(node, NAME_KEYS)[:500], shown_description(node)[:LISTED_DESCRIPTION_CHARS],
                                search_terms(node), node_json(node), json.dumps(children.get(position, []))))
    return rows


def _competency_positions(graph: list[Any]) -> tuple[list[int], Callable[[Any], int | None]]:
    """The positions of a graph's competencies (the main node is never one), and a function from a reference
    (an ``@id``, a registry URI, a CTID, or ``{"@id": …}``) to the position of the competency it names."""
    positions = [p for p, n in enumerate(graph) if p > 0 and isinstance(n, dict) and n.get("@type") == COMPETENCY]
    key = {str(graph[p].get("@id")): p for p in positions}
    for p in positions:
        ctid = graph[p].get("ceterms:ctid")
        if isinstance(ctid, str):
            key.setdefault(ctid.lower(), p)

    def position(ref: Any) -> int | None:
        ref = ref.get("@id") if isinstance(ref, dict) else ref
        if not isinstance(ref, str):
            return None
        found = key.get(ref)
        return found if found is not None else key.get(ctid_of(ref) or "")

    return positions, position


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def competency_children(graph: list[Any]) -> dict[int, list[int]]:
    """Position of each competency → positions of its narrower competencies, in order: those its ``hasChild``
    lists, then those that name it in ``isChildOf`` and that no competency lists in ``hasChild`` (a framework
    that gives only ``isChildOf``). Linear in the size of the graph."""
    positions, position = _competency_positions(graph)
    children = {p: [k for k in map(position, _as_list(graph[p].get("ceasn:hasChild"))) if k is not None]
                for p in positions}
    listed = {k for kids in children.values() for k in kids}
    for p in positions:
        if p in listed:
            continue
        for parent in map(position, _as_list(graph[p].get("ceasn:isChildOf"))):
            if parent is not None:
                children[parent].append(p)
    return {p: kids for p, kids in children.items() if kids}


def competency_roots(framework: dict, graph: list[Any], children: dict[int, list[int]]) -> list[int]:
    """The top of a framework's tree: its ``hasTopChild`` competencies, then every competency that is no other's
    narrower one, in graph order."""
    positions, position = _competency_positions(graph)
    roots = list(dict.fromkeys(k for k in map(position, _as_list(framework.get("ceasn:hasTopChild"))) if k is not None))
    taken = set(roots) | {k for kids in children.values() for k in kids}
    return roots + [p for p in positions if p not in taken]


def is_provisional(document: dict) -> bool:
    return str(document.get("adms:status", "")).endswith("Provisional")


@functools.cache
def _iri_keys() -> frozenset[str]:
    from ctdl_tools.vocab import vocabulary

    return frozenset(vocabulary().iri_valued) | {"@id"}


class Rebaser:
    """Rewrites Credential Engine registry URIs to this server's base URL: values of ``@id`` and of IRI-valued
    properties, never text (a description that mentions a record, a keyword that is a URI stay as published).
    """

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")

    def document(self, value: Any) -> Any:
        """A copy of a JSON-LD value with the URIs of ``@id`` and of IRI-valued properties rebased; text
        properties (a keyword, a coded notation) stay as published even when one reads like a registry URI."""
        if isinstance(value, list):
            return [self.document(item) for item in value]
        if not isinstance(value, dict):
            return value
        links = _iri_keys()
        return {key: (self._uris(item) if key in links else self.document(item)) for key, item in value.items()}

    def _uris(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.uri(value)
        if isinstance(value, list):
            return [self._uris(item) for item in value]
        return self.document(value)  # an embedded node or a value object

    def uri(self, value: str) -> str:
        """One URI value (not JSON): rebased when it is a registry URI."""
        match = _CE_URI.match(value)
        return f"{self.base}/{match.group(1)}/{value[match.end():]}" if match else value
