"""Lenient matching of human words to CTDL classes and concepts.

Catalog authors write ``Bachelor Degree``, ``bachelor's degree`` or ``BachelorDegree`` for
``ceterms:BachelorDegree``: case, spacing, punctuation and the possessive must not matter, but an unknown
word must never be guessed — it is an error that lists the closest labels.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from functools import cache

from ctdl_tools.vocab.schema import read_data_bytes, vocabulary

_POSSESSIVE = re.compile(r"['’]s\b", re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize_label(text: str) -> str:
    """``"Bachelor's Degree"`` → ``"bachelordegree"``."""
    return _NOT_ALNUM.sub("", _POSSESSIVE.sub("", text.strip()).lower())


class UnknownLabel(ValueError):
    """A word that names no term of the expected kind; ``suggestions`` are the closest labels."""

    def __init__(self, word: str, kind: str, suggestions: list[str]) -> None:
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"unknown {kind} {word!r}{hint}")
        self.word, self.kind, self.suggestions = word, kind, suggestions


class LabelIndex:
    """Maps normalised words (labels, local names, full terms) to terms of one family."""

    def __init__(self, kind: str, entries: Iterable[tuple[str, str]]) -> None:
        self.kind = kind
        self._by_key: dict[str, str] = {}
        self._display: dict[str, str] = {}
        for term, label in entries:
            self._display.setdefault(term, label or term)
            for word in (term, term.partition(":")[2], label):
                if word:
                    self._by_key.setdefault(normalize_label(word), term)
                    # "Bachelors Degree" (possessive written without the apostrophe) names it too.
                    self._by_key.setdefault(_NOT_ALNUM.sub("", word.lower()), term)

    def add_aliases(self, aliases: dict[str, str]) -> None:
        for word, term in aliases.items():
            self._by_key.setdefault(normalize_label(word), term)

    def resolve(self, word: str) -> str:
        key = normalize_label(word)
        # A plural ("Credit Hours", "Certificates") names the same term as its singular.
        term = self._by_key.get(key) or (self._by_key.get(key[:-1]) if key.endswith("s") else None)
        if term is None:
            raise UnknownLabel(word, self.kind, self.suggest(word))
        return term

    def suggest(self, word: str, n: int = 3) -> list[str]:
        labels = {label: term for term, label in self._display.items()}
        keyed = {normalize_label(label): label for label in labels}
        close = difflib.get_close_matches(normalize_label(word), list(keyed), n=n, cutoff=0.5)
        return [keyed[key] for key in close]

    def __contains__(self, word: str) -> bool:
        return normalize_label(word) in self._by_key


@cache
def class_index(root: str) -> LabelIndex:
    """Labels of ``root`` and its subclasses, e.g. every credential type under ``ceterms:Credential``."""
    vocab = vocabulary()
    terms = sorted(vocab.subclasses(root))
    return LabelIndex(f"{vocab.label(root).lower()} type", ((t, vocab.label(t)) for t in terms))


@cache
def concept_index(scheme: str) -> LabelIndex:
    """Labels of the concepts of one concept scheme, e.g. ``ceterms:CredentialStatus``."""
    vocab = vocabulary()
    terms = vocab.concepts_in(scheme)
    index = LabelIndex(f"{vocab.label(scheme).lower()} value", ((t, vocab.label(t)) for t in terms))
    index.add_aliases(_aliases().get(scheme, {}))
    return index


@cache
def _aliases() -> dict[str, dict[str, str]]:
    """Everyday words catalogs use for concepts whose CTDL label differs (data/aliases.json)."""
    raw = json.loads(read_data_bytes("aliases.json"))
    return {scheme: words for scheme, words in raw.items() if not scheme.startswith("_")}
