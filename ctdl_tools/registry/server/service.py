"""The registry's operations on the store: publish, delete, look up, list, organizations.

Faithful to the CredentialRegistry server (registry.md §4(a), §5.3): an envelope is found for update by
the document's ``@id`` *and* its owning organization; any other live envelope whose main resource has the
document's main CTID makes the publish a 422 "Resource CTID must be unique" (other nodes' CTIDs may recur in
other graphs: store._m5_embedded_ctids); ``changed`` compares content digests; every create and every content
change is a revision.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ctdl_tools.registry.server import graphdoc
from ctdl_tools.registry.server.store import Store, utcnow

COMMUNITY = "ce_registry"
CTID_NOT_UNIQUE = "Resource CTID must be unique"
ORG_NOT_FOUND = "Organization not found"
ORG_HAS_RESOURCES = "Organization has published resources, can't be removed"


class NotFound(Exception):
    """404 with this message."""


class Unprocessable(Exception):
    """422; ``errors`` is the list placed under ``"errors"``."""

    def __init__(self, errors: list) -> None:
        super().__init__(str(errors))
        self.errors = errors


@dataclass(frozen=True)
class Revision:
    id: int
    event: str
    created_at: str
    actor: str | None


@dataclass
class EnvelopeState:
    """An envelope as stored now, or as it was at one revision."""

    envelope_id: str
    ctid: str
    ctdl_type: str
    owned_by: str
    published_by: str | None
    publish_type: str
    resource: str
    digest: str
    created_at: str
    updated_at: str
    last_verified_on: str
    revisions: list[Revision] = field(default_factory=list)
    head_revision: int | None = None  # set when showing one past revision


@dataclass(frozen=True)
class _Prepared:
    """A document ready to store: its node index, update key, stored text and digest (computed before the
    write transaction, so the lock is held only for the database work)."""

    nodes: list[graphdoc.IndexedNode]
    key: str
    text: str
    digest: str
    provisional: int

    @classmethod
    def of(cls, document: dict, base_url: str) -> _Prepared:
        nodes = graphdoc.index_nodes(document["@graph"])
        ctids = [n.ctid for n in nodes if n.ctid]
        if len(ctids) != len(set(ctids)):  # one CTID on two nodes of the same graph
            raise Unprocessable([[CTID_NOT_UNIQUE]])
        return cls(nodes, graphdoc.resource_key(str(document["@id"]), base_url), graphdoc.stored_form(document),
                   graphdoc.digest(document), int(graphdoc.is_provisional(document)))

    @property
    def ctid(self) -> str:
        return str(self.nodes[0].ctid)

    @property
    def type(self) -> str:
        return self.nodes[0].type


@dataclass(frozen=True)
class PublishResult:
    state: EnvelopeState
    created: bool
    changed: bool


@dataclass(frozen=True)
class NodeHit:
    envelope_pk: int
    position: int
    digest: str


@dataclass(frozen=True)
class NodeRow:
    """One stored node on its own (RegistryService.node_row)."""

    position: int
    node: str  # its JSON
    children: list[int]  # the positions of its narrower competencies
    type: str
    envelope_ctid: str
    context: object  # the graph document's @context (None when it has none)


# The start of a stored document that node_row reads for its @context (stored_form writes it first).
CONTEXT_PREFIX = 4096


def _context(prefix: str) -> tuple[bool, object]:
    """(True, value) of the ``@context`` at the start of a stored document; (False, None) when it is longer than the
    prefix read (an inline context), or not first (a document without one): the caller reads the document."""
    if not prefix.startswith('{"@context":'):
        return False, None
    try:
        value, _ = json.JSONDecoder().raw_decode(prefix, len('{"@context":'))
    except ValueError:
        return False, None
    return True, value


@dataclass(frozen=True)
class Organization:
    uuid: str
    ctid: str
    name: str
    created_at: str


def today() -> str:
    return datetime.now(UTC).date().isoformat()


_ENVELOPE_COLUMNS = """e.id, e.envelope_id, e.ctid, e.ctdl_type, o.ctid AS owned_by, e.published_by,
    e.publish_type, e.resource, e.digest, e.created_at, e.updated_at, e.last_verified_on"""
_ENVELOPE_FROM = "envelopes e JOIN organizations o ON o.id = e.owner_id"


# An organization registered without a name (``ctdl publish`` registers each owner by its CTID) is called by the
# name of its published record, when there is one: the index listed its records as owned by "ce-08c7…".
_OWNER_NAME = ("CASE WHEN o.name != o.ctid THEN o.name ELSE COALESCE((SELECT NULLIF(p.name, '') FROM resources p "
               "WHERE p.community = e.community AND p.ctid = o.ctid "
               "ORDER BY p.position != 0, p.envelope_pk, p.position LIMIT 1), o.name) END")
# A CTID may be a node of several envelopes (store._m5_embedded_ctids): the one that is an envelope's main resource
# is the record, else the first stored; the others are marked ``copy`` (_mark_copies).
# An envelope's digest by its id from an index (store._m6_node_rows): from the table, SQLite reads the row's
# document (stored before the digest) to reach it, 3 ms for a 20 MB framework on every lookup.
_ENVELOPE_DIGESTS = "envelopes e INDEXED BY envelopes_digest"
# By envelope, not row id: an envelope's rows are written again on every update, so "the first stored" by row
# id would hand a CTID's record to another organization's copy whenever the first envelope changed.
_MAIN_FIRST = "r.position != 0, r.envelope_pk, r.position"


class RegistryService:
    def __init__(self, store: Store, base_url: str) -> None:
        self.store = store
        self.base_url = base_url.rstrip("/")

    # --- organizations ---------------------------------------------------------------------------------
    def add_organization(self, ctid: str, name: str | None, *, must_be_new: bool = False) -> Organization:
        ctid = ctid.strip().lower()
        with self.store.write() as db:
            row = db.execute("SELECT * FROM organizations WHERE ctid = ?", (ctid,)).fetchone()
            if row is not None and must_be_new:
                raise Unprocessable(["Organization CTID must be unique"])
            if row is None:
                db.execute("INSERT INTO organizations (uuid, ctid, name, created_at) VALUES (?, ?, ?, ?)",
                           (str(uuid.uuid4()), ctid, name or ctid, utcnow()))
            elif name:
                db.execute("UPDATE organizations SET name = ? WHERE ctid = ?", (name, ctid))
            row = db.execute("SELECT * FROM organizations WHERE ctid = ?", (ctid,)).fetchone()
        return _organization(row)

    def organizations(self) -> list[Organization]:
        return [_organization(r) for r in self.store.db.execute("SELECT * FROM organizations ORDER BY name, ctid")]

    def organization(self, ctid: str) -> Organization | None:
        row = self.store.db.execute("SELECT * FROM organizations WHERE ctid = ?", (ctid.strip().lower(),)).fetchone()
        return _organization(row) if row else None

    def delete_organization(self, ctid: str) -> None:
        with self.store.write() as db:
            row = db.execute("SELECT id FROM organizations WHERE ctid = ?", (ctid.strip().lower(),)).fetchone()
            if row is None:
                raise NotFound(ORG_NOT_FOUND)
            if db.execute("SELECT 1 FROM envelopes WHERE owner_id = ? LIMIT 1", (row["id"],)).fetchone():
                raise Unprocessable([ORG_HAS_RESOURCES])
            db.execute("DELETE FROM organizations WHERE id = ?", (row["id"],))

    # --- publish ---------------------------------------------------------------------------------------
    def publish(self, document: dict, org_ctid: str, *, published_by: str | None = None,
                publish_type: str = "primary", actor: str | None = None) -> PublishResult:
        """Create or update the envelope for ``document`` (already schema-checked) in one transaction."""
        prepared = _Prepared.of(document, self.base_url)
        try:
            return self._publish(prepared, org_ctid, published_by, publish_type, actor)
        except sqlite3.IntegrityError:
            # Unreachable while every write holds BEGIN IMMEDIATE; the unique envelope index is the backstop.
            raise Unprocessable([[CTID_NOT_UNIQUE]]) from None

    def _publish(self, doc: _Prepared, org_ctid: str, published_by: str | None, publish_type: str,
                 actor: str | None) -> PublishResult:
        with self.store.write() as db:
            owner = _org_id(db, org_ctid)
            if published_by is not None:
                published_by = published_by.strip().lower()
                _org_id(db, published_by)
            existing = db.execute("SELECT id, digest FROM envelopes WHERE community = ? AND resource_key = ? "
                                  "AND owner_id = ?", (COMMUNITY, doc.key, owner)).fetchone()
            pk: int | None = existing["id"] if existing else None
            _check_ctid_clash(db, doc.ctid, pk)
            now, changed = utcnow(), existing is None or existing["digest"] != doc.digest
            if pk is None:
                pk = _insert_envelope(db, doc, owner, published_by, publish_type, now)
            elif changed:
                _update_envelope(db, pk, doc, published_by, publish_type, now)
            if changed:
                before = _node_ctids(db, pk)
                _replace_nodes(db, pk, doc.nodes)
                _mark_copies(db, before | {n.ctid for n in doc.nodes if n.ctid})
                _add_revision(db, pk, "create" if existing is None else "update", actor, now)
            state = self._state(db, "e.id = ?", (pk,))
        assert state is not None
        return PublishResult(state, existing is None, changed)

    def delete(self, ctid: str, actor: str | None = None, *, by_org: str | None = None) -> EnvelopeState | None:
        """Remove the envelope (physically, as the registry's DELETE does); its revisions stay.

        ``by_org``: only if that organization owns or published it (checked in the same transaction),
        else :class:`Unprocessable`."""
        with self.store.write() as db:
            state = self._state(db, "e.community = ? AND e.ctid = ?", (COMMUNITY, ctid.strip().lower()))
            if state is None:
                return None
            if by_org is not None and by_org not in (state.owned_by, state.published_by):
                raise Unprocessable([f"{state.ctid} is not owned or published by {by_org}"])
            pk = db.execute("SELECT id FROM envelopes WHERE envelope_id = ?", (state.envelope_id,)).fetchone()[0]
            _add_revision(db, pk, "delete", actor, utcnow())
            before = _node_ctids(db, pk)
            db.execute("DELETE FROM envelopes WHERE id = ?", (pk,))
            _mark_copies(db, before)
        return state

    # --- envelopes -------------------------------------------------------------------------------------
    def _state(self, db: sqlite3.Connection, where: str, args: tuple) -> EnvelopeState | None:
        row = db.execute(f"SELECT {_ENVELOPE_COLUMNS} FROM {_ENVELOPE_FROM} WHERE {where}", args).fetchone()
        if row is None:
            return None
        return _with_revisions(db, [_envelope_state(row)])[0]

    def envelope(self, ident: str) -> EnvelopeState | None:
        """By envelope id (UUID), CTID (any case) or resource URI."""
        ident = ident.strip()
        ctid = graphdoc.ctid_of(ident)
        with self.store.read() as db:
            if ctid:
                return self._state(db, "e.community = ? AND e.ctid = ?", (COMMUNITY, ctid))
            return self._state(db, "e.envelope_id = ?", (ident.lower(),))

    def envelope_at(self, ident: str, revision_id: int) -> EnvelopeState | None:
        """The envelope as it was at one revision (also for envelopes deleted since)."""
        ctid = graphdoc.ctid_of(ident)
        with self.store.read() as db:
            where, args = ("ctid = ?", (ctid,)) if ctid else ("envelope_id = ?", (ident.strip().lower(),))
            row = db.execute(f"SELECT * FROM revisions WHERE id = ? AND {where} AND event != 'delete'",
                             (revision_id, *args)).fetchone()
            if row is None:
                return None
            state = _revision_state(db, row)
        return state

    def envelopes(self, page: int, per_page: int, provisional: str = "include",
                  owner: str | None = None) -> tuple[int, list[EnvelopeState]]:
        """One page, newest (last changed) first, and the total count."""
        where, args = ["e.community = ?"], [COMMUNITY]
        if provisional != "include":
            where.append("e.provisional = ?")
            args.append(1 if provisional == "only" else 0)  # type: ignore[arg-type]
        if owner is not None:
            where.append("o.ctid = ?")
            args.append(owner.strip().lower())
        clause = " AND ".join(where)
        with self.store.read() as db:
            total = db.execute(f"SELECT COUNT(*) FROM {_ENVELOPE_FROM} WHERE {clause}", args).fetchone()[0]
            rows = db.execute(f"SELECT {_ENVELOPE_COLUMNS} FROM {_ENVELOPE_FROM} WHERE {clause} "
                              "ORDER BY e.updated_at DESC, e.id DESC LIMIT ? OFFSET ?",
                              (*args, per_page, (page - 1) * per_page)).fetchall()
            states = _with_revisions(db, [_envelope_state(r) for r in rows])
        return total, states

    # --- resources -------------------------------------------------------------------------------------
    def find_node(self, ident: str) -> NodeHit | None:
        """A node by CTID (any case), registry URI, or exact ``@id`` (blank nodes, self-published ids)."""
        ctid = graphdoc.ctid_of(ident)
        if ctid:
            sql, args = "r.community = ? AND r.ctid = ?", (COMMUNITY, ctid)
        else:
            sql, args = "r.node_id = ?", (ident.strip(),)  # type: ignore[assignment]
        row = self.store.db.execute(
            f"SELECT r.envelope_pk, r.position, e.digest FROM resources r JOIN {_ENVELOPE_DIGESTS} "
            f"ON e.id = r.envelope_pk WHERE {sql} ORDER BY {_MAIN_FIRST} LIMIT 1", args).fetchone()
        return NodeHit(row[0], row[1], row[2]) if row else None

    def resource_text(self, hit: NodeHit) -> str | None:
        """The graph document ``hit`` was found in; None if it was deleted or changed since (a page or a cached
        answer made of the new one under the old digest would show, or keep, another version's node)."""
        row = self.store.db.execute("SELECT resource, digest FROM envelopes WHERE id = ?",
                                    (hit.envelope_pk,)).fetchone()
        return row[0] if row is not None and row[1] == hit.digest else None

    # A node's page and its JSON read its own row and the rows it needs, not the whole graph document (a 13,939-
    # competency framework is 20 MB). Each returns None when a row it needs was written without its node JSON (by an
    # older build, until store.index_missing_nodes fills it): the caller reads the whole document instead.

    def node_row(self, hit: NodeHit) -> NodeRow | None:
        """The node ``hit`` names: its JSON, its type, its narrower competencies, its envelope's CTID, and the
        document's ``@context``. None if the row has no node JSON, or the envelope changed since ``hit`` was found
        (its digest differs: the position may name another node now)."""
        with self.store.read() as db:
            row = db.execute(f"SELECT r.node, r.children, r.type, e.ctid, e.digest FROM resources r "
                             f"JOIN {_ENVELOPE_DIGESTS} ON e.id = r.envelope_pk "
                             f"WHERE r.envelope_pk = ? AND r.position = ?", (hit.envelope_pk, hit.position)).fetchone()
            if row is None or row[0] is None or row[1] is None or row[4] != hit.digest:
                return None
            # The start of the document only: reading the column would read all of it (20 MB).
            with db.blobopen("envelopes", "resource", hit.envelope_pk, readonly=True) as blob:
                prefix = blob.read(CONTEXT_PREFIX).decode("utf-8", "ignore")
        found, context = _context(prefix)
        if not found:
            return None
        return NodeRow(hit.position, row[0], json.loads(row[1]), row[2], row[3], context)

    def envelope_nodes(self, hit: NodeHit, *, positions: Iterable[int] = (), ids: Iterable[str] = (),
                       ctids: Iterable[str] = ()) -> list[tuple[int, str]] | None:
        """(position, node JSON) of the nodes of ``hit``'s envelope at ``positions``, with an ``@id`` in ``ids`` or a
        CTID in ``ctids`` (lower case), in graph order; None if one of them has no node JSON, or the envelope changed
        since ``hit`` was found (its node and these would be two versions')."""
        envelope_pk = hit.envelope_pk
        wanted_positions = list(dict.fromkeys(positions))
        wanted_ids = [i for i in dict.fromkeys(ids) if _json_safe(i)]
        wanted_ctids = list(dict.fromkeys(ctids))  # CTIDs: all _json_safe
        rows: dict[int, str | None] = {}
        # Each by its own index ("+envelope_pk": not by the envelope's, which would read all of its rows).
        lookups = (("envelope_pk = ? AND position", wanted_positions), ("+envelope_pk = ? AND node_id", wanted_ids),
                   ("+envelope_pk = ? AND community = ? AND ctid", wanted_ctids))
        with self.store.read() as db:
            found = db.execute(f"SELECT e.digest FROM {_ENVELOPE_DIGESTS} WHERE e.id = ?", (envelope_pk,)).fetchone()
            if found is None or found[0] != hit.digest:
                return None
            for where, values in lookups:
                if values:
                    args = (envelope_pk, COMMUNITY) if "community" in where else (envelope_pk,)
                    rows.update(db.execute(f"SELECT position, node FROM resources WHERE {where} "
                                           f"IN (SELECT value FROM json_each(?))", (*args, json.dumps(values))))
        if any(node is None for node in rows.values()):
            return None
        return [(position, str(rows[position])) for position in sorted(rows)]

    # existing, nodes_by_id and names look all their items up in one statement, the items passed as one JSON array
    # read with json_each (as _mark_copies): a query per item was 14k queries for a 14k-competency framework, and
    # one parameter per item would meet SQLite's limit on them. Each returns what a query per item returned, in the
    # same order (the items' first occurrences). A string json_each cannot carry whole (_json_safe: a NUL, a lone
    # surrogate) is no CTID; nodes_by_id looks such an @id up on its own.

    def existing(self, ctids: Iterable[str], types: set[str] | None = None) -> list[str]:
        """The CTIDs (deduplicated, in the order given) that name a stored node; with ``types``, only those whose
        record (_MAIN_FIRST) is of one of them."""
        wanted = list(dict.fromkeys(c for c in (graphdoc.ctid_of(str(x)) for x in ctids) if c))  # CTIDs: all _json_safe
        if not wanted:
            return []
        rows = self.store.db.execute(
            f"SELECT w.key, (SELECT r.type FROM resources r WHERE r.community = ? AND r.ctid = w.value "
            f"ORDER BY {_MAIN_FIRST} LIMIT 1) FROM json_each(?) w ORDER BY w.key",
            (COMMUNITY, json.dumps(wanted))).fetchall()
        return [wanted[key] for key, type_ in rows if type_ is not None and (types is None or type_ in types)]

    def nodes_by_id(self, ids: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        """``@id`` → (CTID, name, type) of records stored under an ``@id`` that is not a registry URI (a
        self-published one, such as https://credentialengine.github.io/…/Organization-1.json)."""
        wanted = list(dict.fromkeys(ids))
        grouped = [i for i in wanted if _json_safe(i)]
        # The CTID filtered here, not in SQL: "ctid IS NOT NULL" made SQLite scan the partial CTID index (every
        # record) instead of looking the @id up (57 ms per URL at 50k rows, for every URL on a page).
        nodes: dict[str, list[tuple]] = {}
        if grouped:
            for row in self.store.db.execute(
                    f"SELECT w.key, r.ctid, r.name, r.type FROM json_each(?) w JOIN resources r "
                    f"ON r.node_id = w.value AND r.community = ? ORDER BY w.key, {_MAIN_FIRST}",
                    (json.dumps(grouped), COMMUNITY)):
                nodes.setdefault(grouped[row[0]], []).append(row[1:])
        found: dict[str, tuple[str, str, str]] = {}
        for ident in wanted:
            rows = nodes.get(ident, []) if _json_safe(ident) else self.store.db.execute(
                f"SELECT r.ctid, r.name, r.type FROM resources r WHERE r.node_id = ? AND r.community = ? "
                f"ORDER BY {_MAIN_FIRST}", (ident, COMMUNITY)).fetchall()
            row = next((r for r in rows if r[0]), None)
            if row is not None:
                found[ident] = (row[0], row[1], row[2])
        return found

    def names(self, ctids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """CTID → (name, type) for the registry's nodes, and registered organizations' names."""
        wanted = list(dict.fromkeys(ctids))
        grouped = [c for c in wanted if _json_safe(c)]
        db = self.store.db
        records: dict[str, tuple[str, str]] = {}
        if grouped:
            for key, name, type_ in db.execute(
                    f"SELECT w.key, rec.name, rec.type FROM json_each(?) w JOIN resources rec ON rec.id = "
                    f"(SELECT r.id FROM resources r WHERE r.community = ? AND r.ctid = w.value "
                    f"ORDER BY {_MAIN_FIRST} LIMIT 1)", (json.dumps(grouped), COMMUNITY)):
                if name:
                    records[grouped[key]] = (name, type_)
        # The others by the organization registered under that CTID, as self.organization() finds it.
        unnamed = list(dict.fromkeys(c.strip().lower() for c in grouped if c not in records))
        organizations: dict[str, str] = {}
        if unnamed:
            organizations = {row[0]: row[1] for row in db.execute(
                "SELECT ctid, name FROM organizations WHERE ctid IN (SELECT value FROM json_each(?))",
                (json.dumps(unnamed),))}
        result: dict[str, tuple[str, str]] = {}
        for ctid in grouped:  # a string json_each cannot carry (a NUL in it) is no CTID: nothing is named so
            if ctid in records:
                result[ctid] = records[ctid]
                continue
            key = ctid.strip().lower()
            name = organizations.get(key)
            # Registered without a name (its name is its CTID): says nothing more. Else registered to publish, with
            # no published record to type it.
            if name is not None and name != key:
                result[ctid] = (name, "")
        return result

    def owned(self, org_ctid: str, limit: int, offset: int = 0) -> tuple[int, list[sqlite3.Row]]:
        """The records an organization owns in this registry (its envelopes' main resources), by name: ``limit`` of
        them from ``offset`` on, and how many there are."""
        ctid = org_ctid.strip().lower()
        with self.store.read() as db:
            total = db.execute(f"SELECT COUNT(*) FROM {_ENVELOPE_FROM} WHERE e.community = ? AND o.ctid = ? "
                               "AND e.ctid != o.ctid", (COMMUNITY, ctid)).fetchone()[0]
            rows = db.execute(f"SELECT r.ctid, r.type, r.name FROM {_ENVELOPE_FROM} JOIN resources r "
                              "ON r.envelope_pk = e.id AND r.position = 0 WHERE e.community = ? AND o.ctid = ? "
                              "AND e.ctid != o.ctid ORDER BY r.name, r.ctid LIMIT ? OFFSET ?",
                              (COMMUNITY, ctid, limit, offset)).fetchall()
        return total, rows

    def search(self, query: str, page: int, per_page: int) -> tuple[int, list[sqlite3.Row]]:
        """Main resources and competencies whose name (in any language), other names, codes, description or CTID
        contains ``query``; a registry URI finds the record it names."""
        query = graphdoc.ctid_of(query) or query
        pattern = "%" + query.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where = "r.community = ? AND r.ctid IS NOT NULL"
        args: list = [COMMUNITY]
        if query:
            # terms holds the names, codes and descriptions, case-folded (graphdoc.search_terms).
            where += " AND (r.terms LIKE ? ESCAPE '\\' OR r.ctid LIKE ? ESCAPE '\\') AND r.copy = 0"  # each CTID once
            args += [pattern, pattern]
        else:
            where += " AND r.position = 0"  # without a query, list what was published, not every competency
        with self.store.read() as db:
            total = db.execute(f"SELECT COUNT(*) FROM resources r WHERE {where}", args).fetchone()[0]
            rows = db.execute(
                f"SELECT r.ctid, r.type, r.name, r.description, r.position, o.ctid AS owner, "
                f"{_OWNER_NAME} AS owner_name, "
                f"e.updated_at FROM resources r JOIN envelopes e ON e.id = r.envelope_pk "
                f"JOIN organizations o ON o.id = e.owner_id WHERE {where} "
                f"ORDER BY e.updated_at DESC, r.envelope_pk DESC, r.position LIMIT ? OFFSET ?",
                (*args, per_page, (page - 1) * per_page)).fetchall()
        return total, rows

    def stats(self) -> dict[str, int]:
        db = self.store.db
        return {"envelopes": db.execute("SELECT COUNT(*) FROM envelopes").fetchone()[0],
                "revisions": db.execute("SELECT COUNT(*) FROM revisions").fetchone()[0],
                "organizations": db.execute("SELECT COUNT(*) FROM organizations").fetchone()[0]}


# --- helpers ------------------------------------------------------------------------------------------------
def _organization(row: sqlite3.Row) -> Organization:
    return Organization(row["uuid"], row["ctid"], row["name"], row["created_at"])


def _org_id(db: sqlite3.Connection, ctid: str) -> int:
    row = db.execute("SELECT id FROM organizations WHERE ctid = ?", (ctid.strip().lower(),)).fetchone()
    if row is None:
        raise NotFound(ORG_NOT_FOUND)
    return int(row[0])


def _check_ctid_clash(db: sqlite3.Connection, main_ctid: str, own_pk: int | None) -> None:
    """Another envelope's main resource has this CTID. Other nodes' CTIDs may recur in other envelopes (a course
    described in full in its program's graph and published on its own), as in Credential Engine's registry
    (store._m5_embedded_ctids)."""
    other = db.execute("SELECT id FROM envelopes WHERE community = ? AND ctid = ?", (COMMUNITY, main_ctid)).fetchone()
    if other is not None and other[0] != own_pk:
        # The model's error list inside "errors", as the registry's publish endpoint renders it.
        raise Unprocessable([[CTID_NOT_UNIQUE]])


def _insert_envelope(db: sqlite3.Connection, doc: _Prepared, owner: int, published_by: str | None,
                     publish_type: str, now: str) -> int:
    cursor = db.execute(
        "INSERT INTO envelopes (envelope_id, community, ctid, resource_key, ctdl_type, owner_id, published_by, "
        "publish_type, provisional, resource, digest, created_at, updated_at, last_verified_on) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (str(uuid.uuid4()), COMMUNITY, doc.ctid, doc.key, doc.type, owner, published_by, publish_type,
         doc.provisional, doc.text, doc.digest, now, now, today()))
    return int(cursor.lastrowid)  # type: ignore[arg-type]


def _update_envelope(db: sqlite3.Connection, pk: int, doc: _Prepared, published_by: str | None, publish_type: str,
                     now: str) -> None:
    db.execute("UPDATE envelopes SET ctid = ?, ctdl_type = ?, published_by = ?, publish_type = ?, provisional = ?, "
               "resource = ?, digest = ?, updated_at = ?, last_verified_on = ? WHERE id = ?",
               (doc.ctid, doc.type, published_by, publish_type, doc.provisional, doc.text, doc.digest, now, today(),
                pk))


def _replace_nodes(db: sqlite3.Connection, pk: int, nodes: list[graphdoc.IndexedNode]) -> None:
    db.execute("DELETE FROM resources WHERE envelope_pk = ?", (pk,))
    db.executemany("INSERT INTO resources (envelope_pk, community, position, node_id, ctid, type, name, description, "
                   "terms, terms_version, node, children) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [(pk, COMMUNITY, n.position, n.node_id, n.ctid, n.type, n.name, n.description, n.terms,
                     graphdoc.SEARCH_TERMS_VERSION, n.node, n.children) for n in nodes])


def _node_ctids(db: sqlite3.Connection, pk: int) -> set[str]:
    return {row[0] for row in db.execute("SELECT ctid FROM resources WHERE envelope_pk = ? AND ctid IS NOT NULL",
                                         (pk,))}


def _mark_copies(db: sqlite3.Connection, ctids: Iterable[str]) -> None:
    """For each CTID, every node but the record (an envelope's main node, else the first stored) is a copy: a
    course described in full in its program's graph as well as in its own (store._m5_embedded_ctids).

    One statement for all the CTIDs, passed as one JSON array (a query per CTID was 14k queries on each publish
    and delete of a 14k-competency framework; one parameter per CTID would meet SQLite's limit on them). Only the
    rows whose flag is wrong are written; the record is the first of its CTID's nodes in ``_MAIN_FIRST`` order."""
    wanted = list(dict.fromkeys(ctids))
    if not wanted:
        return
    record = (f"(SELECT r.id FROM resources r WHERE r.community = resources.community AND r.ctid = resources.ctid "
              f"ORDER BY {_MAIN_FIRST} LIMIT 1)")
    db.execute(f"UPDATE resources SET copy = (id != {record}) WHERE community = ? "
               f"AND ctid IN (SELECT value FROM json_each(?)) AND copy IS NOT (id != {record})",
               (COMMUNITY, json.dumps(wanted)))


def _json_safe(value: str) -> bool:
    """``value`` comes out of ``json_each(?)`` as it went in: SQLite's JSON functions end a string at an escaped
    NUL, and a lone surrogate (which binding as text refuses) would come out as something else."""
    if "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _add_revision(db: sqlite3.Connection, pk: int, event: str, actor: str | None, now: str) -> None:
    db.execute("INSERT INTO revisions (envelope_id, event, ctid, ctdl_type, owned_by, published_by, publish_type, "
               "resource, digest, actor, created_at) "
               "SELECT e.envelope_id, ?, e.ctid, e.ctdl_type, o.ctid, e.published_by, e.publish_type, e.resource, "
               "e.digest, ?, ? FROM envelopes e JOIN organizations o ON o.id = e.owner_id WHERE e.id = ?",
               (event, actor, now, pk))


def _envelope_state(row: sqlite3.Row) -> EnvelopeState:
    return EnvelopeState(row["envelope_id"], row["ctid"], row["ctdl_type"], row["owned_by"], row["published_by"],
                         row["publish_type"], row["resource"], row["digest"], row["created_at"], row["updated_at"],
                         row["last_verified_on"])


def _with_revisions(db: sqlite3.Connection, states: list[EnvelopeState]) -> list[EnvelopeState]:
    if not states:
        return states
    by_id = {s.envelope_id: s for s in states}
    marks = ",".join("?" * len(by_id))
    for row in db.execute(f"SELECT id, envelope_id, event, created_at, actor FROM revisions "
                          f"WHERE envelope_id IN ({marks}) AND event != 'delete' ORDER BY id", list(by_id)):
        by_id[row["envelope_id"]].revisions.append(Revision(row["id"], row["event"], row["created_at"], row["actor"]))
    return states


def _revision_state(db: sqlite3.Connection, row: sqlite3.Row) -> EnvelopeState:
    first = db.execute("SELECT created_at FROM revisions WHERE envelope_id = ? ORDER BY id LIMIT 1",
                       (row["envelope_id"],)).fetchone()[0]
    state = EnvelopeState(row["envelope_id"], row["ctid"], row["ctdl_type"], row["owned_by"], row["published_by"],
                          row["publish_type"], row["resource"], row["digest"], first, row["created_at"],
                          row["created_at"][:10], head_revision=row["id"])
    return _with_revisions(db, [state])[0]
