"""Catalog records (credentials, learning opportunities, organizations) → CTDL graph documents.

Every field is converted on its own; a bad value is reported at its cell and the record is not written,
but the other fields are still checked so one run shows every problem of a row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ctdl_tools.build.codes import code_alignment, property_for
from ctdl_tools.build.context import AmbiguousReference, BuildContext, FrameworkIndex
from ctdl_tools.build.currencies import currency_code, resolve_currency, split_currency_sign
from ctdl_tools.build.document import BlankNodes, GraphDocument, new_resource
from ctdl_tools.build.languages import check_language_tag, read_language
from ctdl_tools.build.nodes import (
    boolean,
    concept_alignment,
    duration_profile,
    iso_date,
    lang_map,
    number,
    price_of_amount,
    resolve_concept,
    url,
)
from ctdl_tools.catalog.codes import normalize_cip, normalize_naics, normalize_occupation
from ctdl_tools.catalog.fields import FIELDS
from ctdl_tools.catalog.model import CREDENTIAL, LEARNING, ORGANIZATION, Record
from ctdl_tools.catalog.tabular import SAMPLE_MESSAGE, list_value, sample_leftovers
from ctdl_tools.ctid import ctid_in_uri, is_ctid, normalize_ctid
from ctdl_tools.errors import Where
from ctdl_tools.vocab import class_index

CLASS_ROOTS = {
    CREDENTIAL: "ceterms:Credential",
    LEARNING: "ceterms:LearningOpportunityProfile",
    ORGANIZATION: "ceterms:Organization",
}
DEFAULT_TYPE = {LEARNING: "ceterms:LearningOpportunityProfile", ORGANIZATION: "ceterms:CredentialOrganization"}
# Generic types the Registry refuses ("top level types that may not be published", RA CredentialRequest.cs).
UNPUBLISHABLE = {"ceterms:Credential", "ceterms:Degree"}
MISSING_ID = ("Either an identifier from the source system or a ctid must be provided to uniquely identify "
              "an input record.")
CONDITION_PROPERTIES = {
    "requires": "ceterms:requires", "required": "ceterms:requires", "prerequisite": "ceterms:requires",
    "prerequisites": "ceterms:requires", "recommends": "ceterms:recommends",
    "recommended": "ceterms:recommends", "entrycondition": "ceterms:entryCondition",
    "corequisite": "ceterms:corequisite", "renewal": "ceterms:renewal",
}
ORG_REF_FIELDS = {
    "owned_by": ("ceterms:ownedBy", "ceterms:CredentialOrganization"),
    "offered_by": ("ceterms:offeredBy", "ceterms:CredentialOrganization"),
    "accredited_by": ("ceterms:accreditedBy", "ceterms:QACredentialOrganization"),
    "approved_by": ("ceterms:approvedBy", "ceterms:QACredentialOrganization"),
    "recognized_by": ("ceterms:recognizedBy", "ceterms:QACredentialOrganization"),
    "regulated_by": ("ceterms:regulatedBy", "ceterms:QACredentialOrganization"),
}
ORG_KINDS = (ORGANIZATION,)
PROGRAM_KINDS = (LEARNING, CREDENTIAL)
KIND_WORDS = {CREDENTIAL: "a credential", LEARNING: "a learning opportunity", ORGANIZATION: "an organization"}
DEFAULT_CURRENCY = "USD"
US_ZIP_DIGITS = 5
US_NAMES = frozenset({"", "us", "usa", "united states", "united states of america", "america"})


def same_as_owner(ref: str) -> bool:
    """CE's Publisher word for an Offered By that is the record's owner (its learning opportunity template,
    and CE's own catalog tools, fill Offered By with ``same as owner``)."""
    return " ".join(str(ref).lower().replace("-", " ").split()) == "same as owner"


# --- pass 1 ------------------------------------------------------------------------------------------
def record_ctid(record: Record, ctx: BuildContext, owner: str | None = None) -> str | None:
    """The record's CTID: as given (validated), else derived from its external id and owner (``owner``: its
    :func:`record_owner`, when the caller has it). None if neither."""
    given = record.get("ctid")
    if given is not None:
        return normalize_ctid(str(given))
    return ctx.ctid_for(record.kind, None, record.external_id, owner or record_owner(record, ctx))


def record_owner(record: Record, ctx: BuildContext) -> str | None:
    """Who the record belongs to: its first Owned By (else Offered By) value, else --owner, as a CTID
    however it is written (a CTID in any case, or the External Identifier of an organization of this
    conversion, registered first), so that writing the owner another way does not change the record's
    CTID; anything else (Name~URL) is kept as written."""
    for field in ("owned_by", "offered_by"):
        values = [v for v in list_value(record.get(field)) if not same_as_owner(v)]
        if values:
            first = values[0]
            if is_ctid(first.lower()):
                return first.lower()
            return ctx.by_external_id.get((ORGANIZATION, first), first)
    return ctx.owner


def record_type(record: Record) -> str:
    word = record.get("type")
    if word is None:
        return DEFAULT_TYPE.get(record.kind, CLASS_ROOTS[record.kind])
    if record.kind == LEARNING and str(word).strip().lower() in ("learning opportunity", "learningopportunity"):
        return "ceterms:LearningOpportunityProfile"
    return class_index(CLASS_ROOTS[record.kind]).resolve(str(word))


def index_record(record: Record, ctx: BuildContext) -> None:
    """Register the record's CTID, external id and type; problems are left for pass 2 to report."""
    owner = record_owner(record, ctx)
    try:
        ctid = record_ctid(record, ctx, owner)
    except ValueError:
        return
    if ctid is None:
        return
    try:
        type_ = record_type(record)
    except ValueError:
        type_ = CLASS_ROOTS[record.kind]
    ok = ctx.register(record.kind, ctid, type_, _display(record.get("name")), record.where, record.external_id,
                      owner)
    if ok and record.kind == LEARNING:
        ctx.pending_parts.append((ctid, list_value(record.get("has_part")), record.at("has_part")))


def _display(value: Any) -> str:
    """A name to show: a language map's first text."""
    if isinstance(value, dict):
        return next(iter(value.values()), "")
    return str(value or "")


# --- pass 2 ------------------------------------------------------------------------------------------
class _RecordBuilder:
    def __init__(self, record: Record, ctx: BuildContext, ctid: str, type_: str) -> None:
        self.record, self.ctx, self.ctid = record, ctx, ctid
        self.lang = ctx.language  # --language: our English labels (concepts, code titles), inLanguage's default
        self.language_codes, self.language_error = self.read_languages()  # the Language cell, read once
        self.text_lang = self.row_language()  # the row's own texts
        self.node: dict[str, Any] = new_resource(ctid, type_, ctx.base)
        self.blank = BlankNodes(ctid)
        self.failed = False
        self.failed_fields: set[str] = set()  # fields whose value was refused (so not also "missing")

    def read_languages(self) -> tuple[list[str], ValueError | None]:
        """The codes of the row's Language cell (a rewritten one warned about: ``eng`` is ``en``), or the error
        its first unreadable language gives."""
        codes = []
        try:
            for word in list_value(self.record.get("language")):
                code, note = read_language(word, self.lang)
                if note:
                    self.warn("language", note)
                codes.append(code)
        except ValueError as exc:
            return [], exc
        return codes, None

    def row_language(self) -> str:
        """The language the row's texts are written in: the one its Language cell names (a Spanish course's
        name is Spanish), else (several, none, or one the language step refuses) the run's ``--language``."""
        if self.language_error is not None:
            return self.lang
        tags = set(self.language_codes)  # read_language gives checked tags, in BCP 47's case
        return tags.pop() if len(tags) == 1 else self.lang

    # Each step reads one or more fields; a ValueError becomes an error at that field's cell.
    def step(self, name: str, convert: Callable[[Any], Any], prop: str | None = None) -> None:
        value = self.record.get(name)
        if value is None:
            return
        try:
            result = convert(value)
        except ValueError as exc:
            self.error(name, str(exc))
            return
        if prop is not None and result not in (None, [], {}):
            self.node[prop] = result

    def put(self, node: dict[str, Any], prop: str, name: str, value: Any, convert: Callable[[Any], Any]) -> None:
        """One value of a multi-field profile, its error at its own column."""
        try:
            node[prop] = convert(value)
        except ValueError as exc:
            self.error(name, str(exc))

    def error(self, name: str, message: str) -> None:
        self.error_at(self.record.at(name), message)
        self.failed_fields.add(name)

    def header(self, name: str) -> str:
        """The field's column as the user wrote it, else as CE's template names it."""
        return self.record.columns.get(name) or FIELDS[self.record.kind].get(name, (name,))[0]

    def at_column(self, name: str) -> Where:
        """Where a field is, or would be: a missing column is named as the template names it."""
        if name in self.record.columns:
            return self.record.at(name)
        if self.record.where.path is not None:
            return self.record.where.at(path=f"{self.record.where.path}.{self.header(name)}")
        return self.record.where.at(column=self.header(name))

    def error_at(self, where: Where, message: str) -> None:
        self.ctx.problems.error(where, message)
        self.failed = True

    def warn(self, name: str, message: str) -> None:
        self.ctx.problems.warn(self.record.at(name), message)

    # --- value converters ---------------------------------------------------------------------------
    def text(self, value: Any) -> dict:
        if isinstance(value, dict):  # a language map from a JSON/YAML catalog (jsoncat checked its texts)
            out: dict[str, str] = {}
            for tag, text in value.items():
                if not text.strip():
                    continue
                language = check_language_tag(tag)
                if language in out and out[language] != text.strip():  # "en-us" and "en-US": one language
                    raise ValueError(f"two texts in {language} (one under {tag!r}): a language map holds one text "
                                     "per language")
                out[language] = text.strip()
            return out
        return lang_map(str(value).strip(), self.text_lang)

    def texts(self, value: Any) -> dict:
        if isinstance(value, dict):  # a language map of texts or lists from a JSON/YAML catalog (as for text)
            lists: dict[str, list[str]] = {}
            for tag, given in value.items():
                items = list_value(given)  # a "|" string split as a cell's, a list's items kept
                if items:
                    lists.setdefault(check_language_tag(str(tag)), []).extend(items)
            return lists
        return lang_map(list_value(value), self.text_lang)

    def urls(self, value: Any) -> list[str]:
        return [url(v) for v in list_value(value)]

    def concepts(self, prop: str) -> Callable[[Any], list[dict]]:
        return lambda value: [concept_alignment(prop, resolve_concept(prop, w), self.lang)
                              for w in list_value(value)]

    def concept(self, prop: str) -> Callable[[Any], dict]:
        return lambda value: concept_alignment(prop, resolve_concept(prop, str(value)), self.lang)

    def languages(self, _value: Any) -> list[str]:
        """The ``language`` step's conversion of the Language cell (read once, by :meth:`read_languages`)."""
        if self.language_error is not None:
            raise self.language_error
        return self.language_codes

    def codes(self, name: str, normalize: Callable[[str], Any]) -> None:
        for text in list_value(self.record.get(name)):
            try:
                code = normalize(text)
            except ValueError as exc:
                self.error(name, str(exc))
                continue
            for message in code.warnings:
                self.warn(name, message)
            self.node.setdefault(property_for(code), []).append(code_alignment(code, self.lang))

    def org_refs(self, name: str) -> None:
        prop, blank_type = ORG_REF_FIELDS[name]
        refs = []
        for ref in list_value(self.record.get(name)):
            try:
                refs += self.owners(name) if same_as_owner(ref) else [self.org_ref(name, ref, blank_type)]
            except ValueError as exc:
                self.error(name, str(exc))
        if refs:
            self.node[prop] = list(dict.fromkeys(refs))

    def owners(self, name: str) -> list[str]:
        """What ``same as owner`` stands for: the row's Owned By (read before Offered By), else --owner."""
        if name != "offered_by":
            raise ValueError(f"'same as owner' names the owner in {self.header('offered_by')}, not here")
        if "owned_by" in self.failed_fields:
            return []  # the owner's own error is reported at its cell
        if "ceterms:ownedBy" in self.node:
            return list(self.node["ceterms:ownedBy"])
        if self.ctx.owner:
            self.node["ceterms:ownedBy"] = [self.ctx.uri(self.ctx.owner)]
            return list(self.node["ceterms:ownedBy"])
        raise ValueError(f"'same as owner' needs an owner: give {self.header('owned_by')} (an organization's CTID, "
                         "or the External Identifier of an organization in this conversion) or --owner")

    def org_ref(self, name: str, ref: str, blank_type: str) -> str:
        """A CTID, an organization of this conversion (external id), or ``Name~https://webpage``."""
        if "~" in ref:
            org_name, _, webpage = ref.partition("~")
            page = url(webpage)
            return self.blank.get(f"org:{org_name.strip()}|{page}", lambda node_id: {
                "@id": node_id, "@type": blank_type, "ceterms:name": lang_map(org_name.strip(), self.text_lang),
                "ceterms:subjectWebpage": page})
        ctid = self.ctx.lookup(ref, ORG_KINDS)  # organizations have no owner: their ids are the catalog's
        if ctid is None and ref.strip().lower().startswith("ce-"):
            ctid = normalize_ctid(ref)
        if ctid is None:
            raise ValueError(f"{ref!r} is not a CTID, an organization of this conversion or Name~URL")
        self.ctx.link(self.record.at(name), repr(ref), ctid)
        return self.ctx.uri(ctid)

    def refs(self, name: str, kinds: tuple[str, ...]) -> list[str]:
        uris = []
        for ref in list_value(self.record.get(name)):
            try:
                ctid = self.ctx.lookup(ref, kinds, self.ctx.owner_of.get(self.ctid))
            except AmbiguousReference as exc:
                self.error(name, str(exc))
                continue
            if ctid is None and ref.strip().lower().startswith("ce-"):
                try:
                    ctid = normalize_ctid(ref)
                except ValueError as exc:
                    self.error(name, str(exc))
                    continue
            if ctid is None:
                self.error(name, f"{ref!r} is not a CTID or an external identifier in this conversion")
                continue
            self.ctx.link(self.record.at(name), repr(ref), ctid)
            uris.append(self.ctx.uri(ctid))
        return uris

    def competencies(self, name: str) -> list[dict]:
        """Alignments to competencies, one per competency (CE's expansion of a framework CTID).

        Each reference is a framework CTID (all its competencies, when the framework is in this
        conversion), or a competency's CTID or ID in such a framework (it and everything under it: a
        program that teaches one skill area of a college-wide framework).
        """
        alignments = []
        for ref in list_value(self.record.get(name)):
            framework_ctid = ref.strip().lower()
            if framework_ctid in self.ctx.frameworks:
                framework = self.ctx.frameworks[framework_ctid]
                self.ctx.link(self.record.at(name), repr(ref), framework.ctid)
                alignments += self._aligned(framework, range(len(framework.competencies)))
                continue
            found = [(f, f.find(ref)) for f in self.ctx.frameworks.values()]
            found = [(f, position) for f, position in found if position is not None]
            if len(found) > 1:
                self.error(name, f"{ref!r} names a competency in several frameworks; use its CTID")
            elif found:
                framework, position = found[0]
                self.ctx.link(self.record.at(name), repr(ref), framework.ctid)
                alignments += self._aligned(framework, framework.subtree(position))
            else:
                alignments += self._framework_outside(name, ref)
        return alignments

    def _aligned(self, framework: FrameworkIndex, positions: Iterable[int]) -> list[dict]:
        out = []
        for position in positions:
            competency_ctid, text = framework.competencies[position]
            out.append({
                "@type": "ceterms:CredentialAlignmentObject",
                "ceterms:framework": self.ctx.uri(framework.ctid),
                "ceterms:frameworkName": lang_map(framework.name, self.lang),
                "ceterms:targetNode": self.ctx.uri(competency_ctid),
                "ceterms:targetNodeName": lang_map(text, self.lang),
            })
        return out

    def _framework_outside(self, name: str, ref: str) -> list[dict]:
        try:
            framework_ctid = normalize_ctid(ref)
        except ValueError:
            self.error(name, f"{ref!r} is neither a CTID nor the ID of a competency in this conversion")
            return []
        self.warn(name, f"framework {framework_ctid} is not in this conversion: linked as a framework, "
                  "not expanded to its competencies")
        return [{"@type": "ceterms:CredentialAlignmentObject", "ceterms:framework": self.ctx.uri(framework_ctid)}]

    # --- profiles --------------------------------------------------------------------------------------
    def costs(self) -> None:
        types = list_value(self.record.get("cost_types"))
        prices = list_value(self.record.get("cost_price"))
        details, description = self.record.get("cost_details_url"), self.record.get("cost_description")
        if not (types or prices or details or description):
            return
        if prices and len(types) not in (0, len(prices)):
            self.cost_count_error(len(types), len(prices))
            return
        base: dict[str, Any] = {"@type": "ceterms:CostProfile"}
        try:
            if details:
                base["ceterms:costDetails"] = url(str(details))
        except ValueError as exc:
            self.error("cost_details_url", str(exc))
        if description:
            base["ceterms:description"] = self.text(description)
        typed = [(text, *split_currency_sign(text)) for text in prices]  # each price, its sign and amount
        amounts = self.prices(typed)
        # Every typed sign is checked, a refused amount's too ('€1.250' under USD is wrong twice).
        currency = self.currency([(text, sign) for text, sign, _ in typed if sign])
        if currency is not None:
            base["ceterms:currency"] = currency
        profiles = []
        for i in range(max(len(types), len(prices), 1)):
            profile = dict(base)
            if i < len(types):
                self.put(profile, "ceterms:directCostType", "cost_types", types[i],
                         self.concept("ceterms:directCostType"))
            if i in amounts:
                profile["ceterms:price"] = amounts[i]
            profiles.append(profile)
        self.node["ceterms:estimatedCost"] = profiles

    def cost_count_error(self, types: int, prices: int) -> None:
        """Types and prices pair up one to one: the error names both columns with their counts, at the one with
        fewer values (the likelier to have lost some: a separator not read, a value left out)."""
        fewer = "cost_types" if types < prices else "cost_price"
        self.error(fewer, f"{self.header('cost_types')!r} has {types} value(s) and {self.header('cost_price')!r} "
                   f"{prices}: give one price per cost type, in the same order (| between values)")

    def prices(self, typed: list[tuple[str, str | None, str]]) -> dict[int, int | float]:
        """Each readable price (as typed, with its sign and amount), by position (its sign is checked against
        the currency by :meth:`currency`)."""
        amounts = {}
        for i, (text, _, amount) in enumerate(typed):
            try:
                amounts[i] = price_of_amount(text, amount, catalog=True)
            except ValueError as exc:
                self.error("cost_price", str(exc))
        return amounts

    def currency(self, signed: list[tuple[str, str]]) -> str | None:
        """The costs' ISO 4217 code: the currency column's, which every price's sign must agree with; without
        the column, the one the prices' signs stand for, else USD. None (and an error) when neither holds."""
        given, code = self.record.get("cost_currency"), None
        if given is not None:
            try:
                code = currency_code(given)
            except ValueError as exc:
                self.error("cost_currency", str(exc))
                return None
        column = self.header("cost_currency")
        code, problems = resolve_currency(code, signed, column, f"a {column} column", "a record's costs")
        for message in dict.fromkeys(message for _, message in problems):  # the cell's error once
            self.error("cost_price", message)
        # A given currency stands; one the signs cannot settle is none, and no sign at all is USD.
        return code or (None if problems else DEFAULT_CURRENCY)

    def credit_value(self, value_field: str, unit_field: str, max_field: str | None = None,
                     description_field: str | None = None) -> dict | None:
        value, unit = self.record.get(value_field), self.record.get(unit_field)
        if value is None and unit is None:
            return None
        profile: dict[str, Any] = {"@type": "ceterms:ValueProfile"}
        try:
            if value is not None:
                profile["schema:value"] = number(value)
            if max_field and self.record.get(max_field) is not None:
                profile["schema:maxValue"] = number(self.record.get(max_field))
        except ValueError as exc:
            self.error(value_field, str(exc))
        if unit is not None:
            try:
                profile["ceterms:creditUnitType"] = self.concepts("ceterms:creditUnitType")(unit)
            except ValueError as exc:
                self.error(unit_field, str(exc))
        if description_field and self.record.get(description_field):
            profile["schema:description"] = self.text(self.record.get(description_field))
        return profile

    def condition(self) -> None:
        fields = ("condition_name", "condition_description", "condition_credit_value", "condition_frameworks",
                  "condition_learning", "condition_credentials")
        if not any(self.record.get(f) is not None for f in fields):
            return
        kind = str(self.record.get("condition_type") or "requires")
        prop = CONDITION_PROPERTIES.get(kind.lower().replace(" ", "").replace("_", ""))
        if prop is None:
            known = ", ".join(sorted(CONDITION_PROPERTIES))
            self.error("condition_type", f"unknown condition type {kind!r} (use {known})")
            return
        profile: dict[str, Any] = {"@type": "ceterms:ConditionProfile"}
        if self.record.get("condition_name"):
            profile["ceterms:name"] = self.text(self.record.get("condition_name"))
        if self.record.get("condition_description"):
            profile["ceterms:description"] = self.text(self.record.get("condition_description"))
        credit = self.credit_value("condition_credit_value", "condition_credit_unit")
        if credit:
            profile["ceterms:creditValue"] = [credit]
        for name, prop_name, kinds in (("condition_learning", "ceterms:targetLearningOpportunity", (LEARNING,)),
                                       ("condition_credentials", "ceterms:targetCredential", (CREDENTIAL,))):
            uris = self.refs(name, kinds)
            if uris:
                profile[prop_name] = uris
        competencies = self.competencies("condition_frameworks")
        if competencies:
            profile["ceterms:targetCompetency"] = competencies
        self.node[prop] = [profile]

    def address(self) -> None:
        parts = {"street": "ceterms:streetAddress", "city": "ceterms:addressLocality",
                 "region": "ceterms:addressRegion", "country": "ceterms:addressCountry"}
        place: dict[str, Any] = {"@type": "ceterms:Place"}
        for name, prop in parts.items():
            if self.record.get(name):
                place[prop] = self.text(self.record.get(name))
        if self.record.get("postal_code"):
            place["ceterms:postalCode"] = self.postal_code(str(self.record.get("postal_code")).strip())
        phones = list_value(self.record.get("phone"))
        if phones:
            place["ceterms:targetContactPoint"] = [{"@type": "ceterms:ContactPoint", "ceterms:telephone": phones}]
        if len(place) > 1:
            self.node["ceterms:address"] = [place]


    def postal_code(self, code: str) -> str:
        """The code as written; a US one of fewer than five digits warned about: a ZIP code's leading zeros are
        what Excel drops from a number (07016 → 7016), and a number format cannot be known from a CSV."""
        country = str(self.record.get("country") or "").strip().lower().replace(".", "")
        if code.isdigit() and len(code) < US_ZIP_DIGITS and country in US_NAMES:
            self.warn("postal_code", f"{code!r} has {len(code)} digits, a US ZIP code {US_ZIP_DIGITS}: a leading "
                      f"zero lost in a spreadsheet ({code.zfill(US_ZIP_DIGITS)!r})? Kept as written: type the code "
                      "as text, or format the column 00000")
        return code


# --- the three kinds ----------------------------------------------------------------------------------
def _common(b: _RecordBuilder) -> None:
    b.step("name", b.text, "ceterms:name")
    b.step("description", b.text, "ceterms:description")
    b.step("subject_webpage", lambda v: url(str(v)), "ceterms:subjectWebpage")
    b.step("alternate_name", b.texts, "ceterms:alternateName")
    b.step("keywords", b.texts, "ceterms:keyword")
    b.node["ceterms:inLanguage"] = [b.lang]
    b.step("language", b.languages, "ceterms:inLanguage")


def _program(b: _RecordBuilder) -> None:
    for name in ORG_REF_FIELDS:
        b.org_refs(name)
    if "ceterms:ownedBy" not in b.node and "ceterms:offeredBy" not in b.node and b.ctx.owner:
        b.node["ceterms:ownedBy"] = [b.ctx.uri(b.ctx.owner)]
    b.step("in_catalog", lambda v: url(list_value(v)[0]) if list_value(v) else None,  # "|" alone: no value
           "ceterms:inCatalog")
    b.step("available_online_at", b.urls, "ceterms:availableOnlineAt")
    b.step("subjects", lambda v: [{"@type": "ceterms:CredentialAlignmentObject",
                                   "ceterms:targetNodeName": b.text(s)} for s in list_value(v)], "ceterms:subject")
    b.step("audience_level", b.concepts("ceterms:audienceLevelType"), "ceterms:audienceLevelType")
    b.step("audience_type", b.concepts("ceterms:audienceType"), "ceterms:audienceType")
    b.step("date_effective", lambda v: iso_date(v), "ceterms:dateEffective")
    b.step("version_identifier", lambda v: [version_identifier(str(v), b.text_lang)], "ceterms:versionIdentifier")
    b.step("duration", lambda v: [duration_profile(d) for d in list_value(v)], "ceterms:estimatedDuration")
    b.codes("cip", normalize_cip)
    b.codes("soc", normalize_occupation)
    b.codes("naics", normalize_naics)
    b.costs()
    b.condition()


def _credential(b: _RecordBuilder) -> None:
    b.node["ceterms:credentialStatusType"] = concept_alignment(
        "ceterms:credentialStatusType", "credentialStat:Active", b.lang)
    b.step("status", b.concept("ceterms:credentialStatusType"), "ceterms:credentialStatusType")
    b.step("image", lambda v: url(str(v)), "ceterms:image")


def _learning(b: _RecordBuilder) -> None:
    b.node["ceterms:lifeCycleStatusType"] = concept_alignment("ceterms:lifeCycleStatusType", "lifeCycle:Active",
                                                              b.lang)
    b.step("status", b.concept("ceterms:lifeCycleStatusType"), "ceterms:lifeCycleStatusType")
    b.step("coded_notation", lambda v: str(v).strip(), "ceterms:codedNotation")
    b.step("is_non_credit", boolean, "ceterms:isNonCredit")
    credit = b.credit_value("credit_value", "credit_unit", "credit_max_value", "credit_unit_description")
    if credit:
        b.node["ceterms:creditValue"] = [credit]
    b.step("delivery_type", b.concepts("ceterms:deliveryType"), "ceterms:deliveryType")
    b.step("learning_method", b.concepts("ceterms:learningMethodType"), "ceterms:learningMethodType")
    teaches = b.competencies("teaches_frameworks")
    if teaches:
        b.node["ceterms:teaches"] = teaches
    parts = b.refs("has_part", (LEARNING,))
    if parts:
        b.node["ceterms:hasPart"] = parts
    parents = b.ctx.part_of.get(b.ctid)
    if parents:
        b.node["ceterms:isPartOf"] = sorted(parents)
        for parent in b.node["ceterms:isPartOf"]:  # in order: the warnings about them print the same every run
            b.ctx.link(b.record.where, "ceterms:isPartOf (this row is in that program's Has Part)",
                       ctid_in_uri(parent))


def _organization(b: _RecordBuilder) -> None:
    b.node["ceterms:lifeCycleStatusType"] = concept_alignment("ceterms:lifeCycleStatusType", "lifeCycle:Active",
                                                              b.lang)
    b.step("status", b.concept("ceterms:lifeCycleStatusType"), "ceterms:lifeCycleStatusType")
    b.node.pop("ceterms:inLanguage", None)  # organizations carry no inLanguage in CTDL
    b.step("agent_type", b.concepts("ceterms:agentType"), "ceterms:agentType")
    b.step("agent_sector", b.concept("ceterms:agentSectorType"), "ceterms:agentSectorType")
    b.step("email", lambda v: list_value(v), "ceterms:email")
    b.step("social_media", b.urls, "ceterms:socialMedia")
    b.step("founding_date", lambda v: str(v).strip(), "ceterms:foundingDate")
    for name, prop in (("ipeds_id", "ceterms:ipedsID"), ("ope_id", "ceterms:opeID"), ("fein", "ceterms:fein"),
                       ("duns", "ceterms:duns")):
        b.step(name, lambda v: str(v).strip(), prop)
    b.address()


def version_identifier(cell: str, language: str) -> dict:
    """A Version Identifier cell: its value, or CE's bulk-upload ``IdentifierTypeName~Value`` (``Catalog
    Version~2025-2026 Catalog``: the type's name, then the version)."""
    type_name, tilde, code = cell.strip().partition("~")
    if not tilde or not type_name.strip()[:1].isalpha():  # "1.0~beta", "2025~2026": a version, not a type name
        type_name, code = "", cell.strip()
    if not code.strip():
        raise ValueError(f"{cell.strip()!r} has no version after '~': write IdentifierTypeName~Value "
                         "(Catalog Version~2025-2026) or the version alone")
    node = {"@type": "ceterms:IdentifierValue", "ceterms:identifierValueCode": code.strip()}
    if type_name.strip():
        node["ceterms:identifierTypeName"] = lang_map(type_name.strip(), language)
    return node


def _required(b: _RecordBuilder) -> None:
    """What the Minimum Data Policy requires of every record of its kind (shapes/policy) and convert has no
    default for: a missing one fails the record at its column, as a missing Name does on the Registry
    Assistant path. Status and language have defaults; subjectWebpage (required, but not of courses) is left
    to ``ctdl validate``; a value refused on its own is not also reported missing."""
    what = KIND_WORDS[b.record.kind]
    for name, prop in (("name", "ceterms:name"), ("description", "ceterms:description")):
        if prop not in b.node and name not in b.failed_fields:
            b.error_at(b.at_column(name), f"missing: {what} needs a {name} (the Registry requires {prop})")
    if b.record.kind == ORGANIZATION or "ceterms:ownedBy" in b.node or "ceterms:offeredBy" in b.node:
        return
    if not b.failed_fields.intersection(("owned_by", "offered_by")):
        b.error_at(b.at_column("owned_by"), f"missing: {what} needs an owner: give {b.header('owned_by')} or "
                   f"{b.header('offered_by')} (an organization's CTID, or the External Identifier of an "
                   "organization in this conversion), or --owner")


_KIND_STEPS = {CREDENTIAL: (_common, _program, _credential, _required),
               LEARNING: (_common, _program, _learning, _required),
               ORGANIZATION: (_common, _organization, _required)}


def build_record(record: Record, ctx: BuildContext) -> GraphDocument | None:
    """The record's graph document, or None when a problem (reported in ``ctx.problems``) stops it."""
    leftovers = sample_leftovers(record)
    for name in leftovers:
        ctx.problems.error(record.at(name), SAMPLE_MESSAGE)
    try:
        ctid = record_ctid(record, ctx)
    except ValueError as exc:
        ctx.problems.error(record.at("ctid"), str(exc))
        return None
    if ctid is None:
        for name, message in record.invalid.items():  # an identifier cell refused (#N/A) says why it is missing
            ctx.problems.error(record.at(name), message)
        ctx.problems.error(record.where, MISSING_ID)
        return None
    if ctx.by_ctid.get(ctid) is None:  # pass 1 made another CTID of the same row: never silently
        ctx.problems.error(record.where, f"{ctid} was not registered when the catalog was indexed (a bug: "
                           "please report it with this row)")
        return None
    if ctx.by_ctid[ctid].where != record.where:
        return None  # a duplicate: reported in pass 1
    try:
        type_ = record_type(record)
    except ValueError as exc:
        ctx.problems.error(record.at("type"), str(exc))
        return None
    if type_ in UNPUBLISHABLE:
        ctx.problems.error(record.at("type"), f"{type_} is a generic type the Registry does not accept; "
                           "use a specific type (e.g. Associate Degree, Certificate)")
        return None
    builder = _RecordBuilder(record, ctx, ctid, type_)
    for name, message in record.invalid.items():
        builder.error(name, message)
    for step in _KIND_STEPS[record.kind]:
        step(builder)
    if builder.failed or leftovers:
        return None
    return GraphDocument(ctid, [builder.node, *builder.blank.nodes()], base=ctx.base)


