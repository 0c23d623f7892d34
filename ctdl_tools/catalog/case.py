"""1EdTech CASE → :class:`SkillFramework`: CFPackage JSON (CASE 1.0 and 1.1) and OpenSALT's CASE spreadsheet.

Mapping (CE = ``CredentialEngine/Samples:CASE/CASE-CTDL.py`` and RA ``CaseFrameworkPackage.cs``; P = ours,
where CE is silent):

* CFDocument → the framework: ``identifier`` → key (CTID ``ce-`` + identifier), ``title`` → name,
  ``description``, ``language``, ``uri`` → ``ceasn:source`` (CE), ``officialSourceURL`` →
  ``ceasn:sourceDocumentation`` (P), ``publisher`` → ``ceasn:publisherName`` (CE), ``creator`` →
  ``ceasn:author`` (CE), ``lastChangeDateTime`` → ``ceasn:dateModified`` (CE), ``adoptionStatus`` →
  ``ceasn:publicationStatusType`` (CE; Adopted = Published), ``version`` → ``ceterms:versionCode`` (P),
  ``licenseURI.uri`` → ``ceasn:license`` (P), ``subject`` → ``ceasn:localSubject`` (P).
* CFItem → a competency (CE): ``identifier`` → key (CTID ``ce-`` + identifier), ``fullStatement`` → text,
  ``abbreviatedStatement`` → label, ``humanCodingScheme`` → codedNotation, ``CFItemType`` →
  competencyCategory, ``conceptKeywords`` → conceptKeyword (P), ``uri`` → exactAlignment (P; CE writes a
  malformed broadAlignment), ``listEnumeration`` (else the isChildOf ``sequenceNumber``) → listID, ``notes``
  → comment (P), ``lastChangeDateTime`` → dateModified, ``subject`` → localSubject, ``licenseURI`` → license.
  Without a ``language`` on the CFDocument, the items' most common language is the framework's.
* CFAssociations (origin → destination): ``isChildOf`` and ``isPartOf`` → hierarchy (CE; a destination
  that is the CFDocument makes a top child); ``exactMatchOf`` → exactAlignment to the destination URI;
  ``isRelatedTo`` → ``ceasn:crossSubjectReference`` when the destination is outside the package (P);
  ``precedes`` → ``ceasn:prerequisiteAlignment`` on the destination item (P). ``exemplar``, ``replacedBy``,
  ``isPeerOf``, ``hasSkillLevel``, ``isTranslationOf`` and ``ext:`` types have no CTDL-ASN counterpart
  and are reported (one warning per type), not converted.
* Not converted: ``educationLevel`` (would need a translation to ``ceterms:AudienceLevel`` concepts;
  CFItems that have it, or OpenSALT's ``educationalLevel``, are counted in one warning per file),
  ``CFRubrics``, ``CFDefinitions`` beyond item type titles.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from ctdl_tools.catalog.model import Competency, SkillFramework
from ctdl_tools.catalog.skills_csv import (
    Sheet,
    clean,
    framework_name_from,
    is_http_url,
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

HIERARCHY = ("isChildOf", "isPartOf")
# CFItem keys read only to say they are not converted: CASE's, and the spelling OpenSALT exports.
_NO_LEVELS = "it would need a translation to ceterms:AudienceLevel concepts"
UNCONVERTED_ITEM_KEYS = {"educationLevel": _NO_LEVELS, "educationalLevel": _NO_LEVELS}
UNCONVERTED = {"exemplar": "CTDL-ASN has no exemplar property", "replacedBy": "no CTDL-ASN counterpart",
               "isPeerOf": "no CTDL-ASN counterpart", "hasSkillLevel": "no CTDL-ASN counterpart",
               "isTranslationOf": "no CTDL-ASN counterpart"}
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$")
# Ref to another competency of the same framework by key; build/framework.py turns it into its URI.
KEY_REF = "@key"


# --- CFPackage JSON ----------------------------------------------------------------------------------
def read_case_package(path: Path) -> list[SkillFramework]:
    """The one framework of a CASE CFPackage (``{"CFDocument", "CFItems", "CFAssociations", …}``)."""
    path = Path(path)
    name = str(path)
    data = load_json(path)
    if isinstance(data, dict) and isinstance(data.get("CFPackage"), dict):
        data = data["CFPackage"]  # some CASE servers wrap the package
    if not isinstance(data, dict) or not isinstance(data.get("CFDocument"), dict):
        raise InputError(Where(name, path="$.CFDocument"), "not a CASE CFPackage: expected an object with a "
                         "CFDocument object (and CFItems, CFAssociations)")
    items = _object_list(data, "CFItems", name)
    associations = _object_list(data, "CFAssociations", name)
    fw = _framework(data["CFDocument"], items, path)
    _Package(fw, data, items, associations).read()
    return [fw]


def _object_list(data: dict, key: str, name: str) -> list[dict]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(Where(name, path=f"$.{key}"), f"{key} must be a list of objects")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise InputError(Where(name, path=f"$.{key}[{index}]"), f"each of {key} must be an object")
    return value


def _framework(doc: dict, items: list[dict], path: Path) -> SkillFramework:
    where = Where(str(path), path="$.CFDocument")
    title = clean(doc.get("title"))
    key = clean(doc.get("identifier")) or clean(doc.get("uri")) or title or path.name
    fw = SkillFramework(key=key, name=title or framework_name_from(path), where=where,
                        description=clean(doc.get("description")) or None,
                        language=clean(doc.get("language")) or _common_language(items),
                        publisher_name=clean(doc.get("publisher")) or None)
    locate(fw, name="title", description="description", source="uri", language="language")
    if not title:
        note(fw, "warning", where.at(path="$.CFDocument.title"), f"CFDocument has no title: named {fw.name!r}")
    fw.source = _url(fw, doc, "uri") or None
    extra = fw.extra
    _put(extra, "ceasn:sourceDocumentation", _url(fw, doc, "officialSourceURL"))
    _put(extra, "ceasn:author", _strings(doc.get("creator")))
    _put(extra, "ceasn:dateModified", _datetime(fw, doc, "lastChangeDateTime", where))
    _put(extra, "ceterms:versionCode", clean(doc.get("version")))
    _put(extra, "ceasn:license", _link_uri(doc.get("licenseURI")))
    _put(extra, "ceasn:localSubject", _strings(doc.get("subject")))
    status = clean(doc.get("adoptionStatus"))
    if status:
        concept = publication_status(status)
        if concept is None:
            note(fw, "warning", where.at(path="$.CFDocument.adoptionStatus"),
                 f"adoptionStatus {status!r} is not Draft, Adopted or Deprecated: not converted")
        _put(extra, "ceasn:publicationStatusType", concept)
    return fw


def _common_language(items: list[dict]) -> str | None:
    counts = Counter(clean(item.get("language")) for item in items if clean(item.get("language")))
    return counts.most_common(1)[0][0] if counts else None


def _put(target: dict[str, Any], prop: str, value: Any) -> None:
    if value:
        target[prop] = value


def _strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return unique(clean(v) for v in values)


def _link_uri(link: Any) -> str | None:
    """The ``uri`` of a CASE LinkURI object (``{"title", "identifier", "uri"}``), if it is a URL."""
    uri = clean(link.get("uri")) if isinstance(link, dict) else clean(link)
    return uri if is_http_url(uri) else None


def _url(fw: SkillFramework, obj: dict, key: str, where: Where | None = None) -> str | None:
    text = clean(obj.get(key))
    if text and not is_http_url(text):
        base = where or fw.where
        note(fw, "warning", base.at(path=f"{base.path}.{key}"), f"{text!r} is not an http(s) URL: not converted")
        return None
    return text or None


def _datetime(fw: SkillFramework, obj: dict, key: str, where: Where) -> str | None:
    """An xsd:dateTime for ceasn:dateModified; a bare date gets midnight."""
    text = clean(obj.get(key))
    if not text:
        return None
    if not _DATETIME.match(text):
        note(fw, "warning", where.at(path=f"{where.path}.{key}"), f"{text!r} is not a date-time: not converted")
        return None
    return text if "T" in text else f"{text}T00:00:00"


class _Package:
    """CFItems → competencies, then CFAssociations → hierarchy and alignments."""

    def __init__(self, fw: SkillFramework, package: dict, items: list[dict], associations: list[dict]) -> None:
        self.fw, self.items, self.associations = fw, items, associations
        doc = package["CFDocument"]
        # Identifiers are UUIDs, compared without case (a package may write one in upper case in its
        # associations and in lower case on the item); URIs are compared as written.
        self.doc_ids = {v for v in (clean(doc.get("identifier")).lower(), clean(doc.get("uri"))) if v}
        self.by_ref: dict[str, Competency] = {}  # lower-cased identifier or uri → competency
        self.type_titles = _item_type_titles(package)

    def read(self) -> None:
        for index, item in enumerate(self.items):
            self.item(index, item)
        self.unconverted_item_keys()
        skipped: Counter[tuple[str, str]] = Counter()
        for index, association in enumerate(self.associations):
            reason = self.association(index, association)
            if reason:
                skipped[reason] += 1
        for (kind, reason), count in sorted(skipped.items()):
            note(self.fw, "warning", self.fw.where.at(path="$.CFAssociations"),
                 f"{count} {kind!r} association(s) not converted: {reason}")

    def unconverted_item_keys(self) -> None:
        """One warning per key for the whole file, not one per item (a framework has thousands)."""
        for key, reason in UNCONVERTED_ITEM_KEYS.items():
            count = sum(1 for item in self.items if _strings(item.get(key)))
            if count:
                note(self.fw, "warning", self.fw.where.at(path="$.CFItems"),
                     f"{key!r} of {count} CFItem(s) not converted: {reason}")

    def item(self, index: int, item: dict) -> None:
        where = Where(self.fw.where.file, path=f"$.CFItems[{index}]")
        text = clean(item.get("fullStatement"))
        key = clean(item.get("identifier")) or clean(item.get("uri")) or clean(item.get("humanCodingScheme"))
        if not text:
            text = clean(item.get("abbreviatedStatement")) or clean(item.get("humanCodingScheme"))
            severity = "warning" if text else "error"
            note(self.fw, severity, where.at(path=f"{where.path}.fullStatement"),
                 "CFItem has no fullStatement" + (f": its {text!r} is the competency text" if text else ""))
            if not text:
                return
        if not clean(item.get("identifier")):
            note(self.fw, "warning", where.at(path=f"{where.path}.identifier"),
                 "CFItem has no identifier: its CTID is derived from its uri, code or text")
        c = Competency(key=key or text, text=text, where=where, label=clean(item.get("abbreviatedStatement")) or None,
                       coded_notation=clean(item.get("humanCodingScheme")) or None,
                       categories=self.categories(item), keywords=_keywords(item.get("conceptKeywords")),
                       exact_alignments=[u for u in [clean(item.get("uri"))] if is_http_url(u)],
                       comment=clean(item.get("notes")) or None, list_id=clean(item.get("listEnumeration")) or None)
        locate(c, text="fullStatement", key="identifier", exact_alignments="uri")
        _put(c.extra, "ceasn:dateModified", _datetime(self.fw, item, "lastChangeDateTime", where))
        _put(c.extra, "ceasn:localSubject", _strings(item.get("subject")))
        _put(c.extra, "ceasn:license", _link_uri(item.get("licenseURI")))
        self.fw.competencies.append(c)
        for ref in (clean(item.get("identifier")).lower(), clean(item.get("uri"))):
            if ref:
                self.by_ref.setdefault(ref, c)

    def categories(self, item: dict) -> list[str]:
        type_uri = item.get("CFItemTypeURI")
        title = clean(type_uri.get("title")) if isinstance(type_uri, dict) else ""
        ident = clean(type_uri.get("identifier")) if isinstance(type_uri, dict) else ""
        return unique([clean(item.get("CFItemType")) or title or self.type_titles.get(ident, "")])

    def endpoint(self, association: dict, side: str) -> tuple[str, str]:
        """(identifier, uri) of one end: ``<side>NodeURI`` object or ``<side>NodeIdentifier``."""
        link = association.get(f"{side}NodeURI")
        ident = clean(link.get("identifier")) if isinstance(link, dict) else ""
        uri = clean(link.get("uri")) if isinstance(link, dict) else clean(link)
        return (ident or clean(association.get(f"{side}NodeIdentifier"))).lower(), uri

    def find(self, ident: str, uri: str) -> Competency | None:
        return self.by_ref.get(ident) or self.by_ref.get(uri)

    def association(self, index: int, association: dict) -> tuple[str, str] | None:
        """Apply one association; (type, why) when it is not converted."""
        kind = clean(association.get("associationType"))
        path = f"$.CFAssociations[{index}]"
        origin_id, origin_uri = self.endpoint(association, "origin")
        dest_id, dest_uri = self.endpoint(association, "destination")
        origin, dest = self.find(origin_id, origin_uri), self.find(dest_id, dest_uri)
        if kind == "precedes":
            return self.precedes(origin, origin_uri, dest)
        if kind not in (*HIERARCHY, "exactMatchOf", "isRelatedTo"):
            return kind or "(none)", UNCONVERTED.get(kind, "not an association type ctdl_tools converts")
        if origin is None:
            if kind in HIERARCHY and not (origin_id in self.doc_ids or origin_uri in self.doc_ids):
                note(self.fw, "warning", self.fw.where.at(path=f"{path}.originNodeURI"),
                     f"{kind} origin {origin_id or origin_uri!r} is not a CFItem of this package: ignored")
            return None
        if kind in HIERARCHY:
            self.parent(origin, association, dest, dest_id or dest_uri, path)
        elif kind == "exactMatchOf":
            self.link(origin, "exactMatchOf", dest_uri, path)
        elif dest is None:
            self.link(origin, "ceasn:crossSubjectReference", dest_uri, path)
        else:
            return kind, "both items are in this package (crossSubjectReference links to other frameworks)"
        return None

    def parent(self, child: Competency, association: dict, dest: Competency | None, ref: str, path: str) -> None:
        if dest is None and ref in self.doc_ids | {""}:
            pass  # a child of the CFDocument: a top child
        else:
            # unknown destinations stay as references: the builder warns and makes the item a top child
            child.parents.append(dest.key if dest is not None else ref)
            locate(child, parents=f"{path}.destinationNodeURI")
        sequence = clean(association.get("sequenceNumber"))
        if sequence and child.list_id is None:
            child.list_id = sequence

    def link(self, origin: Competency, prop: str, uri: str, path: str) -> None:
        if not is_http_url(uri):
            note(self.fw, "warning", self.fw.where.at(path=f"{path}.destinationNodeURI"),
                 f"destination {uri!r} is not an http(s) URI: not converted")
            return
        if prop == "exactMatchOf":
            origin.exact_alignments = unique([*origin.exact_alignments, uri])
        else:
            origin.extra[prop] = unique([*origin.extra.get(prop, []), uri])

    def precedes(self, origin: Competency | None, origin_uri: str, dest: Competency | None) -> tuple[str, str] | None:
        """``A precedes B``: A is a prerequisite of B, written on B (the only side we publish here)."""
        if dest is None:
            return "precedes", "the destination is not in this package (the prerequisite would be written on it)"
        prop = "ceasn:prerequisiteAlignment"
        if origin is not None:
            values = dest.extra.setdefault(prop, [])
            if {KEY_REF: origin.key} not in values:
                values.append({KEY_REF: origin.key})
        elif is_http_url(origin_uri):
            dest.extra[prop] = [*dest.extra.get(prop, []), origin_uri]
        else:
            return "precedes", "the origin is neither in this package nor a URI"
        return None


def _item_type_titles(package: dict) -> dict[str, str]:
    """CFDefinitions.CFItemTypes identifier → title, for items that give only ``CFItemTypeURI.identifier``."""
    definitions = package.get("CFDefinitions")
    types = definitions.get("CFItemTypes") if isinstance(definitions, dict) else None
    if not isinstance(types, list):
        return {}
    return {clean(t.get("identifier")): clean(t.get("title")) for t in types if isinstance(t, dict)}


def _keywords(value: Any) -> list[str]:
    """``conceptKeywords``: a list (CASE 1.1) or one string, ``|`` or comma separated in the wild."""
    if isinstance(value, list):
        return unique(clean(v) for v in value)
    text = clean(value)
    return split_values(text, "|" if "|" in text else ",")


# --- OpenSALT CASE spreadsheet -----------------------------------------------------------------------
CASE_COLUMNS: dict[str, tuple[str, ...]] = {
    "identifier": ("Identifier",),
    "text": ("fullStatement", "Full Statement"),
    "code": ("Human Coding Scheme", "humanCodingScheme"),
    "sequence": ("sequenceNumber", "Sequence Number", "listEnumeration", "List Enumeration"),
    "label": ("Abbreviated Statement", "abbreviatedStatement"),
    "keywords": ("ConceptKeywords", "Concept Keywords"),
    "notes": ("Notes",),
    "parent": ("Is Child Of", "isChildOf"),
    "type": ("CFItemType", "Item Type"),
    "language": ("Language",),
    "related": ("IsRelatedTo", "Is Related To"),
}
# Association columns OpenSALT reads that have no CTDL-ASN counterpart here.
CASE_UNCONVERTED = ("IsPartOf", "replacedBy", "Exemplar", "hasSkillLevel")


def read_case_csv(path: Path) -> list[SkillFramework]:
    """OpenSALT's CASE spreadsheet (CSV or XLSX) as one framework named after the file.

    Dirty data is handled, with warnings, rather than refused:

    * ``Is Child Of`` names the parent by Human Coding Scheme (or Identifier); unknown parents make top
      children (warned by the builder).
    * OpenSALT's own sample has the parent's *Identifier* in ``Abbreviated Statement`` (its columns are
      shifted against the header). A label equal to another row's Identifier is taken as that misplaced
      reference: not used as the label, and used as the parent when ``Is Child Of`` is empty.
    * ``IsRelatedTo`` URLs → ``ceasn:crossSubjectReference``; non-URL values (bare codes) are reported.
    """
    path = Path(path)
    sheet = read_sheet(path)
    cols = sheet.columns(CASE_COLUMNS)
    if "text" not in cols:
        raise InputError(sheet.where(row=1), "missing required column 'fullStatement' (OpenSALT CASE spreadsheet)")
    fw = SkillFramework(key=f"case-csv:{path.stem}", name=framework_name_from(path), where=sheet.where())
    reader = _CaseSheet(sheet, cols, fw)
    for number, row in sheet.rows:
        reader.row(number, row)
    note_short_rows(sheet, fw)
    reader.finish()
    return [fw]


class _CaseSheet:
    def __init__(self, sheet: Sheet, cols: dict[str, int], fw: SkillFramework) -> None:
        self.sheet, self.cols, self.fw = sheet, cols, fw
        self.identifiers = {sheet.cell(row, cols.get("identifier")) for _, row in sheet.rows} - {""}

    def header(self, name: str) -> str | None:
        index = self.cols.get(name)
        return self.sheet.header[index] if index is not None else None

    def get(self, row: list[str], name: str) -> str:
        return self.sheet.cell(row, self.cols.get(name))

    def row(self, number: int, row: list[str]) -> None:
        where = self.sheet.where(row=number)
        text, code, ident = self.get(row, "text"), self.get(row, "code"), self.get(row, "identifier")
        if not text:
            note(self.fw, "error", where.at(column=self.header("text")), "the row has no fullStatement")
            return
        parents = split_values(self.get(row, "parent"))
        label = self.get(row, "label")
        if label and label in self.identifiers and label != ident:
            hint = "taken as the parent" if not parents else "ignored (Is Child Of names the parent)"
            note(self.fw, "warning", where.at(column=self.header("label")),
                 f"Abbreviated Statement {label!r} is the Identifier of another row (shifted column?): {hint}")
            parents = parents or [label]
            label = ""
        c = Competency(key=ident or code or text, text=text, where=where, label=label or None,
                       coded_notation=code or None, categories=split_values(self.get(row, "type")),
                       keywords=_keywords(self.get(row, "keywords")), parents=parents,
                       comment=self.get(row, "notes") or None, list_id=self.get(row, "sequence") or None)
        locate(c, text=self.header("text") or "", key=self.header("identifier") or "",
               parents=self.header("parent") or self.header("label") or "")
        self.related(c, row, where)
        language = self.get(row, "language")
        if language and self.fw.language is None:
            self.fw.language = language
        self.fw.competencies.append(c)

    def related(self, c: Competency, row: list[str], where: Where) -> None:
        values = split_values(self.get(row, "related"), "|,")
        urls = [v for v in values if is_http_url(v)]
        if urls:
            c.extra["ceasn:crossSubjectReference"] = urls
        for value in values:
            if value not in urls:
                note(self.fw, "warning", where.at(column=self.header("related")),
                     f"IsRelatedTo {value!r} is not a URL: not converted")

    def finish(self) -> None:
        known = set(self.cols.values())
        for index, header in enumerate(self.sheet.header):
            filled = any(self.sheet.cell(row, index) for _, row in self.sheet.rows)
            if header and index not in known and filled:
                reason = ("has no CTDL-ASN counterpart" if header.replace(" ", "").lower()
                          in {h.lower() for h in CASE_UNCONVERTED} else "is not a CASE spreadsheet column")
                note(self.fw, "warning", self.sheet.where(row=1, column=header), f"column {reason}: not converted")
        if not self.fw.competencies and not self.sheet.rows:
            raise InputError(self.sheet.where(), "no rows under the header")
