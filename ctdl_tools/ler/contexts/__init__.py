"""Vendored, hash-pinned JSON-LD contexts for Open Badges 2.0/3.0, CLR 2.0 and Verifiable Credentials.

Every expansion and canonicalisation of an LER goes through :func:`ler_loader`, which serves these files
for their official URLs (plus the CTDL contexts of :mod:`ctdl_tools.vocab.loader`) and refuses every
other URL: verifiers that fetched contexts live broke when purl/w3id hosting failed (OB issues #574,
#616), and a context fetched today may not be the one a credential was signed against.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from ctdl_tools.ler.contexts.pins import CONTEXT_URLS, OB_303_COPIES, OB_303_URL, PINNED_SHA256
from ctdl_tools.vocab.loader import offline_loader

__all__ = [
    "CONTEXT_URLS",
    "PINNED_SHA256",
    "context_bytes",
    "context_document",
    "ler_documents",
    "ler_loader",
    "pin_mismatches",
]


def context_bytes(name: str) -> bytes:
    """The vendored file's bytes, exactly as copied."""
    if name not in PINNED_SHA256:
        raise ValueError(f"no vendored LER context named {name!r}")
    return resources.files(__name__).joinpath(name).read_bytes()


@cache
def context_document(name: str) -> dict:
    return json.loads(context_bytes(name))


def pin_mismatches() -> list[str]:
    """Names of vendored files whose sha256 differs from its pin; empty when all is well."""
    return [name for name, pin in PINNED_SHA256.items()
            if hashlib.sha256(context_bytes(name)).hexdigest() != pin]


def ler_documents(ob_303_copy: str = "validator") -> dict[str, dict]:
    """Official URL -> parsed context, with the chosen copy of the OB 3.0.3 context."""
    if ob_303_copy not in OB_303_COPIES:
        raise ValueError(f"unknown OB 3.0.3 context copy {ob_303_copy!r}; one of {sorted(OB_303_COPIES)}")
    documents = {url: context_document(name) for url, name in CONTEXT_URLS.items()}
    documents[OB_303_URL] = context_document(OB_303_COPIES[ob_303_copy])
    return documents


def ler_loader(ob_303_copy: str = "validator") -> Callable[..., dict[str, Any]]:
    """A pyld ``documentLoader``: bundled CTDL + LER contexts, everything else refused (offline).

    Documents are tagged ``static`` so that a pyld ``ContextResolver`` may keep the processed context
    between calls; that is safe only because each URL always yields the same pinned bytes.
    """
    load = offline_loader(extra=ler_documents(ob_303_copy))

    def load_static(url: str, options: dict | None = None) -> dict[str, Any]:
        document = load(url, options)
        document["tag"] = "static"
        return document

    return load_static
