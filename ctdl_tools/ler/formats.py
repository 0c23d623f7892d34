"""Read issued LERs in every shape they travel in, say what they are, and write them back byte-faithfully.

Shapes: a JSON file (OB 3.0 / CLR 2.0 credential, OB 2.0 Assertion or BadgeClass, an unsigned OB 3.0
Achievement), a compact JWS (VC-JWT, OB 2.0 signed assertion), a baked PNG or SVG (:mod:`.baked`), a JSON
Lines file of many, or a directory of any of these. Detection is by content, never by file name.

Writing back: a rewritten credential is rendered as *edits to the original text* (:class:`JsonText`): the
members and items that changed are spliced in with the document's own indentation, separators and
escaping, and every other byte is kept — strings are never re-escaped or Unicode-normalised, numbers
never re-printed (ler.md §6.2: a verifier that sees "SAFeÂ®" must still see it). Each splice result is
parsed back and compared with the intended object; on any mismatch the whole document is re-serialised
in the detected style instead, so what is written always *is* the intended JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

from ctdl_tools.errors import InputError, Where
from ctdl_tools.jsonio import JsonProblem, first_repeat, json_path, loads, read_bytes, too_deep, too_deep_message
from ctdl_tools.ler import baked
from ctdl_tools.ler.jws import DuplicateMember, Jws, looks_like_jws, parse_jws, strict_json

MAX_BYTES = 10 * 1024 * 1024  # one credential file; a CLR of a whole transcript is a few hundred kB

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB_V2 = "https://w3id.org/openbadges/v2"
OB3_CONTEXT = re.compile(r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(?:-(\d+\.\d+\.\d+))?\.json$")
OB3_LEGACY_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld"
CLR_CONTEXT = re.compile(r"^https://purl\.imsglobal\.org/spec/clr/v2p0/context(?:-(\d+\.\d+\.\d+))?\.json$")

OB3, CLR2, OB2_ASSERTION, OB2_BADGECLASS, ACHIEVEMENT, OTHER_VC = (
    "OB 3.0", "CLR 2.0", "OB 2.0 Assertion", "OB 2.0 BadgeClass", "OB 3.0 Achievement", "VC")
OB3_TYPES = ("OpenBadgeCredential", "AchievementCredential")
JWT_CLAIMS = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")  # RFC 7519 registered claims

SUFFIXES = (".json", ".jsonld", ".jwt", ".jws", ".jsonl", ".ndjson", ".png", ".svg", ".txt")


# ============================================================================================ model


@dataclass
class Credential:
    """One credential (or BadgeClass / Achievement definition) as found, and what it is."""

    file: Path
    label: str  # "badge.json", "many.jsonl:3"
    kind: str  # OB3 | CLR2 | OB2_ASSERTION | OB2_BADGECLASS | ACHIEVEMENT | OTHER_VC
    vc_version: str | None  # "2.0" | "1.1" | None (OB 2.0, bare Achievement)
    spec_version: str | None  # "3.0.3", "3.0 (legacy context)", "2.0.1", "2.0" …
    carrier: str  # "json" | "jws"
    text: str  # the JSON text: the whole file's, or the JWS payload's
    data: dict[str, Any]  # ``text`` parsed
    doc_path: tuple[str, ...] = ()  # where the credential is inside ``data``: () or ("vc",)
    token: str | None = None  # the compact JWS exactly as found
    jws: Jws | None = None

    @property
    def document(self) -> dict[str, Any]:
        node: Any = self.data
        for key in self.doc_path:
            node = node[key]
        return node

    @property
    def format(self) -> str:
        """"OB 3.0.3 on VC 2.0 (VC-JWT)" and the like, for reports."""
        versioned = self.kind in (OB3, CLR2) and self.spec_version
        name = f"{self.kind.split(' ')[0]} {self.spec_version}" if versioned else self.kind
        if self.vc_version:
            name += f" on VC {self.vc_version}"
        return name + (" (VC-JWT)" if self.carrier == "jws" and self.doc_path else
                       " (compact JWS)" if self.carrier == "jws" else "")


@dataclass
class LerFile:
    """A file and the credentials it holds; how to put rewritten ones back."""

    path: Path
    raw: bytes
    container: str  # "json" | "jws" | "jsonl" | "png" | "svg"
    items: list[Credential] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # jsonl: every line with its ending
    item_lines: list[int] = field(default_factory=list)  # jsonl: line index of each item
    embedded: baked.Embedded | None = None
    bom: str = ""
    prefix: str = ""  # whitespace around a JSON document / token, kept on write
    suffix: str = ""
    errors: list[InputError] = field(default_factory=list)  # jsonl: lines that cannot be read (read leniently)
    error_lines: list[int] = field(default_factory=list)  # jsonl: their line indexes (kept as they are on write)

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Skipped:
    """A directory member that holds no credential (a key file, an issuer profile, a README…)."""

    path: Path
    reason: str


DISPLAY_COPY = "Unsigned display copy"  # the Evidence name `link --unsigned-copy` marks its copies with


def is_display_copy(document: Any) -> bool:
    """A proof-less display copy made by ``ctdl ler link --unsigned-copy`` (its Evidence note says so)."""
    notes = as_list(document.get("evidence")) if isinstance(document, dict) else []
    return any(isinstance(note, dict) and note.get("name") == DISPLAY_COPY for note in notes)


# ======================================================================================== reading


@dataclass
class Inputs:
    """What :func:`read_each` found: credential files, skipped directory members, and what could not be read."""

    files: list[LerFile]
    skipped: list[Skipped]
    unreadable: list[InputError]


def read_inputs(paths: Iterable[Path], *, max_bytes: int = MAX_BYTES) -> tuple[list[LerFile], list[Skipped]]:
    """Every credential file under ``paths``. A file named on the command line must be a credential
    (else :class:`InputError`); in a directory, files that hold none are skipped and reported. Finding no
    credential at all is an :class:`InputError` too: a CI gate pointed at the wrong folder must not pass.
    The first file (or JSON Lines line) that cannot be read is raised: :func:`read_each` goes on instead."""
    found = read_each(paths, max_bytes=max_bytes)
    if found.unreadable:
        raise found.unreadable[0]
    return found.files, found.skipped


def read_each(paths: Iterable[Path], *, max_bytes: int = MAX_BYTES) -> Inputs:
    """Like :func:`read_inputs`, but each file, and each line of JSON Lines, on its own: one that cannot be
    read is an :class:`InputError` in ``unreadable`` and the others are still read (a batch of 200 is not
    stopped by 5 bad files). Raises only when nothing was found at all, readable or not."""
    paths = list(paths)
    found = Inputs([], [], [])
    for path in paths:
        members = [(m, False) for m in _walk(path)] if path.is_dir() else [(path, True)]
        for member, explicit in members:
            try:
                item = read_file(member, explicit=explicit, max_bytes=max_bytes, lenient=True)
            except InputError as exc:
                found.unreadable.append(exc)
                continue
            if isinstance(item, Skipped):
                found.skipped.append(item)
                continue
            found.unreadable += item.errors
            if item.items:
                found.files.append(item)
    if not found.files and not found.unreadable:
        skipped = len(found.skipped)
        others = f" ({skipped} other file{'s' if skipped != 1 else ''} skipped)" if skipped else ""
        raise InputError(Where(", ".join(str(p) for p in paths)), f"no credential files found{others}")
    return found


def _walk(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.suffix.lower() in SUFFIXES:
            yield path


def read_file(path: Path, *, explicit: bool = True, max_bytes: int = MAX_BYTES,
              lenient: bool = False) -> LerFile | Skipped:
    """One file. ``lenient``: a JSON Lines line that cannot be read goes to ``errors`` (the others are read);
    otherwise it is raised."""
    raw = read_bytes(path, max_bytes)
    try:
        return _parse_file(path, raw, lenient)
    except _NotCredential as exc:
        if explicit:
            raise InputError(Where(str(path)), f"not an Open Badge, CLR or achievement: {exc}") from None
        return Skipped(path, str(exc))


class _NotCredential(ValueError):
    """Readable, but not something ``ctdl ler`` works on."""


def _parse_file(path: Path, raw: bytes, lenient: bool = False) -> LerFile:
    where = Where(str(path))
    if raw.startswith(baked.PNG_SIGNATURE) or _looks_like_svg(raw):
        return _parse_baked(path, raw)
    text = _decode(raw, where)
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    stripped = body.strip()
    if not stripped:
        raise InputError(where, "file is empty")
    prefix, suffix = body[: len(body) - len(body.lstrip())], body[len(body.rstrip()):]
    if looks_like_jws(stripped):
        item = parse_text(stripped, path, path.name, where)
        return LerFile(path, raw, "jws", [item], bom=bom, prefix=prefix, suffix=suffix)
    if _is_json_lines(path, stripped):
        return _parse_jsonl(path, raw, body, bom, lenient)
    if path.suffix.lower() == ".txt" and not stripped.startswith(("{", "[")):
        # .txt is read for tokens saved as text; notes kept beside the credentials are neither JSON nor a JWS
        raise _NotCredential("a .txt file that is neither a compact JWS nor JSON")
    item = parse_text(stripped, path, path.name, where)
    return LerFile(path, raw, "json", [item], bom=bom, prefix=prefix, suffix=suffix)


def _decode(raw: bytes, where: Where) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(where, f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None


def _looks_like_svg(raw: bytes) -> bool:
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in raw[:65536].lower()


def _is_json_lines(path: Path, text: str) -> bool:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return True
    if not text.startswith("{") or "\n" not in text:
        return False
    try:
        loads(text)
    except JsonProblem:
        first = text.split("\n", 1)[0].strip()
        return first.startswith("{") and _parses(first)
    return False


def _parses(text: str) -> bool:
    try:
        loads(text)
    except JsonProblem:
        return False
    return True


def _parse_jsonl(path: Path, raw: bytes, body: str, bom: str, lenient: bool) -> LerFile:
    lines = body.splitlines(keepends=True)
    result = LerFile(path, raw, "jsonl", lines=lines, bom=bom)
    for number, line in enumerate(lines, 1):
        content = line.strip()
        if not content:
            continue
        try:
            result.items.append(_parse_line(content, path, number))
        except InputError as exc:
            if not lenient:
                raise
            result.errors.append(exc)
            result.error_lines.append(number - 1)
            continue
        result.item_lines.append(number - 1)
    if not result.items and not result.errors:
        raise InputError(Where(str(path)), "JSON Lines file holds no credential")
    return result


_FIRST_LINE = re.compile(r"\bat line 1, column ")


def _parse_line(content: str, path: Path, number: int) -> Credential:
    """One line of JSON Lines. Its errors name the line of the file ("line 3"), and only a column within it:
    the parser's own "line 1" counts from the start of that line, not of the file."""
    where = Where(str(path), path=f"line {number}")
    try:
        return parse_text(content, path, f"{path.name}:{number}", where)
    except _NotCredential as exc:
        raise InputError(where, f"not an Open Badge, CLR or achievement: {exc}") from None
    except InputError as exc:
        raise InputError(exc.where, _FIRST_LINE.sub("at column ", exc.message)) from None


def _parse_baked(path: Path, raw: bytes) -> LerFile:
    where = Where(str(path))
    try:
        embedded = baked.extract(raw)
    except baked.BakedError as exc:
        raise InputError(where, str(exc)) from None
    if embedded is None:
        raise _NotCredential("an image with no baked credential")
    text = embedded.text.strip()
    if not text.startswith("{") and not looks_like_jws(text):
        raise _NotCredential(f"the baked {embedded.describe()} holds no credential, only {text[:80]!r} "
                             "(a legacy hosted-badge URL?)")
    item = parse_text(text, path, path.name, where.at(path=f"<{embedded.describe()}>"))
    return LerFile(path, raw, embedded.image, [item], embedded=embedded)


def parse_text(text: str, path: Path, label: str, where: Where) -> Credential:
    """A credential from JSON text or a compact JWS."""
    if looks_like_jws(text):
        return _parse_token(text, path, label, where)
    data = _load_json(text, where)
    kind, vc, spec = detect(data, where)
    return Credential(path, label, kind, vc, spec, "json", text, data)


def _load_json(text: str, where: Where) -> dict[str, Any]:
    try:
        data = strict_json(text.encode("utf-8"), "JSON")
    except DuplicateMember as exc:
        raise _duplicate_error(text, where, str(exc).removeprefix("JSON: ")) from None
    except ValueError as exc:
        raise InputError(where, str(exc).removeprefix("JSON: ")) from None
    if not isinstance(data, dict):
        raise _NotCredential(f"the JSON is a {type(data).__name__}, not an object")
    _check_depth(data, where)
    return data


def _check_depth(value: Any, where: Where) -> None:
    path = too_deep(value)
    if path is not None:
        raise InputError(where.at(path=json_path(path)), too_deep_message())


def _duplicate_error(text: str, where: Where, message: str) -> InputError:
    """The duplicate member with its JSON path, line and column (the JSON parser's hook knows neither)."""
    try:
        found = first_repeat(text, json.loads(text))
    except (ValueError, RecursionError):  # not the kind of JSON this can place: no place to give
        found = None
    if found is None:
        return InputError(where, message)
    path, _, line, column = found
    place = f"{where.path} {path}" if where.path else path
    return InputError(where.at(path=place), f"{message} at line {line}, column {column}")


def _parse_token(token: str, path: Path, label: str, where: Where) -> Credential:
    try:
        jws = parse_jws(token)
    except ValueError as exc:
        raise InputError(where, f"malformed JWS/JWT: {exc}") from None
    try:
        payload_text = jws.payload.decode("utf-8")
        payload = jws.payload_json()
    except DuplicateMember as exc:
        raise _duplicate_error(payload_text, where, f"malformed JWS/JWT: {exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(where, f"malformed JWS/JWT: {exc}") from None
    _check_depth(payload, where)
    doc_path: tuple[str, ...] = ("vc",) if isinstance(payload.get("vc"), dict) else ()
    document = payload["vc"] if doc_path else payload
    kind, vc, spec = detect(document, where)
    return Credential(path, label, kind, vc, spec, "jws", payload_text, payload, doc_path, token, jws)


# ====================================================================================== detection


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def types_of(node: Any) -> list[str]:
    if not isinstance(node, dict):
        return []
    return [t for t in as_list(node.get("type", node.get("@type"))) if isinstance(t, str)]


def detect(document: dict[str, Any], where: Where | None = None) -> tuple[str, str | None, str | None]:
    """(kind, VC version, spec version) of a JSON object; :class:`_NotCredential` when it is none."""
    contexts = [c for c in as_list(document.get("@context")) if isinstance(c, str)]
    types = types_of(document)
    if "kty" in document or "publicKeyMultibase" in document or "secretKeyMultibase" in document:
        raise _NotCredential("a key, not a credential")
    if not contexts:
        raise _NotCredential("no JSON-LD @context")
    vc = {VC_V2: "2.0", VC_V1: "1.1"}.get(contexts[0])
    if OB_V2 in contexts:
        return _ob2_kind(types)
    if "ClrCredential" in types:
        return CLR2, vc, _clr_version(contexts)
    if any(t in OB3_TYPES for t in types):
        return OB3, vc, _ob3_version(contexts)
    if "VerifiableCredential" in types:
        return OTHER_VC, vc, None
    if "Achievement" in types and _ob3_version(contexts):
        return ACHIEVEMENT, None, _ob3_version(contexts)
    raise _NotCredential(f"type {types or 'missing'} is not an Open Badge, CLR or Achievement")


def _ob2_kind(types: list[str]) -> tuple[str, str | None, str | None]:
    if "Assertion" in types:
        return OB2_ASSERTION, None, "2.0"
    if "BadgeClass" in types:
        return OB2_BADGECLASS, None, "2.0"
    raise _NotCredential(f"OB 2.0 {types or 'object'} (an issuer profile or key?), not an Assertion or BadgeClass")


def _ob3_version(contexts: list[str]) -> str | None:
    for url in contexts:
        match = OB3_CONTEXT.match(url)
        if match:
            return match.group(1) or "3.0 (legacy context)"
        if url == OB3_LEGACY_CONTEXT:
            return "3.0 (legacy context)"
    return None


def _clr_version(contexts: list[str]) -> str:
    for url in contexts:
        match = CLR_CONTEXT.match(url)
        if match:
            return match.group(1) or "2.0"
    return "2.0 (unknown context)"


# ================================================================================= writing back


def render_file(file: LerFile, texts: list[str | None], *, keep_unreadable: bool = True) -> bytes | None:
    """The file's bytes with each item's text replaced (``None`` drops an item: the unsigned-copy file of
    JSON Lines holds only the copies). Lines that could not be read stay as they are, unless
    ``keep_unreadable`` is False (a copies-only file). None when nothing is left to write."""
    if file.container == "jsonl":
        lines = list(file.lines)
        for index in () if keep_unreadable else file.error_lines:
            lines[index] = ""
        for index, text in zip(file.item_lines, texts, strict=True):
            ending = lines[index][len(lines[index].rstrip("\r\n")):]
            lines[index] = "" if text is None else text + ending
        if all(text is None for text in texts):
            return None
        return (file.bom + "".join(lines)).encode("utf-8")
    text = texts[0]
    if text is None:
        return None
    if file.embedded is not None:
        return baked.replace(file.raw, file.embedded, text)
    return (file.bom + file.prefix + text + file.suffix).encode("utf-8")


# ============================================================================ format-keeping edits


@dataclass(frozen=True)
class Style:
    """How a JSON text is laid out, so inserted parts look like their neighbours."""

    indent: str | None  # one nesting level ("  ", "    ", "\t"); None for a one-line document
    colon: str  # between a member name and its value: ": " or ":"
    comma: str  # between members on one line: ", " or ","
    ensure_ascii: bool  # non-ASCII written as \\u escapes
    newline: str  # "\n" or "\r\n"


@dataclass
class _Members:
    start: int
    end: int  # just past the closing bracket
    kind: str  # "object" | "array"
    keys: list[str]  # object: member names; array: empty
    spans: list[tuple[int, int, int]]  # (key start or item start, value start, value end)


_WS = re.compile(r"[ \t\n\r]*")
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_DECODER = json.JSONDecoder()


class JsonText:
    """A JSON text whose values can be replaced, and members/items added or removed, in place."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.root = _WS.match(text, 0).end()  # type: ignore[union-attr]
        self._containers: dict[int, _Members] = {}
        self.style = self._detect_style()

    # ------------------------------------------------------------------------------- structure
    def _container(self, start: int) -> _Members:
        found = self._containers.get(start)
        if found is None:
            found = self._scan(start)
            self._containers[start] = found
        return found

    def _scan(self, start: int) -> _Members:
        text, opening = self.text, self.text[start]
        closing, keys, spans = ("}" if opening == "{" else "]"), [], []
        pos = _WS.match(text, start + 1).end()  # type: ignore[union-attr]
        while text[pos] != closing:
            item_start = pos
            if opening == "{":
                key, pos = scanstring(text, pos + 1)
                keys.append(key)
                pos = _WS.match(text, pos).end() + 1  # type: ignore[union-attr]  # past ':'
                pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            value_start = pos
            pos = _DECODER.raw_decode(text, pos)[1]
            spans.append((item_start, value_start, pos))
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            if text[pos] == ",":
                pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
        return _Members(start, pos + 1, "object" if opening == "{" else "array", keys, spans)

    def locate(self, path: tuple[str | int, ...]) -> tuple[int, int]:
        """(start, end) of the value at ``path``."""
        start = self.root
        end = _DECODER.raw_decode(self.text, start)[1] if not path else -1
        for step in path:
            members = self._container(start)
            index = members.keys.index(step) if isinstance(step, str) else step
            _, start, end = members.spans[index]
        return start, end

    # ---------------------------------------------------------------------------------- style
    def _detect_style(self) -> Style:
        text = self.text
        newline = "\r\n" if "\r\n" in text else "\n"
        ensure_ascii = text.isascii() and any(int(code, 16) >= 0x80 for code in _ESCAPE.findall(text))
        if text[self.root] not in "{[":
            return Style(None, ": ", ", ", ensure_ascii, newline)
        members = self._container(self.root)
        colon, comma, indent = ": ", ", ", None
        if members.kind == "object" and members.spans:
            key_start, value_start, _ = members.spans[0]
            _, key_end = scanstring(text, key_start + 1)
            colon = text[key_end:value_start]
        if len(members.spans) > 1:
            between = text[members.spans[0][2]:members.spans[1][0]]
            comma = between if "\n" not in between else ","
        if members.spans:
            lead = text[members.start + 1:members.spans[0][0]]
            if "\n" in lead:
                indent = lead.rsplit("\n", 1)[1] or None
        return Style(indent, colon, comma, ensure_ascii, newline)

    def render(self, value: Any, base: str) -> str:
        """``value`` as JSON in this text's style, continuation lines indented by ``base``."""
        style = self.style
        if style.indent is None:
            return json.dumps(value, ensure_ascii=style.ensure_ascii, separators=(style.comma, style.colon))
        out = json.dumps(value, ensure_ascii=style.ensure_ascii, indent=style.indent,
                         separators=(",", style.colon))
        return out.replace("\n", style.newline + base)

    def _line_indent(self, pos: int) -> str:
        line_start = self.text.rfind("\n", 0, pos) + 1
        match = _WS.match(self.text, line_start)
        return self.text[line_start:min(match.end(), pos)].replace("\r", "").replace("\n", "")  # type: ignore[union-attr]

    # --------------------------------------------------------------------------------- splices
    def replace(self, path: tuple[str | int, ...], value: Any) -> tuple[int, int, str]:
        start, end = self.locate(path)
        return start, end, self.render(value, self._line_indent(start))

    def add_member(self, path: tuple[str | int, ...], key: str, value: Any) -> tuple[int, int, str]:
        start, _ = self.locate(path)
        members = self._container(start)
        return self._insert(members, json.dumps(key, ensure_ascii=self.style.ensure_ascii) + self.style.colon,
                            value)

    def append(self, path: tuple[str | int, ...], value: Any) -> tuple[int, int, str]:
        start, _ = self.locate(path)
        return self._insert(self._container(start), "", value)

    def _insert(self, members: _Members, key_text: str, value: Any) -> tuple[int, int, str]:
        text = self.text
        if members.spans:
            first_lead = text[members.start + 1:members.spans[0][0]]
            previous_end = members.spans[-1][2]
            if len(members.spans) > 1:
                separator = text[members.spans[-2][2]:members.spans[-1][0]]
            else:
                separator = "," + (first_lead if "\n" in first_lead else self.style.comma[1:])
            base = separator.rsplit("\n", 1)[1] if "\n" in separator else self._line_indent(members.spans[-1][0])
            return previous_end, previous_end, separator + key_text + self.render(value, base)
        outer = self._line_indent(members.start)
        if self.style.indent is None:
            return members.start + 1, members.end - 1, key_text + self.render(value, outer)
        inner = outer + self.style.indent
        body = self.style.newline + inner + key_text + self.render(value, inner) + self.style.newline + outer
        return members.start + 1, members.end - 1, body

    def remove_member(self, path: tuple[str | int, ...], key: str) -> tuple[int, int, str]:
        start, _ = self.locate(path)
        members = self._container(start)
        index = members.keys.index(key)
        spans = members.spans
        if len(spans) == 1:
            return members.start + 1, members.end - 1, ""
        if index > 0:  # from the end of the previous member: takes the comma before it
            return spans[index - 1][2], spans[index][2], ""
        return spans[0][0], spans[1][0], ""


def _same(a: Any, b: Any) -> bool:
    """JSON equality that tells true from 1 and 1 from 1.0 (Python's == does not)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _diff(old: Any, new: Any, path: tuple[str | int, ...], doc: JsonText,
          out: list[tuple[int, int, str]]) -> None:
    """Splices that turn ``old`` (the value at ``path`` in ``doc``) into ``new``, touching as little as
    possible: changed members are recursed into, added ones appended, removed ones cut out."""
    if _same(old, new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            if key not in new:
                out.append(doc.remove_member(path, key))
        for key, value in new.items():
            if key in old:
                _diff(old[key], value, (*path, key), doc, out)
            else:
                out.append(doc.add_member(path, key, value))
        return
    if isinstance(old, list) and isinstance(new, list) and len(new) >= len(old) and old:
        for index, value in enumerate(old):
            _diff(value, new[index], (*path, index), doc, out)
        for value in new[len(old):]:
            out.append(doc.append(path, value))
        return
    out.append(doc.replace(path, new))


def _apply(text: str, splices: list[tuple[int, int, str]]) -> str:
    # Inserts at one position keep their order (stable sort by start, then applied back to front).
    ordered = sorted(enumerate(splices), key=lambda item: (item[1][0], item[0]))
    pieces, cursor = [], 0
    for _, (start, end, replacement) in ordered:
        if start < cursor:
            raise ValueError("overlapping edits")
        pieces.append(text[cursor:start])
        pieces.append(replacement)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def rewrite_text(text: str, old: Any, new: Any) -> str:
    """``text`` (which parses to ``old``) edited so that it parses to ``new``, keeping every untouched
    byte; the whole document re-serialised in the detected style only if splicing cannot be proven right."""
    doc = JsonText(text)
    splices: list[tuple[int, int, str]] = []
    try:
        _diff(old, new, (), doc, splices)
        result = _apply(text, splices)
        if _same(json.loads(result), new):
            return result
    except (ValueError, IndexError, KeyError, RecursionError):
        pass
    return serialise(new, doc.style)


def serialise(value: Any, style: Style | None = None) -> str:
    style = style or Style("  ", ": ", ", ", False, "\n")
    if style.indent is None:
        return json.dumps(value, ensure_ascii=style.ensure_ascii, separators=(style.comma, style.colon))
    out = json.dumps(value, ensure_ascii=style.ensure_ascii, indent=style.indent, separators=(",", style.colon))
    return out.replace("\n", style.newline)
