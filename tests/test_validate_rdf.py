"""The fast JSON-LD → N-Triples converter yields the same graph as pyld's ``jsonld.to_rdf``.

Compared as RDF graphs (isomorphism, blank nodes renamed), graph names dropped (a registry graph document
is a named graph in pyld's output; we validate the union), ``xsd:string`` literals written plain (RDF 1.1
treats them as equal; rdflib does not). Lines pyld produces that no N-Triples parser accepts (invalid IRIs
or language tags) are what the converter reports as dropped instead of emitting.
"""

from __future__ import annotations

import copy
import json
import random
from decimal import Decimal

import pyoxigraph
import pytest
from pyld import jsonld
from rdflib import Graph, Literal
from rdflib.compare import isomorphic

from ctdl_tools.jsonscan import escape_pointer, pointer_tokens
from ctdl_tools.validate.loader import load_documents
from ctdl_tools.validate.rdf import Unsupported, convert, ontology_ntriples
from ctdl_tools.vocab import offline_loader

from .conftest import DATA

# rdflib warns when it cannot turn a generated lexical form into a Python value; the graphs still compare.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"
CTX = "https://credreg.net/ctdl/schema/context/json"


def _graph(lines: list[str]) -> Graph:
    graph = Graph()
    for line in lines:
        for quad in pyoxigraph.parse(line.encode("utf-8"), format=pyoxigraph.RdfFormat.N_QUADS):
            graph.add(tuple(_rdflib(t) for t in (quad.subject, quad.predicate, quad.object)))
    return graph


def _rdflib(term: object) -> object:
    from rdflib import BNode, URIRef

    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    dt = term.datatype.value
    if dt == XSD_DECIMAL and "E" in term.value:
        # pyld's xsd:double form of a JSON number under an xsd:decimal coercion, with 16 significant digits
        # ("9.963190000000001E3" for 9963.19): the converter writes the same double's shortest decimal form
        # (rdf._decimal_form), so the two are compared as the double they both come from.
        return Literal(format(Decimal(repr(float(term.value))), "f"), datatype=URIRef(dt))
    return Literal(term.value) if dt == XSD_STRING else Literal(term.value, datatype=URIRef(dt))


def pyld_graph(document: dict) -> tuple[Graph, int]:
    """pyld's triples (graph names dropped) and the number of lines no N-Quads parser accepts."""
    options = {"documentLoader": offline_loader(), "format": "application/n-quads"}
    nquads = jsonld.to_rdf(copy.deepcopy(document), options)
    good, bad = [], 0
    for line in nquads.splitlines():
        try:
            quads = list(pyoxigraph.parse(line.encode("utf-8"), format=pyoxigraph.RdfFormat.N_QUADS))
        except SyntaxError:
            bad += 1
            continue
        good += [f"{q.subject} {q.predicate} {q.object} .\n" for q in quads if not _blank_text(q.object)]
    return _graph(good), bad


def _blank_text(term: object) -> bool:
    """A string literal that is empty or white space: ours leaves it out (TEXT-BLANK), pyld keeps it."""
    if not isinstance(term, pyoxigraph.Literal) or term.datatype.value not in (
            "http://www.w3.org/2001/XMLSchema#string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"):
        return False
    return not term.value or term.value.isspace()


def assert_same_as_pyld(document: dict) -> None:
    conv = convert(document, "t")
    expected, bad = pyld_graph(document)
    ours = _graph(conv.lines)
    assert isomorphic(ours, expected), (len(ours), len(expected))
    # A value object where a language map belongs is one finding; pyld writes a bad line per key (a tag).
    objects = sum(_string_members(document, d.pointer) for d in conv.dropped if d.kind == "valueobject")
    assert bad == sum(1 for d in conv.dropped if d.kind in ("iri", "language")) + objects, conv.dropped


def _string_members(document: dict, pointer: str) -> int:
    node: object = document
    for token in pointer_tokens(pointer):
        node = node[int(token)] if isinstance(node, list) else node[token]  # type: ignore[index]
    return sum(1 for v in node.values() if isinstance(v, str))  # type: ignore[union-attr]


def corpus_documents() -> list[tuple[str, dict]]:
    loaded = load_documents([DATA / "registry"])
    return [(f"{d.file.rsplit('/', 1)[-1]}#{d.base}", d.data) for d in loaded.documents]


@pytest.mark.parametrize(("name", "document"), corpus_documents(), ids=lambda v: v if isinstance(v, str) else "")
def test_corpus_record_matches_pyld(name: str, document: dict) -> None:
    assert_same_as_pyld(document)


def test_hand_made_fixtures_match_pyld() -> None:
    for d in load_documents([DATA / "validate"]).documents:
        assert_same_as_pyld(d.data)


# --- generated documents ------------------------------------------------------------------------------
KEYS = ["ceterms:name", "ceterms:description", "ceterms:keyword", "ceterms:subjectWebpage", "ceterms:ownedBy",
        "ceterms:ctid", "ceterms:dateEffective", "ceterms:latitude", "ceterms:weight", "ceterms:requires",
        "ceterms:estimatedDuration", "ceterms:exactDuration", "ceterms:targetNode", "ceterms:unknownThing",
        "ceterms:inLanguage", "schema:value", "ceterms:isNonCredit", "nocolon", "ceterms:bad key ", "ceterms",
        "http://example.org/abs", "ceterms:codedNotation"]


def random_value(rng: random.Random, depth: int) -> object:
    roll = rng.random()
    if roll < 0.15:
        return {rng.choice(["en", "en-US", "es", "EN-gb", "@none", "fr-CA"]): rng.choice(["a", ["b", "c"], "é\"\n\\"])}
    if roll < 0.3:
        return rng.choice(["https://example.org/x", "credentialStat:Active", "relative/path", "_:b1", "_:b2",
                           "audLevel:GraduateLevel", "mailto:a@b.org", "P1Y", "2024-01-31", ""])
    if roll < 0.45:
        return rng.choice([0, 7, -3, 2.5, 3.0, 1e22, 1.5e-7, True, False, None])
    if roll < 0.55:
        return {"@value": rng.choice(["v", "2020"]), "@type": rng.choice(["xsd:gYear", "xsd:string"])}
    if roll < 0.6:
        return {"@value": "hello", "@language": rng.choice(["en", "DE-at"])}
    if roll < 0.75 and depth < 3:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if depth < 3:
        return random_node(rng, depth + 1)
    return "leaf"


def random_node(rng: random.Random, depth: int) -> dict:
    node: dict = {}
    if rng.random() < 0.5:
        node["@id"] = rng.choice(["_:b1", "_:b2", "https://credentialengineregistry.org/resources/ce-x",
                                  "relative-id", "_:b3"])
    if rng.random() < 0.8:
        node["@type"] = rng.choice(["ceterms:Course", ["ceterms:Course", "Thing"], "ceterms:ConditionProfile"])
    for key in rng.sample(KEYS, rng.randint(1, 5)):
        node[key] = random_value(rng, depth)
    return node


def generated_documents(count: int = 300, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        if rng.random() < 0.5:
            doc = {"@context": CTX, "@id": "https://credentialengineregistry.org/graph/ce-1",
                   "@graph": [random_node(rng, 0) for _ in range(rng.randint(1, 4))]}
            if rng.random() < 0.2:
                doc["adms:status"] = "provisional"
        else:
            doc = {"@context": CTX, **random_node(rng, 0)}
        out.append(doc)
    return out


def _pyld_accepts(document: dict) -> bool:
    try:
        jsonld.to_rdf(copy.deepcopy(document), {"documentLoader": offline_loader()})
    except jsonld.JsonLdError:
        return False
    return True


def test_generated_documents_match_pyld() -> None:
    checked = 0
    for doc in generated_documents():
        if not _pyld_accepts(doc):  # pyld rejects the whole document (e.g. a number in a language map)
            continue
        try:
            convert(doc, "g")
        except Unsupported:
            continue
        assert_same_as_pyld(doc)
        checked += 1
    assert checked > 200


def test_pointers_map_every_subject_to_its_object() -> None:
    doc = json.loads((DATA / "validate" / "learning_program.json").read_text(encoding="utf-8"))
    conv = convert(doc, "d0")
    subjects = {line.split(" ", 1)[0] for line in conv.lines}
    assert subjects <= set(conv.pointers)
    main = "<https://credentialengineregistry.org/resources/ce-1b8d4e3f-9e52-4d7c-a01f-3c6e8b2d4fa1>"
    assert conv.pointers[main] == "/@graph/0"
    bnode = next(t for t, label in conv.bnode_labels.items() if label.startswith("_:3f1a"))
    assert conv.pointers[bnode] == "/@graph/1"


def test_unsupported_constructs_are_refused_not_guessed() -> None:
    with pytest.raises(Unsupported):
        convert({"@context": CTX, "@type": "ceterms:Course", "ceterms:hasPart": {"@list": ["a"]}}, "x")
    with pytest.raises(Unsupported):
        convert({"@context": "https://example.org/other", "@type": "ceterms:Course"}, "x")


def test_ontology_triples_and_pointer_escaping() -> None:
    assert "<https://purl.org/ctdl/terms/BachelorDegree> <http://www.w3.org/2000/01/rdf-schema#subClassOf>" \
        in ontology_ntriples()
    assert escape_pointer("a/b~c") == "a~1b~0c"


def test_a_bad_language_tag_is_reported_as_written() -> None:
    # RDF lower-cases tags; the finding quotes the user's text ("en_US"), which they can search for.
    doc = {"@context": "https://credreg.net/ctdl/schema/context/json",
           "@id": "https://credentialengineregistry.org/resources/ce-2c9e5f40-af63-4e8d-b120-4d7f9c3e5ab2",
           "@type": "ceterms:Course",
           "ceterms:name": {"en_US": "Welding"},
           "ceterms:codedNotation": {"@value": "WLD 101", "@language": "EN_us"}}
    dropped = {(d.pointer, d.kind, d.value) for d in convert(doc, "t").dropped}
    assert dropped == {("/ceterms:name/en_US", "language", "en_US"),
                       ("/ceterms:codedNotation", "language", "EN_us")}
