"""An offline JSON-LD document loader: bundled contexts for their official URLs, nothing else.

pyld fetches remote contexts over HTTP by default. Convert and validate must never open a socket, so
every pyld call in ctdl_tools goes through :func:`offline_loader`, which serves the vendored CTDL and
CTDL-ASN contexts (and any extra documents registered by other stages, e.g. Open Badges contexts) and
refuses every other URL with a clear error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ctdl_tools.vocab.pins import CONTEXT_URLS
from ctdl_tools.vocab.schema import load_context


class RemoteContextRefused(ValueError):
    """A document asked for a context that is not bundled; ctdl_tools never fetches one."""

    def __init__(self, url: str) -> None:
        super().__init__(f"remote JSON-LD context {url!r} is not bundled and will not be fetched (offline)")
        self.url = url


def bundled_documents() -> dict[str, dict]:
    return {url: load_context(name) for url, name in CONTEXT_URLS.items()}


def offline_loader(extra: Mapping[str, dict] | None = None) -> Callable[..., dict[str, Any]]:
    """A pyld ``documentLoader`` serving the bundled contexts (plus ``extra``) and refusing the rest."""
    documents = bundled_documents()
    documents.update(extra or {})

    def load(url: str, options: dict | None = None) -> dict[str, Any]:
        key = url.rstrip("#") if url not in documents else url
        if key not in documents:
            raise RemoteContextRefused(url)
        return {"contextUrl": None, "documentUrl": url, "document": json.loads(json.dumps(documents[key]))}

    return load


def is_bundled_context(url: str) -> bool:
    return url in CONTEXT_URLS


def refusal_in(exc: BaseException) -> RemoteContextRefused | None:
    """The :class:`RemoteContextRefused` behind a pyld error, if that is what stopped it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, RemoteContextRefused):
            return current
        seen.add(id(current))
        cause = getattr(current, "cause", None)
        current = cause if isinstance(cause, BaseException) else current.__cause__ or current.__context__
    return None
