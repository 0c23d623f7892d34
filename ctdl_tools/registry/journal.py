"""The publish journal: what was sent where, and what the registry confirmed (SQLite, WAL).

One row per (target, CTID). Every state change is its own transaction, and ``published`` is written
only after the registry confirmed the request, so a run killed at any instant (even ``kill -9``)
leaves rows that are either confirmed or ``pending``/``failed`` — and those are simply sent again
next time, which is safe because the registry updates by ``@id``.

``synchronous=NORMAL`` in WAL mode survives a killed process (committed transactions are in the WAL
file); only a power cut can lose the last commits, and a lost ``published`` mark costs one re-publish.

A journal open for writing is held by one run at a time (an advisory lock on ``<journal>.lock``, released
by the system when the process ends, however it ends): two runs of one folder at once would both find
every record new and both send it all (a CI job triggered twice). The second one stops before it sends.
A run that ends normally removes the lock file; one left by a killed run is unlocked and blocks nothing.

Older versions took a registry URL with a user name and password (``https://user:secret@host/``), and named the
target by it: such a target (or an error message quoting it) is read back as ``https://***@host/``, and stored so
the first time the journal is opened for writing.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ctdl_tools.ctdl_files import is_utf8
from ctdl_tools.errors import InputError, Where
from ctdl_tools.registry.config import redact_userinfo

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; runs are not kept apart there
    fcntl = None  # type: ignore[assignment]

PENDING, PUBLISHED, FAILED, DELETED = "pending", "published", "failed", "deleted"
STATUSES = (PENDING, PUBLISHED, FAILED, DELETED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    target TEXT NOT NULL,
    ctid TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'published', 'failed', 'deleted')),
    digest TEXT,            -- sha256 of the canonical JSON last sent (or being sent)
    published_digest TEXT,  -- digest the registry last confirmed; NULL if never
    envelope_id TEXT,
    org TEXT,
    ctdl_type TEXT,
    source TEXT,            -- the input file (absolute path)
    file_digest TEXT,       -- sha256 of that file's bytes when it was sent: lets a re-run skip parsing
    attempts INTEGER NOT NULL DEFAULT 0,  -- HTTP attempts for the current digest
    last_error TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (target, ctid)
) WITHOUT ROWID;
"""
_COLUMNS = ("target", "ctid", "status", "digest", "published_digest", "envelope_id", "org", "ctdl_type",
            "source", "file_digest", "attempts", "last_error", "updated_at")


@dataclass
class Entry:
    target: str
    ctid: str
    status: str
    digest: str | None
    published_digest: str | None
    envelope_id: str | None
    org: str | None
    ctdl_type: str | None
    source: str | None
    file_digest: str | None
    attempts: int
    last_error: str | None
    updated_at: str


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# File names that are not UTF-8 (Python keeps their bytes as lone surrogates, which SQLite text cannot hold)
# are stored as their bytes in hex after this mark, and read back as the same name.
_BYTES = "\x00bytes:"


def _stored_path(path: str | None) -> str | None:
    return path if path is None or is_utf8(path) else _BYTES + os.fsencode(path).hex()


def _loaded(entry: Entry) -> Entry:
    if entry.source and entry.source.startswith(_BYTES):
        entry.source = os.fsdecode(bytes.fromhex(entry.source[len(_BYTES):]))
    entry.target = redact_userinfo(entry.target)
    entry.last_error = redact_userinfo(entry.last_error)
    return entry


_REDACTED = 1  # the journal's user_version once its stored targets are redacted (Journal._migrate)
class Journal:
    """Used from one thread (the publisher's coordinator); workers never touch it."""

    def __init__(self, path: Path | None, *, readonly: bool = False) -> None:
        """``path`` None: a journal that keeps nothing past the run (in memory)."""
        self.path = path
        self._lock: int | None = None
        self._made: list[Path] = []  # the folders this journal created, deepest first (discard removes them)
        try:
            if path is None:
                self.db = sqlite3.connect(":memory:", isolation_level=None)
                self.db.executescript(_SCHEMA)
                self._select = ", ".join(_COLUMNS)
                return
            if not readonly:
                self._made = _missing_folders(path.parent)
                path.parent.mkdir(parents=True, exist_ok=True)
                self._lock = _hold(path)
            self._open(path, readonly)
        except (OSError, sqlite3.Error) as exc:  # a folder that is a file, a file that is not a database
            self.close()
            self._remove_made()
            raise InputError(Where(str(path)), f"cannot open the publish journal: {exc}") from None
        except InputError:
            self.close()
            self._remove_made()
            raise

    def _open(self, path: Path, readonly: bool) -> None:
        if readonly:
            # Even a read-only connection creates -wal/-shm files. A cleanly closed journal has no WAL
            # (the last connection checkpoints it away), so it can be opened immutable and stay
            # untouched; after a crash the WAL holds committed rows, and mode=ro reads them.
            wal = _wal(path)
            mode = "mode=ro" if wal.exists() else "immutable=1"
            self.db = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True, isolation_level=None)
        else:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self._migrate()
        self.db.execute("PRAGMA busy_timeout=30000")
        present = {row[1] for row in self.db.execute("PRAGMA table_info(records)")}
        # A journal from an older version, opened read-only, lacks new columns: read them as NULL.
        self._select = ", ".join(c if c in present else f"NULL AS {c}" for c in _COLUMNS)

    def _migrate(self) -> None:
        present = {row[1] for row in self.db.execute("PRAGMA table_info(records)")}
        if "file_digest" not in present:
            self.db.execute("ALTER TABLE records ADD COLUMN file_digest TEXT")
        # Once per journal (its user_version says it was done): this version stores no URL password, so the rows
        # need no second look on every run.
        if self.db.execute("PRAGMA user_version").fetchone()[0] < _REDACTED:
            self._redact_stored()
            self.db.execute(f"PRAGMA user_version = {_REDACTED}")

    def _redact_stored(self) -> None:
        """Store redacted the targets (and errors) an older version wrote with a URL's user name and password.
        Two such targets that differ only there become one: the row updated last is kept. ``secure_delete``
        overwrites the old text in the file, not only in the table."""
        rows = self.db.execute("SELECT target, ctid, last_error FROM records WHERE target LIKE '%@%' "
                               "OR last_error LIKE '%@%' ORDER BY updated_at").fetchall()
        changed = [(redact_userinfo(t), redact_userinfo(e), t, c) for t, c, e in rows
                   if (redact_userinfo(t), redact_userinfo(e)) != (t, e)]
        if not changed:
            return
        self.db.execute("PRAGMA secure_delete = ON")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("UPDATE OR REPLACE records SET target = ?, last_error = ? "
                                "WHERE target = ? AND ctid = ?", changed)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        self.db.execute("PRAGMA secure_delete = OFF")

    @classmethod
    def open_for_reading(cls, path: Path) -> Journal | None:
        """The journal without writing anything (for ``--dry-run``); None if there is none yet."""
        return cls(path, readonly=True) if path.is_file() else None

    def close(self) -> None:
        if getattr(self, "db", None) is not None:
            self.db.close()
        if self._lock is not None:
            assert self.path is not None
            _release(self._lock, self.path)
            self._lock = None

    def discard(self) -> None:
        """Close the journal and remove its files (the database, its write-ahead log and shared-memory index),
        releasing the run lock only after: no other run can take the journal between the close and the
        removal (:func:`remove_journal` would take the lock again, after a gap)."""
        if getattr(self, "db", None) is not None:
            self.db.close()
        try:
            if self.path is not None:
                for name in _files(self.path):
                    name.unlink(missing_ok=True)
        finally:
            if self._lock is not None:
                assert self.path is not None
                _release(self._lock, self.path)
                self._lock = None
        self._remove_made()

    def _remove_made(self) -> None:
        """The folders this journal created (``.ctdl/``), if nothing else was put in them."""
        for folder in self._made:
            try:
                folder.rmdir()
            except OSError:  # not empty (the local registry's database, another file): it stays
                break
        self._made = []

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- reads ---------------------------------------------------------------------------------------
    def entries(self, target: str) -> dict[str, Entry]:
        """Every row for ``target`` in one query: a 10k-record re-run must not do 10k lookups."""
        try:
            rows = self.db.execute(f"SELECT {self._select} FROM records WHERE target = ?", (target,))
        except sqlite3.OperationalError:  # a read-only journal created by a newer/older schema
            return {}
        return {row[1]: _loaded(Entry(*row)) for row in rows}

    def is_empty(self) -> bool:
        """No record for any target."""
        try:
            return self.db.execute("SELECT 1 FROM records LIMIT 1").fetchone() is None
        except sqlite3.OperationalError:  # an empty read-only journal: no table
            return True

    def targets(self) -> dict[str, int]:
        """Every target the journal has records for, with how many."""
        try:
            rows = self.db.execute("SELECT target, COUNT(*) FROM records GROUP BY target").fetchall()
        except sqlite3.OperationalError:  # an empty read-only journal: no table
            return {}
        counts: dict[str, int] = {}
        for target, count in rows:
            shown = str(redact_userinfo(target))
            counts[shown] = counts.get(shown, 0) + count
        return counts

    # --- state changes: one transaction each ---------------------------------------------------------
    def mark_pending(self, target: str, ctid: str, digest: str, *, org: str | None, ctdl_type: str | None,
                     source: str | None, file_digest: str | None = None) -> None:
        """Before sending: the content about to go out. Attempts restart when the content changed."""
        self.db.execute(
            """INSERT INTO records (target, ctid, status, digest, org, ctdl_type, source, file_digest, attempts,
                                    updated_at)
               VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, 0, ?)
               ON CONFLICT (target, ctid) DO UPDATE SET
                 status = 'pending',
                 attempts = CASE WHEN records.digest = excluded.digest THEN records.attempts ELSE 0 END,
                 digest = excluded.digest, org = excluded.org, ctdl_type = excluded.ctdl_type,
                 source = excluded.source, file_digest = excluded.file_digest, updated_at = excluded.updated_at""",
            (target, ctid, digest, org, ctdl_type, _stored_path(source), file_digest, _now()))

    def mark_published(self, target: str, ctid: str, digest: str, envelope_id: str | None, attempts: int) -> None:
        """Only after the registry confirmed ``digest``."""
        self.db.execute(
            """UPDATE records SET status = 'published', published_digest = ?, digest = ?, envelope_id = ?,
                 attempts = attempts + ?, last_error = NULL, updated_at = ?
               WHERE target = ? AND ctid = ?""",
            (digest, digest, envelope_id, attempts, _now(), target, ctid))

    def mark_failed(self, target: str, ctid: str, error: str, attempts: int) -> None:
        self.db.execute(
            """UPDATE records SET status = 'failed', last_error = ?, attempts = attempts + ?, updated_at = ?
               WHERE target = ? AND ctid = ?""",
            (error, attempts, _now(), target, ctid))

    def mark_deleted(self, target: str, ctid: str, *, org: str | None = None) -> None:
        self.db.execute(
            """INSERT INTO records (target, ctid, status, org, attempts, updated_at)
               VALUES (?, ?, 'deleted', ?, 0, ?)
               ON CONFLICT (target, ctid) DO UPDATE SET status = 'deleted', published_digest = NULL,
                 last_error = NULL, updated_at = excluded.updated_at""",
            (target, ctid, org, _now()))

    def restore(self, target: str, ctid: str, previous: Entry | None) -> None:
        """Undo :meth:`mark_pending` for a request that never left: the row as it was (``previous``), or none."""
        if previous is None:
            self.db.execute("DELETE FROM records WHERE target = ? AND ctid = ?", (target, ctid))
            return
        values = [getattr(previous, c) for c in _COLUMNS]
        values[_COLUMNS.index("source")] = _stored_path(previous.source)
        self.db.execute(f"INSERT OR REPLACE INTO records ({', '.join(_COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(_COLUMNS))})", values)

    def note_error(self, target: str, ctid: str, error: str) -> None:
        """A failed unpublish: keep the status, remember why."""
        self.db.execute("UPDATE records SET last_error = ?, updated_at = ? WHERE target = ? AND ctid = ?",
                        (error, _now(), target, ctid))


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, deepest first."""
    missing = []
    for each in (folder, *folder.parents):
        if each.exists() or each.is_symlink():
            break
        missing.append(each)
    return missing


def _lock_file(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _hold(path: Path) -> int | None:
    """The journal's run lock, taken without waiting; another run holding it is an InputError naming it."""
    if fcntl is None:
        return None
    lock = _lock_file(path)
    descriptor = _locked(lock, path)
    while not _is_at(descriptor, lock):
        # The run before us removed this file as it finished, after we opened it: a run opening the path
        # now gets a new file, so a lock on this one would exclude nobody. Lock the file at the path.
        os.close(descriptor)
        descriptor = _locked(lock, path)
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    return descriptor


def _locked(lock: Path, journal: Path) -> int:
    """A descriptor of ``lock`` (created if missing) holding its flock; InputError if another run holds it."""
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(descriptor, 32).decode("ascii", "replace").strip()
        os.close(descriptor)
        by = f" (process {holder})" if holder.isdigit() else ""
        raise InputError(Where(str(journal)), f"another ctdl publish or unpublish is using this journal{by}; "
                                              "run again when it has finished") from None
    except OSError:
        os.close(descriptor)
        raise
    return descriptor


def _is_at(descriptor: int, path: Path) -> bool:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (held.st_dev, held.st_ino) == (found.st_dev, found.st_ino)


def _release(descriptor: int, path: Path) -> None:
    """Remove the lock file, then unlock. Removed while still locked: a run that opened this file meanwhile
    finds it gone from the path once it gets the lock (and locks a new one), so two runs never both proceed."""
    try:
        _lock_file(path).unlink(missing_ok=True)
    finally:
        os.close(descriptor)  # releases the lock


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _shm(path: Path) -> Path:
    return path.with_name(path.name + "-shm")


def _files(path: Path) -> tuple[Path, Path, Path]:
    """A journal's database, its write-ahead log and its shared-memory index."""
    return path, _wal(path), _shm(path)


def remove_journal(path: Path) -> None:
    """A journal's files (closed): the database, its write-ahead log and shared-memory index, and a lock file
    left by a killed run. Taken under the run lock; if another run holds it now, the files are that run's."""
    try:
        lock = _hold(path)
    except InputError:
        return
    except OSError:  # no lock file can be made (no folder, read-only): remove what is there, as ever
        lock = None
    try:
        for name in _files(path):
            name.unlink(missing_ok=True)
    finally:
        if lock is not None:
            _release(lock, path)
