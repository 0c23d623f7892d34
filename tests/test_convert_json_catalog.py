"""ctdl_tools' own JSON/YAML catalog format."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ctdl_tools.build.context import BuildContext
from ctdl_tools.catalog.jsoncat import catalog_frameworks, catalog_records, check_catalog
from ctdl_tools.catalog.mapping import Mapping
from ctdl_tools.cli import main
from ctdl_tools.ctid import DEFAULT_NAMESPACE
from ctdl_tools.errors import InputError, Problems
from ctdl_tools.validate.reporters.common import display_path

from .conftest import SAMPLES

OWNER = "ce-8966d710-9d88-4287-af36-66ad12da64b9"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_yaml_and_json_forms_give_the_same_documents(tmp_path: Path) -> None:
    data = json.loads((SAMPLES / "catalog.json").read_text())
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    assert run("convert", str(SAMPLES / "catalog.json"), "-o", str(tmp_path / "j"))[0] == 0
    assert run("convert", str(tmp_path / "catalog.yaml"), "-o", str(tmp_path / "y"))[0] == 0
    j = {p.name: p.read_bytes() for p in (tmp_path / "j").iterdir()}
    assert j == {p.name: p.read_bytes() for p in (tmp_path / "y").iterdir()} and len(j) == 9


def test_arrays_and_header_names_are_both_accepted(tmp_path: Path) -> None:
    catalog = {"credentials": [{
        "External Identifier": "W-1", "name": "Structural Welding Certificate", "Credential Type": "Certificate",
        "Description": "Certifies structural welding skills for building construction.",
        "Subject Webpage": "https://keystone.example.edu/structural", "owned_by": OWNER,
        "Keywords": ["welding", "structural"], "Language": ["English"]}]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(catalog))
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    node = json.loads(next((tmp_path / "out").iterdir()).read_text())["@graph"][0]
    assert node["ceterms:keyword"] == {"en-US": ["welding", "structural"]}
    assert node["@type"] == "ceterms:Certificate"


def test_bad_json_catalogs_name_the_path(tmp_path: Path) -> None:
    cases = {
        "syntax.json": ('{"credentials": [', "invalid JSON at line 1"),
        "section.json": ('{"credentials": {"a": 1}}', "$.credentials"),
        "unknown.json": ('{"programs": []}', "not a catalog ctdl_tools knows"),
        # json.loads accepts an unpaired surrogate escape; writing the CTDL would then crash (found by hand).
        "surrogate.json": ('{"credentials": [\n {"Credential Name": "A\\udc00"}]}',
                           "\\udc00 at line 2, column 24 is half of a UTF-16 surrogate pair"),
        "surrogate.yaml": ('credentials:\n  - Credential Name: "A\\udc00"\n',
                           "$.credentials[0].Credential Name: half of a UTF-16 surrogate pair"),
        # Nesting past 100 levels (the YAML one crashed convert with a RecursionError, found by hand).
        "deep.json": ('{"credentials": [{"Keywords": ' + "[" * 150 + "]" * 150 + "}]}",
                      "$.credentials[0].Keywords[0][0][0][0][0]… (92 more levels): JSON nested more than "
                      "100 levels deep (real catalogs, CTDL and credentials nest under 15) (at line 1, column 128)"),
        "deeper.json": ('{"credentials": [{"Keywords": ' + "[" * 5000 + "]" * 5000 + "}]}",
                        "deeper.json: JSON nested more than 100 levels deep"),
        "deep.yaml": ("credentials:\n  - Keywords: " + "[" * 150 + "]" * 150 + "\n", "$.credentials[0].Keywords"),
        "deeper.yaml": ("credentials:\n  - Keywords: " + "[" * 5000 + "]" * 5000 + "\n",
                        "deeper.yaml: YAML nested more than 100 levels deep"),
        # json.loads takes NaN (not JSON) and refuses integers past 4300 digits with a bare ValueError.
        "nan.json": ('{"credentials": [{"Credential Name": "NaN",\n "Credits": NaN}]}',
                     "NaN at line 2, column 13 is not a JSON number (RFC 8259 §6)"),
        "long.json": ('{"credentials": [{"Credits": ' + "9" * 5000 + "}]}",
                      "a number at line 1, column 30 has more digits than can be read (4300)"),
        "long.yaml": ("credentials:\n  - Credits: " + "9" * 5000 + "\n",
                      "long.yaml: a number has more digits than can be read (4300)"),
    }
    for name, (text, expected) in cases.items():
        (tmp_path / name).write_text(text)
        code, _, err = run("convert", str(tmp_path / name), "-o", str(tmp_path / "out"))
        assert code == 2 and name in err and expected in err, err
    record = {"Credential Name": "X", "Credential Type": "Certificate", "External Identifier": "X1",
              "Language": "Klingon"}
    (tmp_path / "bad.json").write_text(json.dumps({"credentials": [record]}))
    code, _, err = run("convert", str(tmp_path / "bad.json"), "-o", str(tmp_path / "out"))
    assert code == 1 and "$.credentials[0].Language" in err


json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                       max_size=3), max_leaves=10)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["credentials", "learning_opportunities", "organizations",
                                        "competency_frameworks", "x"]), json_value, max_size=3))
def test_random_catalogs_never_crash(data: dict) -> None:
    with tempfile.TemporaryDirectory():
        try:
            catalog = check_catalog(data, "f.json")
            catalog_frameworks(catalog, "f.json")
            ctx = BuildContext(namespace=DEFAULT_NAMESPACE)
            for record in catalog_records(catalog, "f.json", Mapping(), Problems()):
                assert record.where.path
            assert ctx.problems.errors == []
        except InputError as exc:
            assert "f.json" in str(exc)


def test_convert_then_validate_uses_the_validator(tmp_path: Path) -> None:
    code, _, err = run("convert", str(SAMPLES / "catalog.json"), "-o", str(tmp_path / "ok"), "--validate")
    assert code == 0 and "PASSED: no violations" in err
    # The same report as `ctdl validate OUTDIR`: files in its order, records with their names.
    # convert's own summary goes to stdout; the report names files as the reporter shows them (relative to the
    # working directory when under it: pytest's tmp_path is, when the tests run from /tmp)
    report = err[err.index(display_path(str(tmp_path / "ok"))):]
    assert report == run("validate", str(tmp_path / "ok"))[1]
    assert "Pipe Welder Certificate of Completion" in report
    short = {"credentials": [{"External Identifier": "S1", "Credential Name": "Short", "Credential Type": "Certificate",
                              "Description": "Too short.", "Subject Webpage": "https://keystone.example.edu/s",
                              "Owned By": OWNER}]}
    (tmp_path / "short.json").write_text(json.dumps(short))
    code, _, err = run("convert", str(tmp_path / "short.json"), "-o", str(tmp_path / "bad"), "--validate")
    assert code == 1 and "RA-DESCRIPTION-MIN-LENGTH" in err


def test_yaml_no_is_norwegian_not_false(tmp_path: Path) -> None:
    # Found in acceptance testing: YAML 1.1 read `Language: no` as the boolean false ("unknown language
    # 'FALSE'"); catalogs are read with YAML 1.2's booleans (true/false only).
    (tmp_path / "catalog.yaml").write_text(
        "credentials:\n"
        "  - External Identifier: N-1\n"
        "    Credential Name: Sveisesertifikat\n"
        "    Credential Type: Certificate\n"
        "    Description: Sertifikat for sveising i bygg og anlegg, for voksne elever.\n"
        "    Subject Webpage: https://keystone.example.edu/sveis\n"
        f"    Owned By: {OWNER}\n"
        "    Language: no\n", encoding="utf-8")
    code, _out, err = run("convert", str(tmp_path / "catalog.yaml"), "-o", str(tmp_path / "out"))
    assert code == 0, err
    (doc,) = [json.loads(p.read_text()) for p in (tmp_path / "out").iterdir()]
    assert doc["@graph"][0]["ceterms:inLanguage"] == ["no"]


def test_yaml_numbers_are_only_plain_decimals() -> None:
    # Found in re-testing: YAML 1.1 read an External Identifier 0123 as octal 83, a duration 1:30 as 90 (base
    # 60), 0x1F and 1_000 as numbers: the text changed silently.
    from ctdl_tools.jsonio import parse_yaml

    data = parse_yaml("a: 0123\nb: 1:30\nc: 0x1F\nd: 1_000\ne: 12\nf: 1.5\ng: -3\nh: 1e3\ni: on\n", "x.yaml")
    assert data == {"a": "0123", "b": "1:30", "c": "0x1F", "d": "1_000", "e": 12, "f": 1.5, "g": -3, "h": 1000.0,
                    "i": "on"}


def test_a_name_given_twice_is_refused_where_it_is(tmp_path: Path) -> None:
    # Noticed in acceptance testing: convert kept the last of a repeated member name without a word (a catalog
    # merged by hand lost the first Description); ctdl validate and ler already refused such files.
    (tmp_path / "c.json").write_text('{"organizations": [{"Name": "A College",\n'
                                     ' "Name": "B", "Webpage": "https://a.example"}]}')
    code, _, err = run("convert", str(tmp_path / "c.json"), "-o", str(tmp_path / "out"))
    assert code == 2 and "Traceback" not in err
    assert "c.json, $.organizations[0].Name: 'Name' is given twice in one object (line 2)" in err
    assert not (tmp_path / "out").exists()
    (tmp_path / "c.yaml").write_text("organizations:\n  - Name: A College\n    Name: B\n")
    code, _, err = run("convert", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "out"))
    assert code == 2 and "c.yaml, row 3: invalid YAML: 'Name' is given twice in one mapping" in err
    # YAML's merge keys are not repeats: a key given beside `<<: *base` overrides the merged one.
    (tmp_path / "m.yaml").write_text(
        "organizations:\n  - &base\n    Name: A College\n    Webpage: https://a.example\n"
        "    Description: A community college in the sample state, for tests.\n"
        f"    CTID: {OWNER}\n  - <<: *base\n    Name: B College\n"
        "    CTID: ce-3c2b0a6e-5d0c-4b1e-9a6f-2f1d7e0c9b11\n")
    code, _, err = run("convert", str(tmp_path / "m.yaml"), "-o", str(tmp_path / "merged"))
    assert code == 0 and len(list((tmp_path / "merged").iterdir())) == 2, err


def test_yaml_dates_are_text_the_builder_reads(tmp_path: Path) -> None:
    # Found in acceptance testing: PyYAML read 2024-13-45 as a date and datetime refused it: a traceback for
    # the whole file. YAML 1.2 has no timestamps: dates are text, and a bad one is that record's error.
    data = json.loads((SAMPLES / "catalog.json").read_text())
    data["credentials"][0]["Date Effective"] = "2024-01-05"
    data["credentials"][1]["Date Effective"] = "2024-13-45"
    text = yaml.safe_dump(data, allow_unicode=True).replace("'2024-01-05'", "2024-01-05").replace(
        "'2024-13-45'", "2024-13-45")
    assert "Date Effective: 2024-13-45" in text  # unquoted, as a person writes it
    (tmp_path / "c.yaml").write_text(text)
    code, _, err = run("convert", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "out"))
    assert code == 1 and "Traceback" not in err and "$.credentials[1]" in err and "2024-13-45" in err, err
    dates = [json.loads(p.read_text())["@graph"][0].get("ceterms:dateEffective") for p in (tmp_path / "out").iterdir()]
    assert "2024-01-05" in dates


@pytest.mark.parametrize(("names", "code"), [({"en-us": "Welding Certificate", "en-US": "Welding Cert"}, 1),
                                              ({"en-us": "Welding Certificate", "en-US": "Welding Certificate"}, 0)])
def test_a_language_map_with_one_language_under_two_spellings(tmp_path: Path, names: dict, code: int) -> None:
    # Found in review: "en-us" and "en-US" are one tag; the second text silently replaced the first.
    catalog = json.loads((SAMPLES / "catalog.json").read_text(encoding="utf-8"))
    catalog["credentials"][0]["Credential Name"] = names
    (tmp_path / "c.json").write_text(json.dumps(catalog), encoding="utf-8")
    exit_code, _, err = run("convert", str(tmp_path / "c.json"), "-o", str(tmp_path / "out"))
    assert exit_code == code
    said = "$.credentials[0].Credential Name: two texts in en-US (one under 'en-US'): a language map holds one text"
    assert (said in err) == (code == 1)


BILLION_LAUGHS = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
                  + "".join(f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n"
                            for a, b in zip("abcdefgh", "bcdefghi", strict=True))
                  + "credentials: *i\n")


@pytest.mark.parametrize("as_mapping", [False, True])
def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path: Path, as_mapping: bool) -> None:
    # Found in a robustness sweep: 300 bytes of nested aliases ("billion laughs", 387 million values once
    # expanded) ran for minutes and took 4.7 GB before any message, as a catalog or as a --mapping file.
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BILLION_LAUGHS, encoding="utf-8")
    args = (["convert", str(SAMPLES / "college" / "organization.csv"), "--mapping", str(bomb)] if as_mapping
            else ["convert", str(bomb)])
    code, out, err = run(*args, "-o", str(tmp_path / "out"))
    assert code == 2, out + err
    assert "bomb.yaml" in err and "aliases" in err and "billion laughs" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_yaml_anchors_within_reason_and_large_files_without_aliases_are_read() -> None:
    from ctdl_tools.jsonio import parse_yaml

    # A block of defaults merged into every credential (YAML's `<<: *defaults`) is ordinary use.
    defaults = "defaults: &d\n  Credential Status Type: Active\n  Language: en\ncredentials:\n"
    # (The check weighs what aliases add against the distinct values: the sizes here only need to be real ones;
    # PyYAML reads ~10k lines a second, and this test took half a minute at 20k and 50k rows.)
    many = defaults + "".join(f"  - <<: *d\n    Credential Name: C{i}\n" for i in range(3_000))
    data = parse_yaml(many, "many.yaml")
    assert len(data["credentials"]) == 3_000 and data["credentials"][-1]["Language"] == "en"
    # Values written out: nothing repeated, nothing refused, however many.
    flat = "credentials:\n" + "".join(f"  - {{a: {i}, b: x{i}, c: y, d: z, e: w}}\n" for i in range(6_000))
    assert len(parse_yaml(flat, "flat.yaml")["credentials"]) == 6_000
