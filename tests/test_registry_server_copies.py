"""Which node of a CTID is the record and which are copies (service._mark_copies, store._m5_embedded_ctids).

A CTID may be a node of several stored graphs; the node that is an envelope's main resource is the record, else
the one of the first stored envelope; every other node is marked ``copy`` so search lists each CTID once.
"""

from __future__ import annotations

import copy
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from ctdl_tools.ctid import SANDBOX_BASE, mint_ctid
from ctdl_tools.registry.server import service as service_module
from ctdl_tools.registry.server.service import COMMUNITY, RegistryService
from ctdl_tools.registry.server.store import Store
from tests._registry_server_support import ORG, ORG2, credential, framework, main_ctid


@pytest.fixture
def service(tmp_path: Path) -> Iterator[RegistryService]:
    store = Store(tmp_path / "registry.sqlite")
    registry = RegistryService(store, SANDBOX_BASE)
    registry.add_organization(ORG, "Northwind Technical College")
    registry.add_organization(ORG2, "Southgate Training Institute")
    yield registry
    store.close()


def holders(service: RegistryService, ctid: str) -> dict[str, int]:
    """Main CTID of each envelope with a node of ``ctid`` → that node's ``copy``."""
    rows = service.store.db.execute(
        "SELECT e.ctid, r.copy FROM resources r JOIN envelopes e ON e.id = r.envelope_pk "
        "WHERE r.community = ? AND r.ctid = ?", (COMMUNITY, ctid)).fetchall()
    return {row[0]: row[1] for row in rows}


def copies_by_envelope(service: RegistryService) -> dict[str, tuple[int, int]]:
    """Main CTID of each envelope → (nodes with a CTID that are copies, nodes with a CTID that are not)."""
    rows = service.store.db.execute(
        "SELECT e.ctid, SUM(r.copy), SUM(1 - r.copy) FROM resources r JOIN envelopes e ON e.id = r.envelope_pk "
        "WHERE r.ctid IS NOT NULL GROUP BY e.ctid").fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def embedding(course: dict, name: str) -> dict:
    """A program's graph that describes ``course`` (a main node) in full."""
    program = credential(type_="ceterms:LearningProgram", name=name, base=SANDBOX_BASE)
    program["@graph"][0]["ceterms:hasPart"] = [course["@id"]]
    program["@graph"].append({**course, "ceterms:name": {"en-US": f"{course['ceterms:name']['en-US']} ({name})"}})
    return program


def sharing(document: dict) -> dict:
    """Another framework whose graph holds the same competencies as ``document``'s."""
    other = copy.deepcopy(document)
    ctid = mint_ctid()
    other["@id"] = f"{SANDBOX_BASE}/graph/{ctid}"
    other["@graph"][0] = {**other["@graph"][0], "@id": f"{SANDBOX_BASE}/resources/{ctid}", "ceterms:ctid": ctid}
    return other


def test_a_ctid_in_several_graphs_has_one_record_and_the_others_are_copies(service: RegistryService) -> None:
    course = credential(type_="ceterms:Course", name="Managerial Accounting", base=SANDBOX_BASE)
    ctid = main_ctid(course)
    p = embedding(course["@graph"][0], "Program P")
    q = embedding(course["@graph"][0], "Program Q")
    service.publish(p, ORG)
    assert holders(service, ctid) == {main_ctid(p): 0}  # alone: the record
    service.publish(q, ORG2)
    assert holders(service, ctid) == {main_ctid(p): 0, main_ctid(q): 1}  # the first stored envelope's
    service.publish(course, ORG)
    assert holders(service, ctid) == {main_ctid(p): 1, main_ctid(q): 1, ctid: 0}  # its own graph's, stored last
    assert copies_by_envelope(service) == {main_ctid(p): (1, 1), main_ctid(q): (1, 1), ctid: (0, 1)}
    total, rows = service.search("managerial accounting", 1, 20)
    assert total == 1 and [r["ctid"] for r in rows] == [ctid]  # listed once


def test_republishing_keeps_the_record_and_follows_what_the_graph_now_holds(service: RegistryService) -> None:
    course = credential(type_="ceterms:Course", name="Managerial Accounting", base=SANDBOX_BASE)["@graph"][0]
    ctid = course["ceterms:ctid"]
    p = embedding(course, "Program P")
    q = embedding(course, "Program Q")
    service.publish(p, ORG)
    service.publish(q, ORG2)
    for edit, (document, owner) in enumerate(((q, ORG2), (p, ORG), (q, ORG2))):  # rows written anew each time
        document["@graph"][0]["ceterms:description"] = {"en-US": f"Edited, edit {edit}."}
        assert service.publish(document, owner).changed is True
        assert holders(service, ctid) == {main_ctid(p): 0, main_ctid(q): 1}
    assert service.publish(p, ORG).changed is False  # unchanged: nothing written
    assert holders(service, ctid) == {main_ctid(p): 0, main_ctid(q): 1}
    # P no longer describes the course: Q's description is the record; P describes it again: P's is, again.
    without = copy.deepcopy(p)
    without["@graph"] = without["@graph"][:1]
    service.publish(without, ORG)
    assert holders(service, ctid) == {main_ctid(q): 0}
    service.publish(p, ORG)
    assert holders(service, ctid) == {main_ctid(p): 0, main_ctid(q): 1}


def test_deleting_the_records_graph_makes_another_the_record(service: RegistryService) -> None:
    course = credential(type_="ceterms:Course", name="Managerial Accounting", base=SANDBOX_BASE)
    ctid = main_ctid(course)
    p = embedding(course["@graph"][0], "Program P")
    q = embedding(course["@graph"][0], "Program Q")
    r = embedding(course["@graph"][0], "Program R")
    for document, owner in ((p, ORG), (course, ORG), (q, ORG2), (r, ORG)):
        service.publish(document, owner)
    assert holders(service, ctid) == {main_ctid(p): 1, ctid: 0, main_ctid(q): 1, main_ctid(r): 1}
    service.delete(ctid)  # the course's own record: the first stored description is the record now
    assert holders(service, ctid) == {main_ctid(p): 0, main_ctid(q): 1, main_ctid(r): 1}
    service.delete(main_ctid(p))
    assert holders(service, ctid) == {main_ctid(q): 0, main_ctid(r): 1}
    service.delete(main_ctid(r))  # a copy deleted: the record stays
    assert holders(service, ctid) == {main_ctid(q): 0}
    service.delete(main_ctid(q))
    assert holders(service, ctid) == {}
    service.publish(course, ORG)
    assert holders(service, ctid) == {ctid: 0}


def test_a_large_batch_of_shared_ctids_is_marked_in_full(service: RegistryService) -> None:
    # More CTIDs than SQLite's parameters in one statement once allowed (999), so a grouped query must chunk or
    # not bind one parameter per CTID.
    count = 1500
    a, ctids = framework(competencies=count)
    b = sharing(a)
    service.publish(a, ORG)
    service.publish(b, ORG)
    assert copies_by_envelope(service) == {main_ctid(a): (0, count + 1), main_ctid(b): (count, 1)}
    changed = copy.deepcopy(a)
    changed["@graph"][0]["ceasn:description"] = {"en-US": "Edited."}
    service.publish(changed, ORG)  # A's rows written again: A's stay the records
    assert copies_by_envelope(service) == {main_ctid(a): (0, count + 1), main_ctid(b): (count, 1)}
    assert holders(service, ctids[-1]) == {main_ctid(a): 0, main_ctid(b): 1}
    service.delete(main_ctid(a))
    assert copies_by_envelope(service) == {main_ctid(b): (0, count + 1)}
    service.publish(a, ORG)  # A stored after B now: B's nodes are the records
    assert copies_by_envelope(service) == {main_ctid(a): (count, 1), main_ctid(b): (0, count + 1)}
    total, _ = service.search("weld joint type", 1, 1)
    assert total == count - 1  # each competency once (competency 0 is "Read blueprints")


def _reference_mark_copies(db: sqlite3.Connection, ctids: list[str]) -> None:
    """The rule as first written: a query per CTID (kept here to pin the result of the grouped one)."""
    for ctid in ctids:
        rows = db.execute("SELECT r.id, r.copy FROM resources r WHERE r.community = ? AND r.ctid = ? "
                          "ORDER BY r.position != 0, r.envelope_pk, r.position", (COMMUNITY, ctid)).fetchall()
        if len(rows) > 1 or (rows and rows[0][1]):
            db.execute("UPDATE resources SET copy = (id != ?) WHERE community = ? AND ctid = ?",
                       (rows[0][0], COMMUNITY, ctid))


def test_marking_gives_what_the_per_ctid_rule_gave_on_scrambled_flags(service: RegistryService) -> None:
    rng = random.Random(20240601)
    course = credential(type_="ceterms:Course", base=SANDBOX_BASE)
    a, ctids = framework(competencies=40)
    b, c = sharing(a), sharing(a)
    c["@graph"] = c["@graph"][: 20]  # shares half
    for document in (embedding(course["@graph"][0], "P"), a, course, b, embedding(course["@graph"][0], "Q"), c):
        service.publish(document, ORG)
    db = service.store.db
    all_ctids = [row[0] for row in db.execute("SELECT DISTINCT ctid FROM resources WHERE ctid IS NOT NULL")]
    for _ in range(5):
        wanted = [*rng.sample(all_ctids, len(all_ctids) // 2), mint_ctid(), ctids[0], ctids[0]]  # unknown, repeated
        with service.store.write() as db:
            for (row_id,) in db.execute("SELECT id FROM resources").fetchall():
                db.execute("UPDATE resources SET copy = ? WHERE id = ?", (rng.randint(0, 1), row_id))
            db.execute("SAVEPOINT s")
            _reference_mark_copies(db, wanted)
            expected = db.execute("SELECT id, copy FROM resources ORDER BY id").fetchall()
            db.execute("ROLLBACK TO s")
            service_module._mark_copies(db, iter(wanted))  # any iterable, consumed once
            assert db.execute("SELECT id, copy FROM resources ORDER BY id").fetchall() == expected


def test_the_number_of_statements_does_not_grow_with_the_number_of_ctids(service: RegistryService) -> None:
    # A 14k-competency framework published as one graph ran a query per CTID (14k, again on delete).
    a, _ = framework(competencies=2000)
    service.publish(a, ORG)
    service.publish(sharing(a), ORG)  # every CTID also a copy: all need marking
    ctids = [row[0] for row in service.store.db.execute("SELECT DISTINCT ctid FROM resources WHERE ctid IS NOT NULL")]

    def statements(wanted: list[str]) -> int:
        seen: list[str] = []
        with service.store.write() as db:
            db.execute("UPDATE resources SET copy = 1 - copy")  # every flag wrong: everything is written
            db.set_trace_callback(seen.append)
            try:
                service_module._mark_copies(db, wanted)
            finally:
                db.set_trace_callback(None)
        return len(seen)

    few, many = statements(ctids[:10]), statements(ctids)
    assert few == many <= 5, (few, many)
    assert copies_by_envelope(service)[main_ctid(a)] == (0, 2001)
