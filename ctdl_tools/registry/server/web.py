"""HTTP plumbing shared by the handlers: the app context, JSON in and out, errors, paging, negotiation."""

from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ctdl_tools.jsonio import JsonProblem, json_path, loads, too_deep, too_deep_message, unpaired_surrogate
from ctdl_tools.registry.server.auth import KeyRing, token_from_header
from ctdl_tools.registry.server.graphdoc import Rebaser
from ctdl_tools.registry.server.service import RegistryService
from ctdl_tools.registry.server.store import Store

# Largest request body accepted by default (``create_app(max_body_bytes=…)``, ``ctdl registry serve
# --max-body-mb``). Real catalogs' biggest documents are competency frameworks: ESCO's 13,939 skills are 16.9 MB of
# compact JSON (more as ``ctdl publish`` sends it); 64 MiB leaves room while keeping one request from exhausting
# memory.
MAX_BODY_BYTES = 64 * 1024 * 1024
MIB = 1024 * 1024
# A body larger than this is parsed in a worker thread: parsing 17 MB takes a quarter of a second, which the event
# loop would spend not answering anyone else.
PARSE_INLINE_BYTES = 256 * 1024
# Work on a whole graph document (a framework's page, a graph or envelope written out) runs in worker threads, at most
# this many at a time: a 20 MB framework takes ~200 MB parsed, and forty of them at once (the thread pool's size)
# would exhaust memory; and that work holds the interpreter lock, so more threads render no faster but keep the event
# loop waiting for it (a small request beside four ESCO framework pages: ~2-20 ms with 2, ~300 ms with 4). Other
# blocking work uses the pool as before.
DOCUMENT_WORKERS = 2
_document_workers: RunVar[CapacityLimiter] = RunVar("ctdl_document_workers")
T = TypeVar("T")
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 10
JSON_TYPE = "application/json"


class ApiError(Exception):
    """An error answer: ``status`` and the list that goes under ``"errors"``."""

    def __init__(self, status: int, *errors: Any) -> None:
        super().__init__(f"{status}: {errors}")
        self.status, self.errors = status, list(errors)


class LRU:
    """Rendered response bodies by content digest; bounded by total bytes. Thread-safe."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes, self.size = max_bytes, 0
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: tuple) -> bytes | None:
        """The cached body, or None (nothing is made)."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def get(self, key: tuple, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        value = make()
        with self._lock:
            if key not in self._items and len(value) <= self.max_bytes // 8:
                self._items[key] = value
                self.size += len(value)
                while self.size > self.max_bytes:
                    _, old = self._items.popitem(last=False)
                    self.size -= len(old)
        return value


@dataclass
class Context:
    """Everything handlers share; one per app (``request.app.state.ctx``)."""

    store: Store
    service: RegistryService
    keys: KeyRing
    gate: Callable[[dict], list[str]]
    base_url: str
    rebase: Rebaser
    cache: LRU
    max_body_bytes: int = MAX_BODY_BYTES


def ctx_of(request: Request) -> Context:
    return request.app.state.ctx  # type: ignore[no-any-return]


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status_code=status, headers=headers, media_type=JSON_TYPE)


def raw_json(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, headers=headers, media_type=JSON_TYPE)


def errors_response(status: int, *errors: Any) -> Response:
    return json_response({"errors": list(errors)}, status)


async def read_body(request: Request) -> bytes:
    """The body, refusing more than the app's limit (``Context.max_body_bytes``; declared or streamed) with a 413."""
    limit = ctx_of(request).max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, too_large_message(limit, int(declared)))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, too_large_message(limit))
        chunks.append(chunk)
    return b"".join(chunks)


def mib(size: int) -> str:
    """A size in MiB as people read it: "64", "16.9"."""
    return f"{size / MIB:.1f}".removesuffix(".0")


def too_large_message(limit: int = MAX_BODY_BYTES, size: int | None = None) -> str:
    """The 413 message: the limit, the body's size when it was declared, and how a registry's operator raises it."""
    sent = f" (this one is {mib(size)} MiB)" if size is not None else ""
    return (f"Request body too large: the limit is {mib(limit)} MiB{sent}; the registry's operator can raise it "
            f"(ctdl registry serve --max-body-mb)")


async def read_json(request: Request) -> Any:
    body = await read_body(request)
    if len(body) > PARSE_INLINE_BYTES:
        return await in_document_worker(parse_body, body)
    return parse_body(body)


async def in_document_worker(func: Callable[..., T], *args: Any) -> T:
    """``func(*args)`` in a worker thread, at most ``DOCUMENT_WORKERS`` at a time (see there): blocking work that
    may hold a whole graph document, kept off the event loop so that other requests are answered meanwhile."""
    try:
        limiter = _document_workers.get()
    except LookupError:  # one per event loop
        limiter = CapacityLimiter(DOCUMENT_WORKERS)
        _document_workers.set(limiter)
    return await anyio.to_thread.run_sync(functools.partial(func, *args), limiter=limiter)


def parse_body(body: bytes) -> Any:
    """A request body as JSON, or the 400 that says why it is not."""
    if not body.strip():
        raise ApiError(400, "Request body is empty: expected JSON")
    try:
        text = body.decode("utf-8-sig")
        data = loads(text)
    except UnicodeDecodeError:
        raise ApiError(400, "Request body is not UTF-8") from None
    except JsonProblem as problem:
        raise ApiError(400, f"Request body: {problem.located}") from None
    lone = unpaired_surrogate(text)
    if lone is not None:  # it would be stored, then fail every time the record is served
        raise ApiError(400, f"Request body is not valid Unicode: {lone.message}")
    deep = too_deep(data)
    if deep is not None:  # the parser took it; the validator and the pages walk documents recursively
        raise ApiError(400, f"Request body at {json_path(deep)}: {too_deep_message()}")
    return data


def require_key(request: Request) -> str:
    """The caller's token if it is a known key; else a 401 ``Invalid token`` (the key is never echoed)."""
    token = token_from_header(request.headers.get("authorization"))
    if not ctx_of(request).keys.valid(token):
        raise ApiError(401, "Invalid token")
    return token  # type: ignore[return-value]


MAX_INT_PARAM = 1_000_000_000  # pages and depths beyond this are nonsense, and would overflow SQLite's OFFSET


def int_param(request: Request, name: str, default: int, minimum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} is invalid") from None
    if value < minimum:
        raise ApiError(400, f"{name} must be at least {minimum}")
    if value > MAX_INT_PARAM:
        raise ApiError(400, f"{name} must be at most {MAX_INT_PARAM}")
    return value


def bool_param(request: Request, name: str, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise ApiError(400, f"{name} is invalid")


def paging(request: Request) -> tuple[int, int]:
    page = int_param(request, "page", 1, 1)
    per_page = min(int_param(request, "per_page", DEFAULT_PER_PAGE, 1), MAX_PER_PAGE)
    return page, per_page


def pagination_headers(request: Request, base_url: str, total: int, page: int, per_page: int) -> dict[str, str]:
    """``X-Total``/``X-Page``/``X-Per-Page`` and an RFC 8288 ``Link`` (first, prev, next, last)."""
    last = max(1, -(-total // per_page))
    url = f"{base_url}{quote(request.url.path)}"
    # Other query parameters carry over, percent-encoded: a header must stay ASCII whatever was asked.
    extra = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "per_page")]
    rels = {"first": 1, "prev": page - 1 if page > 1 else None, "next": page + 1 if page < last else None,
            "last": last}
    links = [f'<{url}?{urlencode([("page", n), ("per_page", per_page), *extra])}>; rel="{rel}"'
             for rel, n in rels.items() if n]
    return {"X-Total": str(total), "X-Page": str(page), "X-Per-Page": str(per_page),
            "X-Total-Pages": str(last), "Link": ", ".join(links)}


def _accept_quality(accept: str) -> dict[str, float]:
    """What an Accept or Accept-Encoding header ranks: each media type or coding (lower case) with its q-value."""
    qualities: dict[str, float] = {}
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":  # RFC 9110 §12.4.2: the parameter name is case-insensitive
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        qualities[media.strip().lower()] = max(q, qualities.get(media.strip().lower(), 0.0))
    return qualities


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether a client takes a gzip body: gzip (or x-gzip) listed with a q-value above 0, or, not listed, ``*``
    (RFC 9110 §12.5.3: ``gzip;q=0`` is "not acceptable")."""
    q = _accept_quality(accept_encoding)
    listed = [q[c] for c in ("gzip", "x-gzip") if c in q]
    return max(listed) > 0 if listed else q.get("*", 0.0) > 0


class SettledAcceptEncoding:
    """ASGI middleware in front of Starlette's GZipMiddleware, which compresses when "gzip" appears anywhere in
    Accept-Encoding, so that ``gzip;q=0`` got a gzip body and ``*`` did not: the header it reads is made
    ``gzip`` when :func:`accepts_gzip`, else left out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = b", ".join(v for k, v in scope["headers"] if k == b"accept-encoding").decode("latin-1")
            headers = [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]
            if accepts_gzip(given):
                headers.append((b"accept-encoding", b"gzip"))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def wants_html(request: Request) -> bool:
    """Browsers (``Accept: text/html``, ranked above JSON) get pages; machines and ``*/*`` get JSON-LD."""
    accept = request.headers.get("accept", "")
    if "html" not in accept:
        return False
    q = _accept_quality(accept)
    html = max(q.get("text/html", 0.0), q.get("application/xhtml+xml", 0.0))
    data = max(q.get(JSON_TYPE, 0.0), q.get("application/ld+json", 0.0))
    return html > 0 and html > data
