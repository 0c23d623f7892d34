"""Click commands ``publish``, ``unpublish``, ``fetch`` and ``status`` (for the ``registry`` group).

Thin by design: parse options, resolve settings, call :mod:`ctdl_tools.registry.publish`, print.
Exit codes: 0 all good; 1 a record failed or was refused (or status found drift); 2 unreadable input,
bad usage/config, missing or rejected API key, a registry that cannot be reached or does not answer within
--timeout (the run stops: what was not sent is said once, not record by record, and is not journalled); 130
Ctrl-C (``ctdl_tools.cli``: one line; a publish run journals what the registry answered, and not the records it
never sent).
"""

from __future__ import annotations

import contextlib
import functools
import json
import shlex
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from ctdl_tools.errors import (
    CWD_GONE,
    EXIT_INPUT_ERROR,
    EXIT_OK,
    EXIT_RECORD_ERRORS,
    InputError,
    Where,
    cwd_gone,
)
from ctdl_tools.registry import config
from ctdl_tools.registry.progress import TerminalProgress
from ctdl_tools.registry.publish import (
    FAILED,
    NEW,
    PUBLISHED_NEW,
    REFUSED,
    UNCHANGED,
    UPDATED,
    Options,
    Summary,
)
from ctdl_tools.registry.status import CURRENT, MISSING, STALE, UNCONFIRMED
from ctdl_tools.streams import silence_stdout


class _Seconds(click.FloatRange):
    """click's FloatRange, without NaN: every comparison with it is false, so "nan" passed the range and every
    request then failed ("Invalid value NaN", found in a robustness sweep); a config file's nan is refused."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if number != number:  # NaN
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return number


def _target_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options every registry command shares."""
    options = [
        click.option("--registry", metavar="local|sandbox|production|URL",
                     help="Target registry (default from config, else local)."),
        click.option("--api", type=click.Choice(config.APIS),
                     help="direct (default for local and URLs) or assistant (default for sandbox/production)."),
        click.option("--org", metavar="CTID", help="Publishing organization (default: each record's owner)."),
        click.option("--api-key-env", metavar="NAME",
                     help=f"Environment variable holding the API key (default {config.DEFAULT_KEY_ENV})."),
        click.option("--journal", type=click.Path(path_type=Path, dir_okay=False),
                     help="Publish journal (default .ctdl/journal.sqlite in the first input folder or beside the "
                          "first input file; in the current folder for commands given CTIDs)."),
        click.option("--db", type=click.Path(path_type=Path, dir_okay=False),
                     help="Database of the embedded local registry (default registry.sqlite beside the journal)."),
        click.option("--concurrency", type=click.IntRange(*config.CONCURRENCY_RANGE),
                     help="Requests in parallel (default 8)."),
        click.option("--timeout", type=_Seconds(*config.TIMEOUT_RANGE),
                     help="Seconds per request (default 30)."),
        click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                     help="Summary format on stdout."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _options(first_input: Path | None, *, force: bool = False, dry_run: bool = False, **cli: Any) -> Options:
    settings = config.load_settings().override(
        registry=cli.get("registry"), api=cli.get("api"), org=cli.get("org"), api_key_env=cli.get("api_key_env"),
        journal=cli.get("journal"), db=cli.get("db"), concurrency=cli.get("concurrency"),
        timeout=cli.get("timeout"))
    journal = config.journal_path(settings, first_input)
    db = config.db_path(settings, journal)
    if cwd_gone():  # no config was looked for (config.find_config); relative paths lead nowhere
        config.require_cwd([first_input, journal, db])
        click.echo(f"warning: {CWD_GONE}: no ctdl.toml or pyproject.toml settings were looked for", err=True)
    target = config.resolve_target(settings, db)
    if target.embedded and db.resolve() == journal.resolve():
        # The registry's tables would be mixed into the journal's database.
        raise InputError(Where(str(db)), "the local registry's database (--db) and the publish journal (--journal) "
                         "are the same file; give them different files")
    return Options(settings, target, journal, db, config.api_key(settings), config.org_option(settings.org),
                   force=force, dry_run=dry_run)


def _guarded(fn: Callable[..., Summary | None]) -> Callable[..., None]:
    """InputError → one message and exit 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INPUT_ERROR)

    return wrapper


_QUIET = (NEW, PUBLISHED_NEW, UPDATED, UNCHANGED)
MAX_LISTED = 50  # records whose problems are printed in text mode


def _report(summary: Summary, fmt: str, order: tuple[str, ...]) -> None:
    if fmt == "json":
        click.echo(json.dumps(summary.to_json(), indent=2, ensure_ascii=False))
    else:
        _problems(summary)
        parts = ", ".join(_count(summary, k) for k in order) + _rate(summary)
        prefix = "dry run, would publish: " if summary.dry_run else ""
        click.echo(f"{prefix}{parts} — {summary.target}")
    _stop_reason(summary)


def _stop_reason(summary: Summary) -> None:
    """Why the run stopped, once."""
    if summary.fatal:
        click.echo(f"error: {summary.fatal}", err=True)
    if summary.stopped:
        click.echo(f"error: {summary.stopped}", err=True)


def _count(summary: Summary, action: str) -> str:
    """``3 failed``; ``119 failed (118 not sent)`` when a stopped run did not send some."""
    unsent = f" ({summary.not_sent} not sent)" if action == FAILED and summary.not_sent else ""
    return f"{summary.counts[action]} {action}{unsent}"


def _problems(summary: Summary) -> None:
    """Per-record problems on stderr; after MAX_LISTED records, a count (JSON output has them all). The records
    a stopped run did not get through for the reason it stopped are not listed: that reason is said once."""
    noisy = [o for o in summary.outcomes
             if (o.action not in (*_QUIET, "deleted", "fetched", "current") or o.messages) and not summary.halted(o)]
    for outcome in noisy[:MAX_LISTED]:
        where = f" ({outcome.file})" if outcome.file else ""
        for message in outcome.messages or [""]:
            click.echo(f"{outcome.action}: {outcome.ctid}{where}: {message}".rstrip(": "), err=True)
    if len(noisy) > MAX_LISTED:
        click.echo(f"… and {len(noisy) - MAX_LISTED} more records with messages (--format json lists all)",
                   err=True)


def _rate(summary: Summary) -> str:
    sent = summary.counts[PUBLISHED_NEW] + summary.counts[UPDATED]
    if summary.dry_run or not summary.elapsed:
        return ""
    rate = sent / summary.elapsed
    return f" in {summary.elapsed:.1f}s" + (f" ({rate:.0f}/s)" if rate >= 10 else f" ({rate:.1f}/s)" if sent else "")


def _paths(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> tuple[Path, ...]:
    """The paths given; an empty one (an unset variable) names no file, though ``Path("")`` is the current
    folder: publishing that instead is refused (exit 2)."""
    if "" in values:
        raise click.BadParameter("an empty path names no file or folder")
    return tuple(Path(value) for value in values)


@click.command("publish")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(), callback=_paths)
@_target_options
@click.option("--force", is_flag=True, help="Publish records even if the validator reports Violations.")
@click.option("--dry-run", is_flag=True,
              help="Show what would be new/updated/unchanged by the journal (without one, every record is new, "
                   "though the registry may answer unchanged); write and send nothing.")
@click.option("--resend", is_flag=True, help="Send every record, also those the journal says are unchanged (to "
                                            "restore records deleted from the registry: `ctdl registry status` "
                                            "lists them as missing).")
@_guarded
def publish_command(inputs: tuple[Path, ...], fmt: str, force: bool, dry_run: bool, resend: bool, **cli: Any) -> None:
    """Publish CTDL graph documents (files or directories from `ctdl convert`) to a registry."""
    from ctdl_tools.registry import publish

    config.require_cwd(list(inputs))
    options = _options(inputs[0], force=force, dry_run=dry_run, **cli)
    options.resend = resend
    summary = publish.publish(list(inputs), options, TerminalProgress("publishing"))
    if summary.validated is False and fmt == "text":
        click.echo("warning: the validator cannot run (ctdl_tools.validate); --force published records that "
                   "were not validated", err=True)
    order = (NEW, UPDATED, UNCHANGED, REFUSED) if dry_run else (PUBLISHED_NEW, UPDATED, UNCHANGED, FAILED, REFUSED)
    _report(summary, fmt, order)
    if summary.gone and fmt == "text":
        _gone_note(summary.gone, options.journal)
    sys.exit(summary.exit_code)


def _gone_note(ctids: list[str], journal: Path) -> None:
    """Records published from files no longer under the given folders are still in the registry."""
    shown = " ".join(ctids[:3]) + (f" … ({len(ctids)} in all)" if len(ctids) > 3 else "")
    click.echo(f"note: {len(ctids)} record(s) published from files no longer under the given path are still in "
               f"the registry: {shown}; `ctdl unpublish CTID… --journal {shlex.quote(str(journal))}` removes "
               "them (`ctdl registry status` lists them as stale)", err=True)


@click.command("unpublish")
@click.argument("ctids", nargs=-1, required=True)
@_target_options
@_guarded
def unpublish_command(ctids: tuple[str, ...], fmt: str, **cli: Any) -> None:
    """Delete records (by CTID) from a registry; the journal marks them deleted."""
    from ctdl_tools.registry import publish

    summary = publish.unpublish(ctids, _options(None, **cli), TerminalProgress("deleting"))
    if summary.unrecorded is not None and fmt == "text":
        click.echo(f"note: no publish journal at {summary.unrecorded}: the deletion is recorded in none. Pass "
                   "--journal (the .ctdl/journal.sqlite beside what you published) to record it there; `ctdl "
                   "publish --resend` sends deleted records again.", err=True)
    _report(summary, fmt, ("deleted", "failed"))
    sys.exit(summary.exit_code)


@click.command("fetch")
@click.argument("ctids", nargs=-1, required=True)
@click.option("-o", "--output", "outdir", type=click.Path(path_type=Path, file_okay=False),
              help="Write <ctid>.json files here (default: print the document; for several CTIDs, one JSON "
                   "array of the documents found, in the order given).")
@_target_options
@_guarded
def fetch_command(ctids: tuple[str, ...], outdir: Path | None, fmt: str, **cli: Any) -> None:
    """Download graph documents (GET /graph/{ctid}) from a registry.

    Without -o, standard output is one JSON text: the document of one CTID, or a JSON array of the documents
    of several CTIDs (those found, in the order given; `jq '.[]'` lists them). Failures go to stderr."""
    from ctdl_tools.registry import publish

    if outdir is None and sys.stdout is None:  # `>&-`: documents asked for and lost are not a fetch
        click.echo("error: cannot write the documents to standard output: it is closed (use -o DIR)", err=True)
        sys.exit(EXIT_INPUT_ERROR)

    def emit(data: bytes) -> None:
        with _writing_stdout():
            sys.stdout.buffer.write(data)
            sys.stdout.flush()

    summary = publish.fetch(ctids, _options(None, **cli), outdir, emit)
    if outdir is not None or fmt == "json" or summary.counts[FAILED]:
        # With documents on stdout, the summary goes to stderr so the output stays parseable.
        out = sys.stdout if outdir is not None else sys.stderr
        with _writing_stdout():
            if fmt == "json":
                if out is not None:  # None: closed by the shell; click.echo(file=None) would use stdout instead
                    click.echo(json.dumps(summary.to_json(), indent=2), file=out)
            else:
                for o in summary.outcomes:
                    if o.action == FAILED and not summary.halted(o):
                        click.echo(f"failed: {o.ctid}: {'; '.join(o.messages)}", err=True)
                if outdir is not None:
                    click.echo(f"{summary.counts['fetched']} fetched, {_count(summary, FAILED)} — {outdir}")
    _stop_reason(summary)
    sys.exit(summary.exit_code)


@contextlib.contextmanager
def _writing_stdout() -> Iterator[None]:
    """Standard output that cannot be written (a full disk behind a redirection): one message and exit 2. A
    reader that has gone (`ctdl fetch … | head`) had all it wanted: the rest goes nowhere, quietly."""
    try:
        yield
    except BrokenPipeError:
        silence_stdout()  # no second error at exit
    except OSError as exc:
        raise InputError(Where("standard output"), f"cannot write: {exc.strerror or exc}") from None


@click.command("status")
@click.argument("published", required=False, type=click.Path(path_type=Path, exists=True))
@_target_options
@_guarded
def status_command(published: Path | None, fmt: str, **cli: Any) -> None:
    """Compare the journal with the registry: current / stale / missing, per CTID.

    PUBLISHED is the file or directory you published (to find its journal); exit 1 if anything drifted."""
    from ctdl_tools.registry import status

    summary = status.status(_options(published, **cli), [published] if published else None,
                            TerminalProgress("checking"))
    _report(summary, fmt, (CURRENT, STALE, MISSING, UNCONFIRMED, "deleted", FAILED))
    drift = sum(summary.counts[k] for k in (STALE, MISSING, UNCONFIRMED, FAILED))
    if summary.counts[MISSING] and fmt == "text":
        # The same target, database and journal as this command was given, or the hint publishes elsewhere.
        given = [f"--{name} {shlex.quote(str(cli[name]))}" for name in ("registry", "db", "journal", "api")
                 if cli.get(name) is not None]
        command = " ".join(["ctdl publish --resend", shlex.quote(str(published)) if published else "PATH", *given])
        click.echo(f"hint: `{command}` sends the missing records again (a plain publish skips files the journal "
                   "says are unchanged)", err=True)
    if summary.fatal or summary.unreachable:  # the registry could not be asked: exit 2, as publish
        sys.exit(summary.exit_code)
    sys.exit(EXIT_RECORD_ERRORS if drift else EXIT_OK)
