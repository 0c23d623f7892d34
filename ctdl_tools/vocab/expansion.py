"""Does a CTDL document survive JSON-LD expansion with every term intact?

JSON-LD silently drops a key that does not expand to an IRI (a typo such as CE's own
``"ceterms:financialAssistanceType "`` with a trailing space would expand to a broken IRI). Convert
output is checked with this: every key must be a term of the bundled vocabulary and appear, expanded,
in pyld's expansion of the document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pyld import jsonld

from ctdl_tools.vocab.loader import offline_loader
from ctdl_tools.vocab.schema import vocabulary

# Terms used in registry documents that are not rdf:Property nodes of the CTDL/CTDL-ASN encodings.
_EXTRA_TERMS = frozenset({"schema:value", "schema:maxValue", "schema:minValue", "schema:description"})


def _keys(node: Any, language_maps: set[str], path: str = "$") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("@"):
                yield key, f"{path}.{key}"
            if key not in language_maps:  # a language map's keys are language tags, not terms
                yield from _keys(value, language_maps, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _keys(value, language_maps, f"{path}[{i}]")


def _expanded_iris(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("@"):
                found.add(key)
            found |= _expanded_iris(value)
    elif isinstance(node, list):
        for value in node:
            found |= _expanded_iris(value)
    return found


def dropped_terms(document: dict) -> list[str]:
    """JSON paths of keys that are not vocabulary terms or that expansion loses; empty when all is well."""
    vocab = vocabulary()
    expanded = _expanded_iris(jsonld.expand(document, {"documentLoader": offline_loader()}))
    problems = []
    for key, path in _keys(document, vocab.language_maps):
        known = key in vocab.properties or key in _EXTRA_TERMS
        if not known or vocab.expand(key) not in expanded:
            problems.append(path)
    return problems
