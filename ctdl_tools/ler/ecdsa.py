"""ECDSA Data Integrity cryptosuites (W3C "Data Integrity ECDSA Cryptosuites v1.0"), offline:
``ecdsa-rdfc-2019`` signatures and ``ecdsa-sd-2023`` derived (selective disclosure) proofs.

ecdsa-rdfc-2019 (§3.3) is the eddsa-rdfc-2022 recipe with ECDSA: hash(proof options) || hash(document), each
canonicalized with RDFC-1.0 and hashed with SHA-256 for a P-256 key or SHA-384 for P-384, signed as raw r||s
(IEEE P1363: 64 or 96 bytes) and published base58btc (``z…``).

ecdsa-sd-2023 (§3.5): the issuer signs (the *base signature*) hash(proof options) || the multikey of a
proof-scoped P-256 key || hash(mandatory statements), and signs every other statement with the proof-scoped
key. The holder discloses a subset in a *derived proof*: the base signature, the proof-scoped key, the
signatures of the disclosed non-mandatory statements, a map from the verifier's canonical blank node labels
to the issuer's HMAC-derived ones, and which disclosed statements are mandatory. Its proofValue is ``u`` +
base64url of 0xd9 0x5d 0x01 and a CBOR array. That CBOR is attacker-controlled and has exactly one legal
shape, so it is read by a small strict decoder here rather than a general-purpose dependency.

A signature is first checked over what RDFC-1.0 and the pinned contexts give. Real signers also produced
three other canonical forms of the same data, each tried only if that fails (:func:`canonical_candidates`):
RDFC-1.0 run with SHA-384 (the W3C P-384 vectors) or SHA-256, which only relabels blank nodes; pre-RDFC-1.0
literal escaping; and proof options expanded with a draft VC 2.0 context that left ``cryptosuite`` untyped
(the W3C 2023 vectors). The last two are reported as warnings.

Key trust, proof purpose, expiry and proof sets are decided by :mod:`ctdl_tools.ler.proofs`, as for EdDSA;
this module checks signatures and raises :class:`ValueError` saying what does not match.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from ctdl_tools.ler.keys import EC_CURVES, P256, P384, IssuerKey, ec_public_key
from ctdl_tools.ler.multibase import (
    P256_PUB,
    multibase_b64url_decode,
    multibase_b64url_encode,
    multibase_decode,
    split_multicodec,
)
from ctdl_tools.ler.rdfc import (
    ESCAPINGS,
    LEGACY_ESCAPING_WARNING,
    XSD_STRING,
    Quad,
    canonicalize_quads,
    relabelled_nquads,
)

ECDSA_RDFC_2019 = "ecdsa-rdfc-2019"
ECDSA_SD_2023 = "ecdsa-sd-2023"
ECDSA_KINDS = (P256, P384)

_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {P256: hashes.SHA256, P384: hashes.SHA384}

SEC_CRYPTOSUITE = "https://w3id.org/security#cryptosuite"
CRYPTOSUITE_STRING = "https://w3id.org/security#cryptosuiteString"
DRAFT_CONTEXT_WARNING = ("signed under a draft of the https://www.w3.org/ns/credentials/v2 context that left "
                         "cryptosuite untyped (the published context types it sec:cryptosuiteString)")


# ============================================================================================= ECDSA


def hash_name(kind: str) -> str:
    """The hashlib name of the digest vc-di-ecdsa pairs with the key's curve (its "Hashing" algorithms)."""
    if kind not in _HASHES:
        raise ValueError(f"a {kind} key has no ECDSA cryptosuite (P-256 or P-384 only)")
    return _HASHES[kind]().name


def signature_size(kind: str) -> int:
    """Bytes of an IEEE P1363 (r||s) signature on the key's curve: 64 for P-256, 96 for P-384."""
    return 2 * EC_CURVES[kind][3]


def p1363_valid(key: IssuerKey, signature: bytes, data: bytes) -> bool:
    """Is ``signature`` (raw r||s) a valid ECDSA signature by ``key`` over ``data``?"""
    if key.kind not in _HASHES or len(signature) != signature_size(key.kind):
        return False
    half = len(signature) // 2
    r, s = int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
    try:  # cryptography checks r, s in [1, n-1] itself and reports any failure as InvalidSignature
        key.public_key.verify(encode_dss_signature(r, s), data, ec.ECDSA(_HASHES[key.kind]()))  # type: ignore[call-arg]
    except InvalidSignature:
        return False
    return True


def sign_p1363(key: IssuerKey, data: bytes) -> bytes:
    """A raw r||s ECDSA signature over ``data`` (SHA-256 on P-256, SHA-384 on P-384)."""
    if key.kind not in _HASHES or not isinstance(key.private_key, ec.EllipticCurvePrivateKey):
        raise ValueError("ECDSA signing needs a P-256 or P-384 private key")
    r, s = decode_dss_signature(key.private_key.sign(data, ec.ECDSA(_HASHES[key.kind]())))
    size = EC_CURVES[key.kind][3]
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def decode_signature_value(value: Any, sizes: Iterable[int], what: str) -> bytes:
    """The signature bytes of a proofValue (``z`` + base58btc), of one of ``sizes``; ``what`` says, in the
    ValueError, which sizes the suite's signatures have ("an Ed25519 signature has 64")."""
    try:
        signature = multibase_decode(value)
    except ValueError as exc:
        raise ValueError(f"proofValue is not a base58btc multibase value: {exc}") from None
    if len(signature) not in sizes:
        raise ValueError(f"proofValue decodes to {len(signature)} bytes, {what}")
    return signature


def decode_rdfc_proof_value(value: Any) -> bytes:
    """The signature bytes of an ecdsa-rdfc-2019 proofValue (``z`` + base58btc of r||s)."""
    return decode_signature_value(value, (64, 96), "an ECDSA signature has 64 (P-256) or 96 (P-384)")


# ================================================================== canonical forms a signer may have used

T = TypeVar("T")


def draft_context_quads(quads: list[Quad]) -> list[Quad] | None:
    """The proof options as a draft ``credentials/v2`` context expanded them (``cryptosuite`` a plain
    string), or None when nothing differs. The W3C vc-di-ecdsa alumni vectors were signed that way; only the
    datatype of a value that must equal the suite name differs, so accepting it lets nothing else through."""
    changed = [(s, p, ("L", o[1], XSD_STRING, "") if _typed_cryptosuite(p, o) else o, g) for s, p, o, g in quads]
    return changed if changed != quads else None


def _typed_cryptosuite(predicate: tuple[str, ...], obj: tuple[str, ...]) -> bool:
    return predicate == ("I", SEC_CRYPTOSUITE) and obj[0] == "L" and obj[2] == CRYPTOSUITE_STRING


def rdfc_hashes(kind: str) -> tuple[str, ...]:
    """RDFC-1.0 hash parameters a signer with this key may have canonicalized with, most likely first.

    The W3C P-384 vectors canonicalize with SHA-384 (the curve's hash); RDFC-1.0's default is SHA-256, which
    other P-384 signers keep. Both label the same dataset canonically, so accepting either admits nothing
    a signature did not cover: only the blank node labels differ."""
    return ("sha384", "sha256") if kind == P384 else ("sha256",)


def canonical_candidates(options: list[Quad], document: Callable[[str, str], T],
                         rdfc_hash_names: tuple[str, ...] = ("sha256",)) -> Iterator[tuple[str, T, tuple[str, ...]]]:
    """(canonical proof options, canonical document, warnings): first what RDFC-1.0 and the pinned contexts
    give, then each different form another signer produced (RDFC-1.0 with another of ``rdfc_hash_names``, then
    pre-RDFC-1.0 literal escaping, a draft VC 2.0 context). ``document(escaping, rdfc_hash)`` canonicalizes
    the document; each distinct form is yielded once."""
    drafted = draft_context_quads(options)
    variants = [(options, ())] + ([(drafted, (DRAFT_CONTEXT_WARNING,))] if drafted is not None else [])
    seen: set[tuple[str, Any]] = set()
    for escaping in ESCAPINGS:
        escaping_notes = (LEGACY_ESCAPING_WARNING,) if escaping == "legacy" else ()
        for rdfc_hash in rdfc_hash_names:
            canonical = document(escaping, rdfc_hash)
            for quads, notes in variants:
                proof_nquads = canonicalize_quads(quads, escaping, rdfc_hash)
                key = (proof_nquads, tuple(canonical) if isinstance(canonical, list) else canonical)
                if key not in seen:
                    seen.add(key)
                    yield proof_nquads, canonical, (*notes, *escaping_notes)


# ======================================================================================== CBOR (strict)


# Additional information 24..27 (1, 2, 4, 8 argument bytes) is only for arguments the shorter forms cannot hold.
_SHORTEST_BELOW = {24: 24, 25: 1 << 8, 26: 1 << 16, 27: 1 << 32}


class CborError(ValueError):
    """The CBOR of a proof value is malformed, or uses something the ecdsa-sd-2023 encoding never does."""


MAX_CBOR_DEPTH = 4  # derived proof: array > array/map > byte string; one level spare
_NOT_ALLOWED = {1: "negative integers", 6: "tags (vc-di-ecdsa: CBOR tagging MUST NOT be used)",
                7: "floats and simple values"}


def decode_cbor(data: bytes, max_depth: int = MAX_CBOR_DEPTH) -> Any:
    """One definite-length CBOR item (RFC 8949) made of unsigned integers, byte strings, text strings, arrays
    and maps, as int / bytes / str / list / dict. Anything else, trailing bytes, nesting deeper than
    ``max_depth`` or a length the input cannot hold raises :class:`CborError`; nothing else is raised."""
    if not isinstance(data, bytes | bytearray):
        raise CborError(f"CBOR input must be bytes, got {type(data).__name__}")
    reader = _CborReader(bytes(data), max_depth)
    value = reader.item(1)
    if reader.offset != len(reader.data):
        raise CborError(f"{len(reader.data) - reader.offset} bytes follow the CBOR value")
    return value


class _CborReader:
    def __init__(self, data: bytes, max_depth: int) -> None:
        self.data, self.offset, self.max_depth = data, 0, max_depth

    @property
    def left(self) -> int:
        return len(self.data) - self.offset

    def take(self, size: int) -> bytes:
        if size > self.left:  # checked before slicing: a declared length is attacker-chosen (up to 2**64)
            raise CborError(f"truncated CBOR: {size} bytes needed at offset {self.offset}, {self.left} left")
        chunk = self.data[self.offset:self.offset + size]
        self.offset += size
        return chunk

    def head(self) -> tuple[int, int, int]:
        start = self.offset
        initial = self.take(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if info < 24:
            return major, info, start
        if info <= 27:
            argument = int.from_bytes(self.take(1 << (info - 24)), "big")
            if major != 7 and argument < _SHORTEST_BELOW[info]:  # RFC 8949 §4.2.1: one encoding per value
                # (so one proofValue per proof); major type 7's 25..27 are floats, refused by item()
                raise CborError(f"the CBOR head at offset {start} is longer than its value needs (not the "
                                "shortest form)")
            return major, argument, start
        if info == 31:
            raise CborError(f"indefinite-length items are not allowed (offset {start})")
        raise CborError(f"reserved CBOR additional information {info} (offset {start})")

    def item(self, depth: int) -> Any:
        if depth > self.max_depth:
            raise CborError(f"CBOR nested deeper than {self.max_depth} levels")
        major, argument, start = self.head()
        if major == 0:
            return argument
        if major == 2:
            return self.take(argument)
        if major == 3:
            return self.text(argument, start)
        if major == 4:
            self.fits(argument, "array", start)
            return [self.item(depth + 1) for _ in range(argument)]
        if major == 5:
            self.fits(2 * argument, "map", start)
            return self.map(argument, depth)
        raise CborError(f"CBOR {_NOT_ALLOWED[major]} are not allowed (offset {start})")

    def fits(self, items: int, what: str, start: int) -> None:
        if items > self.left:  # every item takes at least one byte
            raise CborError(f"a CBOR {what} of {items} items cannot fit in the {self.left} bytes left (offset {start})")

    def text(self, size: int, start: int) -> str:
        try:
            return self.take(size).decode("utf-8")
        except UnicodeDecodeError:
            raise CborError(f"CBOR text string is not UTF-8 (offset {start})") from None

    def map(self, size: int, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for _ in range(size):
            start = self.offset
            key = self.item(depth + 1)
            if not isinstance(key, int | str | bytes):
                raise CborError(f"CBOR map key must be an integer or a string (offset {start})")
            if key in result:
                raise CborError(f"CBOR map key {repr(key)[:40]} appears twice (offset {start})")
            result[key] = self.item(depth + 1)
        return result


def encode_cbor(value: Any) -> bytes:
    """The preferred (shortest-head) CBOR encoding of what :func:`decode_cbor` reads: int >= 0, bytes, str,
    list, dict (keys in insertion order, as the reference implementation writes them). Verification never
    encodes; this and :func:`serialize_derived_proof_value` are the inverse the tests check the reader
    against (real proof values round-trip byte for byte) and build tampered proofs with."""
    if isinstance(value, bool) or (isinstance(value, int) and value < 0):
        raise ValueError(f"cannot CBOR-encode {value!r}: only unsigned integers")
    if isinstance(value, int):
        return _cbor_head(0, value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _cbor_head(3, len(data)) + data
    if isinstance(value, list | tuple):
        return _cbor_head(4, len(value)) + b"".join(encode_cbor(item) for item in value)
    if isinstance(value, dict):
        return _cbor_head(5, len(value)) + b"".join(encode_cbor(k) + encode_cbor(v) for k, v in value.items())
    raise ValueError(f"cannot CBOR-encode a {type(value).__name__}")


def _cbor_head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            return bytes([major << 5 | info]) + argument.to_bytes(size, "big")
    raise ValueError(f"{argument} does not fit a CBOR head")


# ====================================================================================== ecdsa-sd-2023

BASE_PROOF_HEADER = b"\xd9\x5d\x00"
DERIVED_PROOF_HEADER = b"\xd9\x5d\x01"
_LABEL_BYTES = 32  # HMAC-SHA-256 output: the issuer's blank node labels (createHmacIdLabelMapFunction)
_STATEMENT_SHOWN = 160


class BaseProofValue(ValueError):
    """An ecdsa-sd-2023 *base* proof: what the issuer gives the holder. It is not a presentation: a verifier
    checks only the derived proof the holder makes from it (vc-di-ecdsa parseDerivedProofValue rejects it)."""


@dataclass(frozen=True)
class DerivedProof:
    """The parsed components of an ecdsa-sd-2023 derived proof value (parseDerivedProofValue)."""

    base_signature: bytes  # the issuer's P-256 signature, r||s
    public_key: bytes  # multikey bytes (p256-pub varint + compressed point) of the proof-scoped key
    signatures: tuple[bytes, ...]  # one per disclosed non-mandatory statement, in canonical order
    label_map: dict[str, str]  # verifier's canonical label ("c14n0") -> issuer's label ("u…")
    mandatory_indexes: tuple[int, ...]  # which disclosed statements (sorted N-Quads) are mandatory

    @cached_property  # used once per canonical form tried
    def proof_scoped_key(self) -> IssuerKey:
        return ec_public_key(split_multicodec(self.public_key)[1], P256)


@dataclass(frozen=True)
class VerifyData:
    """What a derived proof is checked against (createVerifyData)."""

    proof_hash: bytes
    mandatory_hash: bytes
    mandatory: tuple[str, ...]
    non_mandatory: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def parse_derived_proof_value(value: Any) -> DerivedProof:
    """parseDerivedProofValue: the five components of a derived proofValue; :class:`BaseProofValue` for a
    base proof, ValueError (naming the component) for anything else that is not exactly the encoding
    serializeDerivedProofValue produces."""
    try:
        data = multibase_b64url_decode(value)
    except ValueError as exc:
        raise ValueError(f"proofValue is not a base64url-no-pad multibase value: {exc}") from None
    header = data[:3]
    if header == BASE_PROOF_HEADER:
        raise BaseProofValue("an ecdsa-sd-2023 base proof (header 0xd95d00: the form the issuer gives the holder; "
                             "a verifier checks only the derived proof the holder makes from it)")
    if header != DERIVED_PROOF_HEADER:
        raise ValueError(f"proofValue does not start with the ecdsa-sd-2023 derived proof header 0xd95d01 "
                         f"(got 0x{header.hex()})")
    try:
        components = decode_cbor(data[3:])
    except CborError as exc:
        raise ValueError(f"proofValue: {exc}") from None
    if not isinstance(components, list) or len(components) != 5:
        raise ValueError("proofValue: the CBOR value must be an array of 5 components (baseSignature, publicKey, "
                         "signatures, labelMap, mandatoryIndexes)")
    base, public_key, signatures, labels, indexes = components
    return DerivedProof(_byte_string(base, 64, "baseSignature"), _proof_scoped_key_bytes(public_key),
                        _signatures(signatures), _label_map(labels), _mandatory_indexes(indexes))


def serialize_derived_proof_value(derived: DerivedProof) -> str:
    """serializeDerivedProofValue: the proofValue a holder publishes (``u`` + base64url)."""
    compressed = {int(label.removeprefix("c14n")): multibase_b64url_decode(value)
                  for label, value in derived.label_map.items()}
    components = [derived.base_signature, derived.public_key, list(derived.signatures), compressed,
                  list(derived.mandatory_indexes)]
    return multibase_b64url_encode(DERIVED_PROOF_HEADER + encode_cbor(components))


def _byte_string(value: Any, size: int, what: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != size:
        got = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise ValueError(f"proofValue: {what} must be a byte string of {size} bytes, got {got}")
    return value


def _proof_scoped_key_bytes(value: Any) -> bytes:
    data = _byte_string(value, 35, "publicKey")  # p256-pub varint (2 bytes) + 33-byte compressed point
    try:
        code, point = split_multicodec(data)
        if code != P256_PUB:
            raise ValueError(f"multicodec 0x{code:x} is not p256-pub")
        ec_public_key(point, P256)
    except ValueError as exc:
        raise ValueError(f"proofValue: publicKey is not a P-256 multikey: {exc}") from None
    return data


def _signatures(value: Any) -> tuple[bytes, ...]:
    if not isinstance(value, list):
        raise ValueError(f"proofValue: signatures must be an array, got {type(value).__name__}")
    return tuple(_byte_string(item, 64, f"signatures[{i}]") for i, item in enumerate(value))


def _label_map(value: Any) -> dict[str, str]:
    """decompressLabelMap: {n: 32 bytes} -> {"c14n<n>": "u" + base64url}."""
    if not isinstance(value, dict):
        raise ValueError(f"proofValue: labelMap must be a map, got {type(value).__name__}")
    labels = {}
    for key, label in value.items():
        if not isinstance(key, int):
            raise ValueError(f"proofValue: labelMap key {key!r} is not an unsigned integer")
        labels[f"c14n{key}"] = multibase_b64url_encode(_byte_string(label, _LABEL_BYTES, f"labelMap[{key}]"))
    if len(set(labels.values())) != len(labels):
        # Two of the holder's blank nodes named as one issuer node: a node split in two (three boards where the
        # issuer signed two) would match the issuer's statements; an honest map is one-to-one.
        raise ValueError("proofValue: labelMap gives two blank nodes the same issuer label (a node was split)")
    return labels


def _mandatory_indexes(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(item, int) for item in value):
        raise ValueError("proofValue: mandatoryIndexes must be an array of unsigned integers")
    if len(set(value)) != len(value):
        raise ValueError("proofValue: mandatoryIndexes lists an index twice")
    return tuple(value)


def create_verify_data(derived: DerivedProof, document: list[Quad], options: list[Quad]) -> Iterator[VerifyData]:
    """createVerifyData for each canonical form a signer may have used (see
    :func:`canonical_candidates`), the one RDFC-1.0 and the pinned contexts give first."""
    def reveal(escaping: str, _: str) -> list[str]:  # ecdsa-sd-2023 is P-256 only: RDFC-1.0 with SHA-256
        return relabelled_nquads(document, lambda label: _issuer_label(derived.label_map, label), escaping)

    for proof_nquads, nquads, warnings in canonical_candidates(options, reveal):
        if len(set(nquads)) != len(nquads):  # the same statement twice: only a relabelling can make that
            raise ValueError("the reveal document's statements repeat once relabelled with the proof's label map "
                             "(a node was split or duplicated)")
        mandatory, non_mandatory = _split(nquads, derived.mandatory_indexes)
        yield VerifyData(hashlib.sha256(proof_nquads.encode("utf-8")).digest(),
                         hashlib.sha256("".join(mandatory).encode("utf-8")).digest(),
                         tuple(mandatory), tuple(non_mandatory), warnings)


def _issuer_label(label_map: dict[str, str], label: str) -> str:
    if label not in label_map:
        raise ValueError(f"the reveal document has blank node _:{label}, which the proof's label map does not name "
                         "(a node was added, or the map is wrong)")
    return label_map[label]


def _split(nquads: list[str], mandatory_indexes: Iterable[int]) -> tuple[list[str], list[str]]:
    wanted = set(mandatory_indexes)
    outside = sorted(index for index in wanted if index >= len(nquads))
    if outside:
        raise ValueError(f"mandatory index {outside[0]} is out of range: the reveal document has {len(nquads)} "
                         "statements")
    mandatory = [nq for index, nq in enumerate(nquads) if index in wanted]
    return mandatory, [nq for index, nq in enumerate(nquads) if index not in wanted]


def verify_derived_proof(key: IssuerKey, derived: DerivedProof, document: list[Quad],
                         options: list[Quad]) -> tuple[str, ...]:
    """Verify Derived Proof with the issuer's ``key``; the warnings of the canonical form that
    verified. Raises ValueError with one reason: which check failed, and what it means."""
    if key.kind != P256:
        raise ValueError(f"ecdsa-sd-2023 needs a P-256 issuer key (its base signature has 64 bytes); the "
                         f"verification method holds a {key.kind} key")
    statement_error: ValueError | None = None  # of the first canonical form whose base signature verified
    for data in create_verify_data(derived, document, options):
        if len(derived.signatures) != len(data.non_mandatory):  # the same for every canonical form
            raise ValueError(f"the proof carries {len(derived.signatures)} statement signatures but the reveal "
                             f"document has {len(data.non_mandatory)} non-mandatory statements (a statement was "
                             "added or removed)")
        if not p1363_valid(key, derived.base_signature, data.proof_hash + derived.public_key + data.mandatory_hash):
            continue  # perhaps an older signer's canonical form: try the next
        try:
            _check_statements(derived, data.non_mandatory)
        except ValueError as exc:  # a disclosed literal may read differently under the next form's escaping
            statement_error = statement_error or exc
            continue
        return data.warnings
    if statement_error is not None:
        raise statement_error
    raise ValueError("the base signature does not verify with the issuer's key: the proof options, the mandatory "
                     "statements or the proof-scoped key differ from what the issuer signed")


def _check_statements(derived: DerivedProof, non_mandatory: tuple[str, ...]) -> None:
    scoped = derived.proof_scoped_key
    for index, (signature, statement) in enumerate(zip(derived.signatures, non_mandatory, strict=True)):
        if not p1363_valid(scoped, signature, statement.encode("utf-8")):
            shown = statement.rstrip("\n")
            shown = shown if len(shown) <= _STATEMENT_SHOWN else shown[:_STATEMENT_SHOWN] + "…"
            raise ValueError(f"disclosed statement {index} does not match its signature (a disclosed value was "
                             f"changed): {shown}")


__all__ = [
    "ECDSA_KINDS",
    "ECDSA_RDFC_2019",
    "ECDSA_SD_2023",
    "BaseProofValue",
    "CborError",
    "DerivedProof",
    "VerifyData",
    "canonical_candidates",
    "create_verify_data",
    "decode_cbor",
    "decode_rdfc_proof_value",
    "decode_signature_value",
    "encode_cbor",
    "hash_name",
    "p1363_valid",
    "parse_derived_proof_value",
    "rdfc_hashes",
    "serialize_derived_proof_value",
    "sign_p1363",
    "signature_size",
    "verify_derived_proof",
]
