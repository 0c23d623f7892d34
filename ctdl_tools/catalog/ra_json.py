"""Registry Assistant (RA) request JSON: the input classes Credential Engine's Assistant API accepts.

A file holds one request or a JSON array of requests::

    {"LearningOpportunity": {...}, "DefaultLanguage": "en-US", "PublishForOrganizationIdentifier": "ce-..."}
    {"Credential": {...}, ...}            # CredentialRequest
    {"Organization": {...}, ...}          # OrganizationRequest
    {"GraphInput": {"@context": ..., "@id": ..., "@graph": [...]}, ...}   # publishGraph request

Property names are those of the C# input classes (``src/RA.Models/Input/*.cs`` in
CredentialEngine/Registry_Assistant). The Assistant deserialises with Newtonsoft.Json, which matches
property names case-insensitively, so this reader does too and hands the builder a copy whose keys are
spelled as the classes spell them. Only the *shape* is checked here (a list where a list belongs, an
object where an object belongs): a wrong shape is an :class:`InputError` naming its JSON path. Values
(concept words, URLs, codes) are the builder's business, and keys this module does not know are kept
for the builder to report as not converted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctdl_tools.catalog.model import PrebuiltInput
from ctdl_tools.catalog.sources import read_input_text
from ctdl_tools.errors import InputError, Where
from ctdl_tools.jsonio import parse_json

FORMAT = "registry-assistant"
# Request body key -> input class name (the profile describing its shape).
BODIES = {"LearningOpportunity": "LearningOpportunity", "Credential": "Credential",
          "Organization": "Organization", "GraphInput": "GraphInput"}
# Request bodies of other RA endpoints: recognised so the message can say they are not supported.
# (Not BulkCredentialRequest's "Credentials": names ignore case, and a ctdl_tools JSON catalog has a
# "credentials" section.)
OTHER_BODIES = (
    "Assessment", "CompetencyFramework", "Competencies", "CompetencyFrameworkGraph", "ConceptScheme",
    "Collection", "Pathway", "PathwaySet", "TransferValueProfile", "CostManifest", "ConditionManifest",
    "Occupation", "Job", "WorkRole", "Task", "SupportService", "ScheduledOffering", "Rubric",
    "ProgressionModel",
)


# --- shapes ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shape:
    kind: str                 # str | strs | num | bool | map | maplist | obj | objs | any
    profile: str | None = None

    def describe(self) -> str:
        return {"str": "a string", "strs": "a list of strings", "num": "a number", "bool": "true or false",
                "map": "a language map ({\"en-US\": \"text\"})",
                "maplist": "a language map of lists ({\"en-US\": [\"a\", \"b\"]})",
                "obj": f"a {self.profile} object", "objs": f"a list of {self.profile} objects",
                "any": "any value"}[self.kind]


STR, STRS, NUM, BOOL, MAP, MAPLIST, ANY = (Shape(k) for k in ("str", "strs", "num", "bool", "map", "maplist",
                                                              "any"))


def one(profile: str) -> Shape:
    """One object of an input class."""
    return Shape("obj", profile)


def many(profile: str) -> Shape:
    """A list of objects of an input class (a single object is accepted as a list of one)."""
    return Shape("objs", profile)


def text(name: str, prop: str) -> dict[str, Shape]:
    """A text property: the plain string, or one of its language-map spellings (RA LanguageMap.cs)."""
    return {name: STR, prop: MAP, f"{name}_Map": MAP, f"{name}LangMap": MAP}


def texts(name: str, prop: str) -> dict[str, Shape]:
    return {name: STRS, prop: MAPLIST, f"{name}_Map": MAPLIST, f"{name}LangMap": MAPLIST}


def fields(*strings: str, shape: Shape) -> dict[str, Shape]:
    return dict.fromkeys(strings, shape)


_ORG_REFS = ("OwnedBy", "OfferedBy", "AccreditedBy", "ApprovedBy", "RecognizedBy", "RegulatedBy",
             "RegisteredBy", "RenewedBy", "RevokedBy", "ParentOrganization", "Department", "SubOrganization")
_CONDITIONS = ("Requires", "Recommends", "Corequisite", "CoPrerequisite", "EntryCondition", "Renewal",
               "AdvancedStandingFrom", "IsAdvancedStandingFor", "PreparationFrom", "IsPreparationFor",
               "IsRecommendedFor", "IsRequiredFor")
_COMMON: dict[str, Shape] = {
    "Type": STR, "@type": STR, "CTID": STR, "@id": STR, "SubjectWebpage": STR,
    **text("Name", "ceterms:name"), **text("Description", "ceterms:description"),
    **texts("AlternateName", "ceterms:alternateName"), **texts("Keyword", "ceterms:keyword"),
    **texts("Subject", "ceterms:subject"), "InLanguage": STRS, "DateEffective": STR, "ExpirationDate": STR,
    "Identifier": many("IdentifierValue"), "VersionIdentifier": many("IdentifierValue"), "SameAs": STRS,
    "AvailableOnlineAt": STRS, "AvailabilityListing": STRS, "AvailableAt": many("Place"),
    **fields(*_ORG_REFS, shape=many("OrganizationReference")),
    **fields(*_CONDITIONS, shape=many("ConditionProfile")),
    "EstimatedCost": many("CostProfile"), "EstimatedDuration": many("DurationProfile"),
    "FinancialAssistance": many("FinancialAssistanceProfile"),
    "OccupationType": many("FrameworkItem"), "IndustryType": many("FrameworkItem"),
    "InstructionalProgramType": many("FrameworkItem"), "AlternativeOccupationType": STRS,
    "AlternativeIndustryType": STRS, "AlternativeInstructionalProgramType": STRS, "ONET_Codes": STRS,
    **{f"Alternative{kind}Type{suffix}": MAPLIST for suffix in ("_Map", "LangMap")
       for kind in ("Occupation", "Industry", "InstructionalProgram")},
    "CIP_Codes": STRS, "NaicsList": STRS, "Naics": STRS, "AudienceType": STRS, "AudienceLevelType": STRS,
    "CommonCosts": STRS, "CommonConditions": STRS, "HasPart": many("EntityReference"),
    "IsPartOf": many("EntityReference"), "InCatalog": STR, "IsNonCredit": BOOL, "LearningMethodType": STRS,
    **text("LearningMethodDescription", "ceterms:learningMethodDescription"), "CodedNotation": STR,
    "LifeCycleStatusType": STR, "HasSupportService": STRS, "Image": STR, "Email": STRS,
}

PROFILES: dict[str, dict[str, Shape]] = {
    "LearningOpportunity": {
        **_COMMON, "DeliveryType": STRS, **text("DeliveryTypeDescription", "ceterms:deliveryTypeDescription"),
        "AssessmentMethodType": STRS,
        **text("AssessmentMethodDescription", "ceterms:assessmentMethodDescription"),
        "Teaches": many("CredentialAlignmentObject"), "Assesses": many("CredentialAlignmentObject"),
        "TeachesCompetencyFramework": STRS, "CreditValue": many("ValueProfile"),
        **text("CreditUnitTypeDescription", "ceterms:creditUnitTypeDescription"),
        "Prerequisite": many("EntityReference"), "SCED": STR, "OfferFrequencyType": STRS,
        "ScheduleFrequencyType": STRS, "ScheduleTimingType": STRS, "TargetLearningResource": STRS,
        **texts("DegreeConcentration", "ceterms:degreeConcentration"), "VersionCode": STR,
    },
    "Credential": {
        **_COMMON, "CredentialType": STR, "CredentialStatusType": STR, "CredentialId": STR, "ISICV4": STR,
        "LearningDeliveryType": STRS, "AssessmentDeliveryType": STRS, "RenewalFrequency": one("DurationItem"),
        **texts("DegreeConcentration", "ceterms:degreeConcentration"),
        **texts("DegreeMajor", "ceterms:degreeMajor"), **texts("DegreeMinor", "ceterms:degreeMinor"),
        "VersionCode": STR, "LatestVersion": STR, "PreviousVersion": STR, "NextVersion": STR,
        "Supersedes": STR, "SupersededBy": STR, "ProcessStandards": STR,
        **text("ProcessStandardsDescription", "ceterms:processStandardsDescription"),
    },
    "Organization": {
        **_COMMON, "AgentType": STRS, "AgentSectorType": STR, "Address": many("Place"), "AgentPurpose": STR,
        **text("AgentPurposeDescription", "ceterms:agentPurposeDescription"), "SocialMedia": STRS,
        "ServiceType": STRS, "FoundingDate": STR, "ClosingDate": STR, "Duns": STR, "Fein": STR,
        "IpedsId": STR, "OpeId": STR, "LEICode": STR, "ISICV4": STR, "NcesID": STR,
        "HasConditionManifest": STRS, "HasCostManifest": STRS, "MissionAndGoalsStatement": STR,
        **text("MissionAndGoalsStatementDescription", "ceterms:missionAndGoalsStatementDescription"),
        "Owns": many("EntityReference"), "Offers": many("EntityReference"),
    },
    "GraphInput": {"@context": STR, "@id": STR, "@graph": ANY},
    "OrganizationReference": {
        "Type": STR, "Id": STR, "CTID": STR, "Name": STR, "SubjectWebpage": STR,
        **text("Description", "ceterms:description"),
        "SocialMedia": STRS, "Address": many("Place"), "AvailabilityListing": STRS, "Email": STRS,
    },
    "EntityReference": {
        "Type": STR, "Id": STR, "CTID": STR, "Name": STR, "SubjectWebpage": STR,
        **text("Description", "ceterms:description"),
        "CodedNotation": STR,
    },
    "Place": {
        **text("Name", "ceterms:name"), **text("Description", "ceterms:description"), "Address1": STR,
        "ceterms:streetAddress": MAP, "AddressLangMap": MAP, "Address2": STR, "PostOfficeBoxNumber": STR,
        "City": STR, "ceterms:addressLocality": MAP, "CityLangMap": MAP, "AddressRegion": STR,
        "ceterms:addressRegion": MAP, "AddressRegionLangMap": MAP, "SubRegion": STR, "ceterms:subRegion": MAP,
        "SubRegionLangMap": MAP, "PostalCode": STR, "Country": STR, "ceterms:addressCountry": MAP,
        "CountryLangMap": MAP, "Latitude": NUM, "Longitude": NUM, "GeoURI": STR,
        "ContactPoint": many("ContactPoint"), "Identifier": many("IdentifierValue"),
    },
    "ContactPoint": {
        **text("Name", "ceterms:name"), **text("ContactType", "ceterms:contactType"), "PhoneNumbers": STRS,
        "Emails": STRS, "FaxNumber": STRS, "SocialMediaPages": STRS,
    },
    "CostProfile": {
        "CostDetails": STR, **text("Description", "ceterms:description"), **text("Name", "ceterms:name"),
        "Currency": STR, "CostItems": many("CostProfileItem"), "StartDate": STR, "EndDate": STR,
        **texts("Condition", "ceterms:condition"),
    },
    "CostProfileItem": {
        "DirectCostType": STR, "ResidencyType": STRS, "AudienceType": STRS,
        **text("PaymentPattern", "ceterms:paymentPattern"), "Price": NUM,
    },
    "DurationProfile": {
        **text("Description", "ceterms:description"), "MinimumDuration": one("DurationItem"),
        "MaximumDuration": one("DurationItem"), "ExactDuration": one("DurationItem"),
    },
    "DurationItem": {"Duration_ISO8601": STR, "Years": NUM, "Months": NUM, "Weeks": NUM, "Days": NUM,
                     "Hours": NUM, "Minutes": NUM},
    "FinancialAssistanceProfile": {
        **text("Name", "ceterms:name"), **text("Description", "ceterms:description"),
        "FinancialAssistanceType": STRS, "FinancialAssistanceValue": many("QuantitativeValue"),
        "SubjectWebpage": STR,
    },
    "QuantitativeValue": {"Value": NUM, "MinValue": NUM, "MaxValue": NUM, "UnitText": STR,
                          **text("Description", "schema:description")},
    "ValueProfile": {
        "CreditUnitType": STRS, "CreditLevelType": STRS, **text("Description", "schema:description"),
        "Value": NUM, "MinValue": NUM, "MaxValue": NUM, "Percentage": NUM,
        **texts("Subject", "ceterms:subject"),
    },
    "FrameworkItem": {
        "Framework": STR, **text("FrameworkName", "ceterms:frameworkName"), "CodedNotation": STR,
        **text("Name", "ceterms:targetNodeName"), **text("Description", "ceterms:targetNodeDescription"),
        "TargetNode": STR,
    },
    "CredentialAlignmentObject": {
        "Type": STR, "CodedNotation": STR, "Framework": STR,
        **text("FrameworkName", "ceterms:frameworkName"), "TargetNode": STR,
        **text("TargetNodeDescription", "ceterms:targetNodeDescription"),
        **text("TargetNodeName", "ceterms:targetNodeName"), "Weight": NUM,
    },
    "IdentifierValue": {"IdentifierType": STR, **text("IdentifierTypeName", "ceterms:identifierTypeName"),
                        "IdentifierValueCode": STR},
    "ConditionProfile": {
        **text("Name", "ceterms:name"), **text("Description", "ceterms:description"),
        "AssertedBy": many("OrganizationReference"), "SubjectWebpage": STR,
        "AlternativeCondition": many("ConditionProfile"), "AudienceType": STRS, "AudienceLevelType": STRS,
        **texts("Condition", "ceterms:condition"), "CreditValue": many("ValueProfile"),
        **text("CreditUnitTypeDescription", "ceterms:creditUnitTypeDescription"), "DateEffective": STR,
        **text("Experience", "ceterms:experience"), "MinimumAge": NUM, "SubmissionOf": STRS,
        **text("SubmissionOfDescription", "ceterms:submissionOfDescription"), "YearsOfExperience": NUM,
        "Weight": NUM, "EstimatedCost": many("CostProfile"), "TargetAssessment": many("EntityReference"),
        "TargetCredential": many("EntityReference"), "TargetLearningOpportunity": many("EntityReference"),
        "TargetCompetency": many("CredentialAlignmentObject"), "TargetCompetencyFramework": STRS,
        "CommonCosts": STRS,
    },
}

ENVELOPE: dict[str, Shape] = {
    "DefaultLanguage": STR, "PublishForOrganizationIdentifier": STR, "ResourcePublishType": STR,
    "Registry": STR, "Community": STR, "RegistryEnvelopeId": STR, "ReferenceObjects": ANY,
    "IsPrimarySourceRecord": BOOL, "HasLanguageMaps": BOOL, "CTID": STR, "Publish": BOOL,
    "AutomaticallySyncPrivateRequestToPublicRegistry": BOOL, "ExcludingPayloadInResponse": BOOL,
    **{key: one(profile) for key, profile in BODIES.items()},
}


# --- reading -----------------------------------------------------------------------------------------
def _folded(keys: Any) -> set[str]:
    return {str(k).lower() for k in keys}


_BODY_KEYS = _folded(BODIES)
_OTHER_KEYS = _folded(OTHER_BODIES)


def looks_like_ra_request(data: object) -> bool:
    """True for a request (or a list of requests) of any Registry Assistant endpoint."""
    if isinstance(data, list):
        return bool(data) and isinstance(data[0], dict) and looks_like_ra_request(data[0])
    if not isinstance(data, dict):
        return False
    keys = _folded(data)
    return bool(keys & (_BODY_KEYS | _OTHER_KEYS)) or "publishfororganizationidentifier" in keys


def read_ra_request(path: Path) -> list[PrebuiltInput]:
    """Every request in ``path``, shape-checked and with keys spelled as the RA classes spell them."""
    name = str(path)
    data = parse_json(read_input_text(path), name)
    if isinstance(data, list):
        if not data:
            raise InputError(Where(name, path="$"), "empty list: expected Registry Assistant requests")
        return [_request(item, Where(name, path=f"$[{i}]")) for i, item in enumerate(data)]
    return [_request(data, Where(name, path="$"))]


def _request(data: Any, where: Where) -> PrebuiltInput:
    if not isinstance(data, dict):
        raise InputError(where, "expected a Registry Assistant request object")
    request = check_object(data, ENVELOPE, where.path or "$", where.file)
    bodies = [key for key in BODIES if request.get(key) is not None]
    if len(bodies) != 1:
        raise InputError(where, _body_message(data, bodies))
    return PrebuiltInput(FORMAT, request, where)


def _body_message(data: dict, bodies: list[str]) -> str:
    if bodies:
        return f"one request holds one resource, found {' and '.join(bodies)}"
    other = [key for key in data if str(key).lower() in _OTHER_KEYS]
    if other:
        return (f"Registry Assistant {other[0]} requests are not supported; ctdl_tools reads "
                "LearningOpportunity, Credential, Organization and GraphInput requests")
    return "expected one of LearningOpportunity, Credential, Organization or GraphInput"


def check_object(data: dict, shapes: dict[str, Shape], path: str, file: str) -> dict[str, Any]:
    """A copy of ``data`` with known keys spelled canonically and every known value's shape checked."""
    canonical = {key.lower(): key for key in shapes}
    result: dict[str, Any] = {}
    for key, value in data.items():
        name = canonical.get(str(key).lower(), str(key))
        if name in result:
            raise InputError(Where(file, path=f"{path}.{key}"), f"{name} is given twice (names ignore case)")
        shape = shapes.get(name)
        result[name] = value if shape is None else _check(value, shape, f"{path}.{name}", file)
    return result


def _check(value: Any, shape: Shape, path: str, file: str) -> Any:
    if value is None or shape.kind == "any":
        return value
    if shape.kind in ("obj", "objs"):
        return _check_objects(value, shape, path, file)
    if shape.kind == "strs" and isinstance(value, list):
        for i, item in enumerate(value):
            _expect(item is None or _is_scalar_text(item), f"{path}[{i}]", file, STR)
        return value
    ok = {
        "str": _is_scalar_text(value), "strs": _is_scalar_text(value),
        "num": _is_number(value) or isinstance(value, str), "bool": isinstance(value, bool | str),
        "map": isinstance(value, dict) and all(v is None or isinstance(v, str) for v in value.values()),
        "maplist": isinstance(value, dict) and all(v is None or isinstance(v, str) or _is_str_list(v)
                                                   for v in value.values()),
    }[shape.kind]
    _expect(ok, path, file, shape)
    return value


def _check_objects(value: Any, shape: Shape, path: str, file: str) -> Any:
    assert shape.profile is not None
    profile = PROFILES[shape.profile]
    if isinstance(value, dict):
        return check_object(value, profile, path, file)
    # Lists also take a single object: the Assistant accepts both for CreditValue and AssertedBy (declared
    # `object` in the C# classes), and a bare object for a one-item list is an easy slip elsewhere.
    _expect(isinstance(value, list) and shape.kind == "objs", path, file, shape)
    items = []
    for i, item in enumerate(value):
        if item is None:
            continue
        _expect(isinstance(item, dict), f"{path}[{i}]", file, one(shape.profile))
        items.append(check_object(item, profile, f"{path}[{i}]", file))
    return items


def _expect(ok: bool, path: str, file: str, shape: Shape) -> None:
    if not ok:
        raise InputError(Where(file, path=path), f"expected {shape.describe()}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_scalar_text(value: Any) -> bool:
    # Newtonsoft reads a JSON number into a string property (a PostalCode written as 62226).
    return isinstance(value, str) or _is_number(value)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
