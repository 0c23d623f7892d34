"""Large competency frameworks on the local registry (found in acceptance testing with SOC/O*NET's 2,463 and ESCO's
13,939 competencies): what a competency page shows, what it costs, the event loop kept free while pages render,
gzip, and request bodies over 16 MiB. Frameworks are built in-process; a few thousand competencies at most."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from ctdl_tools.ctid import REGISTRY_BASE, mint_ctid
from ctdl_tools.registry import publish
from ctdl_tools.registry.commands import publish_command
from ctdl_tools.registry.server import child, pages, start_embedded, web
from ctdl_tools.registry.server.commands import registry
from ctdl_tools.registry.server.service import RegistryService
from ctdl_tools.registry.server.store import Store
from tests._registry_server_support import AUTH, CTDLASN, KEY, ORG, Client, credential, framework, main_ctid
from tests.conftest import sigint_default
from tests.publish_support import ctid_for, make_document

from .test_registry_server_pages import fetch, needs_chromium, render

URI = f"{REGISTRY_BASE}/resources/{{}}".format
HTML = {"Accept": "text/html"}
RUN = "import sys; from ctdl_tools.registry.server.commands import registry; registry(prog_name='ctdl registry')"


def tree_framework(count: int, *, fanout: int = 10, has_child: bool = True) -> tuple[dict, list[str]]:
    """A framework of ``count`` labelled competencies in a tree: competency 0 on top, each other's broader one is
    ``(i - 1) // fanout``. ``has_child=False``: the tree is given by ``isChildOf`` only, as some converters write."""
    ctid = mint_ctid()
    ctids = [mint_ctid() for _ in range(count)]
    top = {"@id": URI(ctid), "@type": "ceasn:CompetencyFramework", "ceterms:ctid": ctid,
           "ceasn:name": {"en-US": "Occupational Skills"}, "ceasn:publisher": [URI(ORG)],
           "ceasn:hasTopChild": [URI(ctids[0])]}
    nodes: list[dict] = [top]
    for i, c in enumerate(ctids):
        node: dict[str, Any] = {
            "@id": URI(c), "@type": "ceasn:Competency", "ceterms:ctid": c,
            "ceasn:competencyLabel": {"en-US": f"Skill {i}"},
            "ceasn:competencyText": {"en-US": f"Perform task {i} to the standard of the trade."},
            "ceasn:codedNotation": f"S-{i}", "ceasn:isPartOf": URI(ctid)}
        if i == 0:
            node["ceasn:isTopChildOf"] = URI(ctid)
        else:
            node["ceasn:isChildOf"] = [URI(ctids[(i - 1) // fanout])]
        kids = [URI(ctids[k]) for k in range(i * fanout + 1, min(count, i * fanout + fanout + 1))]
        if kids and has_child:
            node["ceasn:hasChild"] = kids
        nodes.append(node)
    return {"@context": CTDLASN, "@id": f"{REGISTRY_BASE}/graph/{ctid}", "@graph": nodes}, ctids


def children_of(i: int, count: int, fanout: int = 10) -> list[int]:
    return list(range(i * fanout + 1, min(count, i * fanout + fanout + 1)))


def described_framework() -> tuple[dict, list[str]]:
    """Three competencies; the second says everything a competency page should show."""
    document, ctids = framework(competencies=3, base=REGISTRY_BASE)
    elsewhere = mint_ctid()  # a competency of a framework this registry does not have
    second = document["@graph"][2]
    second.update({
        "ceasn:competencyLabel": {"en-US": "Joint welding"},
        "ceasn:competencyText": {"en-US": "Weld butt and fillet joints in all positions."},
        "ceasn:competencyCategory": {"en-US": ["Skill", "Core <trade>"]},
        "ceasn:conceptKeyword": {"en-US": ["MIG", "TIG"]},
        "ceasn:comment": {"fr": "Évalué en atelier \u202egnidlew"},
        "ceasn:exactAlignment": [URI(ctids[2])],
        "ceasn:broadAlignment": ["http://data.europa.eu/esco/skill/0b2b3c11-9d5e-4d8c-a8a9-6c1f1d2a9b7e"],
        "ceasn:narrowAlignment": [URI(elsewhere)],
        "ceasn:majorAlignment": [URI(ctids[0])],
        "ceasn:minorAlignment": ["javascript:alert(1)"],
        "ceasn:prerequisiteAlignment": [URI(ctids[2])],
        "ceasn:crossSubjectReference": ["https://example.org/math/geometry"]})
    document["@graph"][3]["ceasn:comment"] = {"en-US": "Assessed on a test plate."}  # unlabelled: a fact, too
    return document, [*ctids, elsewhere]


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, dict]]:
    with tempfile.TemporaryDirectory() as tmp, start_embedded(Path(tmp) / "r.sqlite", KEY, orgs=[ORG]) as running:
        client = Client(running.url)
        described, described_ctids = described_framework()
        tree, tree_ctids = tree_framework(1200)
        flat, flat_ctids = tree_framework(1200, has_child=False)
        for document in (described, tree, flat):
            assert client.publish(document).status_code == 201
        yield running.url, {"described": (described, described_ctids), "tree": (tree, tree_ctids),
                            "flat": (flat, flat_ctids)}


# --- 1. a competency page shows the competency ---------------------------------------------------------------
def test_a_labelled_competency_shows_its_text_and_what_it_says_of_itself(site: tuple[str, dict]) -> None:
    url, docs = site
    _, ctids = docs["described"]
    page = fetch(f"{url}/resources/{ctids[1]}")
    assert page.headings[0] == (1, "Joint welding")  # the label is the heading
    assert page.text("description") == "Weld butt and fillet joints in all positions."  # was not shown at all
    facts = page.facts()
    assert facts["Broader competency"] == "Read blueprints"
    assert page.link("Read blueprints") == f"/resources/{ctids[0]}"
    assert facts["Category"] == "Skill; Core <trade>"
    assert facts["Concept keywords"] == "MIG; TIG"
    assert facts["Comment"] == "Évalué en atelier \\u202egnidlew"  # a bidi control is shown, not obeyed
    assert facts["Exact alignment"] == "Weld joint type 2"
    assert page.link("Weld joint type 2") == f"/resources/{ctids[2]}"
    assert facts["Broad alignment"] == "http://data.europa.eu/esco/skill/0b2b3c11-9d5e-4d8c-a8a9-6c1f1d2a9b7e"
    assert page.link(facts["Broad alignment"]) == facts["Broad alignment"]
    assert facts["Narrow alignment"] == f"{ctids[3]} (not in this registry)"
    assert facts["Major alignment"] == "Read blueprints"
    assert facts["Minor alignment"] == "javascript:alert(1)"  # shown, never a link
    assert all(not href.startswith("javascript:") for href, _ in page.links)
    assert facts["Prerequisite alignment"] == "Weld joint type 2"
    assert facts["Cross-subject reference"] == "https://example.org/math/geometry"
    assert "Related records" not in [text for _, text in page.headings]  # each shown once, as a fact


def test_competency_facts_carry_their_language_and_are_escaped(site: tuple[str, dict]) -> None:
    url, docs = site
    _, ctids = docs["described"]
    html = Client(url).get(f"/resources/{ctids[1]}", headers=HTML).text
    assert '<dt>Comment</dt><dd><span dir="auto" lang="fr">Évalué en atelier \\u202egnidlew</span></dd>' in html
    assert '<span dir="auto" lang="en-US">Core &lt;trade&gt;</span>' in html
    assert '<div dir="auto" lang="en-US">\n    <p id="description" class="text">Weld butt' in html
    assert "\u202e" not in html


def test_an_unlabelled_competency_is_headed_by_its_text_once(site: tuple[str, dict]) -> None:
    url, docs = site
    _, ctids = docs["described"]
    page = fetch(f"{url}/resources/{ctids[2]}")
    assert page.headings[0] == (1, "Weld joint type 2")
    assert "description" not in page.text_by_id  # not its heading again
    assert page.facts()["Broader competency"] == "Read blueprints"


def _listed(url: str, query: str, ctid: str) -> str:
    """The search list's entry of ``ctid`` for ``query``, as text (its name, note and description)."""
    html = Client(url).get("/", headers=HTML, params={"q": query}).text
    item = next(li for li in html.split("<li>")[1:] if f'href="/resources/{ctid}"' in li)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", item.split("</li>")[0])).split())


def test_the_search_list_describes_a_labelled_competency_by_its_text(site: tuple[str, dict]) -> None:
    # Found in review: the list showed a labelled competency's comment (or nothing), its page its text.
    url, docs = site
    _, ctids = docs["described"]
    assert fetch(f"{url}/resources/{ctids[1]}").text("description") == "Weld butt and fillet joints in all positions."
    entry = _listed(url, "joint welding", ctids[1])
    assert entry.startswith("Joint welding ") and entry.endswith(" Weld butt and fillet joints in all positions.")
    assert "Évalué" not in entry


def test_the_search_list_shows_an_unlabelled_competency_s_text_once(site: tuple[str, dict]) -> None:
    url, docs = site
    _, ctids = docs["described"]
    entry = _listed(url, "weld joint type 2", ctids[2])
    assert entry.count("Weld joint type 2") == 1
    assert "test plate" not in entry  # its comment is a fact on its page, not its description
    assert fetch(f"{url}/resources/{ctids[2]}").facts()["Comment"] == "Assessed on a test plate."


@needs_chromium
def test_the_competency_page_in_a_browser(site: tuple[str, dict]) -> None:
    url, docs = site
    _, ctids = docs["described"]
    dom = render(f"{url}/resources/{ctids[1]}")
    assert dom.text("description") == "Weld butt and fillet joints in all positions."
    facts = dom.facts()
    assert facts["Broader competency"] == "Read blueprints" and facts["Concept keywords"] == "MIG; TIG"
    assert dom.link("Read blueprints") == f"/resources/{ctids[0]}"


# --- 2. a competency page costs what it shows ------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["tree", "flat"])
def test_a_competency_page_lists_its_narrower_competencies(site: tuple[str, dict], kind: str) -> None:
    url, docs = site
    _, ctids = docs[kind]
    for i in (0, 3, 119):
        page = fetch(f"{url}/resources/{ctids[i]}")
        shown = [text for _, text in page.tree]
        assert shown == [f"Perform task {k} to the standard of the trade." for k in children_of(i, len(ctids))]
        assert page.link(shown[0]) == f"/resources/{ctids[children_of(i, len(ctids))[0]]}"
    leaf = fetch(f"{url}/resources/{ctids[1100]}")
    assert leaf.tree == [] and leaf.facts()["Broader competency"] == "Skill 109"


@pytest.mark.parametrize("kind", ["tree", "flat"])
def test_the_framework_page_nests_every_competency(site: tuple[str, dict], kind: str) -> None:
    url, docs = site
    document, ctids = docs[kind]
    page = fetch(f"{url}/resources/{main_ctid(document)}")
    assert len(page.tree) == len(ctids)
    depth = dict((text, level) for level, text in page.tree)
    assert depth["Perform task 0 to the standard of the trade."] == 1
    assert depth["Perform task 5 to the standard of the trade."] == 2  # under 0
    assert depth["Perform task 55 to the standard of the trade."] == 3  # under 5
    assert depth["Perform task 555 to the standard of the trade."] == 4  # under 55


def test_a_competency_page_does_not_read_its_whole_framework(site: tuple[str, dict],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """It read and parsed the whole graph document (20 MB for ESCO) and built the whole tree, for every page."""
    url, docs = site
    _, ctids = docs["tree"]

    def whole_document(*args: object) -> None:
        raise AssertionError("a competency page read its whole framework")

    monkeypatch.setattr(RegistryService, "resource_text", whole_document)
    page = fetch(f"{url}/resources/{ctids[12]}")
    assert page.headings[0] == (1, "Skill 12") and len(page.tree) == 10
    assert page.facts()["Part of framework"] == "Occupational Skills"
    node = Client(url).get(f"/resources/{ctids[13]}").json()  # its JSON-LD too
    assert node["ceterms:ctid"] == ctids[13] and node["@context"] == CTDLASN
    assert node["@id"] == f"{url}/resources/{ctids[13]}"  # rebased, as the whole graph's are


def test_a_large_framework_given_by_is_child_of_only_is_read_whole() -> None:
    """The tree's isChildOf fallback asked, for every competency, whether any competency listed it (quadratic: a
    10,000-competency framework page took 4 s; now linear, see README's registry section). Not timed here (tests
    stay deterministic): the tree of a large isChildOf-only framework is right."""
    document, _ = tree_framework(4000, has_child=False)
    graph = document["@graph"]
    tree = pages.competency_tree(None, graph[0], graph)  # type: ignore[arg-type]
    assert [t.text for t in tree] == ["Perform task 0 to the standard of the trade."]
    assert [t.label for t in tree[0].children] == [f"Skill {k}" for k in range(1, 11)]
    assert [t.label for t in tree[0].children[0].children] == [f"Skill {k}" for k in children_of(1, 4000)]


def test_rows_stored_without_their_node_are_filled_when_the_registry_opens(tmp_path: Path) -> None:
    """A database written before node rows existed (or by an older build): the page reads the whole graph until
    the next start fills the rows; a database taken back to an earlier schema migrates again."""
    db = tmp_path / "r.sqlite"
    document, ctids = tree_framework(40)
    with start_embedded(db, KEY, orgs=[ORG]) as running:
        assert Client(running.url).publish(document).status_code == 201
        with sqlite3.connect(db) as raw:
            raw.execute("UPDATE resources SET node = NULL, children = NULL")
        page = fetch(f"{running.url}/resources/{ctids[1]}")  # from the whole document
        assert [text for _, text in page.tree] == [f"Perform task {k} to the standard of the trade."
                                                  for k in children_of(1, 40)]
        assert Client(running.url).get(f"/resources/{ctids[1]}").json()["ceterms:ctid"] == ctids[1]
    with sqlite3.connect(db) as raw:
        raw.execute("DELETE FROM schema_migrations WHERE version >= 6")
    Store(db).close()
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT COUNT(*) FROM resources WHERE node IS NULL OR children IS NULL").fetchone() == (0,)
        children = dict(raw.execute("SELECT position, children FROM resources"))
    assert json.loads(children[2]) == [k + 1 for k in children_of(1, 40)]  # positions: the framework is 0
    with start_embedded(db, KEY) as running:
        page = fetch(f"{running.url}/resources/{ctids[1]}")
        assert next(text for _, text in page.tree) == "Perform task 11 to the standard of the trade."


def test_a_node_found_before_its_graph_changed_is_not_read_from_the_new_version(tmp_path: Path) -> None:
    # Found in review: a page read its node's row, then (separately) its children's, or fell back to the whole
    # document and took whatever node sat at the old position; an answer cached under the old digest kept it.
    store = Store(tmp_path / "r.sqlite")
    try:
        service = RegistryService(store, REGISTRY_BASE)
        service.add_organization(ORG, "Northwind")
        document, ctids = tree_framework(30)
        service.publish(document, ORG)
        hit = service.find_node(ctids[1])
        assert hit is not None and service.resource_text(hit) is not None
        assert service.envelope_nodes(hit, positions=[2]) is not None
        changed = json.loads(json.dumps(document))
        changed["@graph"][1]["ceasn:competencyText"] = {"en": "Reworded."}
        service.publish(changed, ORG)
        assert service.resource_text(hit) is None and service.envelope_nodes(hit, positions=[2]) is None
        again = service.find_node(ctids[1])
        assert again is not None and again.digest != hit.digest and service.resource_text(again) is not None
    finally:
        store.close()


# --- 3. the event loop is not held up by pages -----------------------------------------------------------------
SLOW = 1.5
PAGES = 6  # framework pages asked for at once: more than the workers that render them


def test_a_small_request_is_answered_while_slow_pages_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With four framework pages rendering (made slow here), a 4 ms JSON request took 5.8 s: pages were rendered on
    the event loop. Pages that hold a whole graph render in worker threads, a few at a time (memory); a
    competency's page, reading its own rows, does not wait for them."""
    with start_embedded(tmp_path / "r.sqlite", KEY, orgs=[ORG]) as running:
        client = Client(running.url)
        document, ctids = framework(competencies=4)
        small = credential()
        assert client.publish(document).status_code == 201 and client.publish(small).status_code == 201
        started = threading.Event()
        real = pages.render
        rendering: list[int] = []
        at_once: list[int] = []
        lock = threading.Lock()

        def slow_render(template: str, *args: Any, **values: Any) -> Any:
            if "view" not in values or values["view"].type != "ceasn:CompetencyFramework":
                return real(template, *args, **values)
            with lock:
                rendering.append(1)
                at_once.append(len(rendering))
            started.set()
            time.sleep(SLOW)  # blocking, as parsing and rendering a large framework is
            with lock:
                rendering.pop()
            return real(template, *args, **values)

        monkeypatch.setattr(pages, "render", slow_render)
        done: dict[str, float] = {}
        statuses: list[int] = []

        def page(i: int) -> None:
            statuses.append(Client(running.url).get(f"/resources/{main_ctid(document)}", headers=HTML).status_code)
            done[f"page {i}"] = time.monotonic()

        threads = [threading.Thread(target=page, args=(i,)) for i in range(PAGES)]
        for thread in threads:
            thread.start()
        assert started.wait(10)
        time.sleep(0.2)  # the others reach the server
        asked = time.monotonic()
        answer = Client(running.url).get(f"/resources/{main_ctid(small)}")
        competency = fetch(f"{running.url}/resources/{ctids[1]}")
        done["small"] = time.monotonic()
        for thread in threads:
            thread.join(30)
    assert answer.status_code == 200 and answer.json()["ceterms:ctid"] == main_ctid(small)
    assert competency.headings[0] == (1, "Weld joint type 1")
    assert statuses == [200] * PAGES
    assert done["small"] < min(t for k, t in done.items() if k != "small"), done
    assert done["small"] - asked < SLOW / 2
    assert max(at_once) == web.DOCUMENT_WORKERS  # more at once would hold more whole graphs in memory


# --- 4. gzip ---------------------------------------------------------------------------------------------------
def test_large_answers_are_gzipped_when_the_client_accepts_it(site: tuple[str, dict]) -> None:
    url, docs = site
    document, ctids = docs["tree"]
    fw = main_ctid(document)
    for path, accept in ((f"/resources/{fw}", "text/html"), (f"/graph/{fw}", "application/json"),
                         (f"/envelopes/{fw}", "application/json"), (f"/resources/{ctids[5]}", "text/html"),
                         ("/?q=skill", "text/html")):
        zipped = requests.get(url + path, headers={"Accept": accept, "Accept-Encoding": "gzip"}, stream=True,
                              timeout=30)
        body = zipped.raw.read(decode_content=False)
        plain = requests.get(url + path, headers={"Accept": accept, "Accept-Encoding": "identity"}, timeout=30)
        assert zipped.status_code == plain.status_code == 200, path
        assert zipped.headers["Content-Encoding"] == "gzip", path
        assert int(zipped.headers["Content-Length"]) == len(body)
        assert gzip.decompress(body) == plain.content
        assert len(body) < len(plain.content) / (5 if len(plain.content) > 100_000 else 2), path
        assert "content-encoding" not in {k.lower() for k in plain.headers}  # only when asked for
        for response in (zipped, plain):
            assert "Accept-Encoding" in [v.strip() for v in response.headers["Vary"].split(",")]
            if accept == "text/html":  # a page still says it depends on Accept too
                assert "Accept" in [v.strip() for v in response.headers["Vary"].split(",")]
        assert zipped.headers["Content-Type"] == plain.headers["Content-Type"]


@pytest.mark.parametrize(("accept_encoding", "zipped"), [
    ("gzip", True), ("x-gzip", True), ("GZIP;Q=0.5", True), ("*", True), ("br, *;q=0.1", True),
    ("gzip;q=0", False), ("identity, gzip;Q=0", False), ("*;q=0", False), ("gzip;q=0, *", False),
    ("deflate, br", False), ("", False),
])
def test_accept_encoding_q_values_are_read(accept_encoding: str, zipped: bool) -> None:
    # Starlette compressed whenever "gzip" appeared in the header: gzip;q=0 (RFC 9110 §12.5.3: not acceptable)
    # got a gzip body.
    assert web.accepts_gzip(accept_encoding) is zipped


def test_a_client_refusing_gzip_gets_none(site: tuple[str, dict]) -> None:
    url, docs = site
    path = f"{url}/graph/{main_ctid(docs['tree'][0])}"
    for accept_encoding, zipped in (("gzip;q=0", False), ("identity;q=1, gzip;q=0", False), ("*", True)):
        answer = requests.get(path, headers={"Accept-Encoding": accept_encoding}, stream=True, timeout=30)
        body = answer.raw.read(decode_content=False)
        assert answer.status_code == 200
        assert answer.headers.get("Content-Encoding") == ("gzip" if zipped else None), accept_encoding
        assert json.loads(gzip.decompress(body) if zipped else body)["@id"].endswith(main_ctid(docs["tree"][0]))


def test_small_answers_and_head_requests(site: tuple[str, dict]) -> None:
    url, docs = site
    document, _ = docs["tree"]
    small = requests.get(f"{url}/ctid", headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert small.status_code == 200 and "Content-Encoding" not in small.headers  # under 1 KiB: as it is
    assert "Content-Encoding" not in requests.get(f"{url}/resources/{mint_ctid()}", timeout=30,
                                                  headers={"Accept-Encoding": "gzip"}).headers
    get = requests.get(f"{url}/resources/{main_ctid(document)}", stream=True, timeout=30,
                       headers={"Accept": "text/html", "Accept-Encoding": "gzip"})
    head = requests.head(f"{url}/resources/{main_ctid(document)}", timeout=30,
                         headers={"Accept": "text/html", "Accept-Encoding": "gzip"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Encoding"] == "gzip"
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    get.close()


# --- 5. request bodies -----------------------------------------------------------------------------------------
def _large_credential(megabytes: float) -> tuple[dict, bytes]:
    document = credential()
    document["@graph"][0]["ceterms:keyword"] = ["x" * 1024] * int(megabytes * 1024)
    return document, json.dumps(document).encode()


def test_the_default_limit_takes_a_document_over_16_mib(tmp_path: Path) -> None:
    """ESCO's 13,939 competencies are 16.9 MB of compact JSON: `ctdl publish` to the local registry got 413."""
    _, body = _large_credential(17)
    assert 16 * 1024 * 1024 < len(body) < 64 * 1024 * 1024
    with start_embedded(tmp_path / "r.sqlite", KEY, orgs=[ORG]) as running:
        client = Client(running.url)
        assert client.post(f"/resources/organizations/{ORG}/documents", data=body, headers=AUTH).status_code == 201
        assert "limited to 64 MiB" in client.get("/openapi.json").json()["info"]["description"]


def test_a_configured_limit_refuses_larger_bodies_clearly(tmp_path: Path) -> None:
    _, body = _large_credential(1.5)
    with start_embedded(tmp_path / "r.sqlite", KEY, orgs=[ORG], max_body_bytes=1024 * 1024) as running:
        client = Client(running.url)
        declared = client.post(f"/resources/organizations/{ORG}/documents", data=body, headers=AUTH)
        assert declared.status_code == 413
        message = declared.json()["errors"][0]
        assert message.startswith("Request body too large: the limit is 1 MiB (this one is 1.5 MiB)")
        assert "--max-body-mb" in message

        def chunks() -> Iterator[bytes]:  # no Content-Length to check up front
            for i in range(0, len(body), 1 << 18):
                yield body[i:i + (1 << 18)]

        streamed = client.post(f"/resources/organizations/{ORG}/documents", data=chunks(), headers=AUTH)
        assert streamed.status_code == 413
        assert streamed.json()["errors"][0].startswith("Request body too large: the limit is 1 MiB;")
        spec = client.get("/openapi.json").json()
        assert "limited to 1 MiB (413" in spec["info"]["description"]
        assert spec["components"]["responses"]["TooLarge"]["description"] == "request body over 1 MiB"
        assert client.get("/envelopes", params={"per_page": 1}).headers["X-Total"] == "0"


def test_registry_serve_takes_max_body_mb(tmp_path: Path) -> None:
    help_text = CliRunner().invoke(registry, ["serve", "--help"]).output
    assert "--max-body-mb" in help_text and "[default: 64" in help_text
    refused = CliRunner().invoke(registry, ["serve", "--db", str(tmp_path / "x.sqlite"), "--max-body-mb", "0"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    _, body = _large_credential(1.5)
    process = subprocess.Popen(
        [sys.executable, "-c", RUN, "serve", "--db", str(tmp_path / "r.sqlite"), "--port", "0", "--api-key", KEY,
         "--quiet", "--org", ORG, "--max-body-mb", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=sigint_default)
    try:
        url = process.stdout.readline().strip()  # type: ignore[union-attr]
        client = Client(url)
        answer = client.post(f"/resources/organizations/{ORG}/documents", data=body, headers=AUTH)
        assert answer.status_code == 413 and "the limit is 1 MiB" in answer.json()["errors"][0]
        assert client.publish(credential()).status_code == 201
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_publish_starts_its_registry_with_room_for_its_largest_document(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ctdl publish` to the embedded registry: its limit fits the largest file it sends (here over a default made
    small), in a thread and in a child process."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CTDL_API_KEY", raising=False)
    monkeypatch.setattr(web, "MAX_BODY_BYTES", 64 * 1024)
    out = tmp_path / "out"
    out.mkdir()
    big = make_document(1)
    big["@graph"][0]["ceterms:keyword"] = [f"keyword {i} " + "x" * 90 for i in range(1500)]  # ~150 KB
    (out / f"{ctid_for(1)}.json").write_text(json.dumps(big), encoding="utf-8")
    (out / f"{ctid_for(2)}.json").write_text(json.dumps(make_document(2)), encoding="utf-8")
    size = (out / f"{ctid_for(1)}.json").stat().st_size
    assert size > 2 * web.MAX_BODY_BYTES
    limits: list[int] = []
    real_embedded, real_child = start_embedded, child.start_child

    def embedded(*args: Any, **kwargs: Any) -> Any:
        limits.append(kwargs.get("max_body_bytes", 0))
        return real_embedded(*args, **kwargs)

    def in_child(*args: Any, **kwargs: Any) -> Any:
        limits.append(args[4] if len(args) > 4 else kwargs.get("max_body_bytes", 0))
        return real_child(*args, **kwargs)

    monkeypatch.setattr("ctdl_tools.registry.server.start_embedded", embedded)
    monkeypatch.setattr(child, "start_child", in_child)
    result = CliRunner().invoke(publish_command, [str(out), "--force", "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"] == {"published": 2}
    assert limits and limits[-1] >= 2 * size
    # A run large enough for the registry's own process, which is told the limit too.
    big["@graph"][0]["ceterms:keyword"].append("one more")
    (out / f"{ctid_for(1)}.json").write_text(json.dumps(big), encoding="utf-8")
    monkeypatch.setattr(publish, "CHILD_REGISTRY_RECORDS", 1)
    result = CliRunner().invoke(publish_command, [str(out), "--force", "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"] == {"updated": 1, "unchanged": 1}
    assert len(limits) == 2 and limits[-1] >= 2 * size


def test_the_child_registry_takes_the_limit_it_is_given(tmp_path: Path) -> None:
    _, body = _large_credential(1.5)
    with child.start_child(tmp_path / "r.sqlite", KEY, [ORG], REGISTRY_BASE, 1024 * 1024) as running:
        answer = Client(running.url).post(f"/resources/organizations/{ORG}/documents", data=body, headers=AUTH)
        assert answer.status_code == 413 and "the limit is 1 MiB" in answer.json()["errors"][0]



def test_connections_of_ended_threads_are_closed(tmp_path: Path) -> None:
    # Found in review: pages now render in worker threads, which anyio ends when idle and replaces; each new one
    # opened a connection and the old ones stayed open until shutdown (152 connections, 314 files after a while).
    import threading

    from ctdl_tools.registry.server.store import Store

    store = Store(tmp_path / "r.sqlite")
    try:
        for _ in range(20):
            worker = threading.Thread(target=lambda: store.db.execute("SELECT 1").fetchone())
            worker.start()
            worker.join()
        store.db.execute("SELECT 1")
        assert len(store._all) <= 2  # this thread's, and at most the last worker's (closed when the next opens)
    finally:
        store.close()
