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

# Keys first in every node, in this order; the rest follow alphabetically. CE's own output has no stable
# order, so ours is simply readable and byte-identical across runs.
_LEADING_KEYS = ("@id", "@type", "ceterms:ctid")


def ordered(node: Any) -> Any:
    """A copy of ``node`` with keys in the canonical order, recursively; lists keep their order."""
    if isinstance(node, dict):
        keys = [k for k in _LEADING_KEYS if k in node] + sorted(k for k in node if k not in _LEADING_KEYS)
        return {k: ordered(node[k]) for k in keys}
    if isinstance(node, list):
        return [ordered(v) for v in node]
    return node


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
        return {"@context": self.context, "@id": graph_uri(self.ctid, self.base),
                "@graph": [ordered(node) for node in self.nodes]}

    def to_bytes(self) -> bytes:
        return dumps(self.to_jsonld())


class BlankNodes:
    """Blank-node ids ``_:<uuid>`` that are the same on every run: UUIDv5 of the document and a key."""

    def __init__(self, owner_ctid: str) -> None:
        self._namespace = uuid.uuid5(uuid.NAMESPACE_URL, owner_ctid)
        self._nodes: dict[str, dict] = {}

    def get(self, key: str, make: Any) -> str:
        """The id for ``key``; ``make(id)`` builds the node the first time the key is seen."""
        node_id = f"_:{uuid.uuid5(self._namespace, key)}"
        if key not in self._nodes:
            self._nodes[key] = make(node_id)
        return node_id

    def nodes(self) -> list[dict]:
        return list(self._nodes.values())


def new_resource(ctid: str, type_: str, base: str = REGISTRY_BASE) -> dict[str, Any]:
    return {"@id": resource_uri(ctid, base), "@type": type_, "ceterms:ctid": ctid}
