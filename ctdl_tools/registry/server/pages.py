"""Readable HTML pages for people: a resource page (what a badge link or a search result lands on) and
an index that lists and searches what is published.

Pages are self-contained (inline CSS, no scripts, fonts or images from elsewhere), use landmarks,
headings in order, labelled form fields and a skip link, and show only values a person can act on:
name, type, owner, description, status, skills, codes, cost, duration and links to related records.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ctdl_tools.build.languages import is_language_tag
from ctdl_tools.ctdl_files import main_ctid
from ctdl_tools.registry.server.graphdoc import (
    COMPETENCY,
    DESCRIPTION_KEYS,
    NAME_KEYS,
    competency_children,
    competency_roots,
    ctid_of,
    description_key,
    shown_language,
    text_of,
)
from ctdl_tools.registry.server.service import NodeHit
from ctdl_tools.registry.server.web import ctx_of, int_param
from ctdl_tools.textchars import CONTROLS, INVISIBLE_IN_LINKS, character_class, page_text
from ctdl_tools.vocab import vocabulary

TEMPLATES = Path(__file__).parent / "templates"
NOT_HERE = "not in this registry"
INDEX_PER_PAGE = 20
OWNED_PER_PAGE = 100  # records listed on an organization's page, by name; ?page=N for the others
PLACE_PARTS = ("ceterms:streetAddress", "ceterms:addressLocality", "ceterms:addressRegion", "ceterms:postalCode",
               "ceterms:addressCountry")
COMPETENCY_PROPERTIES = (("ceterms:teaches", "Competencies taught"), ("ceterms:assesses", "Competencies assessed"),
                         ("ceterms:targetCompetency", "Target competencies"))
CONDITION_PROPERTIES = (("ceterms:requires", "Requires"), ("ceterms:entryCondition", "Entry requirements"),
                        ("ceterms:recommends", "Recommends"), ("ceterms:corequisite", "Corequisite"))
CONDITION_TARGETS = ("ceterms:targetCredential", "ceterms:targetLearningOpportunity", "ceterms:targetAssessment")
CODE_PROPERTIES = {"ceterms:occupationType": "Occupation (SOC / O*NET)",
                   "ceterms:instructionalProgramType": "Instructional program (CIP)",
                   "ceterms:industryType": "Industry (NAICS)", "ceterms:naics": "Industry (NAICS)"}
STATUS_PROPERTIES = ("ceterms:credentialStatusType", "ceterms:lifeCycleStatusType", "adms:status")
# Concepts shown as facts by their labels ("Online Only", "Private Not-For-Profit").
CONCEPT_FACTS = ("ceterms:deliveryType", "ceterms:learningDeliveryType", "ceterms:learningMethodType",
                 "ceterms:audienceLevelType", "ceterms:agentType", "ceterms:agentSectorType")
# Values a provider looks for on its record's page, each a fact (_facts): codes, versions, other names, catalogs…
FACT_PROPERTIES = ("ceterms:codedNotation", "ceasn:codedNotation", "ceterms:versionIdentifier", "ceterms:identifier",
                   "ceterms:alternateName", "ceterms:keyword", "ceterms:inCatalog", "ceterms:availableOnlineAt",
                   "ceterms:socialMedia", "ceterms:email", "ceterms:address", "ceterms:availableAt",
                   "ceterms:targetContactPoint", "ceterms:inLanguage", "ceterms:dateEffective", "ceterms:costDetails",
                   *CONCEPT_FACTS)
OWNER_PROPERTIES = (("ceterms:ownedBy", "Owned by"), ("ceterms:offeredBy", "Offered by"),
                    ("ceasn:publisher", "Publisher"), ("ceasn:creator", "Creator"))
# Outcome data (Registry Assistant ``AggregateData`` and the older earnings / holders / employment profiles): embedded
# profiles, so the related-records list (references only) would leave them out of the page entirely.
OUTCOME_PROPERTIES = ("ceterms:aggregateData", "ceterms:earnings", "ceterms:holders", "ceterms:employmentOutcome")
_OUTCOME_SKIPPED = {"@type", "@id", "ceterms:name", "ceterms:description", "ceterms:currency"}
_EARNINGS = {"ceterms:medianEarnings", "ceterms:highEarnings", "ceterms:lowEarnings"}  # amounts in its currency
# A QData data set profile (the Registry Assistant publishes one per AggregateDataProfile's relevantDataSet) has no
# name as a rule: its heading says what it is and whom it is about. Its numbers sit in time frames of data profiles.
DATA_SET = "qdata:DataSetProfile"
ABOUT_PROPERTIES = ("schema:about", "qdata:relevantDataSetFor")
_TIME_FRAME_SKIPPED = _OUTCOME_SKIPPED | {"qdata:dataAttributes"}
DISTRIBUTION_KEYS = (("qdata:percentile10", "10th percentile"), ("qdata:percentile25", "25th percentile"),
                     ("qdata:median", "median"), ("schema:median", "median"), ("qdata:percentile75", "75th percentile"),
                     ("qdata:percentile90", "90th percentile"))
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")  # dataSetTimePeriod, totalWIOACompleters, percentile10
FRAMEWORK = "ceasn:CompetencyFramework"
COMPETENCY_TEXT_FACTS = (("ceasn:competencyCategory", "Category"), ("ceasn:conceptKeyword", "Concept keywords"),
                         ("ceasn:comment", "Comment"))
ALIGNMENT_PROPERTIES = (("ceasn:exactAlignment", "Exact alignment"), ("ceasn:broadAlignment", "Broad alignment"),
                        ("ceasn:narrowAlignment", "Narrow alignment"), ("ceasn:majorAlignment", "Major alignment"),
                        ("ceasn:minorAlignment", "Minor alignment"),
                        ("ceasn:prerequisiteAlignment", "Prerequisite alignment"),
                        ("ceasn:crossSubjectReference", "Cross-subject reference"))
SHOWN = {"@id", "@type", "ceterms:ctid", "ceterms:subjectWebpage", *OUTCOME_PROPERTIES,
         *(p for p, _ in COMPETENCY_TEXT_FACTS), *(p for p, _ in ALIGNMENT_PROPERTIES),
         "ceasn:hasTopChild", "ceasn:hasChild",
         "ceasn:isChildOf", "ceasn:isTopChildOf", "ceasn:isPartOf", "ceterms:estimatedCost",
         "ceterms:estimatedDuration", "ceterms:creditValue",
         *(p for p, _ in COMPETENCY_PROPERTIES), *(p for p, _ in CONDITION_PROPERTIES), *CODE_PROPERTIES,
         *(p for p, _ in OWNER_PROPERTIES)}
# A data set profile's other values (text, concepts, links out) are facts; what has its own place is left out.
_DATA_SET_SKIPPED = {*SHOWN, *NAME_KEYS, *DESCRIPTION_KEYS, *STATUS_PROPERTIES, *FACT_PROPERTIES,
                     "qdata:dataSetTimePeriod"}
# What makes a URL lead elsewhere than it reads, or is no URL at all: such a value is shown as text, not linked.
_NOT_IN_LINKS = character_class(INVISIBLE_IN_LINKS, CONTROLS)
_DURATION = re.compile(r"^P(?:(?P<years>\d+(?:\.\d+)?)Y)?(?:(?P<months>\d+(?:\.\d+)?)M)?(?:(?P<weeks>\d+(?:\.\d+)?)W)?"
                       r"(?:(?P<days>\d+(?:\.\d+)?)D)?(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
                       r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$")


@dataclass
class Link:
    label: str
    href: str | None = None
    note: str = ""
    lang: str = ""  # the language-map key of the label, where it came from one


@dataclass
class Code:
    scheme: str
    code: str
    title: str
    href: str | None = None
    lang: str = ""  # the title's


@dataclass
class TreeItem:
    text: str
    label: str
    notation: str
    href: str | None
    children: list[TreeItem] = field(default_factory=list)
    lang: str = ""  # the text's
    label_lang: str = ""


@dataclass
class OutcomeView:
    title: str
    description: str
    facts: list[tuple[str, list[Link]]] = field(default_factory=list)
    parts: list[OutcomeView] = field(default_factory=list)  # a data set time frame's data profiles
    title_lang: str = ""
    description_lang: str = ""


@dataclass
class ResourceView:
    name: str
    type_label: str
    type: str
    ctid: str
    description: str
    facts: list[tuple[str, list[Link]]] = field(default_factory=list)
    skills: list[tuple[str, list[Link]]] = field(default_factory=list)
    conditions: list[tuple[str, str, list[Link]]] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)
    costs: list[str] = field(default_factory=list)
    durations: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)  # the record's own credit value (a course's 3 credit hours)
    related: list[tuple[str, list[Link]]] = field(default_factory=list)
    tree: list[TreeItem] = field(default_factory=list)
    outcomes: list[OutcomeView] = field(default_factory=list)
    owned: list[Link] = field(default_factory=list)
    owned_total: int = 0
    owned_first: int = 1  # the number of the first record listed, of owned_total
    owned_page: int = 1
    owned_pages: int = 1
    owned_prev: str | None = None
    owned_next: str | None = None
    name_lang: str = ""  # the language-map keys of the name and description shown ("" when not known)
    description_lang: str = ""
    conditions_lang: list[str] = field(default_factory=list)  # each condition's text's
    envelope_ctid: str = ""  # the envelope that holds the record (a competency's is its framework's)


@cache
def environment() -> jinja2.Environment:
    # finalize: every value a template writes (text, attributes, the <title>) shows a bidi control that reorders
    # letters as "\u202e", so a published name cannot read as another on the page.
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                              finalize=page_text)


def render(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(environment().get_template(template).render(**values), status_code=status,
                        headers={"Vary": "Accept"})


def safe_href(value: Any) -> str | None:
    """Only http(s) links reach a page: a ``javascript:`` URL in published data must not become a link, nor one
    with a bidi control or a zero-width character in it (it leads elsewhere than it reads)."""
    if not isinstance(value, str) or not value.lower().startswith(("http://", "https://")):
        return None
    return None if _NOT_IN_LINKS.search(value) else value


def lang_of(value: Any) -> str:
    """The language-map key of the text :func:`text_of` shows of ``value`` ("ar-sa"), for the element's ``lang``;
    "" for a plain string, for texts of several languages, or for a key that is no language tag."""
    if isinstance(value, dict):
        key = shown_language(value)
        return key if isinstance(key, str) and is_language_tag(key) else ""
    if isinstance(value, list):  # one text of them all: their language when each has that one
        langs = {lang_of(v) for v in value if text_of(v)}
        return langs.pop() if len(langs) == 1 else ""
    return ""


def common_lang(texts: list[tuple[str, str]]) -> str:
    """The language of texts joined into one (an address from its parts): theirs when those of a known language
    (in a language map, not a plain string: a postal code) all have the same."""
    langs = {lang for text, lang in texts if text and lang}
    return langs.pop() if len(langs) == 1 else ""


def first_text_lang(node: dict, keys: tuple[str, ...]) -> tuple[str, str]:
    """:func:`first_text` and its language."""
    for key in keys:
        text = text_of(node.get(key))
        if text:
            return text, lang_of(node.get(key))
    return "", ""


def local_href(ctid: str) -> str:
    return f"/resources/{quote(ctid)}"


def term_label(term: str) -> str:
    """The vocabulary's label of a term; for a term it does not bundle (most of QData), its local name in words:
    ``qdata:dataSetTimePeriod`` is "Data Set Time Period", not "dataSetTimePeriod"."""
    shown = vocabulary().label(term)
    local = term.partition(":")[2]
    if shown != local or not local.isalnum():  # a label, or not a compact term (a full IRI stays as it is)
        return shown
    words = _WORDS.findall(local)
    if "".join(words) != local:  # letters the pattern does not split (é, ß): the name as it is
        return local
    return " ".join(w[0].upper() + w[1:] for w in words)


def human_duration(value: str) -> str:
    match = _DURATION.match(value.strip())
    if not match or not any(match.groupdict().values()):
        return value
    parts = []
    for unit, amount in match.groupdict().items():
        if amount:
            number = float(amount)
            shown = f"{number:g}"
            parts.append(f"{shown} {unit if number != 1 else unit[:-1]}")
    return ", ".join(parts)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class _Resolver:
    """Turns references (registry URIs, CTIDs, blank-node ids) into named links."""

    def __init__(self, request: Request, graph: list[dict]) -> None:
        self.ctx = ctx_of(request)
        self.by_id = {str(n.get("@id")): n for n in graph if isinstance(n, dict)}
        self.by_ctid = {str(n["ceterms:ctid"]).lower(): n for n in graph
                        if isinstance(n, dict) and isinstance(n.get("ceterms:ctid"), str)}
        self.names: dict[str, tuple[str, str]] = {}
        self.by_node_id: dict[str, tuple[str, str, str]] = {}  # a record's own @id (not a registry URI) → it

    def prefetch(self, values: list[Any]) -> None:
        strings = [v for v in values if isinstance(v, str)]
        ctids = [c for c in (ctid_of(v) for v in strings) if c and c not in self.by_ctid]
        self.names.update(self.ctx.service.names(ctids))
        others = [v for v in strings if v.startswith(("http://", "https://")) and not ctid_of(v)
                  and v not in self.by_id]
        self.by_node_id.update(self.ctx.service.nodes_by_id(others))

    def is_record(self, value: str) -> bool:
        """A reference this page can name and link: a blank node, a CTID, or a record's own @id."""
        node = self.by_id.get(value)
        return (value.startswith("_:") or ctid_of(value) is not None or value in self.by_node_id
                or (node is not None and isinstance(node.get("ceterms:ctid"), str)))

    def link(self, value: Any) -> Link | None:
        if isinstance(value, dict):
            value = value.get("@id")
        if not isinstance(value, str) or not value:
            return None
        if value.startswith("_:"):
            node = self.by_id.get(value)
            if node is None:
                return None
            label, lang = first_text_lang(node, NAME_KEYS)
            return Link(label or term_label(str(node.get("@type", ""))), safe_href(node.get("ceterms:subjectWebpage")),
                        lang=lang)
        ctid = ctid_of(value)
        if ctid is None:
            return self._by_own_id(value)
        if ctid in self.by_ctid:  # a data set profile has no name: its description says what it is
            node = self.by_ctid[ctid]
            label, lang = first_text_lang(node, NAME_KEYS)
            if not label:
                label, lang = first_text_lang(node, DESCRIPTION_KEYS)
                label = label[:120]
            return Link(label or ctid, local_href(ctid), lang=lang if label else "")
        if ctid in self.names:
            name, type_ = self.names[ctid]
            if not type_:  # a registered publisher without a published record: nothing to link to
                return Link(name)
            return Link(name, local_href(ctid), term_label(type_))
        return Link(ctid, safe_href(value), NOT_HERE)

    def _by_own_id(self, value: str) -> Link:
        """A record referred to by an @id that is not a registry URI: in this graph, or stored in this registry."""
        node = self.by_id.get(value)
        if node is not None and isinstance(node.get("ceterms:ctid"), str):
            label, lang = first_text_lang(node, NAME_KEYS)
            return Link(label or value, local_href(node["ceterms:ctid"].lower()),
                        term_label(str(node.get("@type", ""))), lang)
        if value in self.by_node_id:
            ctid, name, type_ = self.by_node_id[value]
            return Link(name or value, local_href(ctid), term_label(type_))
        return Link(value, safe_href(value))

    def links(self, values: Any) -> list[Link]:
        return [link for link in (self.link(v) for v in _as_list(values)) if link is not None]


def _references(node: dict) -> list[Any]:
    """Every string under ``node`` (to look up registry names in one pass)."""
    found: list[Any] = []
    for value in node.values():
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            found += [v for v in value if isinstance(v, str)]
            for item in value:
                if isinstance(item, dict):
                    found += _references(item)
        elif isinstance(value, dict):
            found += _references(value)
    return found


def _alignment_link(resolver: _Resolver, alignment: Any) -> Link | None:
    """A competency (or framework) alignment as a link: its name, to its target where that resolves."""
    if not isinstance(alignment, dict):
        return resolver.link(alignment)
    name, lang = text_of(alignment.get("ceterms:targetNodeName")), lang_of(alignment.get("ceterms:targetNodeName"))
    framework_name = text_of(alignment.get("ceterms:frameworkName"))
    target = resolver.link(alignment.get("ceterms:targetNode"))
    if target is not None:
        return Link(name or target.label, target.href, framework_name, lang if name else target.lang)
    framework = resolver.link(alignment.get("ceterms:framework"))
    if name:
        return Link(name, framework.href if framework else None, framework_name, lang)
    if framework is not None:
        shown = framework_name or framework.label
        return Link(shown, framework.href, "competency framework",
                    lang_of(alignment.get("ceterms:frameworkName")) if framework_name else framework.lang)
    return None


def _concept_name(alignment: dict) -> str:
    name = text_of(alignment.get("ceterms:targetNodeName"))
    return name or term_label(str(alignment.get("ceterms:targetNode")))


def _status(node: dict) -> str:
    for prop in STATUS_PROPERTIES:
        value = node.get(prop)
        if isinstance(value, dict):
            return _concept_name(value)
        if isinstance(value, str) and value:
            return term_label(value)
    return ""


def _cost(profile: Any) -> str:
    if not isinstance(profile, dict):
        return ""
    parts = []
    amount = _number(profile.get("ceterms:price"), money=True)
    if amount is not None:
        parts.append(f"{amount} {profile.get('ceterms:currency') or ''}".strip())
    kind = profile.get("ceterms:directCostType")
    kinds = [_concept_name(k) for k in _as_list(kind) if isinstance(k, dict)]
    if kinds:
        parts.append(", ".join(kinds))
    description = text_of(profile.get("ceterms:description"))
    if description:
        parts.append(description)
    return " — ".join(parts)


def _duration(profile: Any) -> str:
    if not isinstance(profile, dict):
        return ""
    exact = profile.get("ceterms:exactDuration")
    low, high = profile.get("ceterms:minimumDuration"), profile.get("ceterms:maximumDuration")
    description = text_of(profile.get("ceterms:description"))
    if isinstance(exact, str):
        shown = human_duration(exact)
    elif isinstance(low, str) or isinstance(high, str):
        shown = " to ".join(human_duration(v) for v in (low, high) if isinstance(v, str))
    else:
        shown = ""
    return " — ".join(p for p in (shown, description) if p)


def _number(value: Any, money: bool = False) -> str | None:
    """A number as published, every digit kept (an employment rate of 0.8765 is not 0.88), thousands grouped and
    a whole number without ".0"; an amount of money with cents keeps two decimals, as prices are written."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value) or (value and not 1e-9 <= abs(value) < 1e15):
        return repr(value)  # 1e+23, not its 24 binary digits; 1e-300, not 300 zeros
    shown = format(Decimal(repr(value)), ",f")  # repr: the shortest digits that read back as this number
    if shown.endswith(".0"):
        return shown[:-2]
    return shown + "0" if money and len(shown.partition(".")[2]) == 1 else shown


def _value(item: dict, key: str) -> Any:
    """A value profile's ``value``, ``minValue``… as schema.org names it (CTDL now) or ceterms (older records)."""
    return item[f"schema:{key}"] if f"schema:{key}" in item else item.get(f"ceterms:{key}")


def _amount(item: dict, unit: str, money: bool = False) -> str:
    """A value profile's amount, or its range, with its unit."""
    amount = _number(_value(item, "value"), money)
    low, high = _number(_value(item, "minValue"), money), _number(_value(item, "maxValue"), money)
    if amount is not None:
        return f"{amount} {unit}".strip()
    if low is not None or high is not None:
        return f"{low or '?'} to {high or '?'} {unit}".strip()
    return ""


def _distribution(item: dict, unit: str) -> str:
    """An earnings distribution (``schema:MonetaryAmountDistribution``): its percentiles and median, in order."""
    shown = [f"{name} {amount} {unit}".strip() for key, name in DISTRIBUTION_KEYS
             if (amount := _number(item.get(key), money=bool(unit))) is not None]
    return "; ".join(shown)


def _quantity(item: Any, currency: str) -> str:
    """A QuantitativeValue / MonetaryAmount (or a plain number, or a concept) as one line: amount, unit, what it
    counts."""
    if isinstance(item, dict) and item.get("@type") == "ceterms:CredentialAlignmentObject":
        return _concept_name(item)
    if not isinstance(item, dict) or "@type" not in item:  # a number, or a language map (demographic information)
        shown = _number(item, money=bool(currency))
        return f"{shown} {currency}".strip() if shown is not None else text_of(item)
    unit = str(item.get("schema:currency") or currency or "").strip()
    shown = _amount(item, unit, money=bool(unit)) or _distribution(item, unit)
    percentage = _number(item.get("qdata:percentage"))
    if percentage is not None:
        shown = f"{shown} ({percentage}%)" if shown else f"{percentage}%"
    description = text_of(item.get("schema:description")) or text_of(item.get("ceterms:description"))
    return " — ".join(p for p in (shown, description) if p)


def _credit_unit(unit: Any, plural: bool) -> str:
    """A credit unit type (a concept, or its alignment object) named as a unit: "3 Semester Hours"."""
    term = unit.get("ceterms:targetNode") if isinstance(unit, dict) else unit
    if isinstance(term, list):
        term = next((t for t in term if isinstance(t, str)), None)
    if isinstance(term, str) and term in vocabulary().concepts:  # CTDL's credit units are English nouns
        name = vocabulary().label(term)
        return f"{name}s" if plural and not name.endswith("s") else name
    if isinstance(unit, dict) and text_of(unit.get("ceterms:targetNodeName")):
        return text_of(unit.get("ceterms:targetNodeName"))
    return term_label(term) if isinstance(term, str) else ""  # a unit not in CTDL's scheme: named as written


def _credit(item: Any) -> str:
    """A credit value (a value profile: amount or range, credit unit, description) as amounts are shown: "10
    Semester Hours — Credit unit is in semester hours."."""
    if not isinstance(item, dict):
        return _number(item) or text_of(item)
    plural = _value(item, "value") not in (1, 1.0)
    units = ", ".join(u for u in (_credit_unit(x, plural) for x in _as_list(item.get("ceterms:creditUnitType"))) if u)
    parts = (_amount(item, units), text_of(item.get("ceterms:creditUnitTypeDescription")),
             text_of(_value(item, "description")))
    return " — ".join(p for p in parts if p)


def _profile_facts(resolver: _Resolver, profile: dict, skipped: set[str], *,
                   references: bool = True) -> list[tuple[str, list[Link]]]:
    """Every value of an outcome profile, by property: numbers with what they count, text, concepts, links.
    ``references=False`` leaves out references to records (a record page lists them as related records)."""
    currency = str(profile.get("ceterms:currency") or "")
    facts = []
    for key, value in profile.items():
        if key in skipped:
            continue
        links: list[Link] = []
        for item in _as_list(value):
            if isinstance(item, str) and (item.startswith("_:") or ctid_of(item)):
                links += resolver.links([item]) if references else []
            elif isinstance(item, str):
                links.append(Link(term_label(item) if item in vocabulary().concepts else item, safe_href(item)))
            else:
                shown = _quantity(item, currency if key in _EARNINGS else "")
                if shown:
                    links.append(Link(shown))
        if links:
            facts.append((term_label(key), links))
    return facts


def _profile_view(resolver: _Resolver, profile: dict, fallback: str, skipped: set[str]) -> OutcomeView:
    name, description = text_of(profile.get("ceterms:name")), text_of(profile.get("ceterms:description"))
    name_lang, description_lang = lang_of(profile.get("ceterms:name")), lang_of(profile.get("ceterms:description"))
    title_lang = name_lang if name else description_lang if description else ""
    return OutcomeView(name or description or fallback, description if name else "",
                       _profile_facts(resolver, profile, skipped), title_lang=title_lang,
                       description_lang=description_lang if name else "")


def _outcomes(resolver: _Resolver, node: dict) -> list[OutcomeView]:
    """Outcome data profiles (earnings, jobs obtained, numbers awarded…) with every value they hold."""
    return [_profile_view(resolver, profile, term_label(prop), _OUTCOME_SKIPPED)
            for prop in OUTCOME_PROPERTIES for profile in _as_list(node.get(prop)) if isinstance(profile, dict)]


def _time_frames(resolver: _Resolver, node: dict) -> list[OutcomeView]:
    """A data set profile's time frames, each with the data profiles that hold its numbers."""
    views = []
    for frame in _as_list(node.get("qdata:dataSetTimePeriod")):
        if not isinstance(frame, dict):
            continue
        period = " to ".join(t for t in (text_of(frame.get(k)) for k in ("ceterms:startDate", "ceterms:endDate")) if t)
        view = _profile_view(resolver, frame, period or term_label("qdata:DataSetTimeFrame"), _TIME_FRAME_SKIPPED)
        view.parts = [_profile_view(resolver, p, term_label("qdata:DataProfile"), _OUTCOME_SKIPPED)
                      for p in _as_list(frame.get("qdata:dataAttributes")) if isinstance(p, dict)]
        views.append(view)
    return views


def _untitled(resolver: _Resolver, node: dict, type_label: str) -> str:
    """A heading for a record without a name (a data set profile, as a rule): what it is and whom it is about."""
    about = next((links for links in (resolver.links(node.get(p)) for p in ABOUT_PROPERTIES) if links), [])
    if not about:
        return type_label
    names = ", ".join(link.label for link in about[:3])
    more = f" and {len(about) - 3} more" if len(about) > 3 else ""
    return f"{type_label} for {names}{more}"


def _codes(node: dict) -> list[Code]:
    codes = []
    for prop, scheme in CODE_PROPERTIES.items():
        for item in _as_list(node.get(prop)):
            if isinstance(item, str):
                codes.append(Code(scheme, item, ""))
            elif isinstance(item, dict):
                codes.append(Code(text_of(item.get("ceterms:frameworkName")) or scheme,
                                  str(item.get("ceterms:codedNotation") or ""),
                                  text_of(item.get("ceterms:targetNodeName")),
                                  safe_href(item.get("ceterms:targetNode")),
                                  lang_of(item.get("ceterms:targetNodeName"))))
    return codes


def _skills(resolver: _Resolver, node: dict) -> list[tuple[str, list[Link]]]:
    skills = []
    for prop, title in COMPETENCY_PROPERTIES:
        links = [link for link in (_alignment_link(resolver, a) for a in _as_list(node.get(prop))) if link]
        if links:
            skills.append((title, links))
    for prop, title in CONDITION_PROPERTIES:
        links = [link for profile in _as_list(node.get(prop)) if isinstance(profile, dict)
                 for link in (_alignment_link(resolver, a) for a in _as_list(profile.get("ceterms:targetCompetency")))
                 if link]
        if links:
            skills.append((f"Competencies: {title.lower()}", links))
    return skills


def _conditions(resolver: _Resolver, node: dict, langs: list[str] | None = None) -> list[tuple[str, str, list[Link]]]:
    """Each condition profile: its title, its text, the records it names; ``langs`` gets each text's language."""
    conditions = []
    for prop, title in CONDITION_PROPERTIES:
        for profile in _as_list(node.get(prop)):
            if not isinstance(profile, dict):
                continue
            texts = [(text_of(profile.get(p)), lang_of(profile.get(p)))
                     for p in ("ceterms:name", "ceterms:description", "ceterms:condition")]
            parts = [t for t, _ in texts]
            parts += [f"Credit: {c}" for c in map(_credit, _as_list(profile.get("ceterms:creditValue"))) if c]
            text = "; ".join(t for t in parts if t)
            targets = [link for p in CONDITION_TARGETS for link in resolver.links(profile.get(p))]
            if text or targets:
                conditions.append((title, text, targets))
                if langs is not None:
                    langs.append(common_lang(texts) if len(parts) == len(texts) else "")
    return conditions


def _related(resolver: _Resolver, node: dict) -> list[tuple[str, list[Link]]]:
    related = []
    for prop, value in node.items():
        if prop in SHOWN or prop.startswith("@"):
            continue
        refs = [v for v in _as_list(value) if isinstance(v, str) and resolver.is_record(v)]
        links = resolver.links(refs)
        if links:
            related.append((term_label(prop), links))
    return related


def _texts(value: Any) -> list[Link]:
    """Each text of a plain string, a list, or a language map (of one text or a list: keywords): those of the
    language :func:`text_of` shows, with it."""
    if isinstance(value, list):
        return [link for item in value for link in _texts(item)]
    if isinstance(value, dict):
        lang = shown_language(value)
        shown = lang_of(value)
        return [Link(link.label, lang=shown) for link in _texts(value.get(lang))] if lang is not None else []
    if isinstance(value, str) and value.strip():
        return [Link(value)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [Link(str(value))]
    return []


def _concept(value: Any) -> Link | None:
    """A concept (an alignment object, or its term) by its label: "Online Only", "Private Not-For-Profit"."""
    if isinstance(value, dict):
        name = value.get("ceterms:targetNodeName")
        if text_of(name):
            return Link(text_of(name), lang=lang_of(name))
        value = value.get("ceterms:targetNode")
    if isinstance(value, str) and value in vocabulary().concepts:
        return Link(term_label(value))
    return None


def _identifiers(value: Any) -> list[Link]:
    """Identifier values (``ceterms:IdentifierValue``) as their codes, each with what kind of identifier it is."""
    links = []
    for item in _as_list(value):
        if isinstance(item, dict):
            code = text_of(item.get("ceterms:identifierValueCode"))
            kind = text_of(item.get("ceterms:identifierTypeName"))
            if code:
                links.append(Link(code, note=kind if kind != code else ""))
        else:
            links += _texts(item)
    return links


def _urls(value: Any) -> list[Link]:
    """Web addresses as links (http(s) only: anything else is shown as text)."""
    return [Link(v, safe_href(v)) for v in _as_list(value) if isinstance(v, str) and v.strip()]


def _unique(links: list[Link]) -> list[Link]:
    """Each value once (a telephone number every campus gives)."""
    seen: dict[str, Link] = {}
    for link in links:
        seen.setdefault(link.label, link)
    return list(seen.values())


def _contact_name(contact: dict) -> str:
    """Whom a contact point reaches: its name ("Admissions office"), else its type."""
    return text_of(contact.get("ceterms:name")) or text_of(contact.get("ceterms:contactType"))


def _contact_points(node: dict) -> list[dict]:
    """The record's contact points: its own and those of its addresses and the places it is offered at."""
    places = [p for prop in ("ceterms:address", "ceterms:availableAt") for p in _as_list(node.get(prop))
              if isinstance(p, dict)]
    return [c for holder in (node, *places) for c in _as_list(holder.get("ceterms:targetContactPoint"))
            if isinstance(c, dict)]


def _facts(resolver: _Resolver, node: dict) -> list[tuple[str, list[Link]]]:
    facts: list[tuple[str, list[Link]]] = []

    def add(title: str, links: list[Link]) -> None:
        if links:
            facts.append((title, links))

    for prop, title in OWNER_PROPERTIES:
        links = resolver.links(node.get(prop))
        values = _as_list(node.get(f"{prop}Name"))  # ceasn:publisherName beside publisher
        named = [text_of(n) for n in values]
        if len(named) == len(links) and all(named):
            links = [Link(name, link.href, link.note, lang_of(value)) if link.note == NOT_HERE else link
                     for link, name, value in zip(links, named, values, strict=True)]
        add(title, links)
    status = _status(node)
    if status:
        facts.append(("Status", [Link(status)]))
    webpage = safe_href(node.get("ceterms:subjectWebpage"))
    if webpage:
        facts.append(("Webpage", [Link(webpage, webpage)]))
    add("Other names", _texts(node.get("ceterms:alternateName")))
    add("Code", _texts(node.get("ceterms:codedNotation")) + _texts(node.get("ceasn:codedNotation")))
    add("Version", _identifiers(node.get("ceterms:versionIdentifier")))
    add("Identifier", _identifiers(node.get("ceterms:identifier")))
    add("In catalog", _urls(node.get("ceterms:inCatalog")))
    add("Available online at", _urls(node.get("ceterms:availableOnlineAt")))
    for prop in CONCEPT_FACTS:
        add(term_label(prop), [c for c in map(_concept, _as_list(node.get(prop))) if c])
    for prop, title in (("ceterms:address", "Address"), ("ceterms:availableAt", "Available at")):
        # Where it is offered is named by its place ("Main campus, 1700 Mishawaka Ave, South Bend…").
        parts = PLACE_PARTS if prop == "ceterms:address" else ("ceterms:name", *PLACE_PARTS)
        places = [[(text_of(place.get(p)), lang_of(place.get(p))) for p in parts]
                  for place in _as_list(node.get(prop)) if isinstance(place, dict)]
        add(title, [Link(", ".join(t for t, _ in place if t), lang=common_lang(place))
                    for place in places if any(t for t, _ in place)])
    contacts = _contact_points(node)
    add("Telephone", _unique([Link(phone.label, note=_contact_name(c))
                              for c in contacts for phone in _texts(c.get("ceterms:telephone"))]))
    languages = [v for v in _as_list(node.get("ceterms:inLanguage")) if isinstance(v, str)]
    if languages:
        facts.append(("Language", [Link(v) for v in languages]))
    add("Keywords", _texts(node.get("ceterms:keyword")))
    effective = node.get("ceterms:dateEffective")
    if isinstance(effective, str) and effective:
        facts.append(("Date effective", [Link(effective)]))
    details = safe_href(node.get("ceterms:costDetails"))  # a cost manifest's whole point
    if details:
        facts.append(("Cost details", [Link(details, details)]))
    emails = [e for holder in (node, *contacts) for e in _as_list(holder.get("ceterms:email")) if isinstance(e, str)]
    add("Email", _unique([Link(e) for e in emails]))
    add("Social media", _unique([link for holder in (node, *contacts)
                                 for link in _urls(holder.get("ceterms:socialMedia"))]))
    parent = resolver.links(node.get("ceasn:isPartOf"))
    if parent:
        facts.append(("Part of framework", parent))
    return facts


def _competency_facts(resolver: _Resolver, node: dict) -> list[tuple[str, list[Link]]]:
    """What a competency page shows besides its text: the broader competency, its category, keywords and comment,
    and the competencies it aligns with (in this framework, another, or elsewhere on the web)."""
    facts: list[tuple[str, list[Link]]] = []
    broader = resolver.links(node.get("ceasn:isChildOf"))
    if broader:
        facts.append(("Broader competency", broader))
    for prop, title in COMPETENCY_TEXT_FACTS:
        texts = _texts(node.get(prop))
        if texts:
            facts.append((title, texts))
    for prop, title in ALIGNMENT_PROPERTIES:
        links = resolver.links(node.get(prop))
        if links:
            facts.append((title, links))
    return facts


def _tree_item(node: dict, children: list[TreeItem]) -> TreeItem:
    ctid = node.get("ceterms:ctid")
    text, lang = first_text_lang(node, ("ceasn:competencyText", *NAME_KEYS))
    label = text_of(node.get("ceasn:competencyLabel"))
    # ESCO without descriptions: the label is the text; "show initiative: show initiative" says it twice
    return TreeItem(text, "" if label.strip() == text.strip() else label, text_of(node.get("ceasn:codedNotation")),
                    local_href(ctid.lower()) if isinstance(ctid, str) else None, children, lang,
                    lang_of(node.get("ceasn:competencyLabel")))


def competency_tree(resolver: _Resolver, framework: dict, graph: list[Any]) -> list[TreeItem]:
    """The framework's competencies nested by ``hasTopChild`` / ``hasChild`` (``isChildOf`` as fallback): each
    once, where it is first reached."""
    children = competency_children(graph)
    roots = competency_roots(framework, graph, children)
    seen: set[int] = set()

    def item(position: int, depth: int) -> TreeItem | None:
        if position in seen or depth > 30:
            return None
        seen.add(position)
        kids = [c for c in (item(k, depth + 1) for k in children.get(position, [])) if c]
        return _tree_item(graph[position], kids)

    return [t for t in (item(r, 0) for r in roots) if t]


def build_view(request: Request, graph: list[dict], node: dict, envelope_ctid: str,
               narrower: list[dict] | None = None) -> ResourceView:
    """The page of ``node``. ``graph``: the nodes of its graph that it names (all of them, or only those, as
    RegistryService.envelope_nodes reads them); ``narrower``: a competency's narrower competencies."""
    resolver = _Resolver(request, graph)
    resolver.prefetch(_references(node))
    type_ = str(node.get("@type", ""))
    type_label = term_label(type_)
    name, name_lang = first_text_lang(node, NAME_KEYS)
    shown = description_key(node)  # the search list's description too (graphdoc)
    description, description_lang = first_text_lang(node, (shown,)) if shown else ("", "")
    conditions_lang: list[str] = []
    view = ResourceView(
        name=name or _untitled(resolver, node, type_label) or str(node.get("ceterms:ctid") or node.get("@id")),
        name_lang=name_lang, description_lang=description_lang,
        type_label=type_label, type=type_, ctid=str(node.get("ceterms:ctid") or "").lower(),
        description=description, facts=_facts(resolver, node), skills=_skills(resolver, node),
        conditions=_conditions(resolver, node, conditions_lang), conditions_lang=conditions_lang, codes=_codes(node),
        costs=[c for c in map(_cost, _as_list(node.get("ceterms:estimatedCost"))) if c],
        durations=[d for d in map(_duration, _as_list(node.get("ceterms:estimatedDuration"))) if d],
        credits=[c for c in map(_credit, _as_list(node.get("ceterms:creditValue"))) if c],
        related=_related(resolver, node), outcomes=_outcomes(resolver, node),
        envelope_ctid=envelope_ctid)  # the envelope is filed under its main resource's CTID
    if vocabulary().is_a(type_, "ceterms:Organization") and view.ctid:
        _owned(request, view)
    if type_ == DATA_SET:
        view.facts += _profile_facts(resolver, node, _DATA_SET_SKIPPED, references=False)
        view.outcomes += _time_frames(resolver, node)
    if type_ == FRAMEWORK:
        view.tree = competency_tree(resolver, node, graph)
    elif type_ == COMPETENCY:
        view.facts += _competency_facts(resolver, node)
        view.tree = [_tree_item(n, []) for n in narrower or []]
    return view


def _owned(request: Request, view: ResourceView) -> None:
    """One page (``?page=N``) of the records an organization owns, by name, and links to the pages either side."""
    page = int_param(request, "page", 1, 1)
    first = (page - 1) * OWNED_PER_PAGE
    view.owned_total, rows = ctx_of(request).service.owned(view.ctid, OWNED_PER_PAGE, first)
    view.owned = [Link(r["name"] or r["ctid"], local_href(r["ctid"]), term_label(r["type"])) for r in rows]
    view.owned_first, view.owned_page = first + 1, page
    view.owned_pages = _page_count(view.owned_total, OWNED_PER_PAGE)

    def href(n: int) -> str:
        return f"{local_href(view.ctid)}?page={n}#owned"

    if page > 1:  # from past the last page, back to the last
        view.owned_prev = href(min(page - 1, view.owned_pages))
    if page < view.owned_pages:
        view.owned_next = href(page + 1)


def _page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def resource_page(request: Request, hit: NodeHit) -> HTMLResponse:
    """The page of one node. Blocking (database, parsing, rendering): handlers call it in a worker thread."""
    view = _node_view(request, hit) or _document_view(request, hit)
    if view is None:  # deleted (or changed) since it was found
        return not_found(request, request.path_params.get("ident", ""))
    return render("resource.html", view=view, title=view.name)


def _node_view(request: Request, hit: NodeHit) -> ResourceView | None:
    """The page of a node that is not its graph's main one (a competency) from its own row, the rows of the nodes it
    names and of its narrower competencies: what it shows, not its whole graph (a framework of 14k competencies is
    20 MB). None where a row was stored without its node (an older build's): _document_view reads the graph."""
    if hit.position == 0:
        return None
    service = ctx_of(request).service
    row = service.node_row(hit)
    if row is None or row.type == FRAMEWORK:  # a framework inside another graph: its tree is all of it
        return None
    node = json.loads(row.node)
    if not isinstance(node, dict):
        return None
    strings = [v for v in _references(node) if isinstance(v, str)]
    narrower = [p for p in dict.fromkeys(row.children) if p != hit.position]
    found = service.envelope_nodes(hit, positions=narrower, ids=strings,
                                   ctids=[c for c in map(ctid_of, strings) if c])
    if found is None:
        return None
    nodes: dict[int, Any] = {position: json.loads(text) for position, text in found}
    nodes[hit.position] = node
    graph = [n for _, n in sorted(nodes.items()) if isinstance(n, dict)]
    children = [nodes[p] for p in narrower if isinstance(nodes.get(p), dict)]
    return build_view(request, graph, node, row.envelope_ctid, children)


def _document_view(request: Request, hit: NodeHit) -> ResourceView | None:
    """The page of a node read from its whole graph document."""
    text = ctx_of(request).service.resource_text(hit)
    if text is None:
        return None
    document = json.loads(text)
    nodes = document["@graph"]
    if hit.position >= len(nodes) or not isinstance(nodes[hit.position], dict):
        return None
    node = nodes[hit.position]
    narrower = None
    if node.get("@type") == COMPETENCY:
        kids = competency_children(nodes).get(hit.position, [])
        narrower = [nodes[p] for p in dict.fromkeys(kids) if p != hit.position]
    return build_view(request, [n for n in nodes if isinstance(n, dict)], node, main_ctid(document) or "", narrower)


def not_found(request: Request, ident: str, errors: tuple[object, ...] = ()) -> HTMLResponse:
    """A page for what is not here: a resource by its identifier, or whatever ``errors`` say (an envelope, a
    revision, an organization a browser asked for)."""
    return render("not_found.html", status=404, ident=ident, errors=errors, title="Not found")


def bad_request(status: int, errors: tuple[object, ...]) -> HTMLResponse:
    """A refused page request (a page number that is not one) as a page, for a browser."""
    return render("bad_request.html", status=status, errors=errors, title="Bad request")


async def index(request: Request) -> HTMLResponse:
    """The index and search page; searching scans every record's terms (~30 ms at 14k): in a worker thread."""
    return await run_in_threadpool(index_page, request)


def index_page(request: Request) -> HTMLResponse:
    ctx = ctx_of(request)
    query = (request.query_params.get("q") or "").strip()[:200]
    page = int_param(request, "page", 1, 1)
    total, rows = ctx.service.search(query, page, INDEX_PER_PAGE)
    pages = _page_count(total, INDEX_PER_PAGE)
    items = [{"name": r["name"] or r["ctid"], "href": local_href(r["ctid"]), "ctid": r["ctid"],
              "type": term_label(r["type"]), "owner": r["owner_name"] if r["position"] == 0 else "",
              "description": (r["description"][:240] + "…") if len(r["description"]) > 240 else r["description"],
              "updated": r["updated_at"][:10]} for r in rows]

    def page_href(n: int) -> str:
        return "/?" + urlencode({k: v for k, v in (("q", query), ("page", str(n))) if v})

    return render("index.html", title="Published resources" if not query else f"Search: {query}", query=query,
                  items=items, total=total, page=page, pages=pages,
                  prev_href=page_href(min(page - 1, pages)) if page > 1 else None,  # from past the last: the last
                  next_href=page_href(page + 1) if page < pages else None)
