"""JSON-LD credential -> RDF dataset -> RDFC-1.0 canonical N-Quads, offline and with pinned contexts.

pyld does the JSON-LD expansion and RDF conversion (with :func:`ler_loader`, so no context is ever
fetched); :mod:`ctdl_tools.ler.rdfc` does the canonicalization. Expansion also reports what it silently
dropped — keys the ``@context`` does not define and ``@id``/``@type`` values that are not absolute IRIs —
because dropped data is data a signature does not cover (ler.md §0.4, "silent-drop trap").

Speed: pyld re-fetches and re-canonicalizes (JCS) every remote context on every call unless the loader
tags it ``static``; with static tags and a resolver cache private to this module (so no other pyld user
in the process can swap a context under us) expansion is about twice as fast.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from pyld.context_resolver import ContextResolver
from pyld.jsonld import JsonLdError, JsonLdProcessor
from pyld.resolved_context import ResolvedContext

from ctdl_tools.ler.contexts import ler_loader
from ctdl_tools.ler.rdfc import Quad, canonicalize_quads, quads_from_dataset
from ctdl_tools.vocab.loader import refusal_in

_LOADER = ler_loader()
_RESOLVED = LRUCache(maxsize=512)  # bounded: inline contexts in hostile input are cache keys too
_PROCESSED = LRUCache(maxsize=1024)  # (active context uuid, local context, flags) -> processed context
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")  # pyld's own test (jsonld._is_absolute_iri)


class ContextNotBundled(ValueError):
    """The document names a JSON-LD context that is not vendored; it is never fetched."""

    def __init__(self, url: str) -> None:
        super().__init__(f"context {url} not bundled")
        self.url = url


def is_context_not_bundled(reason: str) -> bool:
    """Whether a proof's reason is a :class:`ContextNotBundled`'s message (the credential is UNCHECKED for it)."""
    return reason.startswith("context ") and reason.endswith(" not bundled")


@dataclass(frozen=True)
class Expanded:
    """A document's RDF quads, and what JSON-LD expansion dropped on the way."""

    quads: list[Quad]
    undefined_terms: tuple[str, ...]  # keys the @context does not define ("(null)" for null-mapped)
    relative_iris: tuple[str, ...]  # @id / @type values that are not absolute IRIs: dropped from RDF

    @property
    def dropped(self) -> tuple[str, ...]:
        return self.undefined_terms + self.relative_iris


def _options() -> dict[str, Any]:
    # base None, not "": pyld 3.3 resolves relative IRIs against "http://example.org/base/" when the base
    # is "", inventing triples that jsonld.js (and so every other verifier) drops. With None they stay
    # relative, are dropped from the RDF as in jsonld.js, and show up in Expanded.relative_iris.
    return {"documentLoader": _LOADER, "contextResolver": _Resolver(_RESOLVED, _LOADER), "base": None}


def expand_to_quads(document: Mapping[str, Any]) -> Expanded:
    """Expand ``document`` with the pinned contexts and convert it to RDF quads."""
    if not isinstance(document, Mapping):
        raise ValueError(f"a JSON-LD document must be an object, got {type(document).__name__}")
    processor = _Processor()
    try:
        dataset = processor.to_rdf(dict(document), _options())
    except (JsonLdError, TypeError, ValueError, RecursionError, KeyError, AttributeError, IndexError) as exc:
        # pyld reports most malformed input as JsonLdError but trips over some with Key/Attribute/
        # IndexError; every one of them means "this is not JSON-LD we can canonicalize".
        raise _as_value_error(exc) from None
    return Expanded(quads_from_dataset(dataset), tuple(dict.fromkeys(processor.undefined)),
                    tuple(sorted(set(processor.relative))))


class _Processor(JsonLdProcessor):
    """pyld's processor, recording what expansion drops and memoizing processed contexts."""

    def __init__(self) -> None:
        self.undefined: list[str] = []
        self.relative: list[str] = []
        super().__init__(on_property_dropped=lambda iri: self.undefined.append(iri or "(null)"))

    def expand(self, input_: Any, options: Any) -> Any:
        # to_rdf expands through this method; scan here, before node-map building touches the result.
        expanded = super().expand(input_, options)
        self.relative.extend(_relative_iris(expanded))
        return expanded

    def _process_context(self, active_ctx: dict, local_ctx: Any, options: dict, override_protected: bool = False,
                         propagate: bool = True, validate_scoped: bool = True, cycles: Any = None) -> Any:
        # pyld re-processes every type-scoped context for every node (the clone it makes for
        # propagate=False gets a fresh uuid, so its own cache never hits): ~40% of expansion time.
        # Processing is a pure function of (active context, local context, flags); pyld itself shares
        # processed contexts between calls and never mutates them, so sharing ours is equally safe.
        key = _context_key(active_ctx, local_ctx, (override_protected, propagate, validate_scoped,
                                                   options.get("base"), options.get("processingMode")))
        hit = _PROCESSED.get(key) if key is not None else None
        if hit is None:
            hit = super()._process_context(active_ctx, local_ctx, options, override_protected, propagate,
                                           validate_scoped, cycles)
            if key is not None:
                _PROCESSED[key] = hit
        return hit


class _Resolver(ContextResolver):
    """pyld's resolver keys inline contexts by their JCS form, computed in pure Python on every use;
    ``json.dumps(sort_keys=True)`` is an equally unambiguous key at a tenth of the cost."""

    def resolve(self, active_ctx: Any, context: Any, base: Any, cycles: Any = None) -> list[Any]:
        if isinstance(context, dict) and "@context" in context:
            context = context["@context"]
        resolved: list[Any] = []
        for ctx in context if isinstance(context, list) else [context]:
            key = _json_key(ctx) if isinstance(ctx, dict) else None
            if key is None:
                resolved.extend(super().resolve(active_ctx, ctx, base, cycles))
                continue
            hit = self._get(key)
            if not hit:
                hit = self._cache_resolved_context(key, ResolvedContext(ctx), "static")
            resolved.append(hit)
        return resolved


def _json_key(value: Any) -> str | None:
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_plain)
    except (TypeError, ValueError):
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(type(value).__name__)


def _context_key(active_ctx: dict, local_ctx: Any, flags: tuple[Any, ...]) -> tuple[Any, ...] | None:
    local = _json_key(local_ctx)
    if local is None or not isinstance(active_ctx, dict):
        return None
    if "_uuid" not in active_ctx:
        active_ctx["_uuid"] = str(uuid.uuid1())  # what pyld assigns itself on first processing
    return (active_ctx["_uuid"], local, *flags)


def canonicalize(document: Mapping[str, Any], escaping: str = "rdfc") -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (pinned contexts, offline)."""
    return canonicalize_quads(expand_to_quads(document).quads, escaping)


def _as_value_error(exc: BaseException) -> ValueError:
    refused = refusal_in(exc)
    if refused is not None:
        return ContextNotBundled(refused.url)
    if isinstance(exc, RecursionError):
        return ValueError("JSON-LD processing failed: document nested too deeply")
    return ValueError(f"JSON-LD processing failed: {_innermost_message(exc)}")


def _innermost_message(exc: BaseException) -> str:
    message, seen, current = str(exc), set(), exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, JsonLdError):  # pyld's: its message is its first argument (no .message)
            said = str(current.args[0]) if current.args else type(current).__name__
            message = said + (f" ({current.code})" if current.code else "")
        current = current.__cause__ or getattr(current, "cause", None)
    return message.splitlines()[0] if message else type(exc).__name__


def _relative_iris(node: Any, depth: int = 0) -> list[str]:
    if depth > 200:
        raise ValueError("JSON-LD processing failed: document nested too deeply")
    found: list[str] = []
    if isinstance(node, list):
        for item in node:
            found += _relative_iris(item, depth + 1)
    elif isinstance(node, dict):
        if "@value" not in node:  # in a value object @type is a datatype, checked by to_rdf itself
            found += [iri for iri in _as_list(node.get("@type")) if not _is_absolute(iri)]
        if isinstance(node.get("@id"), str) and not _is_absolute(node["@id"]):
            found.append(node["@id"])
        for key, value in node.items():
            if key not in ("@id", "@type", "@value"):
                found += _relative_iris(value, depth + 1)
    return found


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _is_absolute(iri: str) -> bool:
    return bool(_ABSOLUTE_IRI.match(iri))
