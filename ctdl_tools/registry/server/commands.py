"""``ctdl registry serve`` and ``ctdl registry add-key``: run a local registry, give it keys.

Bad options exit 2 with one message; so does a database or port that cannot be used. No tracebacks.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click

from ctdl_tools.errors import EXIT_INPUT_ERROR

DEFAULT_MAX_BODY_MB = 64  # web.MAX_BODY_BYTES, in MiB (not imported: the CLI loads without Starlette)


def _org(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[tuple[str, str | None]]:
    from ctdl_tools.registry.server.app import parse_org

    pairs = []
    for value in values:
        try:
            pairs.append(parse_org(value))
        except ValueError as exc:
            raise click.BadParameter(f"{exc}; use --org CTID or --org CTID=NAME", ctx, param) from None
    return pairs


def _base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise click.BadParameter("must start with http:// or https://", ctx, param)
    return value.rstrip("/") if value else value


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_INPUT_ERROR)


@click.group(name="registry")
def registry() -> None:
    """Run a local Credential Registry (the default publish target)."""


@registry.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=Path("registry.sqlite"),
              show_default=True, help="SQLite database file (created and migrated if needed).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port; 0 picks a free one (the URL is printed first on stdout).")
@click.option("--base-url", callback=_base_url, help="Public URL of this registry, used in served @ids and links "
              "(default: the listening URL).")
@click.option("--api-key", "api_keys", multiple=True, envvar="CTDL_REGISTRY_API_KEY",
              help="A key that may publish (repeatable; also $CTDL_REGISTRY_API_KEY). Kept hashed, in memory.")
@click.option("--org", "orgs", multiple=True, callback=_org, metavar="CTID[=NAME]",
              help="Register a publishing organization at start (repeatable).")
@click.option("--max-body-mb", type=click.FloatRange(0, 4096, min_open=True), default=DEFAULT_MAX_BODY_MB,
              show_default=True, metavar="MIB",
              help="Largest request body taken, in MiB (a bigger publish is refused with 413). A 14k-competency "
                   "framework is about 17 MiB.")
@click.option("--quiet", is_flag=True, help="Log warnings only, no access log.")
def serve(db_path: Path, host: str, port: int, base_url: str | None, api_keys: tuple[str, ...],
          orgs: list[tuple[str, str | None]], max_body_mb: float, quiet: bool) -> None:
    """Serve the registry API, the Assistant API and the HTML pages until interrupted."""
    from ctdl_tools.registry.server.runner import serve as run

    new = not db_path.exists()
    _check_db(db_path)
    if new:  # `ctdl publish DIR` to the embedded registry wrote DIR/.ctdl/registry.sqlite, not this
        click.echo(f"note: {db_path} is a new, empty registry; to browse what `ctdl publish DIR` published to the "
                   "embedded registry, give --db DIR/.ctdl/registry.sqlite (or the --db publish was given)", err=True)
    if not api_keys:
        click.echo("note: no --api-key given: only keys stored in the database (registry add-key) can publish",
                   err=True)
    try:
        run(host, port, db_path=db_path, base_url=base_url, api_keys=api_keys, orgs=orgs,
            log_level="warning" if quiet else "info", access_log=not quiet,
            max_body_bytes=max(1, round(max_body_mb * 1024 * 1024)))
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its graceful shutdown: a normal stop
        click.echo("registry stopped", err=True)
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    except sqlite3.Error as exc:
        _fail(f"cannot use database {db_path}: {exc}")


@registry.command("add-key")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=Path("registry.sqlite"),
              show_default=True, help="SQLite database file.")
@click.option("--label", default="", help="A note to recognise the key by (who holds it).")
def add_key(db_path: Path, label: str) -> None:
    """Create a publishing key, store its hash in the database, print the key once."""
    from ctdl_tools.registry.server.auth import KeyRing, new_key
    from ctdl_tools.registry.server.store import Store

    _check_db(db_path)
    key = new_key()
    try:
        store = Store(db_path)
        KeyRing(store).add(key, label)
        store.close()
    except sqlite3.Error as exc:
        _fail(f"cannot use database {db_path}: {exc}")
    click.echo(key)


def _check_db(db_path: Path) -> None:
    if db_path.exists() and not db_path.is_file():
        _fail(f"--db {db_path}: not a file")
    if not db_path.parent.exists():
        _fail(f"--db {db_path}: folder {db_path.parent} does not exist")
    try:
        probe = sqlite3.connect(db_path)
        probe.execute("PRAGMA schema_version").fetchone()
        probe.close()
    except sqlite3.DatabaseError as exc:
        _fail(f"--db {db_path}: not a SQLite database ({exc})")
