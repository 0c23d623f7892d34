"""The registry's HTML pages, rendered by headless Chromium (Debian's ``chromium``) and read from the DOM."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from typing import ClassVar

import pytest

from ctdl_tools.ctid import REGISTRY_BASE, mint_ctid
from ctdl_tools.registry.server import start_embedded
from tests._registry_server_support import KEY, ORG, ORG_NAME, Client, credential, framework, main_ctid

CHROMIUM = Path("/usr/bin/chromium")
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
        assert tag not in ("script", "img", "iframe", "link"), (tag, attrs)  # nothing fetched from elsewhere
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
