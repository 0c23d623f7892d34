"""Compact JWS (RFC 7515) for VC-JWT and OB 2.0 signed assertions: parse, sign, check a signature.

Parsing is strict and total: any malformed token raises :class:`ValueError` (never ``KeyError``,
``RecursionError``…), because tokens come from untrusted files. A JWS signs the exact payload bytes, so
the payload is kept as bytes and never re-encoded (ler.md §6.3: re-encoding breaks the signature).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from ctdl_tools.jsonio import JsonProblem, loads, unpaired_surrogate
from ctdl_tools.ler.ecdsa import p1363_valid, sign_p1363
from ctdl_tools.ler.keys import ED25519, P256, RSA, IssuerKey
from ctdl_tools.ler.multibase import b64url_decode, b64url_encode

# alg -> the key kind it needs. RS256 is OB 3.0's minimum; "none" and HMAC algs are refused.
ALGORITHMS = {"RS256": RSA, "ES256": P256, "EdDSA": ED25519}
MAX_TOKEN_CHARS = 16 * 1024 * 1024  # a CLR with many nested credentials is large, but not this large


@dataclass(frozen=True)
class Jws:
    header: dict[str, Any]
    payload: bytes
    signature: bytes
    signing_input: bytes  # ASCII of "<header b64>.<payload b64>", the bytes actually signed

    @property
    def alg(self) -> str:
        return self.header["alg"]

    def payload_json(self) -> dict[str, Any]:
        value = strict_json(self.payload, "JWS payload")
        if not isinstance(value, dict):
            raise ValueError("JWS payload is not a JSON object")
        return value


def looks_like_jws(text: str) -> bool:
    return isinstance(text, str) and text.count(".") == 2 and not text.lstrip().startswith(("{", "["))


def parse_jws(token: str) -> Jws:
    """Split and decode a compact JWS; checks its form, not its signature."""
    if not isinstance(token, str):
        raise ValueError(f"JWS: expected a string, got {type(token).__name__}")
    token = token.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise ValueError(f"JWS: token of {len(token)} characters is too large")
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError(f"JWS: compact serialization has 3 dot-separated parts, got {len(parts)}")
    header = strict_json(b64url_decode(parts[0], "JWS header"), "JWS header")
    _check_header(header)
    payload = b64url_decode(parts[1], "JWS payload")
    signature = b64url_decode(parts[2], "JWS signature")
    return Jws(header, payload, signature, f"{parts[0]}.{parts[1]}".encode("ascii"))


def _check_header(header: Any) -> None:
    if not isinstance(header, dict):
        raise ValueError("JWS header is not a JSON object")
    alg = header.get("alg")
    if isinstance(alg, str) and (alg.lower() == "none" or alg.upper().startswith("HS")):
        unsecured = alg.lower() == "none"
        what = "an unsecured JWS, with no signature" if unsecured else "a shared-secret MAC, not a signature"
        raise RefusedAlgorithm(f"JWS alg {alg!r} is not supported: {what}, is never accepted (supported: "
                               f"{', '.join(ALGORITHMS)})")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        raise ValueError(f"JWS alg {alg!r} is not supported (supported: {', '.join(ALGORITHMS)})")
    if "crit" in header:  # RFC 7515 §4.1.11: must reject extensions we do not understand; we know none
        raise ValueError("JWS header has 'crit' extensions, none of which are supported")
    jwk = header.get("jwk")
    if jwk is not None and (not isinstance(jwk, dict) or "d" in jwk):
        raise ValueError("JWS header 'jwk' must be a public JWK object (it contains 'd' or is not an object)")
    for name in ("kid", "typ", "cty"):
        if name in header and not isinstance(header[name], str):
            raise ValueError(f"JWS header {name!r} must be a string")


class RefusedAlgorithm(ValueError):
    """A JWS whose ``alg`` is never accepted: ``none`` (unsigned) or an HMAC (a secret the verifier shares)."""


def strict_json(data: bytes, what: str) -> Any:
    """UTF-8 JSON with duplicate member names, NaN/Infinity (ambiguous across parsers) and unpaired surrogate
    escapes refused."""
    try:
        text = data.decode("utf-8")
        value = loads(text, object_pairs_hook=_unique_members)
    except JsonProblem as problem:  # syntax, NaN/Infinity, nesting, over-long integers
        raise ValueError(f"{what}: {problem.located}") from None
    except DuplicateMember as exc:  # its own type, so a caller holding the text can say where it is
        raise DuplicateMember(f"{what}: invalid JSON: {exc}") from None
    except ValueError as exc:  # UnicodeDecodeError, or a member name given twice
        raise ValueError(f"{what}: invalid JSON: {exc}") from None
    lone = unpaired_surrogate(text)  # json.loads keeps it; no UTF-8 writer or canonicaliser could
    if lone is not None:
        raise ValueError(f"{what}: {lone.message}")
    return value


class DuplicateMember(ValueError):
    """A member name given twice in one object: parsers disagree on which value wins."""


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise DuplicateMember(f"duplicate member {name!r}")
        result[name] = value
    return result


def sign_jws(payload: bytes | str | Mapping[str, Any], key: IssuerKey, alg: str, kid: str | None = None,
             typ: str | None = "JWT") -> str:
    """Compact JWS over ``payload`` (a mapping is serialised compactly, UTF-8, key order kept)."""
    _require_kind(key, alg)
    if key.private_key is None:
        raise ValueError("signing needs a private key; this key is public only")
    header: dict[str, Any] = {"alg": alg}
    if kid is not None:
        header["kid"] = kid
    if typ is not None:
        header["typ"] = typ
    body = _payload_bytes(payload)
    signing_input = f"{b64url_encode(_compact(header))}.{b64url_encode(body)}"
    signature = _sign(key, alg, signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _payload_bytes(payload: bytes | str | Mapping[str, Any]) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8")
    if isinstance(payload, Mapping):
        return _compact(dict(payload))
    raise ValueError(f"JWS payload must be bytes, text or a mapping, got {type(payload).__name__}")


def _require_kind(key: IssuerKey, alg: str) -> None:
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        raise ValueError(f"JWS alg {alg!r} is not supported (supported: {', '.join(ALGORITHMS)})")
    if key.kind != ALGORITHMS[alg]:
        raise ValueError(f"a {key.kind} key cannot make or check {alg} signatures (needs {ALGORITHMS[alg]})")


def _sign(key: IssuerKey, alg: str, data: bytes) -> bytes:
    private: Any = key.private_key
    if alg == "RS256":
        return private.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if alg == "ES256":  # JWS wants r||s, 32 bytes each (RFC 7518 §3.4), not DER: as the ECDSA Data Integrity suites
        return sign_p1363(key, data)
    return private.sign(data)


def signature_valid(jws: Jws, key: IssuerKey) -> bool:
    """Does ``jws`` carry a valid signature by ``key``? Raises ValueError if key and alg do not fit."""
    _require_kind(key, jws.alg)
    public: Any = key.public_key
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(jws.signature, jws.signing_input, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public, ec.EllipticCurvePublicKey):  # ES256: a P-256 key (_require_kind), r||s
            return p1363_valid(key, jws.signature, jws.signing_input)
        elif isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(jws.signature, jws.signing_input)
    except InvalidSignature:
        return False
    return True
