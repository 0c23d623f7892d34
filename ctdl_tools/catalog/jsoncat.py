"""JSON and YAML catalogs of ctdl_tools' own, simple design.

::

    {
      "organizations":          [ {record}, ... ],
      "credentials":            [ {record}, ... ],
      "learning_opportunities": [ {record}, ... ],
      "competency_frameworks":  [ {"Framework": "...", "Framework CTID": "ce-...", "Framework Description": "...",
                                   "competencies": [ {"ID": "...", "Competency": "...", "Parent": "..."} ]} ]
    }

A record's keys are the same column names as the CSV templates (``Credential Name``, ``Owned By``,
``Cost: Types List`` …) or the canonical field names (``name``, ``owned_by``); a multi-valued field may
be a JSON array instead of a ``|`` string. A text field may be a language map (``{"en-US": "…", "es": "…"}``),
and so may Keywords and Alternate Name, each language's value text or a list of text
(``{"en-US": ["welding", "pipe"], "es": "soldadura"}``). A ``--mapping`` file applies as it does to tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ctdl_tools.catalog.fields import (
    BOOLEAN_FIELDS,
    LIST_FIELDS,
    TEXT_FIELDS,
    TEXT_LIST_FIELDS,
    expected_value,
    header_key,
    header_table,
)
from ctdl_tools.catalog.mapping import Mapping
from ctdl_tools.catalog.model import CREDENTIAL, LEARNING, ORGANIZATION, Competency, Record, SkillFramework
from ctdl_tools.catalog.sources import input_suffix, read_input_text
from ctdl_tools.catalog.tabular import CONTROL, control_message, list_value
from ctdl_tools.errors import InputError, Problems, Where
from ctdl_tools.jsonio import parse_json, parse_yaml

SECTIONS = {"organizations": ORGANIZATION, "credentials": CREDENTIAL, "learning_opportunities": LEARNING}
FRAMEWORKS = "competency_frameworks"
_FRAMEWORK_KEYS = {
    "name": ("framework", "name", "frameworkname"), "ctid": ("frameworkctid", "ctid"),
    "description": ("frameworkdescription", "description"), "key": ("id", "frameworkid", "externalidentifier"),
    "language": ("language", "inlanguage"), "publisher": ("publisher", "ownedby"),
}
_COMPETENCY_KEYS = {
    "key": ("id", "identifier", "externalidentifier"), "ctid": ("ctid",), "text": ("competency", "text",
                                                                                  "competencytext"),
    "label": ("label", "competencylabel"), "code": ("code", "codednotation"),
    "category": ("category", "categories", "competencycategory"), "keywords": ("keywords", "keyword"),
    "parent": ("parent", "parents", "ischildof"), "alignment": ("alignmenturl", "exactalignment"),
}


def load_catalog(path: Path) -> dict[str, Any]:
    parse = parse_yaml if input_suffix(path) in (".yaml", ".yml") else parse_json
    return check_catalog(parse(read_input_text(path), str(path)), str(path))


def looks_like_catalog(data: object) -> bool:
    return isinstance(data, dict) and bool(set(data) & ({FRAMEWORKS} | set(SECTIONS)))


def check_catalog(data: object, name: str) -> dict[str, Any]:
    if not looks_like_catalog(data):
        raise InputError(Where(name, path="$"), "expected an object with organizations, credentials, "
                         "learning_opportunities or competency_frameworks lists")
    assert isinstance(data, dict)
    for key, value in data.items():
        if key not in SECTIONS and key != FRAMEWORKS:
            raise InputError(Where(name, path=f"$.{key}"), "unknown section")
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise InputError(Where(name, path=f"$.{key}"), "must be a list of objects")
    return data


def catalog_records(data: dict[str, Any], name: str, mapping: Mapping, problems: Problems) -> Iterator[Record]:
    for section, kind in SECTIONS.items():
        known = header_table(kind)
        for index, item in enumerate(data.get(section, [])):
            where = Where(name, path=f"$.{section}[{index}]")
            values, columns, invalid = {}, {}, {}
            for key, value in item.items():
                field = mapping.column_field(key, kind) or known.get(header_key(key))
                if field is None:
                    problems.warn(where.at(path=f"{where.path}.{key}"), "unknown key ignored")
                    continue
                columns[field] = key
                try:
                    values[field] = _plain(field, value)
                except ValueError as exc:
                    invalid[field] = str(exc)
            values = {**mapping.defaults_for(kind), **mapping.translate(kind, values)}
            yield Record(kind, values, where, columns, invalid)


def _plain(field: str, value: Any) -> Any:
    """A JSON value as the field takes it: text as a table cell would hold it (null is empty), a list for a
    multi-valued field, a language map for a text field, a language map of texts and lists for a list field
    written as one (keywords). Anything else is refused (ValueError): its Python spelling ("['A', 'B']",
    "{'en-US': …}") must never become the field's text."""
    if isinstance(value, list) and field in LIST_FIELDS:
        return [_scalar(field, v, "a list of text") for v in value if v is not None]
    if isinstance(value, dict) and field in TEXT_FIELDS:
        return _language_map(value)
    if isinstance(value, dict) and field in TEXT_LIST_FIELDS:
        return _list_language_map(value)
    return "" if value is None else _scalar(field, value, expected_value(field, catalog=True))


def _scalar(field: str, value: Any, expected: str) -> str:
    if isinstance(value, bool):
        if field in BOOLEAN_FIELDS:
            return "TRUE" if value else "FALSE"
        raise ValueError(f"must be {expected}, not {str(value).lower()}")
    if isinstance(value, str):
        if CONTROL.search(value):
            raise ValueError(control_message(value))
        return value
    if isinstance(value, int | float):
        return str(value)
    raise ValueError(f"must be {expected}, not {_json_type(value)}")


def _language_map(value: dict[str, Any]) -> dict[str, str] | str:
    """``{"en-US": "…", "es": "…"}``: the builder checks the language tags; the texts must be text."""
    texts = {}
    for tag, text in value.items():
        if text is None or text == "":
            continue
        if not isinstance(text, str):
            raise ValueError(f"must be text or a language map of texts; {tag!r} is {_json_type(text)}")
        bad = next((part for part in (text, str(tag)) if CONTROL.search(part)), None)
        if bad is not None:
            raise ValueError(f"{tag!r}: {control_message(bad)}")
        texts[str(tag)] = text
    return texts or ""


def _list_language_map(value: dict[str, Any]) -> dict[str, str | list[str]] | str:
    """``{"en-US": ["welding", "pipe"], "es": "soldadura"}``: each language's value text (a ``|`` string, as a
    cell) or a list of text, ``null`` and empty texts dropped; the builder checks the language tags."""
    lists: dict[str, str | list[str]] = {}
    for tag, texts in value.items():
        if CONTROL.search(str(tag)):
            raise ValueError(f"{str(tag)!r}: {control_message(str(tag))}")
        items = texts if isinstance(texts, list) else [texts]
        for i, text in enumerate(items):
            if text is not None and not isinstance(text, str):
                what = f"{str(tag)!r}[{i}]" if items is texts else repr(str(tag))
                raise ValueError(f"in a language map each language's value must be text or a list of text; "
                                 f"{what} is {_json_type(text)}")
            if text is not None and CONTROL.search(text):
                raise ValueError(f"{str(tag)!r}: {control_message(text)}")
        kept = [text for text in items if text not in (None, "")]
        if kept:
            lists[str(tag)] = kept if items is texts else kept[0]
    return lists or ""


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return "a number"
    return {dict: "an object", list: "a list"}.get(type(value), type(value).__name__)


def _pick(item: dict[str, Any], keys: tuple[str, ...]) -> Any:
    normalised = {header_key(k): v for k, v in item.items()}
    for key in keys:
        if normalised.get(key) not in (None, "", []):
            return normalised[key]
    return None


def catalog_frameworks(data: dict[str, Any], name: str) -> list[SkillFramework]:
    frameworks = []
    for index, item in enumerate(data.get(FRAMEWORKS, [])):
        where = Where(name, path=f"$.{FRAMEWORKS}[{index}]")
        fw_name = _pick(item, _FRAMEWORK_KEYS["name"])
        if not fw_name:
            raise InputError(where.at(path=f"{where.path}.Framework"), "a competency framework needs a name")
        competencies = item.get("competencies")
        if not isinstance(competencies, list) or not all(isinstance(c, dict) for c in competencies):
            raise InputError(where.at(path=f"{where.path}.competencies"), "must be a list of objects")
        framework = SkillFramework(
            key=str(_pick(item, _FRAMEWORK_KEYS["key"]) or _pick(item, _FRAMEWORK_KEYS["ctid"]) or fw_name),
            name=str(fw_name), where=where, ctid=_pick(item, _FRAMEWORK_KEYS["ctid"]),
            description=_pick(item, _FRAMEWORK_KEYS["description"]),
            language=_pick(item, _FRAMEWORK_KEYS["language"]), publisher=_pick(item, _FRAMEWORK_KEYS["publisher"]))
        framework.competencies = [_competency(c, where.at(path=f"{where.path}.competencies[{i}]"))
                                  for i, c in enumerate(competencies)]
        frameworks.append(framework)
    return frameworks


def _competency(item: dict[str, Any], where: Where) -> Competency:
    text = _pick(item, _COMPETENCY_KEYS["text"])
    if not text:
        raise InputError(where.at(path=f"{where.path}.Competency"), "a competency needs its text")
    key = _pick(item, _COMPETENCY_KEYS["key"]) or _pick(item, _COMPETENCY_KEYS["code"]) or text
    return Competency(
        key=str(key), text=str(text), where=where, ctid=_pick(item, _COMPETENCY_KEYS["ctid"]),
        label=_pick(item, _COMPETENCY_KEYS["label"]), coded_notation=_pick(item, _COMPETENCY_KEYS["code"]),
        categories=list_value(_pick(item, _COMPETENCY_KEYS["category"])),
        keywords=list_value(_pick(item, _COMPETENCY_KEYS["keywords"])),
        parents=list_value(_pick(item, _COMPETENCY_KEYS["parent"])),
        exact_alignments=list_value(_pick(item, _COMPETENCY_KEYS["alignment"])),
    )
