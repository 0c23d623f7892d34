"""The shared helpers the catalog and Registry Assistant paths use: currency resolution, price amounts,
language-tag shape."""

from __future__ import annotations

import hashlib
import re
from importlib import resources

import pytest

from ctdl_tools.build.currencies import (
    currency_advice,
    currency_code,
    currency_name,
    iso_4217_codes,
    resolve_currency,
    split_currency_sign,
)
from ctdl_tools.build.languages import check_language_tag, is_language_tag
from ctdl_tools.build.nodes import price_and_sign, price_of_amount


def test_a_given_currency_checks_every_sign() -> None:
    code, problems = resolve_currency("USD", [("$5", "$"), ("€7", "€")], "Currency", "the Currency", "costs")
    assert code == "USD"
    assert problems == [(1, "'€7' is written with €, the sign of EUR, but Currency says USD: correct one of them")]


def test_without_a_currency_the_signs_give_it() -> None:
    assert resolve_currency(None, [("€7", "€"), ("8 €", "€")], "Currency", "the Currency", "costs") == ("EUR", [])
    assert resolve_currency(None, [], "Currency", "the Currency", "costs") == (None, [])
    code, problems = resolve_currency(None, [("€7", "€"), ("$8", "$")], "Currency", "the Currency", "costs")
    assert code is None and [i for i, _ in problems] == [0, 1]
    code, problems = resolve_currency(None, [("¥7", "¥")], "Currency", "the Currency", "costs")
    assert code is None and problems == [(0, "'¥7': ¥ stands for JPY or CNY: give the ISO 4217 code in the "
                                             "Currency")]


@pytest.mark.parametrize("text", ["US$ 1,200", "9.90 €", "450", "1.250", "€1.250", "-5", "x"])
@pytest.mark.parametrize("catalog", [False, True])
def test_price_of_amount_is_price_and_sign_split_first(text: str, catalog: bool) -> None:
    sign, amount = split_currency_sign(text)
    try:
        expected = price_and_sign(text, catalog=catalog)
    except ValueError as exc:
        with pytest.raises(ValueError, match=f"^{re.escape(str(exc))}$"):
            price_of_amount(text, amount, catalog=catalog)
        return
    assert (price_of_amount(text, amount, catalog=catalog), sign) == expected


@pytest.mark.parametrize(("text", "shaped"), [
    ("en", True), ("en-US", True), ("EN-us", True), ("en-US-x-private", True), ("en-a-bbb", True),
    ("e", False), ("engl", False), ("en_US", False), ("en-", False), ("", False), ("en-123456789", False),
])
def test_is_language_tag(text: str, shaped: bool) -> None:
    assert is_language_tag(text) is shaped
    if shaped:
        assert check_language_tag(text)
    else:
        with pytest.raises(ValueError):
            check_language_tag(text)


# --- ISO 4217 codes and names ----------------------------------------------------------------------------------
ISO_4217 = iso_4217_codes()


def test_bundled_iso_4217_list_is_the_one_recorded() -> None:
    folder = resources.files("ctdl_tools.build.data")
    digest = hashlib.sha256(folder.joinpath("iso4217.csv").read_bytes()).hexdigest()
    assert digest in folder.joinpath("README.md").read_text("utf-8")
    assert len(ISO_4217) == 178 and {"USD", "EUR", "ZWG", "XCG"} <= ISO_4217
    assert not ISO_4217 & {"HRK", "SLL", "CUC", "ANG"}  # withdrawn by the edition bundled
    assert currency_name("USD") == "US Dollar" and currency_name("GBP") == "Pound Sterling"
    assert currency_name("XYZ") is None


@pytest.mark.parametrize(("written", "code"), [
    ("USD", "USD"), (" usd ", "USD"), ("US Dollar", "USD"), ("us  dollar", "USD"), ("Euro", "EUR"),
    ("Pound Sterling", "GBP"), ("Canadian Dollar", "CAD"), ("US Dollar (Next day)", "USN"), ("zloty", "PLN"),
    ("Pa'anga", "TOP"), ("Pa’anga", "TOP"),  # either apostrophe
    ("Cabo Verde Escudo", "CVE"), ("XAU", "XAU"),  # a metal's code is a code
])
def test_a_currency_is_its_code_or_its_iso_4217_name(written: str, code: str) -> None:
    assert currency_code(written) == code


@pytest.mark.parametrize(("written", "message"), [
    ("US Dollars", "'US Dollars' is not an ISO 4217 currency code: CTDL takes ISO 4217 codes such as USD, EUR or "
                   "GBP (did you mean USD, 'US Dollar'?)"),
    ("Dollars", "'Dollars' is not an ISO 4217 currency code: CTDL takes ISO 4217 codes such as USD, EUR or GBP"),
    ("Bolívar Soberano", "'Bolívar Soberano' is ISO 4217's name of VED and VES: write the code"),
    ("Boli\u0301var Soberano", "'Boli\u0301var Soberano' is ISO 4217's name of VED and VES: write the code"),  # NFD
    ("Gold", "'Gold' is not an ISO 4217 currency code: CTDL takes ISO 4217 codes such as USD, EUR or GBP"),
    ("$", "'$' is a currency sign: write its ISO 4217 code (USD or CAD or AUD)"),
])
def test_a_currency_that_is_neither_says_what_to_write(written: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        currency_code(written)
    assert str(caught.value) == message


def test_currency_advice_for_the_validator() -> None:
    assert currency_advice("US Dollar") == ": write USD ('US Dollar' is ISO 4217's name of USD)"
    assert currency_advice("usd") == ": write USD"
    assert currency_advice("Euros") == " (did you mean EUR, 'Euro'?)"
    assert currency_advice("Dollars") == ""


def test_the_validators_currency_list_is_the_bundled_iso_4217_list() -> None:
    # One list in two places (shapes/values/values.ttl is plain Turtle an agency reads): kept equal here.
    from rdflib import Graph, Namespace
    from rdflib.collection import Collection

    from ctdl_tools.validate.shapes import bundled_shapes_dir

    sh, ctshapes = Namespace("http://www.w3.org/ns/shacl#"), Namespace("https://purl.org/ctdl_tools/shapes/")
    graph = Graph().parse(bundled_shapes_dir() / "values" / "values.ttl")
    listed = Collection(graph, graph.value(ctshapes.CurrencyCode, sh["in"]))
    assert sorted(str(code) for code in listed) == sorted(ISO_4217)
