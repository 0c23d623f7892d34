"""Issuer keys: JWK, Multikey, PEM, did:key, and verification methods found offline.

Every loader returns an :class:`IssuerKey` or raises :class:`ValueError` with a message that says what is
wrong (wrong key type, malformed multibase, public/private halves that do not match…); nothing here
raises ``KeyError`` or touches the network.

Key provenance matters as much as the key: a verifier must check that the key belongs to the issuer
(1EdTech OB 3.0 impl guide, "issuer's key provenance"). Only did:key is self-certifying offline; a key
read from a URL fragment, an embedded verification method or a JWS ``jwk`` header proves integrity, not
who the issuer is. :class:`ResolvedKey.source` records which one was used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ctdl_tools.ler.multibase import (
    ED25519_PRIV,
    ED25519_PUB,
    P256_PRIV,
    P256_PUB,
    P384_PRIV,
    P384_PUB,
    b64url_decode,
    b64url_encode,
    codec_name,
    decode_multikey,
    encode_multikey,
    multibase_decode,
    split_multicodec,
)

PublicKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey
PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

ED25519, RSA, P256, P384 = "Ed25519", "RSA", "P-256", "P-384"
MIN_RSA_BITS = 2048  # RFC 7518 §3.3: RS256 keys MUST be at least 2048 bits

_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)
_DER = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
_COMPRESSED = (serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)

# The NIST curves of vc-di-ecdsa: kind -> (curve, Multikey public codec, private codec, field size in bytes).
EC_CURVES: dict[str, tuple[ec.EllipticCurve, int, int, int]] = {
    P256: (ec.SECP256R1(), P256_PUB, P256_PRIV, 32),
    P384: (ec.SECP384R1(), P384_PUB, P384_PRIV, 48),
}


@dataclass(frozen=True)
class IssuerKey:
    """A public key, optionally with its private half, and the verification method id it answers to."""

    kind: str  # "Ed25519" | "RSA" | "P-256" | "P-384"
    public_key: PublicKey
    private_key: PrivateKey | None = None
    id: str | None = None
    controller: str | None = None

    @property
    def has_private(self) -> bool:
        return self.private_key is not None

    def public_only(self) -> IssuerKey:
        return replace(self, private_key=None)

    def with_id(self, id: str | None, controller: str | None = None) -> IssuerKey:
        return replace(self, id=id, controller=controller if controller is not None else self.controller)

    def public_bytes(self) -> bytes:
        """Raw 32 bytes for Ed25519, DER SubjectPublicKeyInfo otherwise: equal bytes, equal key."""
        if isinstance(self.public_key, ed25519.Ed25519PublicKey):
            return self.public_key.public_bytes(*_RAW)
        return self.public_key.public_bytes(*_DER)

    def same_public_key(self, other: IssuerKey) -> bool:
        return self.kind == other.kind and self.public_bytes() == other.public_bytes()

    def public_multibase(self) -> str:
        """The Multikey ``publicKeyMultibase`` (``z6Mk…`` Ed25519, ``zDn…`` P-256, ``z82…`` P-384)."""
        if isinstance(self.public_key, ed25519.Ed25519PublicKey):
            return encode_multikey(ED25519_PUB, self.public_bytes())
        if isinstance(self.public_key, ec.EllipticCurvePublicKey) and self.kind in EC_CURVES:
            return encode_multikey(EC_CURVES[self.kind][1], self.public_key.public_bytes(*_COMPRESSED))
        raise ValueError("RSA keys have no Multikey form here; use a JWK")

    def public_jwk(self) -> dict[str, str]:
        jwk = _public_jwk(self.public_key)
        if self.id:
            jwk["kid"] = self.id
        return jwk


class Unresolvable(ValueError):
    """A verification method whose key cannot be found offline (did:web, a key URL): the proof is not
    wrong, it cannot be checked here."""


@dataclass(frozen=True)
class ResolvedKey:
    key: IssuerKey
    source: str  # "supplied" | "did:key" | "embedded" | "fragment" | "jwk-header"


# ---------------------------------------------------------------------------------------------- loaders


def load_key(source: Mapping[str, Any] | str | bytes, *, id: str | None = None,
             controller: str | None = None) -> IssuerKey:
    """A key from a JWK, a Multikey / Ed25519VerificationKey2020 document, an OB 2.0 CryptographicKey,
    a PEM string, a ``z…`` multikey value or a did:key URL. ``id``/``controller`` override the document's.
    """
    key = _load_any(source)
    if id is not None or controller is not None:
        key = key.with_id(id if id is not None else key.id, controller)
    return key


def load_key_file(path: Path | str) -> IssuerKey:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read key file: {exc.strerror or exc}") from None
    try:
        return load_key(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _load_any(source: Mapping[str, Any] | str | bytes) -> IssuerKey:
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError("key: not UTF-8 text (binary DER keys are not accepted; use PEM)") from None
    if isinstance(source, str):
        return _load_text(source.strip())
    if isinstance(source, Mapping):
        return _load_mapping(source)
    raise ValueError(f"key: expected a mapping or text, got {type(source).__name__}")


def _load_text(text: str) -> IssuerKey:
    if text.startswith("did:key:"):
        return resolve_did_key(text)
    if text.startswith("-----BEGIN"):
        return key_from_pem(text)
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"key: invalid JSON: {exc}") from None
        return _load_mapping(document) if isinstance(document, dict) else _load_any(document)
    if text.startswith("z"):
        return _key_from_multibase_value(text)
    raise ValueError("key: unrecognised text (expected JSON, PEM, a z… multikey or a did:key)")


def _load_mapping(document: Mapping[str, Any]) -> IssuerKey:
    ident, controller = _opt_str(document, "id"), _opt_str(document, "controller")
    if "kty" in document:  # a JWK may say whose it is too: verify checks that against the issuer
        key = key_from_jwk(document)
        return key.with_id(key.id, controller or _opt_str(document, "owner"))
    if any(name in document for name in ("secretKeyMultibase", "privateKeyMultibase", "publicKeyMultibase")):
        return key_from_multikey(document)
    for name in ("privateKeyJwk", "publicKeyJwk"):
        if isinstance(document.get(name), Mapping):
            return key_from_jwk(document[name]).with_id(ident or _opt_str(document[name], "kid"), controller)
    if "publicKeyPem" in document:
        owner = controller or _opt_str(document, "owner")  # OB 2.0 CryptographicKey names its owner
        return key_from_pem(_req_str(document, "publicKeyPem")).with_id(ident, owner)
    raise ValueError("key: unrecognised document; expected a JWK (kty), a Multikey "
                     "(publicKeyMultibase / secretKeyMultibase) or a key with publicKeyPem")


def _opt_str(document: Mapping[str, Any], name: str) -> str | None:
    value = document.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"key: {name} must be a string, got {type(value).__name__}")
    return value


def _req_str(document: Mapping[str, Any], name: str, what: str = "key") -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what}: missing or non-string member {name!r}")
    return value


# ------------------------------------------------------------------------------------------------- JWK


def key_from_jwk(jwk: Mapping[str, Any]) -> IssuerKey:
    """OKP/Ed25519, RSA or EC/P-256 JWK, public or private."""
    if not isinstance(jwk, Mapping):
        raise ValueError("JWK: expected a JSON object")
    kty = jwk.get("kty")
    builders = {"OKP": _okp_from_jwk, "RSA": _rsa_from_jwk, "EC": _ec_from_jwk}
    if not isinstance(kty, str) or kty not in builders:
        raise ValueError(f"JWK: unsupported kty {kty!r} (supported: OKP Ed25519, RSA, EC P-256)")
    key = builders[kty](jwk)
    return key.with_id(_opt_str(jwk, "kid"))


def _jwk_bytes(jwk: Mapping[str, Any], name: str, length: int | None = None) -> bytes:
    data = b64url_decode(_req_str(jwk, name, "JWK"), f"JWK member {name!r}")
    if length is not None and len(data) != length:
        raise ValueError(f"JWK: member {name!r} must be {length} bytes, got {len(data)}")
    return data


def _jwk_int(jwk: Mapping[str, Any], name: str) -> int:
    return int.from_bytes(_jwk_bytes(jwk, name), "big")


def _okp_from_jwk(jwk: Mapping[str, Any]) -> IssuerKey:
    if jwk.get("crv") != "Ed25519":
        raise ValueError(f"JWK: OKP curve {jwk.get('crv')!r} is not supported (only Ed25519)")
    public = ed25519.Ed25519PublicKey.from_public_bytes(_jwk_bytes(jwk, "x", 32))
    if "d" not in jwk:
        return IssuerKey(ED25519, public)
    return _checked(ED25519, ed25519.Ed25519PrivateKey.from_private_bytes(_jwk_bytes(jwk, "d", 32)), public)


def _rsa_from_jwk(jwk: Mapping[str, Any]) -> IssuerKey:
    numbers = rsa.RSAPublicNumbers(_jwk_int(jwk, "e"), _jwk_int(jwk, "n"))
    try:
        public = numbers.public_key()
    except ValueError as exc:
        raise ValueError(f"JWK: invalid RSA public key: {exc}") from None
    _check_rsa_size(public)
    if "d" not in jwk:
        return IssuerKey(RSA, public)
    return IssuerKey(RSA, public, _rsa_private(jwk, numbers))


def _rsa_private(jwk: Mapping[str, Any], public: rsa.RSAPublicNumbers) -> rsa.RSAPrivateKey:
    d = _jwk_int(jwk, "d")
    if all(name in jwk for name in ("p", "q")):
        p, q = _jwk_int(jwk, "p"), _jwk_int(jwk, "q")
    else:  # a JWK may omit the CRT members (RFC 7518 §6.3.2); recover them from n, e, d
        try:
            p, q = rsa.rsa_recover_prime_factors(public.n, public.e, d)
        except ValueError as exc:
            raise ValueError(f"JWK: RSA d does not belong to n/e: {exc}") from None
    if p * q != public.n:
        raise ValueError("JWK: RSA p*q does not equal n")
    numbers = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                    rsa.rsa_crt_iqmp(p, q), public)
    try:
        return numbers.private_key()
    except ValueError as exc:
        raise ValueError(f"JWK: invalid RSA private key: {exc}") from None


def _check_rsa_size(public: rsa.RSAPublicKey) -> None:
    if public.key_size < MIN_RSA_BITS:
        raise ValueError(f"RSA key is {public.key_size} bits; at least {MIN_RSA_BITS} are required")


def _ec_from_jwk(jwk: Mapping[str, Any]) -> IssuerKey:
    kind = jwk.get("crv")
    if not isinstance(kind, str) or kind not in EC_CURVES:  # "crv" is attacker-given: a list is not hashable
        raise ValueError(f"JWK: EC curve {kind!r} is not supported (only {', '.join(EC_CURVES)})")
    curve, _, _, size = EC_CURVES[kind]
    x, y = _jwk_bytes(jwk, "x", size), _jwk_bytes(jwk, "y", size)
    try:
        public = ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + x + y)
    except ValueError:
        raise ValueError(f"JWK: x/y is not a point on {kind}") from None
    if "d" not in jwk:
        return IssuerKey(kind, public)
    d = int.from_bytes(_jwk_bytes(jwk, "d", size), "big")
    try:
        private = ec.derive_private_key(d, curve)
    except ValueError:
        raise ValueError(f"JWK: EC d is out of range for {kind}") from None
    return _checked(kind, private, public)


def _checked(kind: str, private: PrivateKey, public: PublicKey) -> IssuerKey:
    derived = IssuerKey(kind, private.public_key())
    if not derived.same_public_key(IssuerKey(kind, public)):
        raise ValueError(f"{kind} private key does not match the public key given with it")
    return IssuerKey(kind, public, private)


def _public_jwk(public: PublicKey) -> dict[str, str]:
    if isinstance(public, ed25519.Ed25519PublicKey):
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(public.public_bytes(*_RAW))}
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return {"kty": "RSA", "e": b64url_encode(_int_bytes(numbers.e)), "n": b64url_encode(_int_bytes(numbers.n))}
    numbers = public.public_numbers()
    kind = _ec_kind(public) or P256  # only P-256 / P-384 keys are ever loaded
    size = EC_CURVES[kind][3]
    return {"kty": "EC", "crv": kind, "x": b64url_encode(numbers.x.to_bytes(size, "big")),
            "y": b64url_encode(numbers.y.to_bytes(size, "big"))}


def _ec_kind(public: ec.EllipticCurvePublicKey) -> str | None:
    """P-256 / P-384 (EC_CURVES) for a key on one of those curves, else None."""
    return next((kind for kind, (curve, *_) in EC_CURVES.items() if public.curve.name == curve.name), None)


def _int_bytes(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


# -------------------------------------------------------------------------------- Multikey, raw, PEM


def key_from_multikey(document: Mapping[str, Any]) -> IssuerKey:
    """A Multikey (or Ed25519VerificationKey2020) document with ``publicKeyMultibase`` and/or
    ``secretKeyMultibase`` (``privateKeyMultibase`` in older Ed25519 key pairs)."""
    secret = document.get("secretKeyMultibase", document.get("privateKeyMultibase"))
    public = document.get("publicKeyMultibase")
    ident, controller = _opt_str(document, "id"), _opt_str(document, "controller")
    key = _key_from_multibase_value(secret, "secretKeyMultibase") if secret is not None else None
    if public is not None:
        public_key = _key_from_multibase_value(public, "publicKeyMultibase")
        if public_key.has_private:
            raise ValueError("publicKeyMultibase holds a private key")
        if key is not None and not key.same_public_key(public_key):
            raise ValueError("secretKeyMultibase does not match publicKeyMultibase")
        key = key or public_key
    if key is None:
        raise ValueError("Multikey: neither publicKeyMultibase nor secretKeyMultibase is present")
    return key.with_id(ident, controller)


def _key_from_multibase_value(value: Any, what: str = "multikey") -> IssuerKey:
    if not isinstance(value, str):
        raise ValueError(f"{what}: expected a string")
    try:
        code, _ = split_multicodec(multibase_decode(value))
        if code == ED25519_PRIV:
            return ed25519_key(decode_multikey(value, ED25519_PRIV, (32, 64)))
        if code == ED25519_PUB:
            return _ed25519_public(decode_multikey(value, ED25519_PUB, (32,)))
        for kind, (_, public_code, private_code, size) in EC_CURVES.items():
            if code == public_code:
                return ec_public_key(decode_multikey(value, public_code, (size + 1,)), kind)
            if code == private_code:
                return _ec_private(decode_multikey(value, private_code, (size,)), kind)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None
    raise ValueError(f"{what}: {codec_name(code)} keys are not supported (Ed25519, P-256 and P-384 only)")


def ed25519_key(secret: bytes, *, id: str | None = None, controller: str | None = None) -> IssuerKey:
    """An Ed25519 key from its 32-byte seed, or from 64 bytes seed||public (the NaCl / 1EdTech test
    vector form), in which case the public half must match."""
    if len(secret) not in (32, 64):
        raise ValueError(f"Ed25519 private key must be 32 or 64 bytes, got {len(secret)}")
    private = ed25519.Ed25519PrivateKey.from_private_bytes(secret[:32])
    key = IssuerKey(ED25519, private.public_key(), private, id, controller)
    if len(secret) == 64 and key.public_bytes() != secret[32:]:
        raise ValueError("Ed25519 64-byte private key: second half is not the public key of the seed")
    return key


def _ed25519_public(raw: bytes) -> IssuerKey:
    return IssuerKey(ED25519, ed25519.Ed25519PublicKey.from_public_bytes(raw))


def ec_public_key(point: bytes, kind: str = P256) -> IssuerKey:
    """A P-256 / P-384 public key from its compressed point (the Multikey payload)."""
    if kind not in EC_CURVES or len(point) != EC_CURVES[kind][3] + 1 or point[:1] not in (b"\x02", b"\x03"):
        raise ValueError(f"not a compressed {kind} point")
    try:
        return IssuerKey(kind, ec.EllipticCurvePublicKey.from_encoded_point(EC_CURVES[kind][0], point))
    except ValueError:
        raise ValueError(f"not a compressed {kind} point") from None


def _ec_private(secret: bytes, kind: str) -> IssuerKey:
    try:
        private = ec.derive_private_key(int.from_bytes(secret, "big"), EC_CURVES[kind][0])
    except ValueError:
        raise ValueError(f"{kind} secret key is out of range for the curve") from None
    return IssuerKey(kind, private.public_key(), private)


def key_from_pem(pem: str | bytes) -> IssuerKey:
    """A PEM public or (unencrypted) private key: Ed25519, RSA ≥ 2048 bits or EC P-256 / P-384."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    loaded: Any
    try:
        if b"PRIVATE KEY-----" in data:
            loaded = serialization.load_pem_private_key(data, password=None)
        else:
            loaded = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"PEM: cannot load key: {exc}") from None
    return _from_crypto(loaded)


def _from_crypto(loaded: Any) -> IssuerKey:
    private = loaded if isinstance(loaded, PrivateKey) else None
    public = private.public_key() if private is not None else loaded
    if isinstance(public, ed25519.Ed25519PublicKey):
        return IssuerKey(ED25519, public, private)
    if isinstance(public, rsa.RSAPublicKey):
        _check_rsa_size(public)
        return IssuerKey(RSA, public, private)
    kind = _ec_kind(public) if isinstance(public, ec.EllipticCurvePublicKey) else None
    if kind is not None:
        return IssuerKey(kind, public, private)
    raise ValueError(f"unsupported key type {type(public).__name__} (Ed25519, RSA or EC P-256 / P-384 only)")


# ----------------------------------------------------------------------------------------------- did:key

_DID_KEY = re.compile(r"did:key:(z[1-9A-HJ-NP-Za-km-z]+)(?:#(.*))?")


def did_key(key: IssuerKey) -> str:
    """The did:key DID of an Ed25519, P-256 or P-384 key (``did:key:z6Mk…``, ``zDn…``, ``z82…``)."""
    return "did:key:" + key.public_multibase()


def did_key_vm(key: IssuerKey) -> str:
    """The did:key verification method id (``did:key:z6Mk…#z6Mk…``)."""
    mb = key.public_multibase()
    return f"did:key:{mb}#{mb}"


def resolve_did_key(did_url: str) -> IssuerKey:
    """The public key a did:key DID or DID URL names, offline (the key *is* the identifier)."""
    match = _DID_KEY.fullmatch(did_url) if isinstance(did_url, str) else None
    if match is None:
        raise ValueError(f"{did_url!r} is not a did:key (expected did:key:z…[#z…])")
    mb, fragment = match.group(1), match.group(2)
    if fragment is not None and fragment != mb:
        raise ValueError(f"{did_url}: the fragment does not name the did:key's own key")
    key = _key_from_multibase_value(mb, "did:key")
    if key.has_private:
        raise ValueError(f"{did_url}: a did:key must hold a public key")
    return key.with_id(f"did:key:{mb}#{mb}", f"did:key:{mb}")


# ------------------------------------------------------------------------------- verification methods


def resolve_verification_method(vm: str, document: Mapping[str, Any] | None = None,
                                keys: Iterable[IssuerKey] = ()) -> ResolvedKey:
    """The public key behind a verification method id, found without the network.

    Tried in order: did:key; a key the caller supplied with that id; a verification method embedded in
    ``document`` (e.g. the issuer profile); a multibase key as the URL fragment (``…#z6Mk…`` Ed25519, the
    1EdTech convention; ``…#zDn…`` / ``…#z82…`` P-256 / P-384, as in the W3C vc-di-ecdsa test vectors).
    Raises ``ValueError("verification method … not resolvable offline…")``.
    """
    if not isinstance(vm, str) or not vm:
        raise ValueError("proof has no verificationMethod")
    if vm.startswith("did:key:"):  # self-certifying: no supplied key may stand in for it
        try:
            return ResolvedKey(resolve_did_key(vm), "did:key")
        except ValueError as exc:
            raise ValueError(f"verification method {vm} not resolvable offline: {exc}") from None
    for key in keys:
        if key.id == vm:
            return ResolvedKey(key.public_only(), "supplied")
    embedded = _embedded_method(vm, document) if document is not None else None
    if embedded is not None:
        return ResolvedKey(embedded, "embedded")
    from_fragment = _fragment_key(vm)
    if from_fragment is not None:
        return ResolvedKey(from_fragment, "fragment")
    raise Unresolvable(f"verification method {vm} not resolvable offline")


def _embedded_method(vm: str, document: Mapping[str, Any]) -> IssuerKey | None:
    for node in _nodes(document):
        if node.get("id") == vm and any(k in node for k in ("publicKeyMultibase", "publicKeyJwk", "publicKeyPem")):
            try:
                return load_key({k: v for k, v in node.items() if "private" not in k.lower()
                                 and k != "secretKeyMultibase"}).public_only().with_id(vm)
            except ValueError as exc:
                raise ValueError(f"verification method {vm} embedded in the credential is malformed: {exc}") from None
    return None


def _nodes(value: Any, depth: int = 0) -> Iterator[Mapping[str, Any]]:
    if depth > 64:  # why: attacker-shaped nesting must not exhaust the stack
        return
    if isinstance(value, Mapping):
        yield value
        for child in value.values():
            yield from _nodes(child, depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from _nodes(child, depth + 1)


# Multikey prefixes of public keys (ed25519-pub, p256-pub, p384-pub): a fragment that starts otherwise is
# a key name ("#key-1"), not a key, and a private-key fragment must never be taken for one.
_FRAGMENT_KEY_PREFIXES = ("z6Mk", "zDn", "z82")


def _fragment_key(vm: str) -> IssuerKey | None:
    _, _, fragment = vm.partition("#")
    if not fragment.startswith(_FRAGMENT_KEY_PREFIXES):
        return None
    try:
        return _key_from_multibase_value(fragment).with_id(vm, vm.partition("#")[0])
    except ValueError:
        return None


def verification_method_belongs_to(vm: str, issuer_id: str | None) -> bool:
    """Is ``vm`` named under the issuer's identifier? (did:key / DID: same DID; HTTPS: same URL, or a
    path below it.) A naming check only: it cannot prove an HTTPS key is published by that issuer."""
    if not isinstance(vm, str) or not isinstance(issuer_id, str) or not issuer_id:
        return False
    base = vm.partition("#")[0]
    if issuer_id.startswith("did:"):
        return base == issuer_id.partition("#")[0]
    issuer = issuer_id.partition("#")[0]
    return base == issuer or base.startswith(issuer.rstrip("/") + "/")


def key_owner(key: IssuerKey) -> str | None:
    """Whom a key file names as the key's controller: its ``controller`` (an OB 2.0 CryptographicKey's
    ``owner``), else the part of its id before '#' (a DID URL, a key URL fragment); None when it names none."""
    if key.controller:
        return key.controller
    if key.id and "#" in key.id:
        return key.id.partition("#")[0] or None
    return None


def is_issuer(controller: str, issuer_id: str) -> bool:
    """Is ``controller`` the issuer's id itself (ler.md §6.1: a key's controller must be the issuer)?"""
    return controller.partition("#")[0].rstrip("/") == issuer_id.partition("#")[0].rstrip("/")
