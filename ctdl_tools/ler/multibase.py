"""Multibase base58btc (``z…``) and multicodec prefixes, as used by Multikey, did:key and proofValue.

:func:`multibase_decode` reads base58btc only: the EdDSA and ``ecdsa-rdfc-2019`` suites and did:key use
nothing else, so another prefix there is an error. ``ecdsa-sd-2023`` proof values are base64url-no-pad
(``u…``) and have their own reader, :func:`multibase_b64url_decode`, so that no other suite accepts them.
Every malformed input raises :class:`ValueError` with a message naming what is wrong.
"""

from __future__ import annotations

import base64

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: value for value, char in enumerate(B58_ALPHABET)}

# Keys and signatures are < 100 characters; the cap keeps hostile input from costing quadratic time.
MAX_MULTIBASE_CHARS = 2048

# ecdsa-sd-2023 proof values grow by ~86 characters per disclosed statement; a credential with tens of
# thousands of statements stays far below this, and base64 decoding is linear anyway.
MAX_B64URL_MULTIBASE_CHARS = 4_000_000

ED25519_PUB = 0xED
ED25519_PRIV = 0x1300
P256_PUB = 0x1200
P384_PUB = 0x1201
P256_PRIV = 0x1306
P384_PRIV = 0x1307
MULTICODEC_NAMES = {
    ED25519_PUB: "ed25519-pub",
    ED25519_PRIV: "ed25519-priv",
    P256_PUB: "p256-pub",
    P384_PUB: "p384-pub",
    P256_PRIV: "p256-priv",
    P384_PRIV: "p384-priv",
    0xE7: "secp256k1-pub",
    0x1205: "rsa-pub",
    0xEC: "x25519-pub",
}


def b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(B58_ALPHABET[rest])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    if not isinstance(text, str):
        raise ValueError(f"base58btc: expected a string, got {type(text).__name__}")
    if len(text) > MAX_MULTIBASE_CHARS:
        raise ValueError(f"base58btc: {len(text)} characters is longer than the {MAX_MULTIBASE_CHARS} allowed")
    number = 0
    for position, char in enumerate(text):
        value = _B58_INDEX.get(char)
        if value is None:
            raise ValueError(f"base58btc: invalid character {char!r} at position {position}")
        number = number * 58 + value
    zeros = len(text) - len(text.lstrip("1"))  # each leading '1' stands for one 0x00 byte
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_encode(data: bytes) -> str:
    """``z`` + base58btc(data)."""
    return "z" + b58encode(data)


def multibase_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text:
        raise ValueError("multibase: expected a non-empty string")
    if text[0] != "z":
        raise ValueError(f"multibase: only base58btc ('z' prefix) is supported, got prefix {text[0]!r}")
    return b58decode(text[1:])


def multibase_b64url_decode(text: str) -> bytes:
    """The bytes of a ``u`` + base64url-no-pad multibase value (strict: no padding, no stray bits)."""
    if not isinstance(text, str) or not text:
        raise ValueError("multibase: expected a non-empty string")
    if text[0] != "u":
        raise ValueError(f"multibase: expected base64url-no-pad ('u' prefix), got prefix {text[0]!r}")
    if len(text) > MAX_B64URL_MULTIBASE_CHARS:
        raise ValueError(f"multibase: {len(text)} characters is longer than the {MAX_B64URL_MULTIBASE_CHARS} allowed")
    return b64url_decode(text[1:], "multibase base64url")


def multibase_b64url_encode(data: bytes) -> str:
    """``u`` + base64url-no-pad(data)."""
    return "u" + b64url_encode(data)


def encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | 0x80 if value else byte)
        if not value:
            return bytes(out)


def split_multicodec(data: bytes) -> tuple[int, bytes]:
    """(codec, payload) of a multicodec-prefixed byte string (unsigned varint prefix)."""
    code, shift = 0, 0
    for position, byte in enumerate(data[:4]):  # every multicodec key code fits in 3 varint bytes
        code |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return code, data[position + 1:]
        shift += 7
    raise ValueError("multicodec: missing or over-long varint prefix")


def codec_name(code: int) -> str:
    return MULTICODEC_NAMES.get(code, f"0x{code:x}")


def decode_multikey(text: str, expected: int, lengths: tuple[int, ...]) -> bytes:
    """The raw key bytes of a ``z…`` multikey value whose codec must be ``expected``."""
    code, key = split_multicodec(multibase_decode(text))
    if code != expected:
        raise ValueError(f"multikey: expected {codec_name(expected)}, got {codec_name(code)}")
    if len(key) not in lengths:
        allowed = " or ".join(str(n) for n in lengths)
        raise ValueError(f"multikey: {codec_name(code)} key must be {allowed} bytes, got {len(key)}")
    return key


def encode_multikey(code: int, key: bytes) -> str:
    return multibase_encode(encode_varint(code) + key)


# base64url without padding (RFC 7515 §2): JWS segments and JWK members. Not multibase, but the same job.
_B64URL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, what: str = "base64url") -> bytes:
    """Strict unpadded base64url: other characters, padding or non-canonical trailing bits are errors."""
    if not isinstance(text, str):
        raise ValueError(f"{what}: expected a string, got {type(text).__name__}")
    bad = next((c for c in text if c not in _B64URL_CHARS), None)
    if bad is not None:
        raise ValueError(f"{what}: invalid base64url character {bad!r}")
    if len(text) % 4 == 1:
        raise ValueError(f"{what}: invalid base64url length {len(text)}")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(data) != text:  # why: one value, one encoding; no malleable trailing bits
        raise ValueError(f"{what}: non-canonical base64url (stray trailing bits)")
    return data
