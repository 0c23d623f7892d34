"""JSON-level checks: what disappears or breaks before there is RDF to validate.

SHACL sees triples; it cannot see a key JSON-LD dropped, a context that was never loaded, a language map
written wrongly, the order of ``@graph`` or a ``_:`` id that points nowhere. These checks run on the JSON
(and on what the converter reported while reading it).
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from typing import Any

from ctdl_tools.ctid import ctid_in_uri, graph_uri, is_ctid, resource_uri
from ctdl_tools.jsonscan import escape_pointer, pointer_tokens
from ctdl_tools.validate.loader import GRAPH, Document
from ctdl_tools.validate.rdf import INVISIBLE, Conversion, bundled_url, context_tables, is_bundled, lang_ok
from ctdl_tools.validate.result import LONGEST_VALUE, Finding, shortened
from ctdl_tools.validate.rules import PYTHON_RULES
from ctdl_tools.vocab.pins import CTDL_CONTEXT_URL, CTDLASN_CONTEXT_URL

_DROPPED_RULES = {
    "key": ("JSONLD-DROPPED-KEY", "key {value!r} is not a CTDL term or IRI: JSON-LD drops it and everything under it"),
    "iri": ("JSONLD-INVALID-IRI", "{value!r} is not a valid IRI"),
    "relative": ("JSONLD-RELATIVE-IRI", "{value!r} is a relative IRI; use an absolute URL"),
    "language": ("JSONLD-LANGMAP-FORM", "{value!r} is not a BCP 47 language tag"),
    "langmap": ("JSONLD-LANGMAP-FORM", "language map values must be strings, found {value}"),
    "valueobject": ("JSONLD-LANGMAP-FORM", "a value object (@value, @language) where a language map belongs: JSON-LD "
                    "reads its keys as language tags and keeps none of it; write {value}"),
    "invisible": ("IRI-INVISIBLE", "{value!r} holds an invisible character ({shown}): a link copied with it "
                  "leads elsewhere than it reads"),
    "blank": ("TEXT-BLANK", "{shown} is no value: it is left out (a required property written so is missing)"),
    "range-integer": ("JSON-UNREADABLE", "{value} is beyond a double's range: JSON-LD turns a number of 10^21 or "
                      "more into an xsd:double, and no double holds this one (no JSON-LD processor can convert it; "
                      "pyld fails on it): it is left out; write it as a string, or a smaller number"),
    "range-float": ("JSON-UNREADABLE", "{value} is beyond a double's range (about 1.8E308): JSON parsers read it "
                    "as infinity, which is no JSON number, and JSON-LD cannot write it as RDF: it is left out; "
                    "write it as a string, or a number that fits"),
    "not-a-number": ("JSON-UNREADABLE", "{value} is not a JSON number (RFC 8259 §6): it is left out"),
}


def finding(doc: Document, rule_id: str, pointer: str, message: str | None = None, *,
            prop: str | None = None, value: str | None = None, severity: str | None = None) -> Finding:
    rule = PYTHON_RULES[rule_id]
    return Finding(rule_id, severity or rule.severity, shortened(message or rule.message, 2 * LONGEST_VALUE),
                   doc.file, doc.base + pointer, property=prop, value=value if value is None else shortened(value),
                   source=rule.citation)


def foreign_context(value: Any, pointer: str = "") -> tuple[str, str] | None:
    """(pointer, URL) of the first ``@context`` inside a document that names a context other than ours (JSON-LD
    would fetch it; we never do), or None."""
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{pointer}/{escape_pointer(key)}"
            if key == "@context" and pointer:
                for url in item if isinstance(item, list) else [item]:
                    if isinstance(url, str) and not is_bundled(url):
                        return here, url
            found = foreign_context(item, here)
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = foreign_context(item, f"{pointer}/{i}")
            if found:
                return found
    return None


def not_ours(context: str) -> str:
    return (f"@context {context!r} is not the CTDL or CTDL-ASN context URL (never fetched): the document was "
            "not validated further")


def context_findings(doc: Document) -> tuple[list[Finding], bool]:
    """Findings about ``@context``, and whether the document can be read with a bundled context."""
    context = doc.data.get("@context")
    if context is None:
        return [finding(doc, "JSONLD-CONTEXT", "", "the document has no @context")], False
    if not is_bundled(context):
        shown = context if isinstance(context, str) else json.dumps(context, ensure_ascii=False)[:120]
        message = _context_problem(context, shown, _context_for(doc))
        return [finding(doc, "JSONLD-CONTEXT", "/@context", message, value=shown)], False
    if isinstance(context, list):  # ["https://credreg.net/…"]: read as the URL it holds
        return [finding(doc, "JSONLD-CONTEXT-FORM", "/@context", value=context[0])], True
    if context.startswith("http://"):
        return [finding(doc, "JSONLD-CONTEXT-HTTP", "/@context", value=context)], True
    return [], True


def _context_problem(context: Any, shown: str, wanted: tuple[str, str]) -> str:
    """What is wrong with an @context that is not one bundled context URL: an array of contexts, an inline
    context (an object), or another URL. The first two are JSON-LD, but ctdl_tools reads a document only with
    the one bundled context it names (nothing is fetched or merged), and says which one to name."""
    url, prefix = wanted
    which = "the CTDL-ASN context: the document describes competencies or concepts" if prefix == "ceasn" else (
        "the CTDL context")
    give = f"the document was not validated further: give {url!r} as a string ({which})"
    items = context if isinstance(context, list) else [context]
    inline = [item for item in items if isinstance(item, dict)]
    language = "; language maps give each text its language" if any("@language" in c for c in inline) else ""
    reads = "ctdl_tools reads a document with one bundled context, named by its URL alone"
    if isinstance(context, list) and (inline or any(is_bundled(item) for item in context)):
        what = "with an inline context " if inline else ""
        return f"@context {shown!r} is an array of contexts {what}({reads}{language}); {give}"
    if isinstance(context, dict):
        return f"@context {shown!r} is an inline context ({reads}{language}); {give}"
    return f"{not_ours(shown)}; {give.split(': ', 1)[1]}"


def _context_for(doc: Document) -> tuple[str, str]:
    """(URL, prefix) of the bundled context a document needs: CTDL-ASN when it describes competency frameworks,
    competencies or concept schemes (ceasn: or skos: classes), else CTDL."""
    types: list[Any] = []
    for _, node in doc.nodes:
        found = node.get("@type")
        types += found if isinstance(found, list) else [found]
    asn = any(isinstance(t, str) and t.startswith(("ceasn:", "skos:")) for t in types)
    return (CTDLASN_CONTEXT_URL, "ceasn") if asn else (CTDL_CONTEXT_URL, "ceterms")


def structure_findings(doc: Document) -> list[Finding]:
    """@graph documents: every node has @id and @type; the main resource comes first and matches @id."""
    if doc.kind != GRAPH:
        return _resource_form(doc)
    nodes = doc.nodes
    out = _graph_form(doc, len(nodes))
    for pointer, node in nodes:
        # One look at each (an absent key is as ""), not a list of what is missing made for every node.
        if node.get("@id", "") in ("", []) or node.get("@type", "") in ("", []):
            missing = [k for k in ("@id", "@type") if k not in node or node[k] in ("", [])]
            out.append(finding(doc, "GRAPH-NODE-ID-TYPE", pointer, f"this @graph node has no {' or '.join(missing)}"))
        elif isinstance(node["@type"], list):  # the registry's publish schema types @type as a string
            one = "write it as a string" if len(node["@type"]) == 1 else "give the one class it is"
            out.append(finding(doc, "GRAPH-NODE-ID-TYPE", f"{pointer}/@type", "this @graph node's @type is a list: "
                               f"the registry takes one class name ({one})", prop="@type",
                               value=", ".join(map(str, node["@type"]))))
    if not nodes:
        return out
    out += _graph_id(doc, nodes)
    if not out and not any(isinstance(n.get("@id"), str) and not n["@id"].startswith("_:") for _, n in nodes):
        return [finding(doc, "GRAPH-NO-RECORD", "/@graph")]  # blank nodes only: nothing to file it under
    doc_ctid = ctid_in_uri(str(doc.data.get("@id", "")))
    ctids = [_ctid_text(n.get("ceterms:ctid")) for _, n in nodes]
    at = ctids.index(doc_ctid) if doc_ctid and doc_ctid in ctids else None
    if at:  # the node the document @id names is not first
        out.append(finding(doc, "GRAPH-MAIN-FIRST", nodes[at][0],
                           f"the main resource ({ctids[at]}) is the {_ordinal(at + 1)} node of @graph; it must "
                           "be the first",
                           value=ctids[at]))
    elif at is None and doc_ctid and ctids[0]:
        out.append(finding(doc, "GRAPH-ID-CTID", "/@id",
                           f"the document @id names {doc_ctid} but the first node's CTID is {ctids[0]}",
                           value=str(doc.data.get("@id"))))
    elif not doc_ctid and not ctids[0] and str(nodes[0][1].get("@id", "")).startswith("_:"):
        later = next((i for i, c in enumerate(ctids) if c), None)
        if later is not None:  # a blank node first, the record after it
            out.append(finding(doc, "GRAPH-MAIN-FIRST", nodes[later][0],
                               f"@graph starts with a blank node; the main resource ({ctids[later]}) must be first",
                               value=ctids[later]))
    return out


def _graph_id(doc: Document, nodes: list[tuple[str, dict]]) -> list[Finding]:
    """GRAPH-ID: a graph document without its @id is refused by the registry (publish_envelope.json requires
    it: 422 "@id is required"); the one to give is the graph URI of its main resource's CTID."""
    given = doc.data.get("@id")
    if isinstance(given, str) and given.strip():
        return []
    main = nodes[0][1]
    ctid, main_id = _ctid_text(main.get("ceterms:ctid")), str(main.get("@id", ""))
    if is_ctid(ctid) and ctid_in_uri(main_id) == ctid and "/resources/" in main_id:  # sandbox or production
        hint = f": give it {main_id.replace('/resources/', '/graph/', 1)}, the graph URI of its main resource"
    elif is_ctid(ctid):
        hint = f": give it {graph_uri(ctid)}, the graph URI of its main resource's CTID"
    else:
        hint = ": give it https://credentialengineregistry.org/graph/<the main resource's CTID>"
    return [finding(doc, "GRAPH-ID", "/@id" if "@id" in doc.data else "",
                    f"the graph document has no @id{hint}", prop="@id")]


def _ctid_text(value: Any) -> str:
    """A node's CTID as text for messages and comparison (several CTIDs, wrongly given: "a, b")."""
    if isinstance(value, list):
        return ", ".join(_ctid_text(v) for v in value)
    return "" if value is None else str(value).strip().lower()


def _resource_form(doc: Document) -> list[Finding]:
    """A /resources record without a class escapes every policy rule (they target classes)."""
    if doc.data.get("@type") not in (None, "", []):
        return []
    if set(doc.data) <= {"@context"}:
        return [finding(doc, "RESOURCE-TYPE", "", "the document holds only an @context: no record")]
    return [finding(doc, "RESOURCE-TYPE", "", "this record has no @type: no Minimum Data Policy rule applies to "
                    "it until it names its CTDL class (ceterms:Certificate, ceterms:Course, …)")]


def _graph_form(doc: Document, objects: int) -> list[Finding]:
    """What the registry refuses before it reads a node: @graph not a non-empty array, items not objects
    (``objects``: how many items are, ``len(doc.nodes)``)."""
    graph = doc.data.get("@graph")
    if not isinstance(graph, list):
        return [finding(doc, "GRAPH-NODES", "/@graph", f"@graph is {_kind(graph)}, not an array of node objects")]
    if not graph:
        return [finding(doc, "GRAPH-NODES", "/@graph", "@graph is empty: it needs the main resource")]
    if objects == len(graph):
        return []
    return [finding(doc, "GRAPH-NODES", f"/@graph/{i}", f"the {_ordinal(i + 1)} item of @graph is {_kind(item)}, "
                    "not a node object",
                    value=None if item is None else str(item)[:200])
            for i, item in enumerate(graph) if not isinstance(item, dict)]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _kind(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def conversion_findings(doc: Document, conv: Conversion) -> list[Finding]:
    """What the converter could not carry into RDF, and blank-node ids that point nowhere."""
    out = []
    for dropped in conv.dropped:
        rule_id, template = _DROPPED_RULES[dropped.kind]
        message = template.format(value=dropped.value, shown=_shown(dropped))
        if dropped.kind == "iri" and any(ch.isspace() for ch in dropped.value):
            message += (" (a URL cannot hold white space: write a space as %20)"
                        if any(ch.isspace() for ch in dropped.value.strip())
                        else " (white space before or after it: remove it)")
        above = property_at(dropped.pointer)
        if dropped.kind == "relative" and (term := _vocabulary_term(dropped.value)):
            message += f" (a CTDL term is written with its prefix: {term})"
        elif dropped.kind == "relative":
            message = _not_a_reference(above, dropped.value) or message
        hint = _key_hint(dropped.value) if dropped.kind == "key" else ""
        message += hint
        prop = dropped.value if dropped.kind == "key" else above
        # "id" is Indonesian's tag too: a keyword without its @ is not taken for a language map as well.
        if dropped.kind == "key" and above and dropped.value not in _BARE_KEYWORDS \
                and _is_language_tag(dropped.value):
            if _in_a_list(dropped.pointer) and _takes_language_map(above):
                # [{"en-us": …}]: JSON-LD reads a language map only as the property's value itself.
                message += (f"; a language map is not put in a list: write {above} as one map, {{\"{dropped.value}\": "
                            "…}, with a list inside it for several texts")
            else:
                # {"en-US": …} under a property the context does not declare a language map: a misspelt property
                # (ceterms:keywrd) more often than a wrong tag.
                message += (f"; if this object is meant as a language map, check the name of {above}: only "
                            "properties CTDL defines as text take one")
        out.append(finding(doc, rule_id, dropped.pointer, message, prop=prop, value=dropped.value))
    for pointer, label in conv.bnode_refs:
        if label not in conv.bnode_defined:
            rule_id = "BNODE-UNDEFINED" if doc.kind == GRAPH else "BNODE-UNDEFINED-RESOURCE"
            out.append(finding(doc, rule_id, pointer, f"blank node {label} is referenced but not defined in this "
                               + ("graph" if doc.kind == GRAPH else "record"), prop=property_at(pointer), value=label))
    return out


_HOST_FIRST = re.compile(r"(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:[/?#]\S*)?$", re.IGNORECASE)


def _not_a_reference(prop: str | None, value: str) -> str | None:
    """What a relative IRI under ``prop`` most likely is, when "use an absolute URL" is the wrong advice: a
    bare CTID (the record's registry URI is wanted), a concept's name ("Active" for a concept property), or
    text where the property takes an object ("2400 College Parkway" for ceterms:address, a Place)."""
    from ctdl_tools.vocab import vocabulary

    ctid = value.strip().lower()
    if is_ctid(ctid):
        return f"{value!r} is a CTID, not a URI: write the record's registry URI, {resource_uri(ctid)}"
    if _HOST_FIRST.match(value):
        return f"{value!r} has no scheme: write the whole URL, https://{value}"
    vocab = vocabulary()
    info = vocab.properties.get(prop or "")
    if info is None:
        return None
    concepts = vocab.concepts_for(prop or "")
    if concepts:
        named = vocab.concept_named(prop or "", value)
        return (f"{value!r} is not a reference: {prop} takes a concept of {', '.join(info.target_schemes)}, "
                + (f"here {named}" if named else f"such as {concepts[0]}"))
    classes = sorted(r for r in info.range if r in vocab.classes)
    text = any(ch.isspace() for ch in value.strip()) or not any(ch in value for ch in "/.")
    if classes and text:
        return (f"{value!r} is text where {prop} takes a {' or a '.join(classes)}: an object with its properties, "
                "or the URL of one")
    siblings = [f"{prop}{suffix}" for suffix in ("Name", "Description") if f"{prop}{suffix}" in vocab.properties]
    if text and siblings:  # ceterms:framework "Delivery", ceterms:submissionOf "First submission item"
        return f"{value!r} is text where {prop} takes a URL: text goes in {' or '.join(siblings)}"
    return None


_BARE_KEYWORDS = frozenset({"id", "type", "context", "graph", "value", "language"})  # JSON-LD keywords without "@"


def _key_hint(key: str) -> str:
    """What a key JSON-LD drops most likely means: a keyword without its @ (``id``, ``type``), or a CTDL term
    without its prefix (``name`` → ceterms:name, ``hasDestinationComponent``)."""
    if key in _BARE_KEYWORDS:
        return f" (did you mean @{key}?)"
    terms = _vocabulary_terms(key)
    return f" (a CTDL term is written with its prefix: {' or '.join(terms)})" if 0 < len(terms) <= 3 else ""


def _in_a_list(pointer: str) -> bool:
    """Whether the object holding the key at ``pointer`` is an item of an array (``…/prop/0/en-us``)."""
    parent = pointer.rpartition("/")[0]
    return parent.rpartition("/")[2].isdigit()


def _takes_language_map(prop: str) -> bool:
    from ctdl_tools.vocab import vocabulary

    return prop in vocabulary().language_maps


def _is_language_tag(text: str) -> bool:
    from ctdl_tools.build.languages import is_language_tag  # here: only a dropped key asks (start-up, ~6 ms)

    return is_language_tag(text)


def _vocabulary_term(name: str) -> str | None:
    """The prefixed class or property a bare local name stands for ("MasterDegree" → ceterms:MasterDegree),
    when exactly one vocabulary defines it."""

    found = _vocabulary_terms(name)
    return found[0] if len(found) == 1 else None


def _vocabulary_terms(name: str) -> list[str]:
    """Every prefixed class or property whose local name is ``name`` (``name``: ceasn:name, ceterms:name)."""
    from ctdl_tools.vocab import vocabulary

    if not name.isidentifier():
        return []
    vocab = vocabulary()
    return [term for prefix in sorted(vocab.prefixes) if (term := f"{prefix}:{name}") in vocab.classes
            or term in vocab.properties]


def _shown(dropped: Any) -> str:
    if dropped.kind == "invisible":
        return ", ".join(f"U+{ord(ch):04X}" for ch in dict.fromkeys(INVISIBLE.findall(dropped.value)))
    return "a text of white space only" if dropped.value else "an empty text"


def property_at(pointer: str) -> str | None:
    """The property a JSON pointer is under: ``/@graph/0/ceterms:estimatedCost/1`` → ceterms:estimatedCost
    (the last member name that is a term: not an array index, keyword or language-map tag)."""
    for token in reversed(pointer_tokens(pointer)):
        if ":" in token and not token.startswith("@"):
            return token
    return None


# --- language codes (LANG-UNKNOWN) -------------------------------------------------------------------------
_XSD_LANGUAGE = "http://www.w3.org/2001/XMLSchema#language"
# xsd:language's lexical space (XML Schema 1.1 Part 2, §3.4.3), as the structure shapes check it: a value outside
# it has its own finding (STRUCT-DATATYPE), so LANG-UNKNOWN looks only at the ones inside.
_XSD_LANGUAGE_FORM = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")


@cache
def _language_terms(context_url: str) -> tuple[frozenset[str], frozenset[str]]:
    """(language-map properties, properties whose values are language codes) of a bundled context: the keys with
    "@container": "@language" and those coerced to xsd:language (ceterms:inLanguage, ceasn:inLanguage; the
    vocabulary gives xsd:language as the range of these two and no other)."""
    tables = context_tables(context_url)
    codes = frozenset(key for key, kind in tables.coercion.items() if kind == _XSD_LANGUAGE)
    return frozenset(tables.language_maps), codes


def language_findings(doc: Document) -> list[Finding]:
    """LANG-UNKNOWN: a language code whose primary language subtag is not registered (``English``, ``eng``), in a
    language-code property's values, a language map's keys and a value object's @language. Documents read with
    a bundled context only (another context's language maps are not known)."""
    context = bundled_url(doc.data.get("@context"))
    if context is None:
        return []
    maps, codes = _language_terms(context)
    out: list[Finding] = []
    _walk_languages(doc, doc.data, None, maps, codes, out)
    return out


# The walk of every document: most nodes have no finding. A path is (parent path, token), made into a JSON
# pointer only for a finding; recursive (nesting is at most 100 levels: deeper is JSON-UNREADABLE). `type(x) is`
# (documents hold plain dicts and lists: parsed, or copied by jsonio.plain_json), a function per kind of
# container and each tag's verdict kept (_TAG_PROBLEMS): 10k records, 0.100 s → 0.066 s.
def _walk_languages(doc: Document, value: dict, path: Any, maps: frozenset[str], codes: frozenset[str],
                    out: list[Finding]) -> None:
    if "@language" in value and "@value" in value:
        tag = value["@language"]
        if isinstance(tag, str) and _tag_problem(tag):
            _language_finding(doc, out, tag, (path, "@language"), None, "language")
    for key, item in value.items():
        kind = type(item)
        if kind is dict and key in maps:
            for tag in item:  # not @none, nor a tag JSONLD-LANGMAP-FORM reports: neither is a code to check
                wrong = _TAG_PROBLEMS.get(tag)
                if wrong or (wrong is None and _tag_problem(tag)):
                    _language_finding(doc, out, tag, ((path, key), tag), key, "key")
        elif key in codes:
            _code_values(doc, item, (path, key), key, out)
        elif kind is dict:
            if key != "@context":
                _walk_languages(doc, item, (path, key), maps, codes, out)
        elif kind is list and key != "@context":
            _walk_language_array(doc, item, (path, key), maps, codes, out)


def _walk_language_array(doc: Document, value: list, path: Any, maps: frozenset[str], codes: frozenset[str],
                         out: list[Finding]) -> None:
    for i, item in enumerate(value):
        kind = type(item)
        if kind is dict:
            _walk_languages(doc, item, (path, i), maps, codes, out)
        elif kind is list:
            _walk_language_array(doc, item, (path, i), maps, codes, out)


def _code_values(doc: Document, item: Any, at: Any, key: str, out: list[Finding]) -> None:
    """The values of a language-code property (``ceterms:inLanguage``): strings or value objects."""
    for i, code in enumerate(item) if isinstance(item, list) else [(None, item)]:
        where = at if i is None else (at, i)
        if isinstance(code, dict) and isinstance(code.get("@value"), str):
            where, code = (where, "@value"), code["@value"]
        if isinstance(code, str) and _XSD_LANGUAGE_FORM.match(code):
            _language_finding(doc, out, code, where, key, "value")


_TAG_PROBLEMS: dict[str, bool] = {}  # language-map key or @language → whether _tag_problem says so


def _tag_problem(tag: str) -> bool:
    """Whether a language-map key or @language is a well-formed tag (as the converter takes it) whose primary
    subtag is wrong; not @none. Kept per tag: documents give a few tags, thousands of times."""
    problem = tag != "@none" and lang_ok(tag.lower()) and language_problem(tag) is not None
    if len(_TAG_PROBLEMS) < 4096:
        _TAG_PROBLEMS[tag] = problem
    return problem


def _pointer(path: Any) -> str:
    tokens = []
    while path is not None:
        path, token = path
        tokens.append(escape_pointer(token) if isinstance(token, str) else str(token))
    return "".join(f"/{token}" for token in reversed(tokens))


def _language_finding(doc: Document, out: list[Finding], tag: str, path: Any, prop: str | None, where: str) -> None:
    problem = language_problem(tag)
    if problem:
        pointer = _pointer(path)
        prop = prop or property_at(pointer)
        what = {"key": "language-map key ", "language": "@language "}.get(where, "")
        out.append(finding(doc, "LANG-UNKNOWN", pointer, f"{what}{tag!r} {problem}", prop=prop, value=tag))


@lru_cache(maxsize=4096)  # every language-map key of every document comes here; they are a few tags
def language_problem(tag: str) -> str | None:
    """What is wrong with a well-formed tag's primary language subtag, with the code to use where one is plain;
    None when the subtag is registered or may be (BCP 47, RFC 5646 §2.2.1; IANA Language Subtag Registry).

    Two letters: ISO 639-1 (and the registry's five deprecated ones). Three letters: only the ISO 639-2 codes of
    languages with a two-letter code are wrong (``eng``: BCP 47 takes the shortest code); any other may be one
    of ISO 639-3's ~7,900 (``haw``, ``yue``) or special (``und``, ``mul``, ``zxx``, ``mis``) or private use
    (``qaa``–``qtz``). One letter: ``x-…`` private use, ``i-…`` grandfathered. Four to eight letters: no such
    subtag is registered (four are reserved), so it is a language written by name (``English``) or a typo.
    """
    from ctdl_tools.build.languages import (  # here: most runs meet no tag to explain (~6 ms of start-up)
        LONGER_CODE,
        REGISTERED,
        UNKNOWN_CODE,
        closest_language_names,
        code_for_name,
        language_name,
        primary_subtag,
    )

    primary, sep, rest = tag.partition("-")
    subtag = primary.lower()
    kind, two = primary_subtag(subtag)
    if kind == REGISTERED:
        return None
    if kind == LONGER_CODE:
        return (f"is the three-letter ISO 639-2 code of {language_name(two or '')}: BCP 47 takes the shortest "
                f"ISO 639 code, {f'{two}{sep}{rest}'!r}")
    if kind == UNKNOWN_CODE:
        return ("is not a language code: no ISO 639-1 code is "
                f"{subtag!r} (use a BCP 47 tag such as 'en', 'es' or 'fr-CA')")
    code = code_for_name(subtag)
    if code:
        return f"is the name of a language, not its code: use {code + sep + rest!r} (BCP 47)"
    close = closest_language_names(subtag, n=1, cutoff=0.75)  # a misspelling, not any word
    if close:
        code = code_for_name(close[0]) or ""
        return f"is not a language code: did you mean {code + sep + rest!r} ({close[0].title()})?"
    return ("is not a language code: no registered language subtag is "
            f"{subtag!r} (use a BCP 47 tag such as 'en', 'es' or 'fr-CA')")
