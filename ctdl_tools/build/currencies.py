"""Currencies: ISO 4217 codes for ``ceterms:currency``, and the signs a price may be typed with (a catalog's
price cell, a Registry Assistant request's ``Price``), checked the same way on both paths.

``ceterms:currency`` takes an ISO 4217 alphabetic code. ``data/iso4217.csv`` is ISO 4217 "List One"
(current currencies and funds) with each code's English name, as published by its maintenance agency, SIX
Financial Information (https://www.six-group.com/en/products-services/financial-information/data-standards.html),
in the edition that has ZWG and XCG and no longer has HRK, SLL, CUC or ANG; it was copied from Debian's
iso-codes (https://salsa.debian.org/iso-codes-team/iso-codes) as shipped in pycountry 26.2.16 (provenance in
``data/README.md``). A currency added to ISO 4217 later is refused until it is added there.

A currency may be written by its ISO 4217 name, in any case: ``US Dollar`` (what Credential Engine's own
Registry Assistant requests and registry records carry) is USD. A name two codes share (``Bolívar Soberano``:
VED and VES) needs the code.
"""

from __future__ import annotations

import csv
import difflib
import io
import unicodedata
from collections.abc import Sequence
from functools import cache
from importlib import resources


@cache
def _names() -> dict[str, str]:
    """ISO 4217 code → English name, in the file's order (read when first asked: not every convert has a cost)."""
    text = resources.files("ctdl_tools.build.data").joinpath("iso4217.csv").read_text(encoding="utf-8")
    return {row["code"]: row["name"] for row in csv.DictReader(io.StringIO(text))}


def iso_4217_codes() -> frozenset[str]:
    return frozenset(_names())


# Codes of List One that are no money a price is paid in: precious metals, bond market units, the IMF's SDR, the
# Sucre, the ADB unit of account, the testing code and "no currency". Their codes are accepted as written; their
# names ("Gold", "Silver") are not read as them: a price "in Gold" is a mistake, not XAU.
_NOT_BY_NAME = frozenset({"XAG", "XAU", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS", "XXX"})


@cache
def _codes_by_name() -> dict[str, tuple[str, ...]]:
    """Case-folded ISO 4217 name, spaces collapsed → its codes (one, but for a name two codes share)."""
    out: dict[str, tuple[str, ...]] = {}
    for code, name in _names().items():
        if code not in _NOT_BY_NAME:
            key = _name_key(name)
            out[key] = (*out.get(key, ()), code)
    return out


def _name_key(text: str) -> str:
    """A name as compared: composed (NFKC: "é" typed as e + accent), either apostrophe, spaces collapsed, folded."""
    return " ".join(unicodedata.normalize("NFKC", text).replace("\u2019", "'").split()).casefold()


def currency_name(code: str) -> str | None:
    """ISO 4217's English name of ``code`` (``USD`` → ``US Dollar``), or None."""
    return _names().get(code)


# The currencies written with "$": the dollars, and the pesos that use the sign.
_DOLLAR_SIGN = ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "TWD", "BBD", "BMD", "BND", "BSD", "BZD", "FJD", "GYD",
                "JMD", "KYD", "LRD", "NAD", "SBD", "SRD", "TTD", "XCD", "ARS", "CLP", "COP", "CUP", "DOP", "MXN",
                "UYU")
# Sign → (the currency the sign alone stands for, or None when it stands for several; every currency written
# with it). "$" alone is USD, this tool's default currency; "¥" is both JPY and CNY, so it needs the code.
CURRENCY_SIGNS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "US$": ("USD", ("USD",)), "CA$": ("CAD", ("CAD",)), "C$": (None, ("CAD", "NIO")), "AU$": ("AUD", ("AUD",)),
    "A$": ("AUD", ("AUD",)), "NZ$": ("NZD", ("NZD",)), "HK$": ("HKD", ("HKD",)), "S$": ("SGD", ("SGD",)),
    "MX$": ("MXN", ("MXN",)), "R$": ("BRL", ("BRL",)), "$": ("USD", _DOLLAR_SIGN),
    "€": ("EUR", ("EUR",)), "£": ("GBP", ("GBP", "EGP", "FKP", "GIP", "LBP", "SDG", "SHP", "SSP", "SYP")),
    "¥": (None, ("JPY", "CNY")), "￥": (None, ("JPY", "CNY")), "₹": ("INR", ("INR",)), "₩": ("KRW", ("KRW", "KPW")),
    "₽": ("RUB", ("RUB",)), "₪": ("ILS", ("ILS",)), "₺": ("TRY", ("TRY",)), "₱": ("PHP", ("PHP",)),
    "₦": ("NGN", ("NGN",)), "₫": ("VND", ("VND",)), "฿": ("THB", ("THB",)), "₴": ("UAH", ("UAH",)),
    "₡": ("CRC", ("CRC",)), "₲": ("PYG", ("PYG",)), "₵": ("GHS", ("GHS",)), "₸": ("KZT", ("KZT",)),
    "₼": ("AZN", ("AZN",)), "₾": ("GEL", ("GEL",)), "₭": ("LAK", ("LAK",)), "₮": ("MNT", ("MNT",)),
    "৳": ("BDT", ("BDT",)),
}
_SIGNS_LONGEST_FIRST = sorted(CURRENCY_SIGNS, key=len, reverse=True)  # "US$" before "$"


def currency_code(text: object) -> str:
    """An ISO 4217 alphabetic code, given in any case (``usd`` → ``USD``) or by its ISO 4217 name (``US Dollar``
    → ``USD``); ValueError for anything else, naming the closest ISO 4217 name when there is one."""
    written = str(text).strip()
    code = written.upper()
    if code in _names():
        return code
    named = _codes_by_name().get(_name_key(written))
    if named is not None and len(named) == 1:
        return named[0]
    if named is not None:
        raise ValueError(f"{text!r} is ISO 4217's name of {' and '.join(named)}: write the code")
    sign = CURRENCY_SIGNS.get(written)
    if sign is not None:
        raise ValueError(f"{text!r} is a currency sign: write its ISO 4217 code ({' or '.join(sign[1][:3])})")
    raise ValueError(f"{text!r} is not an ISO 4217 currency code: CTDL takes ISO 4217 codes such as USD, EUR "
                     f"or GBP{currency_hint(written)}")


def currency_hint(text: str) -> str:
    """`` (did you mean USD, "US Dollar"?)`` for text close to an ISO 4217 name (``US Dollars``), else ""."""
    names = _codes_by_name()
    close = difflib.get_close_matches(_name_key(text), list(names), n=1, cutoff=0.85)
    if not close:
        return ""
    codes = names[close[0]]
    name = currency_name(codes[0])
    return f" (did you mean {' or '.join(codes)}, {name!r}?)"


def currency_advice(text: str) -> str:
    """What to write instead of ``text`` in ``ceterms:currency``, for the validator's VALUE-CURRENCY finding:
    ``: write USD ('US Dollar' is ISO 4217's name of USD)``, the code in capitals, the closest name's code, or ""."""
    written = text.strip()
    if written.upper() in _names():
        return f": write {written.upper()}"
    named = _codes_by_name().get(_name_key(written))
    if named is not None:
        return f": write {' or '.join(named)} ({written!r} is ISO 4217's name of {' and '.join(named)})"
    return currency_hint(written)


def split_currency_sign(text: str) -> tuple[str | None, str]:
    """A price cell's currency sign (before or after the amount: ``$9,900``, ``9,90 €``) and the amount."""
    value = text.strip()
    for sign in _SIGNS_LONGEST_FIRST:
        if value.startswith(sign):
            return sign, value[len(sign):].strip()
        if value.endswith(sign):
            return sign, value[:-len(sign)].strip()
    return None, value


def sign_agrees(sign: str, code: str) -> bool:
    return code in CURRENCY_SIGNS[sign][1]


def sign_currency(sign: str) -> str | None:
    """The one currency ``sign`` stands for on its own, or None (``¥``: JPY or CNY)."""
    return CURRENCY_SIGNS[sign][0]


def sign_currencies(sign: str) -> tuple[str, ...]:
    return CURRENCY_SIGNS[sign][1]


def sign_names(sign: str) -> str:
    """``the sign of USD, CAD, AUD …``: the currencies written with ``sign``, for messages."""
    codes = sign_currencies(sign)
    listed = ", ".join(codes[:3]) + (" …" if len(codes) > 3 else "")
    return f"the sign of {listed}"


def sign_disagreement(text: str, sign: str, code: str, given_in: str) -> str | None:
    """Why the price ``text``, typed with ``sign``, contradicts the currency ``code`` that ``given_in`` (a
    column, a request's Currency) says; None when the sign is one of that currency's."""
    if sign_agrees(sign, code):
        return None
    return f"{text!r} is written with {sign}, {sign_names(sign)}, but {given_in} says {code}: correct one of them"


def currency_of_signs(signed: Sequence[tuple[str, str]], give_in: str,
                      costs: str) -> tuple[str | None, list[tuple[int, str]]]:
    """The one currency the signs of ``signed`` (each price as typed, and its sign) stand for, and no
    problems; None when no price is signed. Else None and the problems, by position in ``signed``: a sign
    that stands for several currencies (``¥``: JPY or CNY), at that price; signs of several currencies, at
    every signed price (``costs`` take one currency, to be given in ``give_in``)."""
    codes: set[str] = set()
    for i, (text, sign) in enumerate(signed):
        code = sign_currency(sign)
        if code is None:
            return None, [(i, f"{text!r}: {sign} stands for {' or '.join(sign_currencies(sign))}: give the "
                              f"ISO 4217 code in {give_in}")]
        codes.add(code)
    if len(codes) > 1:
        message = (f"prices in several currencies ({', '.join(sorted(codes))}): {costs} take one currency, "
                   f"given in {give_in}")
        return None, [(i, message) for i in range(len(signed))]
    return (codes.pop() if codes else None), []


def resolve_currency(code: str | None, signed: Sequence[tuple[str, str]], given_in: str, give_in: str,
                     costs: str) -> tuple[str | None, list[tuple[int, str]]]:
    """The costs' currency and the problems with their signs, by position in ``signed`` (each price as typed,
    and its sign). Given ``code`` (the currency ``given_in`` says), every sign must agree with it
    (:func:`sign_disagreement`); without it, the one currency the signs stand for (:func:`currency_of_signs`,
    with ``give_in`` and ``costs`` for its messages), None when they stand for none or for several."""
    if code is None:
        return currency_of_signs(signed, give_in, costs)
    return code, [(i, message) for i, (text, sign) in enumerate(signed)
                  if (message := sign_disagreement(text, sign, code, given_in))]
