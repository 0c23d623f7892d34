"""``ctdl publish`` / ``unpublish`` / ``fetch`` / ``registry status``: the work behind the commands.

Publishing is: read every input (unreadable input stops everything before any request), skip files
whose bytes the journal says this target already confirmed (not even parsed), check the others' shape
and digest, validate every given file once as ``ctdl validate`` would (refusing Violations), then send
through a bounded thread pool. Only this module's coordinating thread writes the journal — ``pending``
before a request leaves, ``published`` only after the registry confirmed it; workers only do HTTP.

Run as ``python -m ctdl_tools.registry.publish …`` for the ``ctdl publish`` command standalone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import re
import secrets
import sqlite3
import stat
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ctdl_tools.ctdl_files import is_report, main_ctid, unique_files
from ctdl_tools.ctid import REGISTRY_BASE, ctid_in_uri, is_ctid
from ctdl_tools.errors import EXIT_INPUT_ERROR, EXIT_OK, EXIT_RECORD_ERRORS, InputError, Where
from ctdl_tools.jsonio import decode_utf8, dumps, parse_json, read_bytes, write_output
from ctdl_tools.registry import gate
from ctdl_tools.registry.client import (
    AssistantApi,
    Cancelled,
    DirectApi,
    Http,
    Published,
    RegistryError,
    RetryPolicy,
    Silence,
)
from ctdl_tools.registry.config import Settings, Target, api_key_source
from ctdl_tools.registry.journal import DELETED, PUBLISHED, Entry, Journal
from ctdl_tools.vocab.schema import vocabulary

# Outcome actions. --dry-run predicts new/updated/unchanged/refused; a real run reports a new record
# the registry confirmed as "published".
NEW, PUBLISHED_NEW, UPDATED, UNCHANGED = "new", "published", "updated", "unchanged"
FAILED, REFUSED = "failed", "refused"
NOT_SENT = "not sent: run stopped"
_ORG_KEYS = ("ceterms:ownedBy", "ceterms:offeredBy", "ceasn:publisher")
CHILD_REGISTRY_RECORDS = 500  # from this many records to send, the embedded registry runs in its own process
_CE_URI = r"https?://(?:sandbox\.|staging\.)?credentialengineregistry\.org(?:/ce[-_]registry)?/(resources|graph)/"


# --- documents -------------------------------------------------------------------------------------
def canonical_digest(document: Any) -> str:
    """sha256 of key-sorted compact JSON: the same content has the same digest whatever its layout."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def comparable_digest(document: Any, base_url: str | None) -> str:
    """A digest that ignores which registry host ``/resources/`` and ``/graph/`` URIs name.

    Registries rewrite Credential Engine URIs to their own base on read (the local registry does), so
    the copy read back is compared to the local file with every registry host replaced by one token."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = re.sub(_CE_URI, r"@registry/\1/", text)
    if base_url:
        text = re.sub(re.escape(base_url.rstrip("/")) + r"/(resources|graph)/", r"@registry/\1/", text)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def shape_problems(document: Any) -> list[str]:
    """What the registry's publish schema and this client need: ``@id``, ``@graph``, node ``@id``/``@type``,
    a CTID on the main node that matches the document ``@id``."""
    return _shape(document)[0]


def _shape(document: Any) -> tuple[list[str], str | None]:
    """:func:`shape_problems`, and the main node's CTID (lower-cased) when there are none."""
    if not isinstance(document, dict):
        return ["graph-shape: not a JSON object with @id and @graph (is this `ctdl convert` output?)"], None
    graph = document.get("@graph")
    if "@graph" not in document and ("decoded_resource" in document or "envelope_type" in document):
        return ["graph-shape: this is a registry envelope: publish the graph document it holds "
                "(its decoded_resource), not the envelope"], None
    if "@graph" not in document and "ceterms:ctid" in document:
        return ["graph-shape: this is a single resource (a /resources/<ctid> body), not a graph document: publish "
                "its graph (/graph/<ctid>) or the output of `ctdl convert`"], None
    problems = [f"graph-shape: {key} is required" for key in ("@id", "@graph") if key not in document]
    if "@graph" in document and (not isinstance(graph, list) or not graph):
        problems.append("graph-shape: @graph must be a non-empty array")
    if problems:
        return problems, None
    for position, node in enumerate(graph):
        if not isinstance(node, dict) or not isinstance(node.get("@id"), str) or not node.get("@type"):
            problems.append(f"graph-shape: @graph[{position}] needs @id and @type")
    if problems:
        return problems, None
    ctid = main_ctid(document)
    if ctid is None or not is_ctid(ctid):
        return ["graph-shape: the main node (@graph[0]) needs a ceterms:ctid (ce- + UUID)"], None
    named = ctid_in_uri(str(document["@id"]))
    if named and named != ctid:
        given = graph[0]["ceterms:ctid"]  # as written, not lower-cased
        return [f"graph-shape: document @id names {named} but the main node's CTID is {given}"], None
    return [], ctid


def publishing_org(main: dict) -> str | None:
    """The owner's CTID: ownedBy, else offeredBy, else (frameworks) ceasn:publisher; an organization
    record publishes itself."""
    for key in _ORG_KEYS:
        values = main.get(key)
        for value in values if isinstance(values, list) else [values]:
            uri = value.get("@id") if isinstance(value, dict) else value
            if isinstance(uri, str):
                ctid = ctid_in_uri(uri) or (uri.strip().lower() if is_ctid(uri.strip().lower()) else None)
                if ctid:
                    return ctid
    if vocabulary().is_a(str(main.get("@type")), "ceterms:Organization"):
        return str(main["ceterms:ctid"]).strip().lower()
    return None


@dataclass
class Item:
    """One input document, as scanned. ``document`` is None for unchanged ones (never parsed)."""

    path: Path
    digest: str
    document: dict | None
    file_digest: str = ""
    ctid: str = ""
    org: str | None = None
    ctdl_type: str = ""
    action: str = NEW
    messages: list[str] = field(default_factory=list)
    stated_ctid: str = ""  # the CTID a refused document gives (a single resource, an envelope's), for messages
    data: bytes | None = None  # the bytes read, kept only of a file that cannot be read again (a named pipe)

    @property
    def label(self) -> str:
        return self.ctid or self.stated_ctid or "(no CTID)"

    @property
    def source(self) -> str:
        return os.path.abspath(self.path)


def input_files(inputs: Iterable[Path]) -> list[Path]:
    """The files ``ctdl validate`` would read for the same paths: named directly, or the ``.json``/``.jsonld``
    files under a directory (hidden folders like .ctdl skipped), each once (a file named twice, or reached
    through a symbolic link too, is one file)."""
    inputs = list(inputs)
    for path in inputs:
        if not path.exists() and not path.is_symlink():
            raise InputError(Where(str(path)), "no such file or directory")
    files = [Path(name) for name in unique_files(str(path) for path in inputs)]
    if not files:
        raise InputError(Where(", ".join(map(str, inputs))), "no .json or .jsonld files to publish")
    return files


def scan(files: list[Path], org_override: str | None, entries: dict[str, Entry], resend: bool = False) -> list[Item]:
    """Read, check and classify every file (new / updated / unchanged / refused).

    A file whose bytes hash to what the journal recorded when this target confirmed it is unchanged and
    is not even parsed: that keeps a 10k-record re-run to reading and hashing. With ``resend``, nothing is
    unchanged: a record deleted from the registry by someone else (``ctdl registry status``: missing) is
    sent again. An unreadable file raises :class:`InputError` (exit 2) before anything is sent."""
    by_source = {e.source: e for e in entries.values() if e.source}
    items, seen = [], {}
    for path in files:
        once = not _regular(path)
        data = read_bytes(path)
        file_digest = hashlib.sha256(data).hexdigest()
        entry = by_source.get(os.path.abspath(path))
        if (not resend and entry and entry.status == PUBLISHED and entry.file_digest == file_digest
                and entry.published_digest == entry.digest and entry.ctid not in seen):
            item = Item(path, str(entry.digest), None, file_digest, entry.ctid, entry.org, entry.ctdl_type or "",
                        UNCHANGED)
        else:
            item = _parsed(path, data, file_digest, org_override, entries, resend)
            if item is None:
                continue  # a validation report kept beside the catalog: ctdl validate does not read it either
        if once:  # the validator gets these bytes: a second open of a named pipe waits for a writer that is gone
            item.data = data
        if item.ctid and item.ctid in seen and item.action != REFUSED:
            item.action, item.messages = REFUSED, [f"duplicate-ctid: {item.ctid} is also in {seen[item.ctid]}"]
        if item.ctid:
            seen.setdefault(item.ctid, path)
        items.append(item)
    return items


def _regular(path: Path) -> bool:
    """A regular file (or one that cannot be looked at: reading it says why)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True


def _parsed(path: Path, data: bytes, file_digest: str, org_override: str | None,
            entries: dict[str, Entry], resend: bool = False) -> Item | None:
    document = parse_json(decode_utf8(data, str(path)), str(path), repeats=True)  # the gate reports them
    if is_report(document):
        return None
    item = Item(path, canonical_digest(document), document, file_digest)
    item.messages, ctid = _shape(document)
    if ctid is None:
        item.action = REFUSED
        envelope = document.get("decoded_resource") if isinstance(document, dict) else None
        stated = main_ctid(envelope if isinstance(envelope, dict) else document)
        item.stated_ctid = stated if stated and is_ctid(stated) else ""  # never arbitrary text in a message
        return item
    main = document["@graph"][0]
    item.ctid, item.ctdl_type = ctid, str(main["@type"])
    item.org = org_override or publishing_org(main)
    if item.org is None:
        item.action = REFUSED
        item.messages = ["no-publisher: no ceterms:ownedBy/offeredBy (or ceasn:publisher) organization CTID; "
                         "add one or pass --org"]
        return item
    item.action = _classify(item, entries.get(item.ctid), resend)
    if item.action == UNCHANGED:
        item.document = None  # not needed any more: free the memory
    return item


def _classify(item: Item, entry: Entry | None, resend: bool = False) -> str:
    """new / updated / unchanged against what the journal says this target confirmed. With ``resend`` an
    unchanged record is sent again as it is (the registry answers "unchanged" if it still has it)."""
    if entry is None or entry.status == DELETED or entry.published_digest is None:
        return NEW
    if entry.status == PUBLISHED and entry.published_digest == item.digest:
        return UPDATED if resend else UNCHANGED
    return UPDATED


def apply_gate(items: list[Item], force: bool) -> bool:
    """Validate every given file once and refuse the new/updated records whose file has Violations (with
    --force, keep them and say so). False when the validator cannot run and --force publishes anyway."""
    candidates = [i for i in items if i.action in (NEW, UPDATED) and i.document is not None]
    if not candidates:
        return True
    try:
        found = gate.violations([str(i.path) for i in items],
                                {str(i.path): i.data for i in items if i.data is not None})
    except gate.ValidatorUnavailable as exc:
        if force:
            return False
        raise InputError(Where("ctdl_tools.validate"), f"the validator cannot run ({exc}); reinstall "
                         "ctdl_tools, or pass --force to publish without validating") from None
    naming = _named_elsewhere(found)
    for item in candidates:
        problems = [gate.describe(f, item.ctid) for f in found.get(item.source, ())]
        problems += [said for path, said in naming.get(item.ctid, ()) if path != item.source]
        if not problems:
            continue
        if force:
            item.messages = [f"published despite violation (--force): {p}" for p in problems]
        else:
            item.action, item.messages, item.document = REFUSED, problems, None
    return True


def _named_elsewhere(found: dict[str, list[Any]]) -> dict[str, list[tuple[str, str]]]:
    """CTID → (file, what) of every Violation whose value names it. A change can break another record (a
    framework no longer listing a competency makes a Violation in the competency's file): that refuses the
    record the finding names, not only the one whose file it is in, whether or not that file is sent too."""
    naming: dict[str, list[tuple[str, str]]] = {}
    for path, findings in found.items():
        for f in findings:
            named = _ctid_named(f.value)
            if named:
                naming.setdefault(named, []).append((path, f"{gate.describe(f, named)} (in {os.path.relpath(path)})"))
    return naming


def _ctid_named(value: object) -> str | None:
    """The CTID a finding's value names: a registry URI's, or a bare CTID."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    return ctid_in_uri(text) or (text if is_ctid(text) else None)


# --- results -----------------------------------------------------------------------------------------
@dataclass
class Outcome:
    ctid: str
    file: str | None
    action: str
    messages: list[str] = field(default_factory=list)
    envelope_id: str | None = None
    # A failure's RegistryError kind ("cancelled" for a record a stopped run did not send): tells the failures
    # that are the target's (said once) from the record's own. Not part of the JSON report.
    kind: str | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "kind"}


def not_sent(ctid: str, file: str | None = None) -> Outcome:
    """A record a stopped run did not send (nothing is recorded for it in the journal)."""
    return Outcome(ctid, file, FAILED, [NOT_SENT], kind="cancelled")


@dataclass
class Summary:
    command: str
    target: str
    outcomes: list[Outcome] = field(default_factory=list)
    dry_run: bool = False
    elapsed: float = 0.0
    fatal: str | None = None  # a problem that stopped the whole run (rejected API key): exit 2
    # The run gave up early: the registry did not accept connections, or accepted them and did not answer
    # (``unreachable``, exit 2 either way). Records whose request went out are journalled failed (they may have
    # landed: they are sent again next time); those never sent are not journalled.
    stopped: str | None = None
    unreachable: bool = False
    validated: bool | None = None
    unrecorded: Path | None = None  # unpublish without a journal: the one it looked for
    gone: list[str] = field(default_factory=list)  # CTIDs published from files no longer under the inputs

    @property
    def counts(self) -> Counter[str]:
        return Counter(o.action for o in self.outcomes)

    @property
    def exit_code(self) -> int:
        if self.fatal or self.unreachable:
            return EXIT_INPUT_ERROR
        return EXIT_RECORD_ERRORS if self.counts[FAILED] or self.counts[REFUSED] else EXIT_OK

    @property
    def not_sent(self) -> int:
        """Records a stopped run never sent (failed, with nothing recorded for them in the journal)."""
        return sum(o.action == FAILED and NOT_SENT in o.messages for o in self.outcomes)

    def halted(self, outcome: Outcome) -> bool:
        """Whether ``outcome`` is a record the run did not get through for the reason it stopped (a rejected key,
        a registry down): that reason is said once for the run, not once per record."""
        if outcome.action != FAILED or not (self.fatal or self.stopped):
            return False
        return (outcome.kind == "cancelled" or (self.fatal is not None and outcome.kind in _FATAL)
                or (self.stopped is not None and outcome.kind in _SILENT))

    def to_json(self) -> dict[str, Any]:
        sent = self.counts[PUBLISHED_NEW] + self.counts[UPDATED]
        return {"command": self.command, "target": self.target, "dry_run": self.dry_run,
                "counts": dict(sorted(self.counts.items())), "elapsed_s": round(self.elapsed, 3),
                "rate_per_s": round(sent / self.elapsed, 1) if self.elapsed and sent else None,
                "validated": self.validated, "fatal": self.fatal, "stopped": self.stopped, "not_sent": self.not_sent,
                "gone": self.gone,
                # unchanged records are left out unless there is something to say: a message, or an envelope id
                # (sent, and found as it is)
                "records": [o.to_json() for o in self.outcomes
                            if o.action != UNCHANGED or o.messages or o.envelope_id]}


class Reporter(Protocol):
    def start(self, total: int, done: int = 0) -> None: ...

    def advance(self, outcome: Outcome) -> None: ...

    def close(self) -> None: ...


class NullReporter:
    def start(self, total: int, done: int = 0) -> None:
        pass

    def advance(self, outcome: Outcome) -> None:
        pass

    def close(self) -> None:
        pass


# --- talking to a registry -----------------------------------------------------------------------------
@dataclass
class Options:
    """One command's resolved settings. ``key`` is excluded from repr so it can never be logged."""

    settings: Settings
    target: Target
    journal: Path
    db: Path
    key: str | None = field(default=None, repr=False)
    org: str | None = None
    force: bool = False
    dry_run: bool = False
    resend: bool = False  # send records the journal says are unchanged too (the registry may have lost them)
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def key_env(self) -> str:
        return self.settings.api_key_env

    def require_key(self) -> None:
        """A key is needed for every target but the embedded registry (which this run starts itself)."""
        if not self.key and not self.target.embedded:
            raise InputError(Where(f"${self.key_env}"),
                             f"no API key: set the environment variable {self.key_env} "
                             f"(or choose another with --api-key-env, or api_key in config)")


Api = DirectApi | AssistantApi


@contextmanager
def connect(options: Options, cancel: threading.Event, orgs: Iterable[str] = (), records: int = 0,
            started: Callable[[Any], None] | None = None, existing: bool = False,
            silence: Silence | None = None, largest: int = 0) -> Iterator[Api]:
    """An API client for the target; the embedded registry is started here and stopped on exit: in a thread
    of this process, or for ``CHILD_REGISTRY_RECORDS`` records or more in a process of its own, so that
    server and client each have a core (10k records: ~1.35× the rate). ``existing``: only on a database
    that is there (reading or deleting from a new, empty one would only say "not in the registry").
    ``silence``: told of every attempt's reply or timeout (a :class:`Watch`'s, to stop a run nothing answers).
    ``largest``: the size of the largest file about to be sent: the embedded registry takes a body of twice that and
    1 MiB more (the client writes JSON with a space after each separator), or of its default limit if that is more."""
    _more_open_files()
    target = options.target
    if not target.embedded:
        yield _api(target, str(target.url), options, cancel, silence)
        return
    if existing and not options.db.exists():
        raise InputError(Where(str(options.db)), "no local registry database here: pass --db (the registry.sqlite "
                         "you published to) or --journal (the .ctdl/journal.sqlite beside what you published)")
    from ctdl_tools.registry.server import start_embedded  # here: remote targets need no Starlette
    from ctdl_tools.registry.server.child import start_child

    # Our own registry for the length of this command: the key is this run's (a random one if the
    # user has none), and the organizations we publish for are registered with it. Its base URL is
    # Credential Engine's, the one `ctdl convert` writes, so documents read back (fetch) keep their
    # @ids instead of naming a loopback port that is gone when the command ends.
    from ctdl_tools.registry.server.web import MAX_BODY_BYTES

    key = options.key or secrets.token_hex(32)
    local = Options(options.settings, target, options.journal, options.db, key, options.org, retry=options.retry)
    registered = sorted(set(orgs))
    # A framework of 14k competencies is 17 MB and more: never refused by the registry this run starts for itself.
    limit = max(MAX_BODY_BYTES, 2 * largest + 1024 * 1024)
    try:
        options.db.parent.mkdir(parents=True, exist_ok=True)
        registry = (start_child(options.db, key, registered, REGISTRY_BASE, limit) if records >= CHILD_REGISTRY_RECORDS
                    else start_embedded(options.db, key, orgs=[(o, None) for o in registered], base_url=REGISTRY_BASE,
                                        max_body_bytes=limit))
    except (OSError, RuntimeError, sqlite3.Error) as exc:  # sqlite3: a file that is not a database
        raise InputError(Where(str(options.db)), f"could not start the local registry: {exc}") from None
    if started is not None:  # the caller watches it: a child process can die under a run
        started(registry)
    with registry:
        yield _api(target, registry.url, local, cancel, silence)


def _api(target: Target, url: str, options: Options, cancel: threading.Event,
         silence: Silence | None = None) -> Api:
    timeout = float(options.settings.timeout)

    def http(base: str, scheme: str) -> Http:
        return Http(base, options.key, scheme, timeout=timeout, retry=options.retry, cancel=cancel, silence=silence)

    if target.api != "assistant":
        return DirectApi(http(url, "Token"))
    if target.embedded:  # the local registry serves the Assistant API under /assistant/
        return AssistantApi(http(url.rstrip("/") + "/assistant/", "ApiToken"), DirectApi(http(url, "Token")))
    return AssistantApi(http(url, "ApiToken"), DirectApi(http(target.read_url or url, "Token")))


class Pool:
    """A thread pool with a bounded number of requests in flight; results come back on this thread.

    Finished futures are handed over through a queue (a done-callback puts them there): cheaper than
    ``concurrent.futures.wait`` over everything in flight for every record."""

    def __init__(self, concurrency: int) -> None:
        self.limit = max(1, concurrency)
        self.executor = ThreadPoolExecutor(self.limit, thread_name_prefix="ctdl-publish")
        self.inflight: dict[Future, Any] = {}
        self.finished: queue.SimpleQueue[Future] = queue.SimpleQueue()

    def room(self) -> Iterator[tuple[Any, Future]]:
        """Finished calls, yielded while the pool is full: few requests queue up, memory stays flat."""
        while len(self.inflight) >= self.limit * 2:
            yield self._next()

    def submit(self, tag: Any, fn: Callable[..., Any], *args: Any) -> Future:
        future = self.executor.submit(fn, *args)
        self.inflight[future] = tag
        future.add_done_callback(self.finished.put)
        return future

    def run(self, jobs: Iterable[tuple[Any, Callable[..., Any], tuple]]) -> Iterator[tuple[Any, Future]]:
        """Every job's (tag, future) as it finishes."""
        for tag, fn, args in jobs:
            yield from self.room()
            self.submit(tag, fn, *args)
        yield from self.drain()

    def drain(self) -> Iterator[tuple[Any, Future]]:
        while self.inflight:
            yield self._next()

    def _next(self) -> tuple[Any, Future]:
        future = self.finished.get()
        return self.inflight.pop(future), future

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


# --- publish -------------------------------------------------------------------------------------------
def publish(inputs: list[Path], options: Options, reporter: Reporter | None = None) -> Summary:
    """Publish ``inputs`` (files/dirs of graph documents) to the target, journaling every step."""
    started = time.monotonic()
    reporter = reporter or NullReporter()
    files = input_files(inputs)
    summary = Summary("publish", options.target.identity, dry_run=options.dry_run)
    if not options.dry_run:
        options.require_key()
    new_journal = not options.journal.exists()
    journal = Journal.open_for_reading(options.journal) if options.dry_run else Journal(options.journal)
    try:
        try:
            entries = journal.entries(options.target.identity) if journal else {}
            items = scan(files, options.org, entries, options.resend)
        except InputError:
            if journal and new_journal:  # an unreadable input before anything was sent: leave no journal
                journal.discard()
                journal = None
            raise
        summary.gone = gone_records(entries, items, inputs)
        summary.outcomes = [_settled(i) for i in items if i.action in (UNCHANGED, REFUSED)]
        todo = [i for i in items if i.action in (NEW, UPDATED)]
        summary.validated = apply_gate(items, options.force) if todo else None
        if options.dry_run:
            summary.outcomes += [_settled(i) for i in todo]
        elif todo:
            assert journal is not None
            summary.outcomes += [_settled(i) for i in todo if i.action == REFUSED]  # by the gate
            sendable = [i for i in todo if i.action != REFUSED]
            if sendable:  # else no registry is started (nor the embedded one's database made) for nothing
                reporter.start(len(items), len(items) - len(sendable))
                summary.outcomes += _send_all(sendable, options, journal, reporter, summary, entries)
    finally:
        reporter.close()
        if journal:
            if new_journal and journal.is_empty():  # nothing recorded: leave no journal (nor its folder)
                journal.discard()
            else:
                journal.close()
    summary.elapsed = time.monotonic() - started
    return summary


def gone_records(entries: dict[str, Entry], items: list[Item], inputs: list[Path]) -> list[str]:
    """CTIDs the journal says were published from a file under one of the given folders that no file given
    now holds (the file deleted or renamed, the record dropped from it): still in the registry, and a
    publish that said nothing of them left them there unnoticed."""
    folders = [os.path.abspath(p) + os.sep for p in inputs if p.is_dir()]
    if not folders:  # files named one by one: the others were not meant
        return []
    held, read = {item.ctid for item in items}, {item.source for item in items}
    return sorted(e.ctid for e in entries.values()  # a file read now (even one refused) is not gone
                  if e.status == PUBLISHED and e.ctid not in held and e.source and e.source not in read
                  and any(e.source.startswith(folder) for folder in folders))


def _settled(item: Item) -> Outcome:
    return Outcome(item.label, str(item.path), item.action, item.messages)


NO_THREAD = ("the system refused this process another thread (a limit on processes or threads: ulimit -u, a "
             "container's pids limit); run again with a lower --concurrency, or raise the limit")


def _more_open_files() -> None:
    """Raise the soft limit on open files to the hard one (at most 65,536), as servers do: each request in flight
    holds a socket, and the local registry a database handle per thread, so a low soft limit (ulimit -n 64) failed
    records with misleading errors (HTTP 500, connection errors)."""
    try:
        import resource
    except ImportError:  # not POSIX
        return
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
        if soft != resource.RLIM_INFINITY and soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _send_all(todo: list[Item], options: Options, journal: Journal, reporter: Reporter,
              summary: Summary, entries: dict[str, Entry]) -> list[Outcome]:
    cancel, target = threading.Event(), options.target.identity
    outcomes: list[Outcome] = []
    embedded: list[Any] = []  # the local registry this run started, if any
    watch = Watch(options, cancel, summary, embedded, requests=len(todo))
    # Records marked pending whose result is not written yet: CTID → (item, its request; None until submitted).
    unsettled: dict[str, tuple[Item, Future | None]] = {}

    def done(outcome: Outcome) -> None:
        outcomes.append(outcome)
        reporter.advance(outcome)

    def settle(item: Item, future: Future) -> None:
        outcome = _record(item, future, journal, target, entries.get(item.ctid))
        unsettled.pop(item.ctid, None)
        watch.saw(future.exception())  # sets cancel when the target, not the record, is at fault
        done(outcome)

    with connect(options, cancel, orgs={i.org for i in todo if i.org}, records=len(todo),
                 started=embedded.append, silence=watch.silence, largest=max(map(_sent_size, todo), default=0)) as api:
        pool = Pool(options.settings.concurrency)
        try:
            for item in todo:
                if not cancel.is_set():
                    for done_item, future in pool.room():
                        settle(done_item, future)
                if cancel.is_set():  # never marked pending: the journal keeps what it had for this record
                    done(not_sent(item.ctid, str(item.path)))
                    continue
                unsettled[item.ctid] = (item, None)  # before the mark: an interrupt between the two undoes nothing
                # Pending before the request leaves: a crash after this line means "maybe landed".
                journal.mark_pending(target, item.ctid, item.digest, org=item.org, ctdl_type=item.ctdl_type,
                                     source=item.source, file_digest=item.file_digest)
                try:
                    unsettled[item.ctid] = (item, pool.submit(item, _send_one, api, item))
                except RuntimeError as exc:
                    if "can't start new thread" not in str(exc):
                        raise
                    # A limit on threads (ulimit -u, a container's pids limit): this record is not sent (nor are
                    # the rest). The pool queued its request before failing: cancelled first, so that a thread
                    # taking it up now sends nothing, and only then is its journal row given back.
                    cancel.set()
                    journal.restore(target, item.ctid, entries.get(item.ctid))
                    del unsettled[item.ctid]
                    summary.fatal = summary.fatal or NO_THREAD
                    done(not_sent(item.ctid, str(item.path)))
            for done_item, future in pool.drain():
                settle(done_item, future)
        except KeyboardInterrupt:
            cancel.set()  # Ctrl-C: stop retrying, send nothing more
            _wind_down(unsettled, settle, journal, target, entries)
            raise
        except BaseException:
            cancel.set()
            raise
        finally:
            pool.close()
    return outcomes


def _wind_down(unsettled: dict[str, tuple[Item, Future | None]], settle: Callable[[Item, Future], None],
               journal: Journal, target: str, entries: dict[str, Entry]) -> None:
    """After Ctrl-C: the journal as if the records that never left had not been tried, and what the registry
    answered to the requests in flight recorded.

    First every record whose request has not started (still queued in the pool, or not submitted yet) gets back
    the row it had, as for a run stopped by a rejected key or a registry that is down; then the requests in
    flight (``cancel`` is set: none is tried again) are waited for and their results written, so that nothing
    the registry confirmed is lost. A second Ctrl-C stops that wait: the rows of the requests still in flight
    stay ``pending`` (they may have landed), and are sent again next time."""
    in_flight: list[tuple[Item, Future]] = []
    for ctid, (item, future) in list(unsettled.items()):
        if future is None or future.cancel():  # cancel(): True only for a call that has not started
            journal.restore(target, ctid, entries.get(ctid))
            del unsettled[ctid]
        else:
            in_flight.append((item, future))
    try:
        for item, future in in_flight:
            future.exception()  # waits for it to finish
            settle(item, future)
    except KeyboardInterrupt:
        pass


_SILENT = ("unreachable", "unanswered")  # RegistryError kinds of a registry that is down or hangs
_FATAL = ("auth", "unsendable")  # kinds that fail every further request the same way


class Watch:
    """Stops a run (sets ``cancel``, says why in ``summary``) at a failure that is the target's, not the
    record's: every further request would fail the same way, so none is sent.

    * a rejected key (401/403) or a request that cannot be made: at the first (``summary.fatal``, exit 2);
    * a registry that accepts connections and never answers (or whose connections hang): ``max(4, concurrency)``
      attempts in a row, across all requests, with no reply within the timeout (``silence``, counted as they
      happen: the run stops after about one timeout, not each record's whole retry budget; fewer when fewer
      requests are to be made, but never under 4);
    * ``max(4, concurrency)`` records in a row that got no answer at all, each after its whole retry budget:
      connections refused or names not found, or the local registry's process gone.

    The last two set ``summary.stopped`` and ``summary.unreachable`` (exit 2)."""

    def __init__(self, options: Options, cancel: threading.Event, summary: Summary,
                 embedded: list[Any] | None = None, requests: int = 0) -> None:
        self.options, self.cancel, self.summary = options, cancel, summary
        self.embedded = embedded if embedded is not None else []
        self.silent: list[str] = []  # kinds of the failures in a row that got no answer at all
        concurrency = options.settings.concurrency
        # Handed to the HTTP client (connect(silence=…)), which counts every attempt's timeout or reply.
        self.silence = Silence(max(4, min(concurrency, requests or concurrency)), cancel)

    def saw(self, error: BaseException | None) -> None:
        if self.silence.tripped and not (self.summary.fatal or self.summary.stopped):
            self._stop(f"the registry did not answer {self.silence.tripped} requests in a row (no reply within "
                       f"the {self.options.settings.timeout:g}s timeout)")
            return
        kind = error.kind if isinstance(error, RegistryError) else None
        if kind == "cancelled":  # a consequence of a stop, not a new failure
            return
        self.silent = [*self.silent, kind] if kind in _SILENT else []
        if _stop_on_fatal(error, self.options, self.cancel, self.summary) or self.cancel.is_set():
            return
        if len(self.silent) >= max(4, self.options.settings.concurrency):
            # Each of these took the whole retry budget: waiting it out for every record helps nobody.
            self.cancel.set()
            self._stop(f"{_silence(self.silent, self.options.settings.timeout)} ({error})")

    def _stop(self, why: str) -> None:
        registry = self.embedded[0] if self.embedded else None
        gone = registry.exited() if registry is not None and hasattr(registry, "exited") else None
        # A registry this command started is not "back" on its own: say so only of one run elsewhere.
        again = "run again" if self.embedded else "run again when it is back"
        self.summary.stopped = f"stopped: {gone or why}; {again}"
        self.summary.unreachable = True


def _silence(kinds: list[str], timeout: float) -> str:
    """Why the registry is taken for gone, from the kinds of the failures in a row."""
    refused, unanswered = kinds.count("unreachable"), kinds.count("unanswered")
    if not unanswered:
        return f"the registry did not accept connections for {refused} records in a row"
    if not refused:
        return (f"the registry did not answer for {unanswered} records in a row (no reply within the {timeout:g}s "
                "timeout, on every attempt)")
    return f"the registry did not accept connections or did not answer for {len(kinds)} records in a row"


def _stop_on_fatal(error: BaseException | None, options: Options, cancel: threading.Event,
                   summary: Summary) -> bool:
    """A rejected key (or a request that cannot be made) fails every further request the same way: stop the
    run (exit 2) at the first. True if ``error`` is such a failure."""
    if not isinstance(error, RegistryError) or error.kind not in _FATAL:
        return False
    if not cancel.is_set():
        cancel.set()
        summary.fatal = (f"the registry rejected the API key from {api_key_source(options.settings)}: {error}"
                         if error.kind == "auth" else str(error))
    return True


def _sent_size(item: Item) -> int:
    """The size of the file an item was read from (the embedded registry's body limit is made to fit the largest)."""
    if item.data is not None:
        return len(item.data)
    try:
        return os.path.getsize(item.path)
    except OSError:
        return 0


def _send_one(api: Api, item: Item) -> Published:
    assert item.document is not None and item.org is not None
    return api.publish(item.document, item.org, item.ctdl_type)


def _record(item: Item, future: Future, journal: Journal, target: str, previous: Entry | None) -> Outcome:
    """Write the result of one request to the journal; ``published`` only on the registry's word. A request
    the run stopped before it left gives the record back the row it had (``previous``): it was not tried, so it
    did not fail."""
    error = future.exception()
    if error is None:
        result: Published = future.result()
        journal.mark_published(target, item.ctid, item.digest, result.envelope_id, result.attempts)
        item.document = None
        action = PUBLISHED_NEW if item.action == NEW else item.action
        if result.changed is False and result.attempts == 1:
            # The registry had this content already (a --resend of what is there, or a new journal: the same
            # files published from a copy of the folder). After a retry, "not changed" may only mean that the
            # attempt whose answer was lost had changed it.
            action = UNCHANGED
        return Outcome(item.ctid, str(item.path), action, item.messages, result.envelope_id)
    if not isinstance(error, RegistryError):
        raise error
    if isinstance(error, Cancelled) and not error.attempts:
        journal.restore(target, item.ctid, previous)
        return not_sent(item.ctid, str(item.path))
    journal.mark_failed(target, item.ctid, error.message, error.attempts)
    return Outcome(item.ctid, str(item.path), FAILED, [*item.messages, error.message], kind=error.kind)


# --- unpublish / fetch -------------------------------------------------------------------------------
def _ctids(values: Iterable[str]) -> list[str]:
    ctids = []
    for value in values:
        ctid = value.strip().lower()
        if not is_ctid(ctid):
            raise InputError(Where(value), "not a CTID (ce- followed by a UUID)")
        ctids.append(ctid)
    return ctids


def unpublish(ctid_args: Iterable[str], options: Options, reporter: Reporter | None = None) -> Summary:
    """Delete records from the target; the journal marks them deleted once the registry agreed."""
    started, reporter = time.monotonic(), reporter or NullReporter()
    ctids, target = _ctids(ctid_args), options.target.identity
    options.require_key()
    summary = Summary("unpublish", target)
    cancel = threading.Event()
    # No journal named and none where it would be: do not start one in the working directory (the journal
    # the records were published with, beside their files, would never hear of the deletion).
    unrecorded = options.settings.journal is None and not options.journal.exists()
    summary.unrecorded = options.journal if unrecorded else None
    watch = Watch(options, cancel, summary, requests=len(ctids))
    with Journal(None if unrecorded else options.journal) as journal, connect(
            options, cancel, _orgs_for(journal, target, ctids, options), existing=True,
            silence=watch.silence) as api:
        entries = journal.entries(target)
        reporter.start(len(ctids))
        pool = Pool(options.settings.concurrency)
        try:
            jobs = ((c, api.delete, (c, *_org_and_type(c, entries, options))) for c in ctids)
            for tag, future in pool.run(until_cancelled(cancel, jobs)):
                summary.outcomes.append(_deleted(tag, future, journal, target, entries, reporter))
                watch.saw(future.exception())
            summary.outcomes += unsent_outcomes(ctids, summary, reporter)
        finally:
            cancel.set()
            pool.close()
            reporter.close()
    summary.elapsed = time.monotonic() - started
    return summary


def until_cancelled(cancel: threading.Event, jobs: Iterable[Any]) -> Iterator[Any]:
    """``jobs`` until ``cancel`` is set: the pool takes them one by one, so none is sent after it is."""
    for job in jobs:
        if cancel.is_set():
            return
        yield job


def unsent_outcomes(ctids: list[str], summary: Summary, reporter: Reporter) -> list[Outcome]:
    """An outcome for each CTID a stopped run never sent."""
    settled = {o.ctid for o in summary.outcomes}
    outcomes = [not_sent(c) for c in dict.fromkeys(ctids) if c not in settled]
    for outcome in outcomes:
        reporter.advance(outcome)
    return outcomes


def _org_and_type(ctid: str, entries: dict[str, Entry], options: Options) -> tuple[str | None, str]:
    entry = entries.get(ctid)
    return options.org or (entry.org if entry else None), (entry.ctdl_type or "") if entry else ""


def _orgs_for(journal: Journal, target: str, ctids: list[str], options: Options) -> set[str]:
    entries = journal.entries(target)
    return {e.org for c in ctids if (e := entries.get(c)) and e.org} | ({options.org} if options.org else set())


def _deleted(ctid: str, future: Future, journal: Journal, target: str, entries: dict[str, Entry],
             reporter: Reporter) -> Outcome:
    error = future.exception()
    if error is None:
        journal.mark_deleted(target, ctid, org=entries[ctid].org if ctid in entries else None)
        outcome = Outcome(ctid, None, "deleted")
    elif isinstance(error, Cancelled) and not error.attempts:  # never left: nothing to note
        outcome = not_sent(ctid)
    elif isinstance(error, RegistryError) and error.kind == "notfound":
        if ctid in entries:  # it is not there: the journal should not claim otherwise
            journal.mark_deleted(target, ctid)
        outcome = Outcome(ctid, None, FAILED, [f"not in the registry ({error.message})"], kind=error.kind)
    elif isinstance(error, RegistryError):
        if ctid in entries:
            journal.note_error(target, ctid, error.message)
        outcome = Outcome(ctid, None, FAILED, [error.message], kind=error.kind)
    else:
        raise error
    reporter.advance(outcome)
    return outcome


def fetch(ctid_args: Iterable[str], options: Options, outdir: Path | None,
          emit: Callable[[bytes], None]) -> Summary:
    """GET /graph/{ctid} for each CTID: ``<ctid>.json`` in ``outdir`` (atomically), or ``emit`` the bytes: one
    CTID's document as it is, several CTIDs' as one JSON array (in the order given, each once; the ones found),
    so that what is printed is always one JSON text."""
    started, ctids = time.monotonic(), _ctids(ctid_args)
    several = len(ctids) > 1
    ctids = list(dict.fromkeys(ctids))
    summary, cancel = Summary("fetch", options.target.identity), threading.Event()
    if outdir is not None:
        _make_folder(outdir)  # before any request: a folder that cannot be made is bad usage
    kept: dict[str, Any] | None = {} if outdir is None and several else None
    watch = Watch(options, cancel, summary, requests=len(ctids))
    with connect(options, cancel, existing=True, silence=watch.silence) as api:
        pool = Pool(options.settings.concurrency)
        try:
            for tag, future in pool.run(until_cancelled(cancel, ((c, api.fetch, (c,)) for c in ctids))):
                summary.outcomes.append(_fetched(tag, future, outdir, emit, kept))
                watch.saw(future.exception())
            summary.outcomes += unsent_outcomes(ctids, summary, NullReporter())
            if kept is not None:
                emit(dumps([kept[c] for c in ctids if c in kept]))
        finally:
            cancel.set()
            pool.close()
    summary.elapsed = time.monotonic() - started
    return summary


def _make_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise InputError(Where(str(folder)), "cannot write there: it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(Where(str(folder)), f"cannot create the output folder: {exc.strerror or exc}") from None


def _fetched(ctid: str, future: Future, outdir: Path | None, emit: Callable[[bytes], None],
             kept: dict[str, Any] | None = None) -> Outcome:
    """One CTID's document: written to ``outdir``, else kept in ``kept`` (to be printed with the others), else
    printed."""
    error = future.exception()
    if isinstance(error, Cancelled) and not error.attempts:
        return not_sent(ctid)
    if isinstance(error, RegistryError):
        return Outcome(ctid, None, FAILED, [error.message], kind=error.kind)
    if error is not None:
        raise error
    document = future.result()
    if document is None:
        return Outcome(ctid, None, FAILED, ["not in the registry"], kind="notfound")
    if kept is not None:
        kept[ctid] = document
        return Outcome(ctid, None, "fetched")
    if outdir is None:
        emit(dumps(document))
        return Outcome(ctid, None, "fetched")
    path = outdir / f"{ctid}.json"
    write_output(path, dumps(document))  # <ctid>.json is a folder, the disk is full, the folder went away
    return Outcome(ctid, str(path), "fetched")


# --- status ---------------------------------------------------------------------------------------------


if __name__ == "__main__":  # pragma: no cover
    from ctdl_tools.registry.commands import publish_command

    publish_command(prog_name="python -m ctdl_tools.registry.publish")
