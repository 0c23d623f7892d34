"""The local registry refuses a document whose ``@id`` names another CTID than its main resource's, as
Credential Engine's registry does (an envelope's CTID must be its resource's), on both publish APIs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ctdl_tools.ctid import REGISTRY_BASE, SANDBOX_BASE, mint_ctid
from ctdl_tools.registry.server import start_embedded
from ctdl_tools.registry.server.gate import minimal_gate
from tests._registry_server_support import (
    ASSISTANT_AUTH,
    KEY,
    ORG,
    ORG_NAME,
    Client,
    credential,
    framework,
    main_ctid,
    table_counts,
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Client, Path, str]]:
    db = tmp_path / "registry.sqlite"
    with start_embedded(db, KEY, orgs=[f"{ORG}={ORG_NAME}"], gate=minimal_gate) as registry:
        yield Client(registry.url), db, registry.url.rstrip("/")


def _disagreement(in_id: str, ctid: str) -> str:
    return f"names CTID {in_id}, but the main resource's ceterms:ctid is {ctid}; they must match"


@pytest.mark.parametrize("uri", [f"{REGISTRY_BASE}/graph/{{}}", f"{SANDBOX_BASE}/resources/{{}}",
                                 "LOCAL/graph/{}", f"{REGISTRY_BASE}/ce-registry/graph/{{}}"])
def test_direct_publish_refuses_an_id_naming_another_ctid(server: tuple[Client, Path, str], uri: str) -> None:
    client, db, url = server
    before = table_counts(db)
    document, other = credential(), mint_ctid()
    document["@id"] = uri.replace("LOCAL", url).format(other)
    response = client.publish(document)
    # The shape of every other refused document: 422 and the property with what is wrong with it.
    assert response.status_code == 422
    assert response.json() == {"errors": [{"@id": _disagreement(other, main_ctid(document))}]}
    assert table_counts(db) == before
    assert client.get(f"/resources/{main_ctid(document)}").status_code == 404


def test_an_update_cannot_move_a_record_under_another_ctid(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    document = credential()
    first = client.publish(document).json()
    other = mint_ctid()
    moved = client.publish({**document, "@id": f"{REGISTRY_BASE}/graph/{other}"}, update_if_exists="true")
    assert moved.status_code == 422
    assert moved.json() == {"errors": [{"@id": _disagreement(other, main_ctid(document))}]}
    assert client.get(f"/envelopes/{first['envelope_id']}").json()["decoded_resource"] == document


def test_a_framework_id_naming_one_of_its_competencies_is_refused(server: tuple[Client, Path, str]) -> None:
    client, _, _ = server
    document, ctids = framework()
    document["@id"] = f"{SANDBOX_BASE}/graph/{ctids[0]}"  # a CTID of the graph, but not its main resource's
    response = client.publish(document)
    assert response.status_code == 422
    assert response.json() == {"errors": [{"@id": _disagreement(ctids[0], main_ctid(document))}]}


@pytest.mark.parametrize("make_id", [
    lambda ctid: f"{REGISTRY_BASE}/graph/{ctid.upper().replace('CE-', 'ce-')}",  # CTIDs compare in any case
    lambda ctid: "https://example.edu/catalog/graphs/welding",  # no CTID in it: nothing to disagree with
])
def test_ids_that_agree_or_name_no_ctid_are_published(server: tuple[Client, Path, str], make_id) -> None:
    client, _, _ = server
    document = credential()
    document["@id"] = make_id(main_ctid(document))
    response = client.publish(document)
    assert response.status_code == 201, response.text
    assert response.json()["envelope_ceterms_ctid"] == main_ctid(document)


def test_assistant_publish_graph_refuses_it_too(server: tuple[Client, Path, str]) -> None:
    client, db, _ = server
    before = table_counts(db)
    graph, other = credential(), mint_ctid()
    graph["@id"] = f"{REGISTRY_BASE}/graph/{other}"
    response = client.post("/assistant/credential/publishGraph", headers=ASSISTANT_AUTH,
                           json={"PublishForOrganizationIdentifier": ORG, "GraphInput": graph})
    # The Assistant's refusal on content: HTTP 200, Successful false, the rule in Messages.
    assert response.status_code == 200
    body = response.json()
    assert body["Successful"] is False and body["WasChanged"] is False
    assert body["Messages"] == [f"@id {_disagreement(other, main_ctid(graph))}"]
    assert table_counts(db) == before


def test_a_main_node_calling_itself_another_record_is_refused(server: tuple[Client, Path, str]) -> None:
    # Found in acceptance testing: a document whose main node's @id named another CTID than its ceterms:ctid was
    # published (201) over the existing record, which /resources/<ctid> then served under the other @id.
    client, db, _ = server
    document = credential()
    client.publish(document)
    before = table_counts(db)
    other = mint_ctid()
    changed = {**document, "@graph": [{**document["@graph"][0], "@id": f"{REGISTRY_BASE}/resources/{other}"},
                                      *document["@graph"][1:]]}
    response = client.publish(changed, update_if_exists="true")
    assert response.status_code == 422
    assert response.json() == {"errors": [{"@graph/0/@id": f"names CTID {other}, but its ceterms:ctid is "
                                                           f"{main_ctid(document)}; they must match"}]}
    assert table_counts(db) == before
    served = client.get(f"/resources/{main_ctid(document)}").json()["@id"]  # on the serving host's URL
    assert served.endswith(f"/resources/{main_ctid(document)}")
