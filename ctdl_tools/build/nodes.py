"""Small CTDL node builders shared by every converter: language maps, concept and code alignments,
durations, money, dates, URLs and booleans.

Each parser takes the user's text and either returns the CTDL value or raises ``ValueError`` with a
message fit to show after the cell's location.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from ctdl_tools.build.currencies import split_currency_sign
from ctdl_tools.vocab import concept_index, vocabulary

CAO = "ceterms:CredentialAlignmentObject"
CTDL_TERMS_PAGE = "https://credreg.net/ctdl/terms/"


def lang_map(value: str | list[str], language: str) -> dict[str, Any]:
    """``{"en-US": "text"}``, or ``{"en-US": ["a", "b"]}`` for several values."""
    return {language: value}


def resolve_concept(prop: str, word: str) -> str:
    """The concept of ``prop``'s target scheme named by ``word`` (label, local name or ``prefix:Term``).

    Raises :class:`ctdl_tools.vocab.UnknownLabel` (a ValueError) listing the closest labels.
    """
    scheme = vocabulary().scheme_of(prop)
    if scheme is None:
        raise ValueError(f"{prop} has no concept scheme")
    return concept_index(scheme).resolve(word)


@lru_cache(maxsize=4096)
def concept_alignment(prop: str, concept: str, language: str) -> dict[str, Any]:
    """The CredentialAlignmentObject registry records use for a concept value (registry.md §2.6).

    Cached: the same dict is shared by every record that uses the concept, so treat it as read-only.
    """
    vocab = vocabulary()
    scheme = vocab.scheme_of(prop) or vocab.concepts[concept].schemes[0]
    scheme_name = scheme.partition(":")[2]
    return {
        "@type": CAO,
        "ceterms:framework": CTDL_TERMS_PAGE + scheme_name,
        "ceterms:frameworkName": lang_map(scheme_name, language),
        "ceterms:targetNode": concept,
        "ceterms:targetNodeName": lang_map(vocab.label(concept), language),
    }


def concept_alignments(prop: str, words: list[str], language: str) -> list[dict[str, Any]]:
    return [concept_alignment(prop, resolve_concept(prop, word), language) for word in words]


# --- durations -------------------------------------------------------------------------------------
_UNITS = {
    "year": ("Y", False), "yr": ("Y", False), "month": ("M", False), "mo": ("M", False),
    "week": ("W", False), "wk": ("W", False), "day": ("D", False),
    "hour": ("H", True), "hr": ("H", True), "minute": ("M", True), "min": ("M", True),
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)", re.IGNORECASE)
_ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


@lru_cache(maxsize=1024)
def iso_duration(text: str) -> str:
    """``"12 hours"`` → ``PT12H``; ``"1 year 6 months"`` → ``P1Y6M``; ISO 8601 passes through."""
    text = text.strip()
    if _ISO_DURATION.match(text.upper()):
        return text.upper()
    date_part, time_part = "", ""
    consumed = 0
    for match in _DURATION_PART.finditer(text):
        if text[consumed:match.start()].strip(" ,and"):
            break
        unit = match.group(2).lower().rstrip("s") or match.group(2).lower()
        if unit not in _UNITS:
            raise ValueError(f"unknown duration unit {match.group(2)!r} (use years, months, weeks, days, "
                             "hours or minutes)")
        amount = match.group(1).rstrip("0").rstrip(".") if "." in match.group(1) else match.group(1)
        letter, is_time = _UNITS[unit]
        if is_time:
            time_part += amount + letter
        else:
            date_part += amount + letter
        consumed = match.end()
    if not (date_part or time_part) or text[consumed:].strip():
        raise ValueError(f"cannot read duration {text!r} (e.g. '12 hours', '2 years', 'P4W')")
    return "P" + date_part + ("T" + time_part if time_part else "")


def duration_profile(text: str) -> dict[str, Any]:
    """A DurationProfile: an exact duration, or ``min~max`` for a range."""
    if "~" in text:
        low, _, high = text.partition("~")
        return {"@type": "ceterms:DurationProfile", "ceterms:minimumDuration": iso_duration(low),
                "ceterms:maximumDuration": iso_duration(high)}
    return {"@type": "ceterms:DurationProfile", "ceterms:exactDuration": iso_duration(text)}


# --- scalars ---------------------------------------------------------------------------------------
# Beyond 2**53 JSON readers lose digits (RFC 7493 §2.2), and orjson refuses integers beyond 64 bits.
_NUMBER_LIMIT = 2**53
_PRICE_LIMIT = 10**12
_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z", re.ASCII)
# Commas only as thousands separators: 9,900 / 1,250,000 / 4,695.00. "1,5" or "9,90" is a decimal comma
# (a European export), which dropping the comma would read as 15 or 990.
_GROUPED = re.compile(r"[-+]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?\Z", re.ASCII)


def number(text: str | float | int) -> int | float:
    """``"$4,695.00"`` → ``4695``; integral values stay integers so output bytes are stable. A currency sign
    is dropped here: a price's sign is checked against its currency by the caller (:func:`price_and_sign`)."""
    if isinstance(text, str):
        return _number(text, split_currency_sign(text)[1])
    return _number(text, text)


def _number(text: str | float | int, amount: str | float | int) -> int | float:
    """``amount`` (``text`` without its currency sign) as a number; errors quote ``text``."""
    if isinstance(amount, bool):
        raise ValueError(f"{text!r} is not a number")
    if isinstance(amount, int | float):
        value = Decimal(str(amount))
    else:
        cleaned = _without_grouping(text, amount.strip())
        if not _DECIMAL.match(cleaned):  # Decimal() also takes 1_000, Arabic-Indic digits, "Infinity"
            raise ValueError(f"{text!r} is not a number")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise ValueError(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a number")
    if abs(value) > _NUMBER_LIMIT:
        raise ValueError(f"{text!r} is too large a number (at most {_NUMBER_LIMIT:,})")
    if value == value.to_integral_value():
        return int(value)  # also -0 → 0
    as_float = float(value)
    return as_float if as_float != 0 else 0  # 1e-400 and -1e-400 underflow to ±0.0: write 0


def _without_grouping(text: str | float | int, amount: str) -> str:
    if "," not in amount:
        return amount
    if _GROUPED.match(amount):
        return amount.replace(",", "")
    example = amount.replace(",", ".") if amount.count(",") == 1 and "." not in amount else "1.5"
    raise ValueError(f"{text!r} looks like a decimal comma: write decimals with a point ({example}); a comma is "
                     "read only as a thousands separator (9,900 or 1,250,000)")


def price(text: str | float | int, *, catalog: bool = False) -> int | float:
    """A ``ceterms:price``: :func:`number`, not negative (a discount or aid is not a cost) and below a bound
    no price in any currency reaches (a run of 9s or 1e30 is a typo, not a price). ``catalog``: typed into
    a catalog, where ``1.250`` is refused as ambiguous (:func:`price_and_sign`)."""
    return price_and_sign(text, catalog=catalog)[0]


def price_and_sign(text: str | float | int, *, catalog: bool = False) -> tuple[int | float, str | None]:
    """:func:`price`, and the currency sign the cell was typed with (``€12`` → ``(12, "€")``), if any.

    ``catalog``: the text was typed into a catalog (a table cell, a JSON/YAML catalog), where ``1.250`` may be
    a European thousands separator; a Registry Assistant request's Price is a C# decimal, read with a point."""
    sign, amount = split_currency_sign(text) if isinstance(text, str) else (None, text)
    return price_of_amount(text, amount, catalog=catalog), sign


def price_of_amount(text: str | float | int, amount: str | float | int, *, catalog: bool = False) -> int | float:
    """:func:`price` of ``text`` whose currency sign is already split off (:func:`split_currency_sign`),
    leaving ``amount`` (``text`` itself when it is a number); errors quote ``text``."""
    if catalog and isinstance(amount, str):
        _refuse_point_grouping(text, amount.strip())
    value = _number(text, amount)
    if value < 0:
        raise ValueError(f"{text!r}: a price cannot be negative (describe a discount or financial aid in the "
                         "cost's description)")
    if value > _PRICE_LIMIT:
        raise ValueError(f"{text!r} is more than {_PRICE_LIMIT:,}: not a plausible price")
    return value


# A point before exactly three digits, after one to three digits not led by 0 ("1.250", "€12.500"): a
# European thousands separator as much as a decimal point, so 1250 or 1.25. As commas are read only as
# thousands separators (a decimal comma is refused, not guessed), a point is read only as a decimal point and
# the one form where it may group thousands is refused, in every currency (a three-decimal price such as
# 1.250 KWD is written 1.25 or 1.2500). Not ambiguous: "1.25", "1.2500", "0.250", "1250.500" (a group never
# follows four digits), "1,250.000" (the comma groups); "1.250.000" is no number at all.
_POINT_GROUPED = re.compile(r"[1-9][0-9]{0,2}\.[0-9]{3}\Z", re.ASCII)


def _refuse_point_grouping(text: str | float | int, amount: str) -> None:
    if not _POINT_GROUPED.match(amount):
        return
    grouped, decimal = amount.replace(".", ""), f"{Decimal(amount).normalize():f}"
    as_decimal = decimal + "0" if _POINT_GROUPED.match(decimal) else decimal  # 123.4560 reads only one way
    raise ValueError(f"{text!r} is ambiguous: a point before three digits may separate thousands ({grouped}) or "
                     f"decimals ({decimal}); write the price without a thousands separator ({grouped} or "
                     f"{grouped}.00), or as {as_decimal} if the point is a decimal point")


_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0", ""}


def boolean(text: str | bool) -> bool:
    if isinstance(text, bool):
        return text
    word = str(text).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"{text!r} is not yes/no (use TRUE or FALSE)")


# 1/2/24: strptime's %y would pick the century (69–99 → 19xx, 00–68 → 20xx), a guess a catalog's dates
# (effective, start, end) must not rest on.
_TWO_DIGIT_YEAR = re.compile(r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}\Z", re.ASCII)


@lru_cache(maxsize=1024)
def iso_date(text: str | _dt.date) -> str:
    """``2024-08-15``, ``8/15/2024`` (US order) or an Excel date → ``2024-08-15``; ``8/15/24`` is refused."""
    if isinstance(text, _dt.datetime):
        return text.date().isoformat()
    if isinstance(text, _dt.date):
        return text.isoformat()
    value = text.strip()
    if _TWO_DIGIT_YEAR.match(value):
        raise ValueError(f"{text!r} has a two-digit year, which could be 19{value[-2:]} or 20{value[-2:]}: write "
                         "the four-digit year (YYYY-MM-DD)")
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return _dt.datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD)")


@lru_cache(maxsize=8192)
def url(text: str) -> str:
    """An absolute http(s) URL. A trailing slash is dropped, as the Registry Assistant does."""
    value = text.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError(f"{text!r} is not an http(s) URL")
    return value[:-1] if value.endswith("/") and not parts.query and not parts.fragment else value


def split_list(text: str, sep: str = "|") -> list[str]:
    """A ``|``-separated cell as a list of non-empty trimmed values."""
    return [part.strip() for part in text.split(sep) if part.strip()]
