"""Characters a reader cannot see, or that change how the text after them shows: one table, named parts.

Catalogs, registry records and credentials are untrusted text that reaches terminals, reports and links.
Each use needs a different part of this table, so the parts are named here once and the patterns that use
them are built from them (they used to be four hand-written sets that drifted apart):

* :data:`TERMINAL_UNSAFE`: what must not reach a terminal as it is (it moves the cursor, rewrites a line,
  or reorders what follows): C0/C1 controls, bidi controls, line and paragraph separators.
* :data:`INVISIBLE_IN_LINKS`: format characters that make a link lead elsewhere than it reads (zero-width,
  bidi, soft hyphen, BOM); white space in links is a separate rule.
* :data:`HIDDEN`: everything a reader cannot see in a printed value (the union, and spaces other than
  U+0020, and lone surrogates), for showing values escaped, and every other text of the data in a
  validation report (names, messages, pointers, file names: ``validate.reporters.common.visible``).

Ranges are written for a regular expression character class (``[...]``).
"""

from __future__ import annotations

import re

CONTROLS = "\x00-\x1f\x7f-\x9f"  # C0 (tab, LF and CR among them), DEL, C1
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # marks, embeddings, overrides, isolates
# The bidi controls that reorder strong characters too (embeddings, overrides, isolates): in a page, one of
# them in a name shows "ytisrevinU" as "University" and runs on into what follows. The marks (ALM, LRM, RLM)
# only place neutral characters, and right-to-left text uses them: pages keep those.
BIDI_REORDERING = "\u202a-\u202e\u2066-\u2069"
LINE_SEPARATORS = "\u2028\u2029"
# Zero-width and other format characters: soft hyphen, Mongolian vowel separator, ZWSP/ZWNJ/ZWJ, word joiner
# and invisible operators (with the unassigned U+2065 between them), deprecated format controls, BOM.
FORMAT_CHARACTERS = "\u00ad\u180e\u200b-\u200d\u2060-\u2065\u206a-\u206f\ufeff"
# Spaces that look like U+0020 or like nothing: no-break, Hangul fillers, the typographic spaces, narrow
# no-break, medium mathematical, ideographic.
OTHER_SPACES = "\xa0\u115f\u1160\u2000-\u200a\u202f\u205f\u3000\u3164"
ANNOTATION_MARKS = "\ufff9-\ufffb"  # interlinear annotation anchors
SURROGATES = "\ud800-\udfff"  # only lone ones reach a str (a JSON "\ud800")

TERMINAL_UNSAFE = CONTROLS + BIDI_CONTROLS + LINE_SEPARATORS
INVISIBLE_IN_LINKS = FORMAT_CHARACTERS + BIDI_CONTROLS
HIDDEN = (CONTROLS + BIDI_CONTROLS + LINE_SEPARATORS + FORMAT_CHARACTERS + OTHER_SPACES + ANNOTATION_MARKS
          + SURROGATES)


def character_class(*parts: str) -> re.Pattern[str]:
    """A pattern matching one character of any of ``parts``."""
    return re.compile(f"[{''.join(parts)}]")


_REORDERING = character_class(BIDI_REORDERING)


def page_text(value: object) -> object:
    """A value as an HTML page shows it (a Jinja ``finalize``): in text, each bidi control that would reorder
    letters written as ``\\u202e`` (as the validation report shows it), so a page cannot be made to show a
    name other than the one written; anything else unchanged. Markup stays markup (the escape adds no
    character HTML treats specially)."""
    if isinstance(value, str) and _REORDERING.search(value):
        shown = _REORDERING.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
        return shown if type(value) is str else type(value)(shown)
    return value

