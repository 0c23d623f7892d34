"""The ASGI application: routes (with the optional community prefix), error shapes, lifespan."""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from ctdl_tools.registry.server import api, assistant, pages
from ctdl_tools.registry.server.auth import KeyRing
from ctdl_tools.registry.server.gate import Gate, default_gate
from ctdl_tools.registry.server.graphdoc import CTID_ANY_CASE, Rebaser
from ctdl_tools.registry.server.service import NotFound, RegistryService, Unprocessable
from ctdl_tools.registry.server.store import Store
from ctdl_tools.registry.server.web import (
    LRU,
    MAX_BODY_BYTES,
    ApiError,
    Context,
    SettledAcceptEncoding,
    errors_response,
    mib,
    raw_json,
    wants_html,
)

log = logging.getLogger("ctdl_tools.registry.server")
GZIP_MINIMUM_BYTES = 1024
GZIP_LEVEL = 6  # zlib's default: 9 takes twice as long on a 16 MB graph for 2% less
# The registry accepts every path with its community in front, dash or underscore form (app/api/v1/base.rb).
COMMUNITY_PREFIXES = ("/ce-registry", "/ce_registry")


def _openapi_bytes(base_url: str, max_body_bytes: int = MAX_BODY_BYTES) -> bytes:
    text = resources.files("ctdl_tools.registry.server").joinpath("openapi.json").read_text("utf-8")
    # The body limit it states is this server's (--max-body-mb).
    text = re.sub(r"(limited to |body over )\d+(?:\.\d+)? MiB", lambda m: f"{m.group(1)}{mib(max_body_bytes)} MiB",
                  text)
    return text.replace("http://127.0.0.1:8080", base_url).encode("utf-8")


def _routes(openapi: bytes) -> list[BaseRoute]:
    async def openapi_json(request: Request) -> Response:
        return raw_json(openapi)

    return [
        # Most-requested first: Starlette tries routes in order.
        Route("/resources/organizations/{org_ctid}/documents", api.publish, methods=["POST"]),
        Route("/resources/documents/{ctid:path}", api.delete_document, methods=["DELETE"]),
        Route("/resources/search", api.resource_search, methods=["POST"]),
        Route("/resources/check_existence", api.check_existence, methods=["POST"]),
        Route("/resources/{ident:path}", api.get_resource, methods=["GET"]),
        Route("/graph/search", api.graph_search, methods=["POST"]),
        Route("/graph/{ident:path}", api.get_graph, methods=["GET"]),
        Route("/envelopes", api.list_envelopes, methods=["GET"]),
        Route("/envelopes/{ident}/revisions/{revision}", api.get_revision, methods=["GET"]),
        Route("/envelopes/{ident:path}", api.get_envelope, methods=["GET"]),
        Route("/ctid", api.new_ctid, methods=["GET"]),
        Route("/metadata/organizations", api.list_organizations, methods=["GET"]),
        Route("/metadata/organizations", api.create_organization, methods=["POST"]),
        Route("/metadata/organizations/{ctid}/envelopes", api.organization_envelopes, methods=["GET"]),
        Route("/metadata/organizations/{ctid}", api.get_organization, methods=["GET"]),
        Route("/metadata/organizations/{ctid}", api.delete_organization, methods=["DELETE"]),
        Route("/assistant/{entity}/delete", assistant.delete, methods=["DELETE"]),
        Route("/assistant/{entity}/{action}", assistant.publish_graph, methods=["POST"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/", pages.index, methods=["GET"]),
    ]


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    path = request.url.path
    for prefix in COMMUNITY_PREFIXES:
        path = path.removeprefix(prefix)
    if path.startswith("/assistant/"):  # the Assistant's clients read its response shape, even on errors
        return assistant.refusal(exc)
    if request.method == "GET" and wants_html(request):  # a browser asked for a page: answer with one
        if exc.status == 404:  # an envelope, a revision, an organization that is not here: not a bad request
            return pages.not_found(request, request.path_params.get("ident", ""), tuple(exc.errors))
        return pages.bad_request(exc.status, tuple(exc.errors))
    return errors_response(exc.status, *exc.errors)


async def _not_found(request: Request, exc: Exception) -> Response:
    return errors_response(404, str(exc))


async def _unprocessable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Unprocessable)
    return errors_response(422, *exc.errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404 and request.method == "GET" and wants_html(request):  # no such page: say so, as a page
        return pages.not_found(request, "", (f"There is no page at {request.url.path}",))
    headers = dict(exc.headers or {})
    return Response(errors_response(exc.status_code, exc.detail).body, exc.status_code, headers,
                    media_type="application/json")


async def _database_busy(request: Request, exc: Exception) -> Response:
    # "database is locked" after the busy timeout: the registry is overloaded, not broken; say so.
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        response = errors_response(503, "The registry is busy; retry shortly")
        response.headers["Retry-After"] = "5"
        return response
    raise exc  # any other database error is a bug: on to the 500 handler, which logs the traceback


async def _server_error(request: Request, exc: Exception) -> Response:
    # The traceback goes to the log (uvicorn prints it); the client gets the registry's 500 shape.
    return errors_response(500, "Internal server error")


OrgSpec = str | tuple[str, str | None]


def parse_org(spec: OrgSpec) -> tuple[str, str | None]:
    """``"ce-…=Name"``, ``"ce-…"`` or ``(ctid, name)`` → (lower-case CTID, name or None); ValueError if bad."""
    ctid, name = (spec.partition("=")[0], spec.partition("=")[2]) if isinstance(spec, str) else spec
    ctid = ctid.strip()
    if not CTID_ANY_CASE.match(ctid):
        raise ValueError(f"{ctid!r} is not a CTID (expected ce- followed by a UUID)")
    return ctid.lower(), (name or "").strip() or None


def create_app(db_path: Path | str, base_url: str, api_keys: Iterable[str] = (),
               orgs: Iterable[OrgSpec] = (), gate: Gate | None = None,
               max_body_bytes: int = MAX_BODY_BYTES) -> Starlette:
    """The registry as an ASGI app.

    ``orgs``: publishing organizations registered at start, as ``"CTID[=NAME]"`` or (ctid, name).
    ``gate``: what the Assistant refuses (default :func:`ctdl_tools.registry.server.gate.default_gate`).
    ``max_body_bytes``: the largest request body taken (413 beyond it).
    """
    if max_body_bytes < 1:
        raise ValueError("the request body limit must be positive")
    base_url = base_url.rstrip("/")
    pairs = [parse_org(o) for o in orgs]  # before touching the database: a bad spec changes nothing
    store = Store(db_path)
    service = RegistryService(store, base_url)
    for ctid, name in pairs:
        service.add_organization(ctid, name)
    ctx = Context(store, service, KeyRing(store, tuple(api_keys)), gate or default_gate(), base_url,
                  Rebaser(base_url), LRU(), max_body_bytes)
    openapi = _openapi_bytes(base_url, max_body_bytes)
    all_routes: list[BaseRoute] = [*_routes(openapi), *(Mount(p, routes=_routes(openapi)) for p in COMMUNITY_PREFIXES)]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    handlers: dict[type[Exception] | int, Callable] = {
        ApiError: _api_error, NotFound: _not_found, Unprocessable: _unprocessable, HTTPException: _http_error,
        sqlite3.OperationalError: _database_busy, Exception: _server_error}
    # gzip for a client that accepts it (Accept-Encoding's q-values read: SettledAcceptEncoding), bodies of 1 KiB and
    # more: a framework's page of 3 MB is 400 KB. Large bodies are compressed in a worker thread (Starlette's
    # GZipResponder), not on the event loop.
    middleware = [Middleware(SettledAcceptEncoding),
                  Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)]
    app = Starlette(routes=all_routes, exception_handlers=handlers, lifespan=lifespan, middleware=middleware)
    app.state.ctx = ctx
    return app
