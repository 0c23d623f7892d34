"""The local registry's Registry Assistant graph API (registry.md §4(b)) and its refusal gate."""

from __future__ import annotations

import json
import sys
import types
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ctdl_tools.ctid import mint_ctid
from ctdl_tools.registry.server import start_embedded
from ctdl_tools.registry.server.gate import default_gate, minimal_gate
from tests._registry_server_support import (
    ASSISTANT_AUTH,
    KEY,
    ORG,
    ORG2,
    ORG_NAME,
    Client,
    credential,
    framework,
    main_ctid,
    table_counts,
)

RESPONSE_KEYS = ["Successful", "WasChanged", "Messages", "CTID", "ResponseDate", "EnvelopeUrl", "GraphUrl",
                 "CredentialFinderUrl", "RegistryEnvelopeIdentifier", "Payload"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Client, Path]]:
    db = tmp_path / "registry.sqlite"
    # The minimal gate, explicitly: these tests pin its rule ids; the project validator is tested below.
    with start_embedded(db, KEY, orgs=[f"{ORG}={ORG_NAME}", ORG2], gate=minimal_gate) as registry:
        yield Client(registry.url), db


def publish_graph(client: Client, entity: str, graph: dict, org: str = ORG, key: str = "GraphInput",
                  headers: dict | None = None, **extra: object) -> dict:
    response = client.post(f"/assistant/{entity}/publishGraph",
                           json={"PublishForOrganizationIdentifier": org, key: graph, **extra},
                           headers=ASSISTANT_AUTH if headers is None else headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == RESPONSE_KEYS
    return body  # type: ignore[no-any-return]


def test_publish_graph_answers_like_the_assistant(server: tuple[Client, Path]) -> None:
    client, _ = server
    graph = credential()
    ctid = main_ctid(graph)
    body = publish_graph(client, "credential", graph)
    assert body["Successful"] is True and body["WasChanged"] is True and body["Messages"] == []
    assert body["CTID"] == ctid
    uuid.UUID(body["RegistryEnvelopeIdentifier"])
    assert json.loads(body["Payload"]) == graph  # a JSON string, as CE's clients json.loads it
    assert client.session.get(body["EnvelopeUrl"]).json()["envelope_id"] == body["RegistryEnvelopeIdentifier"]
    assert client.session.get(body["GraphUrl"]).json()["@graph"][0]["ceterms:ctid"] == ctid
    finder = client.session.get(body["CredentialFinderUrl"], headers={"Accept": "text/html"})
    assert finder.status_code == 200 and "Certificate in Welding Technology" in finder.text
    again = publish_graph(client, "Credential", graph)  # entity type case does not matter
    assert again["Successful"] is True and again["WasChanged"] is False
    assert publish_graph(client, "credential", graph, ExcludingPayloadInResponse=True)["Payload"] is None


def test_competency_framework_graph(server: tuple[Client, Path]) -> None:
    client, _ = server
    graph, ctids = framework()
    body = publish_graph(client, "competencyframework", graph, key="CompetencyFrameworkGraph")
    assert body["Successful"] is True, body["Messages"]
    assert client.get(f"/resources/{ctids[1]}").json()["@type"] == "ceasn:Competency"


@pytest.mark.parametrize(("entity", "change", "rule"), [
    ("credential", {"ceterms:description": {"en-US": "Too short"}}, "description-length"),
    ("credential", {"ceterms:description": None}, "description-required"),
    ("credential", {"ceterms:name": None}, "name-required"),
    ("credential", {"@type": "ceterms:Credential"}, "abstract-type"),
    ("credential", {"@type": "ceterms:Degree"}, "abstract-type"),
    ("credential", {"@type": "ceterms:Course"}, "entity-type"),
    ("course", {"@type": "ceterms:Certificate"}, "entity-type"),
])
def test_violations_are_refused_and_store_nothing(server: tuple[Client, Path], entity: str, change: dict,
                                                  rule: str) -> None:
    client, db = server
    graph = credential()
    for key, value in change.items():
        if value is None:
            graph["@graph"][0].pop(key)
        else:
            graph["@graph"][0][key] = value
    before = table_counts(db)
    body = publish_graph(client, entity, graph)
    assert body["Successful"] is False
    assert any(m.startswith(f"{rule}:") for m in body["Messages"]), body["Messages"]
    assert table_counts(db) == before


@pytest.mark.parametrize(("payload", "message"), [
    ({"GraphInput": credential()}, "PublishForOrganizationIdentifier is required"),
    ({"PublishForOrganizationIdentifier": ORG}, "GraphInput or CompetencyFrameworkGraph is required"),
    ({"PublishForOrganizationIdentifier": "acme", "GraphInput": credential()}, "is not a CTID"),
    ({"PublishForOrganizationIdentifier": mint_ctid(), "GraphInput": credential()}, "is not registered"),
    ({"PublishForOrganizationIdentifier": ORG, "GraphInput": {"@graph": [{"@type": "ceterms:Certificate"}]}},
     "@id is required"),
])
def test_malformed_requests_are_refused(server: tuple[Client, Path], payload: dict, message: str) -> None:
    client, db = server
    before = table_counts(db)
    response = client.post("/assistant/credential/publishGraph", json=payload, headers=ASSISTANT_AUTH)
    assert response.status_code == 200
    assert response.json()["Successful"] is False
    assert any(message in m for m in response.json()["Messages"]), response.json()["Messages"]
    assert table_counts(db) == before


def test_transport_failures_use_status_codes_with_the_assistant_shape(server: tuple[Client, Path]) -> None:
    client, db = server
    before = table_counts(db)
    body = {"PublishForOrganizationIdentifier": ORG, "GraphInput": credential()}
    cases = [
        (client.post("/assistant/credential/publishGraph", json=body), 401),
        (client.post("/assistant/credential/publishGraph", json=body, headers={"Authorization": "ApiToken nope"}), 401),
        (client.post("/assistant/spaceship/publishGraph", json=body, headers=ASSISTANT_AUTH), 404),
        (client.post("/assistant/credential/publish", json=body, headers=ASSISTANT_AUTH), 404),
        (client.post("/assistant/credential/publishGraph", data=b"{oops", headers=ASSISTANT_AUTH), 400),
        (client.post("/assistant/credential/publishGraph", data=b"x" * (65 * 1024 * 1024), headers=ASSISTANT_AUTH),
         413),  # over the default limit, 64 MiB
    ]
    for response, status in cases:
        assert response.status_code == status
        assert response.json()["Successful"] is False and response.json()["Messages"]
        assert KEY not in response.text
    assert table_counts(db) == before


def test_ctid_clash_is_refused(server: tuple[Client, Path]) -> None:
    client, db = server
    graph = credential()
    graph["@graph"][0].pop("ceterms:ownedBy")
    assert publish_graph(client, "credential", graph)["Successful"] is True
    before = table_counts(db)
    body = publish_graph(client, "credential", graph, org=ORG2)
    assert body["Successful"] is False and body["Messages"][0].startswith("Resource CTID must be unique")
    assert table_counts(db) == before


def test_third_party_publishing_records_owner_and_publisher(server: tuple[Client, Path]) -> None:
    client, _ = server
    graph = credential()  # ceterms:ownedBy ORG
    assert publish_graph(client, "credential", graph, org=ORG2)["Successful"] is True
    envelope = client.get(f"/envelopes/{main_ctid(graph)}").json()
    assert (envelope["owned_by"], envelope["published_by"]) == (ORG, ORG2)


def test_delete(server: tuple[Client, Path]) -> None:
    client, db = server
    graph = credential()
    ctid = main_ctid(graph)
    publish_graph(client, "credential", graph)
    request = {"CTID": ctid, "PublishForOrganizationIdentifier": ORG}
    unauthorized = client.delete("/assistant/credential/delete", json=request)
    assert unauthorized.status_code == 401 and unauthorized.json()["Successful"] is False
    before = table_counts(db)
    other = client.delete("/assistant/credential/delete", json={**request, "PublishForOrganizationIdentifier": ORG2},
                          headers=ASSISTANT_AUTH).json()
    assert other["Successful"] is False and "is not owned or published by" in other["Messages"][0]
    assert table_counts(db) == before
    done = client.delete("/assistant/credential/delete", json=request, headers=ASSISTANT_AUTH)
    assert done.status_code == 200 and done.json()["Successful"] is True and done.json()["Messages"] == []
    assert client.get(f"/resources/{ctid}").status_code == 404
    again = client.delete("/assistant/credential/delete", json=request, headers=ASSISTANT_AUTH).json()
    assert again["Successful"] is False and "No resource was found" in again["Messages"][0]


def test_a_custom_gate_decides(tmp_path: Path) -> None:
    calls: list[dict] = []

    def gate(document: dict) -> list[str]:
        calls.append(document)
        return ["house-rule: every record needs a keyword"] if "ceterms:keyword" not in document["@graph"][0] else []

    with start_embedded(tmp_path / "r2.sqlite", KEY, orgs=[ORG], gate=gate) as registry:
        client = Client(registry.url)
        refused = publish_graph(client, "credential", credential())
        assert refused["Successful"] is False and refused["Messages"] == ["house-rule: every record needs a keyword"]
        assert publish_graph(client, "credential", credential(**{"ceterms:keyword": ["welding"]}))["Successful"] is True
    assert len(calls) == 2


def test_minimal_gate_accepts_a_good_record() -> None:
    assert minimal_gate(credential()) == []
    assert minimal_gate({"@graph": []}) == ["graph-shape: the document has no main resource (@graph[0])"]
    graph, _ = framework()
    graph["@graph"][2]["ceterms:ctid"] = "ce-bad"
    assert [m.split(":")[0] for m in minimal_gate(graph)] == ["ctid-grammar"]


@dataclass
class Finding:
    severity: str
    rule: str
    message: str


def test_default_gate_uses_the_project_validator_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("ctdl_tools.validate")

    def validate(document: dict) -> list:
        return [Finding("Violation", "ctid-required", "a CTID is required"),
                {"severity": "sh:Warning", "rule": "keyword-recommended", "message": "add keywords"},
                {"severity": "http://www.w3.org/ns/shacl#Violation", "rule_id": "name-required", "message": "no name"}]

    fake.validate = validate  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ctdl_tools.validate", fake)
    assert default_gate()(credential()) == ["ctid-required: a CTID is required", "name-required: no name"]
    monkeypatch.setitem(sys.modules, "ctdl_tools.validate", types.ModuleType("ctdl_tools.validate"))
    assert default_gate() is minimal_gate


def test_a_validator_that_crashes_falls_back_to_the_minimal_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("ctdl_tools.validate")

    def validate(document: dict) -> list:
        raise RuntimeError("validator bug")

    fake.validate = validate  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ctdl_tools.validate", fake)
    bad = credential(**{"@type": "ceterms:Credential"})
    assert [m.split(":")[0] for m in default_gate()(bad)] == ["abstract-type"]
    assert default_gate()(credential()) == []


def test_the_project_validator_refuses_violations_end_to_end(tmp_path: Path) -> None:
    validate = pytest.importorskip("ctdl_tools.validate").validate
    bad = credential(**{"@type": "ceterms:Credential"})
    for key in ("ceterms:name", "ceterms:description"):
        bad["@graph"][0].pop(key)
    with start_embedded(tmp_path / "r.sqlite", KEY, orgs=[ORG]) as registry:  # default gate
        client = Client(registry.url)
        body = publish_graph(client, "credential", bad)
        assert body["Successful"] is False and body["Messages"]
        assert all(": " in m for m in body["Messages"])  # "RULE-ID: message"
        assert client.get(f"/resources/{main_ctid(bad)}").status_code == 404
        good = credential(**{"ceterms:subjectWebpage": "https://example.edu/welding", "ceterms:inLanguage": ["en-US"],
                             "ceterms:credentialStatusType": {
                                 "@type": "ceterms:CredentialAlignmentObject",
                                 "ceterms:framework": "https://credreg.net/ctdl/terms/CredentialStatus",
                                 "ceterms:targetNode": "credentialStat:Active",
                                 "ceterms:targetNodeName": {"en-US": "Active"}}})
        try:
            conforms = validate(good).conforms
        except Exception as exc:  # the validator is another engineer's work in progress
            pytest.skip(f"ctdl_tools.validate raised on a good record: {exc!r}")
        assert publish_graph(client, "credential", good)["Successful"] is conforms
