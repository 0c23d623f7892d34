"""A number as an Excel number format shows it, for the digit-only formats codes are kept in.

A CIP code typed into Excel is a number: ``01.0101`` is stored as 1.0101 and ``11.0700`` as 11.07, and only
the cell's number format (``00.0000``) shows the digits the provider typed. Formats of zero placeholders,
one decimal point and literal text (``00.0000``, ``00.00``, ``00-0000``, ``0000``, ``00\\-0000``) are read
here; any other (General, ``#,##0``, dates, percentages, conditions) gives None, and the caller keeps the
number as it reads without a format.
"""

from __future__ import annotations

import math
from decimal import Decimal
from functools import lru_cache

DIGIT = None  # a placeholder in a parsed format; literal text is a str
Tokens = list[str | None]
Parsed = tuple[Tokens, Tokens | None]  # (whole part, fraction part: None without a decimal point)
_PLAIN_LITERALS = "- ()"  # shown as written without quotes or a backslash
_TOLERANCE = Decimal("1e-9")  # a stored 11.070100000000002 is the 11.0701 that was typed


def shown_digits(value: int | float, number_format: str) -> str | None:
    """``value`` as ``number_format`` shows it (1.0101, ``00.0000`` → ``01.0101``), or None when the format
    is not one of zeros and literals, or would hide digits the cell holds (11.0701 as ``00.00``)."""
    parsed = parse_format(number_format)
    if parsed is None or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        return None
    whole, fraction = parsed
    places = fraction.count(DIGIT) if fraction is not None else 0
    exact = Decimal(repr(value))
    rounded = exact.quantize(Decimal(1).scaleb(-places))
    if abs(rounded - exact) > _TOLERANCE * max(1, abs(exact)):
        return None
    whole_digits, _, fraction_digits = f"{rounded:f}".partition(".")
    whole_digits = whole_digits.lstrip("0").rjust(whole.count(DIGIT), "0")
    shown = _fill(whole, whole_digits)
    return shown if fraction is None else shown + "." + _fill(fraction, fraction_digits)


@lru_cache(maxsize=256)
def parse_format(number_format: str) -> Parsed | None:
    """The first section of a digits-only format as placeholders and literals, or None for any other (cached:
    the lists are shared, not to be changed)."""
    whole: Tokens = []
    fraction: Tokens | None = None
    text, i = number_format, 0
    while i < len(text) and text[i] != ";":
        char = text[i]
        part = whole if fraction is None else fraction
        if char == "0":
            part.append(DIGIT)
        elif char == "." and fraction is None:
            fraction = []
        elif char == "\\" and i + 1 < len(text):
            i += 1
            part.append(text[i])
        elif char == '"':
            end = text.find('"', i + 1)
            if end < 0:
                return None
            part.append(text[i + 1:end])
            i = end
        elif char in _PLAIN_LITERALS:
            part.append(char)
        else:
            return None
        i += 1
    return (whole, fraction) if DIGIT in whole else None


def _fill(tokens: Tokens, digits: str) -> str:
    """Digits into the placeholders, in order; digits beyond the placeholders go before the first (Excel's
    ``00`` shows 123 as 123)."""
    slots = tokens.count(DIGIT)
    extra, rest = digits[: len(digits) - slots], iter(digits[len(digits) - slots:])
    out = []
    for token in tokens:
        if token is DIGIT:
            out.append(extra + next(rest))
            extra = ""
        else:
            out.append(token)
    return "".join(out)
