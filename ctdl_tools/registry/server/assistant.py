"""The Registry Assistant API for graphs (registry.md §4(b)): ``publishGraph`` and ``delete``.

Answers have the Assistant's ``RegistryAssistantResponse`` shape. As at Credential Engine, a refusal on
content is HTTP 200 with ``"Successful": false`` and ``Messages`` naming the rule; transport problems
(bad key 401, unreadable body 400, body over the limit 413, unknown entity type 404) use HTTP codes with
the same body shape, so clients that check both the status and ``Successful`` see every failure.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ctdl_tools.jsonio import JsonProblem, json_path, loads, too_deep, too_deep_message
from ctdl_tools.registry.server import graphdoc
from ctdl_tools.registry.server.service import EnvelopeState, Unprocessable
from ctdl_tools.registry.server.web import (
    ApiError,
    Context,
    ctx_of,
    in_document_worker,
    json_response,
    read_json,
    require_key,
)
from ctdl_tools.vocab import vocabulary

# Assistant entity type (URL segment) → the CTDL classes its graphs may have as main resource
# (each with its subclasses). From Registry_Assistant SampleServices.cs's EntityType list.
ENTITY_TYPES: dict[str, tuple[str, ...]] = {
    "credential": ("ceterms:Credential",),
    "organization": ("ceterms:Organization",),
    "learningopportunity": ("ceterms:LearningOpportunityProfile",),
    "learningprogram": ("ceterms:LearningProgram",),
    "course": ("ceterms:Course",),
    "assessment": ("ceterms:AssessmentProfile",),
    "competencyframework": ("ceasn:CompetencyFramework",),
    "conceptscheme": ("skos:ConceptScheme",),
    "progressionmodel": ("asn:ProgressionModel",),
    "pathway": ("ceterms:Pathway",),
    "pathwayset": ("ceterms:PathwaySet",),
    "collection": ("ceterms:Collection",),
    "transfervalue": ("ceterms:TransferValueProfile",),
    "transferintermediary": ("ceterms:TransferIntermediary",),
    "costmanifest": ("ceterms:CostManifest",),
    "conditionmanifest": ("ceterms:ConditionManifest",),
    "credentialingaction": ("ceterms:CredentialingAction",),
    "datasetprofile": ("qdata:DataSetProfile",),
    "occupation": ("ceterms:Occupation",),
    "job": ("ceterms:Job",),
    "workrole": ("ceterms:WorkRole",),
    "task": ("ceterms:Task",),
    "supportservice": ("ceterms:SupportService",),
    "scheduledoffering": ("ceterms:ScheduledOffering",),
    "rubric": ("ceasn:Rubric", "asn:Rubric"),
    "credentialtype": ("ceterms:CredentialType",),
    "qualificationsframework": ("ceterms:QualificationsFramework",),
    "alignmentmap": ("ceterms:AlignmentMap",),
    "industry": ("ceterms:Industry",),
    "verificationserviceprofile": ("ceterms:VerificationServiceProfile",),
    "metric": ("qdata:Metric",),
}
GRAPH_KEYS = ("GraphInput", "CompetencyFrameworkGraph")
# Properties naming a resource's owner, in the order they are trusted.
OWNER_PROPERTIES = ("ceterms:ownedBy", "ceterms:offeredBy", "ceasn:publisher", "ceasn:creator")


def answer(successful: bool, messages: list[str], *, status: int = 200, **fields: Any) -> Response:
    body = {"Successful": successful, "WasChanged": fields.get("WasChanged", False), "Messages": messages,
            "CTID": fields.get("CTID"), "ResponseDate": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "EnvelopeUrl": fields.get("EnvelopeUrl"), "GraphUrl": fields.get("GraphUrl"),
            "CredentialFinderUrl": fields.get("CredentialFinderUrl"),
            "RegistryEnvelopeIdentifier": fields.get("RegistryEnvelopeIdentifier"), "Payload": fields.get("Payload")}
    return json_response(body, status)


def refusal(exc: ApiError) -> Response:
    return answer(False, [str(e) for e in exc.errors], status=exc.status)


def _entity_type(request: Request) -> str:
    entity = request.path_params["entity"].lower()
    if entity not in ENTITY_TYPES:
        raise ApiError(404, f"Unknown entity type {request.path_params['entity']!r}; "
                            f"one of: {', '.join(sorted(ENTITY_TYPES))}")
    return entity


def _graph_of(body: Any) -> tuple[str | None, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object")
    org = body.get("PublishForOrganizationIdentifier")
    graph = next((body[k] for k in GRAPH_KEYS if k in body), None)
    if isinstance(graph, str):  # some clients send the graph as a JSON string
        try:
            graph = loads(graph)
        except JsonProblem as problem:
            raise ApiError(400, f"GraphInput is a string but not JSON: {problem.located}") from None
        deep = too_deep(graph)
        if deep is not None:
            raise ApiError(400, f"GraphInput at {json_path(deep)}: {too_deep_message()}")
    return (org if isinstance(org, str) and org.strip() else None), graph


def _schema_messages(graph: Any) -> list[str]:
    try:
        graphdoc.check_publish_schema(graph)
    except graphdoc.SchemaError as exc:
        return [next(f"{k} {v}" for k, v in e.items()) if isinstance(e, dict) else str(e) for e in exc.errors]
    return []


def _type_messages(entity: str, graph: dict) -> list[str]:
    main_type = str(graph["@graph"][0].get("@type"))
    allowed = set().union(*(vocabulary().subclasses(c) for c in ENTITY_TYPES[entity]))
    if main_type not in allowed:
        return [f"entity-type: the main resource is {main_type}, which cannot be published with "
                f"{entity}/publishGraph (expected {' or '.join(ENTITY_TYPES[entity])} or a subclass)"]
    return []


def _owner(ctx: Context, graph: dict, publisher: str) -> str:
    """The registered organization the resource names as owner (third-party publishing), else the publisher."""
    main = graph["@graph"][0]
    if str(main.get("@type", "")) in vocabulary().subclasses("ceterms:Organization"):
        candidates: list[Any] = [main.get("ceterms:ctid")]
    else:
        candidates = []
    for prop in OWNER_PROPERTIES:
        value = main.get(prop)
        candidates += value if isinstance(value, list) else [value]
    for value in candidates:
        ctid = graphdoc.ctid_of(value) if isinstance(value, str) else None
        if ctid and ctx.service.organization(ctid) is not None:
            return ctid
    return publisher


def _published(ctx: Context, state: EnvelopeState, changed: bool, with_payload: bool) -> Response:
    base = ctx.base_url
    return answer(True, [], WasChanged=changed, CTID=state.ctid, EnvelopeUrl=f"{base}/envelopes/{state.envelope_id}",
                  GraphUrl=f"{base}/graph/{state.ctid}", CredentialFinderUrl=f"{base}/resources/{state.ctid}",
                  RegistryEnvelopeIdentifier=state.envelope_id, Payload=state.resource if with_payload else None)


def _publish_sync(ctx: Context, entity: str, publisher: str, graph: Any, with_payload: bool) -> Response:
    """Checks then publish, in a worker thread (the gate may be slow: full validation)."""
    messages = _schema_messages(graph)
    if messages:
        return answer(False, messages)
    messages = _type_messages(entity, graph) + ctx.gate(graph)
    if messages:
        return answer(False, messages, CTID=str(graph["@graph"][0].get("ceterms:ctid")).lower())
    if ctx.service.organization(publisher) is None:
        return answer(False, [f"Organization {publisher} is not registered with this registry "
                              "(register it with POST /metadata/organizations or --org)"])
    owner = _owner(ctx, graph, publisher)
    try:
        result = ctx.service.publish(graph, owner, published_by=publisher if owner != publisher.lower() else None)
    except Unprocessable:
        ctid = str(graph["@graph"][0]["ceterms:ctid"]).lower()
        return answer(False, ["Resource CTID must be unique: a CTID of this graph is already published "
                              "by another organization or under another @id"], CTID=ctid)
    return _published(ctx, result.state, result.changed, with_payload)


async def publish_graph(request: Request) -> Response:
    try:
        entity = _entity_type(request)
        if request.path_params["action"].lower() != "publishgraph":
            raise ApiError(404, f"Unsupported request {request.path_params['action']!r}: this registry "
                                "implements publishGraph and delete")
        require_key(request)
        body = await read_json(request)
        publisher, graph = _graph_of(body)
    except ApiError as exc:
        return refusal(exc)
    if publisher is None:
        return answer(False, ["PublishForOrganizationIdentifier is required"])
    if not graphdoc.CTID_ANY_CASE.match(publisher.strip()):
        return answer(False, [f"PublishForOrganizationIdentifier {publisher!r} is not a CTID"])
    if graph is None:
        return answer(False, [f"{' or '.join(GRAPH_KEYS)} is required"])
    with_payload = not (isinstance(body, dict) and body.get("ExcludingPayloadInResponse") is True)
    return await in_document_worker(_publish_sync, ctx_of(request), entity, publisher.strip().lower(), graph,
                                    with_payload)  # a whole document: within the limit on such work


def _delete_sync(ctx: Context, ctids: list[str], org: str) -> list[str]:
    messages = []
    for ctid in ctids:
        try:
            if ctx.service.delete(ctid, by_org=org) is None:
                messages.append(f"No resource was found for CTID {ctid}")
        except Unprocessable as exc:
            messages += [str(e) for e in exc.errors]
    return messages


async def delete(request: Request) -> Response:
    try:
        _entity_type(request)
        require_key(request)
        body = await read_json(request)
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object")
    except ApiError as exc:
        return refusal(exc)
    org = body.get("PublishForOrganizationIdentifier")
    listed = body.get("CTIDList") or []
    ctids = ([body["CTID"]] if isinstance(body.get("CTID"), str) and body["CTID"] else []) + \
        (listed if isinstance(listed, list) else [])
    if not isinstance(org, str) or not org.strip():
        return answer(False, ["PublishForOrganizationIdentifier is required"])
    if not ctids or not all(isinstance(c, str) and graphdoc.ctid_of(c) for c in ctids) or len(ctids) > 50:
        return answer(False, ["CTID (or CTIDList, at most 50) is required and must hold CTIDs"])
    messages = await run_in_threadpool(_delete_sync, ctx_of(request), [c.strip().lower() for c in ctids],
                                       org.strip().lower())
    return answer(not messages, messages, CTID=ctids[0].strip().lower())
