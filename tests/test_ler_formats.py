"""Reading LERs in every shape (JSON, JWS, JSON Lines, baked PNG/SVG) and writing them back faithfully."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdl_tools.errors import InputError
from ctdl_tools.ler import baked, formats
from ctdl_tools.ler.formats import (
    ACHIEVEMENT,
    CLR2,
    OB2_ASSERTION,
    OB2_BADGECLASS,
    OB3,
    Skipped,
    read_file,
    read_inputs,
    rewrite_text,
)
from ctdl_tools.ler.proofs import verify
from tests._ler_support import (
    CREDS,
    LINK_DATA,
    TEAMWORK,
    WHEN,
    cli,
    files_in,
    multikey,
    spec_index,
    vector_key,
    write_json,
)

pytestmark = pytest.mark.usefixtures("no_network")


# ========================================================================================= detection


@pytest.mark.parametrize(("name", "kind", "vc", "spec", "carrier"), [
    ("ob3-spec-testvector-signed.json", OB3, "2.0", "3.0.3", "json"),
    ("ob3-validator-simple-vc11-ed25519signature2020.json", OB3, "1.1", "3.0 (legacy context)", "json"),
    ("clr2-spec-testvector-signed.json", CLR2, "2.0", "2.0.1", "json"),
    ("clr2-validator-simple-vcjwt-rs256.jwt", CLR2, "1.1", "2.0 (unknown context)", "jws"),
    ("ob2-validator-basic-assertion-hosted.json", OB2_ASSERTION, None, "2.0", "json"),
    ("ob2-validator-simple-signed-jws-rs256.jwt", OB2_ASSERTION, None, "2.0", "jws"),
])
def test_format_and_version_come_from_the_content(name: str, kind: str, vc: str | None, spec: str,
                                                  carrier: str) -> None:
    found = read_file(CREDS / name)
    assert not isinstance(found, Skipped)
    item = found.items[0]
    assert (item.kind, item.vc_version, item.spec_version, item.carrier) == (kind, vc, spec, carrier)


def test_vc_jwt_keeps_the_original_token_and_finds_the_vc_claim() -> None:
    token = (CREDS / "clr2-validator-simple-vcjwt-rs256.jwt").read_text()
    item = read_file(CREDS / "clr2-validator-simple-vcjwt-rs256.jwt").items[0]  # type: ignore[union-attr]
    assert item.token == token.strip() and item.doc_path == ("vc",)
    assert item.document["type"] == ["VerifiableCredential", "ClrCredential"]
    assert item.format == "CLR 2.0 (unknown context) on VC 1.1 (VC-JWT)"


def test_badgeclass_and_bare_achievement(tmp_path: Path) -> None:
    assert read_file(LINK_DATA / "ob2-spec-badgeclass-alignment.json").items[0].kind == OB2_BADGECLASS  # type: ignore[union-attr]
    credential = json.loads((CREDS / "ob3-spec-testvector-signed.json").read_text())
    achievement = credential["credentialSubject"]["achievement"]
    path = write_json(tmp_path / "a.json", {"@context": ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
                                            **achievement})
    assert read_file(path).items[0].kind == ACHIEVEMENT  # type: ignore[union-attr]


def test_directory_skips_what_is_not_a_credential(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# notes")
    write_json(tmp_path / "key.jwk.json", multikey(vector_key()) | {"kty": "OKP"})
    write_json(tmp_path / "profile.json", {"@context": "https://w3id.org/openbadges/v2", "type": "Issuer"})
    (tmp_path / "badge.json").write_bytes((CREDS / "ob3-spec-testvector-signed.json").read_bytes())
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.json").write_text("not even JSON")
    files, skipped = read_inputs([tmp_path])
    assert [f.name for f in files] == ["badge.json"]
    assert sorted(s.path.name for s in skipped) == ["key.jwk.json", "profile.json"]


def test_a_named_file_that_is_no_credential_is_an_error(tmp_path: Path) -> None:
    path = write_json(tmp_path / "x.json", {"hello": "world"})
    with pytest.raises(InputError, match="not an Open Badge, CLR or achievement"):
        read_file(path)


def test_json_lines(tmp_path: Path) -> None:
    line = json.dumps(json.loads((CREDS / "ob3-spec-testvector-signed.json").read_text()))
    token = (CREDS / "ob2-validator-simple-signed-jws-rs256.jwt").read_text().strip()
    path = tmp_path / "many.txt"
    path.write_text(f"{line}\n\n{token}\r\n")
    found = read_file(path)
    assert found.container == "jsonl" and [i.label for i in found.items] == ["many.txt:1", "many.txt:3"]  # type: ignore[union-attr]
    assert formats.render_file(found, [i.text if i.carrier == "json" else i.token for i in found.items]) \
        == path.read_bytes()  # type: ignore[arg-type]


def test_malformed_line_is_located(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    line = json.dumps(json.loads((CREDS / "ob3-spec-testvector-signed.json").read_text()))
    path.write_text(line + '\n{"a": \n')
    with pytest.raises(InputError, match="line 2: invalid JSON"):
        read_file(path)
    path.write_text(line + '\n{"a": 1}\n')
    with pytest.raises(InputError, match="line 2: not an Open Badge"):
        read_file(path)


# ======================================================================================= baked images


def png(width: int = 1, extra: bytes = b"") -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * width)
    return baked.PNG_SIGNATURE + chunk(b"IHDR", header) + extra + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_png_bake_extract_replace_round_trip() -> None:
    text = (CREDS / "ob3-spec-testvector-signed.json").read_text()
    image = baked.bake_png(png(), text)
    found = baked.extract(image)
    assert found is not None and found.text == text and found.keyword == "openbadgecredential"
    again = baked.replace(image, found, text.replace("Teamwork", "Team work"))
    assert baked.extract(again).text == text.replace("Teamwork", "Team work")  # type: ignore[union-attr]
    assert again.startswith(image[:33]) and again.endswith(image[-12:])  # header and IEND untouched
    assert baked.bake_png(image, text) == image  # baking the same again replaces, never duplicates


def test_png_ob2_chunk_compressed_itxt_is_read() -> None:
    body = b"openbadges\0\x01\x00\0\0" + zlib.compress(b'{"x": "\xc3\xa9"}')
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))
    found = baked.extract(png(extra=chunk))
    assert found is not None and found.text == '{"x": "é"}' and found.keyword == "openbadges"


def test_png_damage_is_detected() -> None:
    image = bytearray(baked.bake_png(png(), "{}"))
    image[40] ^= 0xFF
    with pytest.raises(baked.BakedError, match="bad CRC"):
        baked.extract(bytes(image))
    with pytest.raises(baked.BakedError, match=r"truncated|runs past"):
        baked.extract(bytes(baked.bake_png(png(), "{}")[:-20]))


def test_png_with_two_credentials_is_ambiguous() -> None:
    once = baked.bake_png(png(), "{}")
    twice = once[:33] + once[33:once.index(b"IDAT") - 4][:] + once[33:]
    with pytest.raises(baked.BakedError, match="allows one"):
        baked.extract(twice)


SVG = b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">' \
      b'<rect width="10" height="10"/></svg>\n'


def test_svg_ob3_cdata_and_jws_round_trip() -> None:
    text = (CREDS / "ob3-spec-testvector-signed.json").read_text()
    image = baked.bake_svg(SVG, text)
    found = baked.extract(image)
    assert found is not None and found.form == "cdata" and found.text == text
    assert b'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in image
    replaced = baked.replace(image, found, text + "]]>")
    assert baked.extract(replaced).text == text + "]]>"  # type: ignore[union-attr]
    token = (CREDS / "ob2-validator-simple-signed-jws-rs256.jwt").read_text().strip()
    signed = baked.bake_svg(SVG, token, ob2=True)
    found = baked.extract(signed)
    assert found is not None and found.form == "verify" and found.text == token and found.keyword == "assertion"


def test_svg_ob2_hosted_assertion_body_wins_over_verify_url() -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="http://openbadges.org">'
           b'<ob:assertion verify="https://example.org/a/1"><![CDATA[{"a": 1}]]></ob:assertion></svg>')
    found = baked.extract(svg)
    assert found is not None and found.prefix == "ob" and found.text == '{"a": 1}'


def test_baked_png_is_linked_and_re_baked(tmp_path: Path) -> None:
    source = tmp_path / "in" / "badge.png"
    source.parent.mkdir()
    source.write_bytes(baked.bake_png(png(), (CREDS / "ob3-spec-testvector-signed.json").read_text()))
    key_file = write_json(tmp_path / "key.json", multikey(vector_key()))
    result = cli("link", source, "--index", spec_index(tmp_path / "index"), "--issuer-key", key_file,
                 "--issued-at", WHEN, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    out = (tmp_path / "out" / "badge.png").read_bytes()
    credential = json.loads(baked.extract(out).text)  # type: ignore[union-attr]
    assert verify(credential).ok
    assert credential["credentialSubject"]["achievement"]["alignment"][0]["targetCode"] == TEAMWORK
    assert out.endswith(source.read_bytes()[-12:]) and b"IDAT" in out


def test_baked_svg_unchanged_is_byte_identical(tmp_path: Path) -> None:
    source = tmp_path / "in" / "badge.svg"
    source.parent.mkdir()
    source.write_bytes(baked.bake_svg(SVG, (CREDS / "ob3-validator-simple-err-proof-value.json").read_text()))
    result = cli("link", source, "--index", spec_index(tmp_path / "index"), "-o", tmp_path / "out")
    assert result.exit_code == 1 and files_in(tmp_path / "out") == []  # its proof fails: refused


def test_image_without_a_credential_is_not_one(tmp_path: Path) -> None:
    path = tmp_path / "plain.png"
    path.write_bytes(png())
    with pytest.raises(InputError, match="no baked credential"):
        read_file(path)


# ================================================================================= format-keeping edits


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=8),
                     st.floats(allow_nan=False, allow_infinity=False, width=32))
_JSON = st.recursive(_SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=5), children, max_size=4)), max_leaves=20)


def _edit(value: Any, choices: list[int], addition: Any) -> Any:
    """Change ``value`` somewhere: add a member, append an item, replace or delete something."""
    if isinstance(value, dict) and value and choices:
        key = sorted(value)[choices[0] % len(value)]
        if choices[0] % 5 == 0:
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: _edit(value[key], choices[1:], addition)}
    if isinstance(value, dict):
        return {**value, "added\u00e9": addition}
    if isinstance(value, list) and value and choices and choices[0] % 3:
        index = choices[0] % len(value)
        return [*value[:index], _edit(value[index], choices[1:], addition), *value[index + 1:]]
    if isinstance(value, list):
        return [*value, addition]
    return addition


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(_JSON, st.lists(st.integers(0, 100), max_size=5), _JSON,
       st.sampled_from([None, 2, 4, "\t"]), st.booleans())
def test_rewrite_text_splices_exactly(monkeypatch: pytest.MonkeyPatch, value: Any, choices: list[int],
                                      addition: Any, indent: Any, ascii_only: bool) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    new = _edit(value, choices, addition)

    def no_fallback(*_args: Any) -> str:  # the whole-document fallback must not be needed
        raise AssertionError("rewrite_text fell back to re-serialising")

    monkeypatch.setattr(formats, "serialise", no_fallback)
    out = rewrite_text(text, value, new)
    assert formats._same(json.loads(out), new)


def test_rewrite_text_keeps_untouched_bytes() -> None:
    text = '{\n    "a": "caf\\u00e9 \\/ x",   "b": [1, 2.50, 1e3],\n    "c": {}\n}\n'
    old = json.loads(text)
    new = {**old, "c": {"d": True}, "e": [None]}
    out = rewrite_text(text, old, new)
    assert out.startswith('{\n    "a": "caf\\u00e9 \\/ x",   "b": [1, 2.50, 1e3],')
    assert json.loads(out) == new and '"e": [\n        null\n    ]' in out


def test_notes_saved_as_txt_beside_the_credentials_are_skipped_not_fatal(tmp_path: Path) -> None:
    # Found in acceptance testing: a notes.txt in a folder of badges stopped link (exit 2) and verify.
    folder = tmp_path / "badges"
    folder.mkdir()
    source = Path(__file__).parent.parent / "samples" / "ler" / "welding-technology-aas.ob3.json"
    (folder / "badge.json").write_bytes(source.read_bytes())
    (folder / "notes.txt").write_text("Issued at the spring ceremony.\n", encoding="utf-8")
    files, skipped = formats.read_inputs([folder])
    assert [f.path.name for f in files] == ["badge.json"]
    assert [(s.path.name, s.reason) for s in skipped] == [("notes.txt", "a .txt file that is neither a compact JWS "
                                                                        "nor JSON")]
    with pytest.raises(InputError, match="not an Open Badge, CLR or achievement"):  # named on its own: refused
        formats.read_inputs([folder / "notes.txt"])
    assert cli("verify", folder).exit_code == 0
