"""The direct Registry API (CredentialEngine/CredentialRegistry, registry.md §4(a), §4(c), §5.3)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ctdl_tools.ctid import mint_ctid
from ctdl_tools.registry.server import graphdoc, pages
from ctdl_tools.registry.server.entity import display_time, envelope_entity
from ctdl_tools.registry.server.service import ORG_NOT_FOUND, EnvelopeState, NodeHit, Organization
from ctdl_tools.registry.server.web import (
    ApiError,
    Context,
    bool_param,
    ctx_of,
    dumps,
    errors_response,
    in_document_worker,
    int_param,
    json_response,
    pagination_headers,
    paging,
    raw_json,
    read_json,
    require_key,
    wants_html,
)
from ctdl_tools.vocab import vocabulary

MAX_CTIDS = 1000  # per search request: bounded work for one call
PUBLISH_TYPES = ("primary", "secondary")


# --- publish / delete ---------------------------------------------------------------------------------------
async def publish(request: Request) -> Response:
    ctx = ctx_of(request)
    require_key(request)
    org_ctid = request.path_params["org_ctid"]
    update_if_exists = bool_param(request, "update_if_exists")
    publish_type = request.query_params.get("resource_publish_type") or "primary"
    if publish_type not in PUBLISH_TYPES:
        raise ApiError(400, "resource_publish_type does not have a valid value")
    published_by = request.query_params.get("published_by") or None
    # The organization first (404), then the body (422), as the registry orders its checks.
    for ctid in (org_ctid, published_by):
        if ctid is not None and ctx.service.organization(ctid) is None:
            raise ApiError(404, ORG_NOT_FOUND)
    document = await read_json(request)
    # A whole document, written out and answered: within the limit on such work (web.DOCUMENT_WORKERS).
    return await in_document_worker(_publish_sync, ctx, document, org_ctid, published_by, publish_type,
                                    200 if update_if_exists else 201)


def _publish_sync(ctx: Context, document: Any, org_ctid: str, published_by: str | None, publish_type: str,
                  status: int) -> Response:
    """Check, store and answer (the envelope holds the whole document: 20 MB to write out), in a worker thread."""
    try:
        graphdoc.check_publish_schema(document)
    except graphdoc.SchemaError as exc:
        raise ApiError(422, *exc.errors) from None
    result = ctx.service.publish(document, org_ctid, published_by=published_by, publish_type=publish_type)
    return json_response(envelope_entity(result.state, changed=result.changed), status)


async def delete_document(request: Request) -> Response:
    ctx = ctx_of(request)
    require_key(request)
    state = await run_in_threadpool(ctx.service.delete, request.path_params["ctid"])
    if state is None:
        raise ApiError(404, "Envelope not found")
    return Response(status_code=204)


# --- resources and graphs -----------------------------------------------------------------------------------
def _graph(ctx: Context, hit: NodeHit) -> dict:
    text = ctx.service.resource_text(hit)
    if text is None:  # deleted or changed between the two queries
        raise ApiError(404, "Resource not found")
    return json.loads(text)  # type: ignore[no-any-return]


def _resource_key(hit: NodeHit, depth: int) -> tuple:
    return (hit.digest, hit.position, min(depth, 1), "resource")


def _graph_key(hit: NodeHit) -> tuple:
    return (hit.digest, "graph")


def resource_bytes(ctx: Context, hit: NodeHit, depth: int = 0) -> bytes:
    """``/resources`` JSON of one node: its properties plus the graph's ``@context``, registry URIs rebased.
    Blocking (a graph may be 20 MB): call it in a worker thread, or through :func:`cached`."""

    def render() -> bytes:
        row = ctx.service.node_row(hit) if depth == 0 else None
        if row is not None:  # the node's own row, not its whole graph (a competency of a 14k framework)
            node, context, included = json.loads(row.node), row.context, None
        else:
            document = _graph(ctx, hit)
            node, context = document["@graph"][hit.position], document.get("@context")
            included = [n for n in document["@graph"] if str(n.get("@id", "")).startswith("_:")] if depth else None
        body: dict[str, Any] = {"@context": context}
        body |= {k: v for k, v in node.items() if k != "@context"}
        if included is not None:
            body["@included"] = included
        return dumps(ctx.rebase.document(body))

    return ctx.cache.get(_resource_key(hit, depth), render)


def graph_bytes(ctx: Context, hit: NodeHit) -> bytes:
    """The whole graph document, rebased. Blocking: call it in a worker thread, or through :func:`cached`."""
    return ctx.cache.get(_graph_key(hit), lambda: dumps(ctx.rebase.document(_graph(ctx, hit))))


async def cached(ctx: Context, key: tuple, make: Callable[[], bytes], *, whole: bool = False) -> bytes:
    """A rendered body from the cache, on the event loop; else made in a worker thread (``whole``: one that holds a
    whole graph document), so that parsing and writing out a large graph never holds up the other requests."""
    body = ctx.cache.peek(key)
    if body is not None:
        return body
    return await (in_document_worker(make) if whole else run_in_threadpool(make))


async def get_resource(request: Request) -> Response:
    ctx = ctx_of(request)
    ident = request.path_params["ident"]
    depth = int_param(request, "depth", 0, 0)
    fmt = request.query_params.get("format")
    if fmt not in (None, "", "json", "jsonld", "html"):
        raise ApiError(400, "format does not have a valid value")
    # ?format= overrides Accept, so a page can link to its own JSON-LD.
    html = fmt == "html" or (not fmt and wants_html(request))
    hit = ctx.service.find_node(ident)
    if hit is None:
        if html:
            return pages.not_found(request, ident)
        raise ApiError(404, "Resource not found")
    if html:  # parsing, database reads and rendering: in a worker thread
        if hit.position == 0:  # the main resource's page may hold its whole graph (a framework's tree)
            return await in_document_worker(pages.resource_page, request, hit)
        return await run_in_threadpool(pages.resource_page, request, hit)  # its own row and those it shows
    # depth > 0 adds the graph's blank nodes: read from the whole document, within the limit on such work.
    body = await cached(ctx, _resource_key(hit, depth), lambda: resource_bytes(ctx, hit, depth), whole=depth > 0)
    return raw_json(body, headers={"Vary": "Accept"})


async def get_graph(request: Request) -> Response:
    ctx = ctx_of(request)
    hit = ctx.service.find_node(request.path_params["ident"])
    if hit is None:
        raise ApiError(404, "Resource not found")
    return raw_json(await cached(ctx, _graph_key(hit), lambda: graph_bytes(ctx, hit), whole=True))


async def _ctid_list(request: Request, key: str = "ctids", required: bool = True) -> tuple[list[str], dict]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object")
    values = body.get(key)
    if values is None and not required:
        return [], body
    if values is None:
        raise ApiError(400, f"{key} is missing")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ApiError(400, f"{key} is invalid")
    if len(values) > MAX_CTIDS:
        raise ApiError(400, f"{key} must have at most {MAX_CTIDS} items")
    return values, body


def _hits(ctx: Context, idents: list[str]) -> list[NodeHit]:
    hits = [ctx.service.find_node(i) for i in dict.fromkeys(idents)]
    return [h for h in hits if h is not None]


async def graph_search(request: Request) -> Response:
    ctx = ctx_of(request)
    ctids, _ = await _ctid_list(request)

    def found() -> bytes:
        envelopes: dict[int, NodeHit] = {}
        for hit in _hits(ctx, ctids):
            envelopes.setdefault(hit.envelope_pk, hit)  # a competency's CTID finds its framework's graph, once
        return b"[" + b",".join(graph_bytes(ctx, h) for h in envelopes.values()) + b"]"

    return raw_json(await in_document_worker(found))


async def resource_search(request: Request) -> Response:
    ctx = ctx_of(request)
    ctids, body = await _ctid_list(request, required=False)
    bnodes = body.get("bnodes") or []
    if not isinstance(bnodes, list) or not all(isinstance(b, str) for b in bnodes) or len(bnodes) > MAX_CTIDS:
        raise ApiError(400, "bnodes is invalid")
    if "ctids" not in body and "bnodes" not in body:
        raise ApiError(400, "ctids, bnodes are missing, at least one parameter must be provided")

    def found() -> bytes:
        hits = _hits(ctx, [c for c in ctids if graphdoc.ctid_of(c)]) + _hits(ctx, [b for b in bnodes
                                                                                  if b.startswith("_:")])
        return b"[" + b",".join(resource_bytes(ctx, h) for h in hits) + b"]"

    return raw_json(await in_document_worker(found))


async def check_existence(request: Request) -> Response:
    ctx = ctx_of(request)
    ctids, body = await _ctid_list(request)
    type_ = body.get("@type")
    if type_ is not None and not isinstance(type_, str):
        raise ApiError(400, "@type is invalid")
    types = vocabulary().subclasses(type_) if type_ else None
    return json_response(ctx.service.existing(ctids, types))


# --- envelopes ----------------------------------------------------------------------------------------------
async def list_envelopes(request: Request) -> Response:
    page, per_page = paging(request)
    provisional = request.query_params.get("provisional") or "include"
    if provisional not in ("include", "exclude", "only"):
        raise ApiError(400, "provisional does not have a valid value")
    return await in_document_worker(_envelope_page, request, page, per_page, provisional, None,
                                    bool_param(request, "metadata_only"))


def _envelope_page(request: Request, page: int, per_page: int, provisional: str, owner: str | None,
                   metadata_only: bool = False) -> Response:
    """One page of envelopes (each holding its whole document) with the registry's pagination headers."""
    ctx = ctx_of(request)
    total, states = ctx.service.envelopes(page, per_page, provisional, owner)
    body = [envelope_entity(s, metadata_only=metadata_only) for s in states]
    return json_response(body, headers=pagination_headers(request, ctx.base_url, total, page, per_page))


def _envelope_response(state: EnvelopeState | None, missing: str) -> Response:
    if state is None:
        raise ApiError(404, missing)
    return json_response(envelope_entity(state))


async def get_envelope(request: Request) -> Response:
    service = ctx_of(request).service
    ident = request.path_params["ident"]
    return await in_document_worker(lambda: _envelope_response(service.envelope(ident), "Envelope not found"))


async def get_revision(request: Request) -> Response:
    ctx = ctx_of(request)
    try:
        number = int(request.path_params["revision"])
    except ValueError:
        raise ApiError(404, "Revision not found") from None
    if not 0 < number < 2**63:  # SQLite integers are 64-bit
        raise ApiError(404, "Revision not found")
    ident = request.path_params["ident"]
    return await in_document_worker(lambda: _envelope_response(ctx.service.envelope_at(ident, number),
                                                               "Revision not found"))


async def new_ctid(request: Request) -> Response:
    return json_response({"ctid": mint_ctid()})


# --- organizations (metadata) -------------------------------------------------------------------------------
def organization_json(org: Organization) -> dict[str, Any]:
    return {"id": org.uuid, "ctid": org.ctid, "name": org.name, "created_at": display_time(org.created_at)}


async def list_organizations(request: Request) -> Response:
    return json_response([organization_json(o) for o in ctx_of(request).service.organizations()])


async def get_organization(request: Request) -> Response:
    org = ctx_of(request).service.organization(request.path_params["ctid"])
    if org is None:
        raise ApiError(404, ORG_NOT_FOUND)
    return json_response(organization_json(org))


async def create_organization(request: Request) -> Response:
    ctx = ctx_of(request)
    require_key(request)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object")
    name, ctid = body.get("name"), body.get("ctid")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "name is missing")
    if ctid is not None and (not isinstance(ctid, str) or not graphdoc.CTID_ANY_CASE.match(ctid.strip())):
        raise ApiError(400, "ctid is invalid")
    org = await run_in_threadpool(ctx.service.add_organization, ctid or mint_ctid(), name.strip(), must_be_new=True)
    return json_response(organization_json(org), 201)


async def delete_organization(request: Request) -> Response:
    ctx = ctx_of(request)
    require_key(request)
    await run_in_threadpool(ctx.service.delete_organization, request.path_params["ctid"])
    return Response(status_code=204)


async def organization_envelopes(request: Request) -> Response:
    ctx = ctx_of(request)
    ctid = request.path_params["ctid"]
    if ctx.service.organization(ctid) is None:
        raise ApiError(404, ORG_NOT_FOUND)
    page, per_page = paging(request)
    return await in_document_worker(_envelope_page, request, page, per_page, "include", ctid)


def error_response(exc: ApiError) -> Response:
    return errors_response(exc.status, *exc.errors)
