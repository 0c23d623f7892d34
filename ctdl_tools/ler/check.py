"""``ctdl ler check``: does every registry link in a credential resolve, to the kind of record it claims?

A registry link is an alignment that names a CTID (``targetCode``), points at the Credential Registry or
Credential Finder (``targetUrl``), or has a CTDL ``targetType``. For each one:

* the CTID in ``targetCode`` and the one in ``targetUrl`` must agree, and there must be one;
* the record must exist: in ``--index`` (offline), at ``--registry URL`` (e.g. a local registry), or by
  default at the registry named by the link itself (Credential Engine's);
* its class must be what ``targetType`` claims (``ceterms:Credential`` = any credential subclass,
  ``ceasn:Competency``, ``CTDL`` = any CTDL record), and its ``ceterms:ctid`` the CTID linked.

Failures also: a ``targetUrl`` that is no web address (``javascript:``…), or whose host imitates
Credential Engine's (``credentialengineregistry.org.evil.com``): whoever follows it is misled.

Warnings (exit 0): a ``targetUrl`` that is not the registry resource URI (a Finder page, another site, the
registry over http), a ``targetName`` that differs from the record's name, a ``targetCode`` that is not a CTID.
Each is a :class:`LinkWarning`: its kind, what is wrong, and apart from that any advice for the command-line
user (what `ctdl ler show` puts on a page for someone else leaves the advice out).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ctdl_tools.ctid import REGISTRY_BASE
from ctdl_tools.ler.formats import Credential
from ctdl_tools.ler.index import Entry, Index, IndexUnavailable, RegistryIndex, normalize_name
from ctdl_tools.ler.jws import parse_jws
from ctdl_tools.ler.match import (
    CE_TARGET_TYPES,
    alignment_conflict,
    ce_url,
    ce_url_ctid,
    code_ctid,
    is_ce_host,
    is_registry_link,
    misleading,
    url_parts,
)
from ctdl_tools.vocab import vocabulary

OK, WARNING, FAILED = "ok", "warning", "failed"
# ========================================================================================== resolving


class Resolver:
    """Registry records by CTID: from an index, from one registry, or from the registry each link names."""

    def __init__(self, index: Index | None = None, registry: str | None = None, *, online: bool = True) -> None:
        self.index = index if index is not None else RegistryIndex(registry) if registry else None
        self.online = online
        self._registries: dict[str, RegistryIndex] = {}

    @property
    def description(self) -> str:
        if self.index is not None:
            return self.index.description
        return "the registry each link names" if self.online else "nothing (offline; no --registry or --index)"

    def _source(self, url: str | None) -> Index | None:
        if self.index is not None:
            return self.index
        if not self.online:
            return None
        base = _registry_base(url)
        if base not in self._registries:
            self._registries[base] = RegistryIndex(base)
        return self._registries[base]

    def entry(self, ctid: str, url: str | None = None) -> Entry | None:
        """The record's summary; :class:`IndexUnavailable` when it cannot be asked."""
        source = self._source(url)
        if source is None:
            raise IndexUnavailable("not looked up (offline: give --registry URL or --index)")
        return source.get(ctid)

    def record(self, ctid: str, url: str | None = None) -> dict[str, Any] | None:
        source = self._source(url)
        return source.record(ctid) if source is not None else None

    def name_of(self, ctid: str) -> str | None:
        """A related record's name (an owner, a framework) or None: a failure only costs the name."""
        try:
            found = self.entry(ctid)
        except (IndexUnavailable, OSError):
            return None
        return found.name if found else None


def _registry_base(url: str | None) -> str:
    """Credential Finder pages and unknown hosts resolve at Credential Engine's registry."""
    if not url:
        return REGISTRY_BASE
    # Only Credential Engine's own registry hosts are ever asked: a link must not pick the server we contact.
    _, host = url_parts(url)
    path = urlsplit(url).path if host else ""
    if "/resources/" in path and is_ce_host(host, ("credentialengineregistry.org",)):
        return f"https://{host}{path.split('/resources/')[0]}"
    return REGISTRY_BASE


# ============================================================================================ finding


@dataclass(frozen=True)
class FoundLink:
    path: str
    alignment: dict[str, Any]


def registry_links(document: Any, path: str = "$") -> Iterator[FoundLink]:
    """Every alignment in ``document`` (nested credentials and CLR achievements included; nested VC-JWTs
    decoded) that links to the Credential Registry."""
    if isinstance(document, dict):
        if is_registry_link(document):
            yield FoundLink(path, document)
            return
        for key, value in document.items():
            if key not in ("proof", "@context"):
                yield from registry_links(value, f"{path}.{key}")
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from registry_links(value, f"{path}[{index}]")
    elif isinstance(document, str) and path.rsplit(".", 1)[-1].startswith("verifiableCredential"):
        yield from registry_links(_nested_token(document), f"{path}<JWT>")


def _nested_token(token: str) -> Any:
    try:
        payload = parse_jws(token).payload_json()
    except ValueError:
        return None
    return payload.get("vc", payload)


# =========================================================================================== checking


# LinkWarning kinds
NOT_A_CTID = "not-a-ctid"  # targetCode is not a CTID
NOT_THE_RESOURCE_URI = "not-the-resource-uri"  # targetUrl is not the registry resource URI of the CTID
OTHER_NAME = "other-name"  # targetName differs from the record's name


@dataclass(frozen=True)
class LinkWarning:
    """A warning about a link: what is wrong (``message``, for anyone who reads about the credential) and,
    apart, what the command-line user can do about it (``hint``)."""

    kind: str  # NOT_A_CTID | NOT_THE_RESOURCE_URI | OTHER_NAME
    message: str
    hint: str = ""  # e.g. "`ctdl ler link` writes https://credentialengineregistry.org/resources/<ctid>"

    @property
    def text(self) -> str:
        """As `ctdl ler check` prints it: the message, the hint after it in parentheses."""
        return f"{self.message} ({self.hint})" if self.hint else self.message


@dataclass
class LinkCheck:
    credential: str
    path: str
    status: str = OK
    ctid: str | None = None
    target_type: str | None = None
    target_url: str | None = None
    target_name: str | None = None
    record_type: str | None = None
    record_name: str | None = None
    problems: list[str] = field(default_factory=list)
    link_warnings: list[LinkWarning] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """The warnings as `ctdl ler check` prints them (hints included)."""
        return [warning.text for warning in self.link_warnings]

    def fail(self, message: str) -> None:
        self.status = FAILED
        self.problems.append(message)

    def warn(self, kind: str, message: str, hint: str = "") -> None:
        if self.status == OK:
            self.status = WARNING
        self.link_warnings.append(LinkWarning(kind, message, hint))

    def to_json(self) -> dict[str, Any]:
        said = asdict(self)
        del said["link_warnings"]
        return {**said, "warnings": self.warnings}  # last, as ever


def check_credential(cred: Credential, resolver: Resolver) -> list[LinkCheck]:
    return [check_link(cred.label, found, resolver) for found in registry_links(cred.document)]


def check_link(label: str, found: FoundLink, resolver: Resolver) -> LinkCheck:
    alignment = found.alignment
    url = alignment.get("targetUrl")
    name = alignment.get("targetName")
    result = LinkCheck(label, found.path, target_type=alignment.get("targetType"),
                       target_url=url if isinstance(url, str) else None,
                       target_name=name if isinstance(name, str) else None)
    result.ctid = _link_ctid(result, alignment)
    if result.ctid is None:
        return result
    try:
        entry = resolver.entry(result.ctid, result.target_url)
    except IndexUnavailable as exc:
        result.fail(f"could not be resolved: {exc}")
        return result
    if entry is None:
        result.fail(f"does not resolve: {result.ctid} is not in {resolver.description}")
        return result
    _compare(result, entry, resolver.record(result.ctid, result.target_url))
    return result


def _link_ctid(result: LinkCheck, alignment: dict[str, Any]) -> str | None:
    code, url = alignment.get("targetCode"), alignment.get("targetUrl")
    in_code = code_ctid(alignment)
    if isinstance(code, str) and in_code is None:
        result.warn(NOT_A_CTID, f"targetCode {code!r} is not a CTID")
    conflict = alignment_conflict(alignment)
    if conflict is not None:
        result.fail(f"targetCode {conflict[0]} does not match the CTID in targetUrl ({conflict[1]})")
        return None
    ctid = in_code or ce_url_ctid(url)
    if ctid is None:
        result.fail("no CTID: neither targetCode nor targetUrl names one" + (
            " (a Credential Finder URL with a Finder-internal number cannot be resolved; give the CTID)"
            if ce_url(url) else ""))
        return None
    _check_url(result, url, ctid)
    return ctid


def _check_url(result: LinkCheck, url: Any, ctid: str) -> None:
    """Another web page is the issuer's choice (a warning); a link that is no web address, or that imitates
    Credential Engine's hosts, misleads whoever follows it (a failure)."""
    why = misleading(url)
    if why:
        result.fail(f"targetUrl {url!r} {why}")
        return
    off = _off_resource_uri(url, ctid)
    if off:
        result.warn(NOT_THE_RESOURCE_URI, f"targetUrl {url!r} is not the registry resource URI of {ctid}: {off}",
                    "`ctdl ler link` writes https://credentialengineregistry.org/resources/<ctid>")


_PRODUCTION_HOST = urlsplit(REGISTRY_BASE).hostname or ""


def _off_resource_uri(url: Any, ctid: str) -> str:
    """How ``url`` differs from the production registry's resource URI of ``ctid`` (ler.md §5.5), or "": the
    one form a consumer can resolve and compare, so a sandbox host, another path, a trailing '/', a query
    or a fragment each get a warning."""
    scheme, host = url_parts(url)
    parts = urlsplit(str(url).strip())
    if host != _PRODUCTION_HOST:
        if is_ce_host(host, ("credentialengineregistry.org",)):
            return f"{host} is a sandbox or test registry, not the production one"
        return f"{host or 'it'} is not the registry"
    if scheme != "https":
        return f"{scheme}, not https"
    if parts.path == f"/resources/{ctid}/":
        return "a trailing '/'"
    if parts.path != f"/resources/{ctid}":
        return f"its path is {parts.path!r}, not '/resources/<ctid>'"
    if parts.query:
        return f"it has a query (?{parts.query})"
    if parts.fragment:
        return f"it has a fragment (#{parts.fragment})"
    return ""


def _compare(result: LinkCheck, entry: Entry, record: dict[str, Any] | None) -> None:
    result.record_type, result.record_name = entry.type, entry.name
    expected = result.target_type
    if expected in CE_TARGET_TYPES and not type_satisfies(entry.type, expected):
        result.fail(f"targetType {expected} but the record is a {entry.type or 'record of unknown class'}")
    ctid_there = record.get("ceterms:ctid") if isinstance(record, dict) else entry.ctid
    if isinstance(ctid_there, str) and ctid_there.lower() != result.ctid:
        result.fail(f"the record answering for {result.ctid} carries ceterms:ctid {ctid_there}")
    if result.target_name and entry.name and normalize_name(result.target_name) != normalize_name(entry.name):
        result.warn(OTHER_NAME, f"targetName {result.target_name!r} differs from the record's name {entry.name!r}")


def type_satisfies(record_type: str, target_type: str) -> bool:
    """Subclasses count: a ``ceterms:AssociateOfAppliedScienceDegree`` is a ``ceterms:Credential``."""
    vocab = vocabulary()
    if target_type == "CTDL":
        return record_type.startswith(("ceterms:", "ceasn:", "asn:"))
    return record_type in vocab.classes and vocab.is_a(record_type, target_type)


def summarise(checks: list[LinkCheck]) -> dict[str, int]:
    return {status: sum(c.status == status for c in checks) for status in (OK, WARNING, FAILED)}
