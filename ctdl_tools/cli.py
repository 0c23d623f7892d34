"""The ``ctdl`` command: parses options and calls the stage packages, nothing more."""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import sys
import threading
import traceback
from pathlib import Path

import click

from ctdl_tools import __version__
from ctdl_tools.catalog.kinds import KINDS
from ctdl_tools.errors import (
    CWD_GONE,
    CWD_GONE_HINT,
    EXIT_INPUT_ERROR,
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RECORD_ERRORS,
    InputError,
    cwd_gone,
)
from ctdl_tools.streams import silence_stdout, stdout_reader_gone, tolerate_closed_pipes


class _Progress:
    """A progress bar on stderr, only for a terminal and a large input."""

    THRESHOLD = 2000

    def __init__(self) -> None:
        self.bar = None

    def advance(self, _n: int) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def start(self, total: int) -> None:
        if total >= self.THRESHOLD and sys.stderr is not None and sys.stderr.isatty():
            self.bar = click.progressbar(length=total, label="converting", file=sys.stderr)
            self.bar.__enter__()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


class _StageGroup(click.Group):
    """The ``ctdl`` group: stage commands are imported on first use (see ``_STAGE_COMMANDS``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_STAGE_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in _STAGE_COMMANDS and name not in self.commands:
            self.add_command(_load(_STAGE_COMMANDS[name]), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> object:
        # Ctrl-C: the shell's convention (128 + SIGINT), not click's "Aborted!" and exit 1, which a script
        # cannot tell from "records had errors".
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo(f"\n{INTERRUPTED}", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError as exc:
            if not stdout_reader_gone():  # another pipe (a worker's, a socket's): a failure, said as one below
                click.echo(f"error: {os_problem(exc)}", err=True)
                ctx.exit(EXIT_INPUT_ERROR)
            # The reader of stdout left (`ctdl shapes list | head -1`) where the command had no handling of its
            # own (the installed command's streams do not raise it: streams.tolerate_closed_pipes). It had what it
            # wanted: not click's exit 1 ("records failed"), nor "error: Broken pipe"; the rest goes nowhere.
            silence_stdout()
            ctx.exit(EXIT_OK)
        except OSError as exc:
            # The file system refused (a folder that cannot be searched, an output folder that cannot be
            # made, a full disk) somewhere a command had no message of its own for it: a problem with the
            # paths given or the machine, not a bug; said in one line (exit 2, as for bad input).
            click.echo(f"error: {os_problem(exc)}", err=True)
            ctx.exit(EXIT_INPUT_ERROR)
        except MemoryError:
            pass  # only this reaches the lines below: said there, once the frames holding the memory are gone
        click.echo(OUT_OF_MEMORY, err=True)
        ctx.exit(EXIT_INPUT_ERROR)


def os_problem(exc: OSError) -> str:
    """``path: Permission denied`` (both paths for a rename), or the reason alone when no path is known; a
    missing file in a current directory that has been removed says so (``os.getcwd()`` names no path)."""
    reason = exc.strerror or str(exc)
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    if isinstance(exc, FileNotFoundError) and cwd_gone() and all(not os.path.isabs(p) for p in paths):
        return f"{' → '.join(paths) + ': ' if paths else ''}{CWD_GONE}: {CWD_GONE_HINT}"
    return f"{' → '.join(paths)}: {reason}" if paths else reason


INTERRUPTED = "ctdl: interrupted; files are written whole or not at all, and a publish run resumes where it stopped"
# The machine's limit (or `ulimit -v`), not a bug: exit 2 as for an input too large, with what to do.
OUT_OF_MEMORY = ("ctdl: out of memory: give a smaller input (split the catalog or the folder of documents), run "
                 "`ctdl validate` with --jobs 1 (each worker holds its own share), or allow the process more memory "
                 "(ulimit -v)")


# The dynamic loader's words for a compiled module (pyoxigraph's, lxml's) it had no memory to map.
_NO_MEMORY_TO_LOAD = "failed to map segment from shared object"


@click.group(cls=_StageGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ctdl")
def main() -> None:
    """ctdl_tools: catalogs to CTDL JSON-LD, validated, published, and linked from LERs."""


def entry() -> None:
    """The installed ``ctdl`` command and ``python -m ctdl_tools``: :func:`main`, then a quick exit.

    ``ctdl validate`` ends with up to millions of objects alive (a 10k-record catalog's report holds 127k
    findings); freeing them one by one at interpreter exit took a tenth of a second and does nothing a
    process's end does not. Exit handlers still run and the standard streams are flushed first; with a
    non-daemon thread still running, the interpreter's normal exit (which waits for it) is used instead.
    Tests call :func:`main` itself.
    """
    code: int = EXIT_OK
    tolerate_closed_pipes()
    out_of_memory = False
    try:
        main()
    except SystemExit as exc:
        code = _exit_status(exc.code)
    except KeyboardInterrupt:  # before a command runs (while its modules are imported)
        _say(f"\n{INTERRUPTED}")
        code = EXIT_INTERRUPTED
    except MemoryError:  # outside a command (_StageGroup.invoke says it for one): said below, memory freed
        out_of_memory = True
    except ImportError as exc:  # stages import their dependencies on first use: a broken install shows here
        if _NO_MEMORY_TO_LOAD in str(exc):  # a compiled module the memory limit left no room for (ulimit -v)
            out_of_memory = True
        else:
            _say(f"error: a module ctdl_tools needs cannot be imported ({type(exc).__name__}: {exc}); the "
                 "installation is incomplete: reinstall it (pip install --force-reinstall ctdl_tools)")
            code = EXIT_INPUT_ERROR
    except Exception:  # a bug: not exit 1, which CI reads as "records failed"
        if sys.stderr is not None:
            traceback.print_exc()
        _say(f"ctdl: internal error (a bug in ctdl_tools {__version__}): please report it with the traceback above")
        code = EXIT_INTERNAL_ERROR
    if out_of_memory:
        _say(OUT_OF_MEMORY)
        code = EXIT_INPUT_ERROR
    if any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)  # a thread is still at work: leave through the interpreter, which waits for it
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):  # None: the shell closed it (`>&-`)
        with contextlib.suppress(OSError, ValueError, AttributeError):  # a closed pipe: nothing left to say to it
            stream.flush()
    os._exit(code)


def _say(message: str) -> None:
    """A line on stderr, if there is one (``2>&-`` leaves sys.stderr None)."""
    if sys.stderr is not None:
        print(message, file=sys.stderr)


def _exit_status(code: object) -> int:
    """What the interpreter would exit with for ``SystemExit(code)``."""
    if code is None:
        return EXIT_OK
    if isinstance(code, int):
        return code & 0xFF
    _say(str(code))
    return 1


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "outdir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Directory for the CTDL documents (<ctid>.json).")
@click.option("--kind", type=click.Choice(KINDS), default="auto", show_default=True,
              help="What the inputs hold; auto detects from headers and content.")
@click.option("--mapping", type=click.Path(path_type=Path, dir_okay=False),
              help="YAML mapping of your column names and value words to CTDL fields.")
@click.option("--owner", metavar="CTID", help="Publishing organization, used where rows don't name one.")
@click.option("--ctid-namespace", metavar="UUID|TEXT", help="Namespace for deterministic CTIDs.")
@click.option("--language", default="en-US", show_default=True, help="Language of the catalog's text.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Summary format on stdout.")
@click.option("--validate", "then_validate", is_flag=True,
              help="Then validate what was written (as `ctdl validate`); exit 1 on Violations.")
def convert(inputs: tuple[Path, ...], outdir: Path, kind: str, mapping: Path | None, owner: str | None,
            ctid_namespace: str | None, language: str, fmt: str, then_validate: bool) -> None:
    """Convert catalogs (CSV, XLSX, JSON, YAML, CASE, RSD, ESCO) to CTDL JSON-LD."""
    from ctdl_tools.build.convert import ConvertOptions
    from ctdl_tools.build.convert import convert as run_convert

    options = ConvertOptions(kind=kind, mapping=mapping, owner=owner, ctid_namespace=ctid_namespace,
                             language=language)
    progress = _Progress()
    try:
        result = run_convert(list(inputs), outdir, options, progress=progress)
    except InputError as exc:
        progress.close()
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT_ERROR)
    progress.close()
    for problem in result.problems.items:
        click.echo(str(problem), err=True)
    if fmt == "json":
        summary = {"inputs": [vars(s) for s in result.inputs], "written": len(result.written),
                   "failed": result.failed, "output": str(outdir)}
        click.echo(json.dumps(summary, indent=2))
    else:
        for s in result.inputs:
            click.echo(f"{s.name}: {s.written} written, {s.failed} failed, {s.warnings} warnings, "
                       f"{s.errors} errors")
    violations = _validate_written(result.written) if then_validate else False
    sys.exit(EXIT_RECORD_ERRORS if result.failed or violations else EXIT_OK)


def _validate_written(paths: list[Path]) -> bool:
    """The validator's text report on stderr; True if it found a Violation."""
    from ctdl_tools.validate import validate
    from ctdl_tools.validate.reporters import Options, render

    report = validate(sorted(str(p) for p in paths))  # as `ctdl validate OUTDIR` lists them
    if sys.stderr is not None:  # `2>&-`: the verdict still decides the exit code
        sys.stderr.buffer.write(render("text", report, Options(records=report.index, color=sys.stderr.isatty())))
        sys.stderr.flush()
    return not report.conforms


def _registry_group() -> click.Command:
    from ctdl_tools.registry.commands import status_command
    from ctdl_tools.registry.server.commands import registry

    registry.add_command(status_command, "status")
    return registry


# Each stage package owns its commands; they are imported only when used, so `ctdl convert` does not
# pay for the registry server's or the validator's imports.
_STAGE_COMMANDS = {
    "validate": "ctdl_tools.validate.commands:validate_command",
    "shapes": "ctdl_tools.validate.commands:shapes_group",
    "publish": "ctdl_tools.registry.commands:publish_command",
    "unpublish": "ctdl_tools.registry.commands:unpublish_command",
    "fetch": "ctdl_tools.registry.commands:fetch_command",
    "registry": "ctdl_tools.cli:_registry_group",
    "ler": "ctdl_tools.ler.commands:ler",
}


def _load(target: str) -> click.Command:
    module_name, _, attr = target.partition(":")
    obj = getattr(importlib.import_module(module_name), attr)
    return obj() if not isinstance(obj, click.Command) else obj



if __name__ == "__main__":  # pragma: no cover
    main()
