"""``--mapping FILE``: a provider's own column names and value words, mapped onto CTDL fields.

For catalogs that don't use Credential Engine's headers. A YAML (or JSON) file::

    kind: credentials               # optional: credentials | learning-opportunities | organizations
    columns:                        # your header -> a CE header or a ctdl_tools field name
      Program Title: Credential Name
      Award: Credential Type
      Program URL: subject_webpage
    values:                         # per field: your word -> the CTDL label (or prefix:Term)
      Credential Type:
        AAS: Associate of Applied Science Degree
        CERT: Certificate
      Delivery Type:
        Hybrid: Blended Delivery
    defaults:                       # values for fields your catalog leaves out
      Credential Status: Active
      Language: English

A default is checked as a cell of its field would be, once per kind of record it applies to, and a bad one
stops the run naming the mapping file and its key: it would otherwise fail every row, each error naming a
column the table does not have.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctdl_tools.catalog.fields import (
    BOOLEAN_FIELDS,
    FIELDS,
    LIST_FIELDS,
    TEXT_FIELDS,
    expected_value,
    header_key,
    header_table,
)
from ctdl_tools.catalog.model import CREDENTIAL, LEARNING, ORGANIZATION, Record
from ctdl_tools.errors import InputError, Where
from ctdl_tools.jsonio import parse_yaml, read_text
from ctdl_tools.vocab.labels import normalize_label

KIND_NAMES = {
    "credentials": CREDENTIAL, "credential": CREDENTIAL,
    "learning-opportunities": LEARNING, "learning-opportunity": LEARNING, "courses": LEARNING,
    "organizations": ORGANIZATION, "organization": ORGANIZATION,
}


@dataclass
class Mapping:
    kind: str | None = None
    columns: dict[str, str] = field(default_factory=dict)            # header key -> their target header
    values: dict[str, dict[str, str]] = field(default_factory=dict)   # target header -> word -> label
    defaults: dict[str, Any] = field(default_factory=dict)            # target header -> value
    file: str = "--mapping"                                           # where the mapping came from
    _checked: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def column_field(self, header: str, kind: str) -> str | None:
        target = self.columns.get(header_key(header))
        return header_table(kind).get(header_key(target)) if target else None

    def _field_table(self, table: dict[str, Any], kind: str) -> dict[str, Any]:
        known = header_table(kind)
        return {known[header_key(k)]: v for k, v in table.items() if header_key(k) in known}

    def defaults_for(self, kind: str) -> dict[str, Any]:
        """The defaults that apply to ``kind``, by field, checked (InputError at the first bad one)."""
        checked = self._checked.get(kind)
        if checked is None:
            checked = self._checked[kind] = self._check_defaults(kind)
        return checked

    def _check_defaults(self, kind: str) -> dict[str, Any]:
        known = header_table(kind)
        out = {}
        for key, value in self.defaults.items():
            name = known.get(header_key(key))
            if name is not None:
                try:
                    out[name] = default_value(kind, name, value)
                except DefaultError as exc:
                    raise InputError(Where(self.file, path=f"$.defaults.{key}{exc.step}"), str(exc)) from None
        return out

    def translate(self, kind: str, values: dict[str, Any]) -> dict[str, Any]:
        """Replace the provider's value words with CTDL labels, item by item in ``|`` lists."""
        words = self._field_table(self.values, kind)
        if not words:
            return values
        out = dict(values)
        for name, table in words.items():
            if name in out and isinstance(out[name], str):
                lookup = {normalize_label(k): str(v) for k, v in table.items()}
                parts = out[name].split("|") if name in LIST_FIELDS else [out[name]]
                out[name] = "|".join(lookup.get(normalize_label(p), p.strip()) for p in parts)
        return out


def load_mapping(path: Path | None) -> Mapping:
    if path is None:
        return Mapping()
    data = parse_yaml(read_text(path), str(path))
    if not isinstance(data, dict):
        raise InputError(Where(str(path)), "a mapping file must be a YAML mapping with columns/values/defaults")
    return _mapping_from(data, str(path))


def _mapping_from(data: dict, name: str) -> Mapping:
    unknown = set(data) - {"kind", "columns", "values", "defaults"}
    if unknown:
        raise InputError(Where(name, path=f"$.{sorted(unknown)[0]}"),
                         "unknown key (expected kind, columns, values, defaults)")
    for key in ("columns", "values", "defaults"):
        if not isinstance(data.get(key, {}), dict):
            raise InputError(Where(name, path=f"$.{key}"), "must be a mapping")
    kind = data.get("kind")
    if kind is not None and str(kind) not in KIND_NAMES:
        raise InputError(Where(name, path="$.kind"), f"unknown kind {kind!r} (use {', '.join(sorted(KIND_NAMES))})")
    for header, table in data.get("values", {}).items():
        if not isinstance(table, dict):
            raise InputError(Where(name, path=f"$.values.{header}"), "must map words to labels")
    kinds = (KIND_NAMES[str(kind)],) if kind else (CREDENTIAL, LEARNING, ORGANIZATION)
    _check_targets(name, kinds, data)
    return Mapping(
        kind=KIND_NAMES[str(kind)] if kind else None,
        columns={header_key(str(k)): str(v) for k, v in data.get("columns", {}).items()},
        values={str(k): {str(w): str(label) for w, label in v.items()} for k, v in data.get("values", {}).items()},
        defaults={str(k): v for k, v in data.get("defaults", {}).items()},
        file=name,
    )


def _check_targets(name: str, kinds: tuple[str, ...], data: dict) -> None:
    """Every field the mapping names must be one of ``kinds``' fields: a misspelt one was silently ignored
    (a default never applied, a column left unread)."""
    places = [(f"$.columns.{k}", str(v)) for k, v in data.get("columns", {}).items()]
    places += [(f"$.{section}.{k}", str(k)) for section in ("values", "defaults") for k in data.get(section, {})]
    known = {key for kind in kinds for key in header_table(kind)}
    for path, target in places:
        if header_key(target) not in known:
            headers = sorted({h for kind in kinds for hs in FIELDS[kind].values() for h in hs})
            close = difflib.get_close_matches(target, headers, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            what = f"a {kinds[0].replace('-', ' ')} field" if len(kinds) == 1 else "a catalog field"
            raise InputError(Where(name, path=path), f"unknown field {target!r}: not {what} (use a Credential "
                             f"Engine bulk-upload header or a ctdl_tools field name){hint}")


# --- checking defaults -------------------------------------------------------------------------------------
class DefaultError(ValueError):
    """A bad default; ``step`` is the list index it is at (``[1]``), if any."""

    def __init__(self, message: str, step: str = "") -> None:
        super().__init__(message)
        self.step = step


def default_value(kind: str, name: str, value: Any) -> Any:
    """A default as the field takes it: text as a cell holds it, a list for a multi-valued field, a language
    map for a text field; then each value checked as the builder will convert it (DefaultError if it cannot)."""
    if value is None:
        return None
    if isinstance(value, dict) and name in TEXT_FIELDS:
        return _language_map(value)
    if isinstance(value, list) and name in LIST_FIELDS:
        steps = [(f"[{i}]", _default_scalar(name, item, "text", f"[{i}]"))
                 for i, item in enumerate(value) if item is not None]
        result: Any = [item for _, item in steps]
    else:
        result = _default_scalar(name, value, expected_value(name))
        parts = str(result).split("|") if name in LIST_FIELDS else [result]  # a cell's "a|b"
        steps = [("", part) for part in parts]
    _check_values(kind, name, steps)
    return result


def _default_scalar(name: str, value: Any, expected: str, step: str = "") -> Any:
    """Text as a cell would hold it (numbers as written, yes/no as TRUE/FALSE); a date stays a date where a
    date is meant."""
    if isinstance(value, bool):
        if name in BOOLEAN_FIELDS:
            return "TRUE" if value else "FALSE"
        raise DefaultError(f"must be {expected}, not {str(value).lower()}", step)
    if isinstance(value, dt.date):
        return value if name == "date_effective" else str(value)
    if isinstance(value, str | int | float):
        return str(value)
    kind = {dict: "a mapping", list: "a list"}.get(type(value), type(value).__name__)
    raise DefaultError(f"must be {expected}, not {kind}", step)


def _check_values(kind: str, name: str, steps: list[tuple[str, Any]]) -> None:
    check = _value_check(kind, name)
    if check is None:
        return
    for step, item in steps:
        value = item.strip() if isinstance(item, str) else item
        if value == "":
            continue  # an empty item is skipped, as in a cell
        try:
            check(value)
        except ValueError as exc:
            raise DefaultError(str(exc), step) from None


def _language_map(value: dict[Any, Any]) -> dict[str, str]:
    from ctdl_tools.build.languages import check_language_tag

    value = {tag: text for tag, text in value.items() if text not in (None, "")}
    for tag, text in value.items():
        if not isinstance(text, str):
            raise DefaultError(f"must be text or a language map of texts; {tag!r} is not text")
        try:
            check_language_tag(str(tag))
        except ValueError as exc:
            raise DefaultError(str(exc), f".{tag}") from None
    return {str(tag): text for tag, text in value.items()}


# The concept scheme of each field the builder (build/records.py) reads as concepts.
_CONCEPT_FIELDS = {
    "audience_level": "ceterms:audienceLevelType", "audience_type": "ceterms:audienceType",
    "delivery_type": "ceterms:deliveryType", "learning_method": "ceterms:learningMethodType",
    "agent_type": "ceterms:agentType", "agent_sector": "ceterms:agentSectorType",
    "cost_types": "ceterms:directCostType", "credit_unit": "ceterms:creditUnitType",
    "condition_credit_unit": "ceterms:creditUnitType",
}
_URL_FIELDS = ("subject_webpage", "image", "cost_details_url", "in_catalog", "available_online_at", "social_media")
_NUMBER_FIELDS = ("credit_value", "credit_max_value", "condition_credit_value")


def _value_check(kind: str, name: str) -> Callable[[Any], object] | None:
    """The builder's own conversion of one value of ``name``, or None for free text and references (an
    external identifier is only known once the catalog is read)."""
    from ctdl_tools.build import nodes
    from ctdl_tools.build.currencies import currency_code
    from ctdl_tools.build.languages import language_code
    from ctdl_tools.catalog import codes

    if name in _CONCEPT_FIELDS:
        return lambda word: nodes.resolve_concept(_CONCEPT_FIELDS[name], word)
    if name in _URL_FIELDS:
        return nodes.url
    if name in _NUMBER_FIELDS:
        return nodes.number
    checks: dict[str, Callable[[Any], object]] = {
        "cost_price": lambda text: nodes.price(text, catalog=True), "cost_currency": currency_code,
        "date_effective": nodes.iso_date, "duration": nodes.duration_profile,
        "is_non_credit": nodes.boolean, "language": lambda word: language_code(word, "en"),
        "cip": codes.normalize_cip, "soc": codes.normalize_occupation, "naics": codes.normalize_naics,
        "status": lambda word: nodes.resolve_concept(_status_scheme(kind), word),
        "type": lambda word: _record_type(kind, word),
    }
    return checks.get(name)


def _status_scheme(kind: str) -> str:
    return "ceterms:credentialStatusType" if kind == CREDENTIAL else "ceterms:lifeCycleStatusType"


def _record_type(kind: str, word: str) -> str:
    from ctdl_tools.build.records import UNPUBLISHABLE, record_type

    type_ = record_type(Record(kind, {"type": word}, Where("")))
    if type_ in UNPUBLISHABLE:
        raise ValueError(f"{type_} is a generic type the Registry does not accept; use a specific type "
                         "(e.g. Associate Degree, Certificate)")
    return type_
