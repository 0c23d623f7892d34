"""Baked badges: the credential embedded in a PNG or SVG image, read and replaced in place.

Open Badges 3.0 (ob_v3p0/docformat.md "Baked Badge"): PNG ``iTXt`` chunk with keyword
``openbadgecredential``, uncompressed, holding the JSON credential or the compact JWS; SVG
``<openbadges:credential>`` (namespace ``https://purl.imsglobal.org/ob/v3p0``) with the JSON in a CDATA
body, or the JWS in a ``verify`` attribute. Open Badges 2.0 (baking spec 1.0): ``iTXt`` keyword
``openbadges``; SVG ``<openbadges:assertion verify="…">`` (namespace ``http://openbadges.org``) with the
JSON in CDATA or a signature in ``verify``. Pre-2013 PNGs used a ``tEXt`` ``openbadges`` chunk holding a
hosted assertion URL; it is read (and reported as a URL), never written.

Rewriting replaces exactly the chunk (PNG, with its CRC recomputed) or the element's payload (SVG); every
other byte of the image stays as it was. The spec allows one such chunk/element; more is an error.
"""

from __future__ import annotations

import html
import re
import struct
import zlib
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OB3_KEYWORD, OB2_KEYWORD = "openbadgecredential", "openbadges"
OB3_NAMESPACE, OB2_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0", "http://openbadges.org"
MAX_TEXT = 10 * 1024 * 1024  # a compressed chunk must not inflate past the file size limit
_KEYWORDS = (OB3_KEYWORD, OB2_KEYWORD)
_TEXT_CHUNKS = (b"iTXt", b"tEXt", b"zTXt")


class BakedError(ValueError):
    """The image is damaged or ambiguous (two credentials in one badge)."""


@dataclass(frozen=True)
class Embedded:
    """Where the credential sits in the image and in which form, so it can be put back the same way."""

    image: str  # "png" | "svg"
    text: str
    keyword: str  # PNG chunk keyword, or SVG element name ("credential" | "assertion")
    form: str  # PNG: "iTXt" | "tEXt" | "zTXt"; SVG: "cdata" | "text" | "verify"
    start: int  # PNG: byte span of the whole chunk; SVG: character span of the payload
    end: int
    prefix: str = ""  # SVG: the namespace prefix in use

    def describe(self) -> str:
        if self.image == "png":
            return f"PNG {self.form} chunk {self.keyword!r}"
        return f"SVG <{self.prefix}:{self.keyword}> {'verify attribute' if self.form == 'verify' else 'body'}"


def extract(data: bytes) -> Embedded | None:
    """The embedded credential of a PNG or SVG; None if the image carries none."""
    if data.startswith(PNG_SIGNATURE):
        return _png_extract(data)
    return _svg_extract(_svg_text(data))


def replace(data: bytes, embedded: Embedded, text: str) -> bytes:
    """The image with its credential replaced by ``text`` (same chunk/element, same form)."""
    if embedded.image == "png":
        return data[:embedded.start] + _itxt_chunk(embedded.keyword, text) + data[embedded.end:]
    svg = _svg_text(data)
    return (svg[:embedded.start] + _svg_payload(embedded.form, text) + svg[embedded.end:]).encode("utf-8")


# ============================================================================================ PNG


def _chunks(data: bytes) -> list[tuple[bytes, int, int, int]]:
    """(type, chunk start, data start, chunk end) of every chunk, CRCs checked."""
    chunks, pos = [], len(PNG_SIGNATURE)
    while pos < len(data):
        if pos + 12 > len(data):
            raise BakedError(f"PNG is truncated at byte {pos}")
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise BakedError(f"PNG chunk {kind!r} at byte {pos} runs past the end of the file")
        crc = struct.unpack(">I", data[end - 4:end])[0]
        if zlib.crc32(data[pos + 4:end - 4]) != crc:
            raise BakedError(f"PNG chunk {kind.decode('latin-1')!r} at byte {pos} has a bad CRC (damaged file)")
        chunks.append((kind, pos, pos + 8, end))
        pos = end
        if kind == b"IEND":
            break
    if not chunks or chunks[-1][0] != b"IEND":
        raise BakedError("PNG has no IEND chunk (truncated file)")
    return chunks


def _png_extract(data: bytes) -> Embedded | None:
    found = []
    for kind, start, body, end in _chunks(data):
        if kind in _TEXT_CHUNKS:
            keyword = data[body:end - 4].split(b"\0", 1)[0].decode("latin-1")
            if keyword in _KEYWORDS:
                found.append(Embedded("png", _chunk_text(kind, data[body:end - 4]), keyword, kind.decode(), start, end))
    if len(found) > 1:
        raise BakedError(f"PNG holds {len(found)} Open Badges chunks ({', '.join(e.describe() for e in found)}); "
                         "the baking specification allows one")
    return found[0] if found else None


def _chunk_text(kind: bytes, body: bytes) -> str:
    keyword, _, rest = body.partition(b"\0")
    if kind == b"tEXt":
        return rest.decode("latin-1")
    if kind == b"zTXt":
        return _inflate(rest[1:]).decode("latin-1")
    if len(rest) < 2:
        raise BakedError(f"PNG iTXt chunk {keyword!r} is malformed")
    compressed, _method, rest = rest[0], rest[1], rest[2:]
    _language, _, rest = rest.partition(b"\0")
    _translated, _, text = rest.partition(b"\0")
    raw = _inflate(text) if compressed else text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BakedError(f"PNG iTXt chunk {keyword!r} is not UTF-8: {exc}") from None


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TEXT)
    except zlib.error as exc:
        raise BakedError(f"PNG text chunk does not decompress: {exc}") from None
    if inflater.unconsumed_tail:
        raise BakedError(f"PNG text chunk inflates past {MAX_TEXT} bytes")
    return out


def _itxt_chunk(keyword: str, text: str) -> bytes:
    # Uncompressed, no language tag or translated keyword: "Compression MUST NOT be used".
    body = keyword.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8")
    return struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))


def bake_png(png: bytes, text: str, keyword: str = OB3_KEYWORD) -> bytes:
    """``png`` carrying ``text``: an existing Open Badges chunk is replaced, otherwise one is added
    right after IHDR (extractors stop at the first match, so early is best)."""
    if not png.startswith(PNG_SIGNATURE):
        raise BakedError("not a PNG file")
    existing = _png_extract(png)
    if existing is not None:
        return replace(png, Embedded("png", existing.text, keyword, "iTXt", existing.start, existing.end), text)
    chunks = _chunks(png)
    after_header = chunks[0][3]
    return png[:after_header] + _itxt_chunk(keyword, text) + png[after_header:]


# ============================================================================================ SVG


def _svg_text(data: bytes) -> str:
    try:  # a BOM decodes to U+FEFF and encodes back to the same three bytes
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BakedError(f"SVG is not UTF-8: {exc}") from None


_NS = re.compile(r"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*["'](https://purl\.imsglobal\.org/ob/v3p0|http://openbadges\.org)/?["']""")
_VERIFY = re.compile(r"""\bverify\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_COMMENT_OR_CDATA = re.compile(r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)", re.S)


def _without_comments(svg: str) -> str:
    """``svg`` with every XML comment blanked out, same length (offsets stay valid for the original).
    A comment is markup that says nothing: an element inside one is no element. CDATA sections are
    skipped over whole, since "<!--" in a credential's text is no comment. One never closed makes the
    rest of the file its content, which an XML parser refuses: so do we (a reader that found a credential
    in it would show what the image's other readers never see)."""
    def blank(match: re.Match[str]) -> str:
        text = match.group()
        comment = text.startswith("<!--")
        if not text.endswith("-->" if comment else "]]>"):
            line = svg.count("\n", 0, match.start()) + 1
            what = "comment (<!--)" if comment else "CDATA section (<![CDATA[)"
            raise BakedError(f"SVG is not well-formed XML: the {what} opened on line {line} is never closed")
        return " " * len(text) if comment else text

    return _COMMENT_OR_CDATA.sub(blank, svg)


def _svg_extract(svg: str) -> Embedded | None:
    searched = _without_comments(svg)
    prefixes = {m.group(1) for m in _NS.finditer(searched)} or {"openbadges"}
    found = []
    for prefix in sorted(prefixes):
        tag = re.escape(prefix)
        pattern = re.compile(rf"<{tag}:(credential|assertion)\b([^>]*?)(/>|>(.*?)</{tag}:\1\s*>)", re.S)
        # Spans of a match over the blanked text are spans of the original; its groups read the same,
        # except that a comment inside a text body is left out, as XML text content leaves it out.
        found += [(prefix, m) for m in pattern.finditer(searched)]
    if len(found) > 1:
        raise BakedError(f"SVG holds {len(found)} Open Badges elements; the baking specification allows one")
    if not found:
        return None
    prefix, match = found[0]
    return _svg_embedded(prefix, match)


def _svg_embedded(prefix: str, match: re.Match[str]) -> Embedded:
    name, attributes, body = match.group(1), match.group(2), match.group(4)
    body_start = match.start(4)
    if body is not None:
        sections = list(_CDATA.finditer(body))  # "]]>" in the text is written as two adjacent sections
        if sections:
            return Embedded("svg", "".join(c.group(1) for c in sections), name, "cdata",
                            body_start + sections[0].start(), body_start + sections[-1].end(), prefix)
        if body.strip():
            return Embedded("svg", html.unescape(body), name, "text", body_start, match.end(4), prefix)
    verify = _VERIFY.search(attributes)
    if verify is None:
        raise BakedError(f"SVG <{prefix}:{name}> has neither a body nor a verify attribute")
    group = 1 if verify.group(1) is not None else 2
    offset = match.start(2)
    return Embedded("svg", html.unescape(verify.group(group)), name, "verify", offset + verify.start(group),
                    offset + verify.end(group), prefix)


def _svg_payload(form: str, text: str) -> str:
    if form == "cdata":
        # "]]>" cannot appear inside CDATA: split it across two sections.
        return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    if form == "verify":
        return html.escape(text, quote=True)
    return html.escape(text, quote=False)


def bake_svg(svg: bytes, text: str, *, ob2: bool = False) -> bytes:
    """``svg`` carrying ``text``: an existing element is replaced, otherwise one is added directly after
    the ``<svg>`` start tag (with its namespace declaration), JSON in CDATA, a JWS in ``verify``."""
    source = _svg_text(svg)
    existing = _svg_extract(source)
    is_token = not text.lstrip().startswith("{")
    if existing is not None:
        form = existing.form if (existing.form == "verify") == is_token else ("verify" if is_token else "cdata")
        if form == existing.form:
            return replace(svg, existing, text)
        raise BakedError("cannot switch a baked SVG between a JWS (verify attribute) and embedded JSON in place")
    start = re.search(r"<svg\b[^>]*>", _without_comments(source))
    if start is None:
        raise BakedError("no <svg> element")
    namespace, name = (OB2_NAMESPACE, "assertion") if ob2 else (OB3_NAMESPACE, "credential")
    tag = start.group(0)
    if f'"{namespace}"' not in tag:
        tag = tag[:-1].rstrip("/") + f' xmlns:openbadges="{namespace}">'
    element = (f'<openbadges:{name} verify="{html.escape(text, quote=True)}"></openbadges:{name}>' if is_token
               else f"<openbadges:{name}>{_svg_payload('cdata', text)}</openbadges:{name}>")
    return (source[:start.start()] + tag + element + source[start.end():]).encode("utf-8")
