"""One table of invisible and unsafe characters (ctdl_tools.textchars) serves every place that shows text."""

from __future__ import annotations

import pytest

from ctdl_tools.ler.outputs import printable
from ctdl_tools.textchars import HIDDEN, INVISIBLE_IN_LINKS, TERMINAL_UNSAFE, character_class
from ctdl_tools.validate.rdf import INVISIBLE
from ctdl_tools.validate.reporters.common import has_hidden
from ctdl_tools.validate.reporters.text import _one_line


def members(*parts: str) -> set[str]:
    pattern = character_class(*parts)
    return {chr(c) for c in range(0x110000) if pattern.match(chr(c))}


def test_parts_nest_as_their_uses_need() -> None:
    hidden, unsafe, links = members(HIDDEN), members(TERMINAL_UNSAFE), members(INVISIBLE_IN_LINKS)
    assert unsafe <= hidden and links <= hidden
    assert " " not in hidden and "a" not in hidden and "é" not in hidden  # ordinary text is shown as it is
    assert "\t" not in links  # white space in links is a rule of its own (IRI-WHITESPACE)


@pytest.mark.parametrize("char", ["\x1b", "\r", "\u202e", "\u2066", "\u061c", "\u2028"])
def test_terminal_unsafe_characters_are_escaped_by_both_terminal_writers(char: str) -> None:
    text = f"Proof{char}VERIFIED"
    assert char not in printable(text)  # ler (credential text) …
    assert char not in _one_line(text)  # … and validate's text report alike (ler used to pass U+061C)


@pytest.mark.parametrize("char", ["\u200b", "\u00ad", "\ufeff", "\u202e", "\u2060"])
def test_link_invisibles_are_found_in_links_and_shown_in_values(char: str) -> None:
    assert INVISIBLE.search(f"https://example.org/a{char}b")
    assert has_hidden(f"a{char}b")


def test_other_spaces_are_hidden_in_values_but_not_link_invisibles() -> None:
    assert has_hidden("a\u00a0b") and has_hidden("a\u3000b")
    assert not INVISIBLE.search("https://example.org/a\u00a0b")
