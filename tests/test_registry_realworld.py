"""The local registry as a state agency's staging area for providers' real data: Registry Assistant outputs with
outcome data, multi-language records, codes and organizations, published as ``ctdl publish`` publishes them (each
owner registered by its CTID, without a name), then read back as pages and searches."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest

from ctdl_tools.registry.server import graphdoc, start_embedded
from ctdl_tools.registry.server.store import Store
from tests._registry_server_support import KEY, ORG, Client, credential, framework, main_ctid

DATA = Path(__file__).parent / "data"
KANSAS = DATA / "real_records" / "ra_kansas_associatedegree_aggregatedata_output.json"  # AggregateData, earnings
CAREERBRIDGE = DATA / "real_records" / "ra_careerbridge_certificate_aggregatedata_output.json"  # + DataSetProfile
PROPATH = DATA / "real_records" / "ra_propath_license_published.json"  # O*NET 53-3032.00
LANGUAGES = DATA / "registry" / "CredentialWithMultipleLanguages_Api_output.json"  # name in English and Arabic
KANSAS_OWNER = "ce-3382bacb-2f29-4037-874e-9a53e2398661"
ORG_CTID = "ce-7e000000-0000-4000-8000-00000000a9e1"


def _load(path: Path) -> dict:
    return json.loads(path.read_text("utf-8-sig"))


def _owner(document: dict) -> str:
    owner = document["@graph"][0]["ceterms:ownedBy"]
    return str(owner[0] if isinstance(owner, list) else owner).rsplit("/", 1)[-1]


def _organization() -> dict:
    return {"@context": "https://credreg.net/ctdl/schema/context/json",
            "@id": f"https://credentialengineregistry.org/graph/{ORG_CTID}",
            "@graph": [{"@id": f"https://credentialengineregistry.org/resources/{ORG_CTID}",
                        "@type": "ceterms:CredentialOrganization", "ceterms:ctid": ORG_CTID,
                        "ceterms:name": {"en-US": "Prairie View Technical Institute"},
                        "ceterms:description": {"en-US": "A technical institute."},
                        "ceterms:email": ["registrar@prairieview.example.edu"],
                        "ceterms:address": [{"@type": "ceterms:Place",
                                             "ceterms:streetAddress": {"en-US": "12 Main Street"},
                                             "ceterms:addressLocality": {"en-US": "Salina"},
                                             "ceterms:addressRegion": {"en-US": "KS"}}]}]}


def _course() -> dict:
    course = credential(type_="ceterms:Course", name="Managerial Accounting",
                        **{"ceterms:codedNotation": "ACCT 122",
                           "ceterms:instructionalProgramType": [{"@type": "ceterms:CredentialAlignmentObject",
                                                                 "ceterms:codedNotation": "52.0301",
                                                                 "ceterms:targetNodeName": {"en-US": "Accounting."}}]})
    course["@graph"][0]["ceterms:ownedBy"] = [f"https://credentialengineregistry.org/resources/{ORG_CTID}"]
    return course


@pytest.fixture(scope="module")
def staged() -> Iterator[tuple[str, Path, dict]]:
    documents = {"kansas": _load(KANSAS), "careerbridge": _load(CAREERBRIDGE), "propath": _load(PROPATH),
                 "languages": _load(LANGUAGES), "org": _organization(), "course": _course()}
    owners = {_owner(d) for k, d in documents.items() if k != "org"} | {ORG_CTID}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "registry.sqlite"
        # As `ctdl publish` starts its embedded registry: every owner registered by its CTID alone.
        with start_embedded(db, KEY, orgs=[(o, None) for o in sorted(owners)]) as registry:
            client = Client(registry.url)
            for key, document in documents.items():
                org = ORG_CTID if key == "org" else _owner(document)
                assert client.publish(document, org).status_code == 201, key
            yield registry.url, db, documents


def _page(url: str, path: str, **params: str) -> str:
    response = Client(url).get(path, headers={"Accept": "text/html"}, params=params)
    assert response.status_code == 200, (path, response.status_code)
    return unescape(response.text)


def _section(html: str, section_id: str, end: str = "</section>") -> str:
    start = html.index(f'id="{section_id}"')
    return html[start:html.index(end, start)]


def test_credential_page_shows_aggregate_data(staged: tuple[str, Path, dict]) -> None:
    url, _, docs = staged
    outcomes = _section(_page(url, f"/resources/{docs['kansas']['@graph'][0]['ceterms:ctid']}"), "outcomes")
    assert "Median Earnings of Program Graduates in Region upon entry" in outcomes
    assert "44,439 USD" in outcomes and "49,333 USD" in outcomes
    assert "88% — % of Program Graduates Employed in the Region" in outcomes
    assert "Post Receipt Months" in outcomes and ">60<" in outcomes


def test_outcome_profile_links_its_data_set_by_what_it_is(staged: tuple[str, Path, dict]) -> None:
    url, _, docs = staged
    main = docs["careerbridge"]["@graph"][0]
    outcomes = _section(_page(url, f"/resources/{main['ceterms:ctid']}"), "outcomes")
    assert "My Aggregate Data Profile for a particular outcome." in outcomes
    assert "Number Awarded" in outcomes and ">234<" in outcomes
    assert "188 — Program graduates employed in the region." in outcomes
    assert "Description of Demographic Information" in outcomes
    data_set = docs["careerbridge"]["@graph"][1]["ceterms:ctid"]
    assert f'<a href="/resources/{data_set}">Consumer Report Card for A+/MCP Certification Training' in outcomes


def test_search_finds_codes_other_languages_and_registry_uris(staged: tuple[str, Path, dict]) -> None:
    url, _, docs = staged

    def found(query: str) -> str:
        html = _page(url, "/", q=query)
        return _section(html, "results", "</ol>") if 'id="results"' in html else ""

    course_ctid = docs["course"]["@graph"][0]["ceterms:ctid"]
    assert course_ctid in found("ACCT 122") and course_ctid in found("acct 122")  # a course code
    assert course_ctid in found("52.0301")  # its CIP code
    assert docs["propath"]["@graph"][0]["ceterms:ctid"] in found("53-3032")  # an O*NET code
    languages = docs["languages"]["@graph"][0]
    assert languages["ceterms:ctid"] in found(languages["ceterms:name"]["ar-sa"])  # the Arabic name
    assert languages["ceterms:ctid"] in found("المحاسب الإداري المعتمد")  # in its Arabic description (shown in English)
    assert languages["ceterms:ctid"] in found("VERSATILE DEGREES")  # its description, in any case
    kansas = docs["kansas"]["@graph"][0]
    assert kansas["ceterms:ctid"] in found(kansas["@id"])  # a sandbox URI pasted from a badge


def test_index_names_owners_by_their_published_record(staged: tuple[str, Path, dict]) -> None:
    url, _, _ = staged
    results = _section(_page(url, "/", q="ACCT 122"), "results", "</ol>")
    assert "Prairie View Technical Institute" in results
    assert ORG_CTID not in results.split('class="ctid"')[0]


def test_owner_not_in_the_registry_is_said_so(staged: tuple[str, Path, dict]) -> None:
    url, _, docs = staged
    facts = _section(_page(url, f"/resources/{docs['kansas']['@graph'][0]['ceterms:ctid']}") + "</section>", "facts")
    assert f"{KANSAS_OWNER}</a> <span class=\"note\">(not in this registry)</span>" in facts


def test_organization_page_lists_its_records_and_address(staged: tuple[str, Path, dict]) -> None:
    url, _, docs = staged
    html = _page(url, f"/resources/{ORG_CTID}")
    assert "12 Main Street, Salina, KS" in html and "registrar@prairieview.example.edu" in html
    owned = _section(html, "owned")
    assert f'<a href="/resources/{docs["course"]["@graph"][0]["ceterms:ctid"]}">Managerial Accounting</a>' in owned
    assert "1 record" in owned
    beyond = _section(_page(url, f"/resources/{ORG_CTID}", page="2"), "owned")
    assert "1 record · page 2 of 1" in beyond and "Previous records" in beyond  # not just "1 record", and nothing


def test_an_older_database_gets_its_search_terms(tmp_path: Path) -> None:
    """A registry database written before codes were searchable finds them once opened again."""
    db = tmp_path / "registry.sqlite"
    course = _course()
    skills, skill_ctids = framework(competencies=3)
    skills["@graph"][3]["ceasn:codedNotation"] = "WELD-3.1"  # the last node of a graph of several
    with start_embedded(db, KEY, orgs=[(ORG_CTID, None), (ORG, None)]) as registry:
        assert Client(registry.url).publish(course, ORG_CTID).status_code == 201
        assert Client(registry.url).publish(skills, ORG).status_code == 201
    _back_to_schema(db, 2)
    Store(db).close()
    with start_embedded(db, KEY) as registry:
        found = _page(registry.url, "/", q="ACCT 122")
        assert course["@graph"][0]["ceterms:ctid"] in found and skill_ctids[2] not in found
        found = _page(registry.url, "/", q="weld-3.1")  # in any case
        assert skill_ctids[2] in found and course["@graph"][0]["ceterms:ctid"] not in found


def test_search_terms_of_an_older_version_are_written_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change to what search indexes (graphdoc.SEARCH_TERMS_VERSION) reaches the rows already stored."""
    db = tmp_path / "registry.sqlite"
    course = _course()
    with start_embedded(db, KEY, orgs=[(ORG_CTID, None)]) as registry:
        assert Client(registry.url).publish(course, ORG_CTID).status_code == 201
    raw = sqlite3.connect(db)
    raw.execute("UPDATE resources SET terms = ''")  # as an older search_terms might have left them
    raw.commit()
    raw.close()
    Store(db).close()  # the same version: nothing is written again
    assert _terms(db) == [""]
    monkeypatch.setattr(graphdoc, "SEARCH_TERMS_VERSION", graphdoc.SEARCH_TERMS_VERSION + 1)
    Store(db).close()
    assert "acct 122" in _terms(db)[0].splitlines()
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT DISTINCT terms_version FROM resources").fetchall() == [
            (graphdoc.SEARCH_TERMS_VERSION,)]
    with start_embedded(db, KEY) as registry:
        assert course["@graph"][0]["ceterms:ctid"] in _page(registry.url, "/", q="ACCT 122")


def test_a_schema_3_database_and_rows_an_older_build_writes_later_are_indexed(tmp_path: Path) -> None:
    """Descriptions became searchable with terms version 2: a database at schema 3 (terms without them) gets them
    when opened; so do rows an older build writes into it after that (they carry no terms version)."""
    db = tmp_path / "registry.sqlite"
    first, second = _course(), _course()  # two CTIDs
    first["@graph"][0]["ceterms:description"] = {"en-US": "Ledgers and the zebrafish method of costing."}
    second["@graph"][0]["ceterms:description"] = {"en-US": "Ledgers and the okapi method of costing."}
    with start_embedded(db, KEY, orgs=[(ORG_CTID, None)]) as registry:
        assert Client(registry.url).publish(first, ORG_CTID).status_code == 201
    _back_to_schema(db, 3)
    with sqlite3.connect(db) as raw:  # schema 3's terms: names and codes, no description
        raw.execute("UPDATE resources SET terms = 'managerial accounting\nacct 122'")
    Store(db).close()
    assert "ledgers and the zebrafish method of costing." in _terms(db)[0].splitlines()
    with start_embedded(db, KEY) as registry:
        assert Client(registry.url).publish(second, ORG_CTID).status_code == 201
    with sqlite3.connect(db) as raw:  # as an older build writes a row: no description, no terms version
        raw.execute("UPDATE resources SET terms = 'managerial accounting', terms_version = 0 WHERE ctid = ?",
                    (second["@graph"][0]["ceterms:ctid"],))
    with start_embedded(db, KEY) as registry:
        assert second["@graph"][0]["ceterms:ctid"] in _page(registry.url, "/", q="okapi")
        assert first["@graph"][0]["ceterms:ctid"] in _page(registry.url, "/", q="Zebrafish")


def test_descriptions_stored_before_terms_version_3_are_written_again(tmp_path: Path) -> None:
    """Terms version 3: a labelled competency's description in the search list is its text, as its page shows it;
    a database written before (its comment stored, or nothing) gets the new description when opened."""
    db = tmp_path / "registry.sqlite"
    document, ctids = framework(competencies=2)
    document["@graph"][2].update({"ceasn:competencyLabel": {"en-US": "Joints"},
                                  "ceasn:comment": {"en-US": "Assessed on a test plate."}})
    with start_embedded(db, KEY, orgs=[(ORG, None)]) as registry:
        assert Client(registry.url).publish(document, ORG).status_code == 201
    with sqlite3.connect(db) as raw:  # as terms version 2 left the row
        raw.execute("UPDATE resources SET description = 'Assessed on a test plate.', terms_version = 2 WHERE ctid = ?",
                    (ctids[1],))
    Store(db).close()
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT description, terms_version FROM resources WHERE ctid = ?", (ctids[1],)).fetchone() \
            == ("Weld joint type 1", graphdoc.SEARCH_TERMS_VERSION)
    with start_embedded(db, KEY) as registry:
        found = _section(_page(registry.url, "/", q="joints"), "results", "</ol>")
    assert "Weld joint type 1" in found and "test plate" not in found


def _back_to_schema(db: Path, version: int) -> None:
    """The database as that schema version left it (the later migrations undone)."""
    with sqlite3.connect(db) as raw:
        if version < 5:
            raw.execute("ALTER TABLE resources DROP COLUMN copy")
            raw.execute("DROP INDEX resources_community_ctid")
            raw.execute("CREATE UNIQUE INDEX resources_community_ctid ON resources(community, ctid) "
                        "WHERE ctid IS NOT NULL")
        if version < 4:
            raw.execute("DROP INDEX resources_terms_version")
            raw.execute("ALTER TABLE resources DROP COLUMN terms_version")
        if version < 3:
            raw.execute("ALTER TABLE resources DROP COLUMN terms")
        raw.execute("DELETE FROM schema_migrations WHERE version > ?", (version,))


def _terms(db: Path) -> list[str]:
    with sqlite3.connect(db) as raw:
        return [row[0] for row in raw.execute("SELECT terms FROM resources ORDER BY id")]


def test_competency_label_equal_to_its_text_is_shown_once(tmp_path: Path) -> None:
    """ESCO files without a description column: each competency's label is its text (``ctdl convert`` warns)."""
    document, ctids = framework(competencies=2)
    for node in document["@graph"][1:]:
        node["ceasn:competencyLabel"] = node["ceasn:competencyText"]
    document["@graph"][2]["ceasn:competencyLabel"] = {"en-US": "Joints"}
    with start_embedded(tmp_path / "r.sqlite", KEY, orgs=[(ORG, None)]) as registry:
        assert Client(registry.url).publish(document, ORG).status_code == 201
        tree = _section(_page(registry.url, f"/resources/{main_ctid(document)}"), "competencies", "</section>")
    assert "<strong>Read blueprints</strong>" not in tree and f'/resources/{ctids[0]}">Read blueprints</a>' in tree
    assert "<strong>Joints</strong>: " in tree  # a label of its own stays


def test_search_terms_put_what_the_page_shows_first() -> None:
    # A long text in another language, or hundreds of codes, cannot push the shown description out of the terms.
    node = {"ceterms:name": 2024, "ceterms:description": {"es": "x" * 8_800, "en-US": "Zebrafish husbandry"},
            "ceterms:occupationType": [{"ceterms:codedNotation": f"{n:02}-1011"} for n in range(900)]}
    terms = graphdoc.search_terms(node).splitlines()
    assert terms[:2] == ["2024", "zebrafish husbandry"]  # a number as the page shows it, the English description
    assert "00-1011" in terms


def test_search_terms_put_a_competency_s_shown_description_second() -> None:
    node = {"@type": "ceasn:Competency", "ceasn:competencyLabel": {"en-US": "Joints"},
            "ceasn:competencyText": {"en-US": "Weld joints"}, "ceasn:comment": {"en-US": "Assessed on a plate"}}
    assert graphdoc.search_terms(node).splitlines()[:2] == ["joints", "weld joints"]  # as the list shows them
