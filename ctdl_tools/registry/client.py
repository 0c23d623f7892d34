"""HTTP clients for the direct Registry API and the Registry Assistant API (registry.md §4).

Both publish calls are idempotent by the graph's ``@id`` (the registry updates the envelope that has
it), so a request whose response was lost may simply be sent again: that is what makes the retries
below safe for POSTs.

Retries: connection errors, timeouts, 429 (``Retry-After`` in seconds or as an HTTP date is obeyed)
and 5xx, with exponential backoff and full jitter, bounded by a number of attempts and a total time.
Other 4xx are final. The API key travels only in the ``Authorization`` header and is scrubbed from
every message this module produces, even if a server echoes it: see :class:`Scrubber`.
"""

from __future__ import annotations

import email.utils
import html
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

import requests
from requests.adapters import HTTPAdapter

from ctdl_tools.vocab.schema import vocabulary

USER_AGENT = "ctdl_tools-publish/0.1"
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
_NOT_RETRIED_5XX = (501, 505)
MESSAGE_LIMIT = 300  # characters shown of an error body that holds no registry messages
_MAX_ERROR_BODY = 1 << 20  # bytes of an error body read for its messages


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
    exhausted on 429/5xx/broken replies), unreachable (retries exhausted on refused/broken connections),
    unanswered (retries exhausted on timeouts), unsendable (the request could not even be made)."""

    def __init__(self, message: str, *, kind: str, status: int | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.message, self.kind, self.status, self.attempts = message, kind, status, attempts


class Cancelled(RegistryError):
    """The run stopped this request: before its first attempt (``attempts`` 0: nothing left), or while it
    waited to try again (``problem``: what went wrong with the last attempt)."""

    def __init__(self, attempts: int = 0, problem: str | None = None) -> None:
        said = f"the run stopped after {attempts} attempt{'s' if attempts != 1 else ''} ({problem})" if attempts \
            else "cancelled"
        super().__init__(said, kind="cancelled", attempts=attempts)
        self.problem = problem


class Silence:
    """Attempts in a row, across every request of a run, that got no reply at all within the timeout.

    A registry that accepts connections and never answers (or whose connections hang) costs each request its
    whole retry budget, and every request the same: at ``limit`` such attempts with no reply to any request in
    between, ``cancel`` is set (no request is tried again, none is sent after) and ``tripped`` says how many
    there were. Any reply, even an error status, starts the count again; a run already stopped is left alone."""

    def __init__(self, limit: int, cancel: threading.Event) -> None:
        self.limit, self.cancel = max(1, limit), cancel
        self.count = 0
        self.tripped = 0  # the attempts in a row that stopped the run; 0 while it has not
        self._lock = threading.Lock()

    def answered(self) -> None:
        with self._lock:
            self.count = 0

    def unanswered(self) -> None:
        with self._lock:
            self.count += 1
            if self.count >= self.limit and not self.tripped and not self.cancel.is_set():
                self.tripped = self.count
                self.cancel.set()


@dataclass
class Reply:
    status: int
    body: Any  # an error reply's (status >= 400) is scrubbed of the key
    attempts: int


@dataclass(frozen=True)
class _Failure:
    """One attempt that may be tried again."""

    problem: str
    wait: float  # seconds before the next attempt
    kind: str  # RegistryError.kind if it is the last: unreachable, unanswered or transient
    asked: float | None = None  # the registry's Retry-After, in seconds


@dataclass
class Published:
    envelope_id: str | None
    changed: bool | None
    attempts: int


class Http:
    """One registry base URL: thread-local sessions, JSON bodies, retries, key scrubbing."""

    def __init__(self, base_url: str, key: str | None, scheme: str = "Token", *, timeout: float = 30.0,
                 retry: RetryPolicy | None = None, cancel: threading.Event | None = None,
                 silence: Silence | None = None) -> None:
        self.base = base_url.rstrip("/") + "/"
        self._auth = f"{scheme} {key}" if key else None
        self.scrub = Scrubber(key)
        self.timeout = (min(timeout, 10.0), timeout)  # (connect, read)
        self.retry = retry or RetryPolicy()
        self.cancel = cancel or threading.Event()
        self.silence = silence
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
        problem = None  # what went wrong with the last attempt
        for attempt in range(1, self.retry.attempts + 1):
            if self.cancel.is_set():
                raise Cancelled(attempt - 1, problem)
            outcome = self._attempt(method, url, data, headers, attempt)
            if isinstance(outcome, Reply):
                return outcome
            if attempt == self.retry.attempts or time.monotonic() + outcome.wait > deadline:
                why = outcome.problem + self._asked_too_long(outcome)
                raise RegistryError(f"gave up after {attempt} attempts: {why}", kind=outcome.kind, attempts=attempt)
            problem = outcome.problem
            if self.cancel.wait(outcome.wait):
                raise Cancelled(attempt, problem)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, method: str, url: str, data: bytes | None, headers: dict[str, str],
                 attempt: int) -> Reply | _Failure:
        """One try: a final reply, or what went wrong and how long to wait before the next."""
        try:
            response = self._session().request(method, url, data=data, headers=headers, timeout=self.timeout)
        except _TRANSIENT as exc:
            if self.silence is not None and isinstance(exc, requests.Timeout):
                self.silence.unanswered()
            return _Failure(_describe_exception(exc), self.retry.backoff(attempt), _failure_kind(exc))
        except Exception as exc:  # requests and http.client quote header values (the key) in their messages
            raise RegistryError(f"the request could not be sent ({type(exc).__name__}: {self.scrub(str(exc))})",
                                kind="unsendable", attempts=attempt) from None
        if self.silence is not None:
            self.silence.answered()
        status = response.status_code
        if not _retryable(status):
            return Reply(status, _json_or_text(response) if status < 400 else self._error_body(response), attempt)
        problem = f"HTTP {status}: {self.explain(self._error_body(response))}"
        asked = retry_after(response.headers.get("Retry-After"))
        return _Failure(problem, asked if asked is not None else self.retry.backoff(attempt), "transient", asked)

    def _asked_too_long(self, failure: _Failure) -> str:
        if failure.asked is None or failure.asked <= self.retry.total:
            return ""
        return (f" (the registry asked to wait {failure.asked:.0f}s before trying again, longer than the "
                f"{self.retry.total:.0f}s this client spends on one request)")

    def _error_body(self, response: requests.Response) -> Any:
        """An error reply's body with the key scrubbed from its raw text first (before it is parsed, cut or
        re-serialised), then from every string parsed out of it (JSON escapes undone)."""
        if not response.content:
            return None
        text = self.scrub(_decoded(response.content[:_MAX_ERROR_BODY]))
        try:
            return _map_strings(json.loads(text), self.scrub)
        except (ValueError, RecursionError):
            return text

    def explain(self, body: Any) -> str:
        """What an error body says, for messages and the journal: scrubbed, then shortened."""
        try:
            return error_text(_map_strings(body, self.scrub), self.scrub)
        except RecursionError:
            return "(an error body nested too deeply to read)"


def _describe_exception(exc: Exception) -> str:
    kind = "timeout" if isinstance(exc, requests.Timeout) else "connection error"
    return f"{kind}: {type(exc).__name__}"


def _failure_kind(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):  # ConnectTimeout too: nothing answered
        return "unanswered"
    return "unreachable" if isinstance(exc, requests.ConnectionError) else "transient"


def _decoded(data: bytes) -> str:
    """UTF-8 when it is (requests guesses Latin-1 for text/html without a charset), else Latin-1."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    """``value`` with ``change`` applied to every string in it, dictionary keys included."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_map_strings(item, change) for item in value]
    if isinstance(value, dict):
        return {change(str(k)): _map_strings(v, change) for k, v in value.items()}
    return value


# A credential after an authorization scheme (the header echoed back), or the value of a field named
# Authorization. The scheme is matched as it is sent (capitalised) and the credential must be 8+ characters,
# so that English such as "Invalid token" or "Token expired" is left alone; shorter keys are caught whole below.
_SCHEME_CREDENTIAL = re.compile(r"\b(Token|ApiToken|Bearer|Basic)(?:\s+|%20|\+)[^\s\"'<>&\\,;]{8,}")
_AUTHORIZATION_FIELD = re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n<>,;}]+")
MASK = "***"


class Scrubber:
    """Removes an API key from text a server sent back, whatever was done to it on the way.

    Echoed authorization text goes first (:data:`_SCHEME_CREDENTIAL`, :data:`_AUTHORIZATION_FIELD`). Then
    every run of text covered by an 8-character piece of the key, in every form it may come back in (as
    sent, JSON- or Python-escaped, percent-encoded, HTML-escaped, UTF-8 read as Latin-1 or cp1252), becomes
    ``***``. Pieces rather than the whole key: a body cut anywhere (a server's own truncation, or a message
    limit) still has no 8 characters of the key in a row. Keys shorter than 8 characters are matched whole.
    Callers scrub before they cut or re-serialise, so nothing can split the key into pieces this misses."""

    PIECE = 8

    def __init__(self, key: str | None) -> None:
        self._pieces = sorted(_pieces(key, self.PIECE), key=len, reverse=True) if key else []

    def __call__(self, text: str) -> str:
        if not self._pieces or not text:
            return text
        text = _AUTHORIZATION_FIELD.sub(rf"\1{MASK}", _SCHEME_CREDENTIAL.sub(rf"\1 {MASK}", text))
        return _masked(text, self._covered(text))

    def _covered(self, text: str) -> list[tuple[int, int]]:
        spans = []
        for piece in self._pieces:
            start = text.find(piece)
            while start != -1:
                spans.append((start, start + len(piece)))
                start = text.find(piece, start + 1)
        return spans


def _pieces(key: str, size: int) -> set[str]:
    pieces = set()
    for form in _key_forms(key):
        width = min(size, len(form))
        pieces.update(form[i:i + width] for i in range(len(form) - width + 1))
    return pieces


def _key_forms(key: str) -> set[str]:
    """The ways a server (or an exception message) may write the key back."""
    forms = {key, json.dumps(key)[1:-1], json.dumps(key, ensure_ascii=False)[1:-1], repr(key)[1:-1],
             ascii(key)[1:-1], quote(key, safe=""), quote_plus(key, safe=""), html.escape(key),
             html.escape(key, quote=False)}
    for codec in ("latin-1", "cp1252"):
        try:
            forms.add(key.encode("utf-8").decode(codec))
        except UnicodeDecodeError:
            continue
    return {form for form in forms if form}


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each run of overlapping or touching spans replaced by one mask."""
    if not spans:
        return text
    parts, position, end = [], 0, -1
    for start, stop in sorted(spans):
        if start > end:
            if end >= 0:
                parts.append(MASK)
            parts.append(text[position:start])
        end = max(end, stop)
        position = end
    parts.append(MASK)
    parts.append(text[end:])
    return "".join(parts)


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


def error_text(body: Any, scrub: Callable[[str], str] = str) -> str:
    """The messages of a registry error body (``{"errors": [...]}`` or the Assistant's ``Messages``), else
    the body's first MESSAGE_LIMIT characters; ``scrub`` is applied before anything is cut."""
    if isinstance(body, dict):
        for key in ("errors", "Messages", "messages", "error"):
            if body.get(key):
                return scrub("; ".join(_flatten(body[key])))
        return scrub(json.dumps(body))[:MESSAGE_LIMIT]
    if isinstance(body, list):
        return scrub("; ".join(_flatten(body)))
    return scrub(str(body or "").strip())[:MESSAGE_LIMIT] or "(empty response)"


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
    detail = http.explain(reply.body)
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
            messages = self.http.explain({"Messages": reply.body.get("Messages")})
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
