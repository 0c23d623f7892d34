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
from ctdl_tools.catalog.model import Competency, SkillFramework
from ctdl_tools.catalog.skills_csv import (
    clean,
    framework_name_from,
    is_http_url,
    load_json,
    locate,
    note,
    publication_status,
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
        if competency.text:  # else an error is noted: the framework will not be written
            fw.competencies.append(competency)
        unconverted.update(k for k in UNCONVERTED if skill.get(k))
    if unconverted:
        note(fw, "warning", fw.where,
             f"RSD fields not converted (names without URIs): {', '.join(sorted(unconverted))}")
    hosts = {urlsplit(u).hostname for c in fw.competencies for u in c.exact_alignments} | {
        urlsplit(fw.source).hostname if fw.source else None}
    if hosts & {"localhost", "127.0.0.1"}:
        note(fw, "warning", fw.where, "canonical RSD URLs point at localhost: kept, but registry users cannot "
             "resolve them")
    return fw


def _competency(fw: SkillFramework, skill: dict, where: Where) -> Competency:
    statement, name = clean(skill.get("skillStatement")), clean(skill.get("skillName"))
    if not statement:
        severity = "warning" if name else "error"
        note(fw, severity, where.at(path=f"{where.path}.skillStatement"),
             "the RSD has no skillStatement" + (": its skillName is the competency text" if name else ""))
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
    alignments: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, occupation in enumerate(_list(skill.get("occupations"))):
        code_where = where.at(path=f"{where.path}.occupations[{index}].code")
        text = clean(occupation.get("code")) if isinstance(occupation, dict) else ""
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
        alignments.append(occupation_alignment(code, clean(occupation.get("targetNodeName"))))
    if alignments and not occupation_property_allowed():
        note(fw, "warning", where.at(path=f"{where.path}.occupations"),
             f"{OCCUPATION_PROPERTY} is not a property of ceasn:Competency in the bundled vocabulary: not converted")
        return []
    return alignments


def occupation_alignment(code: Code, name: str = "") -> dict[str, Any]:
    """``build.codes``' CredentialAlignmentObject, language maps left as plain text for the builder to wrap
    in the framework's language (readers do not know it)."""
    node = code_alignment(code, _PLAIN, name=name or None)
    return {k: v[_PLAIN] if isinstance(v, dict) and set(v) == {_PLAIN} else v for k, v in node.items()}
