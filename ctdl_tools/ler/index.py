"""What the Credential Registry holds, as far as linking LERs needs it: CTID → type, name, owners, URI.

Three sources (``--index DIR|JOURNAL|URL``):

* a directory of ``ctdl convert`` output (CTDL graph documents, ``<ctid>.json``): everything offline;
* the publish journal (SQLite): only what the registry *confirmed* (``published`` rows), with names read
  from the documents the journal says were sent (when they are still on disk);
* a registry URL: records fetched by CTID on demand (``GET {url}/resources/{ctid}``). A URL index cannot
  list names, so it matches only by CTID evidence (``--map``, existing alignments, identifiers).

Names are compared normalised (:func:`normalize_name`: Unicode NFKC, case-folded, whitespace collapsed)
for matching only; nothing normalised is ever written into a credential.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from ctdl_tools.ctdl_files import texts_of
from ctdl_tools.ctid import ctid_in_uri, is_ctid, resource_uri
from ctdl_tools.errors import InputError, Where
from ctdl_tools.jsonio import read_json

MAX_RECORD_BYTES = 10 * 1024 * 1024
FETCH_TIMEOUT = 15.0
LANGUAGES = ("en-US", "en", "en-GB")
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


class IndexUnavailable(Exception):
    """The registry behind a URL index could not be asked (network error, 5xx): not the same as 'absent'."""


@dataclass(frozen=True)
class Entry:
    ctid: str
    type: str  # compact CTDL class, e.g. "ceterms:AssociateOfAppliedScienceDegree"
    name: str
    uri: str  # the registry resource URI links point at
    names: tuple[str, ...] = ()  # every normalised name it answers to (competencies: label and text)
    owners: tuple[str, ...] = ()  # owner CTIDs (ownedBy; a framework's publisher/creator)
    owner_names: tuple[str, ...] = ()
    framework: str | None = None  # competencies: the framework's CTID
    framework_name: str | None = None

    @property
    def norm_name(self) -> str:
        return normalize_name(self.name)


# What an index reads: pages say where links were checked by this, never by parsing the description.
DIRECTORY, JOURNAL, REGISTRY = "directory", "publish journal", "registry"


class Index(Protocol):
    description: str
    kind: str  # DIRECTORY, JOURNAL or REGISTRY
    lists_names: bool  # can answer "which records are named X?"

    def get(self, ctid: str) -> Entry | None: ...

    def named(self, norm_name: str) -> list[Entry]: ...

    def record(self, ctid: str) -> dict[str, Any] | None: ...


def normalize_name(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def text_of(value: Any) -> str:
    """A CTDL language map (or plain string, or list) as one string, English first."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return next((text_of(v) for v in value if text_of(v)), "")
    if isinstance(value, dict):
        for lang in LANGUAGES:
            if lang in value:
                return text_of(value[lang])
        return next((text_of(v) for v in value.values() if text_of(v)), "")
    return ""


def _uris(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [v if isinstance(v, str) else v.get("@id", "") for v in items if isinstance(v, str | dict)]


def _ctids(value: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for c in (ctid_in_uri(u) for u in _uris(value) if u) if c))


def _type(node: dict[str, Any]) -> str:
    kind = node.get("@type")
    return kind[0] if isinstance(kind, list) and kind else kind if isinstance(kind, str) else ""


def _link_uri(node: dict[str, Any], ctid: str) -> str:
    """The node's ``@id`` when it is a public registry resource URI for this CTID, else the canonical one
    (a local registry answers with loopback ``@id``s that must never end up in a credential)."""
    ident = node.get("@id")
    if isinstance(ident, str) and ctid_in_uri(ident) == ctid and "/resources/" in ident:
        host = urlsplit(ident).hostname or ""
        if ident.startswith("https://") and host not in _LOOPBACK:
            return ident
    return resource_uri(ctid)


# ================================================================================= offline: records


@dataclass
class _Records:
    """Main nodes by CTID, and the facts that need more than one document (owner and framework names)."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_document(self, document: Any) -> None:
        graph = document.get("@graph") if isinstance(document, dict) else None
        if not isinstance(graph, list):
            return
        for node in graph:
            if isinstance(node, dict) and isinstance(node.get("ceterms:ctid"), str) and is_ctid(node["ceterms:ctid"]):
                self.nodes[node["ceterms:ctid"]] = node

    def entries(self) -> dict[str, Entry]:
        return {ctid: self._entry(ctid, node) for ctid, node in self.nodes.items()}

    def _name(self, ctid: str) -> str:
        node = self.nodes.get(ctid)
        return _node_name(node) if node else ""

    def _entry(self, ctid: str, node: dict[str, Any]) -> Entry:
        framework = None
        owners = _ctids(node.get("ceterms:ownedBy"))
        if _type(node) == "ceasn:Competency":
            framework = next(iter(_ctids(node.get("ceasn:isPartOf"))), None)
            fw_node = self.nodes.get(framework or "", {})
            owners = owners or _framework_owners(fw_node) or _ctids(node.get("ceasn:creator"))
        elif _type(node) == "ceasn:CompetencyFramework":
            owners = owners or _framework_owners(node)
        return Entry(ctid, _type(node), _node_name(node), _link_uri(node, ctid), _node_names(node), owners,
                     tuple(n for n in (self._name(o) for o in owners) if n), framework,
                     self._name(framework) if framework else None)


def _framework_owners(node: dict[str, Any]) -> tuple[str, ...]:
    return _ctids(node.get("ceasn:publisher")) or _ctids(node.get("ceasn:creator")) or _ctids(
        node.get("ceterms:ownedBy"))


def _node_name(node: dict[str, Any]) -> str:
    for key in ("ceterms:name", "ceasn:name", "ceasn:competencyLabel", "ceasn:competencyText"):
        text = text_of(node.get(key))
        if text:
            return text
    return ""


def _node_names(node: dict[str, Any]) -> tuple[str, ...]:
    keys = ("ceterms:name", "ceasn:name", "ceasn:competencyLabel", "ceasn:competencyText")
    return tuple(dict.fromkeys(normalize_name(t) for k in keys for t in texts_of(node.get(k)) if t.strip()))


class _OfflineIndex:
    lists_names = True

    def __init__(self, kind: str, where: str, records: _Records, keep: set[str] | None = None) -> None:
        self.kind, self.description = kind, f"{kind} {where}"  # "publish journal out/.ctdl/journal.sqlite"
        self._records = records
        entries = records.entries()
        self._entries = {c: e for c, e in entries.items() if keep is None or c in keep}
        self._by_name: dict[str, list[Entry]] = defaultdict(list)
        for entry in self._entries.values():
            for name in entry.names:
                self._by_name[name].append(entry)

    def get(self, ctid: str) -> Entry | None:
        return self._entries.get(ctid)

    def named(self, norm_name: str) -> list[Entry]:
        return list(self._by_name.get(norm_name, ()))

    def record(self, ctid: str) -> dict[str, Any] | None:
        return self._records.nodes.get(ctid) if ctid in self._entries else None

    def __len__(self) -> int:
        return len(self._entries)


def directory_index(folder: Path) -> _OfflineIndex:
    """Every CTDL graph document in ``folder`` (recursively; hidden folders skipped)."""
    records = _Records()
    for path in _json_files(folder):
        records.add_document(read_json(path))
    index = _OfflineIndex(DIRECTORY, str(folder), records)
    if not len(index):
        raise InputError(Where(str(folder)), "no CTDL graph documents with a ceterms:ctid here "
                                             "(expected `ctdl convert` output)")
    return index


def _json_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*.json")):
        if not any(part.startswith(".") for part in path.relative_to(folder).parts):
            yield path


def journal_index(path: Path) -> _OfflineIndex:
    """What the publish journal says the registry confirmed; names from the documents sent."""
    rows = _published_rows(path)
    records, missing = _Records(), []
    for ctid, ctdl_type, source in rows:
        source_path = Path(source) if source else None
        if source_path is not None and source_path.is_file():
            records.add_document(read_json(source_path))
        if ctid not in records.nodes:
            missing.append(ctid)
            records.nodes[ctid] = {"@id": resource_uri(ctid), "@type": ctdl_type or "", "ceterms:ctid": ctid}
    published = {ctid for ctid, _, _ in rows}
    keep = published | {c for c, node in records.nodes.items() if _ctids(node.get("ceasn:isPartOf"))
                        and set(_ctids(node.get("ceasn:isPartOf"))) & published}
    note = f" ({len(missing)} without their source document: no names)" if missing else ""
    return _OfflineIndex(JOURNAL, f"{path}{note}", records, keep)


def _published_rows(path: Path) -> list[tuple[str, str | None, str | None]]:
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT ctid, ctdl_type, source FROM records WHERE status = 'published' "
                              "ORDER BY ctid").fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise InputError(Where(str(path)), f"not a readable publish journal: {exc}") from None
    return [(str(c).lower(), t, s) for c, t, s in rows]


# ==================================================================================== a registry URL


class RegistryIndex:
    """Records fetched from a registry by CTID, on demand, cached for the run."""

    lists_names = False
    kind = REGISTRY

    def __init__(self, url: str, timeout: float = FETCH_TIMEOUT) -> None:
        import requests  # only a URL index needs it

        self.base = url.rstrip("/")
        self.description = f"registry {self.base}"
        self.timeout = timeout
        self.session = requests.Session()
        # Loopback registries must not be sent through an HTTP(S)_PROXY from the environment.
        self.session.trust_env = (urlsplit(self.base).hostname or "") not in _LOOPBACK
        self.session.headers["Accept"] = "application/ld+json, application/json"
        self._cache: dict[str, dict[str, Any] | None] = {}
        self._entries: dict[str, Entry | None] = {}
        # Set once the registry cannot be connected to: every later record would wait for the same timeout.
        self._unreachable: str | None = None

    def record(self, ctid: str) -> dict[str, Any] | None:
        if ctid not in self._cache:
            self._cache[ctid] = self._fetch(ctid)
        return self._cache[ctid]

    def _fetch(self, ctid: str) -> dict[str, Any] | None:
        import requests

        if self._unreachable is not None:
            raise IndexUnavailable(self._unreachable)
        url = f"{self.base}/resources/{ctid}"
        try:
            with self.session.get(url, timeout=self.timeout, stream=True, allow_redirects=True) as response:
                if response.status_code in (404, 410):
                    return None
                if response.status_code != 200:
                    raise IndexUnavailable(f"GET {url}: HTTP {response.status_code}")
                body = _read_limited(response.iter_content(65536), url)
        except requests.ConnectionError:
            # One line (requests' own text is a page of pool and resolver internals), and one attempt per run
            self._unreachable = (f"cannot connect to {urlsplit(self.base).netloc} (offline? pass --index DIR, or "
                                 "--registry URL for a registry you can reach)")
            raise IndexUnavailable(self._unreachable) from None
        except requests.RequestException as exc:
            raise IndexUnavailable(f"GET {url}: {type(exc).__name__}: {exc}") from None
        try:
            document = json.loads(body)
        except ValueError:
            raise IndexUnavailable(f"GET {url}: the answer is not JSON") from None
        return _main_node(document, ctid)

    def get(self, ctid: str) -> Entry | None:
        if ctid not in self._entries:
            node = self.record(ctid)
            self._entries[ctid] = self._entry(ctid, node) if node else None
        return self._entries[ctid]

    def _entry(self, ctid: str, node: dict[str, Any]) -> Entry:
        framework = next(iter(_ctids(node.get("ceasn:isPartOf"))), None) if _type(node) == "ceasn:Competency" else None
        framework_node = self._quiet(framework) if framework else None
        owners = _ctids(node.get("ceterms:ownedBy")) or (_framework_owners(framework_node) if framework_node else ()) \
            or _framework_owners(node)
        owner_names = tuple(n for n in (_node_name(r) for r in map(self._quiet, owners) if r) if n)
        return Entry(ctid, _type(node), _node_name(node), _link_uri(node, ctid), _node_names(node), owners,
                     owner_names, framework, _node_name(framework_node) if framework_node else None)

    def _quiet(self, ctid: str | None) -> dict[str, Any] | None:
        """A related record (owner, framework) for names: a failure only costs the name."""
        if not ctid:
            return None
        try:
            return self.record(ctid)
        except IndexUnavailable:
            return None

    def named(self, norm_name: str) -> list[Entry]:
        return []


def _read_limited(chunks: Iterable[bytes], url: str) -> bytes:
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > MAX_RECORD_BYTES:
            raise IndexUnavailable(f"GET {url}: answer larger than {MAX_RECORD_BYTES} bytes")
    return bytes(body)


def _main_node(document: Any, ctid: str) -> dict[str, Any] | None:
    """The record from a ``/resources`` answer (the node itself) or a ``/graph`` answer (find it)."""
    if not isinstance(document, dict):
        return None
    if isinstance(document.get("@graph"), list):
        return next((n for n in document["@graph"] if isinstance(n, dict) and n.get("ceterms:ctid") == ctid), None)
    return document


# ========================================================================================= factory


def open_index(spec: str) -> Index:
    """``--index DIR|JOURNAL|URL``. An unusable spec is an :class:`InputError` (exit 2)."""
    if spec.startswith(("http://", "https://")):
        return RegistryIndex(spec)
    path = Path(spec)
    if path.is_dir():
        return directory_index(path)
    if path.is_file():
        with path.open("rb") as handle:
            magic = handle.read(16)
        if magic == b"SQLite format 3\0":
            return journal_index(path)
        raise InputError(Where(spec), "--index must be a directory of CTDL documents, a publish journal "
                                      "(SQLite) or a registry URL")
    raise InputError(Where(spec), "--index: no such directory or file")
