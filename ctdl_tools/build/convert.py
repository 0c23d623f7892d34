"""``ctdl convert``: inputs → indexed items → graph documents → ``OUTDIR/<ctid>.json``.

Pass 1 streams every input and registers every resource (CTIDs, external ids, frameworks and their
competencies), so references resolve in any order and duplicates are caught before anything is
written. Pass 2 streams the inputs again, builds each document and writes it atomically.
"""

from __future__ import annotations

import contextlib
import errno
import multiprocessing
import os
import signal
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ctdl_tools.build.context import BuildContext, Link
from ctdl_tools.build.document import GraphDocument
from ctdl_tools.build.languages import run_language
from ctdl_tools.catalog.mapping import load_mapping
from ctdl_tools.catalog.model import ORGANIZATION, PrebuiltInput, Record, SkillFramework
from ctdl_tools.catalog.sources import Source, expand_inputs, open_sources, read_once
from ctdl_tools.ctid import REGISTRY_BASE, is_ctid, namespace_from, normalize_ctid
from ctdl_tools.errors import InputError, Problem, Problems, Where
from ctdl_tools.jsonio import write_atomic
from ctdl_tools.workers import die_with_parent


@dataclass
class ConvertOptions:
    kind: str = "auto"
    mapping: Path | None = None
    owner: str | None = None
    ctid_namespace: str | None = None
    language: str = "en-US"
    base: str = REGISTRY_BASE


@dataclass
class InputSummary:
    name: str
    written: int = 0
    failed: int = 0
    warnings: int = 0
    errors: int = 0


@dataclass
class ConvertResult:
    inputs: list[InputSummary] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)
    written: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(s.failed for s in self.inputs)


def _index(item: Any, ctx: BuildContext) -> None:
    if isinstance(item, Record):
        from ctdl_tools.build.records import index_record

        index_record(item, ctx)
    elif isinstance(item, SkillFramework):
        from ctdl_tools.build.framework import index_framework

        index_framework(item, ctx)
    elif isinstance(item, PrebuiltInput):
        from ctdl_tools.build.ra import index_ra

        index_ra(item, ctx)


def _build(item: Any, ctx: BuildContext) -> GraphDocument | None:
    if isinstance(item, Record):
        from ctdl_tools.build.records import build_record

        return build_record(item, ctx)
    if isinstance(item, SkillFramework):
        from ctdl_tools.build.framework import build_framework

        return build_framework(item, ctx)
    from ctdl_tools.build.ra import build_ra

    return build_ra(item, ctx)


def make_context(options: ConvertOptions, problems: Problems) -> BuildContext:
    owner = None
    if options.owner:
        try:
            owner = normalize_ctid(options.owner)
        except ValueError as exc:
            raise InputError(Where("--owner"), str(exc)) from None
    try:
        language, note = run_language(options.language)
    except ValueError as exc:
        raise InputError(Where("--language"), str(exc)) from None
    if note:  # `eng`: written `en`, said as a catalog cell's is
        problems.warn(Where("--language"), note)
    return BuildContext(namespace=namespace_from(options.ctid_namespace), language=language,
                        owner=owner, base=options.base, problems=problems)


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, n: int) -> None: ...


def index_sources(sources: list[Source], ctx: BuildContext) -> int:
    """Pass 1: register every item; returns how many there are. Organizations first: a record's derived
    CTID is scoped by its owner's CTID, which an owner written as an organization's External Identifier
    (in any file of the conversion) only has once the organization is registered."""
    total, later = 0, []
    without_orgs = [s for s in sources if s.record_kind not in (None, ORGANIZATION)]
    for source in sources:
        if source.record_kind not in (None, ORGANIZATION):
            continue  # a table of credentials or courses: read once, after every organization
        for item in source.items(index_only=True):
            if isinstance(item, Record) and item.kind == ORGANIZATION:
                _index(item, ctx)
            else:
                later.append(item)  # from a mixed source (a JSON catalog, already in memory)
            total += 1
    for item in later:
        _index(item, ctx)
    for source in without_orgs:
        for item in source.items(index_only=True):
            _index(item, ctx)
            total += 1
    ctx.finish_index()
    return total


# One item's pass-2 outcome: (sequence number, source index, built here?, written file or None, problems, the
# references its document makes to other documents of the conversion).
Outcome = tuple[int, int, bool, str | None, list[Problem], tuple[Link, ...]]
PARALLEL_THRESHOLD = 2000


def _build_share(sources: list[Source], ctx: BuildContext, outdir: Path, share: int, of: int,
                 progress: Progress | None = None) -> list[Outcome]:
    """Pass 2 for every ``of``-th item starting at ``share``; problems are tied to the item they arose at,
    so the parent can merge the workers' reports into the order a single process would print."""
    problems, outcomes, mark, seq = ctx.problems.items, [], len(ctx.problems.items), 0
    for number, source in enumerate(sources):
        for item in source.items():
            mine = seq % of == share
            written, links = None, ()  # the empty tuple is shared: 100k records with no links cost nothing
            if mine:
                ctx.links.clear()
                written = _build_and_write(item, ctx, outdir)
                links = tuple(ctx.links) if written else ()
                if progress:
                    progress.advance(of)
            if mine or len(problems) > mark:
                outcomes.append((seq, number, mine, written, problems[mark:], links))
                mark = len(problems)
            seq += 1
    return outcomes


def _build_and_write(item: Any, ctx: BuildContext, outdir: Path) -> str | None:
    """Build one item and write its document; the file written, or None when it failed (said in ``ctx``).

    An unexpected failure (a bug) fails this item with one message, not the run: raised, it was a traceback
    (from a worker, re-raised in the parent) that stopped the run midway, leaving the documents built so far
    and none of the others. A write that fails for a reason of the output folder's (a full disk, a read-only
    file system, a folder that refuses new files) would fail every item alike, one message each: it stops the
    run (:class:`_FolderFailed`).
    """
    try:
        document = _build(item, ctx)
        data = document.to_bytes() if document is not None else None
    except MemoryError:  # the machine's, not a bug of this item's: the run stops with the out-of-memory message
        raise
    except Exception as exc:  # any bug in a builder fails its item only
        ctx.problems.error(item.where, f"internal error while converting this item ({type(exc).__name__}: "
                           f"{exc}); nothing written for it: please report it with this input")
        return None
    if document is None or data is None:
        return None
    path = outdir / f"{document.ctid}.json"
    try:
        write_atomic(path, data)
    except OSError as exc:
        if exc.errno in _FOLDER_ERRNOS or _probe_outdir(outdir) is not None:
            raise _FolderFailed(str(path), exc.strerror or str(exc)) from None
        ctx.problems.error(item.where, f"cannot write {path}: {exc.strerror or exc}")  # this file's own problem
        return None
    return str(path)


# Write failures that are the file system's, whatever the file: no space, no quota left, mounted read-only.
_FOLDER_ERRNOS = frozenset(code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EROFS) if code)


class _FolderFailed(Exception):
    """A document could not be written for a reason of the output folder's: ``(path, reason)``. Plain
    arguments: raised in a forked worker, it is pickled to the parent."""


def _probe_outdir(outdir: Path) -> OSError | None:
    """Why no file can be made in ``outdir`` (a file made and removed there), or None when one can.
    ``os.access`` is not enough: root passes it where the file system still refuses (``/sys``, a read-only
    bind mount, an NFS export that squashes root)."""
    probe = outdir / f".ctdl-convert-probe.{os.getpid()}.tmp"
    try:
        with open(probe, "wb"):
            pass
    except OSError as exc:
        return exc
    with contextlib.suppress(OSError):
        probe.unlink()
    return None


def _worker_count(total: int) -> int:
    if total < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def _build_all(sources: list[Source], ctx: BuildContext, outdir: Path, workers: int,
               progress: Progress | None) -> list[Outcome]:
    """Pass 2, in forked workers when the input is large: building and serialising is CPU-bound, and the
    workers inherit the pass-1 index instead of rebuilding it."""
    if workers == 1:
        return _build_share(sources, ctx, outdir, 0, 1, progress)
    global _FORKED_STATE
    _FORKED_STATE = (sources, ctx, outdir)  # inherited by the forked workers, never pickled
    pool, finished = None, False
    try:
        with _sigint_held():  # a Ctrl-C meanwhile is this process's, once the workers ignore it
            pool = multiprocessing.get_context("fork").Pool(workers - 1, initializer=_worker_signals,
                                                            initargs=(os.getpid(),))
        pending = [pool.apply_async(_forked_share, (share, workers)) for share in range(1, workers)]
        outcomes = _build_share(sources, ctx, outdir, 0, workers, progress)
        for job in pending:
            outcomes += job.get()
        finished = True
    finally:
        if pool is not None and finished:
            # Every share done: the workers leave on the pool's own end-of-work message. terminate() (SIGTERM to
            # workers waiting on the task queue's lock, which it takes) hung once in a loaded CI run.
            pool.close()
            pool.join()
        elif pool is not None:
            pool.terminate()  # a failure or Ctrl-C: stop the others now
        _FORKED_STATE = None
    return outcomes


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT held back from this thread, and so from the workers forked meanwhile until they ignore it: a
    Ctrl-C in that moment is delivered to this process when it ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _worker_signals(parent: int) -> None:
    """A forked worker's signals. Ctrl-C (SIGINT to the terminal's process group) is the parent's to handle:
    it stops its own share, terminates the pool and says "interrupted" once; a worker that took it too printed
    "Process ForkPoolWorker-1:" and a traceback ending in KeyboardInterrupt. The parent's terminate() is a
    SIGTERM, raised here as SystemExit wherever the worker is, so a document being written leaves no temporary
    file (write_atomic removes it on the way out) and nothing is printed. The parent's death (a SIGTERM sent to
    it alone, as `timeout` sends it) is one too: the worker went on writing its share, then printed a
    BrokenPipeError traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _leave)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # held back by the parent while forking
    if not die_with_parent(parent, signal.SIGTERM):
        raise SystemExit(128 + signal.SIGTERM)


def _leave(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


_FORKED_STATE: tuple[list[Source], BuildContext, Path] | None = None


def _forked_share(share: int, of: int) -> list[Outcome]:
    assert _FORKED_STATE is not None
    sources, ctx, outdir = _FORKED_STATE
    return _build_share(sources, ctx, outdir, share, of)


def convert(paths: list[Path], outdir: Path, options: ConvertOptions,
            progress: Progress | None = None, workers: int | None = None) -> ConvertResult:
    """Convert ``paths`` into ``outdir``; unreadable input raises :class:`InputError` before any write.

    Pass 2 only starts once pass 1 has read every input to the end, so an unreadable file stops the run
    before anything is written; each document is then written atomically as soon as it is built.
    """
    with read_once(paths):  # a named pipe's bytes, read once: the readers open an input several times
        return _convert(paths, outdir, options, progress, workers)


def _convert(paths: list[Path], outdir: Path, options: ConvertOptions, progress: Progress | None,
             workers: int | None) -> ConvertResult:
    result = ConvertResult()
    mapping = load_mapping(options.mapping)
    ctx = make_context(options, result.problems)
    files = expand_inputs(paths)  # once: directories are walked here, not again for the overwrite check
    sources = open_sources(files, options.kind, mapping, result.problems)
    result.inputs = [InputSummary(s.name) for s in sources]
    total = index_sources(sources, ctx)
    if progress:
        progress.start(total)
    _make_outdir(outdir)
    _refuse_writing_over_an_input(files, outdir, ctx.by_ctid.keys())
    before = _documents_in(outdir)
    try:
        outcomes = _build_all(sources, ctx, outdir, workers or _worker_count(total), progress)
    except _FolderFailed as exc:
        path, reason = exc.args
        raise InputError(Where(str(outdir)), f"cannot write {Path(path).name} here: {reason}; the conversion "
                         "stopped (every document would fail alike): the documents written so far are whole, the "
                         "others were not written") from None
    pass1_problems = list(result.problems.items)
    result.problems = Problems()
    for problem in pass1_problems:
        result.problems.add(problem.severity, problem.where, problem.message)
    linked = any(o[5] for o in outcomes)
    written_ctids = {Path(o[3]).stem for o in outcomes if o[2] and o[3]} if linked or before else set()
    for _seq, number, mine, written, problems, links in sorted(outcomes, key=lambda o: (o[0], not o[2])):
        for problem in problems:
            result.problems.add(problem.severity, problem.where, problem.message)
        _warn_dangling(links, written_ctids, ctx, result.problems)
        if mine and written:
            result.written.append(Path(written))
            result.inputs[number].written += 1
        elif mine:
            result.inputs[number].failed += 1
    for summary in result.inputs:
        summary.failed += ctx.left_out.get(summary.name, 0)
    _warn_stale(outdir, before - written_ctids, result.problems)
    _count_problems(result)
    return result


def _warn_dangling(links: tuple[Link, ...], written: set[str], ctx: BuildContext, problems: Problems) -> None:
    """A written document's reference to a document of this conversion that failed points to nothing: the
    validator cannot tell it from a reference to a record published before, so say it here."""
    for link in links:
        if link.target not in written:
            target = ctx.by_ctid[link.target]
            named = f"{target.name!r} ({target.where})" if target.name else f"the record at {target.where}"
            problems.warn(link.where, f"{link.written} refers to {named}, which failed in this run and was not "
                          "written: this reference points to no document until that record is fixed and converted")


def _documents_in(outdir: Path) -> set[str]:
    """The CTIDs of the ``<ctid>.json`` documents already in the output directory."""
    return {path.stem for path in outdir.glob("ce-*.json") if is_ctid(path.stem)}


STALE_NAMES_SHOWN = 3


def _warn_stale(outdir: Path, stale: set[str], problems: Problems) -> None:
    """Documents left in the output directory by an earlier run (a record since removed from the catalog, or
    one that failed this time) would be published with the rest of the folder. Never deleted: they may be
    the user's."""
    if not stale:
        return
    names = sorted(f"{ctid}.json" for ctid in stale)
    shown = ", ".join(names[:STALE_NAMES_SHOWN]) + (", …" if len(names) > STALE_NAMES_SHOWN else "")
    problems.warn(Where(str(outdir)), f"{len(names)} document(s) here were not written by this run ({shown}): "
                  "left from an earlier conversion (a record since removed from the catalog, or one that failed "
                  "this time), they would be published with the folder; convert into a fresh output folder")


def _refuse_writing_over_an_input(files: list[Path], outdir: Path, ctids: Any) -> None:
    """An input named ``<ctid>.json`` in the output folder, for a record of this conversion (a Registry
    Assistant request saved under its CTID, converted with ``-o`` its own folder), would be replaced by that
    record's CTDL, and the next run would not find its catalog: refused before anything is written."""
    for path in files:
        if path.suffix == ".json" and path.stem in ctids:
            with contextlib.suppress(OSError):
                if os.path.samefile(path.parent, outdir):
                    raise InputError(Where(str(path)), f"the CTDL of record {path.stem} would be written over this "
                                     f"input (the output folder is {outdir}): convert into another folder")


def _make_outdir(outdir: Path) -> None:
    """The output directory, made if need be; one message when it cannot be (a file in the path, no such
    place, no permission), not a traceback from the first write."""
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(Where(str(outdir)), "cannot create the output directory: a file of that name "
                         "exists") from None
    except OSError as exc:
        raise InputError(Where(str(outdir)), f"cannot create the output directory: {exc.strerror or exc}"
                         + (f" ({exc.filename})" if exc.filename and str(exc.filename) != str(outdir) else "")
                         ) from None
    if not os.access(outdir, os.W_OK | os.X_OK):  # else every document would fail on its own
        raise InputError(Where(str(outdir)), "the output directory is not writable")
    refused = _probe_outdir(outdir)
    if refused is not None:
        raise InputError(Where(str(outdir)), f"the output directory is not writable: {refused.strerror or refused}")


def _count_problems(result: ConvertResult) -> None:
    counts: Counter[tuple[str, str]] = Counter()
    for problem in result.problems.items:
        counts[(problem.where.file, problem.severity)] += 1
    for summary in result.inputs:
        summary.warnings = counts[(summary.name, "warning")]
        summary.errors = counts[(summary.name, "error")]
