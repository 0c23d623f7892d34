"""API keys: stored salted and hashed, checked in constant time, never logged.

Hash choice: SHA-256 over a per-key random salt and the key. Registry keys are long random tokens
(``new_key`` gives 256 bits), so a slow password hash (scrypt) would add nothing against guessing and
would cost milliseconds on every write; the salt still keeps two databases' hashes of one key apart.
Keys given on the command line (``--api-key``) are hashed the same way and kept only in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass

from ctdl_tools.registry.server.store import Store, utcnow


@dataclass(frozen=True)
class HashedKey:
    salt: bytes
    digest: bytes

    def matches(self, token: str) -> bool:
        return hmac.compare_digest(self.digest, _hash(self.salt, token))


def _hash(salt: bytes, token: str) -> bytes:
    return hashlib.sha256(salt + token.encode("utf-8")).digest()


def hash_key(token: str) -> HashedKey:
    salt = secrets.token_bytes(16)
    return HashedKey(salt, _hash(salt, token))


def new_key() -> str:
    return secrets.token_hex(32)


def token_from_header(header: str | None) -> str | None:
    """``Authorization: <scheme> <token>``: like the registry, only the last word counts."""
    if not header or not header.split():
        return None
    return header.split()[-1]


class KeyRing:
    """Keys from the command line plus keys stored in the database."""

    def __init__(self, store: Store, tokens: tuple[str, ...] | list[str] = ()) -> None:
        self.store = store
        self._memory = [hash_key(t) for t in tokens if t]

    def _stored(self, db: sqlite3.Connection) -> list[HashedKey]:
        rows = db.execute("SELECT salt, digest FROM api_keys")
        return [HashedKey(bytes(r["salt"]), bytes(r["digest"])) for r in rows]

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        # Check every key (no early exit) so timing says nothing about which one matched.
        results = [key.matches(token) for key in self._memory + self._stored(self.store.db)]
        return any(results)

    def add(self, token: str, label: str = "") -> None:
        """Store a key (hashed) in the database: it stays valid across restarts."""
        key = hash_key(token)
        with self.store.write() as db:
            db.execute("INSERT INTO api_keys (label, salt, digest, created_at) VALUES (?, ?, ?, ?)",
                       (label, key.salt, key.digest, utcnow()))
