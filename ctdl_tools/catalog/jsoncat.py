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
be a JSON array instead of a ``|`` string. A ``--mapping`` file applies as it does to tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ctdl_tools.catalog.fields import header_key, header_table
from ctdl_tools.catalog.mapping import Mapping
from ctdl_tools.catalog.model import CREDENTIAL, LEARNING, ORGANIZATION, Competency, Record, SkillFramework
from ctdl_tools.catalog.tabular import list_value
from ctdl_tools.errors import InputError, Problems, Where
from ctdl_tools.jsonio import parse_json, parse_yaml, read_text

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
    parse = parse_yaml if path.suffix.lower() in (".yaml", ".yml") else parse_json
    return check_catalog(parse(read_text(path), str(path)), str(path))


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
            values, columns = {}, {}
            for key, value in item.items():
                field = mapping.column_field(key, kind) or known.get(header_key(key))
                if field is None:
                    problems.warn(where.at(path=f"{where.path}.{key}"), "unknown key ignored")
                    continue
                values[field], columns[field] = _plain(value), key
            values = {**mapping.defaults_for(kind), **mapping.translate(kind, values)}
            yield Record(kind, values, where, columns)


def _plain(value: Any) -> Any:
    """JSON scalars as the strings a table would hold; lists stay lists."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return "" if value is None else value if isinstance(value, str) else str(value)


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
