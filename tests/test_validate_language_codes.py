"""LANG-UNKNOWN: a language code whose primary language subtag is not registered.

BCP 47 tag grammar is checked elsewhere (``en_US``: JSONLD-LANGMAP-FORM, STRUCT-DATATYPE); ``"English"``,
``"english"`` and ``"eng"`` are grammatical but no language subtag (RFC 5646 §2.2.1 takes the shortest ISO 639
code, as registered in the IANA Language Subtag Registry). Break the gate on a clean WGU record: the corruption
adds exactly one Warning, with the code to use; a registered or possibly registered code adds nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import Counter
from importlib import resources

import pytest
from click.testing import CliRunner

from ctdl_tools.build.languages import LANGUAGE_CODES, code_for_name, iso_639_1, two_letter_codes
from ctdl_tools.validate import PYTHON_RULES, WARNING, validate
from ctdl_tools.validate.commands import cli
from ctdl_tools.validate.prepass import language_problem

from .conftest import DATA
from .test_validate_gate import load, main, new_findings, wgu

RULE = "LANG-UNKNOWN"
ONE = Counter({(RULE, WARNING): 1})


def lang_findings(docs: list[dict], **kwargs: object) -> list:
    return [f for f in validate(copy.deepcopy(docs), **kwargs).findings if f.rule_id == RULE]


def set_in_language(value: object):
    return lambda d: main(d).update({"ceterms:inLanguage": value})


def set_name_key(tag: str):
    def corrupt(d: list[dict]) -> None:
        main(d)["ceterms:name"] = {tag: next(iter(main(d)["ceterms:name"].values()))}

    return corrupt


# --- the rule --------------------------------------------------------------------------------------------------
def test_rule_is_a_warning_with_its_citation() -> None:
    rule = PYTHON_RULES[RULE]
    assert rule.severity == WARNING and "RFC 5646" in rule.source and "IANA Language Subtag Registry" in rule.source
    assert rule.see_also == "https://www.iana.org/assignments/language-subtag-registry"


# --- values of ceterms:inLanguage ------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "hint"), [
    ("English", "use 'en'"), ("eng", "'en'"), ("spa", "'es'"), ("Spanish", "use 'es'"), ("fre", "'fr'"),
    ("fra", "'fr'"), ("ger", "'de'"), ("deu", "'de'"), ("eng-US", "'en-US'"), ("english", "use 'en'"),
    ("Englsh", "did you mean 'en' (English)?"),
])
def test_in_language_not_a_registered_code(value: str, hint: str) -> None:
    assert new_findings([wgu()], set_in_language([value])) == ONE
    broken = [wgu()]
    set_in_language([value])(broken)
    (found,) = lang_findings(broken)
    assert (found.pointer, found.property, found.value) == ("/ceterms:inLanguage/0", "ceterms:inLanguage", value)
    assert found.message.startswith(repr(value)) and hint in found.message, found.message
    assert found.ctid == main(broken)["ceterms:ctid"]


@pytest.mark.parametrize("value", ["en", "EN", "en-US", "en-us", "es-419", "haw", "yue", "fil", "und", "mul", "zxx",
                                   "mis", "qaa", "x-klingon", "i-klingon", "zh-Hant-TW", "sr-Latn-RS", "iw", "sh"])
def test_in_language_registered_or_possibly_registered(value: str) -> None:
    # Three letters without a two-letter code may be any of ISO 639-3's ~7,900 languages: never a finding.
    assert new_findings([wgu()], set_in_language([value])) == Counter()


def test_one_finding_per_value_and_a_plain_string() -> None:
    assert new_findings([wgu()], set_in_language(["English", "en", "spa"])) == Counter({(RULE, WARNING): 2})
    broken = [wgu()]
    set_in_language("English")(broken)  # not in an array
    assert [f.pointer for f in lang_findings(broken)] == ["/ceterms:inLanguage"]


def test_ungrammatical_tag_is_left_to_the_grammar_rules() -> None:
    # "en_US" and "Haitian Creole" are not xsd:language: STRUCT-DATATYPE says so, not LANG-UNKNOWN too.
    for value in ("en_US", "Haitian Creole"):
        new = new_findings([wgu()], set_in_language([value]))
        assert RULE not in {rule for rule, _ in new} and new, (value, new)


def test_ceasn_in_language() -> None:
    framework = load("competency_framework")
    assert new_findings([framework], lambda d: d[0]["@graph"][0].update({"ceasn:inLanguage": ["spa"]})) == ONE
    broken = [framework]
    broken[0]["@graph"][0]["ceasn:inLanguage"] = ["spa"]
    (found,) = lang_findings(broken)
    assert (found.pointer, found.property) == ("/@graph/0/ceasn:inLanguage/0", "ceasn:inLanguage")
    assert "Spanish" in found.message and "'es'" in found.message


# --- language-map keys and @language ---------------------------------------------------------------------------
@pytest.mark.parametrize(("tag", "hint"), [("english", "use 'en'"), ("eng", "'en'"), ("English-US", "use 'en-US'")])
def test_language_map_key_not_a_registered_code(tag: str, hint: str) -> None:
    assert new_findings([wgu()], set_name_key(tag)) == ONE
    broken = [wgu()]
    set_name_key(tag)(broken)
    (found,) = lang_findings(broken)
    assert (found.pointer, found.property, found.value) == (f"/ceterms:name/{tag}", "ceterms:name", tag)
    assert found.message.startswith(f"language-map key {tag!r}") and hint in found.message


@pytest.mark.parametrize("tag", ["en", "en-US", "es-419", "haw", "und", "x-klingon", "zh-Hant-TW"])
def test_language_map_key_registered(tag: str) -> None:
    assert new_findings([wgu()], set_name_key(tag)) == Counter()


def test_language_map_key_in_a_nested_node_and_a_value_object() -> None:
    def nested(d: list[dict]) -> None:
        main(d)["ceterms:estimatedCost"] = [{"@type": "ceterms:CostProfile", "ceterms:price": 100,
                                             "ceterms:currency": "USD",
                                             "ceterms:description": {"en": "Tuition", "spanish": "Matrícula"}}]

    broken = [wgu()]
    nested(broken)
    (found,) = lang_findings(broken)
    assert found.pointer == "/ceterms:estimatedCost/0/ceterms:description/spanish" and "'es'" in found.message
    broken = [wgu()]
    main(broken)["ceterms:keyword"] = [{"@value": "negocios", "@language": "spa"}]
    (found,) = lang_findings(broken)
    assert (found.pointer, found.property) == ("/ceterms:keyword/0/@language", "ceterms:keyword")


def test_language_map_key_that_is_not_bcp_47_is_left_to_langmap_form() -> None:
    new = new_findings([wgu()], set_name_key("en_US"))
    assert ("JSONLD-LANGMAP-FORM", "Violation") in new and RULE not in {rule for rule, _ in new}


def test_graph_document() -> None:
    framework = load("competency_framework")
    key = next(iter(framework["@graph"][0]["ceasn:name"]))

    def corrupt(d: list[dict]) -> None:
        node = d[0]["@graph"][0]
        node["ceasn:name"] = {"english": node["ceasn:name"][key]}

    assert new_findings([framework], corrupt) == ONE


# --- turned off, and the CLI -------------------------------------------------------------------------------------
def test_disable() -> None:
    broken = [wgu()]
    set_in_language(["English"])(broken)
    assert lang_findings(broken) and not lang_findings(broken, disabled_rules=["LANG-UNKNOWN"])
    assert not lang_findings(broken, disabled_rules=["LANG-*"])


def test_cli_reports_and_disables(tmp_path) -> None:
    broken = wgu()
    broken["ceterms:inLanguage"] = ["eng"]
    path = tmp_path / "record.json"
    path.write_text(json.dumps(broken, indent=2), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path), "--format", "json"], catch_exceptions=False)
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == RULE]
    assert [(f["severity"], f["pointer"], f["property"], f["value"]) for f in found] == [
        (WARNING, "/ceterms:inLanguage/0", "ceterms:inLanguage", "eng")]
    assert path.read_text(encoding="utf-8").splitlines()[found[0]["line"] - 1].strip() == '"eng"'
    assert result.exit_code == 0
    result = CliRunner().invoke(cli, ["validate", str(path), "--format", "json", "--disable", RULE],
                                catch_exceptions=False)
    assert not [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == RULE]
    assert "matches no rule" not in result.stderr
    listed = CliRunner().invoke(cli, ["shapes", "list", RULE], catch_exceptions=False)
    assert RULE in listed.stdout


# --- real records ------------------------------------------------------------------------------------------------
def test_real_records_are_free_of_it_but_the_2017_ones() -> None:
    files = sorted((DATA / "registry").glob("*.json")) + sorted((DATA / "validate").glob("*.json"))
    found = Counter(f.file.rsplit("/", 1)[-1] for f in validate(files).findings if f.rule_id == RULE)
    # 2017 registry records wrote languages by name ("ceterms:inLanguage": ["English", "English"]): a real case of
    # what the rule is for; every other record (WGU, Registry Assistant outputs, registry seeds) uses codes.
    assert found == Counter({"legacy_list_learning_opportunity_profiles_10.json": 14,
                             "legacy_certification_3_import.json": 1})
    assert {f.value for f in validate(files).findings if f.rule_id == RULE} == {"English"}


def test_language_problem_is_deterministic_and_offline(no_network: None) -> None:
    assert language_problem("eng") == language_problem("eng")
    assert language_problem("ENG") is not None and language_problem("En") is None


# --- the bundled data --------------------------------------------------------------------------------------------
def test_bundled_iso_639_1_list_is_the_one_recorded() -> None:
    folder = resources.files("ctdl_tools.build.data")
    data = folder.joinpath("iso639_1.csv").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest in folder.joinpath("README.md").read_text("utf-8")
    codes = iso_639_1()
    assert len(codes) == 184 and codes["en"] == ("eng", "", "English") and codes["fr"] == ("fra", "fre", "French")
    assert all(len(c) == 2 and c.islower() for c in codes)
    three = two_letter_codes()
    assert three["eng"] == "en" and three["ger"] == three["deu"] == "de" and "haw" not in three


def test_convert_names_agree_with_iso_639() -> None:
    # One source of truth: a name convert knows gives the same two-letter code as ISO 639's name for it.
    for name, code in LANGUAGE_CODES.items():
        assert code_for_name(name) == code
        if len(code) == 2:
            assert code in iso_639_1(), name
