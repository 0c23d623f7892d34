"""Helpers for the local registry server tests: documents, a client, counting what is stored."""

from __future__ import annotations

from typing import Any

import requests

from ctdl_tools.ctid import REGISTRY_BASE, SANDBOX_BASE, mint_ctid

CTDL = "https://credreg.net/ctdl/schema/context/json"
CTDLASN = "https://credreg.net/ctdlasn/schema/context/json"
KEY = "test-key-0123456789abcdef"
ORG = "ce-0a000000-0000-4000-8000-000000000001"
ORG2 = "ce-0b000000-0000-4000-8000-000000000002"
ORG_NAME = "Northwind Technical College"
ORG2_NAME = "Southgate Training Institute"
AUTH = {"Authorization": f"Token {KEY}"}
ASSISTANT_AUTH = {"Authorization": f"ApiToken {KEY}"}


def credential(ctid: str | None = None, *, name: str = "Certificate in Welding Technology",
               base: str = REGISTRY_BASE, type_: str = "ceterms:Certificate", **extra: Any) -> dict:
    ctid = ctid or mint_ctid()
    main = {"@id": f"{base}/resources/{ctid}", "@type": type_, "ceterms:ctid": ctid,
            "ceterms:name": {"en-US": name},
            "ceterms:description": {"en-US": "Hands-on welding training leading to an industry certificate."},
            "ceterms:ownedBy": [f"{REGISTRY_BASE}/resources/{ORG}"], **extra}
    return {"@context": CTDL, "@id": f"{base}/graph/{ctid}", "@graph": [main]}


def framework(ctid: str | None = None, competencies: int = 3, base: str = SANDBOX_BASE) -> tuple[dict, list[str]]:
    """A framework with a two-level tree: competency 0 has the others as children."""
    ctid = ctid or mint_ctid()
    ctids = [mint_ctid() for _ in range(competencies)]
    uri = f"{base}/resources/{{}}".format
    top = {"@id": uri(ctid), "@type": "ceasn:CompetencyFramework", "ceterms:ctid": ctid,
           "ceasn:name": {"en-US": "Welding Skills Framework"},
           "ceasn:description": {"en-US": "The skills a certified welder demonstrates on the job."},
           "ceasn:publisher": [uri(ORG)], "ceasn:hasTopChild": [uri(ctids[0])]}
    nodes = [top]
    for i, c in enumerate(ctids):
        node = {"@id": uri(c), "@type": "ceasn:Competency", "ceterms:ctid": c,
                "ceasn:competencyText": {"en-US": "Read blueprints" if i == 0 else f"Weld joint type {i}"},
                "ceasn:isPartOf": uri(ctid)}
        if i == 0:
            node["ceasn:isTopChildOf"] = uri(ctid)
            node["ceasn:hasChild"] = [uri(x) for x in ctids[1:]]
        else:
            node["ceasn:isChildOf"] = uri(ctids[0])
        nodes.append(node)
    return {"@context": CTDLASN, "@id": f"{base}/graph/{ctid}", "@graph": nodes}, ctids


def main_ctid(document: dict) -> str:
    return str(document["@graph"][0]["ceterms:ctid"])


class Client:
    """requests with the server's URL; keep-alive session."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def publish(self, document: Any, org: str = ORG, *, headers: dict | None = None,
                **params: Any) -> requests.Response:
        return self.post(f"/resources/organizations/{org}/documents", json=document,
                         headers=AUTH if headers is None else headers, params=params)

    def counts(self) -> tuple[int, int]:
        """(envelopes, organizations): to check that a refused request stored nothing."""
        total = int(self.get("/envelopes", params={"per_page": 1}).headers["X-Total"])
        return total, len(self.get("/metadata/organizations").json())


def table_counts(db_path: Any) -> dict[str, int]:
    """Rows in every table of the registry database (read-only connection)."""
    import sqlite3

    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                           "AND name NOT LIKE 'sqlite_%'")]
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        db.close()
