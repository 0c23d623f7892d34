"""Helpers for the publish tests: small valid graph documents, a fake registry with fault injection,
and running ASGI apps on 127.0.0.1 in a background thread.

The fake speaks just enough of the direct Registry API and the Registry Assistant API (registry.md §4)
to count, per CTID, how many envelopes were created and how many requests arrived — which is what the
"nothing twice" assertions need — and can fail a share of requests with 429, 500 or a response slower
than the client's timeout *after* storing the document (the "first attempt actually landed" case).
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner, Result
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ctdl_tools.registry import config, publish

ORG = "ce-00000000-0000-4000-8000-0000000000aa"
OTHER_ORG = "ce-00000000-0000-4000-8000-0000000000bb"
REGISTRY = "https://credentialengineregistry.org"
ASN_CONTEXT = "https://credreg.net/ctdlasn/schema/context/json"
NAMESPACE = uuid.UUID("0f0e0d0c-0b0a-4908-8706-050403020100")


@pytest.fixture(autouse=True)
def isolated_from_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Autouse where imported. Config is found by walking up from the current directory: keep the
    repository's out of it, and the user's API key."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CTDL_API_KEY", raising=False)


@pytest.fixture
def silent_registry() -> Iterator[str]:
    """A loopback port that accepts every connection and never sends a byte (a registry that hangs)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        listener.close()


def run_cli(command: Any, *args: str | Path, key: str | None, env_name: str = "CTDL_API_KEY") -> Result:
    """A registry command run in-process with ``key`` as the API key in ``env_name`` (None: no key)."""
    env = {env_name: key} if key is not None else {}
    return CliRunner().invoke(command, [str(a) for a in args], env=env, catch_exceptions=False)


def options_for(inputs: Path, url: str, *, key: str, **settings: Any) -> publish.Options:
    """publish.Options for ``inputs`` to the registry at ``url``, as the command would make them."""
    chosen = config.Settings(registry=url, **settings)
    journal = config.journal_path(chosen, inputs)
    return publish.Options(chosen, config.resolve_target(chosen, journal), journal, journal, key)


def ctid_for(n: int) -> str:
    return f"ce-{uuid.uuid5(NAMESPACE, str(n))}"


def make_document(n: int, *, org: str = ORG, version: int = 1) -> dict[str, Any]:
    """A small certificate as ``ctdl convert`` writes it: main node first, then a blank node."""
    ctid = ctid_for(n)
    bnode = f"_:{uuid.uuid5(NAMESPACE, f'{n}-cost')}"
    main = {
        "@id": f"{REGISTRY}/resources/{ctid}", "@type": "ceterms:Certificate", "ceterms:ctid": ctid,
        "ceterms:name": {"en-US": f"Certificate {n} v{version}"},
        "ceterms:description": {"en-US": f"A test certificate number {n}, version {version}, for publishing."},
        "ceterms:ownedBy": [f"{REGISTRY}/resources/{org}"],
        "ceterms:offeredBy": [f"{REGISTRY}/resources/{org}"],
        "ceterms:subjectWebpage": f"https://example.edu/certificates/{n}",
        "ceterms:inLanguage": ["en-US"],
        "ceterms:credentialStatusType": {
            "@type": "ceterms:CredentialAlignmentObject", "ceterms:framework": "https://credreg.net/ctdl/terms/CredentialStatus",
            "ceterms:targetNode": "credentialStat:Active", "ceterms:frameworkName": {"en-US": "Credential Status"},
            "ceterms:targetNodeName": {"en-US": "Active"}},
        "ceterms:estimatedCost": [bnode],
    }
    cost = {"@id": bnode, "@type": "ceterms:CostProfile", "ceterms:price": 100 + n,
            "ceterms:currency": "USD", "ceterms:description": {"en-US": "Tuition"}}
    return {"@context": "https://credreg.net/ctdl/schema/context/json", "@id": f"{REGISTRY}/graph/{ctid}",
            "@graph": [main, cost]}


def write_documents(folder: Path, count: int, start: int = 0, **kwargs: Any) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(start, start + count):
        path = folder / f"{ctid_for(n)}.json"
        path.write_text(json.dumps(make_document(n, **kwargs), indent=2), encoding="utf-8")
        paths.append(path)
    return paths


# --- running an ASGI app on loopback -----------------------------------------------------------------
@dataclass
class Running:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@contextmanager
def serve(app: Any) -> Iterator[Running]:
    """``app`` on a free 127.0.0.1 port in a daemon thread, for the length of the block."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                                           timeout_keep_alive=30))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    running = Running(f"http://127.0.0.1:{port}/", server, thread)
    try:
        yield running
    finally:
        running.stop()
        sock.close()


# --- the fake registry -------------------------------------------------------------------------------
@dataclass
class Faults:
    """Fail ``rate`` of publish requests: 429 (with Retry-After), 500, or a slow answer after storing."""

    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "500", "slow")
    slow_seconds: float = 1.0
    script: list[str] = field(default_factory=list)  # faults for the first requests, in order ("" = none)
    retry_after: str = "0"  # the Retry-After header of a 429
    seed: int = 7
    injected: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.lock = threading.Lock()

    def pick(self) -> str | None:
        with self.lock:
            return self._pick()

    def _pick(self) -> str | None:
        if self.script:
            kind = self.script.pop(0)
            self.injected[kind] += 1
            return kind or None
        if self.rate and self.random.random() < self.rate:
            kind = self.random.choice(self.kinds)
            self.injected[kind] += 1
            return kind
        return None


class FakeRegistry:
    """Documents by ``@id`` (so a repeat updates, as the real registry does), with request counters."""

    def __init__(self, key: str, orgs: tuple[str, ...] = (ORG,), faults: Faults | None = None) -> None:
        self.key, self.orgs, self.faults = key, set(orgs), faults or Faults()
        self.documents: dict[str, dict] = {}  # @id -> document
        self.creates: Counter = Counter()  # ctid -> envelopes created
        self.requests: Counter = Counter()  # ctid -> publish requests that reached the store
        self.lock = threading.Lock()
        self.routes = Starlette(routes=[
            Route("/resources/organizations/{org}/documents", self.publish, methods=["POST"]),
            Route("/graph/{ctid}", self.graph, methods=["GET"]),
            Route("/resources/documents/{ctid}", self.delete, methods=["DELETE"]),
            Route("/resources/check_existence", self.exists, methods=["POST"]),
            Route("/assistant/{entity}/publishGraph", self.assistant_publish, methods=["POST"]),
            Route("/assistant/{entity}/delete", self.assistant_delete, methods=["DELETE"]),
        ])
        self.app = Flaky(self.routes, self.faults)

    def authorized(self, request: Request, scheme: str | None = None) -> bool:
        parts = request.headers.get("authorization", "").split()
        return bool(parts) and parts[-1] == self.key and (scheme is None or parts[0] == scheme)

    def by_ctid(self, ctid: str) -> dict | None:
        for document in self.documents.values():
            if document["@graph"][0]["ceterms:ctid"].lower() == ctid.lower():
                return document
        return None

    def store(self, document: dict) -> bool:
        ctid = document["@graph"][0]["ceterms:ctid"].lower()
        with self.lock:
            old = self.documents.get(document["@id"])
            if old is None:
                self.creates[ctid] += 1
            self.requests[ctid] += 1
            self.documents[document["@id"]] = document
            return old != document

    async def publish(self, request: Request) -> Response:
        if not self.authorized(request):
            return JSONResponse({"errors": ["Invalid token"]}, 401)
        if request.path_params["org"] not in self.orgs:
            return JSONResponse({"errors": ["Organization not found"]}, 404)
        document = json.loads(await request.body())
        if "@id" not in document or "@graph" not in document:
            return JSONResponse({"errors": [{"@id": "is required"}]}, 422)
        changed = self.store(document)
        ctid = document["@graph"][0]["ceterms:ctid"].lower()
        return JSONResponse({"envelope_id": str(uuid.uuid5(NAMESPACE, ctid)), "envelope_ceterms_ctid": ctid,
                             "changed": changed}, 201)

    async def graph(self, request: Request) -> Response:
        document = self.by_ctid(request.path_params["ctid"])
        return JSONResponse(document) if document else JSONResponse({"errors": ["Resource not found"]}, 404)

    async def delete(self, request: Request) -> Response:
        if not self.authorized(request):
            return JSONResponse({"errors": ["Invalid token"]}, 401)
        document = self.by_ctid(request.path_params["ctid"])
        if document is None:
            return JSONResponse({"errors": ["Envelope not found"]}, 404)
        del self.documents[document["@id"]]
        return Response(status_code=204)

    async def exists(self, request: Request) -> Response:
        ctids = json.loads(await request.body()).get("ctids", [])
        return JSONResponse([c for c in ctids if self.by_ctid(c)])

    async def assistant_publish(self, request: Request) -> Response:
        if not self.authorized(request, "ApiToken"):
            return JSONResponse({"Message": "Authorization has been denied"}, 401)
        body = json.loads(await request.body())
        document, org = body["GraphInput"], body["PublishForOrganizationIdentifier"]
        ctid = document["@graph"][0]["ceterms:ctid"].lower()
        if org not in self.orgs:
            return JSONResponse({"Successful": False, "Messages": [f"Organization {org} not found"], "CTID": ctid})
        changed = self.store(document)
        return JSONResponse({"Successful": True, "WasChanged": changed, "Messages": [], "CTID": ctid,
                             "EnvelopeUrl": f"http://x/envelopes/{uuid.uuid5(NAMESPACE, ctid)}",
                             "GraphUrl": f"http://x/graph/{ctid}", "Payload": json.dumps(document)})

    async def assistant_delete(self, request: Request) -> Response:
        if not self.authorized(request, "ApiToken"):
            return JSONResponse({"Message": "Authorization has been denied"}, 401)
        body = json.loads(await request.body())
        document = self.by_ctid(body["CTID"])
        if document is None:
            return JSONResponse({"Successful": False, "Messages": ["Record not found"]})
        del self.documents[document["@id"]]
        return JSONResponse({"Successful": True, "Messages": []})


class Flaky:
    """ASGI middleware failing a share of publish requests (any registry app behind it).

    429 and 500 answer before the app sees the request; "slow" lets the app store the document and
    holds the answer back for ``slow_seconds`` — past the client's timeout, so it retries something
    that already landed. ``delay`` slows every publish (to kill a publisher mid-run)."""

    def __init__(self, app: Any, faults: Faults, delay: float = 0.0) -> None:
        self.app, self.faults, self.delay = app, faults, delay
        self.publishes = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "POST" or not path.endswith(("/documents", "/publishGraph")):
            await self.app(scope, receive, send)
            return
        self.publishes += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        fault = self.faults.pick()
        if fault in ("429", "500"):
            status, headers = (429, [(b"retry-after", self.faults.retry_after.encode())]) if fault == "429" \
                else (500, [])
            body = json.dumps({"errors": ["slow down" if fault == "429" else "boom"]}).encode()
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/json"), *headers]})
            await send({"type": "http.response.body", "body": body})
            return
        if fault != "slow":
            await self.app(scope, receive, send)
            return
        held: list[dict] = []

        async def hold(message: dict) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        await asyncio.sleep(self.faults.slow_seconds)  # landed; the client has given up by now
        for message in held:
            await send(message)
