"""The registry's HTML pages, rendered by headless Chromium (Debian's ``chromium``) and read from the DOM."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from typing import ClassVar

import pytest

from ctdl_tools.ctid import REGISTRY_BASE, mint_ctid
from ctdl_tools.registry.server import pages, start_embedded
from tests._browser_support import CHROMIUM, DevToolsPage
from tests._registry_server_support import KEY, ORG, ORG2, ORG2_NAME, ORG_NAME, Client, credential, framework, main_ctid

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="Debian's chromium is not installed (/usr/bin/chromium); "
                                           "apt-get install -y chromium to run the browser tests")
SAMPLE = Path(__file__).parent / "data" / "catalogs" / "ra_learningopportunity_160-driving-academy_published.json"


class Dom(HTMLParser):
    """Text by element id, links (href, text), headings and a few accessibility facts of a DOM dump."""

    VOID: ClassVar[set[str]] = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "area", "base", "col",
                                "embed", "track"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.text_by_id: dict[str, str] = {}
        self.links: list[tuple[str, str]] = []
        self.headings: list[tuple[int, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.labels_for: set[str] = set()
        self._link: list | None = None
        self._heading: list | None = None
        self.definitions: list[list[str]] = []  # [dt text, dd text] of every <dl>
        self._in: str | None = None
        self.rows: list[list[str]] = []  # table rows, cell texts
        self._cell = False
        self.ol_depth = 0
        self.tree: list[tuple[int, str]] = []  # (nesting depth of <ol>, link text) of links inside ordered lists
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "label" and attributes.get("for"):
            self.labels_for.add(str(attributes["for"]))
        if tag == "a":
            self._link = [attributes.get("href") or "", ""]
        if tag in ("h1", "h2", "h3", "h4"):
            self._heading = [int(tag[1]), ""]
        if tag == "dt":
            self.definitions.append(["", ""])
        if tag in ("dt", "dd"):
            self._in = tag
        if tag == "ol":
            self.ol_depth += 1
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th") and self.rows:
            self.rows[-1].append("")
            self._cell = True
        if tag not in self.VOID:
            self.stack.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self.text_by_id.setdefault(str(attributes["id"]), "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("dt", "dd"):
            self._in = None
        if tag in ("td", "th"):
            self._cell = False
        if tag == "ol":
            self.ol_depth -= 1
        if tag == "a" and self._link is not None:
            self.links.append((self._link[0], " ".join(self._link[1].split())))
            if self.ol_depth:
                self.tree.append((self.ol_depth, self.links[-1][1]))
            self._link = None
        if tag in ("h1", "h2", "h3", "h4") and self._heading is not None:
            self.headings.append((self._heading[0], " ".join(self._heading[1].split())))
            self._heading = None
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self.stack:
            if element_id:
                self.text_by_id[element_id] += data
        if self._link is not None:
            self._link[1] += data
        if self._heading is not None:
            self._heading[1] += data
        if self._cell:
            self.rows[-1][-1] += data
        if self._in and self.definitions:
            self.definitions[-1][0 if self._in == "dt" else 1] += data

    def facts(self) -> dict[str, str]:
        """dt → dd text of every definition list (the first occurrence of each term)."""
        out: dict[str, str] = {}
        for term, value in self.definitions:
            out.setdefault(" ".join(term.split()), " ".join(value.split()))
        return out

    def text(self, element_id: str) -> str:
        return " ".join(self.text_by_id.get(element_id, "").split())

    def link(self, text: str) -> str:
        return next(href for href, label in self.links if label == text)


def render(url: str) -> Dom:
    """The DOM after Chromium loaded and laid out the page."""
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:  # helpers may outlive the browser
        result = subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--dump-dom", url],
            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return Dom(result.stdout)


def assert_accessible_and_self_contained(dom: Dom) -> None:
    html = next(attrs for tag, attrs in dom.tags if tag == "html")
    assert html.get("lang") == "en"
    assert [level for level, _ in dom.headings].count(1) == 1
    levels = [level for level, _ in dom.headings]
    assert all(b - a <= 1 for a, b in pairwise(levels)), levels  # no skipped heading level
    for tag, attrs in dom.tags:
        assert tag not in ("script", "img", "iframe"), (tag, attrs)  # nothing fetched from elsewhere
        if tag == "link":  # only the page's icon, inline: no other resource, and no request for /favicon.ico
            assert attrs.get("rel") == "icon" and str(attrs.get("href")).startswith("data:"), (tag, attrs)
        if tag == "input" and attrs.get("type") != "hidden":
            assert attrs.get("id") in dom.labels_for
    assert any(tag == "main" for tag, _ in dom.tags)


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, dict]]:
    with tempfile.TemporaryDirectory() as tmp, \
            start_embedded(Path(tmp) / "r.sqlite", KEY, orgs=[f"{ORG}={ORG_NAME}"]) as registry:
        client = Client(registry.url)
        fw, competency_ctids = framework()
        fw_ctid = main_ctid(fw)
        course = credential(type_="ceterms:Course", name="Welding Safety Fundamentals")
        uri = f"{REGISTRY_BASE}/resources/{{}}".format
        alignment = [{"@type": "ceterms:CredentialAlignmentObject", "ceterms:framework": uri(fw_ctid),
                      "ceterms:frameworkName": {"en-US": "Welding Skills Framework"}, "ceterms:targetNode": uri(c),
                      "ceterms:targetNodeName": fw["@graph"][i + 1]["ceasn:competencyText"]}
                     for i, c in enumerate(competency_ctids)]
        degree = credential(
            type_="ceterms:AssociateOfAppliedScienceDegree", name="Associate of Applied Science in Welding",
            **{"ceterms:subjectWebpage": "https://northwind.example.edu/welding",
               "ceterms:credentialStatusType": {"@type": "ceterms:CredentialAlignmentObject",
                                                "ceterms:targetNode": "credentialStat:Active",
                                                "ceterms:targetNodeName": {"en-US": "Active"}},
               "ceterms:requires": [{"@type": "ceterms:ConditionProfile",
                                     "ceterms:description": {"en-US": "Complete 60 credit hours"},
                                     "ceterms:targetCompetency": alignment[:1],
                                     "ceterms:targetLearningOpportunity": [uri(main_ctid(course))]}],
               "ceterms:occupationType": [{"@type": "ceterms:CredentialAlignmentObject",
                                           "ceterms:codedNotation": "51-4121",
                                           "ceterms:frameworkName": {"en-US": "Standard Occupational Classification"},
                                           "ceterms:targetNodeName": {
                                               "en-US": "Welders, Cutters, Solderers, and Brazers"}}],
               "ceterms:instructionalProgramType": [{"@type": "ceterms:CredentialAlignmentObject",
                                                     "ceterms:codedNotation": "48.0508",
                                                     "ceterms:frameworkName": {"en-US": "CIP 2020"},
                                                     "ceterms:targetNodeName": {"en-US": "Welding Technology/Welder"}}],
               "ceterms:estimatedCost": [{"@type": "ceterms:CostProfile", "ceterms:price": 4695,
                                          "ceterms:currency": "USD",
                                          "ceterms:directCostType": {"@type": "ceterms:CredentialAlignmentObject",
                                                                     "ceterms:targetNode": "costType:Tuition",
                                                                     "ceterms:targetNodeName": {"en-US": "Tuition"}}}],
               "ceterms:estimatedDuration": [{"@type": "ceterms:DurationProfile", "ceterms:exactDuration": "P2Y"}],
               "ceterms:hasPart": [uri(main_ctid(course))],
               "ceterms:isPreparationFor": [uri(mint_ctid())],
               "ceterms:javascriptHole": ["javascript:alert(1)"]})
        degree["@graph"][0]["ceterms:teaches"] = alignment
        sample = json.loads(SAMPLE.read_text("utf-8-sig"))
        for document in (fw, course, degree, sample):
            assert client.publish(document).status_code == 201
        yield registry.url, {"degree": degree, "course": course, "framework": fw, "competencies": competency_ctids,
                             "sample": sample}


@needs_chromium
def test_credential_page_shows_what_a_learner_needs(site: tuple[str, dict]) -> None:
    url, docs = site
    degree = docs["degree"]
    dom = render(f"{url}/resources/{main_ctid(degree)}")
    assert dom.text("name") == "Associate of Applied Science in Welding"
    assert dom.text("type") == "Associate of Applied Science Degree"
    assert "Hands-on welding training" in dom.text("description")
    facts = dom.facts()
    assert facts["Owned by"] == ORG_NAME and facts["Status"] == "Active"
    assert facts["Webpage"] == "https://northwind.example.edu/welding"
    skills = dom.text("skills")
    assert "Competencies taught" in skills and "Weld joint type 2" in skills
    assert "Competencies: requires Read blueprints" in skills
    assert dom.link("Weld joint type 1") == f"/resources/{docs['competencies'][1]}"
    rows = [[" ".join(c.split()) for c in row] for row in dom.rows]
    assert rows == [["Classification", "Code", "Title"],
                    ["Standard Occupational Classification", "51-4121", "Welders, Cutters, Solderers, and Brazers"],
                    ["CIP 2020", "48.0508", "Welding Technology/Welder"]]
    assert dom.text("cost") == "4,695 USD — Tuition"
    assert dom.text("duration") == "2 years"
    assert "Complete 60 credit hours" in dom.text("conditions")
    assert dom.link("Welding Safety Fundamentals") == f"/resources/{main_ctid(docs['course'])}"
    assert facts["Has Part"] == "Welding Safety Fundamentals (Course)"
    assert facts["Is Preparation For"].endswith("(not in this registry)")
    assert not any(href.lower().startswith("javascript:") for href, _ in dom.links)
    assert_accessible_and_self_contained(dom)


@needs_chromium
def test_framework_page_lists_the_competency_tree(site: tuple[str, dict]) -> None:
    url, docs = site
    dom = render(f"{url}/resources/{main_ctid(docs['framework'])}")
    assert dom.text("name") == "Welding Skills Framework" and dom.text("type") == "Competency Framework"
    assert dom.text("competencies") == "Read blueprints Weld joint type 1 Weld joint type 2"
    # The two joint types sit under "Read blueprints".
    assert dom.tree == [(1, "Read blueprints"), (2, "Weld joint type 1"), (2, "Weld joint type 2")]
    assert dom.facts()["Publisher"] == ORG_NAME
    competency = render(f"{url}{dom.link('Read blueprints')}")
    assert competency.text("name") == "Read blueprints" and competency.text("type") == "Competency"
    assert competency.link("Welding Skills Framework") == f"/resources/{main_ctid(docs['framework'])}"
    assert competency.text("competencies") == "Weld joint type 1 Weld joint type 2"
    assert_accessible_and_self_contained(competency)


@needs_chromium
def test_real_registry_assistant_output_renders(site: tuple[str, dict]) -> None:
    url, docs = site
    dom = render(f"{url}/resources/{main_ctid(docs['sample'])}")
    assert dom.text("name") == "160 Driving Academy" and dom.text("type") == "Learning Opportunity Profile"
    facts = dom.facts()
    assert facts["Owned by"] == "160 Driving Academy"  # the owner is a blank node of the graph: its name
    assert "Illinois Secretary of State" in facts["Approved By"]
    assert ["Occupation (SOC / O*NET)", "53-3032", "Heavy and Tractor-Trailer Truck Drivers"] in dom.rows
    assert "4,695 USD — Tuition" in dom.text("cost")
    assert "4 weeks" in dom.text("duration") and "160 hours" in dom.text("duration")


@needs_chromium
def test_index_lists_searches_and_pages(site: tuple[str, dict]) -> None:
    url, _ = site
    dom = render(f"{url}/")
    assert dom.text("count") == "4 resources"
    assert {label for _, label in dom.links} >= {"Associate of Applied Science in Welding", "160 Driving Academy",
                                                  "Welding Safety Fundamentals", "Welding Skills Framework"}
    assert_accessible_and_self_contained(dom)
    found = render(f"{url}/?q=joint+type")
    assert found.text("count") == "2 resources"
    assert [label for href, label in found.links if href.startswith("/resources/")] == \
        ["Weld joint type 1", "Weld joint type 2"]
    nothing = render(f"{url}/?q=astronomy")
    assert nothing.text("count") == "0 resources" and "Nothing matches your search" in nothing.text("main")
    missing = render(f"{url}/resources/{mint_ctid()}")
    assert missing.headings[0] == (1, "Not found")
    bad = render(f"{url}/?page=abc")  # found in acceptance testing: a browser was sent a JSON error
    assert bad.headings[0] == (1, "Bad request") and "page" in bad.text("main")


def test_browser_tests_skip_cleanly_without_chromium() -> None:
    """The skip reason must say what to install (checked even where chromium exists)."""
    assert "apt-get install -y chromium" in needs_chromium.kwargs["reason"]
    assert shutil.which("chromium") is None or CHROMIUM.exists()


# --- outcome data, credit values and numbers ---------------------------------------------------------------------
REAL = Path(__file__).parent / "data" / "real_records"
OUTCOME_DATA = REAL / "ra_certification_outcomedata_output.json"  # a Certification + a named qdata:DataSetProfile
CAREERBRIDGE = REAL / "ra_careerbridge_certificate_aggregatedata_output.json"  # + a DataSetProfile without a name
LANGUAGES = Path(__file__).parent / "data" / "registry" / "CredentialWithMultipleLanguages_Api_output.json"


def _owner(document: dict) -> str:
    return str(document["@graph"][0]["ceterms:ownedBy"][0]).rsplit("/", 1)[-1]


def _numbers_credential() -> dict:
    """Outcome numbers and prices with more than two decimals, cents, thousands; credit values in either spelling."""
    values = {"@type": "ceterms:AggregateDataProfile", "ceterms:name": {"en-US": "Graduates of 2024"},
              "ceterms:currency": "USD", "ceterms:medianEarnings": 52000.5, "ceterms:numberAwarded": 1234567,
              "ceterms:jobsObtained": [{"@type": "schema:QuantitativeValue", "schema:value": 0.8765,
                                        "schema:description": {"en-US": "Share employed"}},
                                       {"@type": "schema:QuantitativeValue", "qdata:percentage": 12.005,
                                        "schema:description": {"en-US": "Employed out of state"}},
                                       {"@type": "schema:QuantitativeValue", "schema:value": 188.0}]}
    cost = [{"@type": "ceterms:CostProfile", "ceterms:price": 4695.5, "ceterms:currency": "USD"},
            {"@type": "ceterms:CostProfile", "ceterms:price": 19.125, "ceterms:currency": "USD"}]
    credits = [{"@type": "ceterms:ConditionProfile",
                "ceterms:description": {"en-US": "Earn the general education credits"},
                "ceterms:creditValue": [{"@type": "ceterms:QuantitativeValue", "ceterms:minValue": 3,
                                         "ceterms:maxValue": 6.5, "ceterms:creditUnitType": ["creditUnit:QuarterHour"],
                                         "ceterms:description": {"en-US": "Any humanities course"}}]},
               {"@type": "ceterms:ConditionProfile", "ceterms:name": {"en-US": "Capstone"},
                "ceterms:creditValue": {"@type": "schema:QuantitativeValue", "schema:value": 1,
                                        "ceterms:creditUnitType": [{"@type": "ceterms:CredentialAlignmentObject",
                                                                    "ceterms:targetNode": "creditUnit:SemesterHour"}]}}]
    return credential(name="Certificate in Data Analysis",
                      **{"ceterms:aggregateData": [values], "ceterms:estimatedCost": cost, "ceterms:requires": credits})


def _course_with_credits() -> dict:
    own = {"@type": "ceterms:QuantitativeValue", "schema:value": 30, "ceterms:creditUnitType": ["creditUnit:ClockHour"],
           "schema:description": {"en-US": "Lab hours included"}}
    return credential(name="Data Analysis Lab", type_="ceterms:Course", **{"ceterms:creditValue": [own]})


@pytest.fixture(scope="module")
def outcomes_site() -> Iterator[tuple[str, dict]]:
    documents = {"outcome": json.loads(OUTCOME_DATA.read_text("utf-8")),
                 "careerbridge": json.loads(CAREERBRIDGE.read_text("utf-8")),
                 "languages": json.loads(LANGUAGES.read_text("utf-8")), "numbers": _numbers_credential(),
                 "course": _course_with_credits()}
    owners = sorted({_owner(d) for d in documents.values()})
    with tempfile.TemporaryDirectory() as tmp, \
            start_embedded(Path(tmp) / "r.sqlite", KEY, orgs=[(o, None) for o in owners]) as registry:
        client = Client(registry.url)
        for key, document in documents.items():
            assert client.publish(document, _owner(document)).status_code == 201, key
        yield registry.url, documents


def fetch(url: str) -> Dom:
    """The page as the server sends it (for what needs no layout)."""
    response = Client(url).get("", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    return Dom(response.text)


def test_condition_credit_values_are_shown(outcomes_site: tuple[str, dict]) -> None:
    url, docs = outcomes_site
    real = fetch(f"{url}/resources/{main_ctid(docs['languages'])}").text("conditions")
    assert ("To earn this credential the following conditions must be met; "
            "Credit: 10 Semester Hours — Credit unit is in semester hours.") in real  # schema:ValueProfile, the RA's
    conditions = fetch(f"{url}/resources/{main_ctid(docs['numbers'])}").text("conditions")
    assert ("Requires: Earn the general education credits; Credit: 3 to 6.5 Quarter Hours — Any humanities course"
            in conditions)  # ceterms: spelling, a range, a concept given by its term
    assert "Requires: Capstone; Credit: 1 Semester Hour" in conditions  # one of it, and the concept's own label
    # A course's own credit value, beside its cost and duration.
    assert fetch(f"{url}/resources/{main_ctid(docs['course'])}").text("credit") == (
        "30 Clock Hours — Lab hours included")


def test_outcome_numbers_and_prices_keep_every_digit(outcomes_site: tuple[str, dict]) -> None:
    url, docs = outcomes_site
    dom = fetch(f"{url}/resources/{main_ctid(docs['numbers'])}")
    facts = dom.facts()
    assert facts["Jobs Obtained"] == "0.8765 — Share employed; 12.005% — Employed out of state; 188"
    assert facts["Median earnings"] == "52,000.50 USD" and facts["Number Awarded"] == "1,234,567"
    # Cents as prices are written; a third decimal kept (a <br> between the two costs).
    assert dom.text("cost") == "4,695.50 USD" + "19.125 USD"


@pytest.mark.parametrize(("value", "money", "shown"), [
    (0.8765, False, "0.8765"), (12.005, False, "12.005"), (1e-07, False, "0.0000001"), (44439, True, "44,439"),
    (52000.0, False, "52,000"), (1234567.891, False, "1,234,567.891"), (19.5, True, "19.50"), (19.5, False, "19.5"),
    (True, False, None), ("12", False, None),
    (1e23, True, "1e+23"), (1e-300, False, "1e-300"),  # not 24 binary digits, not 300 zeros
    (999999999999999.0, False, "999,999,999,999,999")])
def test_numbers_are_shown_as_published(value: object, money: bool, shown: str | None) -> None:
    assert pages._number(value, money) == shown


@needs_chromium
def test_data_set_profile_page_says_what_it_is(outcomes_site: tuple[str, dict]) -> None:
    url, docs = outcomes_site
    unnamed = docs["careerbridge"]["@graph"][1]
    dom = render(f"{url}/resources/{unnamed['ceterms:ctid']}")
    assert dom.headings[0] == (1, "Data Set Profile for A+/MCP Certification Training")  # not its CTID
    assert dom.text("type") == "Data Set Profile"
    facts = dom.facts()
    assert facts["Relevant Data Set For"] == "A+/MCP Certification Training"
    assert facts["Total WIOA Completers"] == "415 — All Completers"  # QData terms the vocabulary does not bundle
    assert facts["Earnings Amount"] == "15.91 USD — Average Wage"
    assert all(":" not in term and term[:1].isupper() for term in facts), sorted(facts)
    assert_accessible_and_self_contained(dom)

    named = docs["outcome"]["@graph"][1]
    dom = render(f"{url}/resources/{named['ceterms:ctid']}")
    assert dom.text("name") == "Dataset profile for AggregateDataProfileprofile"
    assert (3, "AggregateDataProfile Profile DataSetTimeFrame") in dom.headings
    assert (4, "Training related employment") in dom.headings  # each data profile of the time frame
    facts = dom.facts()
    assert facts["Start Date"] == "2017-01-11" and facts["Data Source Coverage Type"] == "Global"
    assert facts["Administrative Record Type"] == "United States 1099 Tax Document"
    low, high = "10th percentile 29,000 USD; 25th percentile 36,000 USD", "75th percentile 58,000 USD"
    assert facts["Earnings Distribution"] == f"{low}; median 52,000 USD; {high}; 90th percentile 67,000 USD"
    assert facts["Demographic Employment Rate"] == "8.4% — Employment rate for a demographic category."
    assert dom.link("My Credential With Outcome data, using: Aggregate Data Profile") == \
        f"/resources/{main_ctid(docs['outcome'])}"
    assert_accessible_and_self_contained(dom)


# --- an organization's records, a page at a time ------------------------------------------------------------------
OWNED_COUNT = 205  # three pages of 100


@pytest.fixture(scope="module")
def big_owner() -> Iterator[str]:
    """An organization's record and 205 certificates it owns, published in an order other than by name."""
    org = {"@context": "https://credreg.net/ctdl/schema/context/json", "@id": f"{REGISTRY_BASE}/graph/{ORG2}",
           "@graph": [{"@id": f"{REGISTRY_BASE}/resources/{ORG2}", "@type": "ceterms:CredentialOrganization",
                       "ceterms:ctid": ORG2, "ceterms:name": {"en-US": ORG2_NAME}}]}
    with tempfile.TemporaryDirectory() as tmp, \
            start_embedded(Path(tmp) / "r.sqlite", KEY, orgs=[f"{ORG2}={ORG2_NAME}"]) as registry:
        client = Client(registry.url)
        assert client.publish(org, ORG2).status_code == 201
        for i in reversed(range(1, OWNED_COUNT + 1)):
            record = credential(name=f"Record {i:03}", **{"ceterms:ownedBy": [f"{REGISTRY_BASE}/resources/{ORG2}"]})
            assert client.publish(record, ORG2).status_code == 201
        yield registry.url


def _owned_names(dom: Dom) -> list[str]:
    return [label for href, label in dom.links if label.startswith("Record ")]


@needs_chromium
def test_organization_page_pages_through_its_records(big_owner: str) -> None:
    url = big_owner
    first = render(f"{url}/resources/{ORG2}")
    assert first.text("owned-count") == "205 records · 1–100 by name · page 1 of 3"
    assert _owned_names(first) == [f"Record {i:03}" for i in range(1, 101)]
    assert "Previous records" not in {label for _, label in first.links}
    assert first.link("Next records") == f"/resources/{ORG2}?page=2#owned"
    assert_accessible_and_self_contained(first)

    second = render(f"{url}{first.link('Next records')}")  # the link as a person follows it
    assert second.text("owned-count") == "205 records · 101–200 by name · page 2 of 3"
    assert _owned_names(second) == [f"Record {i:03}" for i in range(101, 201)]
    assert second.link("Previous records") == f"/resources/{ORG2}?page=1#owned"
    last = render(f"{url}{second.link('Next records')}")
    assert last.text("owned-count") == "205 records · 201–205 by name · page 3 of 3"
    assert _owned_names(last) == [f"Record {i:03}" for i in range(201, 206)]
    assert "Next records" not in {label for _, label in last.links}
    assert last.link("Previous records") == f"/resources/{ORG2}?page=2#owned"


@needs_chromium
def test_organization_page_past_the_last_or_not_a_page(big_owner: str) -> None:
    url = big_owner
    beyond = render(f"{url}/resources/{ORG2}?page=9")
    assert beyond.text("owned-count") == "205 records · page 9 of 3" and _owned_names(beyond) == []
    assert beyond.link("Previous records") == f"/resources/{ORG2}?page=3#owned"  # back to the last page
    bad = render(f"{url}/resources/{ORG2}?page=0")
    assert bad.headings[0] == (1, "Bad request") and "page must be at least 1" in bad.text("main")


def test_owned_records_are_read_a_page_at_a_time(big_owner: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page asks the database for its 100 rows (LIMIT / OFFSET), not for every record the organization owns."""
    from ctdl_tools.registry.server.service import RegistryService

    asked: list[tuple] = []
    owned = RegistryService.owned

    def spy(self: RegistryService, org_ctid: str, limit: int, offset: int = 0) -> tuple[int, list]:
        total, rows = owned(self, org_ctid, limit, offset)
        asked.append((limit, offset, total, len(rows)))
        return total, rows

    monkeypatch.setattr(RegistryService, "owned", spy)
    response = Client(big_owner).get(f"/resources/{ORG2}", params={"page": 3}, headers={"Accept": "text/html"})
    assert response.status_code == 200 and "Record 205" in response.text and "Record 200" not in response.text
    assert asked == [(100, 200, 205, 5)]


def test_labels_and_credit_units_not_in_the_vocabulary_are_named_as_written() -> None:
    assert pages.term_label("qdata:totalWIOACompleters") == "Total WIOA Completers"
    assert pages.term_label("qdata:donnéesÉté") == "donnéesÉté"  # not "Donn Es T"
    assert pages.term_label("https://example.org/Foo") == "//example.org/Foo"  # not a compact term: as the vocabulary
    assert pages._credit({"schema:value": 3, "ceterms:creditUnitType": ["creditUnit:Nope"]}) == "3 Nope"
    unit = {"ceterms:targetNode": ["creditUnit:SemesterHour"]}  # a list where one term belongs
    assert pages._credit({"schema:value": 3, "ceterms:creditUnitType": [unit]}) == "3 Semester Hours"
    named = {"ceterms:targetNodeName": {"en-US": "Lab credits"}}
    assert pages._credit({"schema:value": 2, "ceterms:creditUnitType": [named]}) == "2 Lab credits"


# --- bidi controls, right-to-left text, the envelope link, wrapping, paging, focus, facts (a browser review) -------
class Browser(DevToolsPage):
    """Headless Chromium driven over the DevTools protocol, for what a DOM dump cannot tell: layout at a width a
    window cannot have (headless windows are at least 500 px wide; device metrics make the viewport 390 px) and
    computed styles."""

    def ready(self) -> None:
        self.call("Emulation.setFocusEmulationEnabled", enabled=True)  # :focus as in a window that has it

    def open(self, url: str, width: int = 1280, height: int = 900) -> None:
        """The page, loaded in a viewport ``width`` px wide."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while not self.js(f"location.href === {json.dumps(url)} && document.readyState === 'complete'"):
            assert time.monotonic() < deadline, url
            time.sleep(0.05)

    WIDTH = """(() => ({scroll: document.documentElement.scrollWidth, viewport: window.innerWidth,
      past: Array.from(document.querySelectorAll('body *'))
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}: ${e.textContent.trim().slice(0, 60)}`)
        .slice(0, 8)}))()"""

    def width(self, url: str, width: int) -> dict:
        """How wide the page is laid out at ``width``, and the elements that reach past the viewport's right edge."""
        self.open(url, width)
        return self.js(self.WIDTH)  # type: ignore[no-any-return]


LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3
LONG_URL = "https://www.riverbend.example.edu/catalog/" + "phlebotomytechniciancertificate" * 6  # nowhere to break
ARABIC_NAME = "شهادة في المحاسبة"
ARABIC_DESCRIPTION = "برنامج أكاديميّ شامل في الدراسات المحاسبية."


def _organization_record() -> dict:
    """The publishing organization's own record: types, sector, a telephone, social media."""
    concept = {"@type": "ceterms:CredentialAlignmentObject"}
    return {"@context": "https://credreg.net/ctdl/schema/context/json", "@id": f"{REGISTRY_BASE}/graph/{ORG}",
            "@graph": [{"@id": f"{REGISTRY_BASE}/resources/{ORG}", "@type": "ceterms:CredentialOrganization",
                        "ceterms:ctid": ORG, "ceterms:name": {"en-US": ORG_NAME},
                        "ceterms:description": {"en-US": "A public two-year college."},
                        "ceterms:agentType": [concept | {"ceterms:targetNode": "orgType:Postsecondary",
                                                         "ceterms:targetNodeName": {"en-US": "Postsecondary"}},
                                              concept | {"ceterms:targetNode": "orgType:TwoYear"}],
                        "ceterms:agentSectorType": concept | {"ceterms:targetNode": "agentSector:Public",
                                                              "ceterms:targetNodeName": {"en-US": "Public"}},
                        "ceterms:address": [{"@type": "ceterms:Place",
                                             "ceterms:streetAddress": {"en-US": "2400 College Parkway"},
                                             "ceterms:addressLocality": {"en-US": "Riverbend"},
                                             "ceterms:postalCode": "45601",
                                             "ceterms:targetContactPoint": [{
                                                 "@type": "ceterms:ContactPoint",
                                                 "ceterms:name": {"en-US": "Admissions"},
                                                 "ceterms:telephone": ["555-0142"],
                                                 "ceterms:email": ["admissions@northwind.example.edu"]}]}],
                        "ceterms:socialMedia": ["https://social.example.org/@northwind", "javascript:alert(1)"]}]}


@pytest.fixture(scope="module")
def review_site() -> Iterator[tuple[str, dict]]:
    """Records with what a browser review found shown wrongly: a bidi override in a name, Arabic text, long
    unbroken values, the values providers look for (course codes, versions, keywords…)."""
    uri = f"{REGISTRY_BASE}/resources/{{}}".format
    docs = {
        "org": _organization_record(),
        "bidi": credential(name="Phlebotomy \u202eetacifitreC",
                           **{"ceterms:alternateName": {"en-US": ["Phleb \u2067Cert\u2069"]}}),
        "arabic": credential(**{"ceterms:name": {"ar": ARABIC_NAME},
                                "ceterms:description": {"ar": ARABIC_DESCRIPTION},
                                "ceterms:keyword": {"ar": ["محاسبة", "ضرائب"]}}),
        "long": credential(name=f"Certificate in {LONG_WORD}",
                           **{"ceterms:description": {"en-US": f"See {LONG_URL} and {LONG_WORD} for details."},
                              "ceterms:subjectWebpage": LONG_URL, "ceterms:inCatalog": LONG_URL,
                              "ceterms:keyword": {"en-US": [LONG_WORD]}}),
        "course": credential(type_="ceterms:Course", name="Heating Systems",
                             **{"ceterms:codedNotation": "HVA 120",
                                "ceterms:versionIdentifier": [{"@type": "ceterms:IdentifierValue",
                                                               "ceterms:identifierValueCode": "2025-2026 Catalog",
                                                               "ceterms:identifierTypeName": {
                                                                   "en-US": "Catalog version"}}],
                                "ceterms:keyword": {"en-US": ["furnaces", "heat pumps"]},
                                "ceterms:alternateName": {"en-US": ["HVAC Heating"]},
                                "ceterms:inCatalog": "https://www.northwind.example.edu/catalog",
                                "ceterms:availableOnlineAt": ["https://online.northwind.example.edu/hva-120",
                                                              "javascript:alert(2)"]}),
    }
    with tempfile.TemporaryDirectory() as tmp, \
            start_embedded(Path(tmp) / "r.sqlite", KEY, orgs=[f"{ORG}={ORG_NAME}"]) as registry:
        client = Client(registry.url)
        docs["framework"], docs["competencies"] = framework()
        for key, document in docs.items():
            if key != "competencies":
                assert client.publish(document).status_code == 201, key
        for i in range(25):  # two pages of the index
            assert client.publish(credential(name=f"Filler record {i:02}", **{"ceterms:ownedBy": [uri(ORG)]})
                                  ).status_code == 201
        yield registry.url, docs


def _page(url: str) -> str:
    response = Client(url).get("", headers={"Accept": "text/html"})
    assert response.status_code == 200, (url, response.status_code)
    return response.text


@needs_chromium
def test_a_bidi_override_in_a_name_is_shown_not_obeyed(review_site: tuple[str, dict]) -> None:
    url, docs = review_site
    page = f"{url}/resources/{main_ctid(docs['bidi'])}"
    html = _page(page)
    assert "\u202e" not in html and "\u2067" not in html  # nowhere: text, attributes, <title>
    assert "<title>Phlebotomy \\u202eetacifitreC · Credential Registry</title>" in html
    dom = render(page)
    assert dom.text("name") == "Phlebotomy \\u202eetacifitreC"  # as written, not "Phlebotomy Certificate"
    assert dom.facts()["Other names"] == "Phleb \\u2067Cert\\u2069"
    found = _page(f"{url}/?q=phlebotomy")  # the search page's results, its <title> and the search box
    assert "\u202e" not in found and "Phlebotomy \\u202eetacifitreC" in found
    assert "\u202e" not in _page(f"{url}/?q=%E2%80%AEx")


def _attributes(dom: Dom, element_id: str) -> dict[str, str | None]:
    return next(attrs for _, attrs in dom.tags if attrs.get("id") == element_id)


@needs_chromium
def test_arabic_text_is_laid_out_right_to_left_in_its_language(review_site: tuple[str, dict]) -> None:
    url, docs = review_site
    page = f"{url}/resources/{main_ctid(docs['arabic'])}"
    dom = render(page)
    assert _attributes(dom, "name").items() >= {"dir": "auto", "lang": "ar"}.items()
    assert dom.text("name") == ARABIC_NAME
    with Browser() as browser:
        browser.open(page)
        shown = browser.js("""(() => {
          const style = (e) => [getComputedStyle(e).direction, e.closest('[lang]').lang];
          const keyword = Array.from(document.querySelectorAll('#facts dd span'))
            .find((e) => e.textContent === 'محاسبة');
          return {name: style(document.getElementById('name')),
                  description: style(document.getElementById('description')),
                  keyword: style(keyword), type: style(document.getElementById('type'))};
        })()""")
        assert shown == {"name": ["rtl", "ar"], "description": ["rtl", "ar"], "keyword": ["rtl", "ar"],
                         "type": ["ltr", "en"]}  # the page's own words stay English, left to right
        browser.open(f"{url}/?{urllib.parse.urlencode({'q': ARABIC_NAME})}")
        assert browser.js(f"""getComputedStyle(Array.from(document.querySelectorAll('#results a'))
            .find((a) => a.textContent === {json.dumps(ARABIC_NAME)})).direction""") == "rtl"


@needs_chromium
def test_the_envelope_link_of_a_competency_and_a_data_set_resolves(review_site: tuple[str, dict],
                                                                   outcomes_site: tuple[str, dict]) -> None:
    url, docs = review_site
    competency = render(f"{url}/resources/{docs['competencies'][1]}")
    envelope = competency.link("Registry envelope and revision history")
    assert envelope == f"/envelopes/{main_ctid(docs['framework'])}"  # the framework's, which holds it
    response = Client(url).get(envelope)
    assert response.status_code == 200 and response.json()["envelope_ceterms_ctid"] == main_ctid(docs["framework"])
    assert Client(url).get(competency.link("The whole published graph")).status_code == 200
    data_url, data_docs = outcomes_site
    unnamed = data_docs["careerbridge"]["@graph"][1]  # a data set profile in its credential's graph
    link = render(f"{data_url}/resources/{unnamed['ceterms:ctid']}").link("Registry envelope and revision history")
    assert Client(data_url).get(link).status_code == 200


@needs_chromium
def test_a_browser_asking_for_what_is_not_here_gets_a_not_found_page(review_site: tuple[str, dict]) -> None:
    url, docs = review_site
    for path in (f"/envelopes/{docs['competencies'][1]}", f"/envelopes/{mint_ctid()}/revisions/1",
                 f"/metadata/organizations/{mint_ctid()}", "/no/such/page"):
        response = Client(url).get(path, headers={"Accept": "text/html"})
        assert response.status_code == 404 and response.headers["content-type"].startswith("text/html"), path
        dom = render(f"{url}{path}")
        assert dom.headings[0] == (1, "Not found"), path  # not "Bad request"
        assert_accessible_and_self_contained(dom)
    assert Client(url).get("/no/such/page").json() == {"errors": ["Not Found"]}  # machines still get JSON
    assert Client(url).get(f"/envelopes/{mint_ctid()}").json() == {"errors": ["Envelope not found"]}


@needs_chromium
def test_no_page_scrolls_sideways_on_a_phone_or_a_desktop(review_site: tuple[str, dict]) -> None:
    url, docs = review_site
    pages_ = [f"/resources/{main_ctid(docs['long'])}", f"/resources/{main_ctid(docs['course'])}",
              f"/resources/{ORG}", f"/resources/{main_ctid(docs['framework'])}", "/",
              f"/?q={LONG_WORD[:20]}", f"/envelopes/{mint_ctid()}"]
    with Browser() as browser:
        for path in pages_:
            for width in (390, 1280):
                shown = browser.width(f"{url}{path}", width)
                assert shown["viewport"] == width, shown
                assert shown["scroll"] <= shown["viewport"], (path, width, shown)
        browser.open(f"{url}/resources/{main_ctid(docs['long'])}", 390)
        # The long values are all there, wrapped: the webpage link whole, the name on several lines.
        assert browser.js("document.querySelector('#facts a[href^=\"https://www.riverbend\"]').textContent") == LONG_URL
        assert browser.js("document.getElementById('name').getBoundingClientRect().height") > 100


@needs_chromium
def test_a_page_past_the_last_says_so_and_leads_back(review_site: tuple[str, dict]) -> None:
    url, _ = review_site
    dom = render(f"{url}/?page=999")
    assert dom.text("count") == "31 resources · page 999 of 2"
    assert "Nothing has been published yet" not in dom.text("main")
    assert dom.text("past-the-end") == "There is no page 999: the last is page 2."
    assert dom.link("Previous page") == "/?page=2" and "Next page" not in {label for _, label in dom.links}
    found = render(f"{url}/?q=filler&page=3")
    assert found.text("count") == "25 resources · page 3 of 2" and found.link("Previous page") == "/?q=filler&page=2"
    one = render(f"{url}/?q=heating&page=2")  # one page of results: its number is said, and the way back
    assert one.text("count") == "1 resource · page 2 of 1" and one.link("Previous page") == "/?q=heating&page=1"


def _contrast(a: str, b: str) -> float:
    def luminance(color: str) -> float:
        channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@needs_chromium
def test_focus_is_visible_and_no_icon_is_requested(review_site: tuple[str, dict]) -> None:
    url, docs = review_site
    with Browser() as browser:
        browser.open(f"{url}/resources/{main_ctid(docs['course'])}")
        browser.js("document.querySelector('#facts a').focus()")
        outline = browser.js("(() => { const s = getComputedStyle(document.activeElement);"
                             " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; })()")
        red, green, blue = (int(n) for n in re.findall(r"\d+", outline[2])[:3])
        color = f"#{red:02x}{green:02x}{blue:02x}"
        assert outline[0] == "solid" and outline[1] == "3px"
        assert _contrast(color, "#ffffff") >= 3 and _contrast(color, "#f3f5f8") >= 3, color  # WCAG 1.4.11
        icon = browser.js("document.querySelector('link[rel=icon]')?.getAttribute('href')")
        assert icon is not None and icon.startswith("data:")  # the page's icon: no request for /favicon.ico


def test_record_pages_show_codes_versions_keywords_and_contacts(review_site: tuple[str, dict]) -> None:
    url, docs = review_site
    course = fetch(f"{url}/resources/{main_ctid(docs['course'])}")
    facts = course.facts()
    assert facts["Code"] == "HVA 120"
    assert facts["Version"] == "2025-2026 Catalog (Catalog version)"
    assert facts["Keywords"] == "furnaces; heat pumps" and facts["Other names"] == "HVAC Heating"
    assert facts["In catalog"] == "https://www.northwind.example.edu/catalog"
    assert course.link("https://www.northwind.example.edu/catalog") == "https://www.northwind.example.edu/catalog"
    assert facts["Available online at"] == "https://online.northwind.example.edu/hva-120; javascript:alert(2)"
    assert not any(href.lower().startswith("javascript:") for href, _ in course.links)  # shown, not linked
    org = fetch(f"{url}/resources/{ORG}").facts()
    assert org["Agent Type"] == "Postsecondary; Two-Year College"  # a concept without its name: the vocabulary's
    assert org["Agent Sector Type"] == "Public"
    assert org["Telephone"] == "555-0142 (Admissions)"
    assert org["Email"] == "admissions@northwind.example.edu"
    assert org["Social media"] == "https://social.example.org/@northwind; javascript:alert(1)"
    assert org["Address"] == "2400 College Parkway, Riverbend, 45601"
    competency = fetch(f"{url}/resources/{docs['competencies'][1]}")
    assert "Code" not in competency.facts()  # it has none: no empty fact


def test_languages_of_shown_values() -> None:
    assert pages.lang_of({"en-US": "Welding", "ar": "لحام"}) == "en-US"
    assert pages.lang_of({"ar-sa": "لحام"}) == "ar-sa" and pages.lang_of("Welding") == ""
    assert pages.lang_of({"@none": "x"}) == "" and pages.lang_of({'en" onclick="x': "y"}) == ""  # no tag: none
    assert pages.lang_of([{"ar": "a"}, {"ar": "b"}]) == "ar" and pages.lang_of([{"ar": "a"}, "b"]) == ""
    assert pages.safe_href("https://example.org/\u202egnp.exe") is None  # leads elsewhere than it reads
    assert pages.safe_href("https://example.org/a") == "https://example.org/a"
