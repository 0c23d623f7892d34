"""Registry Assistant (RA) requests → CTDL graph documents, mapped as Credential Engine's Assistant does.

The mapping follows the RA input classes (CredentialEngine/Registry_Assistant ``src/RA.Models/Input``)
and what CE's Assistant published for three sample requests (the golden pair ``ProPath/LearningOpportunity_160
Driving Academy_{input,published}.json``, and ``Credentials/files/Credential_PublishDetailedRecord_API_*``
and ``Credentials/files/CredentialWithMultipleLanguages_Api_*``):

* plain text → a language map in the request's ``DefaultLanguage`` (else ``--language``), written in the
  conventional case as CE writes it (``en-us`` → ``en-US``); the ``ceterms:name`` / ``Name_Map`` /
  ``NameLangMap`` spellings are taken as given when there is no plain string ("the system will check the
  string version first", RA CostProfile.cs), for every text property: an inline reference's Name and
  Description too, and a ValueProfile's or QuantitativeValue's description also as ``ceterms:description``
  (CE's multiple-languages sample); a spelling whose value is not a language map is dropped with a warning;
* organization references with a ``CTID`` → registry URIs; with ``Id`` → that URI; otherwise a blank
  node (``Type``, ``Name``, ``SubjectWebpage``…) whose ``_:uuid`` is UUIDv5 of the document and the
  node's content, so ids are stable across runs and the same organization referenced twice (owner and
  offerer) is one node; learning opportunity / credential / assessment references likewise;
* concept words (``InPerson``, ``learnMethod:Applied``, ``Tuition``) → CredentialAlignmentObjects
  (``nodes.concept_alignment``); ``AvailableAt``/``Address`` → ``ceterms:Place`` with language-mapped
  address parts and ``ContactPoint`` → ``targetContactPoint``; one ``CostProfile`` per ``CostItems``
  entry (``directCostType`` + ``price``; a ``Price`` typed with a currency sign, ``€250``, is checked
  against ``Currency``, or gives it when there is none, as a catalog's price is); ``DurationItem``
  (``Weeks: 4``) → ISO 8601 (``P4W``);
  ``FrameworkItem`` codes and ``CIP_Codes``/``ONET_Codes`` → ``ctdl_tools.build.codes``, a code given
  twice (an IndustryType item and NaicsList) written once; ``Naics``/``NaicsList`` → ``ceterms:naics``,
  the codes as given (checked by the codes module, each once), where CTDL defines it (credentials,
  organizations), else (learning opportunities) industryType alignments; ``Alternative*Type`` → a CAO
  with only ``targetNodeName``; ``Jurisdiction`` (also in a ConditionProfile, with ``ResidentOf``) and
  the JurisdictionAssertions ``AccreditedIn`` … ``RevokedIn`` → embedded ``ceterms:JurisdictionProfile``
  (``globalJurisdiction``, ``false`` included as CE writes it; ``description``; ``mainJurisdiction`` and
  ``jurisdictionException`` as ``ceterms:Place``; ``assertedBy``, which the RA requires of an assertion:
  one without it is dropped with a warning); empty values and objects (``{}``) are ignored;
  ``inLanguage`` defaults to ``[DefaultLanguage]``.

Problems are reported at their JSON path (``$.LearningOpportunity.DeliveryType[1]``). A problem in
required data — the CTID, Name, type, DefaultLanguage, SubjectWebpage, OwnedBy, OfferedBy — is an error
and the resource is not written; elsewhere the value is dropped with a warning. RA properties this module
does not map are reported as warnings, never silently lost. A reference (``CTID``, or a CTID or registry
URI where the RA takes "CTID or full URL") to another request of the same run is noted, and ``ctdl
convert`` warns at its path when that request fails (as for a catalog's references).

Deliberate differences from CE's published graphs for the three sample requests (each asserted in
``tests/test_ra_json.py``):

1. CE wrote the key ``"ceterms:financialAssistanceType "`` (golden; trailing space, so a JSON-LD processor
   drops it as it expands to no IRI); we write ``ceterms:financialAssistanceType``.
2. Code alignments are built by ``ctdl_tools.build.codes``, not copied from the request: the module's
   framework, frameworkName and targetNode (none where it has none), and the bundled list's title as
   targetNodeName. A FrameworkItem's ``Name`` is the targetNodeName only when the list has no title; its
   ``Description`` is kept as targetNodeDescription; its ``Framework``/``FrameworkName``/``TargetNode``
   are used only when the code is not one the module reads (then the item is kept as given, with a
   warning). So, where CE copied the request or used older tables:
   golden — CIP ``49-0205`` (dash) is normalised to ``49.0205`` with a warning (CE passed it through);
   the CIP framework is the CIP 2020 page ``…/cipcode/search.aspx?y=56`` (CE: the older
   ``…/cipcode/Default.aspx?y=55``) and ``targetNode`` (the ``cipdetail`` page) is added; the SOC CAO
   gains ``framework``/``frameworkName`` (CE: codedNotation and targetNodeName only).
   Detailed record — NAICS items: framework ``https://www.census.gov/naics/``, frameworkName "North
   American Industry Classification System", no targetNode (CE kept the request's ``naics.com`` framework,
   name and targetNode); O*NET items: frameworkName "O*NET-SOC Taxonomy" (CE: the request's "Standard
   Occupational Classification"), and no targetNode for 15-1122.00 and 15-1152.00, SOC 2010 codes that
   are warned about (CE kept the request's ``onetonline`` links); CIP items: frameworkName
   "Classification of Instructional Programs" (the request: "…Program") and the list's title for 30.2202
   ("…Mediterranean, and Near Eastern…"). ``ONET_Codes``/``CIP_Codes``: CE added a targetNodeDescription
   from its own tables (the bundled lists have titles only: none is written) and older titles (O*NET
   13-2051.00 "Financial Analysts", 2019 list: "Financial and Investment Analysts"; CIP titles ending in
   "."), and the CIP framework/targetNode differ as for the golden CIP code.
3. ``ceterms:lifeCycleStatusType`` = ``lifeCycle:Active`` is added to learning opportunities that give
   no ``LifeCycleStatusType``: the current RA class defaults it (``LifeCycleStatusType { get; set; } =
   "lifeCycle:Active"``, LearningOpportunityRequest.cs@d85a1206) although the older golden output lacks
   it. Credentials likewise get ``credentialStat:Active`` (RA: "The default is Active", seen in both CE
   credential outputs); organizations get no default (the RA Organization class sets none).
4. Blank-node ids differ from CE's random UUIDs (ours are deterministic); URIs use the conversion's
   registry base (``BuildContext.base``, production by default; CE's samples were published to the
   sandbox).
5. Language-map keys given in the request are kept as written (multiple languages: ``ar-SA``, which CE
   lower-cases to ``ar-sa`` while keeping ``en-US``); only the ``DefaultLanguage`` is re-cased (above).
6. Concept alignments (``credentialStatusType``, ``directCostType``, ``creditUnitType``…) carry the
   scheme's local name as frameworkName ("CostType") and no targetNodeDescription, as CE's golden and
   detailed-record outputs do; CE's multiple-languages output has the scheme's label ("Cost Type",
   "Credential Status", "Credit Unit") and a targetNodeDescription. That output also types the
   ValueProfile ``schema:ValueProfile``, which is no CTDL class; ours is ``ceterms:ValueProfile``.
7. A ``MainJurisdiction`` is published as ``ceterms:mainJurisdiction`` [``ceterms:Place``] (CTDL's range;
   CE's older envelopes carry such Places); CE's detailed-record output has none for the request's
   ``{"Country": "United States"}`` (twice), and the RA documents no rule that drops it.
8. Not seen in CE's outputs, from the RA docs: ``Address2`` is appended to ``Address1`` with ", "
   (the separator CE uses is not documented); ``ReferenceObjects`` and ``_:`` references to them are not
   supported; ``PublishForOrganizationIdentifier`` names the publisher and is not used as an owner
   (``--owner`` fills a missing OwnedBy/OfferedBy); a missing CTID (the RA refuses the request) is derived
   from Name and SubjectWebpage with a warning; a property CTDL does not define for the resource's type
   (SCED on a LearningProgram) is dropped with a warning. CE's parser accepts trailing commas (the
   detailed-record request has four); the reader (``catalog.ra_json``) refuses the file with line and
   column.

Everything else CE emitted for the three sample requests is reproduced value for value (compared by
structure: blank nodes inlined, key order ignored).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ctdl_tools.build.codes import code_alignment, property_for
from ctdl_tools.build.context import BuildContext
from ctdl_tools.build.currencies import currency_code, resolve_currency, split_currency_sign
from ctdl_tools.build.document import BlankNodes, GraphDocument, new_resource
from ctdl_tools.build.languages import language_code
from ctdl_tools.build.nodes import (
    CAO,
    boolean,
    concept_alignment,
    iso_date,
    iso_duration,
    lang_map,
    number,
    price_of_amount,
    resolve_concept,
    url,
)
from ctdl_tools.build.records import CLASS_ROOTS, UNPUBLISHABLE
from ctdl_tools.catalog.codes import normalize_cip, normalize_naics, normalize_occupation
from ctdl_tools.catalog.model import CREDENTIAL, LEARNING, ORGANIZATION, PrebuiltInput
from ctdl_tools.catalog.ra_json import BOOL, ENVELOPE, check_object, many, text
from ctdl_tools.ctid import ctid_in_uri, graph_uri, normalize_ctid
from ctdl_tools.errors import InputError, Where
from ctdl_tools.vocab import class_index, vocabulary
from ctdl_tools.vocab.pins import CONTEXT_URLS

BODY_KINDS = {"LearningOpportunity": LEARNING, "Credential": CREDENTIAL, "Organization": ORGANIZATION}
LOPP, CREDENTIAL_ROOT, ORG_ROOT, ASSESSMENT = ("ceterms:LearningOpportunityProfile", "ceterms:Credential",
                                               "ceterms:Organization", "ceterms:AssessmentProfile")
# Words the RA accepts for a type that are not CTDL class names.
TYPE_ALIASES = {"learningopportunity": LOPP, "assessment": ASSESSMENT}
ORG_PROPS = {
    "OwnedBy": "ceterms:ownedBy", "OfferedBy": "ceterms:offeredBy", "AccreditedBy": "ceterms:accreditedBy",
    "ApprovedBy": "ceterms:approvedBy", "RecognizedBy": "ceterms:recognizedBy",
    "RegulatedBy": "ceterms:regulatedBy", "RegisteredBy": "ceterms:registeredBy",
    "RenewedBy": "ceterms:renewedBy", "RevokedBy": "ceterms:revokedBy",
    "ParentOrganization": "ceterms:parentOrganization", "Department": "ceterms:department",
    "SubOrganization": "ceterms:subOrganization",
}
REQUIRED_ORGS = {"OwnedBy", "OfferedBy"}
# RA Jurisdiction / JurisdictionAssertion (profiles/Jurisdiction.cs) → ceterms:JurisdictionProfile. The
# reader does not know these classes, so their shape is checked here, with the reader's own checker.
JURISDICTION = {"GlobalJurisdiction": BOOL, **text("Description", "ceterms:description"),
                "MainJurisdiction": many("Place"), "JurisdictionException": many("Place")}
JURISDICTION_ASSERTION = {**JURISDICTION, "AssertedBy": many("OrganizationReference")}
ASSERTION_PROPS = {
    "AccreditedIn": "ceterms:accreditedIn", "ApprovedIn": "ceterms:approvedIn", "OfferedIn": "ceterms:offeredIn",
    "RecognizedIn": "ceterms:recognizedIn", "RegulatedIn": "ceterms:regulatedIn",
    "RenewedIn": "ceterms:renewedIn", "RevokedIn": "ceterms:revokedIn",
}
CONDITION_PROPS = {
    "Requires": "ceterms:requires", "Recommends": "ceterms:recommends", "Corequisite": "ceterms:corequisite",
    "CoPrerequisite": "ceterms:coPrerequisite", "EntryCondition": "ceterms:entryCondition",
    "Renewal": "ceterms:renewal", "AdvancedStandingFrom": "ceterms:advancedStandingFrom",
    "IsAdvancedStandingFor": "ceterms:isAdvancedStandingFor", "PreparationFrom": "ceterms:preparationFrom",
    "IsPreparationFor": "ceterms:isPreparationFor", "IsRecommendedFor": "ceterms:isRecommendedFor",
    "IsRequiredFor": "ceterms:isRequiredFor",
}
# (FrameworkItem list, free-text list, code list(s), CTDL property, code normaliser); CE's order.
CODE_FIELDS = (
    ("OccupationType", "AlternativeOccupationType", ("ONET_Codes",), "ceterms:occupationType",
     normalize_occupation),
    ("IndustryType", "AlternativeIndustryType", ("NaicsList", "Naics"), "ceterms:industryType",
     normalize_naics),
    ("InstructionalProgramType", "AlternativeInstructionalProgramType", ("CIP_Codes",),
     "ceterms:instructionalProgramType", normalize_cip),
)
DURATION_UNITS = (("Years", "Y", False), ("Months", "M", False), ("Weeks", "W", False), ("Days", "D", False),
                  ("Hours", "H", True), ("Minutes", "M", True))
VALUE_FIELDS = (("Value", "schema:value"), ("MinValue", "schema:minValue"), ("MaxValue", "schema:maxValue"),
                ("Percentage", "qdata:percentage"))
# A ValueProfile's / QuantitativeValue's description is schema:description; CE's own sample request
# (CredentialWithMultipleLanguages_Api_input.json) spells the language map ceterms:description.
VALUE_DESCRIPTIONS = ("schema:description", "ceterms:description", "Description_Map", "DescriptionLangMap")
NOT_CONVERTED = "Registry Assistant property not converted by ctdl_tools; ignored"


class Unconvertible(ValueError):
    """Required data is unusable: the resource cannot be built. ``path`` is the JSON path to blame."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


# --- reading the request -------------------------------------------------------------------------------
def _is_empty(value: Any) -> bool:
    if value is None or value == [] or (isinstance(value, str) and not value.strip()):
        return True
    if isinstance(value, dict):
        return all(_is_empty(v) for v in value.values())
    if isinstance(value, list):
        return all(_is_empty(v) for v in value)
    return False


def _is_language_map(value: Any, lists: bool) -> bool:
    def text(v: Any) -> bool:
        return v is None or (isinstance(v, str | int | float) and not isinstance(v, bool))
    return isinstance(value, dict) and all(
        text(v) or (lists and isinstance(v, list) and all(text(s) for s in v)) for v in value.values())


def _scalar(value: Any) -> str:
    """A JSON scalar as text: ``62226`` → ``"62226"``, ``4.0`` → ``"4"``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class _Obj:
    """One JSON object of the request: its values by RA property name, its path, and the keys read."""

    def __init__(self, data: dict[str, Any], path: str) -> None:
        self.data, self.path = data, path
        self.read: set[str] = set()

    def get(self, key: str) -> Any:
        key = self.key(key)
        self.read.add(key)
        value = self.data.get(key)
        return None if _is_empty(value) else value

    def key(self, key: str) -> str:
        """``key`` as the request spells it: the reader spells the keys it knows as the RA classes do, so
        only the others (``ceterms:name`` in a reference) are looked up ignoring case, as the RA does."""
        if key in self.data:
            return key
        folded = key.lower()
        return next((k for k in self.data if str(k).lower() == folded), key)

    def at(self, key: str, index: int | None = None) -> str:
        return f"{self.path}.{self.key(key)}" + (f"[{index}]" if index is not None else "")

    def items(self, key: str) -> list[tuple[Any, str]]:
        """A list's non-empty items with their paths; a single value counts as a list of one."""
        value = self.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            return [(value, self.at(key))]
        return [(v, self.at(key, i)) for i, v in enumerate(value) if not _is_empty(v)]

    def mark(self, *keys: str) -> None:
        """Count ``keys`` as read (handled elsewhere, or deliberately ignored)."""
        self.read.update(keys)

    def read_all(self) -> None:
        self.read.update(self.data)

    def unread(self) -> list[str]:
        return [key for key, value in self.data.items() if key not in self.read and not _is_empty(value)]


# --- pass 1 ------------------------------------------------------------------------------------------
@dataclass
class _Head:
    kind: str
    body: _Obj
    ctid: str
    type: str
    name: str
    language: str
    derived_ctid: bool = False


def _body_key(item: PrebuiltInput) -> str:
    return next(key for key in (*BODY_KINDS, "GraphInput") if item.data.get(key) is not None)


def _body(item: PrebuiltInput) -> tuple[_Obj, str]:
    """The request's body object and its kind."""
    key = _body_key(item)
    return _Obj(item.data[key], f"{item.where.path or '$'}.{key}"), BODY_KINDS[key]


def _head(item: PrebuiltInput, ctx: BuildContext) -> _Head:
    body, kind = _body(item)
    language = _language(item, ctx)
    name = _name(body, language)
    type_ = _TYPE_RESOLVERS[kind](body)
    ctid, derived = _ctid(body, kind, name, ctx)
    return _Head(kind, body, ctid, type_, name, language, derived)


def _language(item: PrebuiltInput, ctx: BuildContext) -> str:
    given = item.data.get("DefaultLanguage")
    if _is_empty(given):
        return ctx.language
    try:
        # A checked tag in the conventional case (en-us → en-US), as CE writes the language-map keys it makes.
        return language_code(str(given), ctx.language)
    except ValueError as exc:
        raise Unconvertible(f"{item.where.path or '$'}.DefaultLanguage", str(exc)) from None


def _name(body: _Obj, language: str) -> str:
    plain = body.get("Name")
    if plain is not None:
        return _scalar(plain)
    for key in ("ceterms:name", "Name_Map", "NameLangMap"):
        names = body.get(key)
        if names:
            return str(names.get(language) or next(v for v in names.values() if v)).strip()
    raise Unconvertible(body.at("Name"), "Name is required")


def _ctid(body: _Obj, kind: str, name: str, ctx: BuildContext) -> tuple[str, bool]:
    given = body.get("CTID")
    if given is not None:
        try:
            return normalize_ctid(_scalar(given)), False
        except ValueError as exc:
            raise Unconvertible(body.at("CTID"), str(exc)) from None
    # The RA requires a CTID; without one, derive a stable one so re-running updates the same record.
    webpage = body.data.get("SubjectWebpage") or ""
    ctid = ctx.ctid_for(kind, None, f"{name}|{_scalar(webpage)}")
    assert ctid is not None
    return ctid, True


def _class_word(word: Any) -> str:
    text = _scalar(word)
    return text.split(":", 1)[1] if text.lower().startswith("ceterms:") else text


def _resolve_class(word: Any, roots: tuple[str, ...]) -> str:
    text = _class_word(word)
    alias = TYPE_ALIASES.get(text.lower())
    if alias and any(vocabulary().is_a(alias, root) for root in roots):
        return alias
    for root in roots[:-1]:
        try:
            return class_index(root).resolve(text)
        except ValueError:
            continue
    return class_index(roots[-1]).resolve(text)


def _type_of(body: _Obj, keys: tuple[str, ...], root: str, default: str | None) -> str:
    for key in keys:
        word = body.get(key)
        if word is not None:
            try:
                return _resolve_class(word, (root,))
            except ValueError as exc:
                raise Unconvertible(body.at(key), str(exc)) from None
    if default is None:
        raise Unconvertible(body.at(keys[0]), f"{keys[0]} is required (e.g. ceterms:Certificate)")
    return default


def _learning_type(body: _Obj) -> str:
    return _type_of(body, ("Type", "@type"), LOPP, LOPP)


def _credential_type(body: _Obj) -> str:
    # CredentialType is the required, specific type; Type/@type is the RA's broad helper ("Credential").
    keys = ("CredentialType",)
    broad = body.get("Type") or body.get("@type")
    if broad is not None and _class_word(broad) != "Credential":
        keys += ("Type", "@type")
    type_ = _type_of(body, keys, CREDENTIAL_ROOT, None)
    if type_ in UNPUBLISHABLE:
        raise Unconvertible(body.at("CredentialType"), f"{type_} is a generic type the Registry does not "
                            "accept; use a specific type (e.g. ceterms:AssociateDegree, ceterms:Certificate)")
    return type_


def _organization_type(body: _Obj) -> str:
    return _type_of(body, ("Type", "@type"), ORG_ROOT, "ceterms:CredentialOrganization")


_TYPE_RESOLVERS: dict[str, Callable[[_Obj], str]] = {
    LEARNING: _learning_type, CREDENTIAL: _credential_type, ORGANIZATION: _organization_type,
}


def index_ra(item: PrebuiltInput, ctx: BuildContext) -> None:
    """Pass 1: register the request's resource; problems are left for pass 2 to report. A request that
    gives a readable CTID is registered even when its other required data is not usable (as a catalog's
    record is), so that another request's reference to it is known to name a request of this run that
    failed (``ctdl convert`` warns at the reference)."""
    if item.data.get("GraphInput") is not None:
        try:
            ctid, type_, name = _graph_head(item)
        except ValueError:
            return
        ctx.register(_kind_of_class(type_), ctid, type_, name, item.where)
        return
    try:
        head = _head(item, ctx)
    except ValueError:
        found = _given_head(item, ctx)
        if found is not None:
            ctx.register(*found, item.where)
        return
    ctx.register(head.kind, head.ctid, head.type, head.name, item.where)


def _given_head(item: PrebuiltInput, ctx: BuildContext) -> tuple[str, str, str, str] | None:
    """The kind, given CTID, type (else the kind's root class) and name (else "") of a request pass 2 will
    refuse; None without a readable CTID."""
    body, kind = _body(item)
    given = body.get("CTID")
    try:
        ctid = normalize_ctid(_scalar(given)) if given is not None else None
    except ValueError:
        return None
    if ctid is None:
        return None
    try:
        language = _language(item, ctx)
    except ValueError:
        language = ctx.language
    try:
        name = _name(body, language)
    except ValueError:
        name = ""
    try:
        type_ = _TYPE_RESOLVERS[kind](body)
    except ValueError:
        type_ = CLASS_ROOTS[kind]
    return kind, ctid, type_, name


# --- pass 2 ------------------------------------------------------------------------------------------
def build_ra(item: PrebuiltInput, ctx: BuildContext) -> GraphDocument | None:
    """The request's graph document, or None when required data is unusable (reported in ctx.problems)."""
    if item.data.get("GraphInput") is not None:
        return _build_graph(item, ctx)
    try:
        head = _head(item, ctx)
    except Unconvertible as exc:
        ctx.problems.error(Where(item.where.file, path=exc.path), str(exc))
        return None
    indexed = ctx.by_ctid.get(head.ctid)
    if indexed is None or indexed.where != item.where:
        return None  # a duplicate CTID: reported in pass 1
    builder = _Builder(item, ctx, head)
    builder.build()
    if builder.failed:
        return None
    return GraphDocument(head.ctid, [builder.node, *builder.blank.nodes()], base=ctx.base)


def _put(node: dict[str, Any], prop: str, value: Any) -> None:
    if value not in (None, [], {}):
        node[prop] = value


def _extend(node: dict[str, Any], prop: str, values: list[Any]) -> None:
    if values:
        node.setdefault(prop, []).extend(values)


class _Builder:
    """Builds one resource; each converter reports its own problems at the value's JSON path."""

    def __init__(self, item: PrebuiltInput, ctx: BuildContext, head: _Head) -> None:
        self.item, self.ctx, self.head = item, ctx, head
        self.lang = head.language
        self.node: dict[str, Any] = new_resource(head.ctid, head.type, ctx.base)
        self.blank = BlankNodes(head.ctid)
        self.objects: list[_Obj] = [head.body]
        self.failed = False

    # --- problems ----------------------------------------------------------------------------------------
    def report(self, path: str, message: str, required: bool = False) -> None:
        where = Where(self.item.where.file, path=path)
        if required:
            self.ctx.problems.error(where, message)
            self.failed = True
        else:
            self.ctx.problems.warn(where, f"{message}; value ignored")

    def one(self, o: _Obj, key: str, convert: Callable[[Any], Any], required: bool = False) -> Any:
        value = o.get(key)
        if value is None:
            return None
        try:
            return convert(value)
        except ValueError as exc:
            self.report(o.at(key), str(exc), required)
            return None

    def converted(self, o: _Obj, key: str, convert: Callable[[Any, str], Any],
                  required: bool = False) -> Iterator[tuple[Any, str]]:
        """Each value under ``key`` as ``convert(value, path)`` gives it, with its path; a value it refuses
        (ValueError) is reported at its path and skipped."""
        for value, path in o.items(key):
            try:
                result = convert(value, path)
            except ValueError as exc:
                self.report(path, str(exc), required)
                continue
            yield result, path

    def each(self, o: _Obj, key: str, convert: Callable[[Any], Any], required: bool = False) -> list[Any]:
        return [result for result, _ in self.converted(o, key, lambda value, _: convert(value), required)
                if result is not None]

    def children(self, o: _Obj, key: str) -> list[_Obj]:
        """The non-empty objects under ``key`` (a list, or one object)."""
        found = [_Obj(value, path) for value, path in o.items(key) if isinstance(value, dict)]
        self.objects.extend(found)
        return found

    def child(self, o: _Obj, key: str) -> _Obj | None:
        found = self.children(o, key)
        return found[0] if found else None

    # --- values --------------------------------------------------------------------------------------
    def text(self, o: _Obj, key: str, prop: str, aliases: tuple[str, ...] | None = None) -> dict | None:
        """A plain string, else one of its language-map spellings (``ceterms:x``, ``X_Map``, ``XLangMap``)."""
        plain = o.get(key)
        given = self.given_map(o, aliases or (prop, f"{key}_Map", f"{key}LangMap"), lists=False)
        if plain is not None:
            return lang_map(_scalar(plain), self.lang)
        return {lang: _scalar(v) for lang, v in given.items()} if given else None

    def texts(self, o: _Obj, key: str, prop: str, aliases: tuple[str, ...] | None = None) -> dict | None:
        plain = [_scalar(v) for v, _ in o.items(key)]
        given = self.given_map(o, aliases or (prop, f"{key}_Map", f"{key}LangMap"), lists=True)
        if plain:
            return lang_map(plain, self.lang)
        if not given:
            return None
        found = {lang: [_scalar(s) for s in (v if isinstance(v, list) else [v]) if not _is_empty(s)]
                 for lang, v in given.items()}
        return {lang: values for lang, values in found.items() if values} or None

    def given_map(self, o: _Obj, aliases: tuple[str, ...], lists: bool) -> dict | None:
        """The first language map given under one of ``aliases`` (all are read), without empty entries.
        The reader checks the shape of the spellings its profiles list; the others (``ceterms:name`` in a
        reference) are checked here: a value that is not a language map is dropped with a warning."""
        found = None
        for alias in aliases:
            value = o.get(alias)
            if value is None or found is not None:
                continue
            if not _is_language_map(value, lists):
                shape = '{"en-US": ["a", "b"]}' if lists else '{"en-US": "text"}'
                self.report(o.at(alias), f"expected a language map ({shape})")
                continue
            found = {str(lang).strip(): v for lang, v in value.items() if not _is_empty(v)}
        return found or None

    def names_as_alignments(self, o: _Obj, key: str, prop: str,
                            aliases: tuple[str, ...] | None = None) -> list[dict]:
        """Free text (``Subject``, ``AlternativeOccupationType``) as CAOs carrying only a targetNodeName."""
        values = self.texts(o, key, prop, aliases) or {}
        return [{"@type": CAO, "ceterms:targetNodeName": {lang: v}}
                for lang, vs in values.items() for v in vs]

    def put_text(self, node: dict[str, Any], o: _Obj, key: str, prop: str,
                 aliases: tuple[str, ...] | None = None) -> None:
        _put(node, prop, self.text(o, key, prop, aliases))

    def put_concepts(self, node: dict[str, Any], o: _Obj, key: str, prop: str) -> None:
        _put(node, prop, self.concepts(o, key, prop))

    def concepts(self, o: _Obj, key: str, prop: str) -> list[dict]:
        return self.each(o, key, self.concept(prop))

    def concept(self, prop: str) -> Callable[[Any], dict]:
        return lambda word: concept_alignment(prop, resolve_concept(prop, _scalar(word)), self.lang)

    def urls(self, o: _Obj, key: str, required: bool = False) -> list[str]:
        return self.each(o, key, lambda v: url(_scalar(v)), required)

    def url(self, o: _Obj, key: str, required: bool = False) -> str | None:
        return self.one(o, key, lambda v: url(_scalar(v)), required)

    def string(self, o: _Obj, key: str) -> str | None:
        return self.one(o, key, _scalar)

    def number(self, o: _Obj, key: str, skip_zero: bool = True) -> int | float | None:
        # The C# classes declare many numbers non-nullable, so 0 is what an unset one serialises as.
        value = self.one(o, key, number)
        return None if skip_zero and value == 0 else value

    def currency(self, o: _Obj) -> str | None:
        """``Currency`` as an ISO 4217 code (a code in any case, or its ISO 4217 name)."""
        return self.one(o, "Currency", lambda v: currency_code(_scalar(v)))

    def date(self, o: _Obj, key: str) -> str | None:
        return self.one(o, key, lambda v: iso_date(_scalar(v)))

    def reference(self, value: Any, path: str) -> str:
        """A CTID (→ registry URI) or a URL, for properties the RA documents as 'CTID or full URL'."""
        text = _scalar(value)
        if text.lower().startswith("ce-"):
            return self.link(path, value, self.ctx.uri(normalize_ctid(text)))
        return self.link(path, value, url(text))

    def ref(self, o: _Obj, key: str) -> str | None:
        return self.one(o, key, lambda v: self.reference(v, o.at(key)))

    def references(self, o: _Obj, key: str) -> list[str]:
        return [uri for uri, _ in self.converted(o, key, self.reference)]

    def link(self, path: str, given: Any, uri: str) -> str:
        """``uri``; when it is the registry URI of a resource of this conversion, the reference is noted
        (``BuildContext.link``) so that ``ctdl convert`` warns here if that resource fails in the run."""
        ctid = ctid_in_uri(uri)
        if ctid is not None and uri == self.ctx.uri(ctid):
            self.ctx.link(Where(self.item.where.file, path=path), repr(_scalar(given)), ctid)
        return uri

    def blank_node(self, kind: str, content: dict[str, Any]) -> str:
        """A blank node for ``content``; equal content gives the same node (and the same ``_:`` id)."""
        key = f"{kind}:{json.dumps(content, sort_keys=True, ensure_ascii=False)}"
        return self.blank.get(key, lambda node_id: {"@id": node_id, **content})

    # --- references ----------------------------------------------------------------------------------
    def ref_target(self, o: _Obj) -> str | None:
        """The URI a reference names by ``CTID`` or ``Id``; None when it describes the thing inline."""
        ctid, given_id = o.get("CTID"), o.get("Id")
        if ctid is None and given_id is None:
            return None
        o.read_all()  # with a CTID or Id the Assistant ignores the descriptive properties
        if ctid is not None:
            return self.link(o.at("CTID"), ctid, self.ctx.uri(normalize_ctid(_scalar(ctid))))
        if _scalar(given_id).startswith("_:"):
            raise ValueError("references to ReferenceObjects (_:…) are not supported; give a CTID or "
                             "describe the resource inline")
        return self.link(o.at("Id"), given_id, url(_scalar(given_id)))

    def org_refs(self, o: _Obj, key: str, required: bool = False) -> list[str]:
        ids = []
        for ref in self.children(o, key):
            try:
                ids.append(self.org_ref(ref))
            except ValueError as exc:
                ref.read_all()
                self.report(ref.path, str(exc), required)
        return ids

    def org_ref(self, o: _Obj) -> str:
        target = self.ref_target(o)
        if target is not None:
            return target
        node: dict[str, Any] = {"@type": self.ref_type(o, (ORG_ROOT,), "ceterms:CredentialOrganization")}
        self.describe(o, node, "an organization")
        _put(node, "ceterms:socialMedia", self.urls(o, "SocialMedia"))
        _put(node, "ceterms:email", [_scalar(v) for v, _ in o.items("Email")])
        _put(node, "ceterms:address", self.places(o, "Address"))
        _put(node, "ceterms:availabilityListing", self.urls(o, "AvailabilityListing"))
        return self.blank_node("org", node)

    def entity_refs(self, o: _Obj, key: str, roots: tuple[str, ...], default: str | None) -> list[str]:
        ids = []
        for ref in self.children(o, key):
            try:
                ids.append(self.entity_ref(ref, roots, default))
            except ValueError as exc:
                ref.read_all()
                self.report(ref.path, str(exc))
        return ids

    def entity_ref(self, o: _Obj, roots: tuple[str, ...], default: str | None) -> str:
        target = self.ref_target(o)
        if target is not None:
            return target
        node: dict[str, Any] = {"@type": self.ref_type(o, roots, default)}
        self.describe(o, node, "a resource")
        _put(node, "ceterms:codedNotation", self.string(o, "CodedNotation"))
        return self.blank_node("entity", node)

    def ref_type(self, o: _Obj, roots: tuple[str, ...], default: str | None) -> str:
        word = o.get("Type")
        if word is not None:
            return _resolve_class(word, roots)
        if default is None:
            raise ValueError("Type is required for a reference without a CTID (e.g. ceterms:Certificate)")
        self.ctx.problems.warn(Where(self.item.where.file, path=o.at("Type")),
                               f"Type missing (required by the Registry Assistant): {default} assumed")
        return default

    def describe(self, o: _Obj, node: dict[str, Any], what: str) -> None:
        """Name, SubjectWebpage (both required by the RA for an inline reference) and Description, the
        name and description as plain text or a language map, as for the resource itself."""
        name, webpage = self.text(o, "Name", "ceterms:name"), o.get("SubjectWebpage")
        if name is None or webpage is None:
            raise ValueError(f"a reference to {what} needs a CTID, an Id, or Type, Name and SubjectWebpage")
        node["ceterms:name"] = name
        self.put_text(node, o, "Description", "ceterms:description")
        node["ceterms:subjectWebpage"] = url(_scalar(webpage))

    # --- places --------------------------------------------------------------------------------------
    def places(self, o: _Obj, key: str) -> list[dict]:
        return [place for p in self.children(o, key) if (place := self.place(p))]

    def place(self, o: _Obj) -> dict | None:
        node: dict[str, Any] = {"@type": "ceterms:Place"}
        self.put_text(node, o, "Name", "ceterms:name")
        self.put_text(node, o, "Description", "ceterms:description")
        _put(node, "ceterms:streetAddress", self.street(o))
        for key, prop in (("City", "ceterms:addressLocality"), ("AddressRegion", "ceterms:addressRegion"),
                          ("SubRegion", "ceterms:subRegion"), ("Country", "ceterms:addressCountry")):
            _put(node, prop, self.text(o, key, prop, (prop, f"{key}LangMap")))
        _put(node, "ceterms:postalCode", self.string(o, "PostalCode"))
        _put(node, "ceterms:postOfficeBoxNumber", self.string(o, "PostOfficeBoxNumber"))
        _put(node, "ceterms:latitude", self.number(o, "Latitude"))
        _put(node, "ceterms:longitude", self.number(o, "Longitude"))
        _put(node, "ceterms:geoURI", self.url(o, "GeoURI"))
        _put(node, "ceterms:identifier", self.identifiers(o, "Identifier"))
        contacts = [c for c in map(self.contact_point, self.children(o, "ContactPoint")) if c]
        _put(node, "ceterms:targetContactPoint", contacts)
        return node if len(node) > 1 else None

    def street(self, o: _Obj) -> dict | None:
        prop = "ceterms:streetAddress"
        street = self.text(o, "Address1", prop, (prop, "AddressLangMap"))
        second = self.string(o, "Address2")
        if second is None:
            return street
        # "Street Address2 - this will be appended to Address1 on publish to the registry" (RA Place.cs).
        if street is None:
            return lang_map(second, self.lang)
        return {lang: f"{value}, {second}" for lang, value in street.items()}

    def contact_point(self, o: _Obj) -> dict | None:
        node: dict[str, Any] = {"@type": "ceterms:ContactPoint"}
        self.put_text(node, o, "Name", "ceterms:name")
        self.put_text(node, o, "ContactType", "ceterms:contactType")
        for key, prop in (("PhoneNumbers", "ceterms:telephone"), ("Emails", "ceterms:email"),
                          ("FaxNumber", "ceterms:faxNumber")):
            _put(node, prop, [_scalar(v) for v, _ in o.items(key)])
        _put(node, "ceterms:socialMedia", self.urls(o, "SocialMediaPages"))
        return node if len(node) > 1 else None

    def jurisdictions(self, o: _Obj, key: str, asserted: bool = False) -> list[dict]:
        """JurisdictionProfiles, as CE publishes them (embedded, globalJurisdiction false kept); with
        ``asserted``, RA JurisdictionAssertions (``RecognizedIn``…), whose AssertedBy the RA requires."""
        profiles = []
        for value, path in o.items(key):
            if not isinstance(value, dict):
                self.report(path, f"expected a {'JurisdictionAssertion' if asserted else 'Jurisdiction'} object")
                continue
            try:
                checked = check_object(value, JURISDICTION_ASSERTION if asserted else JURISDICTION, path,
                                        self.item.where.file)
            except InputError as exc:
                self.report(exc.where.path if isinstance(exc.where, Where) else path, exc.message)
                continue
            j = _Obj(checked, path)
            self.objects.append(j)
            node: dict[str, Any] = {"@type": "ceterms:JurisdictionProfile"}
            _put(node, "ceterms:globalJurisdiction", self.one(j, "GlobalJurisdiction", boolean))
            self.put_text(node, j, "Description", "ceterms:description")
            _put(node, "ceterms:mainJurisdiction", self.places(j, "MainJurisdiction"))
            _put(node, "ceterms:jurisdictionException", self.places(j, "JurisdictionException"))
            if asserted:
                _put(node, "ceterms:assertedBy", self.org_refs(j, "AssertedBy"))
                if "ceterms:assertedBy" not in node:
                    self.report(j.at("AssertedBy"), f"{key} needs AssertedBy, the organization(s) making the "
                                "assertion (required by the Registry Assistant)")
                    continue
            if len(node) > 1:
                profiles.append(node)
        return profiles

    def identifiers(self, o: _Obj, key: str) -> list[dict]:
        found = []
        for ident in self.children(o, key):
            code = self.string(ident, "IdentifierValueCode")
            node: dict[str, Any] = {"@type": "ceterms:IdentifierValue"}
            _put(node, "ceterms:identifierType", self.url(ident, "IdentifierType"))
            self.put_text(node, ident, "IdentifierTypeName", "ceterms:identifierTypeName")
            if code is None:
                self.report(ident.at("IdentifierValueCode"), "IdentifierValueCode is required")
                continue
            node["ceterms:identifierValueCode"] = code
            found.append(node)
        return found

    # --- profiles ------------------------------------------------------------------------------------
    def costs(self, o: _Obj, key: str) -> list[dict]:
        profiles = []
        for cost in self.children(o, key):
            base: dict[str, Any] = {"@type": "ceterms:CostProfile"}
            _put(base, "ceterms:costDetails", self.url(cost, "CostDetails"))
            self.put_text(base, cost, "Description", "ceterms:description")
            self.put_text(base, cost, "Name", "ceterms:name")
            items = self.children(cost, "CostItems")
            currency, prices = self.prices(cost, items)
            _put(base, "ceterms:currency", currency)
            _put(base, "ceterms:startDate", self.date(cost, "StartDate"))
            _put(base, "ceterms:endDate", self.date(cost, "EndDate"))
            _put(base, "ceterms:condition", self.texts(cost, "Condition", "ceterms:condition"))
            # The Assistant publishes one CostProfile per cost item, each repeating the shared details.
            profiles += [self.cost_item(item, dict(base), amount) for item, amount in zip(items, prices, strict=True)]
            if not items and len(base) > 1:
                profiles.append(base)
        return profiles

    def prices(self, cost: _Obj, items: list[_Obj]) -> tuple[str | None, list[int | float | None]]:
        """The cost's ISO 4217 Currency and each item's Price (None: none, or dropped with a warning).

        A Price is a C# decimal (``1.250`` is 1.25: no catalog's thousands rule) and may be typed with a
        currency sign (``€250``, ``$1,200``), checked as a catalog's are (``build.currencies``): the sign must
        agree with Currency; without a Currency, the one currency the signs stand for is the cost's. A price
        whose sign does not fit is dropped with a warning at its path; an unreadable Currency (reported)
        leaves the signs unchecked."""
        code = self.currency(cost)
        typed = [(text, *(split_currency_sign(text) if isinstance(text, str) else (None, text)))
                 for text in (item.get("Price") for item in items)]  # each Price, its sign and amount
        amounts = [self.one(item, "Price", lambda v, amount=amount: price_of_amount(v, amount))
                   for item, (_, _, amount) in zip(items, typed, strict=True)]
        if code is None and cost.get("Currency") is not None:
            return code, amounts  # an unreadable Currency (reported): the signs are not checked
        # Every typed sign is checked, a refused amount's too (as in a catalog).
        signed = [(i, text, sign) for i, (text, sign, _) in enumerate(typed) if sign]
        code, problems = resolve_currency(code, [(text, sign) for _, text, sign in signed], cost.key("Currency"),
                                          "the CostProfile's Currency", "a CostProfile's items")
        for j, message in problems:
            i = signed[j][0]
            self.report(items[i].at("Price"), message)
            amounts[i] = None
        return code, amounts

    def cost_item(self, o: _Obj, profile: dict[str, Any], amount: int | float | None) -> dict[str, Any]:
        cost_type = self.one(o, "DirectCostType", self.concept("ceterms:directCostType"))
        _put(profile, "ceterms:directCostType", cost_type)
        _put(profile, "ceterms:price", amount)
        self.put_text(profile, o, "PaymentPattern", "ceterms:paymentPattern")
        self.put_concepts(profile, o, "ResidencyType", "ceterms:residencyType")
        self.put_concepts(profile, o, "AudienceType", "ceterms:audienceType")
        return profile

    def durations(self, o: _Obj, key: str) -> list[dict]:
        profiles = []
        for duration in self.children(o, key):
            profile: dict[str, Any] = {"@type": "ceterms:DurationProfile"}
            self.put_text(profile, duration, "Description", "ceterms:description")
            for item_key, prop in (("ExactDuration", "ceterms:exactDuration"),
                                   ("MinimumDuration", "ceterms:minimumDuration"),
                                   ("MaximumDuration", "ceterms:maximumDuration")):
                item = self.child(duration, item_key)
                _put(profile, prop, self.duration_item(item) if item else None)
            if len(profile) > 1:
                profiles.append(profile)
        return profiles

    def duration_item(self, o: _Obj) -> str | None:
        """A DurationItem (``Duration_ISO8601``, or Years…Minutes) as ISO 8601; None when it is all zero."""
        given = self.one(o, "Duration_ISO8601", lambda v: iso_duration(_scalar(v)))
        date_part = time_part = ""
        for key, letter, is_time in DURATION_UNITS:
            amount = self.one(o, key, _duration_amount)
            if amount:
                time_part, date_part = (time_part + amount + letter, date_part) if is_time else \
                    (time_part, date_part + amount + letter)
        if given is not None:
            return given
        return "P" + date_part + ("T" + time_part if time_part else "") if date_part or time_part else None

    def financial_assistance(self, o: _Obj, key: str) -> list[dict]:
        profiles = []
        for aid in self.children(o, key):
            profile: dict[str, Any] = {"@type": "ceterms:FinancialAssistanceProfile"}
            self.put_text(profile, aid, "Name", "ceterms:name")
            self.put_text(profile, aid, "Description", "ceterms:description")
            _put(profile, "ceterms:subjectWebpage", self.url(aid, "SubjectWebpage"))
            self.put_concepts(profile, aid, "FinancialAssistanceType", "ceterms:financialAssistanceType")
            values = map(self.quantitative_value, self.children(aid, "FinancialAssistanceValue"))
            _put(profile, "ceterms:financialAssistanceValue", [v for v in values if v])
            if len(profile) > 1:
                profiles.append(profile)
        return profiles

    def quantitative_value(self, o: _Obj, percentage: bool = False) -> dict | None:
        node: dict[str, Any] = {"@type": "schema:QuantitativeValue"}
        for key, prop in VALUE_FIELDS if percentage else VALUE_FIELDS[:3]:
            _put(node, prop, self.number(o, key))
        self.put_text(node, o, "Description", "schema:description", VALUE_DESCRIPTIONS)
        return node if len(node) > 1 else None

    def aggregate_data(self, o: _Obj, key: str) -> list[dict]:
        """RA AggregateDataProfile (profiles/AggregateDataProfile.cs) → ceterms:AggregateDataProfile, as the
        Assistant publishes it: earnings and counts as numbers (0 is the C# default, left out), jobs obtained as
        QuantitativeValues (with a percentage). RelevantDataSet (QData records) is not converted (warned)."""
        profiles = []
        for data in self.children(o, key):
            node: dict[str, Any] = {"@type": "ceterms:AggregateDataProfile"}
            self.put_text(node, data, "Name", "ceterms:name")
            self.put_text(node, data, "Description", "ceterms:description")
            self.put_text(node, data, "DemographicInformation", "ceterms:demographicInformation")
            _put(node, "ceterms:dateEffective", self.date(data, "DateEffective"))
            _put(node, "ceterms:currency", self.currency(data))
            for item_key, prop in (("HighEarnings", "ceterms:highEarnings"), ("LowEarnings", "ceterms:lowEarnings"),
                                   ("MedianEarnings", "ceterms:medianEarnings")):
                _put(node, prop, self.number(data, item_key))
            _put(node, "ceterms:jobsObtained", self.jobs_obtained(data))
            for item_key, prop in (("NumberAwarded", "ceterms:numberAwarded"),
                                   ("PostReceiptMonths", "ceterms:postReceiptMonths")):
                _put(node, prop, self.one(data, item_key, _count) or None)
            _put(node, "ceterms:source", self.url(data, "Source"))
            _put(node, "ceterms:jurisdiction", self.jurisdictions(data, "Jurisdiction"))
            if len(node) > 1:
                profiles.append(node)
        return profiles

    def jobs_obtained(self, data: _Obj) -> list[dict]:
        """JobsObtained: QuantitativeValues (JobsObtainedList in older requests), or a plain count."""
        if isinstance(data.get("JobsObtained"), (int, float, str)):
            count = self.one(data, "JobsObtained", _count)
            return [{"@type": "schema:QuantitativeValue", "schema:value": count}] if count else []
        values = [self.quantitative_value(v, percentage=True)
                  for key in ("JobsObtained", "JobsObtainedList") for v in self.children(data, key)]
        return [v for v in values if v]

    def value_profiles(self, o: _Obj, key: str) -> list[dict]:
        profiles = []
        for value in self.children(o, key):
            node: dict[str, Any] = {"@type": "ceterms:ValueProfile"}
            self.put_concepts(node, value, "CreditUnitType", "ceterms:creditUnitType")
            self.put_concepts(node, value, "CreditLevelType", "ceterms:creditLevelType")
            self.put_text(node, value, "Description", "schema:description", VALUE_DESCRIPTIONS)
            for item_key, prop in VALUE_FIELDS:
                _put(node, prop, self.number(value, item_key))
            _put(node, "ceterms:subject", self.names_as_alignments(value, "Subject", "ceterms:subject"))
            if len(node) > 1:
                profiles.append(node)
        return profiles

    def conditions(self, o: _Obj, key: str) -> list[dict]:
        return [profile for c in self.children(o, key) if (profile := self.condition(c))]

    def condition(self, o: _Obj) -> dict | None:
        node: dict[str, Any] = {"@type": "ceterms:ConditionProfile"}
        for key, prop in (("Name", "ceterms:name"), ("Description", "ceterms:description"),
                          ("Experience", "ceterms:experience"),
                          ("SubmissionOfDescription", "ceterms:submissionOfDescription"),
                          ("CreditUnitTypeDescription", "ceterms:creditUnitTypeDescription")):
            _put(node, prop, self.text(o, key, prop))
        _put(node, "ceterms:condition", self.texts(o, "Condition", "ceterms:condition"))
        _put(node, "ceterms:subjectWebpage", self.url(o, "SubjectWebpage"))
        _put(node, "ceterms:assertedBy", self.org_refs(o, "AssertedBy"))
        self.put_concepts(node, o, "AudienceType", "ceterms:audienceType")
        self.put_concepts(node, o, "AudienceLevelType", "ceterms:audienceLevelType")
        _put(node, "ceterms:creditValue", self.value_profiles(o, "CreditValue"))
        _put(node, "ceterms:dateEffective", self.date(o, "DateEffective"))
        _put(node, "ceterms:minimumAge", self.number(o, "MinimumAge"))
        _put(node, "ceterms:yearsOfExperience", self.number(o, "YearsOfExperience"))
        _put(node, "ceterms:weight", self.number(o, "Weight"))
        _put(node, "ceterms:submissionOf", self.urls(o, "SubmissionOf"))
        _put(node, "ceterms:estimatedCost", self.costs(o, "EstimatedCost"))
        _put(node, "ceterms:commonCosts", self.references(o, "CommonCosts"))
        _put(node, "ceterms:jurisdiction", self.jurisdictions(o, "Jurisdiction"))
        _put(node, "ceterms:residentOf", self.jurisdictions(o, "ResidentOf"))
        self.targets(o, node)
        _put(node, "ceterms:alternativeCondition", self.conditions(o, "AlternativeCondition"))
        return node if len(node) > 1 else None

    def targets(self, o: _Obj, node: dict[str, Any]) -> None:
        for key, prop, root, default in (
                ("TargetAssessment", "ceterms:targetAssessment", ASSESSMENT, ASSESSMENT),
                ("TargetCredential", "ceterms:targetCredential", CREDENTIAL_ROOT, None),
                ("TargetLearningOpportunity", "ceterms:targetLearningOpportunity", LOPP, LOPP)):
            _put(node, prop, self.entity_refs(o, key, (root,), default))
        competencies = self.alignments(o, "TargetCompetency")
        _put(node, "ceterms:targetCompetency", competencies + self.frameworks(o, "TargetCompetencyFramework"))

    # --- alignments and codes ------------------------------------------------------------------------
    def alignments(self, o: _Obj, key: str) -> list[dict]:
        """CredentialAlignmentObjects as given (Teaches, Assesses, TargetCompetency)."""
        found = []
        for a in self.children(o, key):
            node: dict[str, Any] = {"@type": CAO}
            _put(node, "ceterms:codedNotation", self.string(a, "CodedNotation"))
            _put(node, "ceterms:framework", self.ref(a, "Framework"))
            self.put_text(node, a, "FrameworkName", "ceterms:frameworkName")
            _put(node, "ceterms:targetNode", self.ref(a, "TargetNode"))
            self.put_text(node, a, "TargetNodeName", "ceterms:targetNodeName")
            self.put_text(node, a, "TargetNodeDescription", "ceterms:targetNodeDescription")
            _put(node, "ceterms:weight", self.number(a, "Weight"))
            a.mark("Type")  # always a CredentialAlignmentObject
            if "ceterms:targetNodeName" not in node:
                self.report(a.at("TargetNodeName"), "TargetNodeName is required for an alignment")
                continue
            found.append(node)
        return found

    def frameworks(self, o: _Obj, key: str) -> list[dict]:
        """Framework CTIDs → one alignment per competency when the framework is in this conversion."""
        def linked(value: Any, path: str) -> str:
            framework_ctid = normalize_ctid(_scalar(value))
            self.link(path, value, self.ctx.uri(framework_ctid))
            return framework_ctid

        found: list[dict] = []
        for framework_ctid, path in self.converted(o, key, linked):
            framework = self.ctx.frameworks.get(framework_ctid)
            if framework is None:
                self.ctx.problems.warn(Where(self.item.where.file, path=path),
                                       f"framework {framework_ctid} is not in this conversion: linked as a "
                                       "framework, not expanded to its competencies")
                found.append({"@type": CAO, "ceterms:framework": self.ctx.uri(framework_ctid)})
                continue
            found += [{"@type": CAO, "ceterms:framework": self.ctx.uri(framework_ctid),
                       "ceterms:frameworkName": lang_map(framework.name, self.lang),
                       "ceterms:targetNode": self.ctx.uri(competency),
                       "ceterms:targetNodeName": lang_map(text, self.lang)}
                      for competency, text in framework.competencies]
        return found

    def codes(self, o: _Obj) -> None:
        for items_key, free_key, list_keys, prop, normalize in CODE_FIELDS:
            for item in self.children(o, items_key):
                self.framework_item(item, prop, normalize)
            # Not the ceterms:occupationType spelling: in RA that key holds ready-made CAOs, not text.
            free_aliases = (f"{free_key}_Map", f"{free_key}LangMap")
            _extend(self.node, prop, self.names_as_alignments(o, free_key, prop, free_aliases))
            if prop == "ceterms:industryType" and self.admits("ceterms:naics"):
                # As CE publishes them: the codes as given under ceterms:naics, not as alignments.
                _put(self.node, "ceterms:naics", self.naics(o, list_keys))
                continue
            for list_key in list_keys:
                for value, path in o.items(list_key):
                    self.code(_scalar(value), path, normalize)

    def admits(self, prop: str) -> bool:
        """True when CTDL defines ``prop`` for the resource's type."""
        return self.in_domain(vocabulary().properties[prop].domain)

    def in_domain(self, domain: set[str]) -> bool:
        """True when the resource's type is (a subclass of) one of the classes of ``domain``."""
        return bool(vocabulary().superclasses(self.head.type) & domain)

    def naics(self, o: _Obj, keys: tuple[str, ...]) -> list[str]:
        """NAICS codes (checked by the codes module, each once) for ``ceterms:naics``."""
        found: list[str] = []
        for key in keys:
            for code, path in self.converted(o, key, lambda value, _: normalize_naics(_scalar(value))):
                self.code_warnings(code, path)
                if code.code not in found:
                    found.append(code.code)
        return found

    def code(self, text: str, path: str, normalize: Callable[[str], Any], name: str | None = None,
             fallback: bool = False) -> dict | None:
        """Add the code's alignment under the property the codes module names; None if unreadable
        (``fallback``: the caller keeps the item as the user wrote it)."""
        try:
            code = normalize(text)
        except ValueError as exc:
            if fallback:
                self.ctx.problems.warn(Where(self.item.where.file, path=path), f"{exc}; kept as given")
            else:
                self.report(path, str(exc))
            return None
        self.code_warnings(code, path)
        alignment = code_alignment(code, self.lang, name=name)
        alignments = self.node.setdefault(property_for(code), [])
        for given in alignments:  # the same code given twice (IndustryType and NaicsList): written once
            if all(given.get(k) == alignment[k] for k in ("ceterms:codedNotation", "ceterms:framework")):
                return given
        alignments.append(alignment)
        return alignment

    def code_warnings(self, code: Any, path: str) -> None:
        """Warn at ``path`` with each of the codes module's warnings about ``code``."""
        for message in code.warnings:
            self.ctx.problems.warn(Where(self.item.where.file, path=path), message)

    def framework_item(self, o: _Obj, prop: str, normalize: Callable[[str], Any]) -> None:
        names = self.text(o, "Name", "ceterms:targetNodeName")
        name = (names.get(self.lang) or next(iter(names.values()))) if names else None
        description = self.text(o, "Description", "ceterms:targetNodeDescription")
        notation = self.string(o, "CodedNotation")
        path = o.at("CodedNotation")
        added = self.code(notation, path, normalize, name, fallback=True) if notation is not None else None
        if added is not None:
            # The codes module's framework and targetNode stand (the user's are older copies of the same
            # lists); the user's description is kept.
            if description and "ceterms:targetNodeDescription" not in added:
                added["ceterms:targetNodeDescription"] = description
            o.read_all()
            return
        node: dict[str, Any] = {"@type": CAO}
        _put(node, "ceterms:codedNotation", notation)
        _put(node, "ceterms:framework", self.url(o, "Framework"))
        self.put_text(node, o, "FrameworkName", "ceterms:frameworkName")
        _put(node, "ceterms:targetNode", self.url(o, "TargetNode"))
        _put(node, "ceterms:targetNodeName", names)
        _put(node, "ceterms:targetNodeDescription", description)
        if len(node) > 1:
            self.node.setdefault(prop, []).append(node)

    # --- the resource --------------------------------------------------------------------------------
    def build(self) -> None:
        body = self.head.body
        self.common(body)
        kinds = {LEARNING: self.learning, CREDENTIAL: self.credential, ORGANIZATION: self.organization}
        kinds[self.head.kind](body)
        self.drop_out_of_domain()
        self.report_unread()
        if self.head.derived_ctid:
            self.ctx.problems.warn(Where(self.item.where.file, path=body.at("CTID")),
                                   f"no CTID given (the Registry Assistant requires one): derived "
                                   f"{self.head.ctid} from Name and SubjectWebpage")

    def common(self, o: _Obj) -> None:
        node = self.node
        node["ceterms:name"] = self.text(o, "Name", "ceterms:name")
        self.put_text(node, o, "Description", "ceterms:description")
        _put(node, "ceterms:subjectWebpage", self.url(o, "SubjectWebpage", required=True))
        _put(node, "ceterms:alternateName", self.texts(o, "AlternateName", "ceterms:alternateName"))
        _put(node, "ceterms:keyword", self.texts(o, "Keyword", "ceterms:keyword"))
        _put(node, "ceterms:identifier", self.identifiers(o, "Identifier"))
        _put(node, "ceterms:sameAs", self.urls(o, "SameAs"))
        _put(node, "ceterms:availabilityListing", self.urls(o, "AvailabilityListing"))
        _put(node, "ceterms:image", self.url(o, "Image"))
        for key, prop in ORG_PROPS.items():
            _put(node, prop, self.org_refs(o, key, required=key in REQUIRED_ORGS))
        _put(node, "ceterms:jurisdiction", self.jurisdictions(o, "Jurisdiction"))
        for key, prop in ASSERTION_PROPS.items():
            _put(node, prop, self.jurisdictions(o, key, asserted=True))
        _put(node, "ceterms:lifeCycleStatusType",
             self.one(o, "LifeCycleStatusType", self.concept("ceterms:lifeCycleStatusType")))
        o.mark("Type", "@type", "CTID", "@id")  # read in pass 1; @id only names blank nodes in the RA
        self.codes(o)

    def program(self, o: _Obj) -> None:
        """What credentials and learning opportunities share."""
        node = self.node
        languages = self.each(o, "InLanguage", lambda v: language_code(_scalar(v), self.lang))
        node["ceterms:inLanguage"] = languages or [self.lang]
        _put(node, "ceterms:subject", self.names_as_alignments(o, "Subject", "ceterms:subject"))
        _put(node, "ceterms:dateEffective", self.date(o, "DateEffective"))
        _put(node, "ceterms:expirationDate", self.date(o, "ExpirationDate"))
        _put(node, "ceterms:versionIdentifier", self.identifiers(o, "VersionIdentifier"))
        _put(node, "ceterms:versionCode", self.string(o, "VersionCode"))
        _put(node, "ceterms:availableOnlineAt", self.urls(o, "AvailableOnlineAt"))
        _put(node, "ceterms:availableAt", self.places(o, "AvailableAt"))
        _put(node, "ceterms:estimatedCost", self.costs(o, "EstimatedCost"))
        _put(node, "ceterms:estimatedDuration", self.durations(o, "EstimatedDuration"))
        _put(node, "ceterms:financialAssistance", self.financial_assistance(o, "FinancialAssistance"))
        _put(node, "ceterms:aggregateData", self.aggregate_data(o, "AggregateData"))
        for key, prop in CONDITION_PROPS.items():
            _put(node, prop, self.conditions(o, key))
        self.put_concepts(node, o, "AudienceType", "ceterms:audienceType")
        self.put_concepts(node, o, "AudienceLevelType", "ceterms:audienceLevelType")
        self.put_concepts(node, o, "LearningMethodType", "ceterms:learningMethodType")
        self.put_text(node, o, "LearningMethodDescription", "ceterms:learningMethodDescription")
        _put(node, "ceterms:commonCosts", self.references(o, "CommonCosts"))
        _put(node, "ceterms:commonConditions", self.references(o, "CommonConditions"))
        _put(node, "ceterms:hasSupportService", self.references(o, "HasSupportService"))
        _put(node, "ceterms:inCatalog", self.url(o, "InCatalog"))
        _put(node, "ceterms:isNonCredit", self.one(o, "IsNonCredit", boolean))
        _put(node, "ceterms:codedNotation", self.string(o, "CodedNotation"))
        _put(node, "ceterms:degreeConcentration",
             self.names_as_alignments(o, "DegreeConcentration", "ceterms:degreeConcentration"))
        if not (node.get("ceterms:ownedBy") or node.get("ceterms:offeredBy")):
            self.no_owner(o)

    def no_owner(self, o: _Obj) -> None:
        if self.ctx.owner:
            self.node["ceterms:ownedBy"] = [self.ctx.uri(self.ctx.owner)]
            return
        self.ctx.problems.warn(Where(self.item.where.file, path=o.at("OwnedBy")),
                               "neither OwnedBy nor OfferedBy given: the Registry requires one "
                               "(or use --owner)")

    def learning(self, o: _Obj) -> None:
        node = self.node
        self.program(o)
        node.setdefault("ceterms:lifeCycleStatusType",
                        concept_alignment("ceterms:lifeCycleStatusType", "lifeCycle:Active", self.lang))
        is_part = (LOPP,)
        _put(node, "ceterms:hasPart", self.entity_refs(o, "HasPart", is_part, LOPP))
        _put(node, "ceterms:isPartOf", self.entity_refs(o, "IsPartOf", is_part, LOPP))
        _put(node, "ceterms:prerequisite", self.entity_refs(o, "Prerequisite", is_part, "ceterms:Course"))
        self.put_concepts(node, o, "DeliveryType", "ceterms:deliveryType")
        self.put_text(node, o, "DeliveryTypeDescription", "ceterms:deliveryTypeDescription")
        self.put_concepts(node, o, "AssessmentMethodType", "ceterms:assessmentMethodType")
        self.put_text(node, o, "AssessmentMethodDescription", "ceterms:assessmentMethodDescription")
        teaches = self.alignments(o, "Teaches")
        _put(node, "ceterms:teaches", teaches + self.frameworks(o, "TeachesCompetencyFramework"))
        _put(node, "ceterms:assesses", self.alignments(o, "Assesses"))
        _put(node, "ceterms:creditValue", self.value_profiles(o, "CreditValue"))
        self.put_text(node, o, "CreditUnitTypeDescription", "ceterms:creditUnitTypeDescription")
        _put(node, "ceterms:sced", self.string(o, "SCED"))
        for key, prop in (("OfferFrequencyType", "ceterms:offerFrequencyType"),
                          ("ScheduleFrequencyType", "ceterms:scheduleFrequencyType"),
                          ("ScheduleTimingType", "ceterms:scheduleTimingType")):
            _put(node, prop, self.concepts(o, key, prop))
        _put(node, "ceterms:targetLearningResource", self.urls(o, "TargetLearningResource"))

    def credential(self, o: _Obj) -> None:
        node = self.node
        self.program(o)
        o.mark("CredentialType")  # read in pass 1
        status = self.one(o, "CredentialStatusType", self.concept("ceterms:credentialStatusType"))
        node["ceterms:credentialStatusType"] = status or concept_alignment(
            "ceterms:credentialStatusType", "credentialStat:Active", self.lang)
        is_part = (CREDENTIAL_ROOT,)
        _put(node, "ceterms:hasPart", self.entity_refs(o, "HasPart", is_part, None))
        _put(node, "ceterms:isPartOf", self.entity_refs(o, "IsPartOf", is_part, None))
        _put(node, "ceterms:credentialId", self.string(o, "CredentialId"))
        _put(node, "ceterms:isicV4", self.string(o, "ISICV4"))
        self.put_concepts(node, o, "LearningDeliveryType", "ceterms:learningDeliveryType")
        self.put_concepts(node, o, "AssessmentDeliveryType", "ceterms:assessmentDeliveryType")
        renewal = self.child(o, "RenewalFrequency")
        _put(node, "ceterms:renewalFrequency", self.duration_item(renewal) if renewal else None)
        for key, prop in (("DegreeMajor", "ceterms:degreeMajor"), ("DegreeMinor", "ceterms:degreeMinor")):
            _put(node, prop, self.names_as_alignments(o, key, prop))
        for key in ("LatestVersion", "PreviousVersion", "NextVersion", "Supersedes", "SupersededBy"):
            prop = "ceterms:" + key[0].lower() + key[1:]
            _put(node, prop, self.ref(o, key))
        _put(node, "ceterms:processStandards", self.url(o, "ProcessStandards"))
        self.put_text(node, o, "ProcessStandardsDescription", "ceterms:processStandardsDescription")

    def organization(self, o: _Obj) -> None:
        node = self.node
        self.put_concepts(node, o, "AgentType", "ceterms:agentType")
        _put(node, "ceterms:agentSectorType",
             self.one(o, "AgentSectorType", self.concept("ceterms:agentSectorType")))
        _put(node, "ceterms:email", [_scalar(v) for v, _ in o.items("Email")])
        _put(node, "ceterms:address", self.places(o, "Address"))
        _put(node, "ceterms:agentPurpose", self.url(o, "AgentPurpose"))
        self.put_text(node, o, "AgentPurposeDescription", "ceterms:agentPurposeDescription")
        _put(node, "ceterms:socialMedia", self.urls(o, "SocialMedia"))
        self.put_concepts(node, o, "ServiceType", "ceterms:serviceType")
        _put(node, "ceterms:foundingDate", self.string(o, "FoundingDate"))
        _put(node, "ceterms:closingDate", self.date(o, "ClosingDate"))
        for key, prop in (("Duns", "ceterms:duns"), ("Fein", "ceterms:fein"), ("IpedsId", "ceterms:ipedsID"),
                          ("OpeId", "ceterms:opeID"), ("LEICode", "ceterms:leiCode"),
                          ("ISICV4", "ceterms:isicV4"), ("NcesID", "ceterms:ncesID")):
            _put(node, prop, self.string(o, key))
        _put(node, "ceterms:hasConditionManifest", self.references(o, "HasConditionManifest"))
        _put(node, "ceterms:hasCostManifest", self.references(o, "HasCostManifest"))
        _put(node, "ceterms:missionAndGoalsStatement", self.url(o, "MissionAndGoalsStatement"))
        mission = "MissionAndGoalsStatementDescription"
        self.put_text(node, o, mission, "ceterms:missionAndGoalsStatementDescription")
        any_type = (CREDENTIAL_ROOT, ASSESSMENT, LOPP)
        _put(node, "ceterms:owns", self.entity_refs(o, "Owns", any_type, None))
        _put(node, "ceterms:offers", self.entity_refs(o, "Offers", any_type, None))

    def drop_out_of_domain(self) -> None:
        """Drop properties CTDL does not define for this type (e.g. ceterms:sced on a LearningProgram)."""
        vocab = vocabulary()
        for prop in [p for p in self.node if not p.startswith("@") and p != "ceterms:ctid"]:
            domain = vocab.properties[prop].domain
            if domain and not self.in_domain(domain):
                del self.node[prop]
                self.ctx.problems.warn(Where(self.item.where.file, path=self.head.body.path),
                                       f"{prop} does not apply to {self.head.type} in CTDL; ignored")

    def report_unread(self) -> None:
        for o in self.objects:
            for key in o.unread():
                self.ctx.problems.warn(Where(self.item.where.file, path=o.at(key)), NOT_CONVERTED)
        request = _Obj(self.item.data, self.item.where.path or "$")
        for key in request.data:
            if (key not in ENVELOPE or key == "ReferenceObjects") and not _is_empty(request.data[key]):
                self.ctx.problems.warn(Where(self.item.where.file, path=request.at(key)), NOT_CONVERTED)


def _count(value: Any) -> int:
    """A whole, non-negative number (a C# int): 12, "12", 12.0."""
    amount = number(value)
    if amount < 0 or amount != int(amount):
        raise ValueError(f"{value!r} is not a whole number of 0 or more")
    return int(amount)


def _duration_amount(value: Any) -> str:
    amount = number(value)
    if amount < 0:
        raise ValueError(f"{value!r} is negative")
    return str(amount)


# --- publishGraph requests -------------------------------------------------------------------------
def _graph_nodes(item: PrebuiltInput) -> list[dict]:
    nodes = item.data["GraphInput"].get("@graph")
    if not isinstance(nodes, list) or not nodes or not all(isinstance(n, dict) for n in nodes):
        raise Unconvertible(f"{item.where.path or '$'}.GraphInput.@graph", "expected a list of nodes")
    return nodes


def _graph_main(item: PrebuiltInput) -> dict:
    for node in _graph_nodes(item):
        if node.get("ceterms:ctid") and not str(node.get("@id", "")).startswith("_:"):
            return node
    raise Unconvertible(f"{item.where.path or '$'}.GraphInput.@graph", "no node with a ceterms:ctid")


def _graph_head(item: PrebuiltInput) -> tuple[str, str, str]:
    main = _graph_main(item)
    path = f"{item.where.path or '$'}.GraphInput.@graph"
    try:
        ctid = normalize_ctid(str(main["ceterms:ctid"]))
    except ValueError as exc:
        raise Unconvertible(path, str(exc)) from None
    type_ = main.get("@type")
    if not isinstance(type_, str) or type_ not in vocabulary().classes:
        raise Unconvertible(path, f"main node @type {type_!r} is not a CTDL class")
    names = main.get("ceterms:name")
    name = next(iter(names.values()), "") if isinstance(names, dict) and names else str(names or "")
    return ctid, type_, str(name)


def _kind_of_class(type_: str) -> str:
    vocab = vocabulary()
    for root, kind in ((CREDENTIAL_ROOT, CREDENTIAL), (LOPP, LEARNING), (ORG_ROOT, ORGANIZATION)):
        if vocab.is_a(type_, root):
            return kind
    return "graph"


def _build_graph(item: PrebuiltInput, ctx: BuildContext) -> GraphDocument | None:
    """A publishGraph request's graph, passed through: main node first, nodes unchanged."""
    graph, path = item.data["GraphInput"], f"{item.where.path or '$'}.GraphInput"
    where = Where(item.where.file, path=path)
    try:
        ctid, _type, _name = _graph_head(item)
    except Unconvertible as exc:
        ctx.problems.error(Where(item.where.file, path=exc.path), str(exc))
        return None
    indexed = ctx.by_ctid.get(ctid)
    if indexed is None or indexed.where != item.where:
        return None
    context = graph.get("@context")
    if context not in CONTEXT_URLS or "ctdlasn" in str(context):
        ctx.problems.error(where.at(path=f"{path}.@context"), f"expected the CTDL context, got {context!r}")
        return None
    if item.data.get("HasLanguageMaps") is False:
        ctx.problems.error(where.at(path=f"{item.where.path or '$'}.HasLanguageMaps"),
                           "graphs without language maps (HasLanguageMaps: false) are not supported")
        return None
    main = _graph_main(item)
    base = _graph_base(main, ctid, ctx, where)
    if graph.get("@id") and graph["@id"] != graph_uri(ctid, base):
        ctx.problems.warn(where.at(path=f"{path}.@id"), f"graph @id is not {graph_uri(ctid, base)}: "
                          "rewritten")
    nodes = [main] + [n for n in _graph_nodes(item) if n is not main]
    return GraphDocument(ctid, nodes, context=str(context), base=base)


def _graph_base(main: dict, ctid: str, ctx: BuildContext, where: Where) -> str:
    """The registry the graph's URIs belong to (read from the main node's @id), kept as given."""
    node_id = str(main.get("@id", ""))
    suffix = f"/resources/{ctid}"
    if not node_id.lower().endswith(suffix):
        ctx.problems.warn(where, f"main node @id {node_id!r} is not a registry resource URI for {ctid}")
        return ctx.base
    base = node_id[: -len(suffix)]
    if base.rstrip("/") != ctx.base.rstrip("/"):
        ctx.problems.warn(where, f"the graph's URIs are on {base}, not {ctx.base}; passed through unchanged")
    return base
