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
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctdl_tools.catalog.fields import FIELDS, LIST_FIELDS, header_key, header_table
from ctdl_tools.catalog.model import CREDENTIAL, LEARNING, ORGANIZATION
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

    def column_field(self, header: str, kind: str) -> str | None:
        target = self.columns.get(header_key(header))
        return header_table(kind).get(header_key(target)) if target else None

    def _field_table(self, table: dict[str, Any], kind: str) -> dict[str, Any]:
        known = header_table(kind)
        return {known[header_key(k)]: v for k, v in table.items() if header_key(k) in known}

    def defaults_for(self, kind: str) -> dict[str, Any]:
        return self._field_table(self.defaults, kind)

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
