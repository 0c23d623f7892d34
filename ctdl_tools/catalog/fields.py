"""Canonical catalog fields and the column headers that name them.

Headers are matched the way Credential Engine's Publisher matches them (catalogs.md §1.1): lower-cased,
spaces and ``*`` removed, ``:`` read as ``.`` — so ``Cost: Details Url``, ``cost.detailsurl`` and
``COST DETAILS URL*`` are one column. Each field lists the headers CE's templates, its 2019 reader and
its xTRA/NJ scripts use; the canonical snake_case name itself is always accepted too (JSON/YAML keys).
"""

from __future__ import annotations

import re
from functools import cache

from ctdl_tools.catalog.model import CREDENTIAL, LEARNING, ORGANIZATION

# Fields every kind of record has.
_COMMON: dict[str, tuple[str, ...]] = {
    "external_id": ("External Identifier", "External Id", "Identifier", "Source Id"),
    "ctid": ("CTID", "Existing CTID"),
    "description": ("Description",),
    "subject_webpage": ("Subject Webpage", "Subject Web Page", "Webpage", "Web Page", "URL"),
    "keywords": ("Keywords", "Keyword"),
    "language": ("Language", "Languages", "In Language"),
    "alternate_name": ("Alternate Name", "Alternate Names"),
}

# Fields of credentials and learning opportunities (CE's two program templates share these).
_PROGRAM: dict[str, tuple[str, ...]] = {
    "owned_by": ("Owned By", "Owning Organization", "Org CTID", "Existing Organization CTID"),
    "offered_by": ("Offered By", "Offering Organization"),
    "in_catalog": ("In Catalog", "Catalog URL"),
    "available_online_at": ("Available Online At",),
    "subjects": ("Subjects", "Subject"),
    "audience_level": ("Audience Level Type", "Audience Level", "Audience Level Types"),
    "audience_type": ("Audience Type", "Audience Types"),
    "date_effective": ("Date Effective", "Effective Date"),
    "version_identifier": ("Version Identifier", "Version"),
    "duration": ("Estimated Duration", "Duration"),
    "cip": ("CIP List", "CIP", "CIP Codes", "CIP Code", "Instructional Program Type"),
    "soc": ("SOC List", "SOC", "SOC Codes", "O*NET List", "ONET List", "Occupation Type", "Occupations"),
    "naics": ("NAICS List", "NAICS", "NAICS Codes", "Industry Type"),
    "cost_external_id": ("Cost: External Identifier",),
    "cost_description": ("Cost: Description", "Cost Description"),
    "cost_currency": ("Cost: Currency Type", "Cost: Currency", "Currency"),
    "cost_types": ("Cost: Types List", "Cost: Type", "Cost: Direct Cost Type", "Cost Types"),
    "cost_price": ("Cost: Price", "Cost: Prices", "Cost", "Price"),
    "cost_details_url": ("Cost: Details Url", "Cost: Cost Details", "Cost Details URL"),
    "condition_external_id": ("Condition Profile: External Identifier", "ConditionProfile: External Identifier"),
    "condition_type": ("Condition Profile: Type", "ConditionProfile: Type", "Condition Profile: Condition Type",
                       "ConditionProfile: Condition Type"),
    "condition_name": ("Condition Profile: Name", "ConditionProfile: Name"),
    "condition_description": ("Condition Profile: Description", "ConditionProfile: Description",
                              "Prerequisites"),
    "condition_credit_value": ("Condition Profile: Credit Unit Value", "ConditionProfile: Credit Unit Value"),
    "condition_credit_unit": ("Condition Profile: Credit Unit Type", "ConditionProfile: Credit Unit Type"),
    "condition_frameworks": ("Condition Profile: Required Competency Framework",
                             "ConditionProfile: Required Competency Framework", "Required Competency Framework"),
    "condition_learning": ("Condition Profile: Target Learning Opportunity",
                           "ConditionProfile: Target Learning Opportunity", "Prerequisite Courses"),
    "condition_credentials": ("Condition Profile: Target Credential", "ConditionProfile: Target Credential"),
    "accredited_by": ("Accredited By",),
    "approved_by": ("Approved By",),
    "recognized_by": ("Recognized By",),
    "regulated_by": ("Regulated By",),
}

FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    CREDENTIAL: {
        **_COMMON, **_PROGRAM,
        "name": ("Credential Name", "Name"),
        "type": ("Credential Type", "Type"),
        "status": ("Credential Status", "Credential Status Type", "Status"),
        "image": ("Image", "Image URL", "Badge Image"),
        "teaches_frameworks": ("Teaches Competency Framework",),
    },
    LEARNING: {
        **_COMMON, **_PROGRAM,
        "name": ("Learning Opportunity Name", "Course Name", "Program Name", "Name"),
        "type": ("Learning Type", "Learning Opportunity Type", "Type"),
        "status": ("Life Cycle Status Type", "Life Cycle Status", "Lifecycle Status", "Status"),
        "coded_notation": ("Coded Notation", "Course Code", "Course Number"),
        "is_non_credit": ("Is Non-Credit", "Non-Credit", "Is Non Credit"),
        "credit_value": ("Credit Unit Value", "Credit Value", "Credits"),
        "credit_max_value": ("Credit Unit Max Value", "Credit Max Value"),
        "credit_unit": ("Credit Unit Type", "Credit Type"),
        "credit_unit_description": ("Credit Unit Type Description",),
        "delivery_type": ("Delivery Type", "Delivery"),
        "learning_method": ("Learning Method Type", "Learning Method"),
        "teaches_frameworks": ("Teaches Competency Framework", "Teaches Competency Frameworks"),
        "has_part": ("Has Part", "Courses", "Has Course"),
    },
    ORGANIZATION: {
        **_COMMON,
        "name": ("Organization Name", "Name"),
        "type": ("Organization Type", "Type"),
        "agent_type": ("Agent Type", "Agent Types", "Organization Category"),
        "agent_sector": ("Agent Sector Type", "Agent Sector", "Sector"),
        "status": ("Life Cycle Status Type", "Life Cycle Status"),
        "email": ("Email", "Emails", "Email Address"),
        "phone": ("Phone", "Telephone", "Phone Number"),
        "street": ("Street Address", "Address", "Address 1", "Address: Street", "Street"),
        "city": ("City", "Address: City", "Locality"),
        "region": ("Region", "State", "Address: Region", "Address Region"),
        "postal_code": ("Postal Code", "ZIP", "Zip Code", "Address: Postal Code"),
        "country": ("Country", "Address: Country"),
        "social_media": ("Social Media", "Social Media Page"),
        "founding_date": ("Founding Date",),
        "ipeds_id": ("IPEDS ID",),
        "ope_id": ("OPE ID",),
        "fein": ("FEIN",),
        "duns": ("DUNS",),
    },
}

# Headers that only one kind of table has: enough to tell a credentials sheet from a courses sheet.
SIGNATURE: dict[str, tuple[str, ...]] = {
    CREDENTIAL: ("credential_name", "credential_type", "credential_status"),
    LEARNING: ("learning_opportunity_name", "learning_type", "coded_notation", "life_cycle_status_type"),
    ORGANIZATION: ("organization_name", "agent_type", "agent_sector_type", "organization_type"),
}

# Fields whose cell holds a ``|`` list.
LIST_FIELDS = frozenset({
    "keywords", "language", "alternate_name", "owned_by", "offered_by", "subjects", "audience_level",
    "audience_type", "duration", "cip", "soc", "naics", "cost_types", "cost_price", "condition_frameworks",
    "condition_learning", "condition_credentials", "accredited_by", "approved_by", "recognized_by",
    "regulated_by", "teaches_frameworks", "has_part", "delivery_type", "learning_method", "agent_type",
    "email", "phone", "social_media", "in_catalog", "available_online_at",
})

# Fields written as language maps: a JSON/YAML catalog may give them as one ({"en-US": "…", "es": "…"}).
TEXT_FIELDS = frozenset({
    "name", "description", "cost_description", "condition_name", "condition_description",
    "credit_unit_description", "street", "city", "region", "country",
})
# List fields written as language maps of lists ({"en-US": ["a", "b"]}): a JSON/YAML catalog may give them as
# one, each language's value text (a ``|`` string, as in a cell) or a list of text ({"en-US": ["a", "b"], "es": "c"}).
TEXT_LIST_FIELDS = frozenset({"keywords", "alternate_name"})
# Fields that take yes/no: the only ones a JSON true/false is a value of.
BOOLEAN_FIELDS = frozenset({"is_non_credit"})

_HEADER_JUNK = re.compile(r"[\s*_]+")


def header_key(header: str) -> str:
    """CE's header normalisation: lower-case, no spaces/``*``, ``:`` ≡ ``.`` (and ``_`` ignored)."""
    return _HEADER_JUNK.sub("", header.strip().lower()).replace(":", ".")


@cache
def header_table(kind: str) -> dict[str, str]:
    """Normalised header → canonical field, for one kind of record."""
    table: dict[str, str] = {}
    for name, headers in FIELDS[kind].items():
        for header in (name, *headers):
            table.setdefault(header_key(header), name)
    return table


def signature_score(kind: str, headers: list[str]) -> int:
    """How many of a kind's distinctive headers (plus its known headers) a header row has."""
    keys = {header_key(h) for h in headers if h}
    known = header_table(kind)
    distinctive = sum(3 for sig in SIGNATURE[kind] if header_key(sig) in keys)
    return distinctive + sum(1 for key in keys if key in known)


def expected_value(field: str, *, catalog: bool = False) -> str:
    """What a field takes, in words, for messages about a value of the wrong shape; ``catalog``: as a JSON/YAML
    catalog gives it (where :data:`TEXT_LIST_FIELDS` also take a language map; a mapping's defaults do not)."""
    if catalog and field in TEXT_LIST_FIELDS:
        return "text, a list of text or a language map of them"
    if field in LIST_FIELDS:
        return "text or a list of text"
    if field in TEXT_FIELDS:
        return "text or a language map"
    return "yes/no" if field in BOOLEAN_FIELDS else "text"
