"""Record pages name and link what a record refers to by a self-published @id, name a publisher the registry does
not have by the name the record gives, and show where and how a program is offered (found in acceptance testing on
Credential Engine's credential-registry-ingest-examples, Schema-Development and Registry Assistant samples)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ctdl_tools.ctid import REGISTRY_BASE, mint_ctid
from ctdl_tools.registry.server import start_embedded
from tests._registry_server_support import KEY, ORG, Client, credential, framework, main_ctid

from .test_registry_server_pages import fetch, needs_chromium, render

IUSB = Path(__file__).parent / "data" / "registry" / "ra_iusb_bachelordegree_outcomedata_output.json"
SELF = "https://ctdl.example.edu"  # a provider's own @ids, as CE's ingest examples use github.io URLs
ORG_ID = f"{SELF}/Organization-1.json"


def _organization() -> dict:
    ctid = mint_ctid()
    return {"@context": "https://credreg.net/ctdl/schema/context/json", "@id": f"{REGISTRY_BASE}/graph/{ctid}",
            "@graph": [{"@id": ORG_ID, "@type": "ceterms:CredentialOrganization", "ceterms:ctid": ctid,
                        "ceterms:name": {"en-US": "Example University"}}]}


def _program() -> dict:
    """A program whose graph describes its two courses in full, all under self-published @ids."""
    program = credential(type_="ceterms:LearningProgram", name="Digital Skills Program")
    courses = [{"@id": f"{SELF}/Course-1{letter}.json", "@type": "ceterms:Course", "ceterms:ctid": mint_ctid(),
                "ceterms:name": {"en-US": name}, "ceterms:ownedBy": [ORG_ID]}
               for letter, name in (("a", "Personal Growth Mastery"), ("b", "Digital Skills"))]
    main = program["@graph"][0]
    main["ceterms:ownedBy"] = [ORG_ID]
    main["ceterms:hasPart"] = [c["@id"] for c in courses]
    main["ceterms:description"] = {"en-US": "Three courses:\n- Personal Growth Mastery\n- Digital Skills"}
    program["@graph"] += courses
    return program


def _framework_by_another_publisher() -> dict:
    document, _ = framework()
    main = document["@graph"][0]
    main["ceasn:publisher"] = [f"{REGISTRY_BASE}/resources/{(other := mint_ctid())}"]
    main["ceasn:publisherName"] = {"en-US": "Ivy Tech Community College of Indiana"}
    main["ceasn:creator"] = [f"{REGISTRY_BASE}/resources/{other}"]
    return document


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, dict]]:
    docs = {"org": _organization(), "program": _program(), "framework": _framework_by_another_publisher(),
            "iusb": json.loads(IUSB.read_text("utf-8"))}
    owner = str(docs["iusb"]["@graph"][0]["ceterms:ownedBy"][0]).rsplit("/", 1)[-1]
    with tempfile.TemporaryDirectory() as tmp, \
            start_embedded(Path(tmp) / "r.sqlite", KEY, orgs=[(ORG, None), (owner, None)]) as registry:
        client = Client(registry.url)
        for key, document in docs.items():
            assert client.publish(document, owner if key == "iusb" else ORG).status_code == 201, key
        yield registry.url, docs


def test_parts_and_owner_named_by_a_self_published_id_are_linked(site: tuple[str, dict]) -> None:
    url, docs = site
    page = fetch(f"{url}/resources/{main_ctid(docs['program'])}")
    courses = docs["program"]["@graph"][1:]
    facts = page.facts()
    assert facts["Has Part"] == "Personal Growth Mastery (Course); Digital Skills (Course)"  # was left out
    assert page.link("Personal Growth Mastery") == f"/resources/{courses[0]['ceterms:ctid'].lower()}"
    assert facts["Owned by"] == "Example University (Credential Organization)"  # was the raw github.io-style URL
    assert page.link("Example University") == f"/resources/{main_ctid(docs['org']).lower()}"


def test_a_publisher_not_in_the_registry_is_named_by_the_record(site: tuple[str, dict]) -> None:
    url, docs = site
    facts = fetch(f"{url}/resources/{main_ctid(docs['framework'])}").facts()
    assert facts["Publisher"] == "Ivy Tech Community College of Indiana (not in this registry)"  # not its CTID
    assert facts["Creator"].startswith("ce-")  # no name given beside it: the CTID, said to be elsewhere


def test_where_and_how_a_program_is_offered(site: tuple[str, dict]) -> None:
    url, docs = site
    page = fetch(f"{url}/resources/{main_ctid(docs['iusb'])}")
    facts = page.facts()
    assert facts["Learning Delivery Type"] == "In-Person Only; Online Only"
    assert facts["Available at"].startswith("Indiana University South Bend")
    assert facts["Date effective"] == "1971-08-04" and facts["Language"] == "en"


def test_a_description_keeps_its_line_breaks(site: tuple[str, dict]) -> None:
    url, docs = site
    response = Client(url).get(f"/resources/{main_ctid(docs['program'])}", headers={"Accept": "text/html"})
    assert '<p id="description" class="text">Three courses:\n- Personal Growth Mastery\n- Digital Skills</p>' in (
        response.text)
    assert ".text { white-space: pre-line; }" in response.text  # shown as written, not run together


@needs_chromium
def test_the_program_page_in_a_browser(site: tuple[str, dict]) -> None:
    url, docs = site
    dom = render(f"{url}/resources/{main_ctid(docs['program'])}")
    assert dom.facts()["Has Part"] == "Personal Growth Mastery (Course); Digital Skills (Course)"
    assert dom.headings[0] == (1, "Digital Skills Program")
