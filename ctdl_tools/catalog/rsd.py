"""OSMT Rich Skill Descriptors (Open Skills Network) → :class:`SkillFramework`.

Accepts a ``RichSkillCollection`` (API v3; v2 spells ``author``/``category`` as ``;``-joined strings), a
single ``RichSkillDescriptor``, or a JSON list of RSDs. Credential Engine publishes no RSD mapping; ours
(following the proposal in catalogs.md §3.2):

* the collection → one framework: ``uuid`` → key (CTID ``ce-`` + uuid), ``name``, ``description``, ``id``
  (canonical URL) → ``ceasn:source``, ``author(s)`` → ``ceasn:author``, ``creator`` (a registry URI) →
  ``ceasn:creator``, ``status`` → ``ceasn:publicationStatusType``, ``creationDate``/``updateDate`` →
  ``ceasn:dateCreated``/``ceasn:dateModified``. A single RSD or a list becomes a framework of its own,
  named after the skill or the file.
* each RSD → a competency: ``uuid`` → key (CTID ``ce-`` + uuid), ``skillStatement`` → text (else
  ``skillName``, warned), ``skillName`` → label, ``categories`` → competencyCategory, ``keywords`` →
  conceptKeyword (duplicates dropped), ``alignments[].id`` and the canonical ``id`` → exactAlignment,
  ``authors``, ``creator``, ``status`` and dates as for the collection, and ``occupations`` →
  ``ceterms:occupationType`` CredentialAlignmentObjects (the vocabulary puts that property on
  ``ceasn:Competency``; checked at run time) in the shape of ``build/codes.py`` — SOC 2018 codes
  (``frameworkName: bls``) and O*NET-SOC codes (``15-1244.00``), checked against the bundled lists (a code
  not in SOC 2018 is kept with a warning). Only the occupations the RSD lists are written, not their SOC
  ``parents``.
* ``standards`` (names only), ``certifications``, ``employers`` and ``collections`` have no URIs to link
  and are reported once per file as not converted.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ctdl_tools.build.codes import code_alignment
from ctdl_tools.catalog.codes import Code, normalize_occupation
from ctdl_tools.catalog.fields import header_key
from ctdl_tools.catalog.model import Competency, SkillFramework
from ctdl_tools.catalog.skills_csv import (
    COMPETENCY_ERROR,
    clean,
    framework_name_from,
    is_http_url,
    is_uuid,
    load_json,
    locate,
    note,
    note_short_rows,
    publication_status,
    read_sheet,
    split_values,
    unique,
)
from ctdl_tools.errors import InputError, Where

OCCUPATION_PROPERTY = "ceterms:occupationType"
_PLAIN = "_"  # placeholder language for code_alignment's language maps, unwrapped again below
UNCONVERTED = ("standards", "certifications", "employers", "collections")


def read_rsd(path: Path) -> list[SkillFramework]:
    """One framework: the collection's, or one for a single RSD or a list of RSDs."""
    path = Path(path)
    data = load_json(path)
    name = str(path)
    if isinstance(data, dict) and (str(data.get("type", "")) == "RichSkillCollection" or "skills" in data):
        skills = data.get("skills") if data.get("skills") is not None else []
        if not isinstance(skills, list):
            raise InputError(Where(name, path="$.skills"), "skills must be a list of RSD objects")
        fw = _collection(data, path)
        return [_fill(fw, skills, "$.skills")]
    if isinstance(data, dict) and ("skillStatement" in data or str(data.get("type", "")) == "RichSkillDescriptor"):
        title = clean(data.get("skillName")) or framework_name_from(path)
        key = f"rsd:{clean(data.get('uuid')) or clean(data.get('id')) or title}"
        fw = SkillFramework(key=key, name=title, where=Where(name, path="$"))
        _fill(fw, [data], None)
        return [fw]
    if isinstance(data, list):
        fw = SkillFramework(key=f"rsd-list:{path.name}", name=framework_name_from(path), where=Where(name, path="$"))
        return [_fill(fw, data, "$")]
    raise InputError(Where(name, path="$"), "not an OSMT RSD: expected a RichSkillCollection, a "
                     "RichSkillDescriptor or a list of RSDs")


def _collection(data: dict, path: Path) -> SkillFramework:
    where = Where(str(path), path="$")
    title = clean(data.get("name"))
    fw = SkillFramework(key=clean(data.get("uuid")) or clean(data.get("id")) or title or path.name,
                        name=title or framework_name_from(path), where=where,
                        description=clean(data.get("description")) or None)
    locate(fw, name="name", description="description", source="id")
    if not title:
        note(fw, "warning", where.at(path="$.name"), f"the collection has no name: named {fw.name!r}")
    canonical = clean(data.get("id"))
    fw.source = canonical if is_http_url(canonical) else None
    _common(fw.extra, data)
    return fw


def _fill(fw: SkillFramework, skills: list, base: str | None) -> SkillFramework:
    """Competencies from the RSDs; fields with nothing to link are reported once per file."""
    unconverted: set[str] = set()
    for index, skill in enumerate(skills):
        path = f"{base}[{index}]" if base else "$"
        if not isinstance(skill, dict):
            raise InputError(fw.where.at(path=path), "each skill must be an RSD object")
        competency = _competency(fw, skill, fw.where.at(path=path))
        if competency.text:  # else it is left out, said (COMPETENCY_ERROR)
            fw.competencies.append(competency)
        unconverted.update(k for k in UNCONVERTED if skill.get(k))
    if unconverted:
        note(fw, "warning", fw.where,
             f"RSD fields not converted (names without URIs): {', '.join(sorted(unconverted))}")
    _warn_localhost(fw)
    return fw


def _warn_localhost(fw: SkillFramework) -> None:
    hosts = {urlsplit(u).hostname for c in fw.competencies for u in c.exact_alignments} | {
        urlsplit(fw.source).hostname if fw.source else None}
    if hosts & {"localhost", "127.0.0.1"}:
        note(fw, "warning", fw.where, "canonical RSD URLs point at localhost: kept, but registry users cannot "
             "resolve them")


def _competency(fw: SkillFramework, skill: dict, where: Where) -> Competency:
    statement, name = clean(skill.get("skillStatement")), clean(skill.get("skillName"))
    if not statement:  # as in OSMT's CSV (read_rsd_csv): a skill with no text at all is left out, not the file
        note(fw, "warning" if name else COMPETENCY_ERROR, where.at(path=f"{where.path}.skillStatement"),
             "the RSD has no skillStatement" + (": its skillName is the competency text" if name else
                                                " or skillName: it is left out, the rest of the framework is "
                                                "written without it"))
    canonical = clean(skill.get("id"))
    alignments = [clean(a.get("id")) if isinstance(a, dict) else clean(a) for a in _list(skill.get("alignments"))]
    c = Competency(key=clean(skill.get("uuid")) or canonical or name or statement, text=statement or name,
                   where=where, label=name or None, categories=_names(skill, "categories", "category"),
                   keywords=_names(skill, "keywords", "keyword"),
                   exact_alignments=unique(u for u in [*alignments, canonical] if is_http_url(u)))
    locate(c, text="skillStatement", key="uuid", exact_alignments="alignments")
    _common(c.extra, skill)
    occupations = _occupations(fw, skill, where)
    if occupations:
        c.extra[OCCUPATION_PROPERTY] = occupations
    return c


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _names(obj: dict, plural: str, singular: str) -> list[str]:
    """A v3 list (``authors``) or a v2 ``;``-joined string (``author``)."""
    values: list[str] = []
    for value in (obj.get(plural), obj.get(singular)):
        if isinstance(value, list):
            values += [clean(v) for v in value]
        elif isinstance(value, str):
            values += split_values(value, ";")
    return unique(values)


def _common(extra: dict[str, Any], obj: dict) -> None:
    """Properties collections and skills share: authors, creator, status, dates."""
    authors = _names(obj, "authors", "author")
    if authors:
        extra["ceasn:author"] = authors
    creator = clean(obj.get("creator"))
    if is_http_url(creator):
        extra["ceasn:creator"] = [creator]
    status = publication_status(clean(obj.get("status")))
    if status:
        extra["ceasn:publicationStatusType"] = status
    created, updated = clean(obj.get("creationDate")), clean(obj.get("updateDate"))
    if re.match(r"^\d{4}-\d{2}-\d{2}", created):
        extra["ceasn:dateCreated"] = created[:10]
    if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", updated):
        extra["ceasn:dateModified"] = updated


def occupation_property_allowed() -> bool:
    """Is ``ceterms:occupationType`` a property of ``ceasn:Competency`` in the bundled vocabulary?"""
    from ctdl_tools.vocab import vocabulary

    info = vocabulary().properties.get(OCCUPATION_PROPERTY)
    return info is not None and "ceasn:Competency" in info.domain


def _occupations(fw: SkillFramework, skill: dict, where: Where) -> list[dict[str, Any]]:
    """The listed SOC / O*NET-SOC codes as alignments, checked against the bundled code lists."""
    listed = [(clean(o.get("code")) if isinstance(o, dict) else "",
               clean(o.get("targetNodeName")) if isinstance(o, dict) else "",
               where.at(path=f"{where.path}.occupations[{index}].code"))
              for index, o in enumerate(_list(skill.get("occupations")))]
    return _occupation_alignments(fw, listed, where.at(path=f"{where.path}.occupations"))


def _occupation_alignments(fw: SkillFramework, listed: list[tuple[str, str, Where]],
                           where: Where) -> list[dict[str, Any]]:
    """(code, name, where) of each listed occupation → alignments; bad codes are warned about and left out."""
    alignments: list[dict[str, Any]] = []
    seen: set[str] = set()
    for text, name, code_where in listed:
        if not text or text in seen:
            continue
        seen.add(text)
        try:
            code = normalize_occupation(text)
        except ValueError as exc:
            note(fw, "warning", code_where, f"{exc}: not converted")
            continue
        for message in code.warnings:
            note(fw, "warning", code_where, message)
        alignments.append(occupation_alignment(code, name))
    if alignments and not occupation_property_allowed():
        note(fw, "warning", where,
             f"{OCCUPATION_PROPERTY} is not a property of ceasn:Competency in the bundled vocabulary: not converted")
        return []
    return alignments


def occupation_alignment(code: Code, name: str = "") -> dict[str, Any]:
    """``build.codes``' CredentialAlignmentObject, language maps left as plain text for the builder to wrap
    in the framework's language (readers do not know it)."""
    node = code_alignment(code, _PLAIN, name=name or None)
    return {k: v[_PLAIN] if isinstance(v, dict) and set(v) == {_PLAIN} else v for k, v in node.items()}


# --- OSMT CSV ----------------------------------------------------------------------------------------
# The CSV OSMT exports (a collection's or the library's "Download CSV", every release's headers) and its
# batch-import template. Lists are "; "-joined; occupations are split over one column per SOC level.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "url": ("Canonical URL",),
    "name": ("RSD Name", "Skill Name"),
    "statement": ("Skill Statement", "Contextualized Skill Statement"),
    "authors": ("Authors", "Author"),
    "categories": ("Categories", "Category", "Skill Category"),
    "keywords": ("Keywords",),
    "status": ("Publish Status", "Status"),
    "collections": ("Collections", "Collection"),
}
CSV_OCCUPATIONS = ("Occupation Major Groups", "Occupation Minor Groups", "Broad Occupations", "Detailed Occupations",
                   "O*NET Job Codes", "BLS Major Group", "BLS Minor Group", "BLS Broad Occupation",
                   "BLS Detailed Occupation", "O*NET Job Role", "Job Roles", "Job Codes", "Major Occupations",
                   "Minor Occupations")
CSV_UNCONVERTED = ("Standards", "Professional Standards", "Certifications", "Employers", "Publish Date",
                   "Archive Date")
_CSV_ALIGNMENT_URL = re.compile(r"^alignment(\d*url|s)?$")  # "Alignment", "Alignment URL", "Alignment 2 URL", …
_CSV_ALIGNMENT_TEXT = re.compile(r"^alignment\d*(name|title|framework)$")


def is_osmt_csv_header(keys: set[str]) -> bool:
    """Do these (``header_key``-normalised) headers name an OSMT CSV: a skill statement and a skill name?"""
    return bool(keys & {"skillstatement", "contextualizedskillstatement"}) and bool(keys & {"rsdname", "skillname"})


def read_rsd_csv(path: Path) -> list[SkillFramework]:
    """One framework, named after the file (or the one collection every row names), from an OSMT CSV."""
    path = Path(path)
    sheet = read_sheet(path)
    cols = sheet.columns(CSV_COLUMNS)
    if "statement" not in cols and "name" not in cols:
        raise InputError(sheet.where(row=1), "missing required OSMT CSV column 'RSD Name' or 'Skill Statement'")
    keys = [header_key(h) for h in sheet.header]
    occupation_keys = {header_key(h) for h in CSV_OCCUPATIONS}
    occupation_cols = [i for i, k in enumerate(keys) if k in occupation_keys]
    url_cols = [i for i, k in enumerate(keys) if _CSV_ALIGNMENT_URL.match(k)]
    used = set(cols.values()) | set(occupation_cols) | set(url_cols)

    def get(row: list[str], name: str) -> str:
        return sheet.cell(row, cols.get(name))

    collections = unique(v for _, row in sheet.rows for v in split_values(get(row, "collections"), ";"))
    # The one collection its rows name is the framework, whatever the export file is called; else the file is.
    collection = collections[0] if len(collections) == 1 else None
    fw = SkillFramework(key=f"rsd-collection:{collection}" if collection else f"rsd-csv:{path.stem}",
                        name=collection or framework_name_from(path), where=sheet.where())
    statement_header = sheet.header[cols["statement"]] if "statement" in cols else None
    unconverted: set[str] = set()
    for number, row in sheet.rows:
        where = sheet.where(row=number)
        statement, name = get(row, "statement"), get(row, "name")
        if not statement:
            if not name:
                note(fw, COMPETENCY_ERROR, where.at(column=statement_header), "the RSD has no Skill Statement or "
                     "name: it is left out, the rest of the framework is written without it")
                continue
            note(fw, "warning", where.at(column=statement_header),
                 "the RSD has no Skill Statement: its name is the competency text")
        canonical = get(row, "url")
        uuid_part = canonical.rstrip("/").rsplit("/", 1)[-1] if is_http_url(canonical) else ""
        alignments = [u for i in url_cols for u in split_values(sheet.cell(row, i), ";") if is_http_url(u)]
        c = Competency(key=uuid_part if is_uuid(uuid_part) else canonical or name or statement,
                       text=statement or name, where=where, label=name or None,
                       categories=split_values(get(row, "categories"), ";"),
                       keywords=split_values(get(row, "keywords"), ";"),
                       exact_alignments=unique(u for u in [*alignments, canonical] if is_http_url(u)))
        locate(c, text=statement_header or "", key=sheet.header[cols["url"]] if "url" in cols else "")
        authors = split_values(get(row, "authors"), ";")
        if authors:
            c.extra["ceasn:author"] = authors
        status = publication_status(get(row, "status"))
        if status:
            c.extra["ceasn:publicationStatusType"] = status
        listed = [(code, "", where.at(column=sheet.header[i]))
                  for i in occupation_cols for code in split_values(sheet.cell(row, i), ";")]
        occupations = _occupation_alignments(fw, listed, where)
        if occupations:
            c.extra[OCCUPATION_PROPERTY] = occupations
        fw.competencies.append(c)
        unconverted.update(sheet.header[i] for i, k in enumerate(keys)
                           if i not in used and sheet.cell(row, i))
    note_short_rows(sheet, fw)
    known = {header_key(h) for h in CSV_UNCONVERTED}
    for header in sorted(unconverted, key=sheet.header.index):
        key = header_key(header)
        reason = ("names without URIs" if key in known or _CSV_ALIGNMENT_TEXT.match(key)
                  else "not an OSMT CSV column")
        note(fw, "warning", sheet.where(row=1, column=header), f"column not converted ({reason})")
    _warn_localhost(fw)
    return [fw]
