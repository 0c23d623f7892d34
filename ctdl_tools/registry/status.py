"""``ctdl registry status``: the journal against the registry, per record: current / stale / missing.

A drift check in CI must not pass by comparing nothing, nor compare files the user did not give:

* the journal's rows for this target are the records to check; a journal holding records for other
  targets only (published with another ``--db`` or ``--registry``) is a usage error naming them, and an
  embedded registry's database that does not exist is not created just to be looked at;
* each record is compared with the file under the given path that holds its CTID, found by reading
  them (a file renamed, or a checkout moved or copied to another folder, is still the record's file);
  the path the journal stored is only where it was published from.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctdl_tools.ctdl_files import main_ctid
from ctdl_tools.errors import InputError, Where
from ctdl_tools.jsonio import read_json
from ctdl_tools.registry.client import AssistantApi, Cancelled, RegistryError
from ctdl_tools.registry.journal import DELETED, PUBLISHED, Entry, Journal
from ctdl_tools.registry.publish import (
    FAILED,
    Api,
    NullReporter,
    Options,
    Outcome,
    Pool,
    Reporter,
    Summary,
    Watch,
    canonical_digest,
    comparable_digest,
    connect,
    input_files,
    not_sent,
    unsent_outcomes,
    until_cancelled,
)

CURRENT, STALE, MISSING, UNCONFIRMED = "current", "stale", "missing", "unconfirmed"


def status(options: Options, published: list[Path] | None = None, reporter: Reporter | None = None) -> Summary:
    """Journal vs registry, per journal entry of this target; ``published``: the files or folders the records
    were published from, where their current files are looked for (by CTID)."""
    started, reporter = time.monotonic(), reporter or NullReporter()
    entries = _entries(options)
    if options.target.embedded and not options.db.exists():
        raise InputError(Where(str(options.db)), "no local registry database here; pass --db as you published "
                         "(the demo's is out/registry.sqlite)")
    paths = input_files(published) if published else None  # before connecting: a bad path is a usage error
    summary, cancel = Summary("status", options.target.identity), threading.Event()
    watch = Watch(options, cancel, summary, requests=len(entries))
    with connect(options, cancel, {e.org for e in entries if e.org}, silence=watch.silence) as api:
        read_base = _read_base(api)
        files = _files_by_ctid(paths, {e.ctid for e in entries}, read_base) if paths is not None else None
        reporter.start(len(entries))
        pool = Pool(options.settings.concurrency)
        try:
            # A rejected key or a registry that is down stops the run: the records not asked about are not sent.
            for tag, future in pool.run(until_cancelled(cancel, ((e, api.fetch, (e.ctid,)) for e in entries))):
                summary.outcomes.append(_compared(tag, future, read_base, files, reporter))
                watch.saw(future.exception())
            summary.outcomes += unsent_outcomes([e.ctid for e in entries], summary, reporter)
        finally:
            cancel.set()
            pool.close()
            reporter.close()
    summary.outcomes.sort(key=lambda o: o.ctid)
    summary.elapsed = time.monotonic() - started
    return summary


def _entries(options: Options) -> list[Entry]:
    """This target's journal rows; an InputError when the journal is missing or has rows for other targets
    only (a status that compared nothing would pass)."""
    journal = Journal.open_for_reading(options.journal)
    if journal is None:
        raise InputError(Where(str(options.journal)),
                         "no publish journal here; pass --journal FILE or the directory you published")
    with journal:
        entries = list(journal.entries(options.target.identity).values())
        others = {} if entries else journal.targets()
    if others:
        listed = "; ".join(f"{target} ({count} records)" for target, count in sorted(others.items()))
        raise InputError(Where(str(options.journal)), f"no records published to {options.target.identity} in "
                         f"this journal, which holds records published to {listed}: pass --registry/--db as "
                         "you published")
    return entries


@dataclass(frozen=True)
class _Local:
    """A record's local file, read once: its name and the digests :func:`_judge` compares."""

    path: str
    digest: str  # canonical_digest: what the journal says was published
    comparable: str  # comparable_digest against the registry's read base: what the registry has


def _local(path: str, document: Any, read_base: str) -> _Local:
    return _Local(path, canonical_digest(document), comparable_digest(document, read_base))


def _files_by_ctid(paths: list[Path], wanted: set[str], read_base: str) -> dict[str, _Local]:
    """The main resource's CTID of every document in ``paths`` → its file (the first that holds it), for the
    CTIDs ``wanted``. Each file is read once, here."""
    found: dict[str, _Local] = {}
    for path in paths:
        document = _local_document(str(path))
        ctid = main_ctid(document)
        if ctid is not None and ctid in wanted and ctid not in found:
            found[ctid] = _local(str(path), document, read_base)
    return found


def _read_base(api: Api) -> str:
    return (api.reader if isinstance(api, AssistantApi) else api).http.base


def _compared(entry: Entry, future: Future, read_base: str, files: dict[str, _Local] | None,
              reporter: Reporter) -> Outcome:
    """``files``: the records' files found under the given paths; None: each record's file is the one the
    journal stored (read only when it is compared)."""
    found = files.get(entry.ctid) if files is not None else None
    source = found.path if found else entry.source
    error = future.exception()
    if isinstance(error, Cancelled) and not error.attempts:
        outcome = not_sent(entry.ctid, source)
    elif isinstance(error, RegistryError):
        outcome = Outcome(entry.ctid, source, FAILED, [error.message], kind=error.kind)
    elif error is not None:
        raise error
    else:
        action, reason = _judge(entry, future.result(), read_base, found, files is not None)
        outcome = Outcome(entry.ctid, source, action, [reason] if reason else [], entry.envelope_id)
    reporter.advance(outcome)
    return outcome


def _judge(entry: Entry, remote: dict | None, read_base: str, found: _Local | None, looked: bool) -> tuple[str, str]:
    """``looked``: the record's file was looked for under the given paths (``found``, or None when none holds
    it); else it is the file the journal stored."""
    if entry.status == DELETED:
        return (DELETED, "") if remote is None else (STALE, "deleted here but still in the registry")
    if entry.status != PUBLISHED:
        where = "in the registry" if remote is not None else "not in the registry"
        return UNCONFIRMED, f"journal: {entry.status} ({entry.last_error or 'never confirmed'}); {where}"
    if remote is None:
        return MISSING, "published according to the journal, but not in the registry"
    local = found if looked else _stored_file(entry.source, read_base)
    if local is None:
        return STALE, ("no file under the given path holds this record" if looked
                       else f"local file {entry.source} is gone")
    if local.digest != entry.published_digest:
        return STALE, "local file changed since it was published"
    if comparable_digest(remote, read_base) != local.comparable:
        return STALE, "the registry's copy differs from what was published"
    return CURRENT, ""


def _stored_file(source: str | None, read_base: str) -> _Local | None:
    document = _local_document(source)
    return None if document is None else _local(str(source), document, read_base)


def _local_document(source: str | None) -> Any:
    if not source:
        return None
    try:
        return read_json(source)
    except InputError:
        return None
