"""SQLite storage for the local registry: connections, numbered schema migrations, write transactions.

Why SQLite: a registry a state stands up for itself (or a test, or ``ctdl publish`` on a laptop) must
need no database server. WAL mode lets readers run while one writer commits; every write runs inside
``BEGIN IMMEDIATE`` so two publishers never both read "CTID is free" and then both insert (the write
lock is taken before the first read of the transaction), and the unique index on envelopes' main CTIDs is
the backstop should a code path ever forget. ``busy_timeout`` makes a waiting writer queue instead of fail.

Connections: one per thread (``threading.local``). The event-loop thread answers quick reads (a lookup by
CTID, a body already rendered) on its own connection; writes, and reads that parse or render (pages, graphs,
envelopes), run in worker threads, each with its own. SQLite connections must not be shared by threads that use
them at the same time, and opening one per request costs more than the query.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

BUSY_TIMEOUT_MS = 30_000


def utcnow() -> str:
    """A sortable UTC timestamp with microseconds (stored form; see ``envelope.display_time``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- migrations -----------------------------------------------------------------------------------------
# Numbered, applied once each, in order, inside one write transaction with the version row. Never edit a
# released migration: add the next number.

def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Statement by statement: ``executescript`` would COMMIT the migration's transaction first."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    for statement in "\n".join(lines).split(";"):
        if statement.strip():
            db.execute(statement)


def _m1_initial(db: sqlite3.Connection) -> None:
    _run_script(db, """
        CREATE TABLE organizations (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            ctid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE api_keys (
            id INTEGER PRIMARY KEY,
            label TEXT NOT NULL DEFAULT '',
            salt BLOB NOT NULL,
            digest BLOB NOT NULL,
            created_at TEXT NOT NULL
        );
        -- AUTOINCREMENT: ids are never reused, so "newest first" ties break the same way forever.
        CREATE TABLE envelopes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            envelope_id TEXT NOT NULL UNIQUE,
            community TEXT NOT NULL,
            ctid TEXT NOT NULL,
            resource_key TEXT NOT NULL,
            ctdl_type TEXT NOT NULL,
            owner_id INTEGER NOT NULL REFERENCES organizations(id),
            published_by TEXT,
            publish_type TEXT NOT NULL,
            provisional INTEGER NOT NULL DEFAULT 0,
            resource TEXT NOT NULL,
            digest TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_verified_on TEXT NOT NULL
        );
        CREATE UNIQUE INDEX envelopes_community_ctid ON envelopes(community, ctid);
        CREATE INDEX envelopes_resource_key ON envelopes(community, resource_key);
        CREATE INDEX envelopes_owner ON envelopes(owner_id);
        CREATE INDEX envelopes_updated ON envelopes(updated_at DESC, id DESC);
        -- Every node of every stored graph: CTID'd resources (the main one, competencies) and blank nodes.
        CREATE TABLE resources (
            id INTEGER PRIMARY KEY,
            envelope_pk INTEGER NOT NULL REFERENCES envelopes(id) ON DELETE CASCADE,
            community TEXT NOT NULL,
            position INTEGER NOT NULL,
            node_id TEXT NOT NULL,
            ctid TEXT,
            type TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT ''
        );
        CREATE UNIQUE INDEX resources_community_ctid ON resources(community, ctid) WHERE ctid IS NOT NULL;
        CREATE INDEX resources_node_id ON resources(node_id);
        CREATE INDEX resources_envelope ON resources(envelope_pk);
        -- Revisions outlive their envelope (a DELETE removes the envelope row), so no foreign key; each
        -- row carries what is needed to show the envelope as it was.
        CREATE TABLE revisions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            envelope_id TEXT NOT NULL,
            event TEXT NOT NULL,
            ctid TEXT NOT NULL,
            ctdl_type TEXT NOT NULL,
            owned_by TEXT NOT NULL,
            published_by TEXT,
            publish_type TEXT NOT NULL,
            resource TEXT NOT NULL,
            digest TEXT NOT NULL,
            actor TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX revisions_envelope ON revisions(envelope_id, id);
    """)


def _m2_envelope_lookup(db: sqlite3.Connection) -> None:
    # Publishing looks an envelope up by (community, resource @id, owner). With only the owner index, one
    # organization publishing 10k records scanned all of its envelopes per write (15 ms at 10k).
    db.execute("CREATE INDEX envelopes_lookup ON envelopes(community, resource_key, owner_id)")


def _m3_search_terms(db: sqlite3.Connection) -> None:
    # Search found a record by its display name, description or CTID only: not by its course code, its CIP / SOC
    # codes or its name in another language. Existing rows are indexed from the stored documents.
    # The rows are indexed after migration 4, in the same transaction (Store.migrate): what this migration did
    # itself, until migration 4 made every row's terms carry the version that wrote them.
    db.execute("ALTER TABLE resources ADD COLUMN terms TEXT NOT NULL DEFAULT ''")


def _m4_search_terms_version(db: sqlite3.Connection) -> None:
    # Which version of graphdoc.search_terms wrote each row's terms: a later change to what search finds is written
    # into the stored rows when the registry is next opened (Store.migrate), and so are rows an older build writes
    # afterwards (they get the default, 0). Per row: one number for the database would say "current" for those.
    db.execute("ALTER TABLE resources ADD COLUMN terms_version INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE INDEX resources_terms_version ON resources(terms_version)")


def _m5_embedded_ctids(db: sqlite3.Connection) -> None:
    # One CTID per community is unique only as an envelope's main resource, as in Credential Engine's registry
    # (CredentialRegistry db/structure.sql: a unique index on envelopes (community, lower(envelope_ceterms_ctid)),
    # and on envelope_resources only (envelope_id, resource_id)). A learning program's graph that describes its
    # courses in full, each course also published on its own (CE's credential-registry-ingest-examples), was
    # refused here with "Resource CTID must be unique". Lookups by CTID prefer the node that is an envelope's main.
    # ``copy``: 1 on every node of a CTID but the record (service._mark_copies), so search lists each CTID once.
    db.execute("DROP INDEX resources_community_ctid")
    db.execute("CREATE INDEX resources_community_ctid ON resources(community, ctid) WHERE ctid IS NOT NULL")
    db.execute("ALTER TABLE resources ADD COLUMN copy INTEGER NOT NULL DEFAULT 0")


def _m6_node_rows(db: sqlite3.Connection) -> None:
    # A competency's page parsed its whole framework (20 MB for ESCO's 13,939 skills: seconds a page) and built the
    # whole tree to find its own narrower competencies. Each row now holds its node's JSON and the positions of its
    # narrower competencies (graphdoc.competency_children), so the page reads its node, the nodes it names and its
    # children only. NULL: a row written before this migration, or later by an older build; index_missing_nodes
    # fills them when the registry is next opened, and until then the page reads the whole graph, as before.
    # Idempotent: a database taken back to an earlier schema version keeps these columns.
    columns = {row[1] for row in db.execute("PRAGMA table_info(resources)")}
    for column in ("node", "children"):
        if column not in columns:
            db.execute(f"ALTER TABLE resources ADD COLUMN {column} TEXT")
    # By (envelope, position): a page looks its children up by position in its envelope.
    db.execute("DROP INDEX IF EXISTS resources_envelope")
    db.execute("CREATE INDEX IF NOT EXISTS resources_envelope_position ON resources(envelope_pk, position)")
    db.execute("CREATE INDEX IF NOT EXISTS resources_node_missing ON resources(envelope_pk) WHERE node IS NULL")
    # An envelope's digest without reading its document, which the table row stores before it (service.find_node).
    db.execute("CREATE INDEX IF NOT EXISTS envelopes_digest ON envelopes(id, digest)")


def index_missing_nodes(db: sqlite3.Connection) -> None:
    """The node JSON and narrower competencies of every row without them (migration 6), from the stored document,
    an envelope at a time."""
    import json

    from ctdl_tools.registry.server.graphdoc import competency_children, node_json

    envelopes = [row[0] for row in db.execute("SELECT DISTINCT envelope_pk FROM resources WHERE node IS NULL")]
    for pk in envelopes:
        (text,) = db.execute("SELECT resource FROM envelopes WHERE id = ?", (pk,)).fetchone()
        graph = json.loads(text).get("@graph")
        nodes = graph if isinstance(graph, list) else []
        children = competency_children(nodes)
        rows = db.execute("SELECT position, id FROM resources WHERE envelope_pk = ?", (pk,)).fetchall()
        db.executemany("UPDATE resources SET node = ?, children = ? WHERE id = ?",
                       [(node_json(nodes[position] if position < len(nodes) else None),
                         json.dumps(children.get(position, [])), row_id) for position, row_id in rows])


def index_stale_search_terms(db: sqlite3.Connection) -> None:
    """The search terms and description of every envelope with a row the current graphdoc.search_terms did not
    write, written again from the stored document, an envelope at a time."""
    import json

    from ctdl_tools.registry.server.graphdoc import (
        LISTED_DESCRIPTION_CHARS,
        SEARCH_TERMS_VERSION,
        search_terms,
        shown_description,
    )

    envelopes = [row[0] for row in db.execute(
        "SELECT DISTINCT envelope_pk FROM resources WHERE terms_version != ?", (SEARCH_TERMS_VERSION,))]
    for pk in envelopes:
        (text,) = db.execute("SELECT resource FROM envelopes WHERE id = ?", (pk,)).fetchone()
        graph = json.loads(text).get("@graph")
        nodes = graph if isinstance(graph, list) else []
        # By row id: an update per (envelope, position) scanned the envelope's rows each time (a 14k-competency
        # framework took 30 s, inside the start-up lock).
        rows = db.execute("SELECT position, id FROM resources WHERE envelope_pk = ?", (pk,)).fetchall()
        # The description too: what the search list shows changed with the terms (version 3), as index_nodes
        # writes it.
        db.executemany("UPDATE resources SET terms = ?, description = ?, terms_version = ? WHERE id = ?",
                       [(search_terms(nodes[position]), shown_description(nodes[position])[:LISTED_DESCRIPTION_CHARS],
                         SEARCH_TERMS_VERSION, row_id) for position, row_id in rows
                        if position < len(nodes) and isinstance(nodes[position], dict)])


MIGRATIONS: tuple[tuple[int, Callable[[sqlite3.Connection], None]], ...] = (
    (1, _m1_initial),
    (2, _m2_envelope_lookup),
    (3, _m3_search_terms),
    (4, _m4_search_terms_version),
    (5, _m5_embedded_ctids),
    (6, _m6_node_rows),
)


class Store:
    """A registry database file: per-thread connections and write transactions."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._local = threading.local()
        # Every thread's connection, closed by close(); a thread that has ended has its connection closed when the
        # next one opens (anyio ends worker threads idle for 10 s and starts new ones: a server browsed for a day
        # would otherwise hold a connection, and its files, per thread it ever had).
        self._all: dict[threading.Thread, sqlite3.Connection] = {}
        self._lock = threading.Lock()
        self.migrate()

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves. check_same_thread=False only
        # so close() can close every thread's connection at shutdown; each is used by its own thread.
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                             timeout=BUSY_TIMEOUT_MS / 1000)
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")  # durable across app crashes; WAL + NORMAL is SQLite's advice
        db.execute("PRAGMA foreign_keys = ON")
        with self._lock:
            for ended in [thread for thread in self._all if not thread.is_alive()]:
                self._all.pop(ended).close()
            self._all[threading.current_thread()] = db
        return db

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._open()
        return db

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: all of it is committed, or (on any exception) none of it."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for multi-query reads (WAL readers never block writers)."""
        db = self.db
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    def migrate(self) -> None:
        with self.write() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                       "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            done = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
            for version, migration in MIGRATIONS:
                if version not in done:
                    migration(db)
                    db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, utcnow()))
            index_stale_search_terms(db)
            index_missing_nodes(db)

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            for db in self._all.values():
                db.close()
            self._all.clear()
        self._local = threading.local()
