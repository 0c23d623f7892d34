"""Skill frameworks → one CTDL-ASN graph document each: the framework, then every competency in source order.

Pass 1 (:func:`index_framework`) assigns the CTIDs — the framework's from its CTID or key, each
competency's from its CTID, else ``ce-`` + its key when that is a UUID (CASE identifiers, RSD uuids), else
UUIDv5 of ``<framework key>:<competency key>`` — registers them, resolves the hierarchy and checks it
(duplicate keys and cycles are errors: the framework is not written; unknown parents are warnings and
make top children). Pass 2 (:func:`build_framework`) writes the nodes from that plan.

Output follows the bundled CTDL-ASN context: language maps exactly where it declares ``@container:
@language``, IRIs where it declares ``@type: @id``. Readers' ``extra`` values are checked against the
vocabulary (the property must exist, be in the context and apply to the node's class) and shaped: plain
text for a language-map property is wrapped in the framework's language (readers do not know the run's
default language), and ``{"@key": k}`` names another competency of the framework by key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ctdl_tools.build.context import BuildContext, FrameworkIndex
from ctdl_tools.build.document import GraphDocument, new_resource
from ctdl_tools.build.languages import read_language
from ctdl_tools.catalog.case import KEY_REF
from ctdl_tools.catalog.model import Competency, SkillFramework
from ctdl_tools.catalog.skills_csv import COMPETENCY_ERROR, field_where, is_uuid, reader_notes
from ctdl_tools.ctid import ctid_from_uuid, ctid_in_uri, is_ctid, normalize_ctid
from ctdl_tools.errors import Where
from ctdl_tools.vocab import CTDLASN_CONTEXT_URL, load_context, vocabulary

FRAMEWORK, COMPETENCY = "ceasn:CompetencyFramework", "ceasn:Competency"
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
_PLANS = "_ctdl_framework_plans"


@cache
def asn_terms() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(all terms, language-map terms, IRI-valued terms) of the bundled CTDL-ASN context."""
    context = load_context("ctdlasn_context.json")["@context"]
    terms = {k for k, v in context.items() if isinstance(v, dict)}
    maps = {k for k in terms if context[k].get("@container") == "@language"}
    iris = {k for k in terms if context[k].get("@type") == "@id"}
    return frozenset(terms), frozenset(maps), frozenset(iris)


@dataclass
class _Plan:
    """What pass 1 decided for one framework; pass 2 only writes it."""

    fw: SkillFramework              # held so id(fw) is not reused while the plan lives
    ctid: str | None = None
    ctids: list[str] = field(default_factory=list)        # per competency, source order
    parents: list[list[int]] = field(default_factory=list)
    by_key: dict[str, int] = field(default_factory=dict)
    failed: bool = False


def _plans(ctx: BuildContext) -> dict[int, _Plan]:
    # BuildContext has no slot for per-framework state; keep it on the context so runs never share it.
    return vars(ctx).setdefault(_PLANS, {})


# --- pass 1 ------------------------------------------------------------------------------------------
def index_framework(fw: SkillFramework, ctx: BuildContext) -> None:
    """Assign and register CTIDs, resolve and check the hierarchy, and list the framework in ``ctx``."""
    plans = _plans(ctx)
    if id(fw) in plans:
        return
    plan = plans[id(fw)] = _Plan(fw)
    _Indexer(plan, ctx).run()
    if plan.ctid is not None and ctx.by_ctid.get(plan.ctid) is not None \
            and ctx.by_ctid[plan.ctid].where == fw.where:
        ctx.frameworks[plan.ctid] = FrameworkIndex(
            plan.ctid, fw.name, [(ctid, c.text) for ctid, c in zip(plan.ctids, fw.competencies, strict=True)],
            keys=[c.key for c in fw.competencies], parents=[list(p) for p in plan.parents])


SHOWN_PLACES = 3


def grouped_warnings(notes: list[tuple[Where, str]]) -> dict[tuple[str, str | None], tuple[Where, str]]:
    """(message, column) → (its first place, the warning to give there, naming the others): an RSD collection that
    lists a retired SOC code under 30 of its skills gave 30 lines of the same words (fixing the code fixes them
    all). Grouped by column too: a message that leaves the column to its place ("column not converted") is
    one warning per column."""
    places: dict[tuple[str, str | None], dict[Where, None]] = {}  # ordered sets: a list's `in` was quadratic
    for where, message in notes:
        places.setdefault((message, where.column), {})[where] = None
    return {key: (first, key[0] + _also_at(first, rest)) for key, (first, *rest) in places.items()}


def _also_at(first: Where, rest: list[Where]) -> str:
    """" (also at row 8, row 12 and 3 more)": the other places, each without what it shares with the first (the
    file, the column)."""
    if not rest:
        return ""
    shown = ", ".join(", ".join(part for part in (w.file if w.file != first.file else None,
                                                  f"row {w.row}" if w.row is not None else None, w.path) if part)
                      for w in rest[:SHOWN_PLACES])
    more = f" and {len(rest) - SHOWN_PLACES} more" if len(rest) > SHOWN_PLACES else ""
    return f" (also at {shown}{more})"


class _Indexer:
    def __init__(self, plan: _Plan, ctx: BuildContext) -> None:
        self.plan, self.ctx, self.fw = plan, ctx, plan.fw
        self.by_ctid: dict[str, int] = {}
        self.by_code: dict[str, list[int]] = {}

    def error(self, where: Where, message: str) -> None:
        self.ctx.problems.error(where, message)
        self.plan.failed = True

    def run(self) -> None:
        notes = reader_notes(self.fw)
        warnings = grouped_warnings([(where, message) for severity, where, message in notes if severity == "warning"])
        for severity, where, message in notes:
            if severity == "error":
                self.error(where, message)
            elif severity == COMPETENCY_ERROR:  # that competency is not in the framework: the rest stands
                self.ctx.problems.error(where, message)
                self.ctx.left_out[where.file] += 1
            elif where == warnings[message, where.column][0]:  # said once, where it is first
                self.ctx.problems.warn(*warnings[message, where.column])
        self.framework()
        for index, c in enumerate(self.fw.competencies):
            self.competency(index, c)
        self.plan.parents = [self.resolve(c) for c in self.fw.competencies]
        self.cycles()
        if not self.fw.competencies:
            self.ctx.problems.warn(self.fw.where, "the framework has no competencies")

    def framework(self) -> None:
        fw = self.fw
        try:
            ctid = normalize_ctid(fw.ctid) if fw.ctid else self.ctx.ctid_for("competency-framework", None, fw.key)
        except ValueError as exc:
            self.error(field_where(fw, "ctid"), str(exc))
            ctid = None
        if ctid is None:
            self.plan.failed = True
            return
        self.plan.ctid = ctid
        if not self.ctx.register("competency-framework", ctid, FRAMEWORK, fw.name, fw.where):
            self.plan.failed = True

    def competency(self, index: int, c: Competency) -> None:
        ctid = self.competency_ctid(c)
        self.plan.ctids.append(ctid)
        if not c.text:
            self.error(field_where(c, "text"), "the competency has no text")
        if c.key in self.plan.by_key:
            first = self.fw.competencies[self.plan.by_key[c.key]].where
            self.error(field_where(c, "key"), f"duplicate competency key {c.key!r} in framework {self.fw.name!r} "
                       f"(first at {first})")
            return  # same key, same derived CTID: registering it again would only repeat the error
        self.plan.by_key[c.key] = index
        self.by_ctid.setdefault(ctid, index)
        if c.coded_notation:
            self.by_code.setdefault(c.coded_notation, []).append(index)
        if not self.ctx.register("competency", ctid, COMPETENCY, c.text, c.where):
            self.plan.failed = True

    def competency_ctid(self, c: Competency) -> str:
        if c.ctid:
            try:
                return normalize_ctid(c.ctid)
            except ValueError as exc:
                self.error(field_where(c, "ctid"), str(exc))
        if is_uuid(c.key):
            return ctid_from_uuid(c.key)  # CASE identifiers and RSD uuids are the CTIDs (as CE does)
        if not c.key:
            self.error(c.where, "the competency has no key (ID, code or text)")
        return self.ctx.ctid_for("competency", None, f"{self.fw.key}:{c.key}") or ""

    def find(self, ref: str) -> int | None:
        """A competency by key, CTID (or registry URI) or unique coded notation."""
        if ref in self.plan.by_key:
            return self.plan.by_key[ref]
        ctid = ref.lower() if is_ctid(ref.lower()) else ctid_in_uri(ref)
        if ctid and ctid in self.by_ctid:
            return self.by_ctid[ctid]
        codes = self.by_code.get(ref, [])
        return codes[0] if len(codes) == 1 else None

    def resolve(self, c: Competency) -> list[int]:
        found: list[int] = []
        for ref in c.parents:
            index = self.find(ref.strip())
            if index is None:
                several = len(self.by_code.get(ref.strip(), [])) > 1
                why = "is the code of several competencies" if several else "is not a competency of this framework"
                self.ctx.problems.warn(field_where(c, "parents"), f"parent {ref!r} {why}: ignored"
                                       + ("" if found or len(c.parents) > 1 else "; a top-level competency"))
            elif index not in found:
                found.append(index)
        return found

    def cycles(self) -> None:
        """Every cycle of the parent graph, once, as an error naming its competencies."""
        state = [0] * len(self.plan.parents)  # 0 new, 1 on the stack, 2 done
        reported: set[frozenset[int]] = set()
        for start in range(len(state)):
            if state[start] == 0:
                self.walk(start, state, reported)

    def walk(self, start: int, state: list[int], reported: set[frozenset[int]]) -> None:
        # iterative DFS: deep hierarchies must not hit the recursion limit
        stack: list[tuple[int, int]] = [(start, 0)]
        path: list[int] = [start]
        state[start] = 1
        while stack:
            node, edge = stack[-1]
            parents = self.plan.parents[node]
            if edge == len(parents):
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            stack[-1] = (node, edge + 1)
            parent = parents[edge]
            if state[parent] == 1:
                self.cycle([*path[path.index(parent):], parent], reported)
            elif state[parent] == 0:
                state[parent] = 1
                stack.append((parent, 0))
                path.append(parent)

    def cycle(self, loop: list[int], reported: set[frozenset[int]]) -> None:
        if frozenset(loop) in reported:
            return
        reported.add(frozenset(loop))
        names = " → ".join(_display(self.fw.competencies[i]) for i in loop)
        self.error(field_where(self.fw.competencies[loop[0]], "parents"), f"cyclic competency hierarchy: {names}")


def _display(c: Competency) -> str:
    name = c.coded_notation or c.key
    return repr(name if len(name) <= 60 else name[:57] + "…")


# --- pass 2 ------------------------------------------------------------------------------------------
def build_framework(fw: SkillFramework, ctx: BuildContext) -> GraphDocument | None:
    """The framework's graph document, or None when pass 1 found an error (reported in ``ctx.problems``)."""
    plans = _plans(ctx)
    # a source that reads its file again for pass 2 gives equal, not identical, frameworks
    plan = plans.get(id(fw)) or next((p for p in plans.values() if p.fw.where == fw.where and p.fw.key == fw.key),
                                     None)
    if plan is None:
        index_framework(fw, ctx)
        plan = plans[id(fw)]
    if plan.failed or plan.ctid is None:
        return None
    builder = _Builder(plan, ctx)
    nodes = [builder.framework(), *(builder.competency(i) for i in range(len(fw.competencies)))]
    return GraphDocument(plan.ctid, nodes, context=CTDLASN_CONTEXT_URL, base=ctx.base)


class _Builder:
    def __init__(self, plan: _Plan, ctx: BuildContext) -> None:
        self.plan, self.ctx, self.fw = plan, ctx, plan.fw
        self.lang = self.language()
        self.uri = ctx.uri(plan.ctid or "")
        self.uris = [ctx.uri(ctid) for ctid in plan.ctids]
        self.children: list[list[int]] = [[] for _ in plan.ctids]
        for child, parents in enumerate(plan.parents):
            for parent in parents:
                self.children[parent].append(child)

    def warn(self, where: Where, message: str) -> None:
        self.ctx.problems.warn(where, message)

    def language(self) -> str:
        if not self.fw.language:
            return self.ctx.language
        try:
            code, note = read_language(self.fw.language, self.ctx.language)
        except ValueError as exc:
            self.warn(field_where(self.fw, "language"), f"{exc}; {self.ctx.language} used")
            return self.ctx.language
        if note:
            self.warn(field_where(self.fw, "language"), note)
        return code

    def text(self, value: str | list[str]) -> dict[str, Any]:
        return {self.lang: value}

    def framework(self) -> dict[str, Any]:
        fw = self.fw
        node = new_resource(self.plan.ctid or "", FRAMEWORK, self.ctx.base)
        node["ceasn:name"] = self.text(fw.name)
        if not fw.description:
            self.warn(field_where(fw, "description"), "the framework has no description: its name is used "
                      "(the Registry requires ceasn:description)")
        node["ceasn:description"] = self.text(fw.description or fw.name)
        node["ceasn:inLanguage"] = [self.lang]
        _put(node, "ceasn:publisher", self.publisher())
        _put(node, "ceasn:publisherName", self.text(fw.publisher_name) if fw.publisher_name else None)
        _put(node, "ceasn:source", self.iris([fw.source] if fw.source else [], fw, "source"))
        roots = [self.uris[i] for i, parents in enumerate(self.plan.parents) if not parents]
        _put(node, "ceasn:hasTopChild", roots)
        self.add_extra(node, fw.extra, FRAMEWORK, fw)
        return node

    def publisher(self) -> list[str] | None:
        """The publishing organization: the framework's own, else ``--owner``, else its creator's registry URI."""
        given = (self.fw.publisher or "").strip()
        if given:
            ctid = given.lower() if is_ctid(given.lower()) else ctid_in_uri(given)
            if ctid:
                return self._linked(field_where(self.fw, "publisher"), given, ctid)
            self.warn(field_where(self.fw, "publisher"), f"publisher {given!r} is not an organization CTID or "
                      "registry URI: " + ("--owner used" if self.ctx.owner else "left out"))
        if self.ctx.owner:
            return [self.ctx.uri(self.ctx.owner)]
        for creator in self.fw.extra.get("ceasn:creator") or ():
            ctid = ctid_in_uri(creator) if isinstance(creator, str) else None
            if ctid:  # OSMT names the organization behind a collection this way (a registry URI)
                self.warn(self.fw.where, f"no publisher given: its creator {creator} is taken as the publisher "
                          "(--owner names another)")
                return self._linked(self.fw.where, creator, ctid)
        self.warn(self.fw.where, "no publisher: the Registry requires ceasn:publisher (use --owner)")
        return None

    def _linked(self, where: Where, written: str, ctid: str) -> list[str]:
        self.ctx.link(where, repr(written), ctid)
        return [self.ctx.uri(ctid)]

    def competency(self, index: int) -> dict[str, Any]:
        c = self.fw.competencies[index]
        node = new_resource(self.plan.ctids[index], COMPETENCY, self.ctx.base)
        node["ceasn:competencyText"] = self.text(c.text)
        node["ceasn:isPartOf"] = self.uri
        parents = self.plan.parents[index]
        if parents:
            node["ceasn:isChildOf"] = [self.uris[p] for p in parents]
        else:
            node["ceasn:isTopChildOf"] = self.uri
        _put(node, "ceasn:hasChild", [self.uris[i] for i in self.children[index]])
        _put(node, "ceasn:competencyLabel", self.text(c.label) if c.label else None)
        _put(node, "ceasn:codedNotation", c.coded_notation)
        _put(node, "ceasn:competencyCategory", self.text(c.categories) if c.categories else None)
        _put(node, "ceasn:conceptKeyword", self.text(c.keywords) if c.keywords else None)
        _put(node, "ceasn:exactAlignment", self.iris(c.exact_alignments, c, "exact_alignments"))
        _put(node, "ceasn:comment", self.text(c.comment) if c.comment else None)
        _put(node, "ceasn:listID", c.list_id)
        self.add_extra(node, c.extra, COMPETENCY, c)
        return node

    def iris(self, values: list[str], item: Competency | SkillFramework, name: str) -> list[str]:
        good = []
        for value in values:
            if _IRI.match(value.strip()):
                good.append(value.strip())
            else:
                self.warn(field_where(item, name), f"{value!r} is not a URI: left out")
        return list(dict.fromkeys(good))

    # --- extra properties -----------------------------------------------------------------------------
    def add_extra(self, node: dict[str, Any], extra: dict[str, Any], class_: str,
                  item: Competency | SkillFramework) -> None:
        vocab = vocabulary()
        terms = asn_terms()[0]
        classes = vocab.superclasses(class_)
        for prop, value in extra.items():
            info = vocab.properties.get(prop)
            if info is None or prop not in terms:
                self.warn(item.where, f"{prop} is not a CTDL-ASN term: left out")
                continue
            if not classes & info.domain:
                self.warn(item.where, f"{prop} is not a property of {class_}: left out")
                continue
            shaped = self.shape(prop, value, item)
            if shaped is None:
                continue
            self.merge(node, prop, shaped, item)

    def merge(self, node: dict[str, Any], prop: str, value: Any, item: Competency | SkillFramework) -> None:
        """Extra values add to what the model gave (lists are joined); a different single value loses."""
        old = node.get(prop)
        if old is None:
            node[prop] = value
        elif isinstance(old, list) and isinstance(value, list):
            node[prop] = old + [v for v in value if v not in old]
        elif old != value:
            self.warn(item.where, f"{prop} is given twice: {value!r} left out")

    def shape(self, prop: str, value: Any, item: Competency | SkillFramework) -> Any:
        """``value`` in the form the context asks for ``prop``; None (and a warning) if it cannot be."""
        _, maps, iris = asn_terms()
        if prop in iris:
            return self.iri_values(prop, value, item)
        shaped = self.language_map(value) if prop in maps else value if _is_literal(value) else None
        if shaped is None:
            self.warn(item.where, f"{prop}: {value!r} is not a valid value: left out")
        return shaped

    def language_map(self, value: Any) -> dict[str, Any] | None:
        """Plain text (or a list of it) in the framework's language, or a language map as given."""
        if _is_text(value):
            return self.text(value)
        if isinstance(value, dict) and value and all(isinstance(k, str) and _is_text(v) for k, v in value.items()):
            return value
        return None

    def iri_values(self, prop: str, value: Any, item: Competency | SkillFramework) -> Any:
        values = value if isinstance(value, list) else [value]
        good = [v for v in (self.iri_value(prop, x, item) for x in values) if v is not None]
        if not good:
            return None
        return good if isinstance(value, list) else good[0]

    def iri_value(self, prop: str, value: Any, item: Competency | SkillFramework) -> Any:
        """A URI, a ``{"@key": …}`` reference to a sibling competency, or an embedded node."""
        if isinstance(value, str) and _IRI.match(value.strip()):
            return value.strip()
        if isinstance(value, dict) and set(value) == {KEY_REF}:
            index = self.plan.by_key.get(str(value[KEY_REF]))
            if index is not None:
                return self.uris[index]
            self.warn(item.where, f"{prop}: {value[KEY_REF]!r} is not a competency of this framework: left out")
            return None
        if isinstance(value, dict) and value:
            return self.embedded(value, item)
        self.warn(item.where, f"{prop}: {value!r} is not a URI: left out")
        return None

    def embedded(self, node: dict[str, Any], item: Competency | SkillFramework) -> dict[str, Any] | None:
        """A nested node (e.g. a CredentialAlignmentObject): every key a known term, values shaped."""
        vocab, terms = vocabulary(), asn_terms()[0]
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "@type":
                out[key] = value
            elif key in vocab.properties and key in terms:
                shaped = self.shape(key, value, item)
                if shaped is not None:
                    out[key] = shaped
            else:
                self.warn(item.where, f"{key} is not a CTDL-ASN term: left out")
        return out or None


def _is_text(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, str) for v in value)
    return isinstance(value, str)


def _is_literal(value: Any) -> bool:
    scalar = (str, int, float, bool)
    return isinstance(value, scalar) or (isinstance(value, list) and bool(value)
                                         and all(isinstance(v, scalar) for v in value))


def _put(node: dict[str, Any], prop: str, value: Any) -> None:
    if value is not None and value != [] and value != "":
        node[prop] = value
