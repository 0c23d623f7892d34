"""What every builder needs to know about the whole conversion.

Conversion runs in two passes over the inputs: the first registers every record's CTID, external id
and type (and every framework's competencies) in :class:`BuildContext`, so the second can resolve
references between records in any order — a program naming its courses, a credential naming the
framework it requires — and catch duplicates before anything is written.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

from ctdl_tools.ctid import DEFAULT_NAMESPACE, REGISTRY_BASE, ctid_from_uuid, derive_ctid, resource_uri
from ctdl_tools.errors import Problems, Where


@dataclass
class Indexed:
    ctid: str
    type: str
    name: str
    where: Where


@dataclass
class FrameworkIndex:
    ctid: str
    name: str
    competencies: list[tuple[str, str]] = field(default_factory=list)  # (ctid, competency text)
    keys: list[str] = field(default_factory=list)             # source keys (IDs), same order
    parents: list[list[int]] = field(default_factory=list)    # parent positions, same order

    def subtree(self, position: int) -> list[int]:
        """``position`` and every competency below it, in source order."""
        children: dict[int, list[int]] = {}
        for child, parents in enumerate(self.parents):
            for parent in parents:
                children.setdefault(parent, []).append(child)
        found, todo = {position}, [position]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return sorted(found)

    def find(self, ref: str) -> int | None:
        """The position of a competency named by its CTID or source key."""
        text = ref.strip()
        for position, (ctid, _text) in enumerate(self.competencies):
            if ctid == text.lower() or (position < len(self.keys) and self.keys[position] == text):
                return position
        return None


@dataclass(frozen=True)
class Link:
    """A reference a built document makes to another document of this conversion: where it was written,
    as what, and the target's CTID. Checked once every document is built: a target that failed leaves the
    reference pointing at nothing."""

    where: Where
    written: str
    target: str


class AmbiguousReference(ValueError):
    """An external id that records of several owners use, none of them the referring record's owner."""


@dataclass
class BuildContext:
    namespace: uuid.UUID
    language: str = "en-US"
    owner: str | None = None                 # publishing organization CTID (--owner)
    base: str = REGISTRY_BASE
    problems: Problems = field(default_factory=Problems)
    by_ctid: dict[str, Indexed] = field(default_factory=dict)
    by_external_id: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, ext id) -> first ctid
    # (kind, ext id) -> every ctid with it, only for ids that records of several owners use (two colleges'
    # ENG-101): most ids have one record, kept in by_external_id alone (100k rows: no 100k small dicts)
    shared_ids: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    owner_of: dict[str, str | None] = field(default_factory=dict)  # ctid -> its owner (as record_owner says)
    frameworks: dict[str, FrameworkIndex] = field(default_factory=dict)     # framework ctid -> index
    # hasPart written on programs, resolved after pass 1 into isPartOf on their parts (inverse pairs agree)
    pending_parts: list[tuple[str, list[str], Where]] = field(default_factory=list)
    part_of: dict[str, set[str]] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)  # pass 2: references to documents of this conversion
    # Parts of a written document that failed on their own (a framework's competency without text, left out),
    # by input file: counted with the input's failed items, so that their errors fail the run as a record's do.
    left_out: Counter[str] = field(default_factory=Counter)

    def link(self, where: Where, written: str, target: str) -> None:
        """Note a reference to ``target`` when it is a document of this conversion (see :class:`Link`); a
        competency is not one (it is written inside its framework's)."""
        indexed = self.by_ctid.get(target)
        if indexed is not None and indexed.type != "ceasn:Competency":
            self.links.append(Link(where, written, target))

    def uri(self, ctid: str) -> str:
        return resource_uri(ctid, self.base)

    def ctid_for(self, kind: str, explicit: str | None, key: str | None, owner: str | None = None) -> str | None:
        """The explicit CTID, else ``ce-`` + the key when it is a UUID, else UUIDv5(namespace, kind:key) —
        kind:owner:key with the default namespace and a known owner, so that two providers' "ENG-101"
        are two CTIDs (a namespace of one's own, --ctid-namespace, already keeps them apart)."""
        if explicit:
            return explicit
        if not key:
            return None
        try:
            return ctid_from_uuid(key)
        except ValueError:
            if owner and self.namespace == DEFAULT_NAMESPACE:
                return derive_ctid(self.namespace, f"{kind}:{owner}:{key}")
            return derive_ctid(self.namespace, f"{kind}:{key}")

    def register(self, kind: str, ctid: str, type_: str, name: str, where: Where,
                 external_id: str | None = None, owner: str | None = None) -> bool:
        """Remember a top-level resource; False (and an error) if its CTID is taken, or its external id by
        a record of the same owner (two owners may each have an "ENG-101")."""
        key = (kind, external_id or "")
        if external_id is not None:
            same_owner = next((c for c in self._with_id(key) if self.owner_of.get(c) == owner), None)
            if same_owner is not None:
                first = self.by_ctid[same_owner].where
                self.problems.error(where, f"duplicate external identifier {external_id!r} (first at {first})")
                return False
        if ctid in self.by_ctid:
            first = self.by_ctid[ctid].where
            self.problems.error(where, f"duplicate CTID {ctid} (first at {first})")
            return False
        if external_id is not None:
            if key in self.by_external_id:
                self.shared_ids.setdefault(key, [self.by_external_id[key]]).append(ctid)
            else:
                self.by_external_id[key] = ctid
        self.owner_of[ctid] = owner
        self.by_ctid[ctid] = Indexed(ctid, type_, name, where)
        return True

    def finish_index(self) -> None:
        """After pass 1: turn every program's hasPart into isPartOf on the parts it names."""
        for parent, refs, _where in self.pending_parts:
            for ref in refs:
                try:
                    child = self.lookup(ref, ("learning-opportunity",), self.owner_of.get(parent))
                except AmbiguousReference:
                    child = None  # reported where the program is built (its hasPart reference)
                if child:
                    self.part_of.setdefault(child, set()).add(self.uri(parent))
        self.pending_parts.clear()

    def lookup(self, ref: str, kinds: tuple[str, ...], owner: str | None = None) -> str | None:
        """A CTID for a reference written as a CTID or as an external id of one of ``kinds``: when records of
        several owners use that id, the one of ``owner`` (the referring record's); AmbiguousReference if
        none of them is."""
        text = ref.strip()
        if text.lower() in self.by_ctid:
            return text.lower()
        for kind in kinds:
            ctids = self._with_id((kind, text))
            if len(ctids) == 1:
                return ctids[0]
            mine = [c for c in ctids if self.owner_of.get(c) == owner]
            if mine:
                return mine[0]
            if ctids:
                owners = sorted(str(self.owner_of.get(c)) for c in ctids)
                raise AmbiguousReference(f"{text!r} is the external identifier of records of {len(ctids)} owners "
                                         f"({', '.join(owners)}): write the CTID instead")
        return None

    def _with_id(self, key: tuple[str, str]) -> list[str]:
        """Every registered CTID with this (kind, external id)."""
        shared = self.shared_ids.get(key)
        if shared is not None:
            return shared
        first = self.by_external_id.get(key)
        return [first] if first is not None else []
