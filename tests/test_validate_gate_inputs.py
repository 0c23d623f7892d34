"""``ctdl validate`` as a CI gate, on inputs that must never pass it unread: documents that look like
reports, inputs that are all reports, paths that match nothing, symbolic links to folders, closed standard
streams; and the CI files built on it (the GitHub Action's step, JUnit for GitLab, SARIF for code scanning).

Every test here was found in acceptance testing.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from ctdl_tools.ctdl_files import expand, is_report, unique_files
from ctdl_tools.validate import validate
from ctdl_tools.validate.commands import cli
from ctdl_tools.validate.reporters import FORMATS, json_report

from . import test_validate_cli as cli_tests
from .conftest import REPO
from .test_validate_cli import action_step, child_env
from .test_validate_reporters import BROKEN, BROKEN_CTID, SARIF_SUBSET, assert_valid, write_catalog


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path/catalog`` (Violations in broken.json) with the working directory at ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    return write_catalog(tmp_path)


def ctdl(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def ctdl_process(cwd: Path, shell_args: str, code: str = "-m ctdl_tools") -> subprocess.CompletedProcess:
    """The installed command (cli.entry) run by a shell, for redirections such as ``>&-``."""
    command = f"{shlex.quote(sys.executable)} {code} {shell_args}"
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=child_env(), capture_output=True, text=True,
                          timeout=120, check=False)


# --- 1. a CTDL document is never a report -------------------------------------------------------------------
@pytest.mark.parametrize("disguise", [
    {"runs": [], "$schema": "https://json.schemastore.org/sarif-2.1.0.json"},
    {"tool": {"name": "ctdl_tools"}, "findings": []},
])
def test_a_ctdl_document_with_report_keys_is_validated_not_skipped(catalog: Path, disguise: dict) -> None:
    # Found in acceptance testing: a record with a Violation plus `"runs": [], "$schema": "sarif"` was skipped
    # as a SARIF log and the gate passed (exit 0).
    (catalog / "broken.json").write_text(json.dumps({**BROKEN, **disguise}), encoding="utf-8")
    assert not is_report({**BROKEN, **disguise})
    for keyword in ("@context", "@graph", "@type", "@id"):
        assert not is_report({keyword: "x", **disguise})
    assert is_report(disguise)  # a real report is still skipped
    result = ctdl("validate", "catalog/broken.json", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["skipped"] == [] and BROKEN_CTID in result.stdout


# --- 2. nothing validated is no pass ------------------------------------------------------------------------
def test_a_run_that_only_skipped_reports_exits_2_naming_them(catalog: Path) -> None:
    # Found in acceptance testing: every input a skipped report gave "0 files … PASSED" and exit 0, where an
    # empty folder exits 2.
    reports = catalog.parent / "reports"
    reports.mkdir()
    assert ctdl("validate", "catalog", "--format", "json", "-o", "reports/r.json").exit_code == 1
    on_stdout = ctdl("validate", "reports")
    assert on_stdout.exit_code == 2
    assert on_stdout.stderr == ("error: nothing was validated: skipped 1 file that is a validation report (ctdl "
                                "validate JSON or SARIF logs), not CTDL: reports/r.json\n")
    to_file = ctdl("validate", "reports", "--format", "junit", "-o", "out.xml")
    assert to_file.exit_code == 2 and to_file.stderr.count("\n") == 1, to_file.stderr
    assert "nothing was validated" in to_file.stderr and "reports/r.json" in to_file.stderr
    assert ET.parse(catalog.parent / "out.xml").getroot().get("skipped") == "1"  # CI still finds its report
    earlier = (reports / "r.json").read_text(encoding="utf-8")
    assert ctdl("validate", "-", input=earlier).exit_code == 2


def test_a_run_left_with_no_document_exits_2(catalog: Path) -> None:
    (catalog.parent / "other.json").write_text("{}", encoding="utf-8")
    result = ctdl("validate", "other.json", "--disable", "JSON-NOT-CTDL")
    assert result.exit_code == 2 and "nothing was validated: no CTDL document in other.json" in result.stderr


# --- 3. a missing path, an empty folder, a glob matching nothing: in the report written with -o --------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_paths_that_match_nothing_are_findings_in_the_report_written(catalog: Path, fmt: str) -> None:
    # Found in acceptance testing: they exited 2 without writing the -o report, so GitLab's
    # artifacts:reports:junit (and code scanning) found no file.
    (catalog.parent / "empty").mkdir()
    out = catalog.parent / f"report.{fmt}"
    result = ctdl("validate", "catalog", "missing.json", "empty", "nothing/*.json", "--format", fmt, "-o", str(out))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.endswith("error: could not read 3 input(s): empty, missing.json, nothing/*.json\n")
    text = out.read_text(encoding="utf-8")
    assert BROKEN_CTID in text  # the readable inputs are still validated and reported
    for said in ("no such file or directory", "no .json or .jsonld files under this folder",
                 "no file matches this pattern"):
        assert said in text.lower()
    if fmt == "json":
        data = json.loads(text)
        assert_valid(data, json_report.schema())
        unread = {f["file"] for f in data["findings"] if f["rule_id"] == "JSON-UNREADABLE"}
        assert unread == {"missing.json", "empty", "nothing/*.json"} and unread <= set(data["files"])
    if fmt == "sarif":
        assert_valid(json.loads(text), SARIF_SUBSET)


def test_the_library_reports_a_folder_or_pattern_that_holds_no_file(tmp_path: Path) -> None:
    (tmp_path / "empty" / ".hidden").mkdir(parents=True)
    (tmp_path / "empty" / ".hidden" / "x.json").write_text("{}", encoding="utf-8")
    report = validate([tmp_path / "empty", str(tmp_path / "*.none")])
    assert [(f.rule_id, Path(f.file).name) for f in report.findings] == [("JSON-UNREADABLE", "*.none"),
                                                                          ("JSON-UNREADABLE", "empty")]
    assert not report.conforms


# --- 4. symbolic links to folders ---------------------------------------------------------------------------
def test_a_symlinked_folder_is_walked_as_a_glob_reads_it(catalog: Path) -> None:
    # Found in acceptance testing: `ctdl validate top` left top/sl -> ../catalog out ("no .json files") while
    # `ctdl validate 'top/**/*.json'` read it.
    top = catalog.parent / "top"
    top.mkdir()
    (top / "sl").symlink_to("../catalog")
    walked = ctdl("validate", "top", "--format", "json")
    globbed = ctdl("validate", "top/**/*.json*", "--format", "json")
    assert walked.exit_code == globbed.exit_code == 1
    assert json.loads(walked.stdout)["files"] == json.loads(globbed.stdout)["files"] == [
        "top/sl/broken.json", "top/sl/course.json", "top/sl/frameworks/framework.jsonld", "top/sl/organization.json"]


def test_symlink_loops_end_and_a_folder_reached_twice_is_read_once(catalog: Path) -> None:
    (catalog / "up").symlink_to("..")  # a loop: catalog/up/catalog/up/…
    (catalog / "frameworks" / "again").symlink_to("../frameworks")  # a loop onto itself
    (catalog / "alias").symlink_to("frameworks")  # the same folder twice: read once, by its own name
    names = list(unique_files(["catalog"]))
    assert "catalog/frameworks/framework.jsonld" in names and not any("alias" in n or "again" in n for n in names)
    assert len(names) == len({Path(n).resolve() for n in names})
    report = validate(["catalog", str(catalog.parent / "catalog")])
    assert not any(f.rule_id == "XREF-CTID-DUPLICATE" for f in report.findings)


def test_a_recursive_glob_through_a_symlink_loop_ends(catalog: Path) -> None:
    # glob.glob's ** walked catalog/up -> .. until the paths grew too long (minutes); now as the folder walk.
    (catalog / "up").symlink_to("..")
    code = "from ctdl_tools.ctdl_files import unique_files; print(len(list(unique_files(['catalog/**/*.json']))))"
    run = subprocess.run([sys.executable, "-c", code], cwd=catalog.parent, env=child_env(), capture_output=True,
                         text=True, timeout=60, check=False)
    assert run.returncode == 0 and run.stdout == "3\n", run.stderr
    assert [name for name, _ in expand("catalog/**")] == sorted(name for name, _ in expand("catalog/**"))


# --- 5. closed standard streams, internal errors ------------------------------------------------------------
@pytest.mark.parametrize("redirect", [">&-", "2>&-", ">&- 2>&-"])
def test_a_closed_stdout_or_stderr_still_writes_the_report_and_gives_the_verdict(catalog: Path, redirect: str) -> None:
    # Found in acceptance testing: `-o file >&-` was a traceback (stream.flush() on None) and exit 1.
    clean = "catalog/organization.json"
    passed = ctdl_process(catalog.parent, f"validate {clean} --format json -o r.json {redirect}")
    assert passed.returncode == 0 and "Traceback" not in passed.stderr, passed.stderr
    assert json.loads((catalog.parent / "r.json").read_text(encoding="utf-8"))["passed"] is True
    assert ctdl_process(catalog.parent, f"validate catalog -o r.txt {redirect}").returncode == 1


def test_a_closed_stdout_without_o_is_one_message_and_exit_2(catalog: Path) -> None:
    # Found in acceptance testing: AttributeError 'NoneType' object has no attribute 'isatty', exit 1.
    run = ctdl_process(catalog.parent, "validate catalog/organization.json >&-")
    assert run.returncode == 2
    assert run.stderr == "error: cannot write the report to standard output: it is closed (use -o FILE)\n"


def test_an_internal_error_exits_3_not_1(tmp_path: Path) -> None:
    # Found in acceptance testing: a crash exited 1, which CI reads as "Violations found".
    code = "-c 'import ctdl_tools.cli as c; c.main = lambda: 1 / 0; c.entry()'"
    run = ctdl_process(tmp_path, "", code)
    assert run.returncode == 3 and "ZeroDivisionError" in run.stderr and "internal error" in run.stderr
    assert ctdl_process(tmp_path, "2>&-", code).returncode == 3


# --- 6. the GitHub Action -----------------------------------------------------------------------------------
def test_the_action_never_uploads_a_sarif_left_by_an_earlier_step(catalog: Path) -> None:
    # Found in acceptance testing: a run that stopped before writing (a bad option) re-uploaded the old report.
    (catalog.parent / "ctdl.sarif").write_text('{"runs": []}', encoding="utf-8")
    step, outputs = action_step(catalog, CTDL_PATHS="catalog", CTDL_EXTRA_ARGS="--no-such-option")
    assert step.returncode == 0 and outputs == "exit-code=2\n", step.stderr
    assert not (catalog.parent / "ctdl.sarif").exists()


def test_the_action_passes_paths_after_double_dash_and_fail_on_in_any_case(
        catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Found in acceptance testing: a folder named -cat was taken as an option; fail-on: Warning was refused.
    catalog.rename(catalog.parent / "-cat")
    (catalog.parent / "-cat" / "broken.json").unlink()  # Warnings only
    step, outputs = action_step(catalog, CTDL_PATHS="-cat", CTDL_EXTRA_ARGS="")
    assert outputs == "exit-code=0\nsarif-written=true\n", step.stderr
    # action_step sets CTDL_FAIL_ON itself: the input as a workflow would give it, through its environment.
    monkeypatch.setattr(cli_tests, "child_env", lambda **env: child_env(**{**env, "CTDL_FAIL_ON": "Warning"}))
    step, outputs = action_step(catalog, CTDL_PATHS="-cat", CTDL_EXTRA_ARGS="")
    assert outputs == "exit-code=1\nsarif-written=true\n", step.stderr
    script = next(s for s in yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
                  if s.get("id") == "validate")["run"]
    assert '-- "${paths[@]}"' in script


# --- 7. JUnit: unreadable input is an error ------------------------------------------------------------------
def test_junit_reports_unreadable_input_as_an_error_with_its_file(catalog: Path) -> None:
    # Found in acceptance testing: JSON-SYNTAX was a <failure> with errors="0" though ctdl exits 2.
    (catalog / "truncated.json").write_text('{"@graph": [', encoding="utf-8")
    result = ctdl("validate", "catalog", "--format", "junit")
    assert result.exit_code == 2
    root = ET.fromstring(result.stdout.encode("utf-8"))
    assert (root.get("errors"), root.get("failures")) == ("1", "1")  # truncated.json; broken.json's record
    suite = next(s for s in root if s.get("name") == "catalog/truncated.json")
    (case,) = suite
    assert suite.get("errors") == "1" and suite.get("failures") == "0"
    assert case.find("failure") is None and case.find("error").get("type") == "JSON-SYNTAX"
    assert all(c.get("file") == s.get("name") for s in root for c in s)


# --- 8. SARIF: what --sarif-max-results says is what it does -------------------------------------------------
def test_sarif_max_results_is_described_as_it_behaves(catalog: Path) -> None:
    # Found in acceptance testing: "the most severe first" read as an order, but the kept results are listed in
    # report order ([warning, error, error]).
    help_text = " ".join(ctdl("validate", "--help").stdout.split())
    assert "chosen most severe first" in help_text and "listed in report order" in help_text
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert "listed in report order" in " ".join(action["inputs"]["sarif-max-results"]["description"].split())
    data = json.loads(ctdl("validate", "catalog", "--format", "sarif", "--sarif-max-results", "6").stdout)
    run = data["runs"][0]
    levels = [r["level"] for r in run["results"]]
    assert levels.count("error") == 4 and "note" not in levels  # every Violation kept, then Warnings
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert uris == sorted(uris)  # in report order
    assert "shown in report order" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


@pytest.mark.parametrize("args", [[""], ["", "."], ["", ".", "--format", "json", "-o", "r.json"]])
def test_an_empty_path_is_a_usage_error_not_a_crash(catalog: Path, args: list[str]) -> None:
    # Found in acceptance testing: `ctdl validate ""` ("$CATALOG_DIR" with the variable unset) was a traceback
    # and exit 3: Path("") is the working directory, and scanning "" failed.
    result = CliRunner().invoke(cli, ["validate", *args])
    assert result.exit_code == 2, result.output
    assert "an empty path was given (an unset variable?)" in result.output
    assert "Traceback" not in result.output and not (catalog / "r.json").exists()


def test_the_library_reports_an_empty_path_as_unreadable() -> None:
    [found] = validate("").findings
    assert found.rule_id == "JSON-UNREADABLE" and "cannot read" in found.message


def test_the_report_does_not_depend_on_the_order_files_are_given_in(tmp_path: Path) -> None:
    # Found in acceptance testing: two files describing one @id, given as `a b` and as `b a`, put the findings
    # about the node as a whole in different files, and the report listed the files in command-line order.
    from .test_validate_gate import wgu

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(wgu()), encoding="utf-8")
    b.write_text(json.dumps({k: v for k, v in wgu().items() if k != "ceterms:description"}), encoding="utf-8")
    one, two = validate([str(a), str(b)]), validate([str(b), str(a)])
    assert one.files == two.files == [str(a), str(b)]
    assert json_report.render(one) == json_report.render(two)


def test_the_library_takes_one_pattern_or_shapes_folder_as_a_string(tmp_path: Path) -> None:
    # Found in acceptance testing: disabled_rules="MDP-*-BENCHMARK-*" was read character by character, and its
    # "*" turned every rule off; a Path as shapes_dirs was a TypeError; "A,B" did not split as --disable does.
    from .test_validate_gate import wgu

    record = wgu()
    every = validate([record]).counts
    assert every["Warning"] > 0
    assert validate([record], disabled_rules="MDP-*-BENCHMARK-*").counts == validate(
        [record], disabled_rules=["MDP-*-BENCHMARK-*"]).counts != {"Violation": 0, "Warning": 0, "Info": 0}
    assert validate([record], disabled_rules=["MDP-*-BENCHMARK-*,XREF-*"]).counts == validate(
        [record], disabled_rules=["MDP-*-BENCHMARK-*", "XREF-*"]).counts
    shapes = tmp_path / "agency"
    shapes.mkdir()
    (shapes / "a.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ceterms: <https://purl.org/ctdl/terms/> .\n"
        "@prefix ctshapes: <https://purl.org/ctdl_tools/shapes/> . @prefix ex: <https://agency.example.gov/> .\n"
        'ex:K a sh:NodeShape ; sh:targetClass ceterms:Credential ; ctshapes:ruleId "AGENCY-KEYWORD" ;\n'
        '  sh:property [ sh:path ceterms:keyword ; sh:minCount 99 ; sh:message "keywords" ] .\n', encoding="utf-8")
    for given in (shapes, str(shapes), [shapes]):
        assert "AGENCY-KEYWORD" in {f.rule_id for f in validate([record], shapes_dirs=given).findings}


def test_the_library_entry_points_number_and_order_inputs_alike(tmp_path: Path) -> None:
    # Found in review: validate([doc, "a.json"]) named the object <document 2> while load_documents named it
    # <document 1>, and a folder holding no file kept its command-line place among the sorted files.
    from ctdl_tools.validate import load_documents

    from .test_validate_gate import wgu

    (tmp_path / "b.json").write_text(json.dumps(wgu()), encoding="utf-8")
    (tmp_path / "a-empty").mkdir()
    given = [wgu("bs-accounting"), str(tmp_path / "b.json"), str(tmp_path / "a-empty")]
    report, loaded = validate(given), load_documents(given)
    assert [d.file for d in loaded.documents] == [str(tmp_path / "b.json"), "<document 3>"]
    assert report.files == [str(tmp_path / "a-empty"), str(tmp_path / "b.json"), "<document 3>"]
