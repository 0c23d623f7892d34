"""A user's rule written the common way (the rule id and sh:name on a named node shape, the constraint and its
sh:message on an anonymous ``sh:property [ … ]``) reads the same on every engine, whatever other shapes are loaded.

Found in acceptance testing: native gave the rule id and the user's message; adding an unrelated shape that uses
sh:maxInclusive (which native lacks) made ``auto`` pick shacl for the run and the message became "sh:minCount not
met on ceterms:keyword"; ``--engine pyshacl`` kept the message but gave the rule id ``SHACL-MinCount`` and the shape
``_:s13x0``. Each engine parsed the shapes itself and labelled the blank node its own way; the loader now names
blank-node shapes before any engine sees them (shapes._skolemised) and the checker goes from such a shape to the
shapes holding it (ShapeSet.holding).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from ctdl_tools.validate import validate
from ctdl_tools.validate.engine import available, compile_engine
from ctdl_tools.validate.native import UnsupportedShapes
from ctdl_tools.validate.shapes import SHAPE_GENID, load_shapes

pytestmark = pytest.mark.skipif(not (available("shacl") and available("pyshacl")), reason="needs both engines")

PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ceterms: <https://purl.org/ctdl/terms/> .
@prefix ctshapes: <https://purl.org/ctdl_tools/shapes/> .
@prefix ex: <https://agency.example.gov/shapes/> .
"""
KEYWORD = """ex:CredentialKeyword a sh:NodeShape ;
  sh:targetClass ceterms:Credential ;
  ctshapes:ruleId "AGENCY-CREDENTIAL-KEYWORD" ;
  sh:name "Agency: keyword required" ;
  sh:property [
    sh:path ceterms:keyword ;
    sh:minCount 1 ;
    sh:severity sh:Violation ;
    sh:message "The agency requires at least one ceterms:keyword on every credential" ;
  ] .
"""
PRICE = """ex:P a sh:NodeShape ; sh:targetClass ceterms:CostProfile ; ctshapes:ruleId "AGENCY-PRICE-RANGE" ;
  sh:property [ sh:path ceterms:price ; sh:maxInclusive 5000 ; sh:severity sh:Warning ;
                sh:message "Price over 5000: check it" ] .
"""
NAMED_PRICE = """ex:P a sh:NodeShape ; sh:targetClass ceterms:CostProfile ; sh:property ex:PriceMax .
ex:PriceMax a sh:PropertyShape ; ctshapes:ruleId "AGENCY-PRICE-RANGE" ; sh:name "Price cap" ;
  sh:path ceterms:price ; sh:maxInclusive 5000 ; sh:severity sh:Warning ; sh:message "Price over 5000: check it" .
"""
# Unrelated to the credential rule: a shape native runs (sh:pattern) and one it does not (sh:minExclusive).
OTHER_NATIVE = """ex:Ctid a sh:NodeShape ; sh:targetClass ceterms:Credential ; ctshapes:ruleId "AGENCY-CTID" ;
  sh:property [ sh:path ceterms:ctid ; sh:pattern "^ce-" ; sh:message "CTIDs start ce-" ] .
"""
OTHER_RANGE = """ex:Positive a sh:NodeShape ; sh:targetClass ceterms:CostProfile ;
  ctshapes:ruleId "AGENCY-PRICE-POSITIVE" ;
  sh:property [ sh:path ceterms:price ; sh:minExclusive 0 ; sh:message "A price is more than 0" ] .
"""

RECORD = "https://credentialengineregistry.org/resources/ce-5b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
CREDENTIAL = {
    "@context": "https://credreg.net/ctdl/schema/context/json",
    "@id": RECORD.replace("/resources/", "/graph/"),
    "@graph": [{
        "@id": RECORD,
        "@type": "ceterms:Certificate",
        "ceterms:ctid": RECORD.rpartition("/")[2],
        "ceterms:name": {"en-US": "Welding Certificate"},
        "ceterms:description": {"en-US": "A one-semester certificate in shielded metal arc welding."},
        "ceterms:estimatedCost": [{"@type": "ceterms:CostProfile", "ceterms:price": 6000, "ceterms:currency": "USD"}],
    }],
}
OURS_OFF = ["MDP-*", "RA-*", "STRUCT-*", "XREF-*"]  # ours are compared in test_validate_engines

KEYWORD_FINDING = ("AGENCY-CREDENTIAL-KEYWORD", "The agency requires at least one ceterms:keyword on every credential",
                   "Violation", "https://agency.example.gov/shapes/CredentialKeyword", "/@graph/0")
PRICE_FINDING = ("AGENCY-PRICE-RANGE", "Price over 5000: check it", "Warning", "https://agency.example.gov/shapes/P",
                 "/@graph/0/ceterms:estimatedCost/0/ceterms:price")


def shape_dir(tmp_path: Path, *bodies: str) -> Path:
    folder = tmp_path / "agency"
    folder.mkdir(parents=True, exist_ok=True)
    for number, body in enumerate(bodies):  # one file each: blank-node labels then depend on the file's place
        (folder / f"{number}.ttl").write_text(PREFIXES + body, encoding="utf-8")
    return folder


def user_findings(folder: Path, engine: str, doc: dict = CREDENTIAL, disabled: tuple[str, ...] = ()) -> list[tuple]:
    report = validate([copy.deepcopy(doc)], shapes_dirs=[folder], engine=engine, disabled_rules=[*OURS_OFF, *disabled])
    return sorted((f.rule_id, f.message, f.severity, f.shape, f.pointer) for f in report.findings
                  if f.rule_id.startswith(("AGENCY-", "SHACL-")))


def on_every_engine(folder: Path, **kwargs: object) -> list[tuple]:
    """The findings, which must be the same on each engine that can run the shapes (auto among them)."""
    seen = {}
    for engine in ("auto", "native", "shacl", "pyshacl"):
        try:
            seen[engine] = user_findings(folder, engine, **kwargs)  # type: ignore[arg-type]
        except UnsupportedShapes:  # native refuses what it lacks (sh:maxInclusive…); the others run it all
            assert engine == "native"
    assert {"auto", "shacl", "pyshacl"} <= set(seen)
    first = seen["shacl"]
    assert all(found == first for found in seen.values()), seen
    return first


def test_the_anonymous_property_shape_rule_reads_alike_on_every_engine(tmp_path: Path) -> None:
    assert on_every_engine(shape_dir(tmp_path, KEYWORD)) == [KEYWORD_FINDING]


def test_a_range_rule_native_lacks_keeps_its_id_and_message(tmp_path: Path) -> None:
    folder = shape_dir(tmp_path, PRICE)
    with pytest.raises(UnsupportedShapes):
        compile_engine("native", load_shapes([folder]))
    assert on_every_engine(folder) == [PRICE_FINDING]


@pytest.mark.parametrize("others", [(PRICE,), (OTHER_RANGE,), (OTHER_NATIVE,), (OTHER_RANGE, OTHER_NATIVE),
                                    (NAMED_PRICE,)])
def test_other_shapes_loaded_change_nothing_for_the_rule(tmp_path: Path, others: tuple[str, ...]) -> None:
    # sh:maxInclusive / sh:minExclusive in another shape make auto run shacl for everything: same findings.
    alone = user_findings(shape_dir(tmp_path / "alone", KEYWORD), "native")
    together = on_every_engine(shape_dir(tmp_path / "together", KEYWORD, *others))
    assert [f for f in together if f[0] == "AGENCY-CREDENTIAL-KEYWORD"] == alone == [KEYWORD_FINDING]
    if PRICE in others or NAMED_PRICE in others:
        shape = "https://agency.example.gov/shapes/" + ("P" if PRICE in others else "PriceMax")
        assert [f for f in together if f[0] == "AGENCY-PRICE-RANGE"] == [(*PRICE_FINDING[:3], shape, PRICE_FINDING[4])]


def test_the_order_of_the_files_changes_nothing(tmp_path: Path) -> None:
    first = on_every_engine(shape_dir(tmp_path / "a", KEYWORD, PRICE))
    assert on_every_engine(shape_dir(tmp_path / "b", PRICE, KEYWORD)) == first == sorted([KEYWORD_FINDING,
                                                                                        PRICE_FINDING])


def test_messages_come_from_the_shape_else_the_shapes_holding_it(tmp_path: Path) -> None:
    # The message on the node shape only: the property shape's results take it. A rule id on the property
    # shape itself: its own, shown with the named shape that holds it. A {?value} template on the anonymous
    # shape: filled in alike (pySHACL fills it; shacl and native leave it to the checker).
    body = """ex:K a sh:NodeShape ; sh:targetClass ceterms:Credential ; ctshapes:ruleId "AGENCY-K" ;
      sh:message "Keywords, please" ; sh:property [ sh:path ceterms:keyword ; sh:minCount 1 ] .
    ex:Cost a sh:NodeShape ; sh:targetClass ceterms:CostProfile ;
      sh:property [ sh:path ceterms:price ; sh:maxInclusive 100 ; ctshapes:ruleId "AGENCY-CHEAP" ;
                    sh:message "{?value} is over 100" ] .
    ex:Plain a sh:NodeShape ; sh:targetClass ceterms:CostProfile ; sh:property [ sh:path ceterms:price ;
      sh:maxInclusive 10 ] .
    """
    cost = "/@graph/0/ceterms:estimatedCost/0/ceterms:price"
    assert on_every_engine(shape_dir(tmp_path, body)) == [
        ("AGENCY-CHEAP", "6000 is over 100", "Violation", "https://agency.example.gov/shapes/Cost", cost),
        ("AGENCY-K", "Keywords, please", "Violation", "https://agency.example.gov/shapes/K", "/@graph/0"),
        ("SHACL-MaxInclusive", "sh:maxInclusive not met on ceterms:price", "Violation",
         "https://agency.example.gov/shapes/Plain", cost)]


def test_a_disabled_anonymous_rule_is_off_on_every_engine(tmp_path: Path) -> None:
    folder = shape_dir(tmp_path, KEYWORD, PRICE)
    assert on_every_engine(folder, disabled=("AGENCY-CREDENTIAL-KEYWORD",)) == [PRICE_FINDING]
    assert on_every_engine(folder, disabled=("AGENCY-*",)) == []


def test_blank_node_shapes_are_named_before_any_engine_sees_them(tmp_path: Path) -> None:
    shapes = load_shapes([shape_dir(tmp_path, KEYWORD, PRICE)])
    shape_terms = {s for s, p, _ in shapes.triples if p == "<http://www.w3.org/ns/shacl#path>"}
    assert shape_terms and not any(s.startswith("_:") for s in shape_terms)
    assert not any(shape.startswith("_:") for shape in shapes.rules)
    held = [s for s in shape_terms if s.startswith(f"<{SHAPE_GENID}") and "agency" in str(shapes.holding(s))]
    assert sorted(shapes.holding(s)[-1] for s in held) == ["<https://agency.example.gov/shapes/CredentialKeyword>",
                                                          "<https://agency.example.gov/shapes/P>"]
    rules = {rule.id: rule for rule in shapes.rules.values() if rule.origin == "user"}
    assert rules["AGENCY-PRICE-RANGE"].severity == "Warning"  # what its property shape reports
    assert rules["AGENCY-CREDENTIAL-KEYWORD"].shape == "https://agency.example.gov/shapes/CredentialKeyword"


def test_the_rules_table_names_the_named_shape(tmp_path: Path) -> None:
    folder = shape_dir(tmp_path, 'ex:C a sh:NodeShape ; sh:targetClass ceterms:Credential ; sh:property [ sh:path '
                                 'ceterms:keyword ; sh:minCount 1 ; ctshapes:ruleId "AGENCY-KW" ] .\n')
    for engine in ("native", "shacl", "pyshacl"):
        report = validate([copy.deepcopy(CREDENTIAL)], shapes_dirs=[folder], engine=engine, disabled_rules=OURS_OFF)
        assert report.rules["AGENCY-KW"].shape == "https://agency.example.gov/shapes/C"
        assert [(f.rule_id, f.message, f.shape) for f in report.findings if f.rule_id == "AGENCY-KW"] == [
            ("AGENCY-KW", "sh:minCount not met on ceterms:keyword", "https://agency.example.gov/shapes/C")]


SPARQL_NAME = """ex:NameSparql a sh:NodeShape ; sh:targetClass ceterms:Credential ; ctshapes:ruleId "AGENCY-NAME" ;
  sh:sparql [ sh:message "Agency: name {?n} of {$this} is {?value}" ; sh:prefixes ex:prefixes ;
    sh:select "SELECT $this ?n WHERE { $this ceterms:name ?n . FILTER(CONTAINS(STR(?n), \\"Welding\\")) }" ] .
ex:prefixes sh:declare [ sh:prefix "ceterms" ; sh:namespace "https://purl.org/ctdl/terms/" ] .
"""


@pytest.mark.parametrize("engine", ["shacl", "pyshacl", "auto"])
def test_a_sparql_message_gets_every_variable_of_its_select(tmp_path: Path, engine: str) -> None:
    # Found in acceptance testing: {?n} (a variable of the SELECT) stayed "{?n}" unless the message also held
    # {$this}; an unbound {?value} was the focus node on pyshacl and "{?value}" on shacl. SHACL §5.3.2: every
    # variable of the solution is filled in, and an unbound ?value is $this.
    [(rule, message, *_)] = user_findings(shape_dir(tmp_path, SPARQL_NAME), engine)
    assert rule == "AGENCY-NAME"
    assert message == f"Agency: name Welding Certificate of {RECORD} is {RECORD}"
