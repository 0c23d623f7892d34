"""``ctdl ler show``: one readable page about a credential and what its registry links say, for a recruiter.

What the issuer claims (achievement, issuer, dates), whether the signature holds, and for each registry
link what the Credential Registry describes: the credential's CTDL description, owner, status, the
occupations it prepares for and the competencies it requires or teaches. Links are resolved only through
``--registry URL`` or ``--index``; without them (or offline) they are shown as not resolved and the
command still succeeds. The HTML page is self-contained: inline CSS, no scripts, no external requests
(a Content-Security-Policy forbids them), so it can be mailed or archived as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ctdl_tools.ctid import ctid_in_uri, is_ctid, resource_uri
from ctdl_tools.ler.check import Resolver, registry_links, type_satisfies
from ctdl_tools.ler.formats import OB2_ASSERTION, OB2_BADGECLASS, Credential, as_list, is_display_copy
from ctdl_tools.ler.index import IndexUnavailable, text_of
from ctdl_tools.ler.keys import IssuerKey
from ctdl_tools.ler.match import ce_url_ctid, hides_host, misleading, subjects, web_url
from ctdl_tools.ler.outputs import printable
from ctdl_tools.ler.proofs import verify
from ctdl_tools.vocab import vocabulary

_COMPETENCY_PROPERTIES = ("ceterms:requires", "ceterms:recommends", "ceterms:corequisite")


@dataclass
class RecordView:
    ctid: str
    type_label: str
    name: str
    description: str = ""
    owners: list[str] = field(default_factory=list)
    status: str = ""
    webpage: str = ""
    webpage_href: str = ""  # the web page if it is http(s): only those are made clickable
    occupations: list[str] = field(default_factory=list)
    competencies: list[str] = field(default_factory=list)
    framework: str = ""


@dataclass
class LinkView:
    target_name: str
    target_type: str
    ctid: str
    url: str  # the credential's targetUrl, as it says (display only)
    resolved: bool
    reason: str = ""
    record: RecordView | None = None
    href: str = ""  # ``url`` if it is http(s), else "": a javascript: URL is never made clickable
    registry_url: str = ""  # the record's registry URI from the index, never from the credential


@dataclass
class AchievementView:
    name: str
    description: str
    achievement_type: str
    criteria: str
    where: str
    links: list[LinkView] = field(default_factory=list)


@dataclass
class CredentialView:
    title: str
    format: str
    issuer_name: str
    issuer_id: str
    recipient: str
    valid_from: str
    awarded: str
    valid_until: str
    proof_status: str  # "verified" | "unverified" | "failed" | "unsigned"
    proof_detail: str
    display_copy: bool
    resolved_with: str
    achievements: list[AchievementView] = field(default_factory=list)
    # What `ctdl ler verify` warns of besides its verdict: expired, not yet valid, status not checked…
    proof_warnings: tuple[str, ...] = ()

    @property
    def link_count(self) -> int:
        return sum(len(a.links) for a in self.achievements)

    @property
    def resolved_count(self) -> int:
        return sum(link.resolved for a in self.achievements for link in a.links)


# =============================================================================================== view


def build_view(cred: Credential, resolver: Resolver, keys: tuple[IssuerKey, ...] = ()) -> CredentialView:
    document = cred.document
    issuer = document.get("issuer") if cred.kind != OB2_ASSERTION else _ob2_issuer(document)
    if cred.kind == OB2_BADGECLASS:
        issuer = document.get("issuer")
    status, detail, warnings = _proof(cred, keys)
    view = CredentialView(
        title=text_of(document.get("name")) or _first_name(cred) or "(untitled credential)",
        format=cred.format, issuer_name=_name(issuer), issuer_id=_id(issuer), recipient=_recipient(document),
        valid_from=_text(document.get("validFrom") or document.get("issuanceDate") or document.get("issuedOn")),
        awarded=_text(document.get("awardedDate")),
        valid_until=_text(document.get("validUntil") or document.get("expirationDate") or document.get("expires")),
        proof_status=status, proof_detail=detail, proof_warnings=warnings, display_copy=is_display_copy(document),
        resolved_with=resolver.description)
    view.achievements = list(_achievements(cred, resolver))
    return view


def _ob2_issuer(assertion: dict[str, Any]) -> Any:
    badge = assertion.get("badge")
    return badge.get("issuer") if isinstance(badge, dict) else None


def _first_name(cred: Credential) -> str:
    found = subjects(cred.document, cred.kind)
    return found[0].name if found else ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _name(issuer: Any) -> str:
    return text_of(issuer.get("name")) if isinstance(issuer, dict) else ""


def _id(issuer: Any) -> str:
    if isinstance(issuer, dict):
        return _text(issuer.get("id"))
    return _text(issuer)


def _recipient(document: dict[str, Any]) -> str:
    subject = document.get("credentialSubject")
    if isinstance(subject, dict):
        return _text(subject.get("id")) or _text(subject.get("name"))
    recipient = document.get("recipient")
    if isinstance(recipient, dict):
        hashed = recipient.get("hashed")
        return f"{recipient.get('type', 'identity')} (hashed)" if hashed else _text(recipient.get("identity"))
    return ""


def _proof(cred: Credential, keys: tuple[IssuerKey, ...]) -> tuple[str, str, tuple[str, ...]]:
    result = verify(cred.token if cred.carrier == "jws" else cred.document, keys=[k.public_only() for k in keys])
    status, reason = result.verdict()  # the same verdict and warnings as `ctdl ler verify`
    if status == "verified":
        count = len(result.nested)
        nested = f"; {count} embedded proof{'s' if count > 1 else ''} also verified" if count else ""
        return "verified", f"{result.suite} signature by {result.verification_method}{nested}", result.warnings
    return status, reason, result.warnings


def _achievements(cred: Credential, resolver: Resolver) -> list[AchievementView]:
    views = []
    for subject in subjects(cred.document, cred.kind):
        if subject.achievement is not subject.node and cred.kind not in (OB2_ASSERTION, OB2_BADGECLASS):
            continue  # result descriptions are shown through their achievement's links
        node = subject.node
        where = "embedded credential" if subject.nested is not None else "this credential"
        links = [_link_view(found.alignment, resolver) for found in registry_links(node)]
        criteria = node.get("criteria")
        views.append(AchievementView(
            subject.label, text_of(node.get("description")), _text(node.get("achievementType")),
            text_of(criteria.get("narrative")) if isinstance(criteria, dict) else _text(criteria), where, links))
    return views


def _link_view(alignment: dict[str, Any], resolver: Resolver) -> LinkView:
    code, url = alignment.get("targetCode"), _text(alignment.get("targetUrl"))
    code_ctid = code.strip().lower() if isinstance(code, str) and is_ctid(code.strip().lower()) else None
    ctid = code_ctid or ce_url_ctid(url) or ctid_in_uri(url) or ""
    # The credential's own address is clickable only when it is a Credential Engine address that hides no
    # other host: a look-alike shown as a "registry link" would send the reader wherever the issuer chose.
    safe = web_url(url) if ce_url_ctid(url) and not hides_host(url) else ""
    view = LinkView(_text(alignment.get("targetName")), _text(alignment.get("targetType")), ctid, url, False,
                    href=safe)
    if not ctid:
        view.reason = "no CTID in this link"
        return view
    why = misleading(url)
    if why:  # `check` fails such a link: the reader is not told it leads to the registry record
        view.reason = f"its targetUrl {why}"
        return view
    try:
        entry = resolver.entry(ctid, url)
        record = resolver.record(ctid, url) if entry else None
    except IndexUnavailable as exc:
        view.reason = str(exc)
        return view
    if entry is None or record is None:
        view.reason = f"not found in {resolver.description}"
        return view
    view.resolved, view.record = True, _record_view(ctid, record, resolver)
    view.registry_url = web_url(entry.uri) or resource_uri(ctid)
    notes = []
    if view.target_type and not type_satisfies(entry.type, view.target_type) and view.target_type != "CTDL":
        notes.append(f"the link claims {view.target_type}, the registry says {entry.type}")
    if url and url != entry.uri and ce_url_ctid(url) != ctid:
        notes.append(f"the credential's own link goes to {url}, not to this registry record")
    view.reason = "; ".join(notes)
    return view


def _record_view(ctid: str, record: dict[str, Any], resolver: Resolver) -> RecordView:
    kind = record.get("@type")
    kind = kind[0] if isinstance(kind, list) and kind else kind if isinstance(kind, str) else ""
    view = RecordView(ctid, _label(kind), _record_name(record),
                      text_of(record.get("ceterms:description") or record.get("ceasn:description")
                              or record.get("ceasn:competencyText")))
    owners = _ctids(record.get("ceterms:ownedBy") or record.get("ceasn:publisher"))
    view.owners = [resolver.name_of(c) or c for c in owners]
    status = record.get("ceterms:credentialStatusType") or record.get("ceterms:lifeCycleStatusType")
    view.status = text_of(_target_name(status))
    view.webpage = _text(record.get("ceterms:subjectWebpage"))
    view.webpage_href = web_url(view.webpage)
    occupations = as_list(record.get("ceterms:occupationType"))
    view.occupations = [_coded(item) for item in occupations if isinstance(item, dict)]
    view.competencies = _competencies(record)
    framework = next(iter(_ctids(record.get("ceasn:isPartOf"))), None)
    view.framework = (resolver.name_of(framework) or framework) if framework else ""
    return view


def _record_name(record: dict[str, Any]) -> str:
    for key in ("ceterms:name", "ceasn:name", "ceasn:competencyLabel", "ceasn:competencyText"):
        if text_of(record.get(key)):
            return text_of(record.get(key))
    return ""


def _ctids(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [c for c in (ctid_in_uri(v) for v in items if isinstance(v, str)) if c]


def _target_name(value: Any) -> Any:
    first = value[0] if isinstance(value, list) and value else value
    return first.get("ceterms:targetNodeName") if isinstance(first, dict) else None


def _coded(item: dict[str, Any]) -> str:
    name, code = text_of(item.get("ceterms:targetNodeName")), _text(item.get("ceterms:codedNotation"))
    return f"{name} ({code})" if code and name else name or code


def _competencies(record: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for prop in _COMPETENCY_PROPERTIES:
        for condition in as_list(record.get(prop)):
            if isinstance(condition, dict):
                targets = as_list(condition.get("ceterms:targetCompetency"))
                found += [text_of(c.get("ceterms:targetNodeName")) for c in targets if isinstance(c, dict)]
    found += [text_of(c.get("ceterms:targetNodeName")) for c in as_list(record.get("ceterms:teaches"))
              if isinstance(c, dict)]
    return list(dict.fromkeys(f for f in found if f))


def _label(kind: str) -> str:
    return vocabulary().label(kind) if kind else "Record"


# ============================================================================================ outputs


def terminal(view: CredentialView) -> str:
    lines = [view.title, "=" * min(len(view.title), 78), f"Format:     {view.format}",
             f"Issuer:     {view.issuer_name or '?'} ({view.issuer_id or 'no id'})"]
    dates = (("Recipient:", view.recipient), ("Valid from:", view.valid_from), ("Awarded:", view.awarded),
             ("Valid until:", view.valid_until))
    lines += [f"{label + ' ':<12}{value}" for label, value in dates if value]  # "Valid until:" fills all 12
    lines.append(f"Proof:      {view.proof_status.upper()} — {view.proof_detail}")
    lines += [f"Warning:    {warning}" for warning in view.proof_warnings]
    if view.display_copy:
        lines.append("WARNING:    unsigned display copy — not a verifiable credential")
    lines.append(f"Links:      {view.resolved_count} of {view.link_count} resolved via {view.resolved_with}")
    for achievement in view.achievements:
        lines += _terminal_achievement(achievement)
    return "\n".join(printable(line) for line in lines) + "\n"


def _terminal_achievement(achievement: AchievementView) -> list[str]:
    kind = f" [{achievement.achievement_type}]" if achievement.achievement_type else ""
    where = f" ({achievement.where})" if achievement.where != "this credential" else ""
    lines = ["", f"* {achievement.name}{kind}{where}"]
    if not achievement.links:
        lines.append("    no registry links")
    for link in achievement.links:
        head = f"    -> {link.target_name or link.ctid} {link.ctid} [{link.target_type or 'alignment'}]"
        if not link.resolved or link.record is None:
            lines.append(f"{head}: NOT RESOLVED ({link.reason})")
            continue
        record = link.record
        lines.append(f"{head}: {record.type_label} \"{record.name}\"" + (f" — {link.reason}" if link.reason else ""))
        details = (("owner", ", ".join(record.owners)), ("status", record.status), ("framework", record.framework),
                   ("occupations", "; ".join(record.occupations)), ("competencies", _few(record.competencies)),
                   ("web page", record.webpage))
        lines += [f"       {label}: {value}" for label, value in details if value]
    return lines


def _few(items: list[str], limit: int = 8) -> str:
    """A terminal line, not a screenful: a record may require a whole framework's competencies."""
    shown = "; ".join(items[:limit])
    return shown + (f"; … and {len(items) - limit} more" if len(items) > limit else "")


@cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(loader=PackageLoader("ctdl_tools.ler", "templates"), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def html(view: CredentialView) -> str:
    return _environment().get_template("credential.html").render(view=view)
