"""Lookups of many CTIDs or ``@id``s at once (RegistryService.existing, names, nodes_by_id).

Each looks all its items up in one statement (the items passed as one JSON array read with ``json_each``), not a
query per item: a page or a check of a 14k-competency framework ran 14k queries. The results, their order and what
repeated, unknown or odd items give are the ones a query per item gave (the functions as first written are kept
here as the reference).
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ctdl_tools.ctid import SANDBOX_BASE, mint_ctid
from ctdl_tools.registry.server import graphdoc
from ctdl_tools.registry.server.service import _MAIN_FIRST, COMMUNITY, RegistryService
from ctdl_tools.registry.server.store import Store
from tests._registry_server_support import ORG, ORG2, ORG2_NAME, ORG_NAME, credential, framework, main_ctid

ORG3 = "ce-0c000000-0000-4000-8000-000000000003"  # registered with a name; a node of it has none
ORG4 = "ce-0d000000-0000-4000-8000-000000000004"  # registered without a name
ORG3_NAME = "Eastfield Community College"
SELF = "https://ctdl.example.edu"  # a provider's own @ids (not registry URIs)
SELF_ORG = f"{SELF}/Organization-1.json"
SELF_COURSE = f"{SELF}/Course-1.json"


# --- the functions as first written: a query per item ---------------------------------------------------------
def reference_existing(service: RegistryService, ctids: Iterable[str], types: set[str] | None = None) -> list[str]:
    wanted = [c for c in (graphdoc.ctid_of(str(x)) for x in ctids) if c]
    found = []
    for ctid in dict.fromkeys(wanted):
        row = service.store.db.execute(f"SELECT type FROM resources r WHERE community = ? AND ctid = ? "
                                       f"ORDER BY {_MAIN_FIRST} LIMIT 1", (COMMUNITY, ctid)).fetchone()
        if row is not None and (types is None or row[0] in types):
            found.append(ctid)
    return found


def reference_nodes_by_id(service: RegistryService, ids: Iterable[str]) -> dict[str, tuple[str, str, str]]:
    found: dict[str, tuple[str, str, str]] = {}
    for ident in dict.fromkeys(ids):
        rows = service.store.db.execute(
            f"SELECT r.ctid, r.name, r.type FROM resources r WHERE r.node_id = ? AND r.community = ? "
            f"ORDER BY {_MAIN_FIRST}", (ident, COMMUNITY)).fetchall()
        row = next((r for r in rows if r[0]), None)
        if row is not None:
            found[ident] = (row[0], row[1], row[2])
    return found


def reference_names(service: RegistryService, ctids: Iterable[str]) -> dict[str, tuple[str, str]]:
    result: dict[str, tuple[str, str]] = {}
    for ctid in dict.fromkeys(ctids):
        row = service.store.db.execute(f"SELECT name, type FROM resources r WHERE community = ? AND ctid = ? "
                                       f"ORDER BY {_MAIN_FIRST} LIMIT 1", (COMMUNITY, ctid)).fetchone()
        if row is not None and row[0]:
            result[ctid] = (row[0], row[1])
            continue
        org = service.organization(ctid)
        if org is not None and org.name != org.ctid:
            result[ctid] = (org.name, "")
    return result


def outcome(function: Callable[..., Any], *args: Any) -> Any:
    """What a call returns (a dict as its items, in order), or the type of what it raised."""
    try:
        result = function(*args)
    except Exception as error:  # compared, not swallowed
        return ("raised", type(error))
    return list(result.items()) if isinstance(result, dict) else result


# --- a small store --------------------------------------------------------------------------------------------
@pytest.fixture
def service(tmp_path: Path) -> Iterator[RegistryService]:
    store = Store(tmp_path / "registry.sqlite")
    registry = RegistryService(store, SANDBOX_BASE)
    registry.add_organization(ORG, ORG_NAME)
    registry.add_organization(ORG2, ORG2_NAME)
    registry.add_organization(ORG3, ORG3_NAME)
    registry.add_organization(ORG4, None)
    yield registry
    store.close()


def uri(ctid: str) -> str:
    return f"{SANDBOX_BASE}/resources/{ctid}"


def graph(main: dict, *others: dict) -> dict:
    return {"@context": "https://credreg.net/ctdl/schema/context/json",
            "@id": f"{SANDBOX_BASE}/graph/{main['ceterms:ctid']}", "@graph": [main, *others]}


def node(ident: str, type_: str, ctid: str | None = None, name: str | None = None) -> dict:
    out: dict = {"@id": ident, "@type": type_}
    if ctid is not None:
        out["ceterms:ctid"] = ctid
    if name is not None:
        out["ceterms:name"] = {"en-US": name}
    return out


def program(name: str, *others: dict) -> dict:
    main = credential(type_="ceterms:LearningProgram", name=name, base=SANDBOX_BASE)["@graph"][0]
    return graph(main, *others)


class Scene:
    """The store's documents, published in steps; ``ctids`` and ``ids``: every item the lookups are asked for."""

    def __init__(self) -> None:
        self.course = credential(type_="ceterms:Course", name="Managerial Accounting", base=SANDBOX_BASE)
        course = self.course["@graph"][0]
        # Program P describes the course as another type: the course's record is P's node until the course is
        # published on its own.
        self.p = program("Program P", {**course, "@type": "ceterms:LearningOpportunityProfile",
                                       "ceterms:name": {"en-US": "Managerial Accounting (P)"}})
        self.q = program("Program Q", {**course, "ceterms:name": {"en-US": "Managerial Accounting (Q)"}})
        self.a, self.competencies = framework(competencies=4)
        self.b = copy.deepcopy(self.a)  # another framework holding the same competencies
        other = mint_ctid()
        self.b["@id"] = f"{SANDBOX_BASE}/graph/{other}"
        self.b["@graph"][0] = {**self.b["@graph"][0], "@id": uri(other), "ceterms:ctid": other}
        self.org_ctid = mint_ctid()
        self.course_ctid = mint_ctid()
        # A self-published organization (main node) named in a program by a stub without a CTID; a self-published
        # course first stored without a CTID, then with one in another graph.
        self.self_org = graph(node(SELF_ORG, "ceterms:CredentialOrganization", self.org_ctid, "Example University"))
        self.r = program("Program R", node(SELF_ORG, "ceterms:CredentialOrganization"),
                         node(SELF_COURSE, "ceterms:Course", name="Digital Skills (no CTID)"),
                         node("_:b0", "ceterms:ConditionProfile", name="Requirements"))
        self.s = program("Program S", node(SELF_COURSE, "ceterms:Course", self.course_ctid, "Digital Skills"),
                         node("_:b0", "ceterms:ConditionProfile", name="Requirements"),
                         node(uri(ORG3), "ceterms:CredentialOrganization", ORG3))  # an organization's node, no name
        self.org2 = credential(ORG2, type_="ceterms:CredentialOrganization", name="Southgate (its record)",
                               base=SANDBOX_BASE)
        self.steps: list[tuple[str, Any, str]] = [
            ("publish", self.p, ORG), ("publish", self.a, ORG), ("publish", self.r, ORG2),
            ("publish", self.q, ORG2), ("publish", self.b, ORG2), ("publish", self.self_org, ORG),
            ("publish", self.s, ORG), ("publish", self.course, ORG), ("publish", self.org2, ORG2),
            ("delete", main_ctid(self.a), ""), ("delete", main_ctid(self.p), ""),
            ("delete", main_ctid(self.course), ""),
        ]
        known = [main_ctid(d) for d in (self.course, self.p, self.q, self.a, self.b, self.r, self.s, self.org2)]
        self.ctids = [*known, *self.competencies, self.org_ctid, self.course_ctid, ORG, ORG2, ORG3, ORG4,
                      mint_ctid(), ORG.upper(), f" {ORG3} ", self.competencies[0].upper(), uri(self.competencies[1]),
                      f"{SANDBOX_BASE}/graph/{main_ctid(self.a)}", "not a ctid", "", self.competencies[0], known[0]]
        self.ids = [SELF_ORG, SELF_COURSE, f"{SELF}/Unknown.json", "_:b0", uri(self.competencies[2]), uri(ORG3),
                    SELF_ORG.upper(), "", SELF_COURSE]

    def run(self, service: RegistryService, step: tuple[str, Any, str]) -> None:
        action, what, owner = step
        if action == "publish":
            service.publish(what, owner)
        else:
            service.delete(what)


TYPES = (None, {"ceterms:Course"}, {"ceasn:Competency", "ceterms:LearningOpportunityProfile"}, set())


def test_each_lookup_gives_what_a_query_per_item_gave_at_every_step(service: RegistryService) -> None:
    scene = Scene()
    for step in [None, *scene.steps]:
        if step is not None:
            scene.run(service, step)
        for types in TYPES:
            assert outcome(service.existing, scene.ctids, types) == outcome(
                reference_existing, service, scene.ctids, types), (step, types)
            assert outcome(service.existing, iter(scene.ctids), types) == outcome(  # any iterable, consumed once
                reference_existing, service, scene.ctids, types)
        assert outcome(service.names, scene.ctids) == outcome(reference_names, service, scene.ctids), step
        assert outcome(service.names, iter(scene.ctids)) == outcome(reference_names, service, scene.ctids)
        assert outcome(service.nodes_by_id, scene.ids) == outcome(reference_nodes_by_id, service, scene.ids), step
        assert outcome(service.nodes_by_id, iter(scene.ids)) == outcome(reference_nodes_by_id, service, scene.ids)
        for lookup in (service.existing, service.names, service.nodes_by_id):
            assert outcome(lookup, []) == outcome(lookup, iter(())) == []


def test_existing_pinned(service: RegistryService) -> None:
    scene = Scene()
    course, c = scene.course_ctid, scene.competencies
    for step in scene.steps[:8]:  # up to the course published on its own
        scene.run(service, step)
    own = main_ctid(scene.course)
    asked = [c[1].upper(), uri(c[0]), mint_ctid(), own, "not a ctid", c[1], f"  {course} ", ORG, own.upper()]
    # CTIDs as given (any case, a registry URI, spaces), each once in the order first given; unknown ones and
    # organizations without a published node left out.
    assert service.existing(asked) == [c[1], c[0], own, course]
    assert service.existing(asked, {"ceasn:Competency"}) == [c[1], c[0]]
    assert service.existing(asked, {"ceterms:Course"}) == [own, course]
    assert service.existing(asked, set()) == []
    # The type is the record's: the course's own node now, not Program P's node of it (stored first).
    assert service.existing([own], {"ceterms:LearningOpportunityProfile"}) == []
    service.delete(own)
    assert service.existing([own], {"ceterms:LearningOpportunityProfile"}) == [own]
    assert service.existing([own], {"ceterms:Course"}) == []


def test_names_pinned(service: RegistryService) -> None:
    scene = Scene()
    for step in scene.steps[:9]:
        scene.run(service, step)
    own, unknown = main_ctid(scene.course), mint_ctid()
    asked = [ORG4, own, ORG2, unknown, ORG3, ORG.upper(), scene.competencies[3], own, f" {ORG} ", ORG, own.upper()]
    assert list(service.names(asked).items()) == [
        (own, ("Managerial Accounting", "ceterms:Course")),  # the record's name, not a copy's
        (ORG2, ("Southgate (its record)", "ceterms:CredentialOrganization")),  # its record's name, not the registered
        (ORG3, (ORG3_NAME, "")),  # its node has no name: the registered one
        (ORG.upper(), (ORG_NAME, "")),  # organizations by their CTID in any case, with spaces
        (scene.competencies[3], ("Weld joint type 3", "ceasn:Competency")),
        (f" {ORG} ", (ORG_NAME, "")),
        (ORG, (ORG_NAME, "")),
    ]  # ORG4 (registered without a name), unknown CTIDs and a record's CTID in capitals: nothing


def test_nodes_by_id_pinned(service: RegistryService) -> None:
    scene = Scene()
    for step in scene.steps:
        scene.run(service, step)
    asked = [SELF_COURSE, f"{SELF}/Unknown.json", "_:b0", SELF_ORG, SELF_ORG.upper(), uri(ORG3), SELF_COURSE]
    assert list(service.nodes_by_id(asked).items()) == [
        (SELF_COURSE, (scene.course_ctid, "Digital Skills", "ceterms:Course")),  # the first node with a CTID
        (SELF_ORG, (scene.org_ctid, "Example University", "ceterms:CredentialOrganization")),  # not R's stub
        (uri(ORG3), (ORG3, "", "ceterms:CredentialOrganization")),  # exact @id only; blank nodes have no CTID
    ]


def test_items_json_each_cannot_carry_are_looked_up_as_before(service: RegistryService) -> None:
    # SQLite's JSON functions end a string at an escaped NUL: "…/a\x00b" would come out as "…/a" and find that
    # node. A lone surrogate cannot be bound as text: the query per item raised.
    a, a_nul = mint_ctid(), mint_ctid()
    service.publish(program("Program N", node(f"{SELF}/a", "ceterms:Course", a, "A"),
                            node(f"{SELF}/a\x00b", "ceterms:Course", a_nul, "A NUL")), ORG)
    ids = [f"{SELF}/a\x00b", f"{SELF}/a\x00c", f"{SELF}/a", SELF_ORG]
    assert list(service.nodes_by_id(ids).items()) == [(f"{SELF}/a\x00b", (a_nul, "A NUL", "ceterms:Course")),
                                                       (f"{SELF}/a", (a, "A", "ceterms:Course"))]
    assert outcome(service.nodes_by_id, ids) == outcome(reference_nodes_by_id, service, ids)
    ctids = [f"{a}\x00", f"{ORG}\x00x", a, ORG]
    assert list(service.names(ctids).items()) == [(a, ("A", "ceterms:Course")), (ORG, (ORG_NAME, ""))]
    assert outcome(service.names, ctids) == outcome(reference_names, service, ctids)
    assert outcome(service.existing, ctids) == outcome(reference_existing, service, ctids) == [a]
    for odd in ([f"{SELF}/\ud800"], [a, "\udfff"]):
        assert outcome(service.nodes_by_id, odd) == outcome(reference_nodes_by_id, service, odd)
    # names() is asked for CTIDs (graphdoc.ctid_of's): a string json_each cannot carry is none, and names nothing
    # (the query per item raised for a lone surrogate).
    assert service.names([f"{SELF}/\ud800"]) == {} and service.names([a, "\udfff"]) == {a: ("A", "ceterms:Course")}


# --- statements -----------------------------------------------------------------------------------------------
def statements(db: sqlite3.Connection, call: Callable[[int], Any], items: int) -> int:
    seen: list[str] = []
    db.set_trace_callback(seen.append)
    try:
        call(items)
    finally:
        db.set_trace_callback(None)
    return len(seen)


def test_the_number_of_statements_does_not_grow_with_the_number_of_items(service: RegistryService) -> None:
    # A 14k-competency framework's check or page ran a query per CTID or @id.
    count = 1000
    a, ctids = framework(competencies=count)
    b = copy.deepcopy(a)  # the competencies in two graphs: each CTID and @id has two nodes
    other = mint_ctid()
    b["@id"] = f"{SANDBOX_BASE}/graph/{other}"
    b["@graph"][0] = {**b["@graph"][0], "@id": uri(other), "ceterms:ctid": other}
    service.publish(a, ORG)
    service.publish(b, ORG2)
    ids = [str(n["@id"]) for n in a["@graph"]]
    unknown = [mint_ctid() for _ in range(count)]  # names() looks these up among the organizations
    db = service.store.db
    calls: dict[str, Callable[[int], Any]] = {
        "existing": lambda n: service.existing([*ctids[:n], *unknown[:n]]),
        "existing (types)": lambda n: service.existing([*ctids[:n], *unknown[:n]], {"ceasn:Competency"}),
        "names": lambda n: service.names([*ctids[:n], *unknown[:n], ORG]),
        "nodes_by_id": lambda n: service.nodes_by_id([*ids[:n], *(uri(u) for u in unknown[:n])]),
    }
    counts = {name: (statements(db, call, 10), statements(db, call, count)) for name, call in calls.items()}
    assert all(few == many <= 2 for few, many in counts.values()), counts
    assert len(service.existing(ctids)) == count and len(service.names([*ctids, ORG])) == count + 1
    assert len(service.nodes_by_id(ids)) == count + 1
