"""The local registry's direct Registry API contract (registry.md §4(a), §4(c), §5.3) over real HTTP."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ctdl_tools.ctid import REGISTRY_BASE, SANDBOX_BASE, mint_ctid
from ctdl_tools.registry.server import start_embedded
from ctdl_tools.registry.server.auth import KeyRing
from ctdl_tools.registry.server.store import MIGRATIONS, Store
from tests._registry_server_support import (
    ASSISTANT_AUTH,
    AUTH,
    KEY,
    ORG,
    ORG2,
    ORG2_NAME,
    ORG_NAME,
    Client,
    credential,
    framework,
    main_ctid,
    table_counts,
)

ENVELOPE_KEYS = ["envelope_community", "envelope_id", "envelope_ceterms_ctid", "envelope_ctdl_type", "envelope_type",
                 "envelope_version", "decoded_resource", "resource_format", "resource_encoding", "publisher_id",
                 "secondary_publisher_id", "resource_publish_type", "node_headers", "owned_by", "published_by",
                 "changed", "updated_at", "last_verified_on"]
TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Client, Path, str]]:
    db = tmp_path / "registry.sqlite"
    with start_embedded(db, KEY, orgs=[f"{ORG}={ORG_NAME}", (ORG2, ORG2_NAME)]) as registry:
        yield Client(registry.url), db, registry.url


def canonical_digest(document: dict) -> str:
    data = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


# --- publish ------------------------------------------------------------------------------------------------
def test_publish_answers_201_with_the_registry_envelope_entity(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    document = credential()
    response = client.publish(document)
    assert response.status_code == 201
    entity = response.json()
    assert list(entity) == ENVELOPE_KEYS
    uuid.UUID(entity["envelope_id"])
    assert entity["envelope_community"] == "ce_registry"
    assert entity["envelope_ceterms_ctid"] == main_ctid(document)
    assert entity["envelope_ctdl_type"] == "ceterms:Certificate"
    assert (entity["envelope_type"], entity["envelope_version"]) == ("resource_data", "1.0.0")
    assert (entity["resource_format"], entity["resource_encoding"]) == ("json", "jwt")
    assert entity["decoded_resource"] == document  # verbatim, @ids untouched
    assert list(entity["decoded_resource"]) == ["@context", "@id", "@graph"]
    assert entity["publisher_id"] is None and entity["secondary_publisher_id"] is None
    assert entity["resource_publish_type"] == "primary"
    assert entity["owned_by"] == ORG and entity["published_by"] is None
    assert entity["changed"] is True
    assert entity["last_verified_on"] == datetime.now(UTC).date().isoformat()
    headers = entity["node_headers"]
    assert headers["resource_digest"] == canonical_digest(document)
    assert headers["deleted_at"] is None and TIME.match(headers["created_at"]) and TIME.match(headers["updated_at"])
    assert headers["revision_history"] == [{"head": True, "event": "create", "created_at": headers["created_at"],
                                            "actor": None, "url": f"/ce-registry/envelopes/{entity['envelope_id']}"}]


def test_identical_republish_is_unchanged_and_adds_no_revision(server: tuple[Client, Path, str]) -> None:
    client, db, _ = server
    document = credential()
    first = client.publish(document).json()
    before = table_counts(db)
    reordered = copy.deepcopy(document)
    reordered["@graph"][0] = dict(reversed(list(reordered["@graph"][0].items())))  # same content, other key order
    second = client.publish(reordered)
    assert second.status_code == 201
    assert second.json()["changed"] is False
    assert second.json()["envelope_id"] == first["envelope_id"]
    assert second.json()["node_headers"]["revision_history"] == first["node_headers"]["revision_history"]
    assert table_counts(db) == before


def test_update_in_place_keeps_every_revision(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    document = credential()
    first = client.publish(document).json()
    document["@graph"][0]["ceterms:name"] = {"en-US": "Certificate in Advanced Welding"}
    second = client.publish(document, update_if_exists="true")
    assert second.status_code == 200
    entity = second.json()
    assert entity["changed"] is True and entity["envelope_id"] == first["envelope_id"]
    assert entity["node_headers"]["resource_digest"] != first["node_headers"]["resource_digest"]
    history = entity["node_headers"]["revision_history"]
    assert [(h["event"], h["head"]) for h in history] == [("create", False), ("update", True)]
    old_url = history[0]["url"]
    assert re.fullmatch(rf"/ce-registry/envelopes/{first['envelope_id']}/revisions/\d+", old_url)
    old = client.get(old_url.removeprefix("/ce-registry"))
    assert old.status_code == 200
    assert old.json()["decoded_resource"]["@graph"][0]["ceterms:name"] == {"en-US": "Certificate in Welding Technology"}
    current = client.get(f"/envelopes/{first['envelope_id']}").json()
    assert current["decoded_resource"] == document
    assert client.get(f"/envelopes/{first['envelope_id']}/revisions/999999").status_code == 404


def test_same_document_with_sandbox_or_production_ids_updates_in_place(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    ctid = mint_ctid()
    first = client.publish(credential(ctid, base=SANDBOX_BASE)).json()
    second = client.publish(credential(ctid, base=REGISTRY_BASE, name="Renamed certificate"))
    assert second.status_code == 201
    assert second.json()["envelope_id"] == first["envelope_id"] and second.json()["changed"] is True


def test_ctid_is_lower_cased_and_found_in_any_case(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    ctid = mint_ctid()
    entity = client.publish(credential(ctid.upper().replace("CE-", "ce-"))).json()
    assert entity["envelope_ceterms_ctid"] == ctid
    assert client.get(f"/resources/{ctid.upper()}").status_code == 200


def test_publish_type_and_third_party_publisher(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    response = client.publish(credential(), published_by=ORG2, resource_publish_type="secondary")
    assert response.status_code == 201
    assert response.json()["published_by"] == ORG2 and response.json()["resource_publish_type"] == "secondary"
    assert client.publish(credential(), resource_publish_type="tertiary").status_code == 400


# --- refusals: nothing is stored ----------------------------------------------------------------------------
def test_ctid_must_be_unique_across_organizations(server: tuple[Client, Path, str]) -> None:
    client, db, _ = server
    document = credential()
    assert client.publish(document).status_code == 201
    before = table_counts(db)
    clash = client.publish(document, org=ORG2)
    assert clash.status_code == 422
    assert clash.json() == {"errors": [["Resource CTID must be unique"]]}
    assert table_counts(db) == before
    assert client.get(f"/envelopes/{main_ctid(document)}").json()["owned_by"] == ORG


def test_same_org_other_id_same_ctid_is_a_clash(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    document = credential()
    client.publish(document)
    other = copy.deepcopy(document)
    other["@id"] = "https://example.org/graphs/elsewhere"
    assert client.publish(other).json() == {"errors": [["Resource CTID must be unique"]]}


def test_a_ctid_in_one_graph_twice_is_a_clash(server: tuple[Client, Path, str]) -> None:
    client, db, _ = server
    document, ctids = framework()
    document["@graph"][2]["ceterms:ctid"] = ctids[0]  # two competencies of one framework, one CTID
    before = table_counts(db)
    response = client.publish(document)
    assert response.status_code == 422 and response.json() == {"errors": [["Resource CTID must be unique"]]}
    assert table_counts(db) == before


@pytest.mark.parametrize("course_first", [True, False])
def test_a_record_described_in_full_in_another_graph_is_published_both_ways(
        server: tuple[Client, Path, str], course_first: bool) -> None:
    # Found in acceptance testing: Credential Engine's credential-registry-ingest-examples describe a program's
    # courses in full in its graph and publish each course on its own; the registry keeps a main CTID unique
    # (db/structure.sql), not every node's, and this registry refused the second with "CTID must be unique".
    client, _, _ = server
    course = credential(type_="ceterms:Course", name="Managerial Accounting")
    program = credential(type_="ceterms:LearningProgram", name="Accounting Program")
    embedded = {**course["@graph"][0], "ceterms:name": {"en-US": "Managerial Accounting (as the program says)"}}
    program["@graph"][0]["ceterms:hasPart"] = [embedded["@id"]]
    program["@graph"].append(embedded)
    for document in ((course, program) if course_first else (program, course)):
        assert client.publish(document).status_code == 201
    ctid = main_ctid(course)
    found = client.get(f"/resources/{ctid}").json()  # the course's own record, not the program's copy
    assert found["ceterms:name"] == {"en-US": "Managerial Accounting"}
    assert client.get(f"/graph/{ctid}").json()["@graph"][0]["ceterms:ctid"] == ctid
    page = client.get("/", params={"q": "managerial accounting"}, headers={"Accept": "text/html"}).text
    assert page.count(f'href="/resources/{ctid}"') == 1  # listed once
    assert client.publish(credential(ctid, type_="ceterms:Course"), org=ORG2).json() == {  # its main CTID is taken
        "errors": [["Resource CTID must be unique"]]}
    # The course's own record deleted: the program's description of it is what the registry has of it.
    assert client.delete(f"/resources/documents/{ctid}", headers=AUTH).status_code == 204
    described = client.get(f"/resources/{ctid}").json()["ceterms:name"]
    assert described == {"en-US": "Managerial Accounting (as the program says)"}
    page = client.get("/", params={"q": "managerial accounting"}, headers={"Accept": "text/html"}).text
    assert page.count(f'href="/resources/{ctid}"') == 1


@pytest.mark.parametrize(("mutate", "errors"), [
    (lambda d: d.pop("@id"), [{"@id": "is required"}]),
    (lambda d: d.pop("@graph"), [{"@graph": "is required"}]),
    (lambda d: d["@graph"][0].pop("@type"), [{"@type": "is required"}]),
    (lambda d: d["@graph"][0].pop("@id"), [{"@id": "is required"}]),
    (lambda d: d.update({"@graph": []}), [{"@graph": "must be a non-empty array"}]),
    (lambda d: d["@graph"][0].pop("ceterms:ctid"), [{"ceterms:ctid": "is required"}]),
    (lambda d: d["@graph"][0].update({"ceterms:ctid": "ce-not-a-uuid"}),
     [{"ceterms:ctid": "must be ce- followed by a UUID"}]),
])
def test_schema_errors_are_422_and_store_nothing(server: tuple[Client, Path, str], mutate, errors) -> None:
    client, db, _ = server
    before = table_counts(db)
    document = credential()
    mutate(document)
    response = client.publish(document)
    assert response.status_code == 422
    assert response.json() == {"errors": errors}
    assert table_counts(db) == before


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b"[1, 2]"])
def test_unreadable_bodies_are_refused(server: tuple[Client, Path, str], body: bytes) -> None:
    client, db, _ = server
    before = table_counts(db)
    response = client.post(f"/resources/organizations/{ORG}/documents", data=body,
                           headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert isinstance(response.json()["errors"], list) and response.json()["errors"]
    assert table_counts(db) == before


def test_an_unpaired_surrogate_is_refused_before_it_is_stored(server: tuple[Client, Path, str]) -> None:
    # json.loads accepts "\ud800"; stored, the record could never be served as UTF-8 again.
    client, db, _ = server
    before = table_counts(db)
    body = json.dumps(credential()).replace('"ceterms:ctid": "', '"ceterms:ctid": "\\ud800', 1).encode()
    response = client.post(f"/resources/organizations/{ORG}/documents", data=body,
                           headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("Request body is not valid Unicode: \\ud800 at line 1")
    assert table_counts(db) == before


@pytest.mark.parametrize("depth", [150, 5000])
def test_deeply_nested_bodies_are_refused_before_they_are_stored(server: tuple[Client, Path, str],
                                                                  depth: int) -> None:
    client, db, _ = server
    before = table_counts(db)
    body = json.dumps(credential())[:-1] + ', "ceterms:keyword": ' + "[" * depth + "]" * depth + "}"
    response = client.post(f"/resources/organizations/{ORG}/documents", data=body.encode(),
                           headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error.startswith("Request body") and "JSON nested more than 100 levels deep" in error
    assert table_counts(db) == before


FUZZ_ENDPOINTS = [f"/resources/organizations/{ORG}/documents", "/assistant/credential/publishGraph",
                  "/assistant/organization/publishGraph", "/resources/search", "/graph/search",
                  "/resources/check_existence", "/metadata/organizations"]


def test_random_bodies_are_answered_never_a_server_error(tmp_path: Path) -> None:
    """Random CTDL-like documents (the validator's fuzz strategy), bare and as Assistant requests, to every
    endpoint that reads a body: an answer for each, never a 5xx, and the database still opens."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.test_validate_fuzz import DOCUMENTS

    db = tmp_path / "registry.sqlite"
    with start_embedded(db, KEY, orgs=[f"{ORG}={ORG_NAME}", (ORG2, ORG2_NAME)]) as registry:
        client = Client(registry.url)

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(DOCUMENTS, st.sampled_from(FUZZ_ENDPOINTS), st.booleans())
        def answer(document: object, path: str, wrapped: bool) -> None:
            assistant = path.startswith("/assistant")
            body = {"PublishForOrganizationIdentifier": ORG, "GraphInput": document} if assistant and wrapped \
                else document
            headers = {**(ASSISTANT_AUTH if assistant else AUTH), "Content-Type": "application/json"}
            response = client.post(path, data=json.dumps(body).encode(), headers=headers)
            assert response.status_code < 500, (path, response.text[:300])

        answer()
    assert table_counts(db)  # the store is intact


def test_unknown_organization_is_404(server: tuple[Client, Path, str]) -> None:
    client, db, _ = server
    before = table_counts(db)
    response = client.publish(credential(), org=mint_ctid())
    assert response.status_code == 404 and response.json() == {"errors": ["Organization not found"]}
    response = client.publish(credential(), published_by=mint_ctid())
    assert response.status_code == 404 and response.json() == {"errors": ["Organization not found"]}
    assert table_counts(db) == before


@pytest.mark.parametrize("header", [None, "Token wrong-key", "Token", "", f"Token {KEY}x"])
def test_writes_need_a_known_key(server: tuple[Client, Path, str], header: str | None) -> None:
    client, db, _ = server
    before = table_counts(db)
    headers = {} if header is None else {"Authorization": header}
    document = credential()
    for response in (client.publish(document, headers=headers),
                     client.delete(f"/resources/documents/{main_ctid(document)}", headers=headers),
                     client.post("/metadata/organizations", json={"name": "X"}, headers=headers)):
        assert response.status_code == 401
        assert response.json() == {"errors": ["Invalid token"]}
    assert table_counts(db) == before


@pytest.mark.parametrize("header", [f"Token {KEY}", f"Bearer {KEY}", f"ApiToken {KEY}", KEY, f"Any thing {KEY}"])
def test_the_last_word_of_authorization_is_the_key(server: tuple[Client, Path, str], header: str) -> None:
    client, _, _ = server
    assert client.publish(credential(), headers={"Authorization": header}).status_code == 201


def test_bodies_over_the_limit_are_413(tmp_path: Path) -> None:
    db = tmp_path / "registry.sqlite"
    limit = 16 * 1024 * 1024  # the default is 64 MiB (test_registry_server_big_frameworks)
    with start_embedded(db, KEY, orgs=[ORG], max_body_bytes=limit) as registry:
        client = Client(registry.url)
        before = table_counts(db)
        document = credential()
        document["@graph"][0]["ceterms:keyword"] = ["x" * 1024] * (17 * 1024)
        body = json.dumps(document).encode()
        assert len(body) > limit
        declared = client.post(f"/resources/organizations/{ORG}/documents", data=body, headers=AUTH)
        assert declared.status_code == 413
        assert declared.json() == {"errors": [
            "Request body too large: the limit is 16 MiB (this one is 17.1 MiB); the registry's operator can raise it "
            "(ctdl registry serve --max-body-mb)"]}

        def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length to check up front
            for i in range(0, len(body), 1 << 20):
                yield body[i:i + (1 << 20)]

        streamed = client.post(f"/resources/organizations/{ORG}/documents", data=chunks(), headers=AUTH)
        assert streamed.status_code == 413
        assert table_counts(db) == before


# --- reads ----------------------------------------------------------------------------------------------------
def test_get_resource_by_ctid_or_uri_with_rebased_ids(server: tuple[Client, Path, str]) -> None:
    client, _, url = server
    document = credential()
    ctid = main_ctid(document)
    client.publish(document)
    for ident in (ctid, ctid.upper(), f"{REGISTRY_BASE}/resources/{ctid}", f"{SANDBOX_BASE}/resources/{ctid}"):
        response = client.get(f"/resources/{ident}")
        assert response.status_code == 200, ident
        assert response.headers["content-type"].startswith("application/json")
        node = response.json()
        assert list(node)[:3] == ["@context", "@id", "@type"]
        assert node["@context"] == document["@context"]
        assert node["@id"] == f"{url}/resources/{ctid}"
        assert node["ceterms:ownedBy"] == [f"{url}/resources/{ORG}"]
    missing = client.get(f"/resources/{mint_ctid()}")
    assert missing.status_code == 404 and missing.json() == {"errors": ["Resource not found"]}
    assert client.get(f"/resources/{ctid}", params={"depth": -1}).status_code == 400


def test_registry_uris_in_text_are_served_as_published(server: tuple[Client, Path, str]) -> None:
    # Found in acceptance testing: URIs were rebased in the serialized JSON wherever they appeared, so a
    # description that mentions a record read "http://127.0.0.1:…" (and a fetched copy carried it on).
    client, _, url = server
    document = credential()
    ctid = main_ctid(document)
    text = f'Compare {REGISTRY_BASE}/resources/{ORG} and "{REGISTRY_BASE}/graph/{ORG}" before you enrol.'
    document["@graph"][0]["ceterms:description"] = {"en-US": text}
    keyword = f"{REGISTRY_BASE}/resources/{ORG}"  # a text value that is exactly a URI: text all the same
    document["@graph"][0]["ceterms:keyword"] = {"en-US": [keyword]}
    client.publish(document)
    for path in (f"/resources/{ctid}", f"/graph/{ctid}"):
        body = client.get(path).json()
        node = body if path.startswith("/resources") else body["@graph"][0]
        assert node["ceterms:description"] == {"en-US": text}, path
        assert node["ceterms:keyword"] == {"en-US": [keyword]}, path
        assert node["@id"] == f"{url}/resources/{ctid}" and node["ceterms:ownedBy"] == [f"{url}/resources/{ORG}"]


def test_competencies_inside_a_framework_resolve(server: tuple[Client, Path, str]) -> None:
    client, _, url = server
    document, ctids = framework()
    client.publish(document)
    node = client.get(f"/resources/{ctids[2]}").json()
    assert node["@type"] == "ceasn:Competency" and node["ceterms:ctid"] == ctids[2]
    assert node["@context"] == "https://credreg.net/ctdlasn/schema/context/json"
    assert node["@id"] == f"{url}/resources/{ctids[2]}"
    graph = client.get(f"/graph/{ctids[2]}").json()
    assert graph["@id"] == f"{url}/graph/{main_ctid(document)}" and len(graph["@graph"]) == 4
    envelope = client.get(f"/envelopes/{main_ctid(document)}").json()
    assert envelope["decoded_resource"] == document  # envelopes keep the published @ids


def test_depth_adds_blank_nodes(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    document = credential()
    document["@graph"][0]["ceterms:offeredBy"] = ["_:1f3a"]
    document["@graph"].append({"@id": "_:1f3a", "@type": "ceterms:CredentialOrganization",
                               "ceterms:name": {"en-US": "Partner Shop"}})
    client.publish(document)
    ctid = main_ctid(document)
    assert "@included" not in client.get(f"/resources/{ctid}").json()
    assert client.get(f"/resources/{ctid}", params={"depth": 1}).json()["@included"][0]["@id"] == "_:1f3a"
    found = client.post("/resources/search", json={"bnodes": ["_:1f3a"]}).json()
    assert [n["ceterms:name"] for n in found] == [{"en-US": "Partner Shop"}]


def test_graph_and_resource_search(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    a, b = credential(), credential()
    fw, ctids = framework()
    for document in (a, b, fw):
        client.publish(document)
    wanted = [main_ctid(a), main_ctid(b).upper(), ctids[0], ctids[1], mint_ctid()]
    graphs = client.post("/graph/search", json={"ctids": wanted}).json()
    assert [g["@graph"][0]["ceterms:ctid"] for g in graphs] == [main_ctid(a), main_ctid(b), main_ctid(fw)]
    nodes = client.post("/resources/search", json={"ctids": wanted}).json()
    assert [n["ceterms:ctid"] for n in nodes] == [main_ctid(a), main_ctid(b), ctids[0], ctids[1]]
    for bad in ({}, {"ctids": "x"}, {"ctids": [1]}, [], {"ctids": ["x"] * 1001}):
        response = client.post("/graph/search", json=bad)
        assert response.status_code == 400 and response.json()["errors"]
    assert client.post("/resources/search", json={}).status_code == 400


def test_check_existence_with_type_and_subclasses(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    cert = credential(type_="ceterms:Certificate")
    degree = credential(type_="ceterms:BachelorDegree")
    course = credential(type_="ceterms:Course")
    fw, ctids = framework()
    for document in (cert, degree, course, fw):
        client.publish(document)
    every = [main_ctid(d) for d in (cert, degree, course, fw)] + [ctids[0], mint_ctid()]

    def check(type_: str | None) -> list[str]:
        body: dict = {"ctids": every} | ({"@type": type_} if type_ else {})
        response = client.post("/resources/check_existence", json=body)
        assert response.status_code == 200
        return response.json()

    assert check(None) == every[:5]
    assert check("ceterms:Credential") == [main_ctid(cert), main_ctid(degree)]
    assert check("ceterms:Degree") == [main_ctid(degree)]
    assert check("ceterms:LearningOpportunityProfile") == [main_ctid(course)]
    assert check("ceasn:Competency") == [ctids[0]]
    assert check("ceterms:Organization") == []
    assert client.post("/resources/check_existence", json={"ctids": every, "@type": 5}).status_code == 400


def test_envelopes_are_paginated_newest_first(server: tuple[Client, Path, str]) -> None:
    client, _, url = server
    documents = [credential(name=f"Certificate {i}") for i in range(5)]
    for document in documents:
        client.publish(document)
    newest_first = [main_ctid(d) for d in reversed(documents)]
    page = client.get("/envelopes", params={"page": 2, "per_page": 2})
    assert page.status_code == 200
    assert [e["envelope_ceterms_ctid"] for e in page.json()] == newest_first[2:4]
    headers = page.headers
    assert (headers["X-Total"], headers["X-Page"], headers["X-Per-Page"]) == ("5", "2", "2")
    links = dict((rel, link) for link, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', headers["Link"]))
    assert links == {"first": f"{url}/envelopes?page=1&per_page=2", "prev": f"{url}/envelopes?page=1&per_page=2",
                     "next": f"{url}/envelopes?page=3&per_page=2", "last": f"{url}/envelopes?page=3&per_page=2"}
    assert [e["envelope_ceterms_ctid"] for e in client.get("/envelopes", params={"page": 3, "per_page": 2}).json()] \
        == newest_first[4:]
    # An update makes an envelope the newest.
    documents[0]["@graph"][0]["ceterms:name"] = {"en-US": "Updated"}
    client.publish(documents[0])
    assert client.get("/envelopes").json()[0]["envelope_ceterms_ctid"] == main_ctid(documents[0])
    assert client.get("/envelopes", params={"per_page": 1000}).headers["X-Per-Page"] == "200"
    assert "decoded_resource" not in client.get("/envelopes", params={"metadata_only": "true"}).json()[0]
    for bad in ({"page": 0}, {"page": "x"}, {"per_page": 0}, {"provisional": "maybe"}):
        response = client.get("/envelopes", params=bad)
        assert response.status_code == 400 and response.json()["errors"], bad


def test_get_envelope_by_id_or_ctid(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    document = credential()
    entity = client.publish(document).json()
    for ident in (entity["envelope_id"], main_ctid(document), main_ctid(document).upper()):
        got = client.get(f"/envelopes/{ident}").json()
        assert got["envelope_id"] == entity["envelope_id"] and got["changed"] is False
    missing = client.get(f"/envelopes/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json() == {"errors": ["Envelope not found"]}


def test_delete_removes_the_envelope_and_keeps_revisions(server: tuple[Client, Path, str]) -> None:
    client, db, _ = server
    document = credential()
    entity = client.publish(document).json()
    ctid = main_ctid(document)
    response = client.delete(f"/resources/documents/{ctid.upper()}", headers=AUTH)
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"/resources/{ctid}").status_code == 404
    assert client.get(f"/envelopes/{ctid}").status_code == 404
    again = client.delete(f"/resources/documents/{ctid}", headers=AUTH)
    assert again.status_code == 404 and again.json() == {"errors": ["Envelope not found"]}
    revision = entity["node_headers"]["revision_history"][0]
    assert client.get(f"/envelopes/{entity['envelope_id']}/revisions/{_revision_id(db, entity)}").status_code == 200
    assert revision["event"] == "create"
    # The CTID is free again, for any organization.
    assert client.publish(document, org=ORG2).status_code == 201


def _revision_id(db: Path, entity: dict) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT MIN(id) FROM revisions WHERE envelope_id = ?",
                                  (entity["envelope_id"],)).fetchone()[0]


def test_ctid_endpoint_mints_ctids(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    values = {client.get(p).json()["ctid"] for p in ("/ce-registry/ctid", "/ce_registry/ctid", "/ctid")}
    assert len(values) == 3 and all(re.fullmatch(r"ce-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", v) for v in values)


@pytest.mark.parametrize("prefix", ["/ce-registry", "/ce_registry"])
def test_every_route_takes_the_community_prefix(server: tuple[Client, Path, str], prefix: str) -> None:
    client, _, _ = server
    document = credential()
    ctid = main_ctid(document)
    published = client.post(f"{prefix}/resources/organizations/{ORG}/documents", json=document, headers=AUTH)
    assert published.status_code == 201
    assert client.get(f"{prefix}/resources/{ctid}").json()["ceterms:ctid"] == ctid
    assert client.get(f"{prefix}/graph/{ctid}").json()["@graph"][0]["ceterms:ctid"] == ctid
    assert client.post(f"{prefix}/graph/search", json={"ctids": [ctid]}).json()[0]["@graph"][0]["ceterms:ctid"] == ctid
    assert client.post(f"{prefix}/resources/search", json={"ctids": [ctid]}).json()[0]["ceterms:ctid"] == ctid
    assert client.post(f"{prefix}/resources/check_existence", json={"ctids": [ctid]}).json() == [ctid]
    assert client.get(f"{prefix}/envelopes").headers["X-Total"] == "1"
    assert client.get(f"{prefix}/envelopes/{ctid}").status_code == 200
    assert client.get(f"{prefix}/metadata/organizations/{ORG}").json()["name"] == ORG_NAME
    assert client.get(f"{prefix}/openapi.json").json()["openapi"].startswith("3.")
    assert client.delete(f"{prefix}/resources/documents/{ctid}", headers=AUTH).status_code == 204


def test_organizations_metadata(server: tuple[Client, Path, str]) -> None:
    client, db, _ = server
    listed = client.get("/metadata/organizations").json()
    assert {(o["ctid"], o["name"]) for o in listed} == {(ORG, ORG_NAME), (ORG2, ORG2_NAME)}
    created = client.post("/metadata/organizations", json={"name": "Eastfield Academy"}, headers=AUTH)
    assert created.status_code == 201
    new = created.json()
    assert new["name"] == "Eastfield Academy" and re.fullmatch(r"ce-[0-9a-f-]{36}", new["ctid"])
    chosen = mint_ctid()
    assert client.post("/metadata/organizations", json={"name": "Chosen", "ctid": chosen.upper()},
                       headers=AUTH).json()["ctid"] == chosen
    before = table_counts(db)
    duplicate = client.post("/metadata/organizations", json={"name": "Again", "ctid": chosen}, headers=AUTH)
    assert duplicate.status_code == 422 and duplicate.json() == {"errors": ["Organization CTID must be unique"]}
    for bad in ({}, {"name": ""}, {"name": 5}, {"name": "X", "ctid": "nope"}):
        assert client.post("/metadata/organizations", json=bad, headers=AUTH).status_code == 400
    assert table_counts(db) == before
    assert client.get(f"/metadata/organizations/{chosen}").json()["name"] == "Chosen"
    # An organization with published resources stays.
    document = credential()
    client.publish(document, org=chosen)
    refused = client.delete(f"/metadata/organizations/{chosen}", headers=AUTH)
    assert refused.status_code == 422
    assert refused.json() == {"errors": ["Organization has published resources, can't be removed"]}
    assert [e["envelope_ceterms_ctid"] for e in client.get(f"/metadata/organizations/{chosen}/envelopes").json()] \
        == [main_ctid(document)]
    assert client.delete(f"/metadata/organizations/{new['ctid']}").status_code == 401
    assert client.delete(f"/metadata/organizations/{new['ctid']}", headers=AUTH).status_code == 204
    gone = client.get(f"/metadata/organizations/{new['ctid']}")
    assert gone.status_code == 404 and gone.json() == {"errors": ["Organization not found"]}
    # A newly registered organization can publish at once.
    assert client.publish(credential(), org=chosen).status_code == 201


def test_unknown_routes_and_methods_answer_json(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    missing = client.get("/no/such/route")
    assert missing.status_code == 404 and missing.json()["errors"]
    wrong = client.request("PUT", "/envelopes")
    assert wrong.status_code == 405 and wrong.json()["errors"]


# --- content negotiation ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("accept", "html"), [
    (None, False), ("application/json", False), ("application/ld+json", False), ("*/*", False),
    ("text/html", True), ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
    ("application/json, text/html;q=0.5", False), ("text/html;q=0.4, application/ld+json", False),
])
def test_resources_negotiate_json_ld_or_html(server: tuple[Client, Path, str], accept: str | None, html: bool) -> None:
    client, _, _ = server
    document = credential()
    client.publish(document)
    response = client.get(f"/resources/{main_ctid(document)}", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html" if html else "application/json")
    forced = client.get(f"/resources/{main_ctid(document)}?format=json", headers={"Accept": "text/html"})
    assert forced.headers["content-type"].startswith("application/json")


def test_index_lists_and_searches(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    client.publish(credential(name="Certificate in Welding Technology"))
    client.publish(credential(name="Diploma in Practical Nursing"))
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Welding Technology" in page.text and "Practical Nursing" in page.text
    found = client.get("/", params={"q": "nursing"}).text
    assert "Practical Nursing" in found and "Welding Technology" not in found
    assert "Nothing matches" in client.get("/", params={"q": "100%_"}).text


def test_search_folds_the_case_of_every_letter(server: tuple[Client, Path, str]) -> None:
    # Found in acceptance testing: "ÉVALUATION" found "Évaluation…" but "évaluation" did not, nor "ørganisation"
    # "Ørganisation…": SQLite's LIKE folds ASCII letters only.
    client, _, _ = server
    client.publish(credential(name="Évaluation des compétences en soudure"))
    client.publish(credential(name="Ørganisation of Welding Shops"))
    for query, name in (("évaluation", "Évaluation"), ("ÉVALUATION", "Évaluation"), ("ørganisation", "Ørganisation"),
                        ("COMPÉTENCES", "Évaluation"), ("welding shops", "Ørganisation")):
        assert name in client.get("/", params={"q": query}).text, query


# --- storage ----------------------------------------------------------------------------------------------------
def test_data_and_migrations_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    document = credential()
    with start_embedded(db, KEY, orgs=[ORG]) as registry:
        assert Client(registry.url).publish(document).status_code == 201
    with start_embedded(db, "another-key") as registry:
        client = Client(registry.url)
        assert client.get(f"/resources/{main_ctid(document)}").status_code == 200
        assert client.publish(credential()).status_code == 401  # the old --api-key was never stored
    with sqlite3.connect(db) as connection:
        versions = connection.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
        assert versions == [(v,) for v, _ in MIGRATIONS]  # each applied once, across restarts
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_keys_in_the_database_are_salted_hashes(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    store = Store(db)
    KeyRing(store).add("stored-secret-key", "tests")
    KeyRing(store).add("stored-secret-key", "again")
    store.close()
    raw = db.read_bytes() + (Path(f"{db}-wal").read_bytes() if Path(f"{db}-wal").exists() else b"")
    assert b"stored-secret-key" not in raw
    with sqlite3.connect(db) as connection:
        salts = connection.execute("SELECT salt, digest FROM api_keys").fetchall()
    assert len({s for s, _ in salts}) == 2 and len({d for _, d in salts}) == 2
    with start_embedded(db, "", orgs=[ORG]) as registry:
        client = Client(registry.url)
        assert client.publish(credential(), headers={"Authorization": "Token stored-secret-key"}).status_code == 201
        assert client.publish(credential(), headers={"Authorization": "Token stored-secret-kez"}).status_code == 401


def test_index_pages_through_results(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    for i in range(23):
        client.publish(credential(name=f"Short course number {i:02d}"))
    first = client.get("/").text
    assert "23 resources · page 1 of 2" in first
    assert first.count('<a href="/resources/') == 20
    assert 'href="/?page=2" rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/", params={"page": 2}).text
    assert second.count('<a href="/resources/') == 3 and 'href="/?page=1" rel="prev"' in second
    assert "Short course number 00" in second  # oldest last
    searched = client.get("/", params={"q": "number 1"}).text
    assert "10 resources" in searched  # 10…19
    assert client.get("/", params={"page": 0}).status_code == 400


def test_a_browser_asking_for_a_bad_page_gets_a_page_and_machines_json(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    page = client.get("/", params={"page": "abc"}, headers={"Accept": "text/html"})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Bad request</h1>" in page.text
    machine = client.get("/envelopes", params={"page": "abc"})
    assert machine.status_code == 400 and machine.headers["content-type"].startswith("application/json")


def test_which_copy_is_the_record_does_not_change_when_an_envelope_is_updated(server: tuple[Client, Path, str]) -> None:
    # Found in review: an envelope's rows are written again on every update, so choosing "the first stored" by row
    # id handed a CTID's record to the other copy (another organization's) whenever the first envelope changed.
    client, _, _ = server
    course = credential(type_="ceterms:Course", name="Managerial Accounting")["@graph"][0]
    programs = []
    for owner, wording in ((ORG, "as P describes it"), (ORG2, "as Q describes it")):
        program = credential(type_="ceterms:LearningProgram", name=f"Program {wording}")
        program["@graph"].append({**course, "ceterms:name": {"en-US": f"Managerial Accounting ({wording})"}})
        assert client.publish(program, org=owner).status_code == 201
        programs.append((program, owner))
    first = client.get(f"/resources/{course['ceterms:ctid']}").json()["ceterms:name"]
    for program, owner in reversed(programs):  # each program edited and published again
        program["@graph"][0]["ceterms:description"] = {"en-US": "A new description of this program."}
        assert client.publish(program, org=owner).json()["changed"] is True
        assert client.get(f"/resources/{course['ceterms:ctid']}").json()["ceterms:name"] == first
