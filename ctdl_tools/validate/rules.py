"""The rules checked in Python (JSON level and across records), with their citations.

SHACL rules live in the shapes; these are the ones SHACL cannot express over RDF: the JSON form itself
(what JSON-LD loses or rejects) and checks across everything submitted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from fnmatch import fnmatchcase

from ctdl_tools.validate.result import INFO, VIOLATION, WARNING, Rule

_JSONLD = "JSON-LD 1.1 (https://www.w3.org/TR/json-ld11/) as implemented by pyld; ctdl_tools never fetches a context"
_ENVELOPE = ("Credential Registry publish_envelope.json (CredentialEngine/CredentialRegistry:"
             "fixtures/schemas/publish_envelope.json): every @graph node needs @id and @type (a string)")
_EXPLORER = "Credential Engine, CTDL Explorer quick start (http://credreg.net/quickstart/publish/ctdlexplorer)"
_GRAPH = f"{_EXPLORER}: /graph/{{ctid}} returns the main resource first, then its blank nodes"


# Input that could not be read: exit 2 whatever --disable says (a CI gate must not pass a file it never read).
UNREADABLE_RULES = ("JSON-UNREADABLE", "JSON-SYNTAX")


def rule_matches(rule_id: str, pattern: str) -> bool:
    """Whether ``--disable PATTERN`` (a rule id or glob) names the rule; case does not matter (``mdp-*``)."""
    return fnmatchcase(rule_id.upper(), pattern.upper())


def _rule(id: str, severity: str, name: str, message: str, source: str, see: str = "", origin: str = "json") -> Rule:
    return Rule(id, severity, name, message, source, see, origin=origin)


PYTHON_RULES: dict[str, Rule] = {r.id: r for r in [
    _rule("JSON-UNREADABLE", VIOLATION, "Readable file",
          "The file cannot be read: not UTF-8, a string escapes half of a UTF-16 surrogate pair, the JSON "
          "nests more than 100 levels deep, or a number has more digits than can be read",
          "RFC 8259 §8.1 (UTF-8), §8.2 (unpaired surrogates), §9 (parsers may limit nesting depth and the "
          "range of numbers)"),
    _rule("JSON-SYNTAX", VIOLATION, "JSON syntax", "The file is not valid JSON", "RFC 8259"),
    _rule("JSON-DUPLICATE-KEY", VIOLATION, "Member names unique",
          "An object gives the same name twice: JSON parsers keep one of the values (which one differs), so the "
          "other is silently lost", "RFC 8259 §4 (the names within an object SHOULD be unique)"),
    _rule("JSON-NOT-CTDL", VIOLATION, "A CTDL document", "The JSON holds no CTDL document", _ENVELOPE),
    _rule("JSONLD-CONTEXT", VIOLATION, "Bundled @context",
          "@context must be the CTDL or CTDL-ASN context URL; other contexts are never fetched",
          "credential-registry-ingest-examples index.md: the context line 'should appear verbatim in each JSON file'",
          "https://credreg.net/ctdl/schema/context/json"),
    _rule("JSONLD-CONTEXT-FORM", WARNING, "@context as a string",
          "@context is an array of the CTDL context URL: the same to JSON-LD, but registry records and the "
          "publish tools give the URL as a string",
          "CredentialEngine/credential-registry-ingest-examples index.md: the context line 'should appear "
          "verbatim in each JSON file'", "https://credreg.net/ctdl/schema/context/json"),
    _rule("JSONLD-CONTEXT-HTTP", WARNING, "https context URL",
          "The http:// context URL is the 2017 form; current records use https://credreg.net/…",
          "CredentialEngine/credential-registry-ingest-examples index.md: the context line "
          "https://credreg.net/ctdl/schema/context/json 'should appear verbatim in each JSON file'",
          "https://credreg.net/ctdl/schema/context/json"),
    _rule("JSONLD-INVALID", VIOLATION, "Valid JSON-LD",
          "The JSON-LD processor rejected the document", _JSONLD),
    _rule("JSONLD-DROPPED-KEY", VIOLATION, "Key JSON-LD keeps",
          "This key is not a CTDL term or IRI: JSON-LD drops it and everything under it", _JSONLD),
    _rule("JSONLD-LANGMAP-FORM", VIOLATION, "Language map form",
          "A language map maps BCP 47 language tags to a string or an array of strings",
          f"{_JSONLD}, §9.8 language maps; BCP 47", "https://www.w3.org/TR/json-ld11/#language-maps"),
    _rule("LANG-UNKNOWN", WARNING, "Registered language code",
          "A language code (ceterms:inLanguage, ceasn:inLanguage, a language map's key, @language) whose primary "
          "language subtag is not registered: a language name (\"English\": en) or a three-letter code where "
          "BCP 47 takes the two-letter one (\"eng\": en)",
          "BCP 47 (RFC 5646) §2.2.1: the primary language subtag is the shortest ISO 639 code, as registered in the "
          "IANA Language Subtag Registry (ISO 639-1 two-letter codes; ISO 639-2/639-3 three-letter codes only "
          "for languages without one)", "https://www.iana.org/assignments/language-subtag-registry"),
    _rule("IRI-INVISIBLE", WARNING, "No invisible characters in links",
          "A URL holds a zero-width, bidi or other invisible character: shown, it reads as another address "
          "than the one it leads to (a browser percent-encodes the character)",
          "RFC 3987 §4.1 and §6.4 (bidi and invisible characters in IRIs: avoid them; visual equivalence)"),
    _rule("TEXT-BLANK", WARNING, "Text that says something",
          "An empty or white-space-only string is no value: it is left out, so a required property written so "
          "is missing (its own rule says so)",
          "Credential Engine Minimum Data Policy (https://credreg.net/registry/policy#mindata): required "
          "properties need a value"),
    _rule("JSONLD-INVALID-IRI", VIOLATION, "Valid IRI",
          "This is not a valid absolute IRI: RDF cannot carry it", "RFC 3987; " + _JSONLD),
    _rule("JSONLD-RELATIVE-IRI", VIOLATION, "Absolute IRI",
          "A relative IRI: registry records use absolute URLs (a JSON-LD processor resolves it against an "
          "arbitrary base)", _JSONLD),
    _rule("GRAPH-NODES", VIOLATION, "@graph holds node objects",
          "@graph must be a non-empty array of node objects", _ENVELOPE),
    _rule("GRAPH-NO-RECORD", VIOLATION, "A graph has a main resource",
          "@graph holds only blank nodes: a graph document is its main resource (a node with an @id IRI and "
          "a CTID) and that resource's blank nodes", _GRAPH),
    _rule("GRAPH-NODE-ID-TYPE", VIOLATION, "@id and @type on @graph nodes",
          "Every node of @graph needs @id and @type, its @type one class name", _ENVELOPE),
    _rule("GRAPH-ID", VIOLATION, "Graph document @id",
          "A graph document needs its @id, https://credentialengineregistry.org/graph/<its main resource's CTID>",
          "Credential Registry publish_envelope.json (CredentialEngine/CredentialRegistry:fixtures/schemas/"
          "publish_envelope.json): @id and @graph are required (422 \"@id is required\")"),
    _rule("RESOURCE-TYPE", VIOLATION, "@type on a record",
          "A /resources record needs @type, its CTDL class: the Minimum Data Policy's rules apply by class",
          "Credential Registry publish_envelope.json (CredentialEngine/CredentialRegistry:fixtures/schemas/"
          "publish_envelope.json): every resource needs @id and @type"),
    _rule("GRAPH-MAIN-FIRST", VIOLATION, "Main resource first",
          "The main resource (the one with the document's CTID) must be the first node of @graph", _GRAPH),
    _rule("GRAPH-ID-CTID", VIOLATION, "Graph @id names the main resource",
          "The document @id …/graph/<ctid> must carry the main resource's CTID", _GRAPH),
    _rule("BNODE-UNDEFINED", VIOLATION, "Blank nodes defined",
          "A blank node id is referenced but no node in the document defines it",
          "http://credreg.net/quickstart/publish/ctdlexplorer: blank nodes '_:<uuid>' are scoped to the graph"),
    _rule("BNODE-UNDEFINED-RESOURCE", INFO, "Blank nodes in a /resources record",
          "A blank node id is referenced; a /resources record does not carry the graph's blank nodes "
          "(they are in the /graph/ document)",
          f"{_EXPLORER}: /resources/{{ctid}} is the main resource alone, /graph/{{ctid}} adds its blank nodes"),
    _rule("XREF-CTID-DUPLICATE", VIOLATION, "CTID unique",
          "The same CTID is used by more than one resource",
          "CredentialRegistry spec/api/v1/publish_spec.rb: 'Resource CTID must be unique'", "https://credreg.net/ctdl/ctid",
          "cross-record"),
    _rule("XREF-REGISTRY-REFERENCE", INFO, "Reference to the registry",
          "Refers to a registry resource that is not in this submission: it must already be published",
          "CredentialEngine/credential-registry-ingest-examples index.md: a referenced organization 'must be "
          "published to the Registry before the data can be published'; a registry URI resolves only once "
          "its resource is published", "", "cross-record"),
    _rule("XREF-EXTERNAL-REFERENCE", WARNING, "Reference outside the registry",
          "Refers to a resource that is neither in this submission nor a Credential Registry URI",
          "CredentialEngine/credential-registry-ingest-examples index.md (the organization 'must be published "
          "to the Registry'); CredentialEngine/Samples CASE/Instructions.md (ownedBy, offeredBy and publisher "
          "are checked as registry URIs)",
          "", "cross-record"),
    _rule("XREF-OTHER-URI", WARNING, "Reference by the record's own URI",
          "Refers to a record of this submission by another URI than its @id (its /graph/ document, or "
          "the same CTID on the other registry): the link leads elsewhere than to the record",
          f"{_EXPLORER}: a record is https://credentialengineregistry.org/resources/{{ctid}} (sandbox: "
          "https://sandbox.credentialengineregistry.org/resources/{ctid}); /graph/{ctid} is its graph document",
          "", "cross-record"),
    _rule("XREF-COMPETENCY-FRAMEWORK", VIOLATION, "Competency in its framework",
          "The competency's ceasn:isPartOf does not name the framework that lists it",
          "CTDL-ASN: ceasn:isPartOf 'framework that this competency is a part of' "
          "(https://credreg.net/ctdlasn/terms/isPartOf); a framework's /graph/ document holds the framework "
          "and its competencies (CredentialEngine/Schema-Development Competency-Frameworks)",
          "https://credreg.net/ctdlasn/terms/isPartOf", "cross-record"),
    _rule("XREF-INVERSE", WARNING, "Inverse properties agree",
          "Two resources in the submission disagree about a relation and its inverse",
          "CTDL schema owl:inverseOf (e.g. ceterms:hasPart / ceterms:isPartOf); CTDL-ASN hasTopChild / isTopChildOf",
          "", "cross-record"),
]}


GENERAL_SEE_ALSO = "https://credreg.net/ctdl/terms"  # a rule of many shapes, one per property


def one_rule(rules: list[Rule]) -> Rule:
    """The rule that many shapes share (STRUCT-LANGSTRING: one shape per language-map property), named,
    worded and cited by what they have in common ("language map"), not by the first shape's property: the
    rules table of a report lists it once for findings about every property (each finding cites its own
    shape's source and link)."""
    first = rules[0]
    if len(rules) == 1:
        return first
    name = _common_tail([r.name for r in rules]) or first.id
    message = _common_tail([r.message for r in rules]) or f"{name}: each finding's message names the property"
    source = _common_source([r.source for r in rules])
    see_also = first.see_also if len({r.see_also for r in rules}) == 1 else GENERAL_SEE_ALSO
    citation = first.citation if len({r.citation for r in rules}) == 1 else f"{source} <{see_also}>"
    return dataclasses.replace(first, name=name, message=message, source=source, see_also=see_also,
                               citation=citation)


def _common_tail(texts: list[str]) -> str:
    """The words every text ends with ("ceterms:name language map", "ceasn:x language map" → "language
    map"); all of a text when they are the same."""
    if len(set(texts)) == 1:
        return texts[0]
    words = [t.split() for t in texts]
    tail: list[str] = []
    for column in zip(*(reversed(w) for w in words), strict=False):  # as far as the shortest
        if len(set(column)) > 1:
            break
        tail.append(column[0])
    return " ".join(reversed(tail))


def _common_source(texts: list[str]) -> str:
    """The sources' shared part up to its last ": " (what the rule is drawn from, before the property it is
    about), then that each shape has its own."""
    if len(set(texts)) == 1:
        return texts[0]
    head = texts[0][:min(map(len, texts))]
    for text in texts[1:]:  # the common prefix, character by character (these are texts, not paths)
        while not text.startswith(head):
            head = head[:-1]
    cut = head.rfind(": ")
    each = "per property (each finding cites its shape's)"
    return f"{head[:cut]}: {each}" if cut > 0 else each


def rule_patterns(disabled: str | Iterable[str]) -> tuple[str, ...]:
    """Rule ids or patterns to turn off: one string or several, each possibly "A,B" as --disable takes them. A
    bare string is one pattern, not its characters (whose "*" turned every rule off)."""
    given = [disabled] if isinstance(disabled, str) else list(disabled)
    return tuple(p.strip() for item in given for p in str(item).split(",") if p.strip())


def all_rules(shape_rules: Iterable[Rule]) -> dict[str, Rule]:
    """Every rule by id, in id order: the Python rules, then one per id of the shapes' (several shapes share a
    STRUCT-… id: one_rule of them, in shape order)."""
    out = dict(PYTHON_RULES)
    shared: dict[str, list[Rule]] = {}
    for rule in sorted(shape_rules, key=lambda r: r.shape):
        shared.setdefault(rule.id, []).append(rule)
    for rule_id, group in shared.items():
        out.setdefault(rule_id, one_rule(group))
    return dict(sorted(out.items()))
