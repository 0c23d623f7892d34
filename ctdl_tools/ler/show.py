"""``ctdl ler show``: one readable page about a credential and what its registry links say, for a recruiter.

What the issuer claims (achievement, issuer, dates, the learner's results), whether the signature holds,
and for each registry link what the Credential Registry describes: the credential's CTDL description,
owner, status, the occupations it prepares for and the competencies it requires or teaches. Links are
resolved only through ``--registry URL`` or ``--index``; without them (or offline) they are shown as not
resolved and the command still succeeds. The HTML page is self-contained: inline CSS, no scripts, no
external requests (a Content-Security-Policy forbids them), so it can be mailed or archived as is; and it
is the same bytes for the same input (no locale, no clock in what it prints).

The page shows text from the credential and the registry, which anyone can write: a bidi control that
would reorder letters is shown as its escape (``\\u202e``, :func:`ctdl_tools.textchars.page_text` as the
template's ``finalize``), and every element holding such a value is its own bidi island (``dir="auto"``,
with ``lang`` where the data says the language).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from ctdl_tools.build.languages import is_language_tag
from ctdl_tools.ctid import ctid_in_uri, is_ctid, resource_uri
from ctdl_tools.ler.check import (
    NOT_THE_RESOURCE_URI,
    FoundLink,
    LinkWarning,
    Resolver,
    check_link,
    registry_links,
    type_satisfies,
)
from ctdl_tools.ler.formats import CLR2, OB2_ASSERTION, OB2_BADGECLASS, Credential, as_list, is_display_copy
from ctdl_tools.ler.index import JOURNAL, LANGUAGES, IndexUnavailable, RegistryIndex, text_of
from ctdl_tools.ler.jws import parse_jws
from ctdl_tools.ler.keys import IssuerKey
from ctdl_tools.ler.link import same_achievement
from ctdl_tools.ler.match import ce_url_ctid, hides_host, misleading, subjects, web_url
from ctdl_tools.ler.outputs import printable
from ctdl_tools.ler.proofs import VerifyResult, verify
from ctdl_tools.vocab import vocabulary

_COMPETENCY_PROPERTIES = ("ceterms:requires", "ceterms:recommends", "ceterms:corequisite")

# The OB 3.0 AchievementType enumeration (§B.3.1) in words; an extension term (``ext:…``) or anything else
# is shown as written.
ACHIEVEMENT_TYPES = {
    "Achievement": "Achievement", "ApprenticeshipCertificate": "Apprenticeship certificate",
    "Assessment": "Assessment", "Assignment": "Assignment", "AssociateDegree": "Associate degree",
    "Award": "Award", "Badge": "Badge", "BachelorDegree": "Bachelor's degree", "Certificate": "Certificate",
    "CertificateOfCompletion": "Certificate of completion", "Certification": "Certification",
    "CommunityService": "Community service", "Competency": "Competency", "Course": "Course",
    "CoCurricular": "Co-curricular activity", "Degree": "Degree", "Diploma": "Diploma",
    "DoctoralDegree": "Doctoral degree", "Fieldwork": "Fieldwork",
    "GeneralEducationDevelopment": "General Education Development (GED)",
    "JourneymanCertificate": "Journeyman certificate", "LearningProgram": "Learning program",
    "License": "License", "Membership": "Membership", "ProfessionalDoctorate": "Professional doctorate",
    "QualityAssuranceCredential": "Quality assurance credential", "MasterCertificate": "Master certificate",
    "MasterDegree": "Master's degree", "MicroCredential": "Micro-credential",
    "ResearchDoctorate": "Research doctorate", "SecondarySchoolDiploma": "Secondary school diploma",
}
# The OB 3.0 ResultStatusType enumeration in words.
RESULT_STATUSES = {
    "Completed": "Completed", "Enrolled": "Enrolled", "Failed": "Failed", "InProgress": "In progress",
    "OnHold": "On hold", "Provisional": "Provisional", "Withdrew": "Withdrew",
}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
# An HTML "valid date string" or "valid (global or local) date and time string": what <time datetime> takes.
_HTML_DATETIME = re.compile(r"\d{4,}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?(?:Z|[+-]\d\d:?\d\d)?)?")


class Text(str):
    """A text from the data, with its language and direction when the data says them: a VC 2.0 language
    value object (``@language``, ``@direction``), a CTDL language map's key, an OB 3.0 ``inLanguage``."""

    lang: str
    direction: str

    def __new__(cls, text: str = "", lang: str = "", direction: str = "") -> Text:
        made = super().__new__(cls, text)
        made.lang = lang if is_language_tag(lang) else ""
        made.direction = direction if direction in ("ltr", "rtl") else ""
        return made


@dataclass
class RecordView:
    ctid: str
    type_label: str
    name: Text
    description: Text = field(default_factory=Text)
    owners: list[str] = field(default_factory=list)
    status: Text = field(default_factory=Text)
    webpage: str = ""
    webpage_href: str = ""  # the web page if it is http(s): only those are made clickable
    occupations: list[Text] = field(default_factory=list)
    competencies: list[Text] = field(default_factory=list)
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
    registry_url: str = ""  # where the record was resolved (never taken from the credential)
    # what `ctdl ler check` warns of this link: the terminal prints its text, the page its message (no CLI hint)
    warnings: list[LinkWarning] = field(default_factory=list)
    given_by: str = ""  # a CLR's own copy of an embedded credential's achievement: the CLR issuer added it


@dataclass
class ResultView:
    """One of the learner's results (OB 3.0 ``credentialSubject.result[]``)."""

    name: Text  # its result description's name ("" when none is found)
    status: str = ""  # in words
    value: Text = field(default_factory=Text)
    level: Text = field(default_factory=Text)  # the achieved rubric level, by name
    links: list[LinkView] = field(default_factory=list)


@dataclass
class EmbeddedView:
    """An embedded credential of a CLR: its own issuer, dates and signature."""

    path: str  # "$.credentialSubject.verifiableCredential[1]"
    name: Text
    issuer_name: Text
    issuer_id: str
    valid_from: str = ""
    awarded: str = ""
    valid_until: str = ""
    proof_status: str = "unsigned"  # as CredentialView.proof_status
    proof_detail: str = ""
    warnings: tuple[str, ...] = ()
    expired: str = ""  # the end of its validity when verify says it is past, as written
    not_yet_valid: str = ""


@dataclass
class AchievementView:
    name: Text
    description: Text
    achievement_type: str
    criteria: Text
    where: str
    links: list[LinkView] = field(default_factory=list)
    results: list[ResultView] = field(default_factory=list)
    credential: EmbeddedView | None = None  # the embedded credential that awards it
    listed_by: str = ""  # also in the CLR's own achievement list, which this issuer signed
    listing_differs: list[tuple[str, Text]] = field(default_factory=list)  # what that listing says otherwise

    @property
    def type_label(self) -> str:
        return ACHIEVEMENT_TYPES.get(self.achievement_type, self.achievement_type)


@dataclass
class CredentialView:
    title: Text
    format: str
    issuer_name: Text
    issuer_id: str
    recipient: str
    valid_from: str
    awarded: str
    valid_until: str
    proof_status: str  # "verified" | "unverified" | "failed" | "unsigned"
    proof_detail: str
    display_copy: bool
    resolved_with: str  # what links were resolved in, for the operator (a local path included)
    achievements: list[AchievementView] = field(default_factory=list)
    # What `ctdl ler verify` warns of besides its verdict: expired, not yet valid, status not checked…
    proof_warnings: tuple[str, ...] = ()
    checked_at: str = ""  # the same, for whoever reads the page: no local path
    expired: str = ""  # the end of the validity period when verify says it is past, as written
    not_yet_valid: str = ""  # the start of the validity period when verify says it is ahead

    @property
    def link_count(self) -> int:
        return sum(len(a.links) for a in self.achievements)

    @property
    def resolved_count(self) -> int:
        return sum(link.resolved for a in self.achievements for link in a.links)

    @property
    def embedded_notices(self) -> list[EmbeddedView]:
        """Embedded credentials outside their validity period (for the notice at the top)."""
        return [a.credential for a in self.achievements
                if a.credential is not None and (a.credential.expired or a.credential.not_yet_valid)]


# =============================================================================================== view


def build_view(cred: Credential, resolver: Resolver, keys: tuple[IssuerKey, ...] = ()) -> CredentialView:
    document = cred.document
    issuer = document.get("issuer") if cred.kind != OB2_ASSERTION else _ob2_issuer(document)
    if cred.kind == OB2_BADGECLASS:
        issuer = document.get("issuer")
    status, detail, warnings, result = _proof(cred, keys)
    expired, not_yet_valid = _validity(result)
    title = _localized(document.get("name"))
    view = CredentialView(
        title=title or _first_name(cred) or Text("(untitled credential)"),
        format=cred.format, issuer_name=_name(issuer), issuer_id=_id(issuer), recipient=_recipient(document),
        valid_from=_text(document.get("validFrom") or document.get("issuanceDate") or document.get("issuedOn")),
        awarded=_text(document.get("awardedDate")),
        valid_until=_text(document.get("validUntil") or document.get("expirationDate") or document.get("expires")),
        proof_status=status, proof_detail=detail, proof_warnings=warnings, display_copy=is_display_copy(document),
        resolved_with=resolver.description, checked_at=_checked_at(resolver), expired=expired,
        not_yet_valid=not_yet_valid)
    view.achievements = _achievements(cred, resolver, result)
    return view


def _ob2_issuer(assertion: dict[str, Any]) -> Any:
    badge = assertion.get("badge")
    return badge.get("issuer") if isinstance(badge, dict) else None


def _first_name(cred: Credential) -> Text:
    found = subjects(cred.document, cred.kind)
    return _localized(found[0].node.get("name")) or Text(found[0].name) if found else Text()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _localized(value: Any, lang: str = "") -> Text:
    """:func:`text_of` with the language the data gives it: a VC 2.0 language value object or a list of
    them (English first), a CTDL language map (English first; its key), or ``lang`` for a plain string."""
    if isinstance(value, str):
        return Text(value, lang)
    if isinstance(value, list):
        found = [t for t in (_localized(v, lang) for v in value) if t]
        return next((t for t in found if t.lang.lower().startswith("en")), found[0] if found else Text())
    if isinstance(value, dict):
        if "@value" in value:
            said = value.get("@value")
            return Text(said, _text(value.get("@language")) or lang, _text(value.get("@direction"))) \
                if isinstance(said, str) else Text()
        for key in LANGUAGES:
            if key in value:
                return _localized(value[key], key)
        return next((t for t in (_localized(v, k) for k, v in value.items()) if t), Text())
    return Text()


def _name(issuer: Any) -> Text:
    return _localized(issuer.get("name")) if isinstance(issuer, dict) else Text()


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


def _proof(cred: Credential, keys: tuple[IssuerKey, ...]) -> tuple[str, str, tuple[str, ...], VerifyResult]:
    result = verify(cred.token if cred.carrier == "jws" else cred.document, keys=[k.public_only() for k in keys])
    status, reason = result.verdict()  # the same verdict and warnings as `ctdl ler verify`
    if status == "verified":
        count = len(result.nested)
        nested = f"; {count} embedded proof{'s' if count > 1 else ''} also verified" if count else ""
        return "verified", f"{result.suite} signature by {result.verification_method}{nested}", result.warnings, result
    return status, reason, result.warnings, result


def _validity(result: VerifyResult) -> tuple[str, str]:
    """(end, start) of the validity period as written, when verify found it past / ahead."""
    expired, ahead = result.expired, result.not_yet_valid
    return expired.written if expired else "", ahead.written if ahead else ""


def _checked_at(resolver: Resolver) -> str:
    """Where links were resolved, for whoever reads the page: a registry's URL, never a local path."""
    index = resolver.index
    if isinstance(index, RegistryIndex):
        return f"at the registry {index.base}"
    if index is None:
        return "at the registry each link names" if resolver.online else \
            "not looked up: no registry or index was given when this page was made"
    if index.kind == JOURNAL:
        return "against the records a publish journal says the registry confirmed (a local copy)"
    return "against a local copy of the registry records, not at a live registry"


# ======================================================================================= achievements


def _achievements(cred: Credential, resolver: Resolver, proof: VerifyResult) -> list[AchievementView]:
    document, views = cred.document, []
    embedded: list[tuple[dict[str, Any], AchievementView]] = []
    for subject in subjects(document, cred.kind):
        if subject.achievement is not subject.node and cred.kind not in (OB2_ASSERTION, OB2_BADGECLASS):
            continue  # result descriptions are shown through their achievement's links, results with it
        node = subject.node
        links = [_link_view(found, resolver) for found in registry_links(node)]
        if cred.kind == CLR2 and subject.nested is None:
            # `ctdl ler link` puts the links of an embedded credential it may not re-sign on a copy of its
            # achievement in the CLR's own list (the same rule finds it here): one achievement, shown once.
            twin = next((view for original, view in embedded if same_achievement(node, original)), None)
            if twin is not None:
                _merge_listing(twin, node, links, _name(document.get("issuer")))
                continue
        language = _text(node.get("inLanguage"))
        criteria = node.get("criteria")
        view = AchievementView(
            _localized(node.get("name"), language) or Text(subject.label),
            _localized(node.get("description"), language), _text(node.get("achievementType")),
            _localized(criteria.get("narrative"), language) if isinstance(criteria, dict) else _localized(criteria),
            "embedded credential" if subject.nested is not None else "this credential", links)
        view.results = _results(document, subject.path, node, resolver)
        view.links += [link for result in view.results for link in result.links]
        if subject.nested is not None:
            view.credential = _embedded(document, subject.path, proof)
            embedded.append((node, view))
        views.append(view)
    return views


def _merge_listing(view: AchievementView, listed: dict[str, Any], links: list[LinkView], clr_issuer: Text) -> None:
    """The CLR's own entry for an embedded credential's achievement joins that achievement: its links (signed
    by the CLR's issuer, not the credential's) and whatever it says otherwise."""
    view.listed_by = clr_issuer or "the issuer of this record"
    for link in links:
        link.given_by = view.listed_by
    view.links += links
    language = _text(listed.get("inLanguage"))
    criteria = listed.get("criteria")
    said = (("Name", _localized(listed.get("name"), language), view.name),
            ("Description", _localized(listed.get("description"), language), view.description),
            ("Type", Text(ACHIEVEMENT_TYPES.get(_text(listed.get("achievementType")),
                                                _text(listed.get("achievementType")))), Text(view.type_label)),
            ("Criteria", _localized(criteria.get("narrative") if isinstance(criteria, dict) else criteria,
                                    language), view.criteria))
    view.listing_differs = [(label, value) for label, value, shown in said if value and value != shown]


def _at(document: Any, path: tuple[str | int, ...]) -> Any:
    """The node at ``path`` (a :class:`Subject` path), decoding a nested VC-JWT on the way."""
    node = document
    for key in path:
        node = _decoded(node)
        if isinstance(node, dict) and isinstance(key, str):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return None
    return _decoded(node)


def _decoded(node: Any) -> Any:
    if not isinstance(node, str):
        return node
    try:
        payload = parse_jws(node).payload_json()
    except ValueError:
        return node
    return payload["vc"] if isinstance(payload.get("vc"), dict) else payload


def _jsonpath(path: tuple[str | int, ...]) -> str:
    return "$" + "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in path)


def _embedded(document: dict[str, Any], path: tuple[str | int, ...], proof: VerifyResult) -> EmbeddedView:
    at = path.index("verifiableCredential")
    nested_path = path[:at + 2] if len(path) > at + 1 and isinstance(path[at + 1], int) else path[:at + 1]
    nested = _at(document, nested_path)
    nested = nested if isinstance(nested, dict) else {}
    where = _jsonpath(nested_path)
    issuer = nested.get("issuer")
    view = EmbeddedView(where, _localized(nested.get("name")), _name(issuer), _id(issuer),
                        _text(nested.get("validFrom") or nested.get("issuanceDate")),
                        _text(nested.get("awardedDate")),
                        _text(nested.get("validUntil") or nested.get("expirationDate")))
    # Its own proofs (not those of credentials embedded in it), judged as `verify` judges a credential's.
    found = proof.embedded_at(where)
    own = found.proofs if found is not None else ()
    worst = next((r for r in own if r.failed), None) or next((r for r in own if r.undecided), None) \
        or next((r for r in own if not r.trusted), None)
    if not own:
        view.proof_status, view.proof_detail = "unsigned", "no proof of its own: only this record's signature covers it"
    elif worst is not None:
        view.proof_status, view.proof_detail = "failed" if worst.failed else "unverified", worst.reason
    else:
        view.proof_status = "verified"
        view.proof_detail = f"{own[0].suite} signature by {own[0].verification_method}"
    if found is not None:
        view.warnings = found.warnings
        view.expired, view.not_yet_valid = _validity(found.result)
    return view


def _results(document: dict[str, Any], path: tuple[str | int, ...], achievement: dict[str, Any],
             resolver: Resolver) -> list[ResultView]:
    """The learner's results for ``achievement``: those of the AchievementSubject that holds it."""
    if "achievement" not in path:
        return []
    at = len(path) - 1 - path[::-1].index("achievement")
    subject = _at(document, path[:at])
    if not isinstance(subject, dict):
        return []
    descriptions = {d.get("id"): d for d in as_list(achievement.get("resultDescription"))
                    if isinstance(d, dict) and isinstance(d.get("id"), str)}
    held = subject.get("achievement")
    first = held is achievement or (isinstance(held, list) and next(
        (a for a in held if isinstance(a, dict)), None) is achievement)
    views = []
    for result in as_list(subject.get("result")):
        if not isinstance(result, dict):
            continue
        description = descriptions.get(result.get("resultDescription"))
        if description is None and not first:
            continue  # several achievements: a result goes with the one describing it, or with the first
        views.append(_result_view(result, description, achievement, resolver))
    return views


def _result_view(result: dict[str, Any], description: dict[str, Any] | None, achievement: dict[str, Any],
                 resolver: Resolver) -> ResultView:
    language = _text(achievement.get("inLanguage"))
    described = description if description is not None else {}
    name = _localized(described.get("name"), language)
    status = _text(result.get("status"))
    # the achievement's inLanguage is not the result's: a grade or score has no language of its own
    view = ResultView(name, RESULT_STATUSES.get(status, status), _localized(result.get("value")))
    achieved = _text(result.get("achievedLevel"))
    if achieved:
        # its own description's rubric first, then any of the achievement's (a level id is unique)
        others = [d for d in as_list(achievement.get("resultDescription")) if isinstance(d, dict)]
        levels = [lv for d in (described, *others) for lv in as_list(d.get("rubricCriterionLevel"))
                  if isinstance(lv, dict)]
        level = next((lv for lv in levels if lv.get("id") == achieved), None)
        if level is None:
            view.level = Text(achieved)
        else:
            named, label = _localized(level.get("name"), language), _localized(level.get("level"), language)
            view.level = Text(f"{named} ({label})", named.lang) if named and label and label != named \
                else named or label or Text(achieved)
    view.links = [_link_view(found, resolver) for found in registry_links(result)]
    return view


# ============================================================================================== links


def _link_view(found: FoundLink, resolver: Resolver) -> LinkView:
    alignment = found.alignment
    code, url = alignment.get("targetCode"), _text(alignment.get("targetUrl"))
    code_ctid = code.strip().lower() if isinstance(code, str) and is_ctid(code.strip().lower()) else None
    ctid = code_ctid or ce_url_ctid(url) or ctid_in_uri(url) or ""
    # The credential's own address is clickable only when it is a Credential Engine address that hides no
    # other host: a look-alike shown as a "registry link" would send the reader wherever the issuer chose.
    safe = web_url(url) if ce_url_ctid(url) and not hides_host(url) else ""
    view = LinkView(_text(alignment.get("targetName")), _text(alignment.get("targetType")), ctid, url, False,
                    href=safe)
    # What `ctdl ler check` warns of (a sandbox registry, a Finder page, another name…): the page says it too.
    checked = check_link("", found, resolver)
    view.warnings = list(checked.link_warnings)
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
        view.reason = f"not found in {_where(resolver)}"
        return view
    view.resolved, view.record = True, _record_view(ctid, record, resolver)
    index = resolver.index
    # Where it was resolved: a registry given with --registry (a local one's records exist nowhere else),
    # else the record's own registry URI.
    view.registry_url = (web_url(f"{index.base}/resources/{ctid}") if isinstance(index, RegistryIndex) else "") \
        or web_url(entry.uri) or resource_uri(ctid)
    notes = []
    if view.target_type and not type_satisfies(entry.type, view.target_type) and view.target_type != "CTDL":
        notes.append(f"the link claims {view.target_type}, the registry says {entry.type}")
    if url and url != entry.uri and ce_url_ctid(url) != ctid:
        notes.append(f"the credential's own link goes to {url}, not to this registry record")
        view.warnings = [w for w in view.warnings if w.kind != NOT_THE_RESOURCE_URI]  # said just above
    view.reason = "; ".join(notes)
    return view


def _where(resolver: Resolver) -> str:
    """What was searched, for the page (a local path never shown)."""
    index = resolver.index
    if isinstance(index, RegistryIndex):
        return f"the registry {index.base}"
    if index is None:
        return resolver.description
    if index.kind == JOURNAL:
        return "the records the publish journal says the registry confirmed"
    return "the local copy of the registry records"


def _record_view(ctid: str, record: dict[str, Any], resolver: Resolver) -> RecordView:
    kind = record.get("@type")
    kind = kind[0] if isinstance(kind, list) and kind else kind if isinstance(kind, str) else ""
    view = RecordView(ctid, _label(kind), _record_name(record),
                      _localized(record.get("ceterms:description") or record.get("ceasn:description")
                                 or record.get("ceasn:competencyText")))
    owners = _ctids(record.get("ceterms:ownedBy") or record.get("ceasn:publisher"))
    view.owners = [resolver.name_of(c) or c for c in owners]
    status = record.get("ceterms:credentialStatusType") or record.get("ceterms:lifeCycleStatusType")
    view.status = _localized(_target_name(status))
    view.webpage = _text(record.get("ceterms:subjectWebpage"))
    view.webpage_href = web_url(view.webpage)
    occupations = as_list(record.get("ceterms:occupationType"))
    view.occupations = [_coded(item) for item in occupations if isinstance(item, dict)]
    view.competencies = _competencies(record)
    framework = next(iter(_ctids(record.get("ceasn:isPartOf"))), None)
    view.framework = (resolver.name_of(framework) or framework) if framework else ""
    return view


def _record_name(record: dict[str, Any]) -> Text:
    for key in ("ceterms:name", "ceasn:name", "ceasn:competencyLabel", "ceasn:competencyText"):
        if text_of(record.get(key)):
            return _localized(record.get(key))
    return Text()


def _ctids(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [c for c in (ctid_in_uri(v) for v in items if isinstance(v, str)) if c]


def _target_name(value: Any) -> Any:
    first = value[0] if isinstance(value, list) and value else value
    return first.get("ceterms:targetNodeName") if isinstance(first, dict) else None


def _coded(item: dict[str, Any]) -> Text:
    name, code = _localized(item.get("ceterms:targetNodeName")), _text(item.get("ceterms:codedNotation"))
    return Text(f"{name} ({code})", name.lang) if code and name else name or Text(code)


def _competencies(record: dict[str, Any]) -> list[Text]:
    found: list[Text] = []
    for prop in _COMPETENCY_PROPERTIES:
        for condition in as_list(record.get(prop)):
            if isinstance(condition, dict):
                targets = as_list(condition.get("ceterms:targetCompetency"))
                found += [_localized(c.get("ceterms:targetNodeName")) for c in targets if isinstance(c, dict)]
    found += [_localized(c.get("ceterms:targetNodeName")) for c in as_list(record.get("ceterms:teaches"))
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
    embedded = achievement.credential
    where = f" ({achievement.where}" + (f", issued by {embedded.issuer_name or embedded.issuer_id or '?'}"
                                        if embedded is not None else "") + ")" \
        if achievement.where != "this credential" else ""
    lines = ["", f"* {achievement.name}{kind}{where}"]
    if embedded is not None:
        lines.append(f"    signature: {embedded.proof_status.upper()} — {embedded.proof_detail}")
    if achievement.listed_by:
        lines.append(f"    also listed in this record's achievements by {achievement.listed_by}")
    for result in achievement.results:
        lines.append(f"    result: {_result_text(result)}")
    if not achievement.links:
        lines.append("    no registry links")
    for link in achievement.links:
        head = f"    -> {link.target_name or link.ctid} {link.ctid} [{link.target_type or 'alignment'}]"
        warnings = [f"       warning: {warning.text}" for warning in link.warnings]
        if not link.resolved or link.record is None:
            lines += [f"{head}: NOT RESOLVED ({link.reason})", *warnings]
            continue
        record = link.record
        lines.append(f"{head}: {record.type_label} \"{record.name}\"" + (f" — {link.reason}" if link.reason else ""))
        lines += warnings
        details = (("owner", ", ".join(record.owners)), ("status", record.status), ("framework", record.framework),
                   ("occupations", "; ".join(record.occupations)), ("competencies", _few(record.competencies)),
                   ("web page", record.webpage), ("link added by", link.given_by))
        lines += [f"       {label}: {value}" for label, value in details if value]
    return lines


def _result_text(result: ResultView) -> str:
    said = "; ".join(part for part in (result.value, result.level and f"level {result.level}", result.status)
                     if part)
    return f"{result.name or 'result'}: {said or '(no value)'}"


def _few(items: list[Text], limit: int = 8) -> str:
    """A terminal line, not a screenful: a record may require a whole framework's competencies."""
    shown = "; ".join(items[:limit])
    return shown + (f"; … and {len(items) - limit} more" if len(items) > limit else "")


# =============================================================================================== html


def readable_date(value: str) -> str:
    """An ISO 8601 date or date-time as words ("6 December 2026"; the date as written, in its own offset),
    the same everywhere (no locale, no clock); "" if it is not one."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except (ValueError, TypeError):
        return ""
    return f"{parsed.day} {_MONTHS[parsed.month - 1]} {parsed.year}"


def _date_html(value: str) -> Any:
    """A date for the page: in words, the exact value in ``<time datetime>`` and its title."""
    from markupsafe import Markup

    words = readable_date(value)
    if not words:
        return Markup('<span dir="auto">{}</span>').format(value)
    exact = value.strip()
    machine = exact if _HTML_DATETIME.fullmatch(exact) else datetime.fromisoformat(exact).isoformat()
    return Markup('<time datetime="{}" title="{}">{}</time>').format(machine, value, words)


def _data_attributes(value: Any) -> Any:
    """` dir="auto"` (or the direction the data gives) and ` lang="…"` when the data gives the language: for
    every element that shows a value from the credential or the registry."""
    from markupsafe import Markup

    direction = getattr(value, "direction", "") or "auto"
    lang = getattr(value, "lang", "")
    said = Markup(' dir="{}"').format(direction)
    return said + Markup(' lang="{}"').format(lang) if lang else said


@cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    from ctdl_tools.textchars import page_text

    environment = Environment(loader=PackageLoader("ctdl_tools.ler", "templates"), undefined=StrictUndefined,
                              autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                              finalize=page_text)
    environment.filters["date"] = _date_html
    environment.filters["data"] = _data_attributes
    return environment


def html(view: CredentialView) -> str:
    return _environment().get_template("credential.html").render(view=view)
