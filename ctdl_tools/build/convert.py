"""``ctdl convert``: inputs → indexed items → graph documents → ``OUTDIR/<ctid>.json``.

Pass 1 streams every input and registers every resource (CTIDs, external ids, frameworks and their
competencies), so references resolve in any order and duplicates are caught before anything is
written. Pass 2 streams the inputs again, builds each document and writes it atomically.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ctdl_tools.build.context import BuildContext
from ctdl_tools.build.document import GraphDocument
from ctdl_tools.catalog.mapping import load_mapping
from ctdl_tools.catalog.model import PrebuiltInput, Record, SkillFramework
from ctdl_tools.catalog.sources import Source, open_sources
from ctdl_tools.ctid import REGISTRY_BASE, namespace_from, normalize_ctid
from ctdl_tools.errors import InputError, Problems, Where
from ctdl_tools.jsonio import write_atomic


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
    return BuildContext(namespace=namespace_from(options.ctid_namespace), language=options.language,
                        owner=owner, base=options.base, problems=problems)


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, n: int) -> None: ...


def build_documents(sources: list[Source], ctx: BuildContext,
                    progress: Progress | None = None) -> Iterator[tuple[int, Any, GraphDocument | None]]:
    """Index everything, then yield ``(source index, item, document or None)`` per item."""
    total = 0
    for source in sources:
        for item in source.items():
            _index(item, ctx)
            total += 1
    ctx.finish_index()
    if progress:
        progress.start(total)
    for number, source in enumerate(sources):
        for item in source.items():
            yield number, item, _build(item, ctx)
            if progress:
                progress.advance(1)


def convert(paths: list[Path], outdir: Path, options: ConvertOptions,
            progress: Progress | None = None) -> ConvertResult:
    """Convert ``paths`` into ``outdir``; unreadable input raises :class:`InputError` before any write."""
    result = ConvertResult()
    mapping = load_mapping(options.mapping)
    ctx = make_context(options, result.problems)
    sources = open_sources(paths, options.kind, mapping, result.problems)
    result.inputs = [InputSummary(s.name) for s in sources]
    # Pass 2 only starts once pass 1 has read every input to the end, so an unreadable file stops the run
    # before anything is written; each document is then written atomically as soon as it is built.
    made_outdir = False
    for number, _item, document in build_documents(sources, ctx, progress):
        if document is None:
            result.inputs[number].failed += 1
            continue
        if not made_outdir:
            outdir.mkdir(parents=True, exist_ok=True)
            made_outdir = True
        path = outdir / f"{document.ctid}.json"
        write_atomic(path, document.to_bytes())
        result.written.append(path)
        result.inputs[number].written += 1
    _count_problems(result)
    return result


def _count_problems(result: ConvertResult) -> None:
    counts: Counter[tuple[str, str]] = Counter()
    for problem in result.problems.items:
        counts[(problem.where.file, problem.severity)] += 1
    for summary in result.inputs:
        summary.warnings = counts[(summary.name, "warning")]
        summary.errors = counts[(summary.name, "error")]
