"""Registry graph documents: one top-level resource, its blank nodes, and deterministic bytes.

The publish format (registry.md §2.6): ``{"@context": <CTDL context URL>, "@id": .../graph/<ctid>,
"@graph": [main resource, blank nodes...]}``. A competency framework is one document: the framework,
then every competency (each with its own CTID).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from ctdl_tools.ctid import REGISTRY_BASE, graph_uri, resource_uri
from ctdl_tools.jsonio import dumps
from ctdl_tools.vocab.pins import CTDL_CONTEXT_URL


@dataclass
class GraphDocument:
    """One publishable document: ``nodes[0]`` is the main resource (or the framework)."""

    ctid: str
    nodes: list[dict] = field(default_factory=list)
    context: str = CTDL_CONTEXT_URL
    base: str = REGISTRY_BASE

    @property
    def main(self) -> dict:
        return self.nodes[0]

    @property
    def type(self) -> str:
        return str(self.main["@type"])

    def to_jsonld(self) -> dict:
        return {"@context": self.context, "@id": graph_uri(self.ctid, self.base), "@graph": self.nodes}

    def to_bytes(self) -> bytes:
        """Keys sorted at every level (``@id`` and ``@type`` sort first); lists keep their order, so the
        main resource stays first in ``@graph``. CE's own output has no stable key order; ours is
        byte-identical across runs."""
        return dumps(self.to_jsonld())


class BlankNodes:
    """Blank-node ids ``_:<uuid>`` that are the same on every run: UUIDv5 of the document and a key."""

    def __init__(self, owner_ctid: str) -> None:
        self._owner = owner_ctid
        self._nodes: dict[str, tuple[str, dict]] = {}

    def get(self, key: str, make: Any) -> str:
        """The id for ``key``; ``make(id)`` builds the node the first time the key is seen."""
        if key not in self._nodes:
            node_id = f"_:{uuid.uuid5(uuid.NAMESPACE_URL, self._owner + '#' + key)}"
            self._nodes[key] = (node_id, make(node_id))
        return self._nodes[key][0]

    def nodes(self) -> list[dict]:
        return [node for _id, node in self._nodes.values()]


def new_resource(ctid: str, type_: str, base: str = REGISTRY_BASE) -> dict[str, Any]:
    return {"@id": resource_uri(ctid, base), "@type": type_, "ceterms:ctid": ctid}
