"""HTTP clients for the direct Registry API and the Registry Assistant API (registry.md §4).

Both publish calls are idempotent by the graph's ``@id`` (the registry updates the envelope that has
it), so a request whose response was lost may simply be sent again: that is what makes the retries
below safe for POSTs.

Retries: connection errors, timeouts, 429 (``Retry-After`` in seconds or as an HTTP date is obeyed)
and 5xx, with exponential backoff and full jitter, bounded by a number of attempts and a total time.
Other 4xx are final. The API key travels only in the ``Authorization`` header and is scrubbed from
every message this module produces, even if a server echoes it.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from ctdl_tools.vocab.schema import vocabulary

USER_AGENT = "ctdl_tools-publish/0.1"
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
_NOT_RETRIED_5XX = (501, 505)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    total: float = 120.0  # seconds for one request including all its retries
    base: float = 0.25
    cap: float = 10.0

    def backoff(self, failures: int) -> float:
        """Full jitter (AWS architecture blog): uniform in [0, min(cap, base·2^n)]."""
        return random.uniform(0.0, min(self.cap, self.base * 2 ** (failures - 1)))


class RegistryError(Exception):
    """A request that failed for good. ``kind``: auth, org, invalid, rejected, notfound, transient (retries
    exhausted on timeouts/429/5xx), unreachable (retries exhausted on refused/broken connections)."""

    def __init__(self, message: str, *, kind: str, status: int | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.message, self.kind, self.status, self.attempts = message, kind, status, attempts


class Cancelled(RegistryError):
    def __init__(self) -> None:
        super().__init__("cancelled", kind="cancelled")


@dataclass
class Reply:
    status: int
    body: Any
    attempts: int


@dataclass
class Published:
    envelope_id: str | None
    changed: bool | None
    attempts: int


class Http:
    """One registry base URL: thread-local sessions, JSON bodies, retries, key scrubbing."""

    def __init__(self, base_url: str, key: str | None, scheme: str = "Token", *, timeout: float = 30.0,
                 retry: RetryPolicy | None = None, cancel: threading.Event | None = None) -> None:
        self.base = base_url.rstrip("/") + "/"
        self._auth = f"{scheme} {key}" if key else None
        self._key = key
        self.timeout = (min(timeout, 10.0), timeout)  # (connect, read)
        self.retry = retry or RetryPolicy()
        self.cancel = cancel or threading.Event()
        self._local = threading.local()

    def _session(self) -> requests.Session:
        # Sessions are not documented as thread-safe; one per worker thread keeps a warm connection each.
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            # trust_env would look up ~/.netrc and the proxy variables on every request (a measurable
            # share of a 10k-record run); read the environment once instead.
            session.trust_env = False
            session.proxies = requests.utils.get_environ_proxies(self.base)
            session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            session.mount("http://", HTTPAdapter(max_retries=0, pool_maxsize=2))
            session.mount("https://", HTTPAdapter(max_retries=0, pool_maxsize=2))
            session.headers["User-Agent"] = USER_AGENT
            self._local.session = session
        return session

    def scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text

    def request(self, method: str, path: str, body: Any = None) -> Reply:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self._auth:
            headers["Authorization"] = self._auth
        return self._send(method, self.base + path.lstrip("/"), data, headers)

    def _send(self, method: str, url: str, data: bytes | None, headers: dict[str, str]) -> Reply:
        deadline = time.monotonic() + self.retry.total
        for attempt in range(1, self.retry.attempts + 1):
            if self.cancel.is_set():
                raise Cancelled()
            reply, problem, wait, refused = self._attempt(method, url, data, headers, attempt)
            if reply is not None:
                return reply
            if attempt == self.retry.attempts or time.monotonic() + wait > deadline:
                raise RegistryError(f"gave up after {attempt} attempts: {problem}",
                                    kind="unreachable" if refused else "transient", attempts=attempt)
            if self.cancel.wait(wait):
                raise Cancelled()
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, method: str, url: str, data: bytes | None, headers: dict[str, str],
                 attempt: int) -> tuple[Reply | None, str, float, bool]:
        """One try: a final reply, or (None, what went wrong, seconds to wait, connection refused?)."""
        try:
            response = self._session().request(method, url, data=data, headers=headers, timeout=self.timeout)
        except _TRANSIENT as exc:
            refused = isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.Timeout)
            return None, self._describe_exception(exc), self.retry.backoff(attempt), refused
        if not _retryable(response.status_code):
            return Reply(response.status_code, _json_or_text(response), attempt), "", 0.0, False
        problem = f"HTTP {response.status_code}: {self.scrub(error_text(_json_or_text(response)))}"
        asked = retry_after(response.headers.get("Retry-After"))
        return None, problem, asked if asked is not None else self.retry.backoff(attempt), False

    def _describe_exception(self, exc: Exception) -> str:
        kind = "timeout" if isinstance(exc, requests.Timeout) else "connection error"
        return self.scrub(f"{kind}: {type(exc).__name__}")


def _retryable(status: int) -> bool:
    return status == 429 or (status >= 500 and status not in _NOT_RETRIED_5XX)


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _json_or_text(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def error_text(body: Any) -> str:
    """The messages of a registry error body (``{"errors": [...]}`` or the Assistant's ``Messages``)."""
    if isinstance(body, dict):
        for key in ("errors", "Messages", "messages", "error"):
            if body.get(key):
                return "; ".join(_flatten(body[key]))
        return json.dumps(body)[:300]
    if isinstance(body, list):
        return "; ".join(_flatten(body))
    return str(body or "").strip()[:300] or "(empty response)"


def _flatten(value: Any) -> Iterable[str]:
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    elif isinstance(value, dict):
        # The direct API reports schema errors as {"@id": "is required"}.
        for key, detail in value.items():
            yield f"{key} {'; '.join(_flatten(detail))}"
    else:
        yield str(value)


def _fail(http: Http, reply: Reply, what: str) -> RegistryError:
    """A final (non-retried) error for a 4xx/5xx reply, classified for the caller."""
    detail = http.scrub(error_text(reply.body))
    kind = {401: "auth", 403: "auth", 404: "notfound", 422: "invalid", 400: "invalid"}.get(reply.status,
                                                                                          "rejected")
    return RegistryError(f"{what}: HTTP {reply.status}: {detail}", kind=kind, status=reply.status,
                         attempts=reply.attempts)


class DirectApi:
    """The open-source registry's own API (CredentialEngine/CredentialRegistry, ``app/api/v1``)."""

    def __init__(self, http: Http) -> None:
        self.http = http

    def publish(self, document: dict, org: str, ctdl_type: str = "") -> Published:
        reply = self.http.request("POST", f"resources/organizations/{org}/documents", document)
        if reply.status in (200, 201) and isinstance(reply.body, dict):
            return Published(reply.body.get("envelope_id"), reply.body.get("changed"), reply.attempts)
        error = _fail(self.http, reply, "publish")
        if error.kind == "notfound":
            error.kind = "org"
            error.message = f"organization {org} is not known to the registry ({error.message})"
        raise error

    def delete(self, ctid: str, org: str | None = None, ctdl_type: str = "") -> int:
        reply = self.http.request("DELETE", f"resources/documents/{ctid}")
        if reply.status in (200, 204):
            return reply.attempts
        raise _fail(self.http, reply, "delete")

    def fetch(self, ctid: str) -> dict | None:
        """The stored graph document, or None if the registry has no such CTID."""
        reply = self.http.request("GET", f"graph/{ctid}")
        if reply.status == 200 and isinstance(reply.body, dict):
            return reply.body
        if reply.status == 404:
            return None
        raise _fail(self.http, reply, "fetch")


class AssistantApi:
    """Credential Engine's Registry Assistant: ``{base}{entity}/publishGraph`` and ``/delete``."""

    def __init__(self, http: Http, reader: DirectApi) -> None:
        self.http, self.reader = http, reader

    def publish(self, document: dict, org: str, ctdl_type: str = "") -> Published:
        body = {"PublishForOrganizationIdentifier": org, "Publish": True, "GraphInput": document}
        reply = self.http.request("POST", f"{assistant_entity(ctdl_type)}/publishGraph", body)
        result = self._result(reply, "publishGraph")
        envelope = result.get("RegistryEnvelopeIdentifier") or _last_segment(result.get("EnvelopeUrl"))
        return Published(envelope, result.get("WasChanged"), reply.attempts)

    def delete(self, ctid: str, org: str | None = None, ctdl_type: str = "") -> int:
        body = {"CTID": ctid, "PublishForOrganizationIdentifier": org or ""}
        reply = self.http.request("DELETE", f"{assistant_entity(ctdl_type)}/delete", body)
        self._result(reply, "delete")
        return reply.attempts

    def _result(self, reply: Reply, what: str) -> dict:
        if reply.status != 200 or not isinstance(reply.body, dict):
            raise _fail(self.http, reply, what)
        if reply.body.get("Successful") is not True:
            # The Assistant reports refusals as HTTP 200 with "Successful": false (registry.md §4(b)).
            messages = self.http.scrub(error_text({"Messages": reply.body.get("Messages")}))
            raise RegistryError(f"{what}: not successful: {messages}", kind="rejected", status=200,
                                attempts=reply.attempts)
        return reply.body

    def fetch(self, ctid: str) -> dict | None:
        return self.reader.fetch(ctid)


def _last_segment(url: Any) -> str | None:
    return str(url).rstrip("/").rsplit("/", 1)[-1] if url else None


# Most specific first: LearningProgram and Course are LearningOpportunityProfiles, PathwaySet and
# CompetencyFramework are Collections.
_ENTITIES = (
    ("ceterms:Credential", "credential"), ("ceterms:Organization", "organization"),
    ("ceterms:LearningProgram", "learningprogram"), ("ceterms:Course", "course"),
    ("ceterms:LearningOpportunityProfile", "learningopportunity"), ("ceterms:AssessmentProfile", "assessment"),
    ("ceasn:CompetencyFramework", "competencyframework"), ("ceasn:Competency", "competency"),
    ("skos:ConceptScheme", "conceptscheme"), ("asn:ProgressionModel", "progressionmodel"),
    ("ceterms:PathwaySet", "pathwayset"), ("ceterms:Pathway", "pathway"), ("ceterms:Collection", "collection"),
    ("ceterms:TransferValueProfile", "transfervalue"), ("ceterms:TransferIntermediary", "transferintermediary"),
    ("ceterms:CostManifest", "costmanifest"), ("ceterms:ConditionManifest", "conditionmanifest"),
    ("ceterms:CredentialingAction", "credentialingaction"), ("qdata:DataSetProfile", "datasetprofile"),
    ("ceterms:Occupation", "occupation"), ("ceterms:Job", "job"), ("ceterms:WorkRole", "workrole"),
    ("ceterms:Task", "task"), ("ceterms:SupportService", "supportservice"),
    ("ceterms:ScheduledOffering", "scheduledoffering"), ("ceasn:Rubric", "rubric"),
    ("ceterms:CredentialType", "credentialtype"), ("ceterms:QualificationsFramework", "qualificationsframework"),
    ("ceterms:AlignmentMap", "alignmentmap"), ("ceterms:Industry", "industry"),
    ("ceterms:VerificationServiceProfile", "verificationserviceprofile"), ("qdata:Metric", "metric"),
)


def assistant_entity(ctdl_type: str) -> str:
    """The Assistant's endpoint segment for a CTDL class (``ceterms:MasterDegree`` → ``credential``)."""
    ancestors = vocabulary().superclasses(ctdl_type)
    for cls, entity in _ENTITIES:
        if cls in ancestors:
            return entity
    return ctdl_type.partition(":")[2].lower() or "credential"
