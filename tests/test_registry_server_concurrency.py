"""16 concurrent publishers against one registry database: nothing lost, nothing duplicated.

Two servers share the database file — one in this process, one in a child process — so the writers
contend both inside a server (worker threads) and across processes (SQLite's file lock).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ctdl_tools.ctid import mint_ctid
from ctdl_tools.registry.server import start_embedded
from tests._registry_server_support import KEY, ORG, Client, credential, main_ctid

WRITERS = 16
DOCS_PER_WRITER = 10
ORGS = [f"ce-{i:08x}-0000-4000-8000-{i:012x}" for i in range(1, WRITERS + 1)]


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[list[str], Path]]:
    db = tmp_path / "shared.sqlite"
    org_args = [ORG, *ORGS]
    with start_embedded(db, KEY, orgs=org_args) as embedded:
        code = ("import sys; from ctdl_tools.registry.server import serve; "
                "serve('127.0.0.1', 0, db_path=sys.argv[1], api_keys=[sys.argv[2]], log_level='warning', "
                "access_log=False)")
        child = subprocess.Popen([sys.executable, "-c", code, str(db), KEY], stdout=subprocess.PIPE, text=True)
        try:
            url = child.stdout.readline().strip()  # type: ignore[union-attr]
            assert url.startswith("http://127.0.0.1:"), url
            yield [embedded.url, url], db
        finally:
            child.terminate()
            child.wait(timeout=10)


def test_sixteen_concurrent_writers(two_servers: tuple[list[str], Path]) -> None:
    urls, db = two_servers
    shared = credential(name="Shared certificate, version 0")
    contested = credential()
    setup = Client(urls[0])
    assert setup.publish(shared).status_code == 201
    barrier = threading.Barrier(WRITERS)
    results: dict[int, dict[str, list]] = {}

    def writer(i: int) -> None:
        client = Client(urls[i % 2])
        org = ORGS[i]
        mine = [credential(name=f"Writer {i} certificate {n}", **{"ceterms:ownedBy": [org]})
                for n in range(DOCS_PER_WRITER)]
        update = credential(main_ctid(shared), name=f"Shared certificate, version {i + 1}")
        barrier.wait()
        out: dict[str, list] = {"mine": [], "ctids": [main_ctid(d) for d in mine]}
        out["contested"] = [client.publish(contested, org=org)]  # every org claims the same CTID at once
        for n, document in enumerate(mine):
            out["mine"].append(client.publish(document, org=org).status_code)
            if n == DOCS_PER_WRITER // 2:
                out["update"] = [client.publish(update, org=ORG)]  # all update one envelope at once
        results[i] = out

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == WRITERS

    # Distinct documents: every one stored, once.
    assert all(status == 201 for r in results.values() for status in r["mine"])
    expected = {c for r in results.values() for c in r["ctids"]} | {main_ctid(shared), main_ctid(contested)}
    listed = [e["envelope_ceterms_ctid"] for page in (1, 2)
              for e in setup.get("/envelopes", params={"page": page, "per_page": 200, "metadata_only": "true"}).json()]
    assert len(listed) == len(expected) == WRITERS * DOCS_PER_WRITER + 2
    assert Counter(listed) == Counter(expected)

    # The contested CTID: exactly one organization won; everyone else got the registry's 422.
    contested_answers = [r["contested"][0] for r in results.values()]
    statuses = Counter(a.status_code for a in contested_answers)
    assert statuses == {201: 1, 422: WRITERS - 1}
    assert all(a.json() == {"errors": [["Resource CTID must be unique"]]} for a in contested_answers
               if a.status_code == 422)
    winner = next(a.json()["owned_by"] for a in contested_answers if a.status_code == 201)
    assert setup.get(f"/envelopes/{main_ctid(contested)}").json()["owned_by"] == winner

    # Sixteen concurrent updates of one envelope: one envelope, every change a revision.
    updates = [r["update"][0] for r in results.values()]
    assert all(u.status_code == 201 and u.json()["changed"] is True for u in updates)
    assert len({u.json()["envelope_id"] for u in updates}) == 1
    envelope = setup.get(f"/envelopes/{main_ctid(shared)}").json()
    history = envelope["node_headers"]["revision_history"]
    assert [h["event"] for h in history] == ["create"] + ["update"] * WRITERS
    assert envelope["decoded_resource"]["@graph"][0]["ceterms:name"]["en-US"] in {
        f"Shared certificate, version {i + 1}" for i in range(WRITERS)}

    with sqlite3.connect(db) as connection:
        def count(sql: str) -> int:
            return int(connection.execute(sql).fetchone()[0])

        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert count("SELECT COUNT(*) FROM resources WHERE ctid IS NOT NULL") == len(expected)
        assert count("SELECT COUNT(*) FROM revisions") == len(expected) + WRITERS


def test_concurrent_first_publish_of_one_document_by_one_org(two_servers: tuple[list[str], Path]) -> None:
    """The same new document from 16 writers of the same organization: one envelope, one create."""
    urls, _ = two_servers
    document = credential(mint_ctid())
    barrier = threading.Barrier(WRITERS)
    answers: list = []

    def writer(i: int) -> None:
        client = Client(urls[i % 2])
        barrier.wait()
        answers.append(client.publish(document))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [201] * WRITERS
    assert Counter(a.json()["changed"] for a in answers) == {True: 1, False: WRITERS - 1}
    assert len({a.json()["envelope_id"] for a in answers}) == 1
    history = Client(urls[0]).get(f"/envelopes/{main_ctid(document)}").json()["node_headers"]["revision_history"]
    assert [h["event"] for h in history] == ["create"]
