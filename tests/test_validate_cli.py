"""``ctdl validate`` and ``ctdl shapes`` as a CI gate uses them: exit codes, inputs, outputs, CI files.

The commands run through click's CliRunner on the catalog of ``test_validate_reporters`` (Violations in
``broken.json``, Warnings and an Info elsewhere), in separate processes for determinism, and the GitHub
Action's validate step runs in bash with a ``ctdl`` shim.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

import ctdl_tools
from ctdl_tools.validate.commands import cli
from ctdl_tools.validate.reporters import FORMATS

from .conftest import DATA, REPO
from .test_validate_reporters import BROKEN, BROKEN_CTID, BROKEN_NAME, write_catalog

USER_SHAPES = """@prefix ctshapes: <https://purl.org/ctdl_tools/shapes/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ceterms: <https://purl.org/ctdl/terms/> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix ex: <https://agency.example.gov/shapes/> .

ex:OrganizationFounded a sh:NodeShape ;
    sh:targetClass ceterms:CredentialOrganization ;
    sh:property ex:OrganizationFounded-foundingDate .
ex:OrganizationFounded-foundingDate
    ctshapes:ruleId "AGENCY-ORG-FOUNDING-DATE" ;
    sh:name "Founding date" ;
    sh:message "The agency requires the founding date of every organization" ;
    sh:severity sh:Violation ;
    dct:source "Example state agency data policy §4" ;
    sh:path ceterms:foundingDate ;
    sh:minCount 1 .
"""


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path/catalog`` with the working directory at ``tmp_path`` (paths as a CI job gives them)."""
    monkeypatch.chdir(tmp_path)
    return write_catalog(tmp_path)


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child Python: it imports the same ctdl_tools as this process (the checkout's,
    even where the package is also installed without its shapes)."""
    root = str(Path(ctdl_tools.__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


def ctdl(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


# --- exit codes ---------------------------------------------------------------------------------------------
def test_exit_0_without_violations_and_1_with_them_or_with_warnings_on_fail_on_warning(catalog: Path) -> None:
    clean = ctdl("validate", "catalog/organization.json")
    assert clean.exit_code == 0, clean.output
    assert clean.stdout.splitlines()[-1].startswith("PASSED: no violations (15 warnings")
    assert "\x1b[" not in clean.stdout  # not a terminal: no colour
    assert ctdl("validate", "catalog/organization.json", "--fail-on", "warning").exit_code == 1
    broken = ctdl("validate", "catalog/broken.json")
    assert broken.exit_code == 1
    assert broken.stdout.splitlines()[-1].startswith("FAILED: 4 violations in 1 record")


@pytest.mark.parametrize(("args", "message"), [
    (["catalog/missing.json"], "error: catalog/missing.json: no such file or directory"),
    (["catalog/*.yaml"], "error: no file matches catalog/*.yaml"),
    (["empty"], "error: no .json or .jsonld files under empty"),
    (["catalog", "--shapes", "bad-shapes"], "error: cannot parse shapes"),
    (["catalog", "--shapes", "empty"], "error: --shapes empty: no .ttl (Turtle) files under it"),
    (["catalog", "--shapes", "catalog/broken.json"], "error: --shapes catalog/broken.json: not a .ttl (Turtle) file"),
])
def test_exit_2_for_input_that_cannot_be_read_with_one_message(catalog: Path, args: list[str], message: str) -> None:
    (catalog.parent / "empty").mkdir()
    (catalog.parent / "bad-shapes").mkdir()
    (catalog.parent / "bad-shapes" / "broken.ttl").write_text("this is not turtle", encoding="utf-8")
    result = ctdl("validate", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_exit_2_for_unreadable_json_but_the_report_still_covers_the_other_files(catalog: Path) -> None:
    truncated = '{"@context": "https://credreg.net/ctdl/schema/context/json",\n  "@graph": ['
    (catalog / "truncated.json").write_text(truncated, encoding="utf-8")
    result = ctdl("validate", "catalog", "--format", "json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    syntax = [f for f in report["findings"] if f["rule_id"] == "JSON-SYNTAX"]
    assert [(f["file"], f["line"]) for f in syntax] == [("catalog/truncated.json", 2)]
    assert any(f["ctid"] == BROKEN_CTID for f in report["findings"])
    assert result.stderr == "error: could not read 1 input(s): catalog/truncated.json\n"


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unpaired_surrogate_escape_is_exit_2_in_every_format(catalog: Path, fmt: str) -> None:
    # json.loads accepts "\ud800"; every report writer would then crash on it (found by hand, now one finding).
    lone = '{"@context": "https://credreg.net/ctdl/schema/context/json",\n "ceterms:name": "\\ud800"}'
    (catalog / "lone.json").write_text(lone, encoding="utf-8")
    result = ctdl("validate", "catalog", "--format", fmt)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "lone.json" in result.stdout and BROKEN_CTID in result.stdout  # the other files are still reported
    assert result.stderr == "error: could not read 1 input(s): catalog/lone.json\n"


def test_usage_errors_are_exit_2(catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ctdl("validate", "catalog", "--format", "pdf").exit_code == 2
    (catalog / "empty").mkdir()
    monkeypatch.chdir(catalog / "empty")
    nothing = ctdl("validate")  # no path: the current directory, which holds no CTDL
    assert nothing.exit_code == 2 and "no .json or .jsonld files under ." in nothing.stderr
    monkeypatch.chdir(catalog.parent)
    assert ctdl("validate", "catalog", "--fail-on", "info").exit_code == 2
    monkeypatch.setattr("ctdl_tools.validate.engine.available", lambda name: False)
    result = ctdl("validate", "catalog", "--engine", "pyshacl")
    assert result.exit_code == 2 and "the pyshacl engine is not installed" in result.stderr


# --- inputs -------------------------------------------------------------------------------------------------
def test_stdin(catalog: Path) -> None:
    result = ctdl("validate", "-", input=json.dumps(BROKEN, indent=2, ensure_ascii=False))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[:2] == ["<stdin>", f"  {BROKEN_CTID}  {BROKEN_NAME}"]  # the record index read stdin too
    assert any(line.startswith("    <stdin>:12  Violation  RA-DESCRIPTION-MIN-LENGTH") for line in lines)
    both = ctdl("validate", "-", "catalog/organization.json", "--format", "json",
                input=(catalog / "course.json").read_bytes())
    assert json.loads(both.stdout)["files"] == ["<stdin>", "catalog/organization.json"]
    assert both.exit_code == 0


def test_globs_and_directories(catalog: Path) -> None:
    def files(*paths: str) -> list[str]:
        result = ctdl("validate", *paths, "--format", "json")
        assert result.exit_code in (0, 1), result.output
        return json.loads(result.stdout)["files"]

    assert files("catalog/*.json") == ["catalog/broken.json", "catalog/course.json", "catalog/organization.json"]
    assert files("catalog/**/*.jsonld") == ["catalog/frameworks/framework.jsonld"]
    assert files("catalog") == ["catalog/broken.json", "catalog/course.json", "catalog/frameworks/framework.jsonld",
                                "catalog/organization.json"]
    # In name order, whatever order the command line gives (acceptance testing: `validate b a` gave another
    # report than `validate a b`).
    assert files("catalog/frameworks", "catalog/course.json") == ["catalog/course.json",
                                                                  "catalog/frameworks/framework.jsonld"]


# --- outputs and options --------------------------------------------------------------------------------------
def test_output_file_is_written_with_a_summary_on_stderr(catalog: Path) -> None:
    result = ctdl("validate", "catalog", "--format", "junit", "-o", "reports/ctdl.xml")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("ctdl validate: FAILED: 4 violations in 1 record (")
    assert result.stderr.endswith("; junit report written to reports/ctdl.xml\n")
    assert ET.parse(catalog.parent / "reports" / "ctdl.xml").getroot().get("tests") == "7"
    assert sorted(p.name for p in (catalog.parent / "reports").iterdir()) == ["ctdl.xml"]  # no temporary left


def test_disable_rules_by_id_and_pattern(catalog: Path) -> None:
    def rules(*args: str) -> set[str]:
        result = ctdl("validate", "catalog", "--format", "json", *args)
        return {f["rule_id"] for f in json.loads(result.stdout)["findings"]}

    everything = rules()
    assert any("-BENCHMARK-" in r for r in everything) and "RA-DESCRIPTION-MIN-LENGTH" in everything
    fewer = rules("--disable", "MDP-*-BENCHMARK-*", "--disable", "RA-DESCRIPTION-MIN-LENGTH,XREF-*")
    assert fewer == {r for r in everything if "-BENCHMARK-" not in r and r != "RA-DESCRIPTION-MIN-LENGTH"
                     and not r.startswith("XREF-")}
    typo = ctdl("validate", "catalog/organization.json", "--disable", "MDP-NO-SUCH-RULE")
    assert "warning: --disable MDP-NO-SUCH-RULE matches no rule" in typo.stderr and typo.exit_code == 0
    # Found in acceptance testing: patterns were case-sensitive, and `mdp-*` only warned that it matched nothing.
    lower = ctdl("validate", "catalog", "--format", "json", "--disable", "mdp-*-benchmark-*",
                 "--disable", "ra-description-min-length,xref-*")
    assert "matches no rule" not in lower.stderr
    assert {f["rule_id"] for f in json.loads(lower.stdout)["findings"]} == fewer


def test_unreadable_input_fails_whatever_is_disabled(catalog: Path) -> None:
    # Found by hand: --disable JSON-SYNTAX used to drop the finding, and with it the exit 2: a CI gate passed
    # a file it never read.
    (catalog / "truncated.json").write_text('{"@graph": [ {"a": 1,} ]}', encoding="utf-8")
    for pattern, kept in (("JSON-SYNTAX", "JSON-SYNTAX stays"), ("JSON-*", "JSON-UNREADABLE and JSON-SYNTAX stay"),
                          ("*", "JSON-UNREADABLE and JSON-SYNTAX stay")):
        result = ctdl("validate", "catalog/truncated.json", "--disable", pattern)
        assert result.exit_code == 2, (pattern, result.output)
        assert "JSON-SYNTAX" in result.stdout
        assert f"warning: --disable {pattern}: {kept} on (input that cannot be read always fails" in result.stderr


USER_SHAPES_UNICODE = r"""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ceterms: <https://purl.org/ctdl/terms/> .
@prefix ctshapes: <https://purl.org/ctdl_tools/shapes/> .
<https://agency.example.gov/shapes/NoFounding> a sh:NodeShape ;
    sh:targetClass ceterms:CredentialOrganization ;
    ctshapes:ruleId "AGENCY-NAME-FORM" ;
    sh:name "Nom — café" ;
    sh:property [ sh:path ceterms:name ; sh:maxCount 0 ;
                  sh:message "Le nom — « café » \\ \"cité\" \u00e9 \U0001F600" ] .
"""


def test_shape_texts_keep_their_characters_and_escapes(catalog: Path) -> None:
    # Found by hand: Turtle literals with a backslash were decoded with Python's unicode_escape, which reads
    # Latin-1, so every non-ASCII character beside an escape came out as mojibake (our own "{"en-US": "…"}"
    # and "§" included). A node shape without a message takes its property shape's.
    shapes = catalog.parent / "agency"
    shapes.mkdir()
    (shapes / "name.ttl").write_text(USER_SHAPES_UNICODE, encoding="utf-8")
    plain = {**BROKEN, "@graph": [{**BROKEN["@graph"][0], "ceterms:name": "Plain"}]}
    (catalog / "plain.json").write_text(json.dumps(plain), encoding="utf-8")
    result = ctdl("validate", "catalog/organization.json", "catalog/plain.json", "--shapes", "agency", "--format",
                  "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    mine = [f for f in report["findings"] if f["rule_id"] == "AGENCY-NAME-FORM"]
    again = ctdl("validate", "catalog/organization.json", "--shapes", "agency", "--shapes", "agency/name.ttl",
                 "--format", "json")  # one file reached twice is read once: its findings are not doubled
    assert [f for f in json.loads(again.stdout)["findings"] if f["rule_id"] == "AGENCY-NAME-FORM"] == mine
    assert mine and mine[0]["message"] == 'Le nom — « café » \\ "cité" é \U0001F600'
    assert report["rules"]["AGENCY-NAME-FORM"]["name"] == "Nom — café"
    langstring = next(f for f in report["findings"] if f["rule_id"] == "STRUCT-LANGSTRING")
    assert langstring["message"] == 'ceterms:name must be a language map such as {"en-US": "…"}, not a plain string'
    assert "credential-registry-ingest-examples index.md" in langstring["source"]


def test_user_shapes_add_rules_with_their_own_ids(catalog: Path) -> None:
    shapes = catalog.parent / "agency"
    shapes.mkdir()
    (shapes / "org.ttl").write_text(USER_SHAPES, encoding="utf-8")
    result = ctdl("validate", "catalog/organization.json", "--shapes", "agency", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["counts"]["Violation"] == 1
    rule = report["rules"]["AGENCY-ORG-FOUNDING-DATE"]
    assert rule["source"] == "Example state agency data policy §4" and rule["origin"] == "user"
    listed = ctdl("shapes", "list", "AGENCY-*", "--shapes", "agency")
    assert listed.stdout.splitlines()[0].split() == ["AGENCY-ORG-FOUNDING-DATE", "Violation", "user", "Founding",
                                                     "date"]


def test_shapes_beyond_the_native_engine_run_on_shacl_or_are_refused_by_name(catalog: Path) -> None:
    shapes = catalog.parent / "ranges"
    shapes.mkdir()
    (shapes / "range.ttl").write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ctshapes: <https://purl.org/ctdl_tools/shapes/> .
<http://example.org/S> a sh:NodeShape ; sh:targetClass <https://purl.org/ctdl/terms/CredentialOrganization> ;
  sh:property [ sh:path <https://purl.org/ctdl/terms/foundingDate> ; sh:minInclusive 1 ] ;
  ctshapes:ruleId "AGENCY-RANGE" .
""", encoding="utf-8")
    refused = ctdl("validate", "catalog/organization.json", "--shapes", "ranges", "--engine", "native")
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert "native engine cannot run these shapes" in refused.stderr and "minInclusive" in refused.stderr
    result = ctdl("validate", "catalog/organization.json", "--shapes", "ranges", "--format", "json")
    assert json.loads(result.stdout)["engine"] == "shacl"


def test_every_format_is_byte_identical_across_processes(catalog: Path) -> None:
    script = ("import sys\nfrom click.testing import CliRunner\nfrom ctdl_tools.validate.commands import cli\n"
              "for fmt in sys.argv[2:]:\n"
              "    args = ['validate', 'catalog', '--format', fmt, '-o', f'{sys.argv[1]}/r.{fmt}']\n"
              "    r = CliRunner().invoke(cli, args)\n"
              "    assert r.exit_code == 1, r.output\n")
    outputs = []
    for seed in ("1", "2"):
        out = catalog.parent / f"run{seed}"
        out.mkdir()
        env = child_env(PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-c", script, str(out), *FORMATS], cwd=catalog.parent, env=env, check=True,
                       timeout=120)
        outputs.append({fmt: (out / f"r.{fmt}").read_bytes() for fmt in FORMATS})
    for fmt in FORMATS:
        assert outputs[0][fmt] == outputs[1][fmt], fmt
        assert str(catalog.parent).encode() not in outputs[0][fmt], fmt  # no absolute temporary path
    # The module's own entry point (what a CI job without the ctdl script can run), on stdout.
    module = subprocess.run([sys.executable, "-m", "ctdl_tools.validate.commands", "validate", "catalog",
                             "--format", "sarif"], cwd=catalog.parent, env=child_env(), capture_output=True,
                            timeout=120, check=False)
    assert module.returncode == 1 and module.stdout == outputs[0]["sarif"]


def test_output_that_cannot_be_written_is_one_message_and_exit_2(catalog: Path) -> None:
    # Found by hand: -o '' and a full disk behind a redirection were tracebacks.
    empty = ctdl("validate", "catalog", "-o", "")
    assert empty.exit_code == 2 and "needs a file name" in empty.stderr and "Traceback" not in empty.output
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system to fill the disk with")
    with open("/dev/full", "wb") as full:
        run = subprocess.run([sys.executable, "-m", "ctdl_tools", "validate", "catalog", "--format", "json"],
                             cwd=catalog.parent, env=child_env(), stdout=full, stderr=subprocess.PIPE, timeout=120,
                             check=False)
    assert run.returncode == 2
    assert run.stderr == b"error: cannot write the report to standard output: No space left on device\n"


def test_a_symlink_given_as_output_is_written_through(catalog: Path) -> None:
    # Found by hand: the atomic rename replaced a symlink (and, as root, /dev/null) with a plain file.
    target = catalog.parent / "reports" / "latest.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    (catalog.parent / "report.json").symlink_to(target)
    assert ctdl("validate", "catalog", "--format", "json", "-o", "report.json").exit_code == 1
    assert (catalog.parent / "report.json").is_symlink() and json.loads(target.read_text(encoding="utf-8"))


def test_the_ctdl_process_exits_with_the_command_code_and_loses_no_output(catalog: Path) -> None:
    # The installed command (cli.entry) ends the process with os._exit once the command is done, skipping
    # the interpreter's teardown: the exit code and every byte written must still come out.
    def ctdl_process(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "ctdl_tools", *args], cwd=catalog.parent, env=child_env(),
                              capture_output=True, timeout=120, check=False)

    report = ctdl_process("validate", "catalog", "--format", "json")
    assert report.returncode == 1 and json.loads(report.stdout)["conforms"] is False  # the whole report
    missing = ctdl_process("validate", "nowhere")
    assert missing.returncode == 2 and missing.stdout == b""
    assert missing.stderr == b"error: nowhere: no such file or directory\n"
    version = ctdl_process("--version")
    assert version.returncode == 0 and version.stdout == f"ctdl, version {ctdl_tools.__version__}\n".encode()
    # A reader that stops early (| head) on a report larger than the pipe holds (1.4 MB): click's exit 1 for a
    # broken pipe, and no traceback.
    reader = subprocess.Popen([sys.executable, "-m", "ctdl_tools", "validate", str(DATA / "registry"), "--format",
                               "json"], env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader.stdout is not None and reader.stderr is not None
    assert reader.stdout.read(1) == b"{"
    reader.stdout.close()
    assert reader.wait(timeout=120) == 1 and b"Traceback" not in reader.stderr.read()


# --- ctdl shapes ------------------------------------------------------------------------------------------------
def test_shapes_list_shows_what_can_be_turned_off() -> None:
    listed = ctdl("shapes", "list")
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    ids = [line.split()[0] for line in lines[:-1] if not line.startswith(" ")]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) and lines[-1] == f"{len(ids)} rules"
    assert {"JSON-SYNTAX", "RA-DESCRIPTION-MIN-LENGTH", "STRUCT-UNKNOWN-PROPERTY", "XREF-CTID-DUPLICATE"} <= set(ids)
    assert all(line.lstrip().startswith("source: ") for line in lines[1:-1:2])
    benchmarks = json.loads(ctdl("shapes", "list", "MDP-*-BENCHMARK-*", "--format", "json").stdout)
    assert benchmarks and all("-BENCHMARK-" in r["id"] and r["severity"] == "Warning" and r["source"]
                              for r in benchmarks)


def test_shapes_build_regenerates_the_committed_structure(tmp_path: Path) -> None:
    built = ctdl("shapes", "build", str(tmp_path / "structure"))
    assert built.exit_code == 0
    committed = REPO / "shapes" / "structure"
    names = sorted(p.name for p in (tmp_path / "structure").iterdir())
    assert names == sorted(p.name for p in committed.glob("*.ttl"))
    for name in names:
        assert (tmp_path / "structure" / name).read_bytes() == (committed / name).read_bytes(), name
    assert ctdl("shapes", "build", "--check").stdout.endswith("up to date\n")  # the checkout's shapes/structure
    (tmp_path / "structure" / "ctid.ttl").write_text("# edited\n", encoding="utf-8")
    stale = ctdl("shapes", "build", "--check", str(tmp_path / "structure"))
    assert stale.exit_code == 1 and "out of date: ctid.ttl" in stale.stderr


def test_shapes_build_finds_the_checkout_from_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    # Found in acceptance testing: after the README's `pip install .` (the package in site-packages),
    # `ctdl shapes build --check` run in the clone said "not run from a ctdl_tools checkout".
    import click

    import ctdl_tools
    from ctdl_tools.validate.commands import _checkout_structure_dir

    clone = tmp_path / "clone"
    (clone / "shapes" / "structure").mkdir(parents=True)
    (clone / "pyproject.toml").write_text('[project]\nname = "ctdl_tools"\n', encoding="utf-8")
    (clone / "docs").mkdir()
    monkeypatch.setattr(ctdl_tools, "__file__", str(tmp_path / "site-packages" / "ctdl_tools" / "__init__.py"))
    monkeypatch.chdir(clone / "docs")
    assert _checkout_structure_dir() == (clone / "shapes" / "structure").resolve()
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text('[project]\nname = "someone-else"\n', encoding="utf-8")
    monkeypatch.chdir(other)
    with pytest.raises(click.UsageError, match="give OUTDIR"):
        _checkout_structure_dir()


# --- CI integration files ---------------------------------------------------------------------------------------
def test_pre_commit_hook() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "ctdl-validate")
    assert hook["language"] == "python" and hook["entry"] == "ctdl validate"
    # Found in acceptance testing: with the changed files' names, pre-commit split 3,000 files over two runs
    # and a duplicate CTID across them passed. The hook validates its args' paths in one process instead.
    assert hook["pass_filenames"] is False and hook["args"] == ["."] and hook["require_serial"] is True
    import re

    pattern = re.compile(hook["files"])
    assert pattern.search("ctdl/a.json") and pattern.search("b.jsonld") and not pattern.search("c.json5")
    assert pattern.search("walk/C.JSON")  # found in acceptance testing: the walker reads it, the hook ignored it


def action_step(catalog: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, str]:
    """The action's validate step run as GitHub runs it, with ``ctdl`` and ``python`` from this checkout."""
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    validate_step = next(s for s in action["runs"]["steps"] if s.get("id") == "validate")
    bin_dir = catalog.parent / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, command in (("ctdl", "-m ctdl_tools.validate.commands"), ("python", "")):
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {command} "$@"\n', encoding="utf-8")
        shim.chmod(0o755)
    script = catalog.parent / "step.sh"
    script.write_text(validate_step["run"], encoding="utf-8")
    outputs = catalog.parent / "github_output"
    outputs.write_text("", encoding="utf-8")
    runner_temp = catalog.parent / "runner_temp"
    runner_temp.mkdir(exist_ok=True)
    env = child_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", GITHUB_OUTPUT=str(outputs),
                    RUNNER_TEMP=str(runner_temp), CTDL_FAIL_ON="violation", CTDL_SARIF="ctdl.sarif",
                    **{"CTDL_SARIF_MAX_RESULTS": action["inputs"]["sarif-max-results"]["default"], **inputs})
    # GitHub runs `shell: bash` steps as: bash --noprofile --norc -eo pipefail {0}
    step = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=catalog.parent,
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    return step, outputs.read_text(encoding="utf-8")


def test_github_action_validate_step_passes_inputs_and_exit_code(catalog: Path) -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"paths", "python-version", "fail-on", "extra-args", "sarif-category"}
    assert action["inputs"]["paths"]["required"] is True and "default" not in action["inputs"]["paths"]
    steps = action["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert "${{ github.action_path }}" in steps[1]["run"]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["if"].startswith("always()") and "sarif-written" in upload["if"]
    assert upload["continue-on-error"] is True  # a fork's pull request cannot upload; the verdict still decides
    assert upload["with"]["category"] == "${{ inputs.sarif-category }}"
    step, outputs = action_step(catalog, CTDL_PATHS="'catalog/*.json' catalog/frameworks",
                                CTDL_EXTRA_ARGS="--disable 'MDP-*-BENCHMARK-*'")
    assert step.returncode == 0, step.stderr  # the step itself passes; the last step fails the job
    assert outputs == "exit-code=1\nsarif-written=true\n"
    sarif = json.loads((catalog.parent / "ctdl.sarif").read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "catalog/broken.json" in uris and sarif["runs"][0]["properties"]["files"] == 4  # the glob and the dir
    assert not any("-BENCHMARK-" in r["ruleId"] for r in results)


def test_github_action_lists_the_most_severe_results_code_scanning_will_take(catalog: Path) -> None:
    # Code scanning rejects an upload of more than 25,000 results (a 10k-record catalog has ~125,000
    # findings) and shows 5,000: the action asks for at most 5,000 by default, every Violation first.
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["inputs"]["sarif-max-results"]["default"] == "5000"
    step, outputs = action_step(catalog, CTDL_PATHS="catalog", CTDL_EXTRA_ARGS="", CTDL_SARIF_MAX_RESULTS="2")
    assert step.returncode == 0 and outputs.startswith("exit-code=1\n"), step.stderr
    run = json.loads((catalog.parent / "ctdl.sarif").read_text(encoding="utf-8"))["runs"][0]
    assert [r["level"] for r in run["results"]] == ["error", "error"]
    assert run["properties"]["resultsOmitted"] == run["properties"]["findings"] - 2 > 0
    assert "most severe of" in step.stderr


@pytest.mark.parametrize(("paths", "extra", "said"), [
    ("catalog", "--disable 'MDP-*-BENCHMARK-*", "the extra-args input cannot be split"),  # a quote left open
    ("catalog/'a b", "", "the paths input cannot be split"),
    ("  ", "", "the paths input is empty"),
])
def test_github_action_stops_on_inputs_it_cannot_read(catalog: Path, paths: str, extra: str, said: str) -> None:
    # Found in acceptance testing: an open quote in extra-args was a traceback, the options were dropped and
    # the job passed.
    step, outputs = action_step(catalog, CTDL_PATHS=paths, CTDL_EXTRA_ARGS=extra)
    assert step.returncode != 0 and said in step.stderr + step.stdout and "Traceback" not in step.stderr
    assert "exit-code" not in outputs  # so the last step fails the job: "ctdl validate did not run"


def test_readme_and_ci_doc_show_the_hook_and_the_action() -> None:
    for name in ("README.md", "docs/ci.md"):
        doc = (REPO / name).read_text(encoding="utf-8")
        assert "id: ctdl-validate" in doc and "security-events: write" in doc and "fail-on:" in doc
        assert "args: [" in doc and "paths:" in doc


def test_a_broken_install_is_one_message_and_exit_2(tmp_path: Path) -> None:
    # Found in acceptance testing: a dependency that failed to import was a traceback and exit 1.
    shim = tmp_path / "shim" / "pyoxigraph"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text('raise ImportError("simulated broken install")\n', encoding="utf-8")
    env = {**child_env(), "PYTHONPATH": os.pathsep.join([str(tmp_path / "shim"), child_env().get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-m", "ctdl_tools", "validate", str(DATA / "validate" / "course.json")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert "simulated broken install" in run.stderr and "reinstall" in run.stderr


def test_o_dev_stdout_writes_where_the_shell_pointed_it(tmp_path: Path) -> None:
    # Found in acceptance testing: -o /dev/stdout failed into a pipe, and replaced (by rename) a file the
    # shell had opened for appending, losing what was in it and what the shell wrote around the command.
    course = str(DATA / "validate" / "course.json")
    command = [sys.executable, "-m", "ctdl_tools", "validate", course, "--format", "json", "-o", "/dev/stdout"]
    piped = subprocess.run(command, env=child_env(), capture_output=True, timeout=120)
    assert json.loads(piped.stdout)["files"] and piped.returncode in (0, 1), piped.stderr
    log = tmp_path / "log.txt"
    log.write_text("PREVIOUS\n", encoding="utf-8")
    with open(log, "ab") as appending:
        subprocess.run(command, env=child_env(), stdout=appending, stderr=subprocess.DEVNULL, timeout=120)
    text = log.read_text(encoding="utf-8")
    assert text.startswith("PREVIOUS\n{") and json.loads(text.removeprefix("PREVIOUS\n"))["files"]
    script = f"echo HEADER; {shlex.join(command[:-1])} /dev/fd/1; echo FOOTER"
    grouped = subprocess.run(["sh", "-c", script], env=child_env(), capture_output=True, text=True, timeout=120)
    assert grouped.stdout.startswith("HEADER\n{") and grouped.stdout.endswith("}\nFOOTER\n")


def test_a_symlink_loop_in_a_directory_is_an_unreadable_input(catalog: Path) -> None:
    # Found in acceptance testing: a traceback and exit 1 (which CI reads as "Violations").
    (catalog / "self.json").symlink_to("self.json")
    result = ctdl("validate", "catalog", "--format", "json")
    assert result.exit_code == 2 and "self.json" in result.stderr
    found = json.loads(result.stdout)["findings"]
    assert any(f["rule_id"] == "JSON-UNREADABLE" and f["file"].endswith("self.json") for f in found)
    assert ctdl("validate", "catalog/self.json").exit_code == 2


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_a_report_kept_in_the_catalog_folder_is_not_read_as_catalog(catalog: Path, fmt: str) -> None:
    # Found in acceptance testing: `-o catalog/report.json` passed once, then failed (JSON-NOT-CTDL) on the next run.
    first = ctdl("validate", "catalog", "--format", fmt, "-o", f"catalog/report.{fmt}.json")
    again = ctdl("validate", "catalog", "--format", fmt, "-o", f"catalog/report.{fmt}.json")
    assert again.exit_code == first.exit_code
    assert Path(f"catalog/report.{fmt}.json").read_bytes() != b""
    assert "JSON-NOT-CTDL" not in Path(f"catalog/report.{fmt}.json").read_text(encoding="utf-8")


def test_no_path_is_the_current_directory(catalog: Path) -> None:
    # Found in acceptance testing: a pre-commit config whose args are only options (as the docs used to show)
    # ran `ctdl validate --disable …` and failed with "Missing argument PATH".
    os.chdir(catalog)
    assert [ctdl("validate", "--format", "json").stdout] == [ctdl("validate", ".", "--format", "json").stdout]
    assert ctdl("validate", "--disable", "MDP-*-BENCHMARK-*").exit_code == 1  # broken.json


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_name_that_is_not_utf8_is_shown_escaped(catalog: Path, fmt: str) -> None:
    # Found in acceptance testing: every report writer but JUnit crashed on it (a traceback, exit 1).
    name = os.fsdecode(b"caf\xe9 x.json")
    (catalog / name).write_bytes((catalog / "broken.json").read_bytes())
    (catalog / "broken.json").unlink()
    result = ctdl("validate", "catalog", "--format", fmt)
    assert result.exit_code == 1 and "Traceback" not in result.output
    shown = "caf%5Cxe9%20x.json" if fmt == "sarif" else "caf\\xe9 x.json"  # SARIF: a URI
    assert shown in result.stdout.replace("\\\\", "\\")


def test_the_report_never_replaces_a_file_being_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Found in acceptance testing: `-o catalog/course.json` replaced the record with the report, and the next
    # run skipped that file as a report: a record lost, the catalog still passing.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "catalog").mkdir()
    for name in ("course", "organization"):
        (tmp_path / "catalog" / f"{name}.json").write_bytes((DATA / "validate" / f"{name}.json").read_bytes())
    before = (tmp_path / "catalog" / "course.json").read_bytes()
    (tmp_path / "catalog" / "link.json").symlink_to("course.json")
    for target in ("catalog/course.json", "catalog/link.json"):
        result = ctdl("validate", "catalog", "--format", "json", "-o", target)
        assert result.exit_code == 2 and f"{target}: is one of the files being validated" in result.stderr
    assert (tmp_path / "catalog" / "course.json").read_bytes() == before
    # A report kept beside the catalog is no input: it is replaced run after run, in any format.
    for fmt in ("json", "sarif", "json"):
        assert ctdl("validate", "catalog", "--format", fmt, "-o", "catalog/report.json").exit_code == 0


def test_the_report_never_replaces_the_file_standard_input_reads(tmp_path: Path) -> None:
    # Found in a robustness sweep: `ctdl validate - -o cat.json < cat.json` replaced the catalog with its report.
    catalog = tmp_path / "cat.json"
    before = (DATA / "validate" / "course.json").read_bytes()
    catalog.write_bytes(before)
    with catalog.open("rb") as stdin:
        command = [sys.executable, "-m", "ctdl_tools", "validate", "-", "--format", "json", "-o", str(catalog)]
        result = subprocess.run(command, stdin=stdin, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and f"{catalog}: is one of the files being validated" in result.stderr
    assert catalog.read_bytes() == before


def test_a_named_pipe_is_read_once_and_its_findings_placed(tmp_path: Path) -> None:
    # Found in acceptance testing: the text of a file with findings was read a second time for line numbers,
    # which blocks forever on a named pipe (and reads nothing from <(…) or /dev/stdin: every line was 1).
    import threading

    fifo = tmp_path / "submission.fifo"
    os.mkfifo(fifo)
    data = (DATA / "validate" / "course.json").read_bytes()
    writer = threading.Thread(target=fifo.write_bytes, args=(data,), daemon=True)
    writer.start()
    result = subprocess.run([sys.executable, "-m", "ctdl_tools", "validate", str(fifo), "--format", "json"],
                            capture_output=True, timeout=30, env=child_env())
    findings = json.loads(result.stdout)["findings"]
    lines = data.decode().splitlines()
    placed = [f for f in findings if f["rule_id"] == "XREF-REGISTRY-REFERENCE"]
    assert placed and all(f["value"] in lines[f["line"] - 1] for f in placed)


def test_a_glob_that_matches_folders_walks_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Found in acceptance testing: `ctdl validate 'catalog/*'` said "no file matches" when the glob matched
    # only folders, which the shell's own expansion of it would have walked.
    monkeypatch.chdir(tmp_path)
    for folder, name in (("a", "course"), ("b", "organization")):
        (tmp_path / "catalog" / folder).mkdir(parents=True)
        (tmp_path / "catalog" / folder / f"{name}.json").write_bytes((DATA / "validate" / f"{name}.json").read_bytes())
    for pattern in ("catalog/*", "catalog/**"):
        result = ctdl("validate", pattern, "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["files"] == ["catalog/a/course.json", "catalog/b/organization.json"]


@pytest.mark.parametrize("fmt", ["text", "junit", "html"])
def test_a_report_that_is_no_json_is_not_named_json(tmp_path: Path, fmt: str) -> None:
    # Found in a robustness sweep: a text or JUnit report written as catalog/report.json made the next
    # validate (and publish) of the folder fail on it (only JSON reports and SARIF logs are skipped as reports).
    result = ctdl("validate", str(DATA / "validate"), "--format", fmt, "-o", str(tmp_path / "report.json"))
    assert result.exit_code == 2 and "would be read as CTDL by the next validate" in result.stderr
    assert not (tmp_path / "report.json").exists()


def _ctdl(*args: str, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "ctdl_tools", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120, **kwargs)


def test_standard_input_closed_is_an_unreadable_input_not_a_crash() -> None:
    # Found in acceptance testing: `ctdl validate - <&-` was an internal error (sys.stdin is None).
    done = _ctdl("validate", "-", stdin=subprocess.DEVNULL, preexec_fn=lambda: os.close(0))
    assert done.returncode == 2, done.stderr
    assert "standard input is closed" in done.stdout and "Traceback" not in done.stderr


def test_a_deleted_working_directory_shows_paths_as_given(tmp_path: Path) -> None:
    # Found in acceptance testing: the report's relative paths needed the working directory, and its absence was
    # said as "cannot write the report to standard output".
    gone = tmp_path / "gone"
    gone.mkdir()
    course = DATA / "validate" / "course.json"
    done = _ctdl("validate", str(course), cwd=gone, preexec_fn=lambda: os.rmdir(gone))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{course}\n") and "Traceback" not in done.stderr
