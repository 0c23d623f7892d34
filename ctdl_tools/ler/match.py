"""Which registry record does an achievement describe? Evidence first, names last, and never a guess.

For every achievement-like node of a credential (a :class:`Subject`: the OB 3.0 achievement, its result
descriptions and results, each CLR achievement and nested credential, an OB 2.0 BadgeClass) the evidence
is tried in this order, and the first kind that says anything decides:

1. the ``--map`` file (CSV ``achievement,ctid``: the achievement's id or its exact name);
2. a CTID already in one of its alignments (``targetCode``, or a registry / Credential Finder URL);
3. an ``otherIdentifier`` entry holding a CTID or registry URI;
4. its ``id``, ``criteria.id`` or ``humanCode`` containing a CTID or registry URI;
5. the exact normalised name plus the issuer: the issuer's (or achievement creator's) name equals an
   owner's name, or its id holds an owner's CTID.

Achievements of type ``Competency``, result descriptions and results match ``ceasn:Competency`` records;
the others match credentials, learning opportunities and assessments. Two candidates is *ambiguous* and
none is *missing*; both are reported with what was tried, and nothing is linked.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ctdl_tools.ctid import ctid_in_uri, is_ctid
from ctdl_tools.errors import InputError, Where
from ctdl_tools.jsonio import read_text
from ctdl_tools.ler.formats import ACHIEVEMENT, CLR2, OB2_ASSERTION, OB2_BADGECLASS, OB3, as_list
from ctdl_tools.ler.index import Entry, Index, normalize_name, text_of
from ctdl_tools.ler.jws import parse_jws
from ctdl_tools.vocab import vocabulary

CREDENTIAL, COMPETENCY = "credential", "competency"
MATCHED, AMBIGUOUS, MISSING = "matched", "ambiguous", "missing"
MAP_REFUSED = "map row refused"  # an explicit --map row that cannot be carried out: a failed record (exit 1)
CE_HOSTS = ("credentialengineregistry.org", "credentialfinder.org", "credentialengine.org")
_CE_STEMS = ("credentialengine", "credentialfinder")
_CTID_ANYWHERE = re.compile(r"ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Issuer:
    id: str | None
    name: str | None


@dataclass
class Subject:
    """A node that can carry alignments, and what is known about it."""

    path: Path_  # inside the credential document
    node: dict[str, Any]
    kind: str  # CREDENTIAL | COMPETENCY
    issuers: tuple[Issuer, ...]
    ob2: bool = False
    by_name: bool = True  # results have no name of their own
    nested: int | None = None  # CLR: index in credentialSubject.verifiableCredential
    editable: bool = True  # False inside a nested JWS: its bytes are signed as they are
    achievement: dict[str, Any] | None = None  # the achievement it belongs to (itself for an achievement)

    @property
    def name(self) -> str:
        return text_of(self.node.get("name")) or text_of(self.node.get("targetName"))

    @property
    def id(self) -> str | None:
        ident = self.node.get("id")
        return ident if isinstance(ident, str) else None

    @property
    def label(self) -> str:
        return self.name or self.id or "(unnamed)"


@dataclass(frozen=True)
class Link:
    entry: Entry
    source: str  # "map" | "alignment" | "otherIdentifier" | "id" | "criteria.id" | "humanCode" | "name+issuer"


@dataclass
class Match:
    subject: Subject
    status: str  # MATCHED | AMBIGUOUS | MISSING
    links: list[Link] = field(default_factory=list)
    message: str = ""
    candidates: list[Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ============================================================================================ mapping


@dataclass(frozen=True)
class MapRow:
    ctid: str
    row: int  # in the CSV (the header is row 1), for messages


@dataclass
class Mapping:
    """``--map FILE``: achievement id or exact name -> the one CTID it is linked to."""

    rows: dict[str, MapRow]
    source: str

    def lookup(self, subject: Subject) -> list[MapRow]:
        """The rows naming the subject (by id, then by name), each CTID once."""
        found = [self.rows[key] for key in dict.fromkeys((subject.id, subject.name)) if key and key in self.rows]
        return [row for i, row in enumerate(found) if row.ctid not in {r.ctid for r in found[:i]}]


def load_mapping(path: Path) -> Mapping:
    text = read_text(path)
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "achievement" not in fields or "ctid" not in fields:
        raise InputError(Where(str(path)), "a mapping file needs the columns 'achievement' and 'ctid'")
    rows: dict[str, MapRow] = {}
    for number, row in enumerate(reader, 2):
        if None in row:  # csv puts surplus fields under the key None
            raise InputError(Where(str(path), row=number), "more fields than columns: quote an achievement name "
                                                          'that contains a comma ("Welding Technology, A.A.S.")')
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not clean.get("achievement") and not clean.get("ctid"):
            continue
        ctid = clean.get("ctid", "").lower()
        if not clean.get("achievement") or not is_ctid(ctid):
            raise InputError(Where(str(path), row=number),
                             f"needs an achievement and a CTID (ce- + UUID), got {clean.get('ctid')!r}")
        first = rows.setdefault(clean["achievement"], MapRow(ctid, number))
        if first.ctid != ctid:  # which of the two the user meant is theirs to say
            raise InputError(Where(str(path), row=number),
                             f"maps {clean['achievement']!r} to {ctid}, but row {first.row} maps it to {first.ctid}: "
                             "give one CTID per achievement")
    return Mapping(rows, str(path))


# =========================================================================================== subjects


def issuer_of(value: Any) -> Issuer | None:
    if isinstance(value, str):
        return Issuer(value, None)
    if isinstance(value, dict):
        ident = value.get("id")
        return Issuer(ident if isinstance(ident, str) else None, text_of(value.get("name")) or None)
    return None


def subjects(document: dict[str, Any], kind: str) -> list[Subject]:
    """Every node of ``document`` whose alignments can link it to the registry."""
    if kind == OB3:
        return list(_ob3_subjects(document, ()))
    if kind == CLR2:
        return list(_clr_subjects(document))
    if kind == OB2_BADGECLASS:
        return [_ob2_subject(document, ())]
    if kind == OB2_ASSERTION:
        badge = document.get("badge")
        return [_ob2_subject(badge, ("badge",))] if isinstance(badge, dict) else []
    if kind == ACHIEVEMENT:
        return list(_achievement_subjects(document, (), _issuers(document.get("creator"))))
    return []


def _issuers(*values: Any) -> tuple[Issuer, ...]:
    return tuple(i for i in (issuer_of(v) for v in values) if i is not None)


def _ob2_subject(badge: dict[str, Any], path: Path_) -> Subject:
    return Subject(path, badge, CREDENTIAL, _issuers(badge.get("issuer")), ob2=True)


def _items(node: dict[str, Any], key: str, path: Path_) -> Iterator[tuple[Path_, dict[str, Any]]]:
    value = node.get(key)
    if isinstance(value, dict):
        yield (*path, key), value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield (*path, key, index), item


def _ob3_subjects(credential: dict[str, Any], prefix: Path_, nested: int | None = None,
                  editable: bool = True) -> Iterator[Subject]:
    issuer = credential.get("issuer")
    for subject_path, subject in _items(credential, "credentialSubject", prefix):
        for path, achievement in _items(subject, "achievement", subject_path):
            issuers = _issuers(achievement.get("creator"), issuer)
            for found in _achievement_subjects(achievement, path, issuers):
                found.nested, found.editable = nested, editable
                yield found
        achievement = subject.get("achievement")
        for path, result in _items(subject, "result", subject_path):
            if result.get("alignment"):
                yield Subject(path, result, COMPETENCY, _issuers(issuer), by_name=False, nested=nested,
                              editable=editable, achievement=achievement if isinstance(achievement, dict) else None)


def _achievement_subjects(achievement: dict[str, Any], path: Path_, issuers: tuple[Issuer, ...]) -> Iterator[Subject]:
    kind = COMPETENCY if achievement.get("achievementType") == "Competency" else CREDENTIAL
    yield Subject(path, achievement, kind, issuers, achievement=achievement)
    for rd_path, description in _items(achievement, "resultDescription", path):
        yield Subject(rd_path, description, COMPETENCY, issuers, achievement=achievement)


def _clr_subjects(clr: dict[str, Any]) -> Iterator[Subject]:
    issuer = clr.get("issuer")
    for subject_path, subject in _items(clr, "credentialSubject", ()):
        listed = isinstance(subject.get("verifiableCredential"), list)
        for index, nested in enumerate(as_list(subject.get("verifiableCredential"))):
            path = (*subject_path, "verifiableCredential", index) if listed else (*subject_path, "verifiableCredential")
            if isinstance(nested, dict):
                yield from _ob3_subjects(nested, path, index)
            elif isinstance(nested, str):
                yield from _ob3_subjects(_jwt_credential(nested), path, index, editable=False)
        for path, achievement in _items(subject, "achievement", subject_path):
            yield from _achievement_subjects(achievement, path, _issuers(achievement.get("creator"), issuer))


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def not_objects(document: dict[str, Any], kind: str) -> list[tuple[Path_, Any, str]]:
    """Achievements and result descriptions that are not JSON objects: (path, value, why). They carry no
    alignment, so nothing can be linked; `subjects` passes them over, and this says why."""
    found: list[tuple[Path_, Any, str]] = []

    def entries(node: dict[str, Any], key: str, path: Path_) -> Iterator[tuple[Path_, Any]]:
        value = node.get(key)
        if isinstance(value, list):
            yield from (((*path, key, i), item) for i, item in enumerate(value))
        elif value is not None:
            yield (*path, key), value

    def achievement(path: Path_, value: Any) -> None:
        if not isinstance(value, dict):
            found.append((path, value, f"an achievement must be an object, not a {json_type(value)}: nothing to link"))
            return
        for rd_path, item in entries(value, "resultDescription", path):
            if not isinstance(item, dict):
                found.append((rd_path, item, f"a result description must be an object, not a {json_type(item)}: "
                                             "nothing to link"))

    def credential(node: dict[str, Any], prefix: Path_) -> None:
        for subject_path, subject in _items(node, "credentialSubject", prefix):
            for path, value in entries(subject, "achievement", subject_path):
                achievement(path, value)

    if kind == OB3:
        credential(document, ())
    elif kind == CLR2:
        for subject_path, subject in _items(document, "credentialSubject", ()):
            listed = isinstance(subject.get("verifiableCredential"), list)
            for index, nested in enumerate(as_list(subject.get("verifiableCredential"))):
                if isinstance(nested, dict):
                    credential(nested, (*subject_path, "verifiableCredential", *((index,) if listed else ())))
            for path, value in entries(subject, "achievement", subject_path):
                achievement(path, value)
    elif kind == ACHIEVEMENT:
        achievement((), document)
    return found


def _jwt_credential(token: str) -> dict[str, Any]:
    """The credential inside a nested VC-JWT (its proof is checked by ``verify``, not here)."""
    try:
        payload = parse_jws(token).payload_json()
    except ValueError:
        return {}
    return payload["vc"] if isinstance(payload.get("vc"), dict) else payload


# ============================================================================================ evidence


def ctid_in_text(text: Any) -> str | None:
    """A CTID anywhere in an identifier string (a bare CTID, a registry URI, ``urn:…:ce-…``)."""
    if not isinstance(text, str):
        return None
    match = _CTID_ANYWHERE.search(text)
    return match.group(0).lower() if match else None


def url_parts(url: Any) -> tuple[str, str]:
    """(scheme, host), lower-case, of a URL; ("", "") for what is not one (a malformed URL included)."""
    if not isinstance(url, str):
        return "", ""
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower(), (parts.hostname or "").lower().rstrip(".")  # "org." is the same host
    except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 literal)
        return "", ""


def hides_host(url: Any) -> bool:
    """A URL whose authority holds a user-info part or a backslash (``https://credentialengineregistry.org@
    evil.example/``): what a reader takes for the host is not where it leads (or not the same in every
    client)."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    authority = url.strip()[len(parts.scheme) + 3:].split("/", 1)[0] if "://" in url else parts.netloc
    return parts.username is not None or "@" in authority or "\\" in authority


def web_url(url: Any) -> str:
    """``url`` if it is an http(s) URL with a host (safe to make clickable), else ""."""
    scheme, host = url_parts(url)
    return url.strip() if scheme in ("http", "https") and host else ""  # type: ignore[union-attr]


def is_ce_host(host: str, names: tuple[str, ...] = CE_HOSTS) -> bool:
    """One of Credential Engine's hosts or a subdomain of one (``sandbox.…``); a bare suffix match would
    take ``evilcredentialengineregistry.org`` for the registry."""
    return any(host == name or host.endswith("." + name) for name in names)


def looks_like_ce_host(host: str) -> bool:
    """A host that imitates Credential Engine's without being one (``credentialengineregistry.org.evil.com``)."""
    return not is_ce_host(host) and any(stem in host for stem in _CE_STEMS)


def ce_url(url: Any) -> bool:
    """A URL on one of Credential Engine's hosts (the registry, the Finder)."""
    return is_ce_host(url_parts(url)[1])


def misleading(url: Any) -> str | None:
    """Why a link misleads whoever follows it (no web address, a hidden host, a host imitating Credential
    Engine's), or None: `check` fails such links and `link` replaces them."""
    scheme, host = url_parts(url)
    if isinstance(url, str) and url.strip() and scheme not in ("http", "https"):
        return "is not a web address (http or https)"
    if hides_host(url):
        return "hides its host behind a user name part or a backslash: it does not lead where it seems to"
    if looks_like_ce_host(host):
        return f"imitates a Credential Engine address: its host {host} is not Credential Engine's"
    return None


def ce_url_ctid(url: Any) -> str | None:
    """The CTID in a registry or Credential Finder URL (any of their URL forms); None for other hosts."""
    scheme, host = url_parts(url)
    if scheme not in ("http", "https") or not is_ce_host(host):
        return None
    return ctid_in_uri(url) or ctid_in_text(url)


CE_TARGET_TYPES = ("ceterms:Credential", "ceasn:Competency", "CTDL")  # targetTypes of registry links


def is_registry_link(node: dict[str, Any]) -> bool:
    """An alignment that is a Credential Registry link, by its targetType, targetCode or targetUrl (what
    `ctdl ler check` checks and `link` must never write so that check fails)."""
    if "targetUrl" not in node and "targetCode" not in node:
        return False
    return node.get("targetType") in CE_TARGET_TYPES or code_ctid(node) is not None or ce_url(node.get("targetUrl"))


def code_ctid(alignment: Any) -> str | None:
    """The CTID an alignment's ``targetCode`` holds, or None."""
    code = alignment.get("targetCode") if isinstance(alignment, dict) else None
    return code.strip().lower() if isinstance(code, str) and is_ctid(code.strip().lower()) else None


def alignment_ctid(alignment: Any) -> str | None:
    if not isinstance(alignment, dict):
        return None
    return code_ctid(alignment) or ce_url_ctid(alignment.get("targetUrl"))


def alignment_conflict(alignment: Any) -> tuple[str, str] | None:
    """(targetCode CTID, targetUrl CTID) when an alignment names two different registry records: `check`
    fails it, and neither CTID can be taken as the issuer's meaning."""
    code = code_ctid(alignment)
    url = ce_url_ctid(alignment.get("targetUrl")) if code else None
    return (code, url) if code and url and url != code else None


def kind_allows(kind: str, entry: Entry) -> bool:
    """Can a subject of ``kind`` be this record? (name matching only; explicit evidence is taken as is)"""
    if kind == COMPETENCY:
        return entry.type == "ceasn:Competency"
    vocab = vocabulary()
    return entry.type in vocab.classes and (vocab.is_a(entry.type, "ceterms:Credential")
                                            or vocab.is_a(entry.type, "ceterms:LearningOpportunityProfile")
                                            or vocab.is_a(entry.type, "ceterms:AssessmentProfile"))


def same_family(kind: str, entry: Entry) -> bool:
    return (entry.type == "ceasn:Competency") == (kind == COMPETENCY)


# ============================================================================================ matching


def match_subject(subject: Subject, index: Index, mapping: Mapping | None = None) -> Match:
    """Raises :class:`IndexUnavailable` when a registry URL index cannot be asked: "missing" would be a lie."""
    return _match(subject, index, mapping)


def _match(subject: Subject, index: Index, mapping: Mapping | None) -> Match:
    mapped = mapping.lookup(subject) if mapping else []
    if mapped:
        return _mapped(subject, index, mapped, mapping.source)  # type: ignore[union-attr]
    found = _alignment_links(subject, index)
    if any(same_family(subject.kind, link.entry) for link in found):
        return Match(subject, MATCHED, found)
    for gather in (_identifier_evidence, _id_evidence):
        evidence = gather(subject)
        if evidence:
            result = _explicit(subject, index, evidence, evidence[0][1])
            result.links[:0] = found
            return result
    if not subject.by_name:
        return Match(subject, MATCHED if found else MISSING, found, "no CTID in its alignments")
    result = _by_name(subject, index)
    result.links[:0] = found
    return result


def _alignment_links(subject: Subject, index: Index) -> list[Link]:
    links, seen = [], set()
    # An alignment whose targetCode and targetUrl name different CTIDs never gets here: link refuses the
    # credential first (link._alignment_problems).
    for alignment in as_list(subject.node.get("alignment")):
        ctid = alignment_ctid(alignment)
        if ctid is None or ctid in seen:
            continue
        seen.add(ctid)
        entry = index.get(ctid)
        if entry is not None:  # one the index lacks is left as it is (link reports what check says of it)
            links.append(Link(entry, "alignment"))
    return links


def _identifier_evidence(subject: Subject) -> list[tuple[str, str]]:
    found = []
    for entry in as_list(subject.node.get("otherIdentifier")):
        ctid = ctid_in_text(entry.get("identifier")) if isinstance(entry, dict) else None
        if ctid:
            found.append((ctid, "otherIdentifier"))
    return found


def _id_evidence(subject: Subject) -> list[tuple[str, str]]:
    criteria = subject.node.get("criteria")
    sources = (("id", subject.node.get("id")), ("humanCode", subject.node.get("humanCode")),
               ("criteria.id", criteria.get("id") if isinstance(criteria, dict) else None))
    found = []
    for source, value in sources:
        ctid = ctid_in_text(value)
        if ctid and ctid not in {c for c, _ in found}:
            found.append((ctid, source))
    return found


def _mapped(subject: Subject, index: Index, rows: list[MapRow], source: str) -> Match:
    """An explicit --map instruction: carried out as given, or refused naming its row (never a fallback)."""
    where = " and ".join(f"row {row.row}" for row in rows)
    if len(rows) > 1:  # one row by its id, another by its name
        return Match(subject, MAP_REFUSED, message=f"--map {source} {where} map it to "
                                                   f"{' and '.join(r.ctid for r in rows)}: give one CTID")
    entry = index.get(rows[0].ctid)
    if entry is None:
        return Match(subject, MAP_REFUSED, message=f"--map {source} {where} names {rows[0].ctid}, which is not in "
                                                   f"the {index.description}")
    if not map_target(entry):
        return Match(subject, MAP_REFUSED, message=f"--map {source} {where} names {rows[0].ctid}, a "
                                                   f"{entry.type or 'record of unknown class'}: an achievement is "
                                                   "linked to a credential, learning opportunity, assessment or "
                                                   "competency")
    return Match(subject, MATCHED, [Link(entry, "map")])


def map_target(entry: Entry) -> bool:
    """What an achievement may be linked to: a credential, learning opportunity, assessment or competency (not
    an organization, a framework…)."""
    return entry.type == "ceasn:Competency" or kind_allows(CREDENTIAL, entry)


def _explicit(subject: Subject, index: Index, evidence: list[tuple[str, str]], what: str) -> Match:
    links, absent = [], []
    for ctid, source in evidence:
        entry = index.get(ctid)
        if entry is None:
            absent.append(ctid)
        else:
            links.append(Link(entry, source))
    if absent:  # an explicit CTID that is not there: say so, never fall back to a name
        return Match(subject, MISSING, [], f"{what} names {', '.join(absent)}, not in the {index.description}")
    return Match(subject, MATCHED, links)


def _by_name(subject: Subject, index: Index) -> Match:
    if not index.lists_names:
        return Match(subject, MISSING, message=f"no CTID evidence, and the {index.description} cannot be searched "
                                               "by name: use --map FILE or a directory/journal --index")
    name = normalize_name(subject.name)
    if not name:
        return Match(subject, MISSING, message="no name and no CTID evidence")
    named = [e for e in index.named(name) if kind_allows(subject.kind, e)]
    owned = [e for e in named if _issued_by_owner(subject.issuers, e)]
    if len(owned) == 1:
        return Match(subject, MATCHED, [Link(owned[0], "name+issuer")])
    if len(owned) > 1:
        return Match(subject, AMBIGUOUS, message=f"{len(owned)} records named {subject.name!r} owned by the issuer",
                     candidates=owned)
    what = "competency" if subject.kind == COMPETENCY else "credential, learning opportunity or assessment"
    if named:
        issuers = ", ".join(i.name or i.id or "?" for i in subject.issuers) or "(none given)"
        owners = "; ".join(f"{e.ctid} owned by {', '.join(e.owner_names or e.owners) or '?'}" for e in named)
        return Match(subject, MISSING, message=f"{what} named {subject.name!r} exists ({owners}) but not owned by "
                                               f"the issuer {issuers}", candidates=named)
    return Match(subject, MISSING, message=f"no {what} named {subject.name!r} in the {index.description}")


def _issued_by_owner(issuers: tuple[Issuer, ...], entry: Entry) -> bool:
    owner_names = {normalize_name(n) for n in entry.owner_names}
    for issuer in issuers:
        if issuer.name and normalize_name(issuer.name) in owner_names:
            return True
        if issuer.id and ctid_in_text(issuer.id) in entry.owners:
            return True
    return False

