"""What catalog readers produce and builders consume.

Readers turn files into three kinds of items, each carrying where it came from:

* :class:`Record` — one credential, learning opportunity or organization, with its values under
  canonical field names (see ``catalog/fields.py``). Tables give strings; JSON/YAML may give strings,
  numbers or lists.
* :class:`SkillFramework` — a competency framework and its competencies (CASE, RSD, ESCO, skills CSV).
* :class:`PrebuiltInput` — an input already in a structure with its own builder (Registry Assistant
  JSON requests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ctdl_tools.errors import Where

CREDENTIAL, LEARNING, ORGANIZATION = "credential", "learning-opportunity", "organization"


@dataclass
class Record:
    kind: str
    values: dict[str, Any]
    where: Where
    columns: dict[str, str] = field(default_factory=dict)  # canonical field -> header the user wrote
    invalid: dict[str, str] = field(default_factory=dict)  # field -> why its value was refused (JSON/YAML)

    def at(self, name: str) -> Where:
        """The location of one field: the cell (row + column) or the JSON path."""
        column = self.columns.get(name, name)
        if self.where.path is not None:
            return self.where.at(path=f"{self.where.path}.{column}")
        return self.where.at(column=column)

    def get(self, name: str) -> Any:
        value = self.values.get(name)
        return None if value is None or value == "" or value == [] else value

    @property
    def external_id(self) -> str | None:
        value = self.get("external_id")
        return str(value).strip() if value is not None else None


@dataclass
class Competency:
    key: str                         # stable source key: CASE identifier, RSD uuid, ESCO URI, row id
    text: str                        # ceasn:competencyText
    where: Where
    ctid: str | None = None          # explicit CTID, if the source gives one
    label: str | None = None         # ceasn:competencyLabel
    coded_notation: str | None = None
    categories: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)      # keys of parent competencies (isChildOf)
    exact_alignments: list[str] = field(default_factory=list)  # URIs of the same skill elsewhere
    comment: str | None = None
    list_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)   # further CTDL-ASN properties, already shaped


@dataclass
class SkillFramework:
    key: str                         # stable source key for the framework
    name: str
    where: Where
    competencies: list[Competency] = field(default_factory=list)
    ctid: str | None = None
    description: str | None = None
    language: str | None = None
    source: str | None = None        # ceasn:source URL
    publisher_name: str | None = None
    publisher: str | None = None     # organization CTID or registry URI
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class PrebuiltInput:
    format: str                      # e.g. "registry-assistant"
    data: Any
    where: Where
