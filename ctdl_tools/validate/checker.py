"""validate(): load → JSON checks → RDF → SHACL → cross-record checks → one sorted report."""

from __future__ import annotations

import contextlib
import difflib
import gc
import itertools
import os
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ctdl_tools.ctid import is_ctid
from ctdl_tools.jsonio import TooDeep, too_deep, too_deep_message
from ctdl_tools.jsonscan import escape_pointer, pointer_tokens
from ctdl_tools.validate import crossref
from ctdl_tools.validate.engine import Engine, RawResult, compile_engine
from ctdl_tools.validate.lines import Lines
from ctdl_tools.validate.loader import Document, NamedContent, Source, iter_inputs, read_input, reread
from ctdl_tools.validate.prepass import (
    context_findings,
    conversion_findings,
    finding,
    foreign_context,
    language_findings,
    not_ours,
    property_at,
    structure_findings,
)
from ctdl_tools.validate.rdf import (
    CONTEXT_URLS,
    PYLD_BASE,
    Conversion,
    Unsupported,
    big_number_note,
    bundled_url,
    context_tables,
    convert,
    convert_with_pyld,
    iri_ok,
    is_skolem,
    ontology_triples,
)
from ctdl_tools.validate.reporters.common import records_of
from ctdl_tools.validate.result import LONGEST_VALUE, Finding, Record, Report, Rule, shortened, sort_findings
from ctdl_tools.validate.rules import PYTHON_RULES, UNREADABLE_RULES, all_rules, rule_matches, rule_patterns
from ctdl_tools.validate.shapes import ShapeSet, load_shapes
from ctdl_tools.vocab import vocabulary
from ctdl_tools.workers import die_with_parent

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
DESCRIBED_TYPE = "<https://purl.org/ctdl_tools/shapes/describedType>"
CHUNK_DOCS = 200  # documents per SHACL call (see Checker._chunks)
KEEP_BYTES = 24 * 2**20  # input kept parsed between the passes, per process (see Checker.kept)
KEEP_TOTAL = 64 * 2**20  # larger submissions keep nothing: 100k records must fit in 1 GB
PARALLEL_MAX_BYTES = 128 * 2**20  # jobs=0 (auto) uses one process above this much input
# Inputs (files); below this, starting worker processes costs more than it saves. Measured on 2 cores with
# the benchmark catalog: 215 files 0.23 s in one process vs 0.26 s in two, 415 files 0.29 s either way, 856
# files 0.42 s vs 0.39 s.
PARALLEL_MIN_DOCS = 600
Input = str | Path | dict | list | bytes | bytearray | NamedContent
_NOT_DATA: tuple = ()


def validate(inputs: Input | Iterable[Input], shapes_dirs: str | Path | Iterable[str | Path] = (),
             disabled_rules: str | Iterable[str] = (), engine: str = "auto", jobs: int = 1) -> Report:
    """Validate files, directories, globs, "-" (stdin), parsed documents, bytes or :class:`NamedContent`; see the
    package docstring.

    ``jobs`` > 1 splits the inputs over that many forked worker processes (native engine, our shapes,
    POSIX, ``PARALLEL_MIN_DOCS`` inputs or more); the report is the same. ``jobs=0``: one per CPU (up to
    4) for submissions up to ``PARALLEL_MAX_BYTES`` of input, one process above (workers each hold their
    own working set, and 100k records must fit in 1 GB). Only fork from a process that runs no other
    threads: the command line does, the library default stays 1.
    """
    items = [inputs] if isinstance(inputs, (str, Path, dict, bytes, bytearray, NamedContent)) else list(inputs)
    disabled = rule_patterns(disabled_rules)
    shapes = load_shapes(_one_or_many(shapes_dirs), disabled)
    # A run allocates millions of small objects that all live to the end (findings, pruned documents):
    # the cyclic GC would walk them again and again (100k records: minutes). Nothing here needs it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return Checker(items, shapes, compile_engine(engine, shapes), jobs).run(disabled)
    finally:
        if collecting:
            gc.enable()


def _one_or_many(paths: str | Path | Iterable[str | Path]) -> list[str | Path]:
    return [paths] if isinstance(paths, (str, Path)) else list(paths)


@dataclass
class Chunk:
    """Documents validated together in one SHACL call, read (again) from their sources."""

    docs: list[Document]
    conversions: dict[int, Conversion] = field(default_factory=dict)
    focus: dict[str, tuple[Document, str]] = field(default_factory=dict)
    defined: set[str] = field(default_factory=set)
    nodes: dict[str, tuple] = field(default_factory=dict)  # focus term → Checker._node_part
    # Terms described in more than one document of the chunk → every description, in document order, and
    # the node part of each (Checker._describing).
    also: dict[str, list[tuple[Document, str]]] = field(default_factory=dict)
    described_nodes: dict[tuple[str, int], tuple] = field(default_factory=dict)
    lines: dict[str, Lines] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    texts: dict[str, str | None] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        """A source's text, read when a finding first needs a line number in it."""
        if name not in self.texts:
            source = self.sources.get(name)
            self.texts[name] = source.read_text() if source is not None and source.obj is None else None
        return self.texts[name]


class Checker:
    """One run over one submission, in three passes so that 100k records fit in memory.

    1. Read every input once: reading and JSON-level findings, the classes of every described IRI (for
       range checks across chunks), and a pruned copy of each document for the cross-record checks.
    2. Validate chunks of ~CHUNK_DOCS documents: read them again, convert, run SHACL, place findings; keep
       only the findings.
    3. Cross-record checks on the pruned copies.
    """

    def __init__(self, items: list, shapes: ShapeSet, engine: Engine, jobs: int = 1) -> None:
        self.items, self.shapes, self.engine, self.jobs = items, shapes, engine, jobs
        self.findings: list[Finding] = []
        self.runs: list[list[Finding]] = []  # from workers, each sorted (see sort_findings)
        self.sources: list[Source] = []
        self.skipped: list[str] = []  # inputs that are validation reports, not CTDL (loader.Loaded.skipped)
        self.docs: list[Document] = []  # pruned after pass 1
        self.readable: list[Document] = []
        self.described: dict[int, set[str]] = {}  # doc index → IRIs (N-Triples) it describes
        self.types: dict[str, list[tuple[str, str, str]]] = {}  # IRI → its ctshapes:describedType triples
        self.records = 0
        self.documents = 0
        self.index: list[Record] = []
        # Full documents kept from pass 1 for pass 2, up to KEEP_BYTES of input: reading and parsing them
        # again is a fifth of pass 2; beyond the budget they are read again, so 100k records fit in memory.
        self.kept: dict[tuple[str, int], dict] = {}
        self.kept_texts: dict[str, str] = {}  # and their files' text, for line numbers
        # A worker's kept documents converted while it waits for its plan (see _convert_ahead).
        self.converted: dict[tuple[str, int], Conversion] = {}
        self.keep_budget = KEEP_BYTES
        self._by_name: dict[str, Source] = {}
        self._rule_parts: dict[tuple, tuple] = {}  # see _from_results
        self._class_terms: dict[tuple[str, str], str | None] = {}  # see _collect_types
        self.shapes_have_user_rules = any(r.origin == "user" for r in shapes.rules.values())
        self.off: frozenset[str] = frozenset()  # Python rules turned off (see run)

    def run(self, disabled: tuple[str, ...]) -> Report:
        # Python rules turned off are dropped before their findings are placed (a line number costs a walk
        # of the file's text); shape rules turned off never ran (sh:deactivated).
        self.off = frozenset(r for r in PYTHON_RULES
                             if r not in UNREADABLE_RULES and any(rule_matches(r, p) for p in disabled))
        items = list(iter_inputs(self.items))  # files in name order (loader.iter_inputs)
        size, input_ids = _input_files(items)
        if size > KEEP_TOTAL:
            self.keep_budget = 0  # a large submission: memory first, read the documents again in pass 2
        if self.jobs == 0:
            self.jobs = _cpus() if size <= PARALLEL_MAX_BYTES else 1
        shards = self._shards(items)
        if len(shards) > 1:
            try:
                self._run_in_shards(shards)
            except _NoWorkers:  # the system would not start another process (a pids limit): do it here
                shards = [(0, items)]
        if len(shards) == 1:
            self._read_all(items)
            self._cross_record()  # before pass 2, so the pruned copies are freed before its findings come
            self._shacl()
        if disabled:
            every = itertools.chain(self.findings, *self.runs)
            off = {f.rule_id for f in every if any(rule_matches(f.rule_id, pat) for pat in disabled)}
            off.difference_update(UNREADABLE_RULES)
            if off:
                self.findings = [f for f in self.findings if f.rule_id not in off]
                self.runs = [[f for f in run if f.rule_id not in off] for run in self.runs]
        findings, runs, self.findings, self.runs = self.findings, self.runs, [], []
        return Report(sort_findings(findings, runs), [s.name for s in self.sources], self.documents,
                      self.records, self.engine.name, self.rules(), tuple(self.index), skipped=self.skipped,
                      input_ids=input_ids)

    def rules(self) -> dict[str, Rule]:
        return all_rules(self.shapes.rules.values())

    def _cross_record(self) -> None:
        self.findings.extend(self._place(crossref.check(self.readable), self._reread_texts))
        # Pass 2 needs where each document is, not the pruned copy: at 100k records, these are the memory
        # that the findings (over a million Warnings) need next.
        self.documents = len(self.docs)
        for doc in self.docs:
            doc.data, doc.walked = {}, None
        self.docs = []

    # --- in worker processes ---------------------------------------------------------------------------
    def _shards(self, items: list) -> list[tuple[int, list]]:
        """(number of the first input, inputs) per worker; one shard when workers would not pay off."""
        workers = min(self.jobs, len(items) // max(1, PARALLEL_MIN_DOCS // 2) or 1)
        if (workers < 2 or len(items) < PARALLEL_MIN_DOCS or self.engine.name != "native"
                or self.shapes_have_user_rules):
            return [(0, items)]
        import multiprocessing  # here: a small run (a pre-commit hook's) does not pay for importing it

        if "fork" not in multiprocessing.get_all_start_methods():
            return [(0, items)]
        size = -(-len(items) // workers)
        return [(start, items[start:start + size]) for start in range(0, len(items), size)]

    def _run_in_shards(self, shards: list[tuple[int, list]]) -> None:
        """Contiguous shards of the inputs in forked workers, in two phases around one exchange.

        A: each worker reads its shard (pass 1) and sends back its JSON-level findings, record index,
        documents (pruned, for the cross-record checks), the IRIs each document describes and their
        classes; then converts the documents it kept to RDF until its plan comes (see _convert_ahead).
        B: this process groups the documents into chunks as one process would (all descriptions of an IRI
        in one chunk, whichever shard read them) and deals most of them out with the merged classes; each
        worker validates its chunks (pass 2) while this process runs the cross-record checks, then asks
        for more: its own chunks held back first, then the other workers' last ones, so that all finish
        together (a fixed plan left one core idle for the last ~15 % of the run: chunks differ in cost).
        Workers inherit the compiled shapes through fork and read their chunks' documents again (or use
        those they kept), as pass 2 always does.
        """
        import multiprocessing.connection

        context = multiprocessing.get_context("fork")
        pipes, workers = [], []
        finished = False
        try:
            for first, part in shards:
                mine, theirs = context.Pipe()
                pipes.append(mine)
                worker = context.Process(target=_shard_worker, args=(self, first, part, theirs, os.getpid()),
                                         daemon=True)
                try:
                    worker.start()
                except OSError as exc:  # EAGAIN: a limit on processes (ulimit -u, a container's pids limit)
                    theirs.close()
                    raise _NoWorkers from exc
                theirs.close()
                workers.append(worker)
            shard_of = self._merge_reading(pipes)
            plans = self._plan(shard_of, len(pipes))
            held = [_hold_back(plan) for plan in plans]
            for conn, plan in zip(pipes, plans, strict=True):
                _send(conn, (self.types, plan))
            # Findings are taken in by a thread while this one runs the cross-record checks: a worker whose
            # pipe is full waits until they are read (that was ~0.3 s of each worker's time at 10k).
            drain = _Drain(pipes, held)
            drain.start()
            self._cross_record()
            self.runs += drain.finish()
            finished = True
        finally:
            for conn in pipes:
                conn.close()
            for worker in workers:
                # Stopped early (Ctrl-C sent to this process alone, a worker's error): the others are not
                # waited for; that took 5 s each.
                worker.join(timeout=5 if finished else 0)
                if worker.is_alive():
                    worker.kill()

    def _merge_reading(self, pipes: list) -> dict[int, int]:
        """Phase A's results from every worker, in shard order, numbered as one process would number them;
        returns the shard that read each document."""
        shard_of: dict[int, int] = {}
        for number, payload in enumerate(_receive_each(pipes)):
            sources, packed, docs, pruned, readable, index, records, types, described, skipped = payload
            offset = len(self.docs)
            for doc, data in zip(docs, pruned, strict=True):
                doc.index += offset
                doc.data = data
                shard_of[doc.index] = number
            self.described.update((i + offset, terms) for i, terms in described.items())
            self.sources += sources
            self.skipped += skipped
            self.findings.extend(Finding(*fields) for fields in packed)
            self.docs += docs
            self.readable += [docs[i] for i in readable]
            self.index += index
            self.records += records
            for term, lines in types.items():
                self.types.setdefault(term, []).extend(lines)
        return shard_of

    def _plan(self, shard_of: dict[int, int], workers: int) -> list[list[list[tuple]]]:
        """Chunks dealt out as (index, source, base, kind, wrapper, ordinal) per document: each to the worker
        that read it (it kept the parsed documents), unless that one already has more than its share."""
        plans: list[list[list[tuple]]] = [[] for _ in range(workers)]
        load = [0] * workers
        chunks = self._chunks(self.readable)
        fair = 1.15 * sum(len(c) for c in chunks) / workers
        for chunk in chunks:
            owner = shard_of[chunk[0].index]
            if load[owner] + len(chunk) > fair:
                owner = load.index(min(load))
            plans[owner].append([(d.index, d.source, d.base, d.kind, d.wrapper, d.ordinal) for d in chunk])
            load[owner] += len(chunk)
        return plans

    # --- pass 1 ------------------------------------------------------------------------------------------
    def _read_all(self, items: list, first_number: int = 0) -> None:
        for number, item in enumerate(items, first_number):
            one = read_input(item, number, len(self.docs))
            self.sources += one.sources
            self.skipped += one.skipped
            found = list(one.findings)
            readable: list[Document] = []
            pruned = [self._prune(doc, found) for doc in one.documents]
            for doc, slim in zip(one.documents, pruned, strict=True):
                if slim is not None:  # None: nested too deep to look at further (but its records are counted)
                    found.extend(self._first_look(doc, readable))
                else:
                    self._index(doc, names=False)
            if found:
                self.findings.extend(self._place(found, one.texts.get, one.documents))
            keep = one.sources[0].size <= self.keep_budget if one.sources else False
            if keep:
                self.keep_budget -= one.sources[0].size
                self.kept_texts.update(one.texts)
            for doc, slim in zip(one.documents, pruned, strict=True):
                if keep and slim is not None:
                    self.kept[(doc.source.name, doc.ordinal)] = doc.data
                doc.data = slim or {}
                self.docs.append(doc)  # even a refused one: documents keep their numbers
            for doc in readable:
                # On the pruned copy: it keeps every @id and @type, and there is less to walk. The cross-record
                # checks use the same list of nodes.
                doc.walked = crossref.node_list(doc)
                self._collect_types(doc)
            self.readable += readable

    @staticmethod
    def _prune(doc: Document, found: list[Finding]) -> dict | None:
        """The document's pruned copy (crossref.prune), or None with a finding when it nests deeper than the
        recursive walks of validation may go (the parser took it; a Python walk would not)."""
        try:
            return crossref.prune(doc.data)
        except TooDeep:
            path = too_deep(doc.data) or []
            pointer = "".join(f"/{escape_pointer(str(key))}" for key in path)
            found.append(finding(doc, "JSON-UNREADABLE", pointer, too_deep_message()))
            return None

    def _first_look(self, doc: Document, readable: list[Document]) -> list[Finding]:
        """JSON-level findings and the record index; ``doc`` joins ``readable`` when RDF can be made of it."""
        found, ok = context_findings(doc)
        found += structure_findings(doc)
        found += language_findings(doc)
        self._index(doc)
        if ok:
            readable.append(doc)
        return found

    def _index(self, doc: Document, names: bool = True) -> None:
        records = records_of(doc, names)
        self.index.extend(records)
        self.records += len(records) + _records_without_ctid(doc)

    def _collect_types(self, doc: Document) -> None:
        """The classes of every IRI this document describes, as the converter will write them.

        Reads the nodes of the pruned document (``doc.walked``): ids and types are kept, and a node that had
        content keeps a marker, so "described" (more than an @id) is the same as in the full document."""
        url = bundled_url(doc.data["@context"]) or ""
        tables = context_tables(url)
        described = self.described.setdefault(doc.index, set())
        class_terms = self._class_terms
        for _, data in doc.walked or ():
            raw = data.get("@id")
            if not isinstance(raw, str) or raw.startswith("_:") or len(data) < 2:
                continue
            iri = tables.expand(raw, vocab=False)
            if not iri or not iri_ok(iri):
                continue
            term = f"<{iri}>"
            described.add(term)
            types = data.get("@type")
            for t in types if isinstance(types, list) else [types]:
                if not isinstance(t, str):
                    continue
                # A catalog names a few dozen classes ~30k times: each expanded and checked once (10k
                # records: 0.059 s → 0.051 s).
                cls = class_terms.get((url, t), "")  # "": not looked up yet; None: not a class IRI
                if cls == "":
                    expanded = tables.expand(t, vocab=True)
                    cls = class_terms[url, t] = f"<{expanded}>" if expanded and iri_ok(expanded) else None
                if cls is not None:
                    self.types.setdefault(term, []).append((term, DESCRIBED_TYPE, cls))

    # --- pass 2 ------------------------------------------------------------------------------------------
    def _shacl(self) -> None:
        chunks = self._chunks(self.readable)
        # shacl releases the GIL: while one chunk is in the engine the next is being read and converted.
        # pySHACL (rdflib) is not thread-safe.
        workers = min(len(chunks), os.cpu_count() or 1, 2) if self.engine.name == "shacl" else 1
        if workers > 1:
            # Imported here: it imports logging, and every `ctdl validate` start (a pre-commit hook's) paid for it.
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=workers) as pool:
                for found in pool.map(self._validate_chunk, chunks):
                    self.findings.extend(found)
        else:
            for chunk in chunks:
                self.findings.extend(self._validate_chunk(chunk))

    def _chunks(self, docs: list[Document]) -> list[list[Document]]:
        """Documents in groups of about CHUNK_DOCS; all descriptions of one IRI stay in one group.

        Why chunks: the engines' cost grows faster than linearly with the number of results in one call
        (measured on shacl 0.3.4: 13k results 1.6 s, 63k results 8.5 s); in groups it stays linear, the
        groups overlap with reading, and memory holds one group's documents at a time. User shapes may
        look further than ours (ours read a node's own triples and the class of its values), so with
        user shapes everything is one call.
        """
        if len(docs) <= CHUNK_DOCS or self.shapes_have_user_rules:
            return [docs] if docs else []
        owner: dict[str, int] = {}
        parent = list(range(len(docs)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, doc in enumerate(docs):
            for term in sorted(self.described.get(doc.index, ())):
                parent[find(i)] = find(owner.setdefault(term, i))
        groups: dict[int, list[Document]] = {}
        for i, doc in enumerate(docs):
            groups.setdefault(find(i), []).append(doc)
        chunks: list[list[Document]] = [[]]
        for group in groups.values():
            if len(chunks[-1]) + len(group) > CHUNK_DOCS and chunks[-1]:
                chunks.append([])
            chunks[-1].extend(group)
        return chunks

    def _validate_chunk(self, docs: list[Document]) -> list[Finding]:
        chunk = self._load_chunk(docs)
        found: list[Finding] = []
        for doc in chunk.docs:
            found.extend(self._convert(doc, chunk))
        convs = [chunk.conversions[d.index] for d in chunk.docs if d.index in chunk.conversions]
        own = set().union(*(c.defined for c in convs)) if convs else set()
        # The classes of values described in other chunks (for STRUCT-RANGE), under ctshapes:describedType:
        # as rdf:type they would make those nodes focus nodes here too.
        extra = sorted({t for c in convs for ref in c.referenced - own for t in self.types.get(ref, ())})
        data = [*ontology_triples(), *(t for c in convs for t in c.triples), *extra]
        try:
            raw = self.engine.validate(data) if convs else []
        except ValueError:  # a parse error should not happen (the converter checks terms); isolate it
            raw = []
            for doc in chunk.docs:
                try:
                    raw.extend(self.engine.validate([*ontology_triples(), *chunk.conversions[doc.index].triples]))
                except (ValueError, KeyError) as exc:
                    found.append(finding(doc, "JSONLD-INVALID", "", f"the RDF could not be validated: {exc}"))
        found.extend(self._from_results(raw, chunk))
        return self._place(found, chunk.text, chunk.docs)

    def _load_chunk(self, docs: list[Document]) -> Chunk:
        """The chunk's documents in full: kept from pass 1, or sources read again (once per chunk), matched
        by ordinal."""
        chunk = Chunk([])
        by_source: dict[str, list[Document]] = {}
        for doc in docs:
            by_source.setdefault(doc.source.name, []).append(doc)
        for name, wanted in by_source.items():
            source = wanted[0].source
            chunk.sources[name] = source
            kept = [self.kept.get((name, doc.ordinal)) for doc in wanted]
            if all(data is not None for data in kept):
                full = kept
                if name in self.kept_texts:
                    chunk.texts[name] = self.kept_texts[name]
            else:
                fresh = reread(source)
                full = [fresh[doc.ordinal].data if doc.ordinal < len(fresh) else None for doc in wanted]
            for doc, data in zip(wanted, full, strict=True):
                if data is not None:
                    chunk.docs.append(Document(doc.index, source, doc.base, data, doc.kind, doc.wrapper, doc.ordinal))
        chunk.docs.sort(key=lambda d: d.index)
        return chunk

    def _convert_ahead(self, label: str, planned: Callable[[], bool]) -> None:
        """A worker's wait for its plan, put to use: convert the documents it kept, in order, until
        ``planned()``. Blank nodes are labelled per shard (``label``), apart from the ``d<index>`` labels
        of documents converted later, so any two documents in a chunk have distinct skolem IRIs (and
        findings show the documents' own blank-node labels, not these)."""
        for doc in self.readable:
            if planned():
                return
            key = (doc.source.name, doc.ordinal)
            data = self.kept.get(key)
            if data is not None:
                with contextlib.suppress(Unsupported):  # pass 2 converts it with pyld, as it always would
                    self.converted[key] = convert(data, f"{label}d{doc.index}", skolem=True)

    def _convert(self, doc: Document, chunk: Chunk) -> list[Finding]:
        try:
            conv = self.converted.pop((doc.source.name, doc.ordinal), None) or convert(
                doc.data, f"d{doc.index}", skolem=True)
        except Unsupported:
            try:
                conv = convert_with_pyld(doc.data, f"d{doc.index}", skolem=True)
            except MemoryError:  # the machine's, not the document's
                raise
            except Exception as exc:  # pyld's own errors: the document is not JSON-LD it can read
                nested = foreign_context(doc.data)
                if nested:  # the usual reason: a context inside the document that would be fetched
                    pointer, url = nested
                    return [finding(doc, "JSONLD-CONTEXT", pointer, not_ours(url), prop=property_at(pointer),
                                    value=url)]
                return [finding(doc, "JSONLD-INVALID", "", f"the JSON-LD processor rejected it: {exc}")]
        chunk.conversions[doc.index] = conv
        for term, pointer in conv.pointers.items():
            # A node described in one document and only referenced in another maps to its description.
            if term not in chunk.focus or (term in conv.defined and term not in chunk.defined):
                chunk.focus[term] = (doc, pointer)
                if term in conv.defined:
                    chunk.defined.add(term)
            elif term in conv.defined:  # described again: findings go where their property is written
                chunk.also.setdefault(term, [chunk.focus[term]]).append((doc, pointer))
        return conversion_findings(doc, conv)

    def _from_results(self, raws: list[RawResult], chunk: Chunk) -> list[Finding]:
        """The findings of the chunk's SHACL results. What depends on the rule and what depends on the focus
        node is worked out once each (a 10k-record catalog has ~130k results over ~10k nodes and a few
        hundred rules); what is left per result is its pointer, line and value.

        Written for the common result (a benchmark property left out: no value, the node's own pointer and
        line, known from the node part), ~99 % of a catalog's: it does no per-result work it does not need
        (with _node_part's CTID of a record read from its own object: 0.58 s → 0.44 s at 10k records)."""
        rule_parts, node_parts, also = self._rule_parts, chunk.nodes, chunk.also
        notes: dict[tuple[str, str], str] = {}  # (node, file) → what it says of the other files describing it
        places: dict[int, dict[str, list[str]]] = {}  # see _value_pointer
        out: list[Finding] = []
        append = out.append
        for focus_term, source, severity, component, path, value_term, value_plain, message, root in raws:
            part = rule_parts.get((source, root, component, path, message))
            if part is None:
                part = rule_parts[(source, root, component, path, message)] = self._rule_part(
                    source, root, component, path, message)
            rule_id, text, prop, citation, shape, policy, template, special = part
            node = node_parts.get(focus_term)
            if node is None:
                node = node_parts[focus_term] = self._node_part(focus_term, chunk)
            shared = focus_term in also and bool(prop)
            if shared:
                node = self._describing(focus_term, prop, value_term, chunk) or node
            if node is _NOT_DATA or (policy and node[6]):
                # Not the user's data (a vocabulary triple of the ontology preamble), or a policy rule on a
                # blank node: the Minimum Data Policy is about records (nodes with an @id IRI). A blank-node
                # organization or learning opportunity is a reference to something not in the registry (the
                # Assistant's "Name~URL" references): structural rules apply to it, policy rules do not.
                continue
            obj, ctid, node_pointer, focus, file, lines, _, conv, node_line = node
            pointer = node_pointer
            if prop and prop in obj:
                pointer = f"{pointer}/{escape_pointer(prop)}"
                if value_term and value_term != focus_term and isinstance(obj[prop], list):
                    # Which of the property's values: a finding about the second of two should not point at both.
                    pointer = _value_pointer(obj[prop], pointer, value_term, value_plain, conv, places)
                if policy and component == _MIN_COUNT:
                    # Written, but none of its values could be read (a bad language tag, an invalid URL: the
                    # finding about that value says why); "requires" alone read as if it had been left out.
                    text = f"{text} ({prop} is given, but none of its values could be read: see the other finding here)"
            value = None if value_term == focus_term else value_plain  # node-level results repeat the focus
            if value is not None:
                value = _as_written(value, value_term, conv)
            if template:  # a user's message with {?value}: only known per result
                # A SPARQL constraint's unbound ?value is the focus node (SHACL §5.3.2), as pySHACL fills it.
                shown = focus if value is None and component == _SPARQL else value
                text = shortened(_fill(text, shown, focus), 2 * LONGEST_VALUE)
            elif special is not None:
                text, value, pointer = special(text, value, pointer, _Result(
                    value_term, value_plain, prop, obj, focus, chunk, self.types))
            if shared:  # said once per node and file
                elsewhere = notes.get((focus_term, file))
                if elsewhere is None:
                    elsewhere = notes[focus_term, file] = _described_elsewhere(also[focus_term], file)
                text += elsewhere
            line = node_line if pointer is node_pointer else lines(pointer)  # most point at the node
            append(Finding(rule_id, severity, text, file, pointer, line, ctid, focus, prop, value, citation, shape))
        return out

    def _rule_part(self, source: str | None, root: str | None, component: str, path: str | None,
                   message: str | None) -> tuple:
        """(rule id, message, property, citation, shape, is a policy rule, message is a template, what needs
        saying per result: _of_class (the value is the node's class), one of the _NOTES (by rule id) or None) of
        results of one shape."""
        rules, messages = self.shapes.rules, self.shapes.messages
        # A blank-node shape (`sh:property [ … ]`) comes under an IRI the loader gave it, the same on every
        # engine; its results are those of the shapes holding it, up to the nearest named one: the first of
        # them with a rule id is the rule, whichever engine ran and whatever other shapes are loaded.
        chain = self.shapes.holding(source) if source else ()
        held = next((i for i, shape in enumerate(chain) if shape in rules), None)
        rule = rules[chain[held]] if held is not None else None
        if rule is None and not (source or "").startswith("<"):  # blank shapes the loader did not name
            rule = rules.get(root or "")
        if rule is not None and rule.origin != "user":  # ours: the shape's own words, whichever engine ran
            # A rule about a property whose path is rdf:type (STRUCT-DOMAIN) has the node's class as value.
            special = _of_class if rule.about and path == RDF_TYPE else _NOTES.get(rule.id)
            text = rule.message or message or component
            if rule.id == "STRUCT-UNKNOWN-PROPERTY" and path:  # the path is the property: a typo's likely term
                text += _did_you_mean(path.strip("<>"), classes=False)
            return (rule.id, text,
                    _compact(f"<{rule.about}>" if rule.about else path), rule.citation, rule.shape,
                    rule.origin == "policy", False, special)
        # A user's shape: its own sh:message (English first) whichever engine ran, filled in where it is a
        # template ({?value}: pySHACL's wording, else _fill's); several SPARQL constraints: each one's message.
        kind = component.removesuffix("ConstraintComponent")
        # The shape's own sh:message, else the nearest of the shapes holding it (up to the rule's) that has one.
        # The engine's message only for the shape's own template: pySHACL writes its own words for a shape that
        # has none, and fills in a holder's template nowhere (_fill does).
        said = next((i for i, shape in enumerate(chain[: None if held is None else held + 1]) if shape in messages),
                    None)
        declared = messages[chain[said]] if said is not None else rule.message if rule else ""
        if declared:
            # Any {?var} of a SPARQL constraint's SELECT is filled in by the engine, not here.
            text = (message or declared) if _ANY_TEMPLATE.search(declared) and said == 0 else declared
        elif message and kind == "SPARQL":
            text = message
        else:
            text = f"sh:{kind.lower() if kind.isupper() else kind[:1].lower() + kind[1:]} not met"
            text += f" on {_compact(path)}" if path else ""
        template = bool(_TEMPLATE.search(text))
        if rule is None:  # the nearest named shape that holds the one that reported
            return (f"SHACL-{kind}", text, _compact(path), "", (chain[-1] if chain else "").strip("<>") or None, False,
                    template, None)
        return (rule.id, text, _compact(f"<{rule.about}>" if rule.about else path), rule.citation, rule.shape,
                False, template, None)

    def _describing(self, term: str, prop: str, value: str | None, chunk: Chunk) -> tuple | None:
        """Two documents describing one @id make one RDF node; a finding about a property belongs to the
        file that wrote it: the node part of the first description whose object has ``prop`` and, when the
        finding is about a value, whose document has that value (both may write the property)."""
        candidates = []
        for number, located in enumerate(chunk.also[term]):
            node = chunk.described_nodes.get((term, number))
            if node is None:
                node = chunk.described_nodes[term, number] = self._node_part(term, chunk, located)
            if node is not _NOT_DATA and prop in node[0]:
                candidates.append(node)
        if value is not None and len(candidates) > 1:
            for node in candidates:
                conv = node[7]
                if any(o == value for _, _, o in conv.triples):  # the value may sit deeper (a path's end)
                    return node
        return candidates[0] if candidates else None

    def _node_part(self, term: str, chunk: Chunk, located: tuple[Document, str] | None = None) -> tuple:
        """Once per focus node: its JSON object, record CTID, pointer, label, file, the lines of its file,
        whether it is a blank node, its document's conversion and its own line (most findings are about a
        property left out, and point at the node). The strings are shared by all of the node's findings
        (100k records give ~1M findings: memory, not just time)."""
        located = located or chunk.focus.get(term)
        if located is None:
            return _NOT_DATA
        doc, node_pointer = located
        conv = chunk.conversions[doc.index]
        skolem = is_skolem(term)
        obj = _resolve(doc.data, node_pointer)
        lines = chunk.lines.get(doc.file)
        if lines is None:
            lines = chunk.lines[doc.file] = Lines(chunk.text(doc.file), doc.source.unique_keys)
        focus = conv.bnode_labels.get(term) if skolem else term.strip("<>")
        written = obj.get("@id") if isinstance(obj, dict) else None
        if isinstance(written, str) and focus == PYLD_BASE + written:  # a relative @id, as written
            focus = written
        pointer = doc.base + node_pointer
        own = obj.get("ceterms:ctid") if isinstance(obj, dict) else None
        ctid = own if isinstance(own, str) else _ctid_at([doc], pointer)  # a record's own: no walk from the top
        return (obj if isinstance(obj, dict) else {}, ctid, pointer, focus, doc.file, lines, skolem, conv,
                lines(pointer))

    # --- places ----------------------------------------------------------------------------------------
    def _place(self, findings: list[Finding], text_of: Callable[[str], str | None],
               docs: list[Document] | None = None) -> list[Finding]:
        """Fill in line numbers (files given as text) and the CTID of the record each finding is in."""
        docs_by_file: dict[str, list[Document]] = {}
        for doc in self.docs if docs is None else docs:
            docs_by_file.setdefault(doc.file, []).append(doc)
        current, lines = None, Lines(None)  # one file's at a time: 100k files' would not fit
        out = []
        for f in sorted(findings, key=lambda f: f.file):
            if f.rule_id in self.off:
                continue
            line, ctid = f.line, f.ctid
            if line is None:
                if f.file != current:
                    current, lines = f.file, Lines(text_of(f.file))
                line = lines(f.pointer)
            if ctid is None:
                ctid = _ctid_at(docs_by_file.get(f.file, []), f.pointer)
            if line == f.line and ctid == f.ctid:
                out.append(f)
            else:  # positional: dataclasses.replace is slow at 100k findings
                out.append(Finding(f.rule_id, f.severity, f.message, f.file, f.pointer, line, ctid, f.focus,
                                   f.property, f.value, f.source, f.shape))
        return out

    def _reread_texts(self, name: str) -> str | None:
        if len(self._by_name) != len(self.sources):
            self._by_name = {s.name: s for s in self.sources}
        source = self._by_name.get(name)
        return source.read_text() if source is not None else None


_TEMPLATE = re.compile(r"\{[?$](value|this)\}")
_ANY_TEMPLATE = re.compile(r"\{[?$]\w+\}")
_SPARQL = "SPARQLConstraintComponent"
_MIN_COUNT = "MinCountConstraintComponent"


@dataclass(slots=True)
class _Result:
    """What a note on one SHACL result may need besides its message, value and pointer (_NOTES)."""

    value_term: str | None
    value_plain: str | None
    prop: str | None
    obj: dict
    focus: str | None
    chunk: Chunk
    types: dict[str, list[tuple[str, str, str]]]


# What a rule's findings say per result, beyond the rule's message: (message, value, pointer) → the same, noted.
Note = Callable[[str, "str | None", str, _Result], "tuple[str, str | None, str]"]


def _of_class(text: str, value: str | None, pointer: str, r: _Result) -> tuple[str, str | None, str]:
    """A rule about a property whose path is rdf:type (STRUCT-DOMAIN): the value is the node's class, named in
    the message instead."""
    if value is None:
        return text, value, pointer
    return text.replace("this class", _compact(f"<{value}>") or value, 1), None, pointer


def _unknown_class(text: str, value: str | None, pointer: str, r: _Result) -> tuple[str, str | None, str]:
    return (text + _did_you_mean(value, classes=True) if value is not None else text), value, pointer


def _concept(text: str, value: str | None, pointer: str, r: _Result) -> tuple[str, str | None, str]:
    if value is None:
        return text, value, pointer
    return text + (_undefined_prefix(value) or _concept_hint(r.prop, value)), value, pointer


def _datatype(text: str, value: str | None, pointer: str, r: _Result) -> tuple[str, str | None, str]:
    if value is None or not r.prop:
        return text, value, pointer
    return text + big_number_note(r.obj.get(r.prop), r.value_plain), value, pointer  # JSON-LD made a double


def _currency(text: str, value: str | None, pointer: str, r: _Result) -> tuple[str, str | None, str]:
    return (text + _currency_advice(value) if value is not None else text), value, pointer


def _range(text: str, value: str | None, pointer: str, r: _Result) -> tuple[str, str | None, str]:
    return (text + _given_class(r.value_term, r.chunk, r.types) if r.value_term else text), value, pointer


def _ctid_form(text: str, value: str | None, pointer: str, r: _Result) -> tuple[str, str | None, str]:
    return (text + _ctid_form_note(value) if value is not None else text), value, pointer


def _ctid_match(text: str, value: str | None, pointer: str, r: _Result) -> tuple[str, str | None, str]:
    if not r.focus:
        return text, value, pointer
    return f"{text} (its @id ends in {r.focus.rstrip('/').rpartition('/')[2]!r})", value, pointer


def _length(text: str, value: str | None, pointer: str, r: _Result) -> tuple[str, str | None, str]:
    if value is None:
        return text, value, pointer
    given = r.value_plain or value  # the text as given (the value may be shortened)
    padded = ", not counting the spaces around it" if given != given.strip() else ""
    return f"{text} (this one has {len(given.strip())} characters{padded})", value, pointer


def _language_map(text: str, value: str | None, pointer: str, r: _Result) -> tuple[str, str | None, str]:
    if r.value_term and is_skolem(r.value_term):
        # An object, not text: a language map put in a list ([{"en-US": …}]) reads as one (the finding about its
        # key says how to write it).
        return (f"{r.prop} must be a language map such as {{\"en-US\": \"…\"}}: this value is an object JSON-LD "
                "does not read as one"), value, pointer
    if isinstance(r.obj.get(r.prop or ""), dict):
        # A language map that still gave a plain string: its "@none" entry (text with no language).
        return (f"{r.prop} gives this text under \"@none\", with no language: put it under its language tag "
                "instead, as in {\"en-US\": \"…\"}"), value, pointer + "/@none"
    return text, value, pointer


# Rules whose findings say something per result (_from_results), by rule id.
_NOTES: dict[str, Note] = {
    "STRUCT-LANGSTRING": _language_map, "STRUCT-UNKNOWN-CLASS": _unknown_class, "STRUCT-CONCEPT-SCHEME": _concept,
    "RA-DESCRIPTION-MIN-LENGTH": _length, "STRUCT-DATATYPE": _datatype, "VALUE-CURRENCY": _currency,
    "STRUCT-CTID-FORM": _ctid_form, "STRUCT-CTID-MATCHES-ID": _ctid_match, "STRUCT-RANGE": _range,
}


def _given_class(term: str, chunk: Chunk, types: dict[str, list[tuple[str, str, str]]]) -> str:
    """`` (this one is a ceterms:DurationProfile)``: the class of a value a range rule refused (the rule's message
    names the classes the property takes, not the one given). An IRI's classes as pass 1 collected them from
    every document, whichever chunk describes it; a blank node's from its own object, which is in this chunk."""
    if not is_skolem(term):
        names = sorted({name for _, _, cls in types.get(term, ()) if (name := _compact(cls))})
    else:
        located = chunk.focus.get(term)
        node = _resolve(located[0].data, located[1]) if located else None
        names = sorted(crossref.node_types(node)) if isinstance(node, dict) else []
    return f" (this one is a {' and a '.join(names)})" if names else ""


def _ctid_form_note(value: str) -> str:
    """What is wrong with a CTID, where the shape's message only says what a CTID is."""
    if is_ctid(value.strip().lower()):
        return (" (this one has capital letters or spaces around it: write it as "
                f"{value.strip().lower()}, in the @id too)")
    return f" (this one has {len(value)} characters)" if len(value) != 39 else ""


@lru_cache(maxsize=1024)
def _currency_advice(value: str) -> str:
    from ctdl_tools.build.currencies import currency_advice  # here: only a run with this finding reads the table

    return currency_advice(value)


@lru_cache(maxsize=1024)
def _undefined_prefix(value: str) -> str:
    """Why a concept such as "credentialStat:Active" is not in its scheme when the document's @context does not
    define its prefix (the CTDL-ASN context on a credential): the value stayed "credentialStat:Active", an IRI
    of an unknown scheme. Which bundled context does define it, else ""."""
    prefix, sep, local = value.partition(":")
    if not sep or local.startswith("//"):
        return ""
    for url in CONTEXT_URLS:
        if prefix in context_tables(url).prefixes:
            return f" (its prefix {prefix}: is not defined by this document's @context; {url} defines it)"
    return ""


def _as_written(value: str, term: str | None, conv: Conversion) -> str | None:
    """A result's value as the document gives it: a blank node's own label, a relative IRI without pyld's base;
    shortened past LONGEST_VALUE."""
    if term and is_skolem(term):
        value = conv.bnode_labels.get(term)
    elif value.startswith(PYLD_BASE):
        value = value[len(PYLD_BASE):]
    if value is not None and len(value) > LONGEST_VALUE:
        value = shortened(value)
    return value


def _described_elsewhere(descriptions: list[tuple[Document, str]], file: str) -> str:
    """What a finding on a node that several documents describe says of the others: their properties are one
    RDF node's, validated together, so the finding may come from what another file gave."""
    others = sorted({doc.file for doc, _ in descriptions} - {file})
    if not others:
        return ""
    where = ", ".join(others[:3]) + (" …" if len(others) > 3 else "")
    return f" (this node is also described in {where}: what each file gives is validated together)"


@lru_cache(maxsize=1024)
def _concept_hint(prop: str | None, value: str) -> str:
    """What STRUCT-CONCEPT-SCHEME says of a value: the scheme it does belong to, the concept of the right scheme
    with its name, else the scheme's concepts (a few)."""
    vocab = vocabulary()
    allowed = vocab.concepts_for(prop or "")
    if not allowed:
        return ""
    term = vocab.compact(value)
    concept = vocab.concepts.get(term)
    said = f"{term} is a concept of {', '.join(concept.schemes)}" if concept else f"no concept is {term}"
    local = term.rpartition(":")[2].rpartition("/")[2]
    same = vocab.concept_named(prop or "", local)
    if same:
        return f" ({said}; for this property, write {same})"
    by_local = {c.rpartition(":")[2].lower(): c for c in allowed}
    close = difflib.get_close_matches(local.lower(), list(by_local), n=1, cutoff=0.85)
    if close:  # audLevel:BachelorDegreeLevel for audLevel:BachelorsDegreeLevel
        return f" ({said}: did you mean {by_local[close[0]]}?)"
    shown = ", ".join(allowed[:8]) + (f" and {len(allowed) - 8} more" if len(allowed) > 8 else "")
    return f" ({said}; this property takes {shown})"


@lru_cache(maxsize=1024)
def _did_you_mean(iri: str, classes: bool) -> str:
    """": did you mean ceterms:name?" for an unknown property or class the vocabulary has a close match for
    (its case, its prefix or a letter or two wrong), else ""."""
    close = vocabulary().closest(iri, classes=classes, also=_named_classes() if classes else ())
    return f": did you mean {close}?" if close else ""


@lru_cache(maxsize=1)
def _named_classes() -> frozenset[str]:
    """The classes STRUCT-UNKNOWN-CLASS knows besides the vocabulary's own (QData's): a misspelt one is told too."""
    from ctdl_tools.validate.shapes_build import named_classes  # here: only a run with such a finding needs it

    return frozenset(named_classes(vocabulary()))


def _value_pointer(values: list, pointer: str, term: str, plain_value: str | None, conv: Conversion,
                   places: dict[int, dict[str, list[str]]]) -> str:
    """The pointer of the one item of ``values`` (at ``pointer``) a finding's value came from: a node by where the
    converter found it, a string or an object's ``@id`` / ``@value`` / ``ceterms:targetNode`` (a concept in an
    alignment object) by its text, a compact IRI by its local name. ``pointer`` itself when no item, or several,
    match. ``places``: each list's items by text, made once per list (a 4,000-keyword list has 4,000 findings)."""
    node = conv.pointers.get(term)
    if node is not None and node.startswith(pointer + "/"):
        return node
    if plain_value is None:
        return pointer
    index = places.get(id(values))
    if index is None:
        index = places[id(values)] = _item_places(values, pointer)
    tail = plain_value.rpartition("#")[2] if "#" in plain_value else plain_value.rpartition("/")[2]
    found = dict.fromkeys([*index.get(plain_value, ()), *index.get(f"\x00{tail}", ())])
    return next(iter(found)) if len(found) == 1 else pointer


def _item_places(values: list, pointer: str) -> dict[str, list[str]]:
    """Text → the pointers of the items written so: as given, trimmed, and (``\x00`` + local name) for a compact
    IRI ("audLevel:GraduateLevel"), which the RDF value gives expanded."""
    places: dict[str, list[str]] = {}
    for index, item in enumerate(values):
        for key in ("@id", "@value", "ceterms:targetNode") if isinstance(item, dict) else (None,):
            written = item.get(key) if key else item
            if not isinstance(written, str):
                continue
            at = f"{pointer}/{index}" + (f"/{escape_pointer(key)}" if key == "ceterms:targetNode" else "")
            keys = {written, written.strip()}
            _, sep, local = written.partition(":")
            if sep and local and not local.startswith("//"):
                keys.add(f"\x00{local}")
            for text in keys:
                places.setdefault(text, []).append(at)
    return places


def _records_without_ctid(doc: Document) -> int:
    """Top-level nodes that are records but give no CTID (their Violation says so): counted as records, as the
    verdict counts them, though the index (by CTID) cannot hold them."""
    return sum(1 for _, node in doc.nodes
               if not isinstance(node.get("ceterms:ctid"), str) and ("@id" in node or "@type" in node)
               and not str(node.get("@id", "")).startswith("_:"))


def _fill(message: str, value: str | None, focus: str | None) -> str:
    """A SHACL message template's {?value} and {$this}, as pySHACL fills them (the shacl engine does not)."""
    return _TEMPLATE.sub(lambda m: (value if m.group(1) == "value" else focus) or m.group(0), message)


def _pack(findings: list[Finding]) -> list[tuple]:
    """Findings as tuples: pickled to the parent ~3× faster than Finding objects."""
    return [(f.rule_id, f.severity, f.message, f.file, f.pointer, f.line, f.ctid, f.focus, f.property, f.value,
             f.source, f.shape) for f in findings]


def _shard_worker(checker: Checker, first: int, items: list, conn: Any, parent: int) -> None:
    """A forked worker: phase A (read), wait for the merged classes, phase B (SHACL); see _run_in_shards."""
    _die_with_parent(parent)
    try:
        checker.jobs = 1
        checker._read_all(items, first)
        readable = {id(doc) for doc in checker.readable}
        pruned = [doc.data for doc in checker.docs]
        for doc in checker.docs:
            doc.data = {}
        conn.send(("ok", (checker.sources, _pack(checker.findings), checker.docs, pruned,
                          [i for i, doc in enumerate(checker.docs) if id(doc) in readable], checker.index,
                          checker.records, checker.types, checker.described, checker.skipped)))
        del pruned
        checker.findings, checker.docs = [], []
        checker._convert_ahead(f"s{first}", conn.poll)
        checker.readable = []
        checker.types, plan = conn.recv()
        todo, asked = list(plan), False
        while todo or asked:
            if len(todo) <= 1 and not asked:  # ask one chunk ahead: the answer comes while this one runs
                conn.send(("ok", _MORE))
                asked = True
            if todo:
                chunk = todo.pop(0)
                docs = [Document(index, source, base, {}, kind, wrapper, ordinal)
                        for index, source, base, kind, wrapper, ordinal in chunk]
                # Sent chunk by chunk (a worker never holds all its findings), sorted here, in parallel.
                conn.send(("ok", _pack(sort_findings(checker._validate_chunk(docs)))))
            if asked and (not todo or conn.poll()):
                more = conn.recv()
                asked = False
                if more is None:
                    break
                todo.append(more)
        conn.send(("ok", None))
    except BaseException:  # everything goes to the parent, which raises it
        import traceback

        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


_MORE = "more"  # a worker's request for another chunk
HELD_BACK = 0.35  # the share of each worker's chunks kept here and dealt out on request


def _hold_back(plan: list) -> list:
    """The last chunks of a worker's plan, about HELD_BACK of its documents, taken off it (in order)."""
    total, kept = sum(len(chunk) for chunk in plan), 0
    cut = len(plan)
    while cut > 1 and kept + len(plan[cut - 1]) <= HELD_BACK * total:
        cut -= 1
        kept += len(plan[cut])
    held = plan[cut:]
    del plan[cut:]
    return held


def _next_chunk(held: list[list], worker: int) -> list | None:
    """A worker's next chunk: its own held-back one first (it read those documents: they may be converted
    already), else the last of the worker with the most left; None when nothing is left."""
    if held[worker]:
        return held[worker].pop(0)
    other = max(range(len(held)), key=lambda w: sum(len(chunk) for chunk in held[w]))
    return held[other].pop() if held[other] else None


def _cpus() -> int:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(usable, 4))


def _input_files(items: list) -> tuple[int, frozenset[tuple[int, int]]]:
    """The size of the input files (Python objects and stdin count as nothing) and the (device, inode) of
    each (Report.input_ids)."""
    total = 0
    ids: set[tuple[int, int]] = set()
    for item in items:
        if isinstance(item, NamedContent):
            total += len(item.data)
        elif isinstance(item, str) and item != "-":
            try:
                found = os.stat(item)  # one stat, not isfile's and getsize's (10k files: 30 ms)
            except (OSError, ValueError):
                continue
            if stat.S_ISREG(found.st_mode):
                total += found.st_size
                ids.add((found.st_dev, found.st_ino))
    return total, frozenset(ids)


def _die_with_parent(parent: int) -> None:
    """Killed when the parent dies: a worker blocked on its pipe would otherwise live on (its siblings hold
    copies of the parent's ends, so the pipe never closes) and keep open the pipe the command wrote to (a
    `ctdl validate … | wc` never ended)."""
    import signal

    if not die_with_parent(parent, signal.SIGKILL):
        os._exit(1)


class WorkerFailed(RuntimeError):
    """A validation worker process died or raised: the run cannot give a whole report."""


_WORKER_DIED = "a validation worker process died (out of memory?); try --jobs 1"


class _NoWorkers(Exception):
    """A worker process could not be started: the run is made in one process instead."""


def _receive(conn: Any) -> Any:
    try:
        status, payload = conn.recv()
    except EOFError:
        raise WorkerFailed(_WORKER_DIED) from None
    if status != "ok":
        raise WorkerFailed(f"a validation worker failed:\n{payload}")
    return payload


def _send(conn: Any, message: Any) -> None:
    try:
        conn.send(message)
    except (BrokenPipeError, ConnectionResetError):
        raise WorkerFailed(_WORKER_DIED) from None


def _receive_each(pipes: list) -> list:
    """One message from every pipe, read as each comes (a worker waits on its full pipe until it is read),
    returned in the pipes' order."""
    import multiprocessing.connection

    got: dict[int, Any] = {}
    waiting = list(pipes)
    while waiting:
        for conn in multiprocessing.connection.wait(waiting):
            got[pipes.index(conn)] = _receive(conn)
            waiting.remove(conn)  # type: ignore[arg-type]
    return [got[i] for i in range(len(pipes))]


class _Drain:
    """Phase B's findings, taken from the workers' pipes in a thread as they come, and their held-back
    chunks dealt out on request (see Checker._run_in_shards)."""

    def __init__(self, pipes: list, held: list[list]) -> None:
        import threading

        self.pipes, self.held = pipes, held
        self.runs: list[list[Finding]] = []
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = threading.Thread(target=self._run, name="ctdl-validate-findings",
                                                                daemon=True)

    def start(self) -> None:
        try:
            self.thread.start()
        except RuntimeError:  # no thread to be had (a limit on processes): taken in finish(), after the rest
            self.thread = None

    def finish(self) -> list[list[Finding]]:
        """Every worker's findings (sorted runs), once all have finished; a worker's failure is raised here."""
        if self.thread is None:
            self._run()
        else:
            self.thread.join()
        if self.error is not None:
            raise self.error
        return self.runs

    def _run(self) -> None:
        import multiprocessing.connection

        try:
            waiting = list(self.pipes)
            while waiting:  # findings come a chunk at a time, from whichever worker has some
                for conn in multiprocessing.connection.wait(waiting):
                    packed = _receive(conn)
                    if packed is None:
                        waiting.remove(conn)  # type: ignore[arg-type]
                    elif packed == _MORE:
                        _send(conn, _next_chunk(self.held, self.pipes.index(conn)))
                    else:
                        self.runs.append([Finding(*fields) for fields in packed])
        except BaseException as exc:  # handed to the main thread by finish()
            self.error = exc


@lru_cache(maxsize=4096)
def _compact(path: str | None) -> str | None:
    if not path:
        return None
    if path == RDF_TYPE:
        return "@type"
    return vocabulary().compact(path.strip("<>"))


def _resolve(data: Any, pointer: str) -> Any:
    for token in pointer_tokens(pointer):
        if isinstance(data, list):
            data = data[int(token)] if token.isdigit() and int(token) < len(data) else None
        elif isinstance(data, dict):
            data = data.get(token)
        else:
            return None
    return data


def _ctid_at(docs: list[Document], pointer: str) -> str | None:
    """The CTID of the innermost record around ``pointer`` (or the document's main resource)."""
    doc = next((d for d in sorted(docs, key=lambda d: -len(d.base))
                if pointer == d.base or pointer.startswith(d.base + "/")), None)
    if doc is None:
        return None
    inner = pointer[len(doc.base):]
    tokens = pointer_tokens(inner)
    for n in range(len(tokens), -1, -1):
        node = _resolve(doc.data, "".join(f"/{escape_pointer(t)}" for t in tokens[:n]))
        if isinstance(node, dict) and isinstance(node.get("ceterms:ctid"), str):
            return node["ceterms:ctid"]
    main = doc.nodes[0][1] if doc.nodes else {}
    ctid = main.get("ceterms:ctid")
    return ctid if isinstance(ctid, str) else None
