"""``ctdl validate`` and ``ctdl shapes build|list``: options in, a report out, an exit code for CI.

Attach to the main group with ``main.add_command(validate_command)`` and ``main.add_command(shapes_group)``;
``python -m ctdl_tools.validate.commands validate …`` runs the same commands standalone.

Exit codes (like check-jsonschema and the rest of ``ctdl``): 0 nothing that fails, 1 Violations (or
Warnings with ``--fail-on warning``), 2 input that could not be read (the report is still written: in a
catalog of 500 files one unreadable file should not hide the findings in the others; with ``-o``, a missing
path, empty folder or glob matching nothing too), nothing validated (every input a skipped report) or bad
usage.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NoReturn, TextIO, TypeVar

import click

from ctdl_tools.errors import EXIT_INPUT_ERROR, EXIT_OK, EXIT_RECORD_ERRORS, InputError
from ctdl_tools.streams import silence_stdout
from ctdl_tools.validate.rules import UNREADABLE_RULES, rule_matches, rule_patterns

if TYPE_CHECKING:
    from ctdl_tools.validate.reporters import Record
    from ctdl_tools.validate.result import Report, Rule

FORMATS = ("text", "json", "junit", "sarif", "html")
ENGINE_NAMES = ("auto", "native", "shacl", "pyshacl")  # engine.ENGINE_NAMES, without importing the engines

T = TypeVar("T")


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_INPUT_ERROR)


# --- ctdl validate -----------------------------------------------------------------------------------------
@click.command("validate")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE (atomically) and a one-line summary to stderr.")
@click.option("--shapes", "shapes_dirs", multiple=True, type=click.Path(exists=True, path_type=Path),
              metavar="DIR", help="Your own SHACL shapes (.ttl directory or file), added to ours. Repeatable.")
@click.option("--disable", "disabled", multiple=True, metavar="RULE-ID",
              help="Turn a rule off; glob patterns (MDP-*-BENCHMARK-*) and commas allowed. Repeatable. "
                   "See `ctdl shapes list`. JSON-SYNTAX and JSON-UNREADABLE stay on.")
@click.option("--fail-on", type=click.Choice(["violation", "warning"]), default="violation", show_default=True,
              help="Lowest severity that makes the exit code 1.")
@click.option("--engine", type=click.Choice(ENGINE_NAMES), default="auto", show_default=True,
              help="SHACL engine: native (compiled SHACL Core, the default for our shapes), shacl (Rust: any "
                   "SHACL, used by auto when your shapes need more) or pyshacl (the reference).")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, show_default=True,
              help="Worker processes (native engine, 600+ files). 0: one per CPU, up to 4, for up to "
                   "128 MB of JSON; larger submissions run in one process to stay within 1 GB of memory.")
@click.option("--sarif-max-results", type=click.IntRange(min=0), default=0, show_default=True, metavar="N",
              help="SARIF: list at most N results, chosen most severe first (every Violation, then Warnings, "
                   "then Infos) and listed in report order (GitHub code scanning rejects more than 25,000 and "
                   "shows 5,000); 0: all. The verdict counts every finding.")
def validate_command(paths: tuple[str, ...], fmt: str, output: Path | None, shapes_dirs: tuple[Path, ...],
                     disabled: tuple[str, ...], fail_on: str, engine: str, jobs: int, sarif_max_results: int) -> None:
    """Validate CTDL JSON-LD files, directories, globs or - (stdin) against the SHACL shapes; no PATH: the
    current directory (hidden folders left out).

    Exit 0: no violation; 1: violations (or warnings with --fail-on warning); 2: unreadable or missing input,
    nothing to validate, or bad usage.
    """
    import gc

    from ctdl_tools.validate.reporters import Options, write

    # A one-shot process: the cyclic collector would only walk the report's objects again and again
    # (validate() pauses it while it works; this keeps it off while the report is written too).
    gc.disable()
    patterns = rule_patterns(disabled)
    if output is not None and str(output) in ("", "."):  # click makes -o '' the Path "."
        raise click.BadParameter("needs a file name (or - for standard output)", param_hint="'-o' / '--output'")
    if output is not None and output.suffix.lower() in (".json", ".jsonld") and fmt not in ("json", "sarif"):
        # Only JSON reports and SARIF logs are known as reports when the folder is validated again: a text,
        # JUnit or HTML report under a .json name would be read as a broken catalog file next time.
        suffix = {"text": ".txt", "junit": ".xml", "html": ".html"}.get(fmt, "")
        raise click.BadParameter(f"a {fmt} report named {output.name} would be read as CTDL by the next validate of "
                                 f"its folder: give it a {suffix} name", param_hint="'-o' / '--output'")
    paths = paths or (".",)  # a pre-commit hook's `args: [--disable, …]` names no path
    to_file = output is not None and str(output) != "-"
    _check_paths(paths, to_file)
    _check_engine(engine)
    _warn_unknown_rules(_guard(lambda: _rule_ids(shapes_dirs, patterns)), patterns)
    report, records = _run(paths, shapes_dirs, patterns, engine, jobs)
    _refuse_writing_over_an_input(output, report)
    code = _exit_code(report, fail_on)
    nothing = _nothing_validated(report) if code == EXIT_OK else None
    color = output is None and fmt == "text" and _is_terminal(sys.stdout) and "NO_COLOR" not in os.environ
    options = Options(fail_on=fail_on, records=records, color=color, sarif_max_results=sarif_max_results)
    _emit(lambda handle: write(fmt, report, options, handle), output)
    if nothing:  # after the report (CI finds its file, and it names what was skipped), not a verdict line
        _fail(f"{nothing}; {fmt} report written to {output}" if to_file else nothing)
    _notes(report, fmt, output, fail_on, sarif_max_results)
    if code == EXIT_INPUT_ERROR:
        unreadable = sorted({f.file for f in report.findings if f.rule_id in UNREADABLE_RULES})
        click.echo(f"error: could not read {len(unreadable)} input(s): {', '.join(unreadable)}", err=True)
    sys.exit(code)


def _notes(report: Report, fmt: str, output: Path | None, fail_on: str, sarif_max_results: int) -> None:
    """The lines on stderr after the report: the verdict (with -o), skipped reports, SARIF results left out."""
    from ctdl_tools.validate.reporters import skipped_note, verdict

    if output is not None and str(output) != "-":
        click.echo(f"ctdl validate: {verdict(report, fail_on)}; {fmt} report written to {output}", err=True)
    skipped = skipped_note(report)
    if skipped and not (fmt == "text" and (output is None or str(output) == "-")):  # the text report says it
        click.echo(f"note: {skipped}", err=True)
    if fmt == "sarif" and 0 < sarif_max_results < len(report.findings):
        click.echo(f"note: the SARIF lists the {sarif_max_results:,} most severe of {len(report.findings):,} "
                   "findings (--sarif-max-results)", err=True)


def _nothing_validated(report: Report) -> str | None:
    """Why a run that found nothing wrong validated nothing (every input a skipped validation report, or
    no CTDL document left to check), or None: a gate that read nothing must not pass, as an empty folder
    does not."""
    from ctdl_tools.validate.reporters import skipped_note

    if report.documents:
        return None
    if not report.files:
        return f"nothing was validated: {skipped_note(report) or 'no input file'}"
    shown = ", ".join(report.files[:5]) + (f" and {len(report.files) - 5} more" if len(report.files) > 5 else "")
    return f"nothing was validated: no CTDL document in {shown}"


def _is_terminal(stream: TextIO | None) -> bool:
    """Whether a standard stream is a terminal; it is None when the shell closed it (``>&-``)."""
    return stream is not None and stream.isatty()


def _check_paths(paths: tuple[str, ...], to_file: bool) -> None:
    """Usage errors before any work: a path that does not exist, a glob or directory with nothing to read.
    With the report going to a file, those are findings in it instead (loader.Unmatched, JSON-UNREADABLE):
    CI (GitLab's artifacts:reports:junit, code scanning) must find a report that says why it failed."""
    from ctdl_tools.ctdl_files import SUFFIXES, expand, files_under

    if list(paths).count("-") > 1:
        raise click.UsageError("- (stdin) can be given once")
    if "" in paths:  # "$CATALOG_DIR" with the variable unset; Path("") would be the working directory
        _fail("an empty path was given (an unset variable?): name the files, folders or globs to validate")
    for raw in paths:
        if raw == "-" or to_file:
            continue
        path = Path(raw)
        if not path.exists() and not path.is_symlink() and not any(ch in raw for ch in "*?["):
            _fail(f"{raw}: no such file or directory")  # a broken or looping link is read, and said unreadable
        # A directory: is there one file? (not the sorted listing validation makes of it next)
        found = next(files_under(raw), None) if path.is_dir() else next(expand(raw), None)
        if found is None:
            what = f"no {' or '.join(SUFFIXES)} files under" if path.is_dir() else "no file matches"
            _fail(f"{what} {raw}")


def _check_engine(engine: str) -> None:
    from ctdl_tools.validate.engine import available

    if engine != "auto" and not available(engine):
        _fail(f"the {engine} engine is not installed (pip install {engine}), or use --engine auto")


def _guard(step: Callable[[], T]) -> T:
    """Run a step that reads shapes or inputs; what it cannot read is one message and exit 2."""
    from ctdl_tools.validate.checker import WorkerFailed
    from ctdl_tools.validate.native import UnsupportedShapes

    try:
        return step()
    except InputError as exc:
        _fail(str(exc))
    except UnsupportedShapes as exc:  # --engine native with shapes beyond its SHACL Core subset
        _fail(f"the native engine cannot run these shapes ({exc}); use --engine auto or --engine shacl")
    except SyntaxError as exc:  # pyoxigraph's Turtle parse errors
        _fail(f"cannot parse shapes: {exc}")
    except WorkerFailed as exc:  # no whole report can be made: not "findings" (exit 1)
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{getattr(exc, 'filename', None) or 'input'}: {exc.strerror or exc}")


def _rule_ids(shapes_dirs: tuple[Path, ...], patterns: tuple[str, ...]) -> set[str]:
    """Every rule id, disabled or not; loading with the same patterns as validate() hits its cache."""
    from ctdl_tools.validate.rules import PYTHON_RULES
    from ctdl_tools.validate.shapes import bundled_shapes_dir, load_shapes

    if not (bundled_shapes_dir() / "policy").is_dir():
        _fail(f"the bundled SHACL shapes are missing ({bundled_shapes_dir()}): reinstall ctdl_tools")
    return set(PYTHON_RULES) | load_shapes(shapes_dirs, patterns).rule_ids()


def _warn_unknown_rules(known: set[str], patterns: tuple[str, ...]) -> None:
    for pattern in patterns:
        if not any(rule_matches(rule, pattern) for rule in known):
            click.echo(f"warning: --disable {pattern} matches no rule (see `ctdl shapes list`)", err=True)
        kept = [rule for rule in UNREADABLE_RULES if rule_matches(rule, pattern)]
        if kept:
            verb = "stays" if len(kept) == 1 else "stay"
            click.echo(f"warning: --disable {pattern}: {' and '.join(kept)} {verb} on (input that cannot be read "
                       "always fails, with exit 2)", err=True)


def _run(paths: tuple[str, ...], shapes_dirs: tuple[Path, ...], patterns: tuple[str, ...],
         engine: str, jobs: int) -> tuple[Report, tuple[Record, ...]]:
    from ctdl_tools.validate import validate

    report = _guard(lambda: validate(list(paths), shapes_dirs, patterns, engine, jobs))
    return report, report.index  # the record index: names and clean records, read with the documents


def _refuse_writing_over_an_input(output: Path | None, report: Report) -> None:
    """``-o`` naming a file that was validated as CTDL (``-o catalog/course.json``) would replace the data
    under review with its report, and the next run would skip it as a report: one record lost, and the
    catalog still passing. A report from an earlier run is not an input (the loader skips it)."""
    if output is None or str(output) == "-" or not output.is_file():
        return
    from ctdl_tools.validate.loader import STDIN_NAME  # read by now (the command's start stays light)

    target = output.stat()
    identity = (target.st_dev, target.st_ino)
    same = identity in report.input_ids
    if not same and sys.stdin is not None and STDIN_NAME in report.files:
        # Standard input ("-", listed as <stdin>): the file it reads (`ctdl validate - -o cat.json < cat.json`).
        with contextlib.suppress(OSError, ValueError):
            found = os.fstat(sys.stdin.fileno())
            same = (found.st_dev, found.st_ino) == identity
    if same and not _holds_a_report(output):
        _fail(f"{output}: is one of the files being validated; the report would replace it. Write the report to "
              "another file")


def _holds_a_report(path: Path) -> bool:
    from ctdl_tools.ctdl_files import is_report

    try:
        return is_report(json.loads(path.read_bytes()))
    except (OSError, ValueError):
        return False


def _emit(writer: Callable[[BinaryIO], None], output: Path | None) -> None:
    """The report to stdout or, atomically, to a file; ``writer`` writes it to a binary handle."""
    from ctdl_tools.jsonio import descriptor_of, write_atomic

    if output is None or str(output) == "-" or descriptor_of(output) == 1:  # `-o /dev/stdout` too
        if sys.stdout is None:  # `>&-`: a report asked for and lost is not a verdict
            _fail("cannot write the report to standard output: it is closed (use -o FILE)")
        try:
            if _is_terminal(sys.stdout):  # click.echo writes colour (or strips it) correctly for a terminal
                buffer = io.BytesIO()
                writer(buffer)
                click.echo(buffer.getvalue().decode("utf-8"), nl=False)
            else:  # bytes as rendered: no newline translation, no locale encoding
                sys.stdout.flush()
                writer(sys.stdout.buffer)
                sys.stdout.buffer.flush()
        except BrokenPipeError:  # `ctdl validate … | head`: the reader has all it wanted
            silence_stdout()  # no second error at exit
        except OSError as exc:  # a full disk behind a redirection
            _fail(f"cannot write the report to standard output: {exc.strerror or exc}")
        return
    try:
        write_atomic(output, writer)
    except OSError as exc:
        _fail(f"{output}: cannot write: {exc.strerror or exc}")


def _exit_code(report: Report, fail_on: str) -> int:
    from ctdl_tools.validate.reporters import failed

    if any(rule_id in UNREADABLE_RULES for rule_id in report.by_rule()):  # counted once, for the verdict too
        return EXIT_INPUT_ERROR
    return EXIT_RECORD_ERRORS if failed(report, fail_on) else EXIT_OK


# --- ctdl shapes -------------------------------------------------------------------------------------------
@click.group("shapes")
def shapes_group() -> None:
    """The SHACL shapes: list their rules, regenerate the structural ones."""


@shapes_group.command("list")
@click.argument("patterns", nargs=-1, metavar="[RULE-ID-PATTERN]...")
@click.option("--shapes", "shapes_dirs", multiple=True, type=click.Path(exists=True, path_type=Path),
              metavar="DIR", help="Include your own shapes.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def shapes_list(patterns: tuple[str, ...], shapes_dirs: tuple[Path, ...], fmt: str) -> None:
    """Every rule id with severity, name and source: what --disable can turn off.

    With patterns (e.g. 'MDP-*-BENCHMARK-*'), only the rules they match, i.e. what --disable would turn off.
    """
    rules = _guard(lambda: all_rules(shapes_dirs))
    if patterns:
        rules = [r for r in rules if any(rule_matches(r.id, p) for p in patterns)]
    if fmt == "json":
        rows = [{"id": r.id, "severity": r.severity, "name": r.name, "source": r.source, "see_also": r.see_also,
                 "origin": r.origin} for r in rules]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rules:  # ids run to 90 characters: no column padding, the source indented under its rule
        click.echo(f"{r.id}  {r.severity}  {r.origin or 'user'}  {r.name}")
        click.echo(f"    source: {r.citation}")
    click.echo(f"{len(rules)} rules")


def all_rules(shapes_dirs: tuple[Path, ...] = ()) -> list[Rule]:
    """One rule per id (several shapes share a STRUCT-… id), Python rules first as the checker does, by id."""
    from ctdl_tools.validate import rules
    from ctdl_tools.validate.shapes import load_shapes

    return list(rules.all_rules(load_shapes(shapes_dirs).rules.values()).values())


@shapes_group.command("build")
@click.argument("outdir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if OUTDIR differs from what would be generated.")
def shapes_build(outdir: Path | None, check: bool) -> None:
    """Regenerate the structural shapes (shapes/structure) from the vendored CTDL vocabulary.

    OUTDIR defaults to shapes/structure of the ctdl_tools checkout the command runs in, else of the checkout
    an editable install runs from. Files already up to date are not rewritten.
    """
    import tempfile

    from ctdl_tools.validate.shapes_build import build_structural_shapes

    target = outdir or _checkout_structure_dir()
    if not check:
        for path in build_structural_shapes(target):
            click.echo(str(path))
        return
    with tempfile.TemporaryDirectory() as tmp:
        stale = [p.name for p in build_structural_shapes(tmp) if _differs(p, target / p.name)]
    if stale:
        click.echo(f"{target}: out of date: {', '.join(stale)} (run `ctdl shapes build`)", err=True)
        sys.exit(EXIT_RECORD_ERRORS)
    click.echo(f"{target}: up to date")


def _checkout_structure_dir() -> Path:
    """shapes/structure of the ctdl_tools checkout holding the working directory (a `pip install .` leaves
    the package outside it), else of the one holding the package (an editable install run elsewhere)."""
    import ctdl_tools

    here = Path.cwd().resolve()
    for root in (here, *here.parents, Path(ctdl_tools.__file__).resolve().parents[1]):
        if _is_checkout(root):
            return root / "shapes" / "structure"
    raise click.UsageError("not run from a ctdl_tools checkout: give OUTDIR")


def _is_checkout(root: Path) -> bool:
    project = root / "pyproject.toml"
    try:
        named = project.is_file() and 'name = "ctdl_tools"' in project.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return named and (root / "shapes" / "structure").is_dir()


def _differs(generated: Path, committed: Path) -> bool:
    return not committed.is_file() or committed.read_bytes() != generated.read_bytes()


# --- standalone ----------------------------------------------------------------------------------------------
@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """ctdl validate / ctdl shapes, without the rest of ctdl."""


cli.add_command(validate_command)
cli.add_command(shapes_group)

if __name__ == "__main__":  # pragma: no cover
    cli()
