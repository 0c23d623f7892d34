"""JSON/YAML catalogs: Keywords and Alternate Name (the list fields the builder writes as language maps of
lists) may be given as a language map whose values are text or lists of text. Tags are checked as a text
field's are, a wrong shape is one error at the field's JSON path, and tabular catalogs are unchanged."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ctdl_tools.catalog.fields import expected_value
from ctdl_tools.cli import main
from ctdl_tools.validate import validate

ORG = "ce-8966d710-9d88-4287-af36-66ad12da64b9"
WEB = "https://keystone.example.edu"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def catalog(**credential: Any) -> dict[str, Any]:
    """An organization and one credential (with ``credential``'s keys on top) that convert cleanly."""
    return {
        "organizations": [{"Organization Name": "Keystone Welding Institute", "CTID": ORG,
                           "Description": "A welding school.", "Subject Webpage": WEB,
                           "Email": "info@keystone.example.edu",
                           "Organization Type": "CredentialOrganization",
                           "Agent Type": "Career and Technical School", "Agent Sector Type": "Private For-Profit"}],
        "credentials": [{"External Identifier": "W-1", "Credential Name": "Pipe Welding Certificate",
                         "Credential Type": "Certificate", "Description": "Certifies pipe welding skills.",
                         "Subject Webpage": f"{WEB}/pipe", "Owned By": ORG, **credential}],
    }


def write(path: Path, data: dict[str, Any]) -> Path:
    if path.suffix == ".yaml":
        path.write_text(yaml.safe_dump(data, allow_unicode=True))
    else:
        path.write_text(json.dumps(data))
    return path


def credential_node(outdir: Path) -> dict[str, Any]:
    nodes = [json.loads(p.read_text())["@graph"][0] for p in sorted(outdir.glob("*.json"))]
    (node,) = [n for n in nodes if n["@type"] == "ceterms:Certificate"]
    return node


KEYWORDS = {"en-US": ["welding", "pipe"], "es": "soldadura"}
ALTERNATE = {"en-us": "Pipe Welding", "es": ["Soldadura de tubería", "Tubería"]}


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_keyword_language_maps_of_lists_and_single_texts(tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path / f"c{suffix}", catalog(Keywords=KEYWORDS, **{"Alternate Name": ALTERNATE}))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    node = credential_node(tmp_path / "out")
    assert node["ceterms:keyword"] == {"en-US": ["welding", "pipe"], "es": ["soldadura"]}
    # tags in the conventional case, as a text field's are
    assert node["ceterms:alternateName"] == {"en-US": ["Pipe Welding"], "es": ["Soldadura de tubería", "Tubería"]}


def test_yaml_and_json_give_the_same_documents(tmp_path: Path) -> None:
    data = catalog(Keywords=KEYWORDS, **{"Alternate Name": ALTERNATE})
    for suffix in (".json", ".yaml"):
        code, _, err = run("convert", str(write(tmp_path / f"c{suffix}", data)), "-o", str(tmp_path / suffix))
        assert code == 0, err
    json_docs = {p.name: p.read_bytes() for p in (tmp_path / ".json").iterdir()}
    assert json_docs == {p.name: p.read_bytes() for p in (tmp_path / ".yaml").iterdir()} and len(json_docs) == 2


def test_empty_texts_are_dropped_and_a_bar_string_splits_as_a_cell(tmp_path: Path) -> None:
    keywords = {"en-US": ["  ", "", None, " welding "], "es": "soldadura | tubería|", "fr": "", "de": None,
                "it": [], "pt": [None, " "]}
    path = write(tmp_path / "c.yaml", catalog(Keywords=keywords))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert credential_node(tmp_path / "out")["ceterms:keyword"] == {"en-US": ["welding"],
                                                                    "es": ["soldadura", "tubería"]}


def test_a_map_of_nothing_is_no_keywords(tmp_path: Path) -> None:
    path = write(tmp_path / "c.json", catalog(Keywords={"en-US": [], "es": None, "fr": ""}))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert "ceterms:keyword" not in credential_node(tmp_path / "out")


def test_an_explicit_map_wins_over_the_rows_language(tmp_path: Path) -> None:
    data = catalog(Keywords={"en-US": ["welding"], "es": ["soldadura"]}, Language="Spanish")
    data["credentials"].append({**data["credentials"][0], "External Identifier": "W-2",
                                "Credential Name": "Soldadura", "Keywords": ["soldadura", "tubería"]})
    path = write(tmp_path / "c.json", data)
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    nodes = {next(iter(n["ceterms:name"].values())): n
             for n in (json.loads(p.read_text())["@graph"][0] for p in (tmp_path / "out").glob("*.json"))}
    assert nodes["Pipe Welding Certificate"]["ceterms:keyword"] == {"en-US": ["welding"], "es": ["soldadura"]}
    assert nodes["Pipe Welding Certificate"]["ceterms:name"] == {"es": "Pipe Welding Certificate"}
    assert nodes["Soldadura"]["ceterms:keyword"] == {"es": ["soldadura", "tubería"]}  # a plain list: the row's


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_bad_language_tag_is_one_error_at_the_fields_path(tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path / f"c{suffix}", catalog(Keywords={"en-US": ["welding"], "es_MX": ["soldadura"]}))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1 and err.count("error:") == 1, err
    assert (f"error: {path}, $.credentials[0].Keywords: 'es_MX' is not a BCP-47 language tag (e.g. en-US, es, "
            "fr-CA); did you mean 'es-MX'?") in err
    assert [json.loads(p.read_text())["@graph"][0]["@type"] for p in (tmp_path / "out").glob("*.json")] == [
        "ceterms:CredentialOrganization"]  # the credential is not written


@pytest.mark.parametrize(("value", "what"), [
    ({"es": 3}, "'es' is a number"),
    ({"es": {"mx": "soldadura"}}, "'es' is an object"),
    ({"en-US": ["welding", 3.5]}, "'en-US'[1] is a number"),
    ({"en-US": ["welding", ["pipe"]]}, "'en-US'[1] is a list"),
    ({"en-US": ["welding", {"x": "pipe"}]}, "'en-US'[1] is an object"),
    ({"es": True}, "'es' is true"),
])
@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_value_of_the_wrong_shape_in_the_map_is_one_clear_error(tmp_path: Path, suffix: str, value: Any,
                                                                  what: str) -> None:
    path = write(tmp_path / f"c{suffix}", catalog(**{"Alternate Name": ["Pipe Welding"], "Keywords": value}))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1 and err.count("error:") == 1, err
    assert (f"error: {path}, $.credentials[0].Keywords: in a language map each language's value must be text or "
            f"a list of text; {what}") in err


def test_a_wrong_shape_says_what_the_field_takes(tmp_path: Path) -> None:
    path = write(tmp_path / "c.json", catalog(Keywords=True, Subjects={"en-US": ["Welding"]}))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1 and err.count("error:") == 2, err
    assert "$.credentials[0].Keywords: must be text, a list of text or a language map of them, not true" in err
    # Subjects are alignment objects, one language map each: not a language map of lists
    assert "$.credentials[0].Subjects: must be text or a list of text, not an object" in err


def test_expected_value_names_the_map_only_where_it_is_accepted() -> None:
    assert expected_value("keywords", catalog=True) == "text, a list of text or a language map of them"
    assert expected_value("alternate_name", catalog=True) == "text, a list of text or a language map of them"
    assert expected_value("keywords") == "text or a list of text"  # a mapping's defaults take no map
    assert expected_value("subjects", catalog=True) == "text or a list of text"
    assert expected_value("name", catalog=True) == "text or a language map"


def test_a_mapping_default_keyword_map_is_still_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "c.json", catalog())
    mapping = tmp_path / "m.yaml"
    mapping.write_text("defaults:\n  Keywords: {en-US: [welding]}\n")
    code, _, err = run("convert", str(path), "--mapping", str(mapping), "-o", str(tmp_path / "out"))
    assert code != 0
    assert "$.defaults.Keywords: must be text or a list of text, not a mapping" in err


def test_a_csv_keywords_cell_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("External Identifier,Credential Name,Credential Type,Description,Subject Webpage,Owned By,"
                    "Keywords,Language\n"
                    f'W-1,Soldadura,Certificate,Un certificado.,{WEB}/w,{ORG},"{{""es"": ""a""}}|b",Spanish\n')
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert credential_node(tmp_path / "out")["ceterms:keyword"] == {"es": ['{"es": "a"}', "b"]}


def violations(outdir: Path) -> list[tuple[str, str | None]]:
    report = validate(outdir)
    return sorted((f.rule_id, f.property) for f in report.findings if f.severity == "Violation")


def test_the_output_validates_with_no_new_violation(tmp_path: Path) -> None:
    mapped = catalog(Keywords=KEYWORDS, **{"Alternate Name": ALTERNATE})
    plain = copy.deepcopy(mapped)
    plain["credentials"][0].update({"Keywords": ["welding", "pipe"], "Alternate Name": ["Pipe Welding"]})
    for name, data in (("mapped", mapped), ("plain", plain)):
        code, _, err = run("convert", str(write(tmp_path / f"{name}.json", data)), "-o", str(tmp_path / name))
        assert code == 0, err
    assert credential_node(tmp_path / "mapped")["ceterms:keyword"]["es"] == ["soldadura"]
    assert violations(tmp_path / "mapped") == violations(tmp_path / "plain") == []
    code, out, err = run("validate", str(tmp_path / "mapped"))
    assert code == 0, out + err


def test_a_control_character_in_the_map_is_one_error_at_the_fields_path(tmp_path: Path) -> None:
    path = write(tmp_path / "c.json", catalog(Keywords={"en-US": ["welding", "pi\x07pe"]}))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1 and err.count("error:") == 1, err
    assert f"error: {path}, $.credentials[0].Keywords: 'en-US': " in err
