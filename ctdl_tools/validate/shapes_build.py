"""Generate the structural SHACL shapes (``shapes/structure/*.ttl``) from the bundled vocabulary.

Run ``python -m ctdl_tools.validate.shapes_build shapes/structure`` (later ``ctdl shapes build``) after
the vocabulary is updated and commit the result: the shapes are plain Turtle a reviewer can diff, and
validation never regenerates them at run time.

What is generated (one file each, every shape with an IRI, ``sh:name``, ``sh:message``, a severity, a
``ctshapes:ruleId`` and the vocabulary facts it enforces as ``dct:source`` / ``rdfs:seeAlso``):

* ``ctid.ttl``        — CTID grammar (anchored) and one CTID per node; CTID equals the tail of a registry @id.
* ``properties.ttl``  — per property: domain (with subclass closure), literal vs IRI values, datatypes,
  range classes of described values, language maps (``rdf:langString``, ``sh:uniqueLang``).
* ``concepts.ttl``    — closed concept schemes (``sh:in``) on the concept IRI and on ``ceterms:targetNode``
  of the alignment object (both forms, for every such property); code forms for the external
  classifications (SOC, NAICS, CIP).
* ``terms.ttl``       — classes and properties the vocabulary does not know (Warning).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ctdl_tools.jsonio import write_atomic
from ctdl_tools.vocab import vocabulary
from ctdl_tools.vocab.schema import PropertyInfo, Vocabulary

NS = "https://purl.org/ctdl_tools/shapes/"
PREFIXES = """@prefix ctshapes: <https://purl.org/ctdl_tools/shapes/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix ceterms: <https://purl.org/ctdl/terms/> .
@prefix ceasn: <https://purl.org/ctdlasn/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""
VOCAB_SOURCE = ("CTDL / CTDL-ASN schema encodings as bundled in ctdl_tools/vocab/data "
                "(https://credreg.net/ctdl/schema/encoding/json, https://credreg.net/ctdlasn/schema/encoding/json)")
SKOLEM_NS = "https://purl.org/ctdl_tools/.well-known/genid/"
# Where a relative reference ("Active" for an "@type": "@id" property) ends up (rdf.py PYLD_BASE); the JSON
# pre-pass reports it (JSONLD-RELATIVE-IRI).
RELATIVE_BASE = "http://example.org/base/"
CTID_REGEX = "^ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

# Datatypes a range may name; a property whose range holds only these takes literals.
LITERAL_RANGES = {
    "xsd:string", "xsd:date", "xsd:float", "xsd:boolean", "xsd:integer", "xsd:dateTime", "xsd:decimal",
    "xsd:duration", "xsd:language", "schema:Date", "schema:Duration", "rdfs:Literal", "rdf:langString",
}
# Ranges that say nothing checkable about the value.
OPEN_RANGES = {"rdfs:Resource", "rdf:Property", "rdfs:Class", "rdf:Statement"}

# Language-map properties that hold one text per language. Source: Credential Engine's registry JSON
# Schemas (CredentialRegistry fixtures/schemas/ce_registry/*.json, removed 2025) type these as
# "meta:langstring" and the multi-valued ones (keyword, alternateName, …) as "meta:langstring_multi";
# ceasn:competencyText is a single LanguageMap in the Registry Assistant's Competency model.
SINGLE_TEXT = frozenset({
    "ceasn:description", "ceasn:name", "ceasn:competencyText", "ceterms:addressCountry",
    "ceterms:addressLocality", "ceterms:addressRegion", "ceterms:assessmentExampleDescription",
    "ceterms:assessmentOutput", "ceterms:contactType", "ceterms:creditHourType",
    "ceterms:creditUnitTypeDescription", "ceterms:deliveryTypeDescription", "ceterms:description",
    "ceterms:experience", "ceterms:frameworkName", "ceterms:identifierType", "ceterms:name",
    "ceterms:paymentPattern", "ceterms:processFrequency", "ceterms:processMethodDescription",
    "ceterms:processStandardsDescription", "ceterms:scoringMethodDescription",
    "ceterms:scoringMethodExampleDescription", "ceterms:streetAddress", "ceterms:targetNodeDescription",
    "ceterms:targetNodeName", "ceterms:verificationMethodDescription", "skos:definition",
    "skos:historyNote", "skos:prefLabel",
})

# External code lists (meta:targetScheme names a class, not a skos:ConceptScheme): the codes are
# checked for form only. SOC 2018 / O*NET-SOC ("11-1011", "11-1011.00") or ISCO-08 (1–4 digits);
# NAICS (2–6 digits) or ISIC Rev. 4 (section letter, up to 4 digits); CIP 2020 ("52", "52.02", "52.0201").
CODE_FORMS = {
    "ceterms:OccupationClassification": (r"^([0-9]{2}-[0-9]{4}(\.[0-9]{2})?|[0-9]{1,4})$",
                                         "an SOC / O*NET-SOC code such as 11-1011 or 11-1011.00 (or ISCO-08)"),
    "ceterms:IndustryClassification": (r"^([0-9]{2,6}|[A-U][0-9]{0,4})$",
                                       "a NAICS code of 2 to 6 digits such as 5415 (or ISIC Rev. 4)"),
    "ceterms:InstructionalProgramClassification": (r"^[0-9]{2}(\.[0-9]{2}([0-9]{2})?)?$",
                                                   "a CIP code such as 52 or 52.0201"),
}


@dataclass
class Shape:
    """One named shape, rendered as a Turtle block."""

    name: str  # local name under ctshapes:
    kind: str  # "sh:NodeShape" | "sh:PropertyShape"
    lines: list[str] = field(default_factory=list)
    comment: str = ""

    def render(self) -> str:
        head = f"# {self.comment}\n" if self.comment else ""
        body = " ;\n    ".join(self.lines)
        return f"{head}ctshapes:{self.name} a {self.kind} ;\n    {body} .\n"


def lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def iri(vocab: Vocabulary, term: str) -> str:
    """A term as Turtle: kept prefixed where the shapes files declare the prefix, else a full IRI."""
    prefix = term.partition(":")[0]
    if prefix in ("ceterms", "ceasn", "skos", "rdf", "rdfs", "xsd") and _safe_local(term.partition(":")[2]):
        return term
    return f"<{vocab.expand(term)}>"


def _safe_local(local: str) -> bool:
    return bool(local) and local.replace("_", "a").replace("-", "a").isalnum() and not local[0].isdigit()


def ident(term: str) -> str:
    """A term as part of a shape's local name: ``ceterms:name`` → ``ceterms_name``."""
    return "".join(ch if ch.isalnum() else "_" for ch in term)


def term_page(term: str) -> str:
    """The term's page on credreg.net, or for other vocabularies (asn:, qdata:, skos:…) its IRI."""
    prefix, _, local = term.partition(":")
    if prefix == "ceasn":
        return f"https://credreg.net/ctdlasn/terms/{local}"
    if prefix in ("ceterms", "meta"):
        return f"https://credreg.net/ctdl/terms/{local}"
    return vocabulary().expand(term)


def annotations(rule: str, name: str, message: str, severity: str, source: str, see: str) -> list[str]:
    out = [f"ctshapes:ruleId {lit(rule)}", f"sh:name {lit(name)}", f"sh:message {lit(message)}@en",
           f"sh:severity sh:{severity}", f"dct:source {lit(source)}"]
    if see:
        out.append(f"rdfs:seeAlso <{see}>")
    return out


def in_list(vocab: Vocabulary, terms: Iterable[str]) -> str:
    return "( " + " ".join(iri(vocab, t) for t in sorted(set(terms))) + " )"


def class_closure(vocab: Vocabulary, classes: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for cls in classes:
        out |= vocab.subclasses(cls) if cls in vocab.classes else {cls}
    return out


# --- ctid.ttl ----------------------------------------------------------------------------------------------
def ctid_shapes() -> list[Shape]:
    src = ("https://credreg.net/ctdl/ctid (CTID = 'ce-' + lower-case UUID, 39 characters); "
           "Registry_Assistant SampleServices.cs GetNewCTID()")
    form = Shape("ctid_form", "sh:PropertyShape", [
        "sh:path ceterms:ctid", "sh:datatype xsd:string", f"sh:pattern {lit(CTID_REGEX)}",
        *annotations("STRUCT-CTID-FORM", "CTID form",
                     "A CTID is 'ce-' followed by a lower-case UUID, 39 characters "
                     "(e.g. ce-e8a41a52-6ff6-48f0-9872-889c87b093b7)", "Violation", src,
                     "https://credreg.net/ctdl/terms/ctid")],
        "Anchored on both ends: sh:pattern is a search, an unanchored pattern accepts 'xxce-…-yy'.")
    single = Shape("ctid_single", "sh:PropertyShape", [
        "sh:path ceterms:ctid", "sh:maxCount 1",
        *annotations("STRUCT-CTID-SINGLE", "One CTID", "A resource has exactly one CTID", "Violation",
                     "Credential Registry: 'Only one CTID per top-level resource' "
                     "(CredentialRegistry spec/api/v1/publish_spec.rb)",
                     "https://credreg.net/ctdl/terms/ctid")])
    query = (
        "SELECT $this ?value WHERE { $this <https://purl.org/ctdl/terms/ctid> ?value . "
        "FILTER (isIRI($this) && REGEX(STR($this), \\\"/(resources|graph)/[^/]*/?$\\\", \\\"i\\\") "
        "&& !STRENDS(STR($this), CONCAT(\\\"/\\\", STR(?value)))) }"
    )
    match = Shape("ctid_matches_id", "sh:NodeShape", [
        "sh:targetSubjectsOf ceterms:ctid",
        f'sh:sparql [ a sh:SPARQLConstraint ; sh:select "{query}" ; '
        'sh:message "The CTID does not match the CTID at the end of the resource\'s @id"@en ]',
        "ctshapes:aboutProperty ceterms:ctid",
        *annotations("STRUCT-CTID-MATCHES-ID", "CTID matches @id",
                     "The CTID does not match the CTID at the end of the resource's @id", "Violation",
                     "https://credreg.net/ctdl/ctid: 'the value of a resource's CTID property will exactly "
                     "match the CTID portion of that resource's URI'", "https://credreg.net/ctdl/ctid")],
        "Only for registry-style @ids (…/resources/… or …/graph/…, whatever their last segment: …/xxce-…, a "
        "trailing slash); other @ids are reported by the cross-record checks. ctshapes:aboutProperty: findings "
        "point at the CTID.")
    node = Shape("ctid", "sh:NodeShape", ["sh:targetSubjectsOf ceterms:ctid",
                                         "sh:property ctshapes:ctid_form, ctshapes:ctid_single"],
                 "Every node that has a CTID.")
    return [node, form, single, match]


# --- properties.ttl ---------------------------------------------------------------------------------------
def property_shapes(vocab: Vocabulary, known: set[str]) -> list[Shape]:
    shapes: list[Shape] = []
    for prop in sorted(vocab.properties.values(), key=lambda p: p.id):
        parts = [s for s in (
            _domain(vocab, prop), _node_kind(vocab, prop), _datatype(vocab, prop), _range(vocab, prop),
            _langstring(vocab, prop), _unique_lang(vocab, prop)) if s is not None]
        if not parts:
            continue
        node = Shape(f"P_{ident(prop.id)}", "sh:NodeShape", [
            f"sh:targetSubjectsOf {iri(vocab, prop.id)}",
            "sh:property " + ", ".join(f"ctshapes:{p.name}" for p in parts)],
            f"{prop.id} ({prop.label})")
        shapes.append(node)
        shapes.extend(parts)
    return shapes


def _see(prop: PropertyInfo) -> str:
    return term_page(prop.id)


def _domain(vocab: Vocabulary, prop: PropertyInfo) -> Shape | None:
    if not prop.domain:
        return None
    allowed = class_closure(vocab, prop.domain)
    return Shape(f"P_{ident(prop.id)}_domain", "sh:PropertyShape", [
        "sh:path rdf:type", f"sh:or ( [ sh:in {in_list(vocab, allowed)} ] ctshapes:UnknownClass )",
        f"ctshapes:aboutProperty {iri(vocab, prop.id)}",
        *annotations("STRUCT-DOMAIN", f"{prop.id} domain",
                     f"{prop.id} is not a property of this class (schema:domainIncludes: "
                     f"{_class_summary(vocab, prop.domain)})",
                     "Warning", f"{VOCAB_SOURCE}: schema:domainIncludes of {prop.id}, with subclasses",
                     _see(prop))],
        "The path is rdf:type (the node's class); ctshapes:aboutProperty names the property the finding is "
        "about. Classes the vocabulary does not know are left to STRUCT-UNKNOWN-CLASS (ctshapes:UnknownClass), "
        "so one wrong @type is reported once.")


def _class_summary(vocab: Vocabulary, classes: Iterable[str], most: int = 6) -> str:
    """The classes a reader needs to see: those with no superclass among them (the vocabulary lists each
    credential subclass of a Credential property, ~50 names), the first ``most`` of them."""
    given = set(classes)
    general = sorted(c for c in given if not any(c != d and c in class_closure(vocab, [d]) for d in given))
    shown = ", ".join(general[:most]) + (", …" if len(general) > most else "")
    subclasses = " and their subclasses" if len(general) > 1 else " and its subclasses"
    return shown + (subclasses if len(general) < len(given) else "")


def _kind(vocab: Vocabulary, prop: PropertyInfo) -> str:
    """'literal', 'iri' (xsd:anyURI), 'node' (classes), 'mixed' or 'open'."""
    ranges = set(prop.range) - OPEN_RANGES
    if not ranges or ranges != set(prop.range):
        return "open"
    literal = {r for r in ranges if r in LITERAL_RANGES}
    if ranges == {"xsd:anyURI"}:
        return "iri"
    if literal == ranges:
        return "literal"
    if not literal and "xsd:anyURI" not in ranges:
        return "node"
    if not literal:
        return "node"  # classes + xsd:anyURI: a reference or a described node
    return "mixed"


def _node_kind(vocab: Vocabulary, prop: PropertyInfo) -> Shape | None:
    kind = _kind(vocab, prop)
    coerced_iri = prop.id in vocab.iri_valued
    if kind == "iri" or (kind == "node" and coerced_iri):
        node_kind = "sh:IRI" if kind == "iri" else "sh:BlankNodeOrIRI"
        what = "a URL" if kind == "iri" else "a reference (URL or CTID-based URI) or an embedded object"
        # Embedded objects reach the engines as skolem IRIs (rdf.py SKOLEM): for a URL-valued property
        # they are excluded by pattern, so an object where a URL belongs is still reported.
        skolem = [f"sh:not [ sh:pattern {lit('^' + SKOLEM_NS)} ]"] if kind == "iri" else []
        return Shape(f"P_{ident(prop.id)}_iri", "sh:PropertyShape", [
            f"sh:path {iri(vocab, prop.id)}", f"sh:nodeKind {node_kind}", *skolem,
            *annotations("STRUCT-IRI-VALUED", f"{prop.id} takes a reference",
                         f"{prop.id} takes {what}, not a text value", "Violation",
                         f"{VOCAB_SOURCE}: schema:rangeIncludes of {prop.id} "
                         f"({', '.join(sorted(prop.range)[:4])}); context: \"@type\": \"@id\"", _see(prop))])
    if kind == "literal":
        return Shape(f"P_{ident(prop.id)}_literal", "sh:PropertyShape", [
            f"sh:path {iri(vocab, prop.id)}", "sh:nodeKind sh:Literal",
            *annotations("STRUCT-LITERAL-VALUED", f"{prop.id} takes a value",
                         f"{prop.id} takes a text, number or date, not an object or reference", "Violation",
                         f"{VOCAB_SOURCE}: schema:rangeIncludes of {prop.id} ({', '.join(sorted(prop.range))})",
                         _see(prop))])
    return None


# Lexical forms SHACL engines do not check for these datatypes (sh:datatype compares only the datatype IRI
# of a type they do not implement), spelled out so that "en US"^^xsd:language or "three months" as a duration
# fail on every engine. No look-ahead (the shacl engine's regular expressions, Rust, have none): a duration's
# "at least one part, and one after T" is written as one branch per part that can come first.
def _one_or_more(parts: list[str]) -> str:
    """Each part optional, in order, but at least one of them: ``a(b)?(c)?|b(c)?|c``."""
    return "(" + "|".join(part + "".join(f"({rest})?" for rest in parts[i + 1:])
                          for i, part in enumerate(parts)) + ")"


def _duration(number: str, date_units: str, seconds: str) -> str:
    date = _one_or_more([f"{number}{u}" for u in date_units])
    time = "T" + _one_or_more([f"{number}H", f"{number}M", f"{seconds}S"])
    return f"P({date}({time})?|{time})$"


LEXICAL_FORMS = {
    "xsd:language": "^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$",  # XML Schema 1.1 Part 2, §3.4.3
    # XML Schema 1.1 Part 2, §3.3.6.2 (durationLexicalRep): a fraction on seconds only
    "xsd:duration": "^-?" + _duration("[0-9]+", "YMD", "[0-9]+([.][0-9]+)?"),
    # ISO 8601 (schema.org's Duration): weeks, and a decimal fraction on any part ("PT1.5H")
    "schema:Duration": "^" + _duration("[0-9]+([.,][0-9]+)?", "YMWD", "[0-9]+([.,][0-9]+)?"),
}


def _datatype_check(vocab: Vocabulary, datatype: str) -> str:
    check = f"sh:datatype {iri(vocab, datatype)}"
    return f"{check} ; sh:pattern {lit(LEXICAL_FORMS[datatype])}" if datatype in LEXICAL_FORMS else check


def _datatype(vocab: Vocabulary, prop: PropertyInfo) -> Shape | None:
    if _kind(vocab, prop) != "literal" or prop.id in vocab.language_maps or "rdf:langString" in prop.range:
        return None
    allowed = set(prop.range) | ({vocab.datatypes[prop.id]} if prop.id in vocab.datatypes else set())
    if "rdfs:Literal" in allowed:
        return None
    options = " ".join(f"[ {_datatype_check(vocab, d)} ]" for d in sorted(allowed))
    constraints = (_datatype_check(vocab, next(iter(allowed))).split(" ; ") if len(allowed) == 1
                   else [f"sh:or ( {options} )"])
    return Shape(f"P_{ident(prop.id)}_datatype", "sh:PropertyShape", [
        f"sh:path {iri(vocab, prop.id)}", *constraints,
        *annotations("STRUCT-DATATYPE", f"{prop.id} datatype",
                     f"{prop.id} must be a well-formed {' or '.join(sorted(allowed))}", "Violation",
                     f"{VOCAB_SOURCE}: schema:rangeIncludes of {prop.id}; bundled JSON-LD context coercion",
                     _see(prop))],
        "The context's coercion (e.g. xsd:date) is allowed too: it is what a JSON string becomes.")


def _range(vocab: Vocabulary, prop: PropertyInfo) -> Shape | None:
    if _kind(vocab, prop) not in ("node", "mixed"):
        return None
    classes = {r for r in prop.range if r not in LITERAL_RANGES and r not in OPEN_RANGES and r != "xsd:anyURI"}
    if not classes:
        return None
    if "skos:Concept" in classes and prop.target_schemes:
        # Credential Engine's own Registry Assistant output gives concept values as CredentialAlignmentObjects
        # even where the range is skos:Concept (ceterms:creditUnitType in CredentialWithMultipleLanguages_
        # Api_output.json); the registry accepts both, so both pass, and the concept is still checked.
        classes = classes | {"ceterms:CredentialAlignmentObject"}
    allowed = class_closure(vocab, classes)
    return Shape(f"P_{ident(prop.id)}_range", "sh:PropertyShape", [
        f"sh:path {iri(vocab, prop.id)}",
        f"sh:node [ sh:property [ sh:path [ sh:alternativePath ( rdf:type ctshapes:describedType ) ] ; "
        f"sh:or ( [ sh:in {in_list(vocab, allowed)} ] ctshapes:UnlistedClass ) ] ]",
        *annotations("STRUCT-RANGE", f"{prop.id} range",
                     f"The object given for {prop.id} is of a class it does not take "
                     f"(schema:rangeIncludes: {_class_summary(vocab, classes)})",
                     "Violation", f"{VOCAB_SOURCE}: schema:rangeIncludes of {prop.id}, with subclasses", _see(prop))],
        "Applies to values described in the submission (typed nodes); bare references are checked by the "
        "cross-record checks. ctshapes:describedType carries the rdf:type of a value described in another "
        "part of the submission when ctdl_tools validates in chunks (checker.py); it never appears in user data.")


def _langstring(vocab: Vocabulary, prop: PropertyInfo) -> Shape | None:
    if prop.id not in vocab.language_maps:
        return None
    return Shape(f"P_{ident(prop.id)}_langString", "sh:PropertyShape", [
        f"sh:path {iri(vocab, prop.id)}", "sh:datatype rdf:langString",
        *annotations("STRUCT-LANGSTRING", f"{prop.id} language map",
                     f"{prop.id} must be a language map such as {{\"en-US\": \"…\"}}, not a plain string",
                     "Violation", "Bundled CTDL JSON-LD context: \"@container\": \"@language\"; "
                     "CredentialEngine/credential-registry-ingest-examples index.md (Credential Engine recommends "
                     "language maps)", _see(prop))])


def _unique_lang(vocab: Vocabulary, prop: PropertyInfo) -> Shape | None:
    if prop.id not in SINGLE_TEXT or prop.id not in vocab.language_maps:
        return None
    return Shape(f"P_{ident(prop.id)}_uniqueLang", "sh:PropertyShape", [
        f"sh:path {iri(vocab, prop.id)}", "sh:uniqueLang true",
        *annotations("STRUCT-UNIQUE-LANG", f"{prop.id} one text per language",
                     f"{prop.id} has more than one text in the same language", "Violation",
                     "Credential Engine registry JSON Schemas: meta:langstring (one string per language)",
                     _see(prop))])


# --- concepts.ttl -----------------------------------------------------------------------------------------
def concept_shapes(vocab: Vocabulary, typed_schemes: set[str]) -> list[Shape]:
    shapes: list[Shape] = []
    for prop in sorted(vocab.properties.values(), key=lambda p: p.id):
        for scheme in prop.target_schemes:
            if scheme in typed_schemes and vocab.concepts_in(scheme):
                shapes.extend(_closed_scheme(vocab, prop, scheme))
            elif scheme in CODE_FORMS and "ceterms:CredentialAlignmentObject" in prop.range:
                shapes.append(_code_form(vocab, prop, scheme))
    return shapes


def _closed_scheme(vocab: Vocabulary, prop: PropertyInfo, scheme: str) -> list[Shape]:
    """Two shapes, one per way of writing the concept, whatever the range says (the range decides what
    STRUCT-RANGE accepts, not how the concept can be written): the concept IRI itself, as the Registry
    Assistant's input and many providers write it, and the alignment object's ceterms:targetNode, as registry
    records write it. A value is reached by one of the two only, so a wrong concept is reported once."""
    if "ceterms:CredentialAlignmentObject" not in prop.range and "skos:Concept" not in prop.range:
        return []
    concepts = in_list(vocab, vocab.concepts_in(scheme))
    src = f"{VOCAB_SOURCE}: meta:targetScheme of {prop.id} = {scheme} (a skos:ConceptScheme), its concepts"
    message = f"The value of {prop.id} is not a concept of {scheme}"
    notes = annotations("STRUCT-CONCEPT-SCHEME", f"{prop.id} concept scheme", message, "Violation", src,
                        term_page(scheme))
    # Values the bare form leaves to other rules, so that one wrong value is reported once: an embedded object
    # (a skolem IRI, rdf.py) or one described with an @id as something other than a concept (STRUCT-RANGE
    # checks its class; its targetNode is checked below), a plain string read as a relative reference
    # (JSONLD-RELATIVE-IRI), and text where the concept belongs (STRUCT-IRI-VALUED).
    # The embedded object first: registry records write these properties so, and sh:or stops at the first
    # alternative that holds.
    others = [f"[ sh:pattern {lit('^' + RELATIVE_BASE)} ]",
              "[ sh:property [ sh:path [ sh:alternativePath ( rdf:type ctshapes:describedType ) ] ; "
              "sh:minCount 1 ; sh:not [ sh:in ( skos:Concept ) ] ] ]"]
    if _iri_checked(vocab, prop):
        others.append("[ sh:nodeKind sh:Literal ]")
    embedded = f"[ sh:pattern {lit('^' + SKOLEM_NS)} ]"
    bare = Shape(f"P_{ident(prop.id)}_scheme", "sh:PropertyShape", [
        f"sh:path {iri(vocab, prop.id)}", f"sh:or ( {embedded} [ sh:in {concepts} ] {' '.join(others)} )", *notes],
        "The concept IRI itself (\"credentialStat:Active\"). An embedded object is checked by its targetNode "
        "(next shape) and its class (STRUCT-RANGE); a relative reference is reported by JSONLD-RELATIVE-IRI, "
        "text instead of a concept by STRUCT-IRI-VALUED.")
    wrapped = Shape(f"P_{ident(prop.id)}_scheme_alignment", "sh:PropertyShape", [
        f"sh:path ( {iri(vocab, prop.id)} ceterms:targetNode )", f"sh:in {concepts}", *notes],
        "The concept wrapped in a CredentialAlignmentObject, as registry records write it: its "
        "ceterms:targetNode must be a concept of the scheme.")
    out = [bare, wrapped]
    for shape in out:
        shape.lines.insert(0, f"sh:targetSubjectsOf {iri(vocab, prop.id)}")
    return out


def _iri_checked(vocab: Vocabulary, prop: PropertyInfo) -> bool:
    """Whether properties.ttl reports a text value of the property (STRUCT-IRI-VALUED)."""
    shape = _node_kind(vocab, prop)
    return shape is not None and shape.name.endswith("_iri")


def _code_form(vocab: Vocabulary, prop: PropertyInfo, scheme: str) -> Shape:
    pattern, example = CODE_FORMS[scheme]
    return Shape(f"P_{ident(prop.id)}_code", "sh:PropertyShape", [
        f"sh:targetSubjectsOf {iri(vocab, prop.id)}",
        f"sh:path ( {iri(vocab, prop.id)} ceterms:codedNotation )", f"sh:pattern {lit(pattern)}",
        *annotations("STRUCT-CODE-FORM", f"{prop.id} code form",
                     f"ceterms:codedNotation of {prop.id} should be {example}", "Warning",
                     f"{VOCAB_SOURCE}: meta:targetScheme of {prop.id} = {scheme} (an external code list: "
                     "form is checked, membership is not)", term_page(scheme))],
        f"{scheme} stands for an external code list; checked by form only.")


MISSPELT_CRITERION_LEVEL = "ceasn:CrtiterionLevel"  # so the vocabulary spells it in ceterms:ctid's domain


def record_classes(vocab: Vocabulary) -> set[str]:
    """The classes a record (a node with a CTID) may have: the domain of ceterms:ctid with subclasses. The
    vocabulary spells one of them ceasn:CrtiterionLevel; the class it defines is ceasn:CriterionLevel."""
    domain = set(vocab.properties["ceterms:ctid"].domain)
    if MISSPELT_CRITERION_LEVEL in domain and "ceasn:CriterionLevel" in vocab.classes:
        domain.add("ceasn:CriterionLevel")
    return class_closure(vocab, domain)


# --- terms.ttl --------------------------------------------------------------------------------------------
# Classes of Credential Engine's QData schema (https://credreg.net/qdata/schema/encoding/json, Oct 2023
# snapshot: CredentialEngine/credential-registry-publish-action:src/qdata-schema.json, CC BY 4.0), which is
# not bundled. The Registry Assistant publishes them (a qdata:DataSetProfile record with qdata:DataSetTimeFrame
# and qdata:DataProfile nodes, earnings as schema:MonetaryAmountDistribution: RA.SamplesForDocumentation
# Credential_WithOutcomeData_Credential_API_output.json), so they are known classes, not typos.
QDATA_CLASSES = frozenset({
    "qdata:DataProfile", "qdata:DataSetProfile", "qdata:DataSetTimeFrame", "schema:MonetaryAmountDistribution",
})


def named_classes(vocab: Vocabulary) -> set[str]:
    """Classes the vocabulary names without defining them: in schema:domainIncludes, schema:rangeIncludes or
    rdfs:subClassOf (qdata:DataSetProfile, qdata:Metric: classes of QData, which CTDL uses and records are
    published as), datatypes left out; and the QData schema's classes."""
    named = {cls for info in vocab.classes.values() for cls in info.superclasses}
    for prop in vocab.properties.values():
        named |= prop.domain | prop.range
    named -= LITERAL_RANGES | OPEN_RANGES | {MISSPELT_CRITERION_LEVEL}
    return {cls for cls in named if cls.partition(":")[0] not in ("xsd", "rdf", "rdfs")} | QDATA_CLASSES


def term_shapes(vocab: Vocabulary, known_props: set[str]) -> list[Shape]:
    classes = set(vocab.classes)
    # STRUCT-UNKNOWN-CLASS knows the classes the vocabulary only names too. The domain shapes leave those alone
    # (UnknownClass: what properties a class it does not define may have, only its definition could say); the range
    # shapes do not (UnlistedClass): a value of a class the range does not name is wrong whether or not the
    # vocabulary defines that class (ceterms:FinancialAlignmentObject, which CTDL no longer has, as a
    # ceterms:financialAssistance in Credential Engine's 2018 test payloads).
    known_classes = classes | named_classes(vocab)
    unknown = Shape("UnknownClass", "sh:NodeShape", ["sh:not [ sh:in " + in_list(vocab, classes) + " ]"],
                    "Helper (no target): a class the vocabulary does not define. Used inside the domain "
                    "shapes so an unknown @type is reported once, by STRUCT-UNKNOWN-CLASS.")
    unlisted = Shape("UnlistedClass", "sh:NodeShape", ["sh:not [ sh:in " + in_list(vocab, known_classes) + " ]"],
                     "Helper (no target): a class the vocabulary neither defines nor names (what "
                     "STRUCT-UNKNOWN-CLASS reports). Used inside the range shapes so such a @type is reported once.")
    cls = Shape("unknown_class", "sh:PropertyShape", [
        "sh:path rdf:type", f"sh:in {in_list(vocab, known_classes)}",
        *annotations("STRUCT-UNKNOWN-CLASS", "Known class",
                     "This @type is not a class of CTDL or CTDL-ASN", "Warning",
                     f"{VOCAB_SOURCE}: rdfs:Class nodes", "https://credreg.net/ctdl/terms")])
    # Policy shapes target classes: a record typed only with a misspelt class, or with a class that is only
    # ever embedded (no policy shape for it), would pass every one of them.
    record = Shape("record_class", "sh:NodeShape", [
        "sh:targetSubjectsOf ceterms:ctid",
        "sh:not [ sh:property [ sh:path rdf:type ; sh:minCount 1 ; sh:not [ sh:in "
        + in_list(vocab, record_classes(vocab)) + " ] ] ]",
        *annotations("STRUCT-RECORD-CLASS", "Record of a class published as a record",
                     "No @type of this record is a class published as a record (a class ceterms:ctid is "
                     "defined on), so none of the Minimum Data Policy's rules for its class can be checked and "
                     "the Registry Assistant will not take it: use the class it is (e.g. ceterms:Certificate, "
                     "ceterms:Course); a misspelt class, or one that is only embedded (ceterms:LearningOpportunity, "
                     "ceterms:ConditionProfile), cannot be a record", "Violation",
                     f"{VOCAB_SOURCE}: schema:domainIncludes of ceterms:ctid, with subclasses; "
                     "https://credreg.net/registry/policy#mindata (required properties are set per class)",
                     "https://credreg.net/ctdl/terms/ctid")],
        "Every node with a CTID (a record) has a class that ceterms:ctid is defined on; an unknown @type is "
        "also reported, by STRUCT-UNKNOWN-CLASS.")
    ignored = sorted(known_props | {"rdf:type"})
    prop = Shape("known_terms", "sh:NodeShape", [
        "sh:targetSubjectsOf rdf:type", "sh:property ctshapes:unknown_class", "sh:closed true",
        f"sh:ignoredProperties {in_list(vocab, ignored)}",
        *annotations("STRUCT-UNKNOWN-PROPERTY", "Known property",
                     "This property is not a term of CTDL or CTDL-ASN", "Warning",
                     f"{VOCAB_SOURCE}: rdf:Property nodes, and the terms of the bundled contexts",
                     "https://credreg.net/ctdl/terms")],
        "Closed over every property the vocabulary or the bundled contexts define.")
    return [unknown, unlisted, prop, cls, record]


# --- files ------------------------------------------------------------------------------------------------
HEADERS = {
    "ctid.ttl": "CTID form and agreement with the resource's @id.",
    "properties.ttl": "Per-property structure: domain, literal vs reference, datatype, range, language maps.",
    "concepts.ttl": "Concept-scheme values (closed lists) and external code forms.",
    "terms.ttl": "Classes and properties the vocabulary does not define.",
}


def typed_scheme_ids() -> set[str]:
    import json

    from ctdl_tools.vocab.schema import SCHEMA_FILES, read_data_bytes

    return {node["@id"] for name in SCHEMA_FILES for node in json.loads(read_data_bytes(name))["@graph"]
            if node.get("@type") == "skos:ConceptScheme"}


def known_properties(vocab: Vocabulary) -> set[str]:
    return set(vocab.properties) | vocab.iri_valued | vocab.language_maps | set(vocab.datatypes)


def render(name: str, shapes: list[Shape]) -> str:
    head = (f"# GENERATED by `python -m ctdl_tools.validate.shapes_build` from the bundled CTDL vocabulary.\n"
            f"# Do not edit by hand: change ctdl_tools/validate/shapes_build.py and regenerate.\n"
            f"# {HEADERS[name]}\n# Vocabulary: {VOCAB_SOURCE}; CTDL by Credential Engine, CC BY 4.0.\n\n")
    return head + PREFIXES + "\n" + "\n".join(s.render() for s in shapes)


def build_structural_shapes(out_dir: Path | str) -> list[Path]:
    """Write the generated structural shapes into ``out_dir``; returns the files generated. A file whose
    content is already what would be written is left alone (its time unchanged: the parsed-shapes cache,
    keyed by the files' times, stays valid); others are written whole or not at all."""
    vocab = vocabulary()
    known = known_properties(vocab)
    files = {
        "ctid.ttl": ctid_shapes(),
        "properties.ttl": property_shapes(vocab, known),
        "concepts.ttl": concept_shapes(vocab, typed_scheme_ids()),
        "terms.ttl": term_shapes(vocab, known),
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, shapes in files.items():
        path = out / name
        content = render(name, shapes).encode("utf-8")
        if not (path.is_file() and path.read_bytes() == content):
            write_atomic(path, content)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ctdl_tools.validate.shapes_build OUTDIR", file=sys.stderr)
        return 2
    for path in build_structural_shapes(args[0]):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
