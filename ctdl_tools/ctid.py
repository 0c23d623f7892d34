"""CTIDs (``ce-`` + lower-case UUID) and Credential Registry URIs.

Deterministic CTIDs are UUIDv5 of a namespace and a stable source key (External Identifier, CASE
identifier, RSD uuid…), so converting the same catalog twice gives the same CTIDs and re-publishing
updates records instead of duplicating them.
"""

from __future__ import annotations

import re
import uuid

CTID_PATTERN = re.compile(r"^ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
REGISTRY_BASE = "https://credentialengineregistry.org"
SANDBOX_BASE = "https://sandbox.credentialengineregistry.org"

# ctdl_tools' default namespace for derived CTIDs; users set their own with --ctid-namespace so two
# organisations converting the same external ids never collide.
DEFAULT_NAMESPACE = uuid.UUID("6f1d2c3e-7a4b-5c8d-9e0f-1a2b3c4d5e6f")


def mint_ctid() -> str:
    return f"ce-{uuid.uuid4()}"


def is_ctid(value: str) -> bool:
    return bool(CTID_PATTERN.match(value))


def normalize_ctid(value: str) -> str:
    """Trim and lower-case a CTID (the registry down-cases them); raise ValueError if malformed."""
    ctid = value.strip().lower()
    if not is_ctid(ctid):
        raise ValueError(f"{value!r} is not a CTID (expected ce- followed by a UUID, 39 characters)")
    return ctid


def namespace_from(text: str | None) -> uuid.UUID:
    """A UUID namespace from ``--ctid-namespace``: a UUID as given, any other text hashed into one."""
    if not text:
        return DEFAULT_NAMESPACE
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, text.strip())


def derive_ctid(namespace: uuid.UUID, key: str) -> str:
    """The same CTID for the same namespace and source key, every time."""
    return f"ce-{uuid.uuid5(namespace, key)}"


def ctid_from_uuid(value: str) -> str:
    """``ce-`` + a source system's own UUID (CASE identifiers, RSD uuids), as Credential Engine does."""
    return f"ce-{uuid.UUID(value.strip())}"


def resource_uri(ctid: str, base: str = REGISTRY_BASE) -> str:
    return f"{base.rstrip('/')}/resources/{ctid}"


def graph_uri(ctid: str, base: str = REGISTRY_BASE) -> str:
    return f"{base.rstrip('/')}/graph/{ctid}"


_URI_CTID = re.compile(r"/(?:resources|graph)/(ce-[0-9a-fA-F-]{36})(?:[/?#]|$)")


def ctid_in_uri(uri: str) -> str | None:
    """The CTID at the end of a registry ``/resources/`` or ``/graph/`` URI, if any."""
    match = _URI_CTID.search(uri)
    return match.group(1).lower() if match else None
