"""ESCO skills CSV downloads (``skills_en.csv``, ``transversalSkillsCollection_en.csv``, …) → one framework.

Credential Engine publishes no ESCO mapping; ours (catalogs.md §3.3):

* the file → one framework, named after the file unless a name is given (``transversalSkillsCollection_en``
  → "ESCO transversal skills collection", language ``en`` from the suffix), with ESCO as its source;
* each concept row → a competency keyed by ``conceptUri``: ``description`` → text (else ``definition``,
  else ``preferredLabel``, warned), ``preferredLabel`` → label, ``altLabels`` → conceptKeyword, ``skillType``
  and ``reuseLevel`` → competencyCategory, ``conceptUri`` → exactAlignment, ``scopeNote`` → comment,
  ``status`` → publicationStatusType, ``modifiedDate`` → dateModified;
* ``broaderConceptUri`` (several values: ESCO is a poly-hierarchy) → ``isChildOf`` for the broader concepts
  in the same file, and ``ceasn:broadAlignment`` (the referenced competency covers this one and more) for
  those outside it, e.g. the skill-pillar groups a collection file does not contain.

Multi-valued cells are `` | ``-joined in collection files and newline-separated in ``skills_en.csv``; both
are split. Occupation and ISCO group rows (not skills) are skipped with a warning.
"""

from __future__ import annotations

import re
from pathlib import Path

from ctdl_tools.catalog.model import Competency, SkillFramework
from ctdl_tools.catalog.skills_csv import (
    Sheet,
    framework_name_from,
    is_http_url,
    locate,
    note,
    note_short_rows,
    publication_status,
    read_sheet,
    split_values,
)
from ctdl_tools.catalog.sources import input_suffix
from ctdl_tools.errors import InputError, Where

ESCO_SOURCE = "https://esco.ec.europa.eu"
ESCO_COLUMNS: dict[str, tuple[str, ...]] = {
    "uri": ("conceptUri",), "type": ("conceptType",), "skill_type": ("skillType",), "reuse": ("reuseLevel",),
    "label": ("preferredLabel",), "alt": ("altLabels",), "description": ("description",),
    "definition": ("definition",), "scope": ("scopeNote",), "broader": ("broaderConceptUri",),
    "status": ("status",), "modified": ("modifiedDate",),
}
_NOT_SKILLS = ("occupation", "iscogroup")
_LANGUAGE_SUFFIX = re.compile(r"^(?P<base>.+?)_(?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]+)?)$")


def read_esco_csv(path: Path, name: str | None = None) -> list[SkillFramework]:
    """One framework holding every skill/competence/knowledge concept of an ESCO CSV file."""
    path = Path(path)
    if input_suffix(path) in (".json", ".jsonld", ".yaml", ".yml"):
        raise InputError(Where(str(path), path="$"), "ESCO API JSON is not read: convert an ESCO CSV download "
                         "(skills_en.csv, a *SkillsCollection_en.csv …) from esco.ec.europa.eu instead")
    sheet = read_sheet(path)
    cols = sheet.columns(ESCO_COLUMNS)
    missing = [ESCO_COLUMNS[f][0] for f in ("uri", "label") if f not in cols]
    if missing:
        raise InputError(sheet.where(row=1), f"missing required ESCO column(s): {', '.join(missing)}")
    fw = _framework(path, sheet, name)
    if "description" not in cols and "definition" not in cols:  # trimmed downloads: once, not once a row
        note(fw, "warning", sheet.where(row=1), "no description or definition column: each concept's "
             "preferredLabel is its competency text")
    rows = _EscoRows(sheet, cols, fw)
    for number, row in sheet.rows:
        rows.row(number, row)
    note_short_rows(sheet, fw)
    rows.hierarchy()
    return [fw]


# Words of ESCO's download file names written as ESCO writes them in its collection names
# (ictSkillsCollection_en.csv is the "ICT skills collection", digCompSkillsCollection_en.csv "DigComp …").
_ESCO_WORDS = (("ict", "ICT"), ("dig comp", "DigComp"))


def _framework(path: Path, sheet: Sheet, name: str | None) -> SkillFramework:
    match = _LANGUAGE_SUFFIX.match(path.stem)
    base = match.group("base") if match else path.stem
    words = framework_name_from(Path(base)).lower().removeprefix("esco ")  # "esco_digitalSkills…" too
    for written, esco in _ESCO_WORDS:
        words = re.sub(rf"\b{written}\b", esco, words)
    title = name or f"ESCO {words}"
    return SkillFramework(
        key=f"esco:{path.stem}", name=title, where=sheet.where(), language=match.group("lang") if match else None,
        description=f"Skills and competences from the ESCO classification (European Skills, Competences, "
                    f"Qualifications and Occupations) of the European Commission, file {path.name}.",
        source=ESCO_SOURCE)


class _EscoRows:
    def __init__(self, sheet: Sheet, cols: dict[str, int], fw: SkillFramework) -> None:
        self.sheet, self.cols, self.fw = sheet, cols, fw
        self.broader: list[tuple[Competency, list[str]]] = []

    def get(self, row: list[str], name: str) -> str:
        return self.sheet.cell(row, self.cols.get(name))

    def header(self, name: str) -> str:
        index = self.cols.get(name)
        return self.sheet.header[index] if index is not None else ESCO_COLUMNS[name][0]

    def row(self, number: int, row: list[str]) -> None:
        where = self.sheet.where(row=number)
        uri, label = self.get(row, "uri"), self.get(row, "label")
        kind = self.get(row, "type")
        if kind.lower() in _NOT_SKILLS:
            note(self.fw, "warning", where.at(column=self.header("type")), f"a {kind} row, not a skill: skipped")
            return
        if not uri:
            note(self.fw, "warning", where.at(column=self.header("uri")), "no conceptUri: row skipped")
            return
        text = self.get(row, "description") or self.get(row, "definition") or label
        if not text:
            note(self.fw, "error", where.at(column=self.header("description")), "no description or preferredLabel")
            return
        if text == label and ("description" in self.cols or "definition" in self.cols):
            note(self.fw, "warning", where.at(column=self.header("description")),
                 "no description: the preferredLabel is the competency text")
        c = Competency(key=uri, text=text, where=where, label=label or None,
                       keywords=_values(self.get(row, "alt")),
                       categories=_values(self.get(row, "skill_type")) + _values(self.get(row, "reuse")),
                       exact_alignments=[uri] if is_http_url(uri) else [],
                       comment=self.get(row, "scope") or None)
        locate(c, text=self.header("description"), key=self.header("uri"), parents=self.header("broader"))
        self.extras(c, row)
        self.fw.competencies.append(c)
        self.broader.append((c, _values(self.get(row, "broader"))))

    def extras(self, c: Competency, row: list[str]) -> None:
        status = publication_status(self.get(row, "status"))
        if status:
            c.extra["ceasn:publicationStatusType"] = status
        modified = self.get(row, "modified")
        if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", modified):
            c.extra["ceasn:dateModified"] = modified

    def hierarchy(self) -> None:
        """Broader concepts in this file are parents; the others are broad alignments."""
        in_file = {c.key for c in self.fw.competencies}
        for c, broader in self.broader:
            c.parents = [uri for uri in broader if uri in in_file and uri != c.key]
            outside = [uri for uri in broader if uri not in in_file and is_http_url(uri)]
            if outside:
                c.extra["ceasn:broadAlignment"] = outside


def _values(cell: str) -> list[str]:
    return split_values(cell, ("|", "\n"))
