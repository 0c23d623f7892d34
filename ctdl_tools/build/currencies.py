"""Currencies: ISO 4217 codes for ``ceterms:currency``, and the signs a price may be typed with (a catalog's
price cell, a Registry Assistant request's ``Price``), checked the same way on both paths.

``ceterms:currency`` takes an ISO 4217 alphabetic code. :data:`ISO_4217` is ISO 4217 "List One" (current
currencies and funds) as published by its maintenance agency, SIX Financial Information
(https://www.six-group.com/en/products-services/financial-information/data-standards.html), in the
edition that has ZWG and XCG and no longer has HRK, SLL, CUC or ANG; it was copied from, and matches code
for code, the ``iso_4217.json`` of Debian's iso-codes (https://salsa.debian.org/iso-codes-team/iso-codes)
as shipped in pycountry 26.2.16. A currency added to ISO 4217 later is refused until it is added here.
"""

from __future__ import annotations

from collections.abc import Sequence

_LIST_ONE = """
AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF
CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD
HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD
MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAD XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD
XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG
"""
ISO_4217 = frozenset(_LIST_ONE.split())

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
    """An ISO 4217 alphabetic code, in any case (``usd`` → ``USD``); ValueError for anything else."""
    code = str(text).strip().upper()
    if code in ISO_4217:
        return code
    sign = CURRENCY_SIGNS.get(str(text).strip())
    if sign is not None:
        raise ValueError(f"{text!r} is a currency sign: write its ISO 4217 code ({' or '.join(sign[1][:3])})")
    raise ValueError(f"{text!r} is not an ISO 4217 currency code: CTDL takes ISO 4217 codes such as USD, EUR "
                     "or GBP")


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
