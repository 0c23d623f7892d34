"""Registry Assistant requests: a Price typed with a currency sign is checked against the cost's Currency (or
gives it), as a catalog's price is; and a reference to another request of the run that failed is warned about at
its JSON path, as a catalog's reference to a failed record is. Built from CE's multiple-languages sample request
(tests/data/registry_assistant/), copied and modified."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ctdl_tools.build.context import BuildContext
from ctdl_tools.build.convert import ConvertOptions, convert
from ctdl_tools.build.document import GraphDocument
from ctdl_tools.build.nodes import price_and_sign
from ctdl_tools.build.ra import build_ra, index_ra
from ctdl_tools.catalog.ra_json import read_ra_request
from ctdl_tools.cli import main
from ctdl_tools.ctid import DEFAULT_NAMESPACE, REGISTRY_BASE
from ctdl_tools.errors import Problems

SAMPLE = Path(__file__).parent / "data" / "registry_assistant" / "CredentialWithMultipleLanguages_Api_input.json"
COST = "$.Credential.EstimatedCost[0]"
OWNER = "ce-a588a18b-2616-4c74-bdcd-6507c0693d0e"          # the sample's OwnedBy CTID
LOPP = "ce-ccd00a32-d5ad-41e7-b14c-5c096bc9eea0"           # the sample's TargetLearningOpportunity CTID
CREDENTIAL = "ce-cef8a76d-f168-0513-8fac-0b8dc60ef853"
FAILED = "which failed in this run and was not written: this reference points to no document"


def sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def with_cost(currency: str | None, *prices: Any) -> dict[str, Any]:
    """The sample with its one CostProfile's Currency and its two items' Prices replaced (None: left out)."""
    request = sample()
    cost = request["Credential"]["EstimatedCost"][0]
    if currency is None:
        del cost["Currency"]
    else:
        cost["Currency"] = currency
    for item, given in zip(cost["CostItems"], prices, strict=True):
        item["Price"] = given
    return request


def build(tmp_path: Path, request: dict) -> tuple[GraphDocument | None, Problems]:
    """Both passes over one request file, as ``ctdl convert`` runs them."""
    ctx = BuildContext(namespace=DEFAULT_NAMESPACE)
    items = read_ra_request(write(tmp_path / "request.json", request))
    for item in items:
        index_ra(item, ctx)
    ctx.finish_index()
    return build_ra(items[0], ctx), ctx.problems


def costs(doc: GraphDocument | None) -> list[tuple[Any, Any]]:
    """(currency, price) of each written CostProfile; a key left out is None."""
    assert doc is not None
    return [(c.get("ceterms:currency"), c.get("ceterms:price")) for c in doc.main["ceterms:estimatedCost"]]


def price_problems(problems: Problems) -> list[tuple[str, str | None, str]]:
    return [(p.severity, p.where.path, p.message) for p in problems.items
            if p.where.path and p.where.path.startswith(COST)]


# --- prices ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("currency", "prices", "expected"), [
    ("EUR", ("€250", "€1,200"), [("EUR", 250), ("EUR", 1200)]),
    ("USD", ("$1,200", "US$ 75.50"), [("USD", 1200), ("USD", 75.5)]),
    ("cad", ("$40", "12999 CA$"), [("CAD", 40), ("CAD", 12999)]),
    ("GBP", ("250 £", 12999.0), [("GBP", 250), ("GBP", 12999)]),
])
def test_a_sign_that_agrees_with_currency_is_accepted(tmp_path: Path, currency: str, prices: tuple,
                                                      expected: list) -> None:
    doc, problems = build(tmp_path, with_cost(currency, *prices))
    assert costs(doc) == expected
    assert price_problems(problems) == []


def test_a_sign_that_disagrees_with_currency_drops_that_price_with_a_warning(tmp_path: Path) -> None:
    doc, problems = build(tmp_path, with_cost("USD", "€250", "$12,999"))
    assert doc is not None  # Price is not required: the request is still written
    assert costs(doc) == [("USD", None), ("USD", 12999)]
    assert price_problems(problems) == [
        ("warning", f"{COST}.CostItems[0].Price", "'€250' is written with €, the sign of EUR, but Currency says "
                                                  "USD: correct one of them; value ignored")]


def test_the_currency_is_named_as_the_request_spells_it(tmp_path: Path) -> None:
    request = with_cost(None, "£5", 100.0)
    request["Credential"]["EstimatedCost"][0]["currency"] = "EUR"  # the RA reads names ignoring case
    _doc, problems = build(tmp_path, request)
    assert [m for _s, _p, m in price_problems(problems)] == [
        "'£5' is written with £, the sign of GBP, EGP, FKP …, but Currency says EUR: correct one of them; value "
        "ignored"]


def test_a_sign_sets_the_currency_when_none_is_given(tmp_path: Path) -> None:
    doc, problems = build(tmp_path, with_cost(None, "€250", 12999.0))
    assert costs(doc) == [("EUR", 250), ("EUR", 12999)]  # the profile's currency: every item's
    assert price_problems(problems) == []
    doc, _ = build(tmp_path, with_cost(None, "$9,900", "$100"))
    assert costs(doc) == [("USD", 9900), ("USD", 100)]  # "$" alone is USD, as in a catalog


def test_without_a_currency_or_a_sign_no_currency_is_written(tmp_path: Path) -> None:
    doc, problems = build(tmp_path, with_cost(None, 100.0, "12999"))
    assert costs(doc) == [(None, 100), (None, 12999)]  # as before: no catalog-style USD default
    assert price_problems(problems) == []


def test_a_sign_of_several_currencies_without_currency_is_a_warning(tmp_path: Path) -> None:
    doc, problems = build(tmp_path, with_cost(None, "¥5000", 100.0))
    assert costs(doc) == [(None, None), (None, 100)]
    assert price_problems(problems) == [
        ("warning", f"{COST}.CostItems[0].Price", "'¥5000': ¥ stands for JPY or CNY: give the ISO 4217 code in the "
                                                  "CostProfile's Currency; value ignored")]
    doc, problems = build(tmp_path, with_cost("JPY", "¥5000", 100.0))
    assert costs(doc) == [("JPY", 5000), ("JPY", 100)] and price_problems(problems) == []


def test_signs_of_two_currencies_without_currency_are_warned_at_each_price(tmp_path: Path) -> None:
    doc, problems = build(tmp_path, with_cost(None, "€1", "$2"))
    assert costs(doc) == [(None, None), (None, None)]
    message = ("prices in several currencies (EUR, USD): a CostProfile's items take one currency, given in the "
               "CostProfile's Currency; value ignored")
    assert price_problems(problems) == [("warning", f"{COST}.CostItems[0].Price", message),
                                        ("warning", f"{COST}.CostItems[1].Price", message)]


def test_an_unreadable_currency_is_reported_and_leaves_the_signs_unchecked(tmp_path: Path) -> None:
    doc, problems = build(tmp_path, with_cost("Dollars", "€5", 100.0))
    assert costs(doc) == [(None, 5), (None, 100)]
    assert [(p, m.split(":")[0]) for _s, p, m in price_problems(problems)] == [
        (f"{COST}.Currency", "'Dollars' is not an ISO 4217 currency code")]


def test_a_refused_amount_is_reported_and_its_sign_checked_too(tmp_path: Path) -> None:
    _doc, problems = build(tmp_path, with_cost("USD", "€-5", 100.0))
    assert [m.split(":")[0] for _s, _p, m in price_problems(problems)] == [
        "'€-5'", "'€-5' is written with €, the sign of EUR, but Currency says USD"]


def test_json_number_prices_stay_as_they_are(tmp_path: Path) -> None:
    doc, problems = build(tmp_path, with_cost("USD", 100.0, 1.25))
    assert costs(doc) == [("USD", 100), ("USD", 1.25)]
    doc, problems = build(tmp_path, with_cost(None, 1.250, 12999))
    assert costs(doc) == [(None, 1.25), (None, 12999)]
    assert price_problems(problems) == []


@pytest.mark.parametrize("given", ["1.250", "€1.250"])
def test_a_point_before_three_digits_is_a_decimal_point_on_the_request_path(tmp_path: Path, given: str) -> None:
    # A Price is a C# decimal: "1.250" is 1.25. In a catalog the same text is refused as ambiguous.
    doc, problems = build(tmp_path, with_cost("EUR", given, 12999.0))
    assert costs(doc) == [("EUR", 1.25), ("EUR", 12999)]
    assert price_problems(problems) == []
    with pytest.raises(ValueError, match="ambiguous"):
        price_and_sign(given, catalog=True)


# --- references to requests that failed in the same run -------------------------------------------------
def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def failing_requests(folder: Path) -> tuple[Path, Path]:
    """An organization (the sample's owner) whose required SubjectWebpage is no URL, and a learning opportunity
    (the sample's target) of a type CTDL does not have: both fail, the second before it can be built at all."""
    org = write(folder / "org.json", {"Organization": {
        "Type": "CredentialOrganization", "Name": "Failing Org", "CTID": OWNER, "SubjectWebpage": "example org",
        "Description": "An organization whose subject webpage is no URL."}, "DefaultLanguage": "en-US"})
    lopp = write(folder / "lopp.json", {"LearningOpportunity": {
        "Type": "NotAType", "Name": "Failing Course", "CTID": LOPP, "Description": "A course of no known type.",
        "SubjectWebpage": "https://example.org/course", "OwnedBy": [{"CTID": OWNER}]}, "DefaultLanguage": "en-US"})
    return org, lopp


def test_a_reference_to_a_request_that_failed_is_warned_at_its_path(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    org, lopp = failing_requests(folder)
    request = sample()
    request["Credential"]["CommonCosts"] = [f"{REGISTRY_BASE}/resources/{LOPP}"]  # "CTID or full URL"
    cred = write(folder / "cred.json", request)
    code, _out, err = run("convert", str(cred), str(org), str(lopp), "-o", str(tmp_path / "out"))
    # The run's exit code is what the failures alone make it: the warnings change nothing.
    alone, _, _ = run("convert", str(org), str(lopp), "-o", str(tmp_path / "out-alone"))
    assert code == alone == 1, err
    assert (f"warning: {cred}, $.Credential.OwnedBy[0].CTID: '{OWNER}' refers to 'Failing Org' ({org}, $), "
            f"{FAILED}") in err
    assert (f"warning: {lopp}, $.LearningOpportunity.OwnedBy[0].CTID" not in err)  # lopp itself failed
    assert (f"warning: {cred}, $.Credential.Requires[0].TargetLearningOpportunity[0].CTID: '{LOPP}' refers to "
            f"'Failing Course' ({lopp}, $), {FAILED}") in err
    assert (f"warning: {cred}, $.Credential.CommonCosts[0]: '{REGISTRY_BASE}/resources/{LOPP}' refers to "
            f"'Failing Course'") in err
    assert err.count(FAILED) == 3
    # The referring request is written, its references as given.
    written = sorted(p.name for p in (tmp_path / "out").glob("*.json"))
    assert written == [f"{CREDENTIAL}.json"]
    main_node = json.loads((tmp_path / "out" / written[0]).read_text())["@graph"][0]
    assert main_node["ceterms:ownedBy"] == [f"{REGISTRY_BASE}/resources/{OWNER}"]


def test_a_reference_by_id_and_from_parallel_workers_is_warned_too(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    org, lopp = failing_requests(folder)
    request = sample()
    request["Credential"]["Requires"][0]["TargetLearningOpportunity"][0] = {"Id": f"{REGISTRY_BASE}/resources/{LOPP}"}
    cred = write(folder / "cred.json", request)
    result = convert([cred, org, lopp], tmp_path / "out", ConvertOptions(), workers=2)
    warned = [(p.where.path, p.message.split(",")[0]) for p in result.problems.warnings if FAILED in p.message]
    assert warned == [
        ("$.Credential.OwnedBy[0].CTID", f"'{OWNER}' refers to 'Failing Org' ({org}"),
        ("$.Credential.Requires[0].TargetLearningOpportunity[0].Id",
         f"'{REGISTRY_BASE}/resources/{LOPP}' refers to 'Failing Course' ({lopp}")]
    assert result.failed == 2 and len(result.written) == 1


def test_a_reference_to_a_request_written_in_the_run_is_not_warned(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    org, _lopp = failing_requests(folder)
    fixed = json.loads(org.read_text())
    fixed["Organization"]["SubjectWebpage"] = "https://example.org"  # the organization now converts
    write(org, fixed)
    cred = write(folder / "cred.json", sample())
    code, _out, err = run("convert", str(cred), str(org), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert FAILED not in err


def test_one_request_file_holding_both_warns_at_the_item_path(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    org, _lopp = failing_requests(folder)
    both = write(folder / "both.json", [copy.deepcopy(sample()), json.loads(org.read_text())])
    code, _out, err = run("convert", str(both), "-o", str(tmp_path / "out"))
    assert code == 1, err
    assert (f"warning: {both}, $[0].Credential.OwnedBy[0].CTID: '{OWNER}' refers to 'Failing Org' ({both}, $[1]), "
            f"{FAILED}") in err
