"""The registry's ``API::Entities::Envelope`` JSON (keys and formats as the real server renders them)."""

from __future__ import annotations

import json
from typing import Any

from ctdl_tools.registry.server.service import COMMUNITY, EnvelopeState

PREFIX = "/ce-registry"  # revision URLs carry the community, as in the registry's own envelopes


def display_time(stored: str) -> str:
    """``2017-11-22T02:55:50.123456Z`` → ``2017-11-22 02:55:50 UTC`` (the registry's format)."""
    return f"{stored[:10]} {stored[11:19]} UTC"


def revision_history(state: EnvelopeState) -> list[dict[str, Any]]:
    """Oldest first; the current state (or the revision being shown) is ``head`` and links to the envelope."""
    head = state.head_revision or (state.revisions[-1].id if state.revisions else None)
    base = f"{PREFIX}/envelopes/{state.envelope_id}"
    return [{"head": rev.id == head, "event": rev.event, "created_at": display_time(rev.created_at),
             "actor": rev.actor, "url": base if rev.id == head and state.head_revision is None
             else f"{base}/revisions/{rev.id}"}
            for rev in state.revisions]


def envelope_entity(state: EnvelopeState, *, changed: bool = False, metadata_only: bool = False) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "envelope_community": COMMUNITY,
        "envelope_id": state.envelope_id,
        "envelope_ceterms_ctid": state.ctid,
        "envelope_ctdl_type": state.ctdl_type,
        "envelope_type": "resource_data",
        "envelope_version": "1.0.0",
    }
    if not metadata_only:
        entity["decoded_resource"] = json.loads(state.resource)
    entity |= {
        "resource_format": "json",
        "resource_encoding": "jwt",  # the registry still says "jwt" although resources are plain JSON now
        "publisher_id": None,
        "secondary_publisher_id": None,
        "resource_publish_type": state.publish_type,
        "node_headers": {
            "resource_digest": state.digest,
            "revision_history": revision_history(state),
            "created_at": display_time(state.created_at),
            "updated_at": display_time(state.updated_at),
            "deleted_at": None,
        },
        "owned_by": state.owned_by,
        "published_by": state.published_by,
        "changed": changed,
        "updated_at": display_time(state.updated_at),
        "last_verified_on": state.last_verified_on,
    }
    return entity
