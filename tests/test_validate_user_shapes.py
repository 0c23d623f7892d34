"""A user's own shapes (``ctdl validate --shapes DIR``) that no engine can use are refused when read: one message
naming the file, the shape and the value, exit 2, whichever engine runs. Found in acceptance testing:
``sh:minCount "one"`` was a traceback and exit 1 (read by CI as "violations found"); a rule id of ours was taken
over silently; ``--engine pyshacl`` on a string over 16 MiB was a MemoryError traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner, Result

from ctdl_tools.errors import InputError
from ctdl_tools.validate import engine as engine_module
from ctdl_tools.validate import shapes as shapes_module
from ctdl_tools.validate import shapes_check, validate
from ctdl_tools.validate.commands import cli
from ctdl_tools.validate.shapes import bundled_shapes_dir, load_shapes, shape_files

from .conftest import DATA

COURSE = DATA / "validate" / "course.json"
PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ceterms: <https://purl.org/ctdl/terms/> .
@prefix ctshapes: <https://purl.org/ctdl_tools/shapes/> .
"""
SHAPE_C = "<https://agency.example.gov/shapes/C>"
KEYWORD_SHAPE = f"the property shape on ceterms:keyword in {SHAPE_C}"


def ctdl(*args: str) -> Result:
    # catch_exceptions=False: a traceback fails the test rather than passing as exit 1
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def shape_dir(tmp_path: Path, body: str, name: str = "agency.ttl") -> Path:
    folder = tmp_path / "agency"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(PREFIXES + body, encoding="utf-8")
    return folder


def course_shape(constraints: str) -> str:
    return f"{SHAPE_C} a sh:NodeShape ; sh:targetClass ceterms:Course ; {constraints} .\n"


def refusal(tmp_path: Path, body: str) -> str:
    folder = shape_dir(tmp_path, body)
    with pytest.raises(InputError) as caught:
        load_shapes([folder])
    assert caught.value.where == str(folder / "agency.ttl")
    return caught.value.message


# --- 1. constraint parameters SHACL defines as integers, IRIs, lists… -----------------------------------------
@pytest.mark.parametrize("engine", ["auto", "native", "shacl", "pyshacl"])
def test_ill_typed_min_count_is_one_message_and_exit_2_on_every_engine(tmp_path: Path, engine: str) -> None:
    folder = shape_dir(tmp_path, course_shape('sh:property [ sh:path ceterms:keyword ; sh:minCount "one" ]'))
    result = ctdl("validate", str(COURSE), "--shapes", str(folder), "--engine", engine)
    assert result.exit_code == 2, result.output
    assert result.stderr == (f'error: {folder / "agency.ttl"}: {KEYWORD_SHAPE}: sh:minCount "one": SHACL takes an '
                             "integer here (e.g. sh:minCount 1)\n")
    assert "Traceback" not in result.output
    listed = ctdl("shapes", "list", "--shapes", str(folder))
    assert listed.exit_code == 2 and 'sh:minCount "one"' in listed.stderr


BAD_PARAMETERS = [
    ("sh:property [ sh:path ceterms:keyword ; sh:maxCount 1.5 ]", f"{KEYWORD_SHAPE}: sh:maxCount 1.5: SHACL takes "
     "an integer"),
    ('sh:property [ sh:path ceterms:keyword ; sh:minLength "3" ]', 'sh:minLength "3": SHACL takes an integer'),
    ("sh:property [ sh:path ceterms:keyword ; sh:maxLength ceterms:x ]", "sh:maxLength ceterms:x: SHACL takes an "
     "integer"),
    ('sh:property [ sh:path ceterms:keyword ; sh:qualifiedMinCount "x" ; sh:qualifiedValueShape [ sh:datatype '
     "xsd:string ] ]", 'sh:qualifiedMinCount "x": SHACL takes an integer'),
    ('sh:property [ sh:path ceterms:keyword ; sh:pattern "a(b" ]', 'sh:pattern "a(b" is not a regular expression'),
    ('sh:property [ sh:path ceterms:keyword ; sh:pattern "ab" ; sh:flags "g" ]', 'sh:flags "g": g is not a flag'),
    ("sh:property [ sh:path ceterms:keyword ; sh:pattern ceterms:x ]", "sh:pattern ceterms:x: SHACL takes a string"),
    ("sh:property [ sh:path ceterms:keyword ; sh:minInclusive ceterms:x ]", "sh:minInclusive ceterms:x: SHACL takes "
     "a literal"),
    ('sh:property [ sh:path "keyword" ; sh:minCount 1 ]', 'sh:path "keyword": SHACL takes a property IRI'),
    ('sh:property [ sh:path [ sh:inversePath "x" ] ; sh:minCount 1 ]', 'sh:path "x": SHACL takes a property IRI'),
    ("sh:property [ sh:path [ ceterms:a ceterms:b ] ; sh:minCount 1 ]", "sh:path [ … ]: SHACL takes a property IRI"),
    ('sh:property [ sh:path ceterms:keyword ; sh:class "Course" ]', 'sh:class "Course": SHACL takes an IRI here '
     "(a class, e.g. ceterms:Course)"),
    ('sh:property [ sh:path ceterms:keyword ; sh:datatype "string" ]', 'sh:datatype "string": SHACL takes an IRI'),
    ('sh:property [ sh:path ceterms:keyword ; sh:in "a b" ]', 'sh:in "a b": SHACL takes a list here'),
    ("sh:property [ sh:path ceterms:keyword ; sh:languageIn ( ceterms:en ) ]", "sh:languageIn lists ceterms:en: "
     "SHACL takes language tags as strings"),
    ("sh:property [ sh:path ceterms:keyword ; sh:severity sh:Error ]", "sh:severity sh:Error: the severities are "
     "sh:Violation, sh:Warning and sh:Info"),
    ('sh:property [ sh:path ceterms:keyword ; sh:severity "Warning" ]', 'sh:severity "Warning": SHACL takes an IRI'),
    ("sh:property [ sh:path ceterms:keyword ; sh:minCount 1, 2 ]", "sh:minCount is given 2 values (1, 2); SHACL "
     "allows one"),
    ('sh:property [ sh:path ceterms:keyword ; sh:uniqueLang "yes" ]', 'sh:uniqueLang "yes": SHACL takes true or '
     "false"),
    ("sh:property [ sh:path ceterms:keyword ; sh:nodeKind sh:Iri ]", "sh:nodeKind sh:Iri: the node kinds are"),
    ("sh:property [ sh:minCount 1 ]", f"{SHAPE_C}: sh:property [ … ] has no sh:path"),
    ('sh:node "x"', f'{SHAPE_C}: sh:node "x": SHACL takes a shape here'),
    ('sh:closed true ; sh:ignoredProperties ( "x" )', 'sh:ignoredProperties lists "x": SHACL takes property IRIs'),
    ('sh:deactivated "false"', 'sh:deactivated "false": SHACL takes true or false'),
    ('sh:or ( [ sh:property [ sh:path ceterms:keyword ; sh:minCount "one" ] ] [ sh:class ceterms:Course ] )',
     f'the property shape on ceterms:keyword in a shape in {SHAPE_C}: sh:minCount "one"'),
]


@pytest.mark.parametrize(("constraints", "expected"), BAD_PARAMETERS)
def test_bad_parameters_are_refused_naming_file_shape_and_value(tmp_path: Path, constraints: str,
                                                                 expected: str) -> None:
    assert expected in refusal(tmp_path, course_shape(constraints))


def test_a_blank_node_shape_is_named_by_its_target_and_further_problems_are_counted(tmp_path: Path) -> None:
    body = ('[ a sh:NodeShape ; sh:targetClass ceterms:Course ; sh:property [ sh:path ceterms:keyword ; '
            'sh:minCount "one" ; sh:maxCount "two" ] ] .\n')
    assert refusal(tmp_path, body) == (
        'the property shape on ceterms:keyword in a shape with sh:targetClass ceterms:Course: sh:minCount "one": '
        "SHACL takes an integer here (e.g. sh:minCount 1) (1 more problem in your shapes)")


GOOD_SHAPES = course_shape("""
    sh:property [ sh:path ceterms:keyword ; sh:minCount 0 ; sh:maxCount 5 ; sh:minLength 1 ; sh:maxLength 200 ;
                  sh:pattern "^[A-Za-z ]+$" ; sh:flags "i" ; sh:languageIn ( "en" "es" ) ; sh:uniqueLang false ;
                  sh:severity sh:Info ; sh:message "Keywords in words"@en ] ;
    sh:property [ sh:path ( ceterms:offeredBy ceterms:name ) ; sh:nodeKind sh:Literal ] ;
    sh:property [ sh:path [ sh:alternativePath ( ceterms:keyword ceterms:subject ) ] ; sh:datatype rdf:langString ] ;
    sh:property [ sh:path [ sh:inversePath ceterms:hasPart ] ; sh:class ceterms:Course ; sh:deactivated true ] ;
    sh:property [ sh:path [ sh:zeroOrMorePath ceterms:isPartOf ] ; sh:minCount 0 ] ;
    sh:property [ sh:path ceterms:ctid ; sh:in ( "a" ceterms:b 1 ) ; sh:deactivated true ] ;
    sh:property [ sh:path ceterms:subject ; sh:qualifiedValueShape [ sh:nodeKind sh:BlankNodeOrIRI ] ;
                  sh:qualifiedMinCount 0 ; sh:qualifiedMaxCount 9 ; sh:qualifiedValueShapesDisjoint false ] ;
    sh:property [ sh:path ceterms:dateEffective ; sh:minInclusive "2000-01-01"^^xsd:date ; sh:lessThan ceterms:x ] ;
    sh:or ( [ sh:class ceterms:Course ] [ sh:class ceterms:LearningProgram ] ) ;
    sh:closed false ; sh:ignoredProperties ( ceterms:ctid )""")


def test_shapes_that_keep_to_shacl_are_not_refused(tmp_path: Path) -> None:
    loaded = load_shapes([shape_dir(tmp_path, GOOD_SHAPES)])
    assert any(s == SHAPE_C for s, _, _ in loaded.triples)


def test_a_refused_file_is_not_cached_as_read(tmp_path: Path) -> None:
    folder = shape_dir(tmp_path, course_shape('sh:property [ sh:path ceterms:keyword ; sh:minCount "one" ]'))
    for _ in range(2):  # the second load would find a cached parse had the first stored one
        with pytest.raises(InputError):
            load_shapes([folder])


def test_our_shapes_alone_are_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # The check runs on users' files only: our shapes' (cached) load time stays what it was.
    def refuse(*_args: object) -> None:
        raise AssertionError("our shapes were checked")

    monkeypatch.setattr(shapes_check, "checked_user_rules", refuse)
    bundled = bundled_shapes_dir()
    files = tuple(str(f) for f in shape_files([bundled / "policy", bundled / "structure"]))
    _, rules = shapes_module._parsed(files, None)
    assert rules


# --- 2. rule ids -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("taken", ["MDP-LEARNINGOPPORTUNITY-NAME", "JSON-SYNTAX", "XREF-CTID-DUPLICATE"])
def test_a_rule_id_of_ours_is_refused(tmp_path: Path, taken: str) -> None:
    folder = shape_dir(tmp_path, course_shape(f'ctshapes:ruleId "{taken}" ; sh:property [ sh:path ceterms:keyword ; '
                                              "sh:minCount 1 ; sh:severity sh:Warning ]"))
    result = ctdl("validate", str(COURSE), "--shapes", str(folder))
    assert result.exit_code == 2, result.output
    assert result.stderr == (f'error: {folder / "agency.ttl"}: {SHAPE_C}: ctshapes:ruleId "{taken}" is a rule of '
                             "ctdl_tools; rule ids must be unique (findings, the rules table and --disable go by id): "
                             'give your rules a prefix of your own, e.g. "AGENCY-…"\n')


def _keyword_rule(shape: str, severity: str) -> str:
    return (f'<https://agency.example.gov/shapes/{shape}> a sh:NodeShape ; sh:targetClass ceterms:Course ; '
            f'sh:property [ sh:path ceterms:keyword ; sh:minCount 1 ; ctshapes:ruleId "AGENCY-KEYWORDS" ; '
            f"sh:severity sh:{severity} ] .\n")


def test_a_rule_id_shared_by_user_shapes_must_keep_one_severity(tmp_path: Path) -> None:
    folder = shape_dir(tmp_path, _keyword_rule("A", "Warning"), "a.ttl")
    shape_dir(tmp_path, _keyword_rule("B", "Violation"), "b.ttl")
    result = ctdl("validate", str(COURSE), "--shapes", str(folder))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f'error: {folder / "a.ttl"}: ctshapes:ruleId "AGENCY-KEYWORDS" (in '
                                    f'{folder / "a.ttl"}, {folder / "b.ttl"}) is on shapes whose findings have '
                                    "different severities (")
    assert "<https://agency.example.gov/shapes/A>: sh:Warning;" in result.stderr
    assert "<https://agency.example.gov/shapes/B>: sh:Violation)" in result.stderr
    shape_dir(tmp_path, _keyword_rule("B", "Warning"), "b.ttl")  # one severity: one rule, as the table says
    report = validate([COURSE], shapes_dirs=[folder])
    assert report.rules["AGENCY-KEYWORDS"].severity == "Warning"
    assert {f.severity for f in report.findings if f.rule_id == "AGENCY-KEYWORDS"} == {"Warning"}


@pytest.mark.parametrize("engine", ["native", "shacl"])
def test_a_node_shape_rule_has_the_severity_its_property_shapes_report(tmp_path: Path, engine: str) -> None:
    # SHACL's severity is per shape: the findings of `<K> ruleId X ; sh:property [ … sh:severity sh:Warning ]` are
    # Warnings, and so is rule X in the rules table (it said Violation, <K>'s default).
    folder = shape_dir(tmp_path, course_shape('ctshapes:ruleId "AGENCY-KEYWORDS" ; sh:property [ sh:path '
                                              "ceterms:keyword ; sh:minCount 1 ; sh:severity sh:Warning ]"))
    report = validate([COURSE], shapes_dirs=[folder], engine=engine)
    assert report.rules["AGENCY-KEYWORDS"].severity == "Warning"
    assert [f.severity for f in report.findings if f.rule_id == "AGENCY-KEYWORDS"] == ["Warning"]


def test_a_severity_its_property_shapes_do_not_report_is_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path, course_shape('ctshapes:ruleId "AGENCY-KEYWORDS" ; sh:severity sh:Warning ; '
                                             "sh:property [ sh:path ceterms:keyword ; sh:minCount 1 ]"))
    assert message.startswith('ctshapes:ruleId "AGENCY-KEYWORDS" is on shapes whose findings have different '
                              f"severities ({SHAPE_C}: sh:Warning; {KEYWORD_SHAPE}: sh:Violation (the default))")


# --- 3. --engine pyshacl and a term longer than its parser takes --------------------------------------------------
def test_pyshacl_on_a_string_its_parser_cannot_take_is_one_message_and_exit_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pyoxigraph stops at 16 MiB a term (MemoryError "Reached the buffer maximal size of 16777216"): played here
    # with a 2,000-character description and a 1,000-byte limit rather than a 17 MB file.
    course = json.loads(COURSE.read_text(encoding="utf-8"))
    course["@graph"][0]["ceterms:description"] = {"en-US": "x" * 2000}
    big = tmp_path / "big.json"
    big.write_text(json.dumps(course), encoding="utf-8")
    real_parse = pyoxigraph.parse

    def parse(data: object = None, **kwargs: object) -> object:
        if isinstance(data, bytes) and b"x" * 2000 in data:
            raise MemoryError("Reached the buffer maximal size of 16777216")
        return real_parse(data, **kwargs) if data is not None else real_parse(**kwargs)

    monkeypatch.setattr(pyoxigraph, "parse", parse)
    monkeypatch.setattr(engine_module, "PARSER_TERM_LIMIT", 1000)
    result = ctdl("validate", str(big), "--engine", "pyshacl")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        "error: <https://credentialengineregistry.org/resources/ce-2c9e5f40-af63-4e8d-b120-4d7f9c3e5ab2>: its "
        "ceterms:description of 2,000 characters is more than the pyshacl engine's parser takes (")
    assert result.stderr.endswith("a term); the native and shacl engines have no such limit (--engine auto, the "
                                  "default, picks one)\n")


def test_the_record_holding_a_blank_node_with_a_string_too_large_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "PARSER_TERM_LIMIT", 100)
    record, node = "<https://example.org/r>", "<https://purl.org/ctdl_tools/.well-known/genid/xb0>"
    triples = [(record, "<https://purl.org/ctdl/terms/estimatedCost>", node),
               (node, "<https://purl.org/ctdl/terms/description>", '"' + "y" * 200 + '"@en')]
    where, message = engine_module._too_large(triples)
    assert (where, message[:42]) == (f"a blank node in {record}", "its ceterms:description of 200 characters ")
    assert engine_module._too_large(triples[:1]) is None  # nothing too large: the MemoryError is not ours to explain
