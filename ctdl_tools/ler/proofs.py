"""Verify and (re-)sign LER proofs: Data Integrity ``eddsa-rdfc-2022``, ``Ed25519Signature2020``,
``ecdsa-rdfc-2019`` and (verify only) ``ecdsa-sd-2023`` derived proofs, VC-JWT / compact JWS (RS256, ES256,
EdDSA) and OB 2.0 signed assertions. Offline, pinned contexts.

Data Integrity recipe (vc-di-eddsa §3.3; Ed25519Signature2020 uses the same one): the proof options
(proof minus ``proofValue``, with the document's ``@context``) and the document minus its proof are each
canonicalized with RDFC-1.0 and hashed with SHA-256; the signature is Ed25519 over
``hash(proof options) || hash(document)``, published as ``proofValue = "z" + base58btc(signature)``.
``ecdsa-rdfc-2019`` is the same with ECDSA (SHA-256 for P-256 keys, SHA-384 for P-384); ``ecdsa-sd-2023``
is checked by :mod:`ctdl_tools.ler.ecdsa` (a ``bbs-2023`` proof stays unsupported).

What ``ok`` means: every proof on the credential itself is a valid signature by the key its
``verificationMethod`` names. Embedded credentials (CLR ``verifiableCredential``, endorsements) are each
verified on their own and listed in ``embedded`` (:class:`EmbeddedResult`: its JSON path, its own result);
their proofs are also listed flat in ``nested`` and summarised by ``all_ok``.

The warnings are data first: a credential outside its validity period is a :class:`ValidityProblem`
(``validity``, ``expired``, ``not_yet_valid``), an embedded credential's warnings are its own
(``EmbeddedResult.warnings``); ``warnings`` is the text `ctdl ler verify` prints, made from them.

What ``verified`` means (``status``, ``trusted``, :meth:`VerifyResult.verdict`): the signature is valid
*and* its key comes from outside the credential: the issuer is a did:key and the proof's verification
method is that same DID's key, or the caller supplied the key (``keys``). A key read from a URL fragment,
an embedded verification method or a JWS ``jwk`` header proves integrity only: anyone can sign any
credential naming such a key, so a valid signature by one is ``unverified``, never ``verified``. A supplied
key whose file names a controller other than the issuer fails (ler.md §6.1: the key must be the issuer's).

Two outcomes are neither valid nor failed (``ProofResult.undecided``): ``unchecked``, the key cannot be found
offline (did:web, a key URL: give it with ``keys``), and ``unsupported``, a suite not implemented here.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from cryptography.exceptions import InvalidSignature

from ctdl_tools.ler import canon, ecdsa
from ctdl_tools.ler.ecdsa import ECDSA_KINDS, ECDSA_RDFC_2019, ECDSA_SD_2023, BaseProofValue
from ctdl_tools.ler.jws import Jws, RefusedAlgorithm, looks_like_jws, parse_jws, sign_jws, signature_valid
from ctdl_tools.ler.keys import (
    ED25519,
    RSA,
    IssuerKey,
    ResolvedKey,
    Unresolvable,
    is_issuer,
    key_from_jwk,
    key_owner,
    load_key,
    resolve_did_key,
    resolve_verification_method,
    verification_method_belongs_to,
)
from ctdl_tools.ler.multibase import multibase_encode
from ctdl_tools.ler.rdfc import LEGACY_ESCAPING_WARNING, Quad, WorkLimitExceeded, canonicalize_quads

EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
ED25519_SIGNATURE_2020 = "Ed25519Signature2020"
ASSERTION_METHOD = "assertionMethod"

# (proof type, suite) pairs verified here -> the key kinds each accepts. ecdsa-sd-2023 derived proofs are
# verified; bbs-2023 and the rest stay UNSUPPORTED.
_VERIFIED = {
    ("DataIntegrityProof", EDDSA_RDFC_2022): (ED25519,),
    (ED25519_SIGNATURE_2020, ED25519_SIGNATURE_2020): (ED25519,),
    ("DataIntegrityProof", ECDSA_RDFC_2019): ECDSA_KINDS,
    ("DataIntegrityProof", ECDSA_SD_2023): ECDSA_KINDS,  # P-384 is refused by name in ecdsa.py
}
_SIGNING_KINDS = {EDDSA_RDFC_2022: (ED25519,), ED25519_SIGNATURE_2020: (ED25519,), ECDSA_RDFC_2019: ECDSA_KINDS}
SIGNING_SUITES = tuple(_SIGNING_KINDS)  # the suites link re-signs with

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB_V2 = "https://w3id.org/openbadges/v2"

# Members under which a credential embeds other signed credentials (CLR 2.0, OB 3.0 endorsements).
_EMBEDDING_KEYS = ("verifiableCredential", "endorsement", "endorsementJwt")
_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
_MAX_DEPTH = 64


@dataclass(frozen=True)
class ProofResult:
    """The outcome for one proof (or one JWS)."""

    path: str  # JSON path of the proof ("$.proof[0]", "$.credentialSubject.verifiableCredential[0].proof")
    ok: bool
    suite: str  # "eddsa-rdfc-2022" | "ecdsa-rdfc-2019" | "ecdsa-sd-2023" | "VC-JWT/RS256" | "OB2-JWS/RS256" | …
    verification_method: str | None
    reason: str = ""  # why not ok, or why a valid signature is not trusted; empty when ok and trusted
    key_source: str = ""  # "did:key" | "supplied" | "embedded" | "fragment" | "jwk-header"
    issuer_match: bool = False  # the verification method is named under the issuer's id
    warnings: tuple[str, ...] = ()
    trusted: bool = False  # ok, and the key is the issuer's did:key or one the caller supplied
    undecided: str = ""  # UNCHECKED (key not found offline) | UNSUPPORTED (suite not implemented): not ok, not failed

    @property
    def failed(self) -> bool:
        """Checked, and wrong (not merely uncheckable here)."""
        return not self.ok and not self.undecided


UNCHECKED, UNSUPPORTED = "unchecked", "unsupported"
UNDECIDED = (UNCHECKED, UNSUPPORTED)

EXPIRED, NOT_YET_VALID = "expired", "not yet valid"
_VALIDITY_MESSAGES = {NOT_YET_VALID: "the credential is not valid yet: not before {} ({})",
                      EXPIRED: "the credential expired on {} ({})"}


@dataclass(frozen=True)
class ValidityProblem:
    """The credential is outside its validity period: a warning, not a failure (the signature still holds)."""

    kind: str  # NOT_YET_VALID (before its start) | EXPIRED (past its end)
    when: datetime  # the bound, in UTC
    written: str  # the bound as the credential writes it; a JWT claim's (seconds) as "2020-01-01T00:00:00Z"
    source: str  # where it is written: "validFrom", "issuanceDate", "issuedOn", "validUntil", "expirationDate",
    # "expires" (OB 2.0), "JWT claim nbf", "JWT claim exp"

    @property
    def message(self) -> str:
        """The warning `ctdl ler verify` prints."""
        return _VALIDITY_MESSAGES[self.kind].format(self.written, self.source)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class VerifyResult:
    status: str  # "verified" | "unverified" (valid, but by a key named only in the credential) | "failed" |
    # "unsigned" | "unchecked" (a key not found offline) | "unsupported" (a suite not implemented here)
    format: str  # "VC 2.0" | "VC 1.1" | "VC-JWT" | "OB 2.0 JWS" | "OB 2.0 hosted" | "JSON-LD" | "unknown"
    proofs: tuple[ProofResult, ...] = ()  # the credential's own proofs
    # every credential embedded in it, at any depth, each followed by those embedded in it (document order)
    embedded: tuple[EmbeddedResult, ...] = ()
    reason: str = ""
    validity: tuple[ValidityProblem, ...] = ()  # outside its validity period: not yet valid, expired (in that order)
    # its other warnings: revocation status not checked, its proofs' own (data not signed…), a proof not checked
    notes: tuple[str, ...] = ()

    @property
    def nested(self) -> tuple[ProofResult, ...]:
        """The proofs of embedded credentials, paths in this credential (each credential's first proof carries
        that credential's warnings)."""
        return tuple(proof for found in self.embedded for proof in found.proofs)

    @property
    def expired(self) -> ValidityProblem | None:
        return next((problem for problem in self.validity if problem.kind == EXPIRED), None)

    @property
    def not_yet_valid(self) -> ValidityProblem | None:
        return next((problem for problem in self.validity if problem.kind == NOT_YET_VALID), None)

    @property
    def own_warnings(self) -> tuple[str, ...]:
        """What it warns of itself, not of its embedded credentials."""
        return _unique([*(problem.message for problem in self.validity), *self.notes])

    @property
    def warnings(self) -> tuple[str, ...]:
        """Every warning as `ctdl ler verify` prints it: its own, then each embedded credential's, naming its
        JSON path ("embedded credential $.credentialSubject.verifiableCredential[0]: …")."""
        return _unique([*self.own_warnings, *(f"embedded credential {found.path}: {warning}"
                                              for found in self.embedded for warning in found.warnings)])

    def embedded_at(self, path: str) -> EmbeddedResult | None:
        """The embedded credential at the JSON ``path`` ("$.credentialSubject.verifiableCredential[1]")."""
        return next((found for found in self.embedded if found.path == path), None)

    @property
    def ok(self) -> bool:
        """Every own proof is a valid signature (whether or not its key is trusted)."""
        return self.status in ("verified", "unverified")

    @property
    def all_ok(self) -> bool:
        """Valid signatures, and so is every embedded credential's proof."""
        return self.ok and all(result.ok for result in self.nested)

    def verdict(self) -> tuple[str, str]:
        """(status, reason) for a report, embedded credentials included: "failed" if any proof fails,
        "unchecked"/"unsupported" if one could not be checked, "unverified" if any valid one has an untrusted
        key, else the credential's own status."""
        failed = next((n for n in self.nested if n.failed), None)
        if self.status == "failed":
            return "failed", self.reason
        if failed is not None:
            return "failed", f"embedded credential {failed.path}: {failed.reason}"
        undecided = next((n for n in self.nested if n.undecided), None)
        if undecided is not None and self.status not in UNDECIDED:
            return undecided.undecided, f"embedded credential {undecided.path}: {undecided.reason}"
        if self.status != "verified":
            return self.status, self.reason
        untrusted = next((n for n in self.nested if not n.trusted), None)
        if untrusted is not None:
            return "unverified", f"embedded credential {untrusted.path}: {untrusted.reason}"
        return self.status, self.reason

    @property
    def suite(self) -> str | None:
        return self.proofs[0].suite if self.proofs else None

    @property
    def verification_method(self) -> str | None:
        return self.proofs[0].verification_method if self.proofs else None


@dataclass(frozen=True)
class EmbeddedResult:
    """A credential embedded in the one verified (CLR ``verifiableCredential``, an endorsement, a nested
    VC-JWT), verified on its own."""

    path: str  # its JSON path in the credential verified ("$.credentialSubject.verifiableCredential[0]")
    result: VerifyResult  # its own result: paths in it are its own ("$.proof"), as are those of its embedded ones
    # its own proofs as VerifyResult.nested lists them (paths in the credential verified; the first carries its
    # warnings); one failed result when it could not be verified at all; none when it is unsigned
    proofs: tuple[ProofResult, ...] = ()

    @property
    def warnings(self) -> tuple[str, ...]:
        """What it warns of itself (expired, not yet valid, status not checked, its proofs' warnings), not of the
        credentials embedded in it: its first proof's warnings first."""
        first = self.result.proofs[0].warnings if self.result.proofs else ()
        return _unique([*first, *self.result.own_warnings])


@dataclass(frozen=True)
class HashData:
    """The canonical forms and hashes a Data Integrity EdDSA or ecdsa-rdfc-2019 signature is computed over
    (``algorithm``: a hashlib name; "sha384" for ecdsa-rdfc-2019 with a P-384 key)."""

    proof_nquads: str
    document_nquads: str
    algorithm: str = "sha256"

    @cached_property
    def proof_hash(self) -> bytes:
        return hashlib.new(self.algorithm, self.proof_nquads.encode("utf-8")).digest()

    @cached_property
    def document_hash(self) -> bytes:
        return hashlib.new(self.algorithm, self.document_nquads.encode("utf-8")).digest()

    @property
    def data(self) -> bytes:
        return self.proof_hash + self.document_hash


def _summarise(format: str, proofs: list[ProofResult], embedded: Iterable[EmbeddedResult],
               validity: Iterable[ValidityProblem] = (), notes: Iterable[str] = ()) -> VerifyResult:
    # A proof set: "the verifier MAY use any one proof" (OB 3.0 §8.3.1, VC Data Integrity proof sets). A proof of a
    # suite not implemented here does not stand in the way of another that verified with a trusted key; said.
    unchecked = [r for r in proofs if r.undecided == UNSUPPORTED]
    counted = [r for r in proofs if r not in unchecked]
    if not unchecked or not counted or not all(r.ok and r.trusted for r in counted):
        counted, unchecked = proofs, []
    failed = next((result for result in counted if result.failed), None)
    undecided = next((result for result in counted if result.undecided), None)
    untrusted = next((result for result in counted if not result.trusted), None)
    status = "failed" if failed else undecided.undecided if undecided else "unverified" if untrusted else "verified"
    first = failed or undecided or untrusted
    reason = first.reason if first else ""
    notes = [*notes, *(warning for result in proofs for warning in result.warnings),
             *(f"{r.path}: not checked ({r.reason}); the credential's other proof verified" for r in unchecked)]
    return VerifyResult(status, format, tuple(proofs), tuple(embedded), reason, tuple(validity), _unique(notes))


UNTRUSTED_KEY = "the signature is valid, but its key is named only in the credential"
FOREIGN_DID_KEY = "the signature is valid, but its did:key is not the issuer's own DID"
KEY_HINT = "give the issuer's key with --key"
NOT_A_GIVEN_KEY = "it is none of the keys given with --key"


def _valid(path: str, suite: str, vm: str | None, resolved: ResolvedKey, issuer_match: bool,
           warnings: Iterable[str], keys_given: bool = False, issuer: str | None = None) -> ProofResult:
    """A valid signature, trusted only if its key does not come from the credential itself: anyone can
    sign anything with a key they name in a URL fragment, an embedded method or a JWS header. A supplied
    key is trusted only as the issuer's: its file must not name another controller (ler.md §6.1)."""
    warnings = list(warnings)
    if resolved.source == "supplied":
        owner = key_owner(resolved.key)
        if owner is not None and issuer is not None and not is_issuer(owner, issuer):
            return ProofResult(path, False, suite, vm, f"the signature is valid, but the key given for it is not the "
                               f"issuer's: its file names {owner} as its controller, the credential's issuer is "
                               f"{issuer}", resolved.source, issuer_match)
        warnings += _owner_not_checked(owner, issuer, vm, issuer_match)
    trusted = resolved.source == "supplied" or (resolved.source == "did:key" and issuer_match)
    hint = NOT_A_GIVEN_KEY if keys_given else KEY_HINT  # "give the key" is no advice to one who gave a key
    reason = "" if trusted else f"{FOREIGN_DID_KEY if resolved.source == 'did:key' else UNTRUSTED_KEY}; {hint}"
    return ProofResult(path, True, suite, vm, reason, resolved.source, issuer_match, tuple(warnings), trusted)


def _owner_not_checked(owner: str | None, issuer: str | None, vm: str | None, issuer_match: bool) -> list[str]:
    """What the verdict on a supplied key rests on the caller's word for (a warning, as before the check)."""
    if owner is None and not (issuer_match and (vm or "").startswith("did:key:")):  # an own did:key needs none
        return [f"the key given for {vm} names no controller (no kid/id with '#', controller or owner): that it "
                f"is the issuer's ({issuer or 'no issuer id'}) was not checked"]
    if owner is not None and issuer is None:
        return [f"the credential names no issuer id: that the key's owner {owner} is its issuer was not checked"]
    return []


def _vouched(resolved: ResolvedKey, keys: tuple[IssuerKey, ...]) -> ResolvedKey:
    """The caller vouches for a key by supplying it, whatever id its file gives (or none); the supplied key
    (with the controller its file names) stands in, so its owner can be checked."""
    if resolved.source == "supplied":
        return resolved
    supplied = [k for k in keys if k.same_public_key(resolved.key)]
    if not supplied:
        return resolved
    owned = [k for k in supplied if key_owner(k) is not None]  # the one that says whose it is decides
    return ResolvedKey((owned or supplied)[0].public_only(), "supplied")


def _failed(format: str, reason: str) -> VerifyResult:
    return VerifyResult("failed", format, reason=reason)


# ============================================================================================ verify


def verify(credential: dict | str, *, keys: Iterable[IssuerKey] = (), now: datetime | None = None) -> VerifyResult:
    """Verify a credential offline: a JSON-LD object (or its JSON text) or a compact JWS.

    ``keys`` are public keys the caller trusts, matched by their ``id`` against ``verificationMethod``
    / JWS ``kid`` / OB 2.0 ``verification.creator`` (e.g. an OB 2.0 issuer's CryptographicKey). ``now``
    (default: the clock) decides whether a proof is past its ``expires`` (then it fails) and whether the
    credential is past its ``validUntil`` (a warning: the signature still holds). Never raises on bad
    input: the result says what is wrong.
    """
    keys = tuple(keys)
    now = _utc(now or datetime.now(UTC))
    if isinstance(credential, str):
        text = credential.strip()
        if looks_like_jws(text):
            return _verify_token(text, keys, now)
        try:
            credential = json.loads(text)
        except (ValueError, RecursionError) as exc:
            return _failed("unknown", f"neither a compact JWS nor JSON: {exc}")
    if not isinstance(credential, dict):
        return _failed("unknown", f"a credential must be a JSON object or a JWS, got {type(credential).__name__}")
    return _verify_document(credential, keys, now)


def _verify_document(credential: dict, keys: tuple[IssuerKey, ...], now: datetime) -> VerifyResult:
    format = _document_format(credential)
    embedded = tuple(_nested_results(credential, "$", keys, 0, now))
    validity = _validity(credential, now, ob2=_is_ob2(credential))
    notes = _status_not_checked(credential)
    if _is_ob2(credential):
        return replace(_ob2_document(credential, format), embedded=embedded, validity=validity, notes=notes)
    if "proof" not in credential:
        return VerifyResult("unsigned", format, embedded=embedded, reason="no proof", validity=validity, notes=notes)
    proofs = credential["proof"] if isinstance(credential["proof"], list) else [credential["proof"]]
    if not proofs:
        return VerifyResult("unsigned", format, embedded=embedded, reason="no proof (empty proof list)",
                            validity=validity, notes=notes)
    single = not isinstance(credential["proof"], list)
    results = [_verify_di(credential, proof, "$.proof" if single else f"$.proof[{i}]", keys, now)
               for i, proof in enumerate(proofs)]
    return _summarise(format, results, embedded, validity, notes)


def has_proof(document: Mapping[str, Any]) -> bool:
    """Whether a JSON credential carries a proof to verify: ``"proof": []`` signs nothing (unsigned, as for
    :func:`verify`)."""
    return document.get("proof", []) != []


def _utc(when: datetime) -> datetime:
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _timestamp(value: Any) -> datetime | None:
    """An XML Schema dateTimeStamp (time zone required) as an aware UTC datetime; None if it is not one."""
    if not isinstance(value, str) or not _DATETIME.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _validity(credential: Mapping[str, Any], now: datetime, claims: Mapping[str, Any] | None = None,
              *, ob2: bool = False) -> tuple[ValidityProblem, ...]:
    """The credential is outside its validity period: not yet valid (VC 2.0 ``validFrom``, VC 1.1
    ``issuanceDate``, OB 2.0 ``issuedOn``, a VC-JWT's ``nbf``) or past its end (VC 2.0 ``validUntil``,
    VC 1.1 ``expirationDate``, OB 2.0 ``expires``, a VC-JWT's ``exp``): the signature still holds, so a
    warning, not a failure."""
    bounds = (_bound_passed(credential, now, claims, ob2, *bound) for bound in _VALIDITY_BOUNDS)
    return tuple(problem for problem in bounds if problem is not None)


# (OB 2.0 member, VC members, VC-JWT claim, whether ``now`` is past the bound, the problem if it is)
_Passed = Callable[[datetime, datetime], bool]
_VALIDITY_BOUNDS: tuple[tuple[tuple[str, ...], tuple[str, ...], str, _Passed, str], ...] = (
    (("issuedOn",), ("validFrom", "issuanceDate"), "nbf", lambda now, when: now < when, NOT_YET_VALID),
    (("expires",), ("validUntil", "expirationDate"), "exp", lambda now, when: now > when, EXPIRED),
)


def _bound_passed(credential: Mapping[str, Any], now: datetime, claims: Mapping[str, Any] | None, ob2: bool,
                  ob2_names: tuple[str, ...], names: tuple[str, ...], claim: str,
                  passed: _Passed, kind: str) -> ValidityProblem | None:
    for name in ob2_names if ob2 else names:
        when = _timestamp(credential.get(name))
        if when is not None and passed(now, when):
            return ValidityProblem(kind, when, credential[name], name)
    value = claims.get(claim) if claims is not None else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            when = datetime.fromtimestamp(value, UTC)
        except (ValueError, OverflowError, OSError):
            return None
        if passed(now, when):
            return ValidityProblem(kind, when, when.strftime("%Y-%m-%dT%H:%M:%SZ"), f"JWT claim {claim}")
    return None


def _status_not_checked(credential: Mapping[str, Any]) -> tuple[str, ...]:
    """A credentialStatus (a revocation or suspension list entry) is a URL to fetch: never fetched here, so
    a revoked credential still verifies; said, so that a verifier does not read VERIFIED as 'not revoked'."""
    status = credential.get("credentialStatus")
    if not status:
        return ()
    kinds = sorted({str(s.get("type")) for s in (status if isinstance(status, list) else [status])
                    if isinstance(s, dict) and s.get("type")})
    return (f"its credentialStatus ({', '.join(kinds) or 'no type'}) is not checked: revocation and suspension "
            "lists are never fetched, so a revoked credential still verifies here",)


def _ob2_document(credential: dict, format: str) -> VerifyResult:
    verification = credential.get("verification")
    kind = verification.get("type") if isinstance(verification, dict) else None
    if kind in ("hosted", "HostedBadge"):
        return VerifyResult("unsigned", "OB 2.0 hosted", reason=(
            "OB 2.0 hosted assertion: no signature; the issuer's hosted copy is the source of truth"))
    if kind in ("signed", "SignedBadge"):
        return _failed(format, "OB 2.0 signed assertion given as JSON; its signature is in the compact JWS")
    return VerifyResult("unsigned", format, reason="no proof")


def _document_format(credential: Mapping[str, Any]) -> str:
    contexts = credential.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    if not isinstance(first, str):
        return "JSON-LD"
    return {VC_V2: "VC 2.0", VC_V1: "VC 1.1", OB_V2: "OB 2.0"}.get(first, "JSON-LD")


def _is_ob2(document: Mapping[str, Any]) -> bool:
    contexts = document.get("@context")
    return contexts == OB_V2 or (isinstance(contexts, list) and OB_V2 in contexts)


def _issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


# ---------------------------------------------------------------------------- Data Integrity proofs


class _ProofError(ValueError):
    """A precise reason a proof cannot verify; ``undecided`` when it could not be checked at all."""

    def __init__(self, message: str, undecided: str = "") -> None:
        super().__init__(message)
        self.undecided = undecided


def _verify_di(document: dict, proof: Any, path: str, keys: tuple[IssuerKey, ...], now: datetime) -> ProofResult:
    if not isinstance(proof, dict):
        return ProofResult(path, False, "unknown", None, "proof is not a JSON object")
    suite, vm = _suite_of(proof), _vm_id(proof.get("verificationMethod"))
    try:
        resolved, warnings = _check_di(document, proof, suite, vm, keys, now)
    except _ProofError as exc:
        return ProofResult(path, False, suite, vm, str(exc), undecided=exc.undecided)
    issuer = _issuer_id(document)
    issuer_match = verification_method_belongs_to(vm or "", issuer)
    return _valid(path, suite, vm, _vouched(resolved, keys), issuer_match, warnings, bool(keys), issuer)


def _suite_of(proof: Mapping[str, Any]) -> str:
    kind = proof.get("type")
    if kind == "DataIntegrityProof":
        return str(proof.get("cryptosuite"))
    return kind if isinstance(kind, str) else repr(kind)


def _vm_id(vm: Any) -> str | None:
    if isinstance(vm, dict):
        vm = vm.get("id")
    return vm if isinstance(vm, str) else None


def _check_di(document: dict, proof: dict, suite: str, vm: str | None,
              keys: tuple[IssuerKey, ...], now: datetime) -> tuple[ResolvedKey, list[str]]:
    kind = proof.get("type")
    if (kind, suite) not in _VERIFIED:
        what = "cryptosuite" if kind == "DataIntegrityProof" else "proof type"
        raise _ProofError(f"unsupported {what} {suite}", UNSUPPORTED)
    if proof.get("proofPurpose") != ASSERTION_METHOD:
        raise _ProofError(f"proofPurpose {proof.get('proofPurpose')!r} is not {ASSERTION_METHOD!r}")
    expires = _proof_expires(proof)
    check = {ECDSA_SD_2023: _check_ecdsa_sd, ECDSA_RDFC_2019: _check_ecdsa_rdfc}.get(suite, _check_eddsa)
    resolved, warnings = check(document, proof, suite, vm, keys)
    if expires is not None and now > expires:  # VC Data Integrity 1.0 §2.1: invalid after its expires
        raise _ProofError(f"the proof expired on {proof['expires']} (its 'expires'); a proof past its expiry "
                          "is invalid")
    return resolved, warnings


def _proof_expires(proof: Mapping[str, Any]) -> datetime | None:
    if "expires" not in proof:
        return None
    expires = _timestamp(proof["expires"])
    if expires is None:
        raise _ProofError(f"the proof's expires {proof['expires']!r} is not an XML Schema dateTimeStamp "
                          "(a date-time with time zone)")
    return expires


def _check_eddsa(document: dict, proof: dict, suite: str, vm: str | None,
                 keys: tuple[IssuerKey, ...]) -> tuple[ResolvedKey, list[str]]:
    signature = _decode_proof_value(proof.get("proofValue"))
    resolved = _resolve_key(proof, vm, document, keys, suite)
    unsecured, options = _verify_inputs(document, proof)
    return resolved, _check_signature(resolved.key, signature, unsecured, options, suite)


def _check_ecdsa_rdfc(document: dict, proof: dict, suite: str, vm: str | None,
                      keys: tuple[IssuerKey, ...]) -> tuple[ResolvedKey, list[str]]:
    try:
        signature = ecdsa.decode_rdfc_proof_value(proof.get("proofValue"))
    except ValueError as exc:
        raise _ProofError(str(exc)) from None
    resolved = _resolve_key(proof, vm, document, keys, suite)
    if len(signature) != ecdsa.signature_size(resolved.key.kind):  # a P-384 length with a P-256 key, or back
        raise _ProofError(f"proofValue decodes to {len(signature)} bytes, a {resolved.key.kind} signature has "
                          f"{ecdsa.signature_size(resolved.key.kind)}")
    document_rdf, options_rdf, warnings = _expanded(*_verify_inputs(document, proof), suite)
    algorithm = ecdsa.hash_name(resolved.key.kind)

    def canonical_document(escaping: str, rdfc_hash: str) -> str:
        return canonicalize_quads(document_rdf.quads, escaping, rdfc_hash)

    try:  # the RDFC-1.0 form first; then forms other signers produced, each with its warning if any
        for proof_nquads, document_nquads, notes in ecdsa.canonical_candidates(
                options_rdf.quads, canonical_document, ecdsa.rdfc_hashes(resolved.key.kind)):
            data = HashData(proof_nquads, document_nquads, algorithm)
            if ecdsa.p1363_valid(resolved.key, signature, data.data):
                return resolved, [*warnings, *notes]
    except WorkLimitExceeded as exc:
        raise _ProofError(str(exc)) from None
    raise _ProofError("proofValue does not match the canonical document")


def _check_ecdsa_sd(document: dict, proof: dict, suite: str, vm: str | None,
                    keys: tuple[IssuerKey, ...]) -> tuple[ResolvedKey, list[str]]:
    try:
        derived = ecdsa.parse_derived_proof_value(proof.get("proofValue"))
    except BaseProofValue as exc:
        # Not FAILED: nothing is wrong with a base proof. It is the issuer-to-holder form, for which the spec
        # gives verifiers no algorithm (parseDerivedProofValue rejects it). A failure would read as tampering
        # to a holder checking their own credential; UNSUPPORTED (exit 1) still never lets it pass.
        raise _ProofError(f"unsupported verification of {exc}", UNSUPPORTED) from None
    except ValueError as exc:
        raise _ProofError(str(exc)) from None
    resolved = _resolve_key(proof, vm, document, keys, suite)
    document_rdf, options_rdf, warnings = _expanded(*_verify_inputs(document, proof), suite)
    try:
        notes = ecdsa.verify_derived_proof(resolved.key, derived, document_rdf.quads, options_rdf.quads)
    except ValueError as exc:  # WorkLimitExceeded included: that credential fails, not the run
        raise _ProofError(str(exc)) from None
    return resolved, [*warnings, *notes]


def _decode_proof_value(value: Any) -> bytes:
    try:
        return ecdsa.decode_signature_value(value, (64,), "an Ed25519 signature has 64")
    except ValueError as exc:
        raise _ProofError(str(exc)) from None


def _resolve_key(proof: dict, vm: str | None, document: dict, keys: tuple[IssuerKey, ...],
                 suite: str) -> ResolvedKey:
    vm_value, proof_type = proof.get("verificationMethod"), proof.get("type")
    if isinstance(vm_value, dict):  # an embedded verification method object: self-asserted key
        try:
            resolved = ResolvedKey(load_key(vm_value).public_only(), "embedded")
        except ValueError as exc:
            raise _ProofError(f"embedded verificationMethod is malformed: {exc}") from None
    else:
        try:
            resolved = resolve_verification_method(vm or "", document, keys)
        except Unresolvable as exc:  # did:web, a key URL: not wrong, not checkable offline
            raise _ProofError(str(exc), UNCHECKED) from None
        except ValueError as exc:
            raise _ProofError(str(exc)) from None
    kinds = _VERIFIED[(proof_type, suite)]
    if resolved.key.kind not in kinds:
        article = "an" if resolved.key.kind in (ED25519, RSA) else "a"
        raise _ProofError(f"verification method {vm} holds {article} {resolved.key.kind} key; this suite needs "
                          + " or ".join(kinds))
    return resolved


def _verify_inputs(document: dict, proof: dict) -> tuple[dict, dict]:
    """(unsecured document, proof options) per Data Integrity §4.4 (proof sets and chains)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    if "@context" not in unsecured:
        raise _ProofError("the credential has no @context")
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options:  # vc-di-eddsa: the document's @context must start with the proof's
        proof_ctx, doc_ctx = _as_list(options["@context"]), _as_list(unsecured["@context"])
        if doc_ctx[:len(proof_ctx)] != proof_ctx:
            raise _ProofError("proof @context does not match the start of the document @context")
        unsecured["@context"] = options["@context"]
    options["@context"] = unsecured["@context"]
    previous = proof.get("previousProof")
    if previous is not None:
        unsecured["proof"] = _previous_proofs(document, previous)
    return unsecured, options


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _previous_proofs(document: dict, previous: Any) -> list[dict]:
    wanted = _as_list(previous)
    proofs = [p for p in _as_list(document.get("proof")) if isinstance(p, dict)]
    found = [p for p in proofs if p.get("id") in wanted]
    missing = [w for w in wanted if w not in {p.get("id") for p in found}]
    if missing:
        raise _ProofError(f"previousProof {missing[0]!r} is not among the credential's proofs")
    return found


def _expanded(unsecured: dict, options: dict, suite: str) -> tuple[canon.Expanded, canon.Expanded, list[str]]:
    """Both inputs as RDF, and a warning for each piece of document data the signature does not cover."""
    try:
        document_rdf, options_rdf = canon.expand_to_quads(unsecured), canon.expand_to_quads(options)
    except canon.ContextNotBundled as exc:
        # Not FAILED: nothing says the proof is wrong, only that its context is not held here (never fetched):
        # real issuers use contexts we do not bundle (data-integrity/v2, w3id.org/dcc/v1). UNCHECKED exits 1.
        raise _ProofError(str(exc), UNCHECKED) from None
    except ValueError as exc:
        raise _ProofError(str(exc)) from None
    if options_rdf.dropped:
        raise _ProofError(f"the {suite} proof uses terms the @context does not define: "
                          + ", ".join(options_rdf.dropped))
    # Data JSON-LD expansion dropped is in the JSON but not under the signature (ler.md §0.4).
    warnings = [f"not covered by the signature (dropped by JSON-LD expansion): {item}"
                for item in document_rdf.dropped]
    return document_rdf, options_rdf, warnings


def _check_signature(key: IssuerKey, signature: bytes, unsecured: dict, options: dict,
                     suite: str) -> list[str]:
    document_rdf, options_rdf, warnings = _expanded(unsecured, options, suite)
    try:  # a poison graph exceeds the canonicalization work limit: that credential fails, not the run
        data = _hash_data(options_rdf.quads, document_rdf.quads, "rdfc")
        if _ed25519_valid(key, signature, data.data):
            return warnings
        legacy = _hash_data(options_rdf.quads, document_rdf.quads, "legacy")
    except WorkLimitExceeded as exc:
        raise _ProofError(str(exc)) from None
    if legacy != data and _ed25519_valid(key, signature, legacy.data):  # only if some literal escapes differently
        return [*warnings, LEGACY_ESCAPING_WARNING]
    raise _ProofError("proofValue does not match the canonical document")


def _hash_data(options: list[Quad], document: list[Quad], escaping: str, algorithm: str = "sha256") -> HashData:
    """``algorithm`` hashes the canonical forms and is RDFC-1.0's own hash parameter too (SHA-384 with a
    P-384 key, as in the W3C ecdsa-rdfc-2019 vectors)."""
    return HashData(canonicalize_quads(options, escaping, algorithm), canonicalize_quads(document, escaping, algorithm),
                    algorithm)


def _ed25519_valid(key: IssuerKey, signature: bytes, data: bytes) -> bool:
    try:
        key.public_key.verify(signature, data)  # type: ignore[call-arg]
    except InvalidSignature:
        return False
    return True


def verify_data(unsecured_document: Mapping[str, Any], proof_options: Mapping[str, Any],
                escaping: str = "rdfc", algorithm: str = "sha256") -> HashData:
    """Canonical N-Quads and hashes of a document (without proof) and proof options (without
    proofValue). ``proof_options`` gets the document's ``@context`` if it has none, as the suites do.
    ``algorithm`` is "sha384" for ecdsa-rdfc-2019 with a P-384 key."""
    options = dict(proof_options)
    options.setdefault("@context", unsecured_document.get("@context"))
    return _hash_data(canon.expand_to_quads(options).quads, canon.expand_to_quads(unsecured_document).quads,
                      escaping, algorithm)


# ----------------------------------------------------------------------------------- nested credentials


def _nested_results(node: Any, path: str, keys: tuple[IssuerKey, ...], depth: int,
                    now: datetime) -> Iterator[EmbeddedResult]:
    """The credentials embedded anywhere below ``node`` (not ``node`` itself), each followed by those embedded
    in it."""
    if depth > _MAX_DEPTH:
        return
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if key == "proof":
            continue
        child = f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]"
        if isinstance(value, dict) and "proof" in value:
            yield from _embedded(value, child, keys, now)
        elif isinstance(value, str) and _parent_embeds(path, key) and looks_like_jws(value):
            yield from _embedded_at(child, _verify_token(value, keys, now))
        else:
            yield from _nested_results(value, child, keys, depth + 1, now)


def _parent_embeds(path: str, key: Any) -> bool:
    last = path.rsplit(".", 1)[-1].split("[", 1)[0]
    return (isinstance(key, int) and last in _EMBEDDING_KEYS) or key in _EMBEDDING_KEYS


def _embedded(credential: dict, path: str, keys: tuple[IssuerKey, ...], now: datetime) -> Iterator[EmbeddedResult]:
    if "@context" not in credential:
        reason = "embedded credential has no @context"
        yield EmbeddedResult(path, _failed("unknown", reason),
                             (ProofResult(path + ".proof", False, "unknown", None, reason),))
        return
    yield from _embedded_at(path, _verify_document(credential, keys, now))


def _embedded_at(path: str, result: VerifyResult) -> Iterator[EmbeddedResult]:
    """The credential at ``path`` (verified on its own: ``result``), then those embedded in it, with paths
    in the credential that embeds it. A credential that could not be verified at all counts as one failed proof."""
    own = result.proofs or ((ProofResult("$", False, "unknown", None, result.reason),)
                            if result.status == "failed" else ())
    found = EmbeddedResult(path, result)
    # its own warnings (expired, not yet valid…) travel with its first proof
    yield replace(found, proofs=tuple(_moved(proof, path, found.warnings if i == 0 else proof.warnings)
                                      for i, proof in enumerate(own)))
    for inner in result.embedded:
        yield replace(inner, path=path + inner.path[1:],
                      proofs=tuple(_moved(proof, path, proof.warnings) for proof in inner.proofs))


def _moved(proof: ProofResult, path: str, warnings: tuple[str, ...]) -> ProofResult:
    """``proof`` of a credential embedded at ``path``, its path made one in the credential that embeds it."""
    return replace(proof, path=path + proof.path[1:], warnings=warnings)


# ========================================================================================= JWS forms


def _verify_token(token: str, keys: tuple[IssuerKey, ...], now: datetime) -> VerifyResult:
    try:
        jws = parse_jws(token)
        payload = jws.payload_json()
    except RefusedAlgorithm as exc:  # well-formed, but a token anyone can make
        return _failed("unknown", str(exc))
    except ValueError as exc:
        return _failed("unknown", f"malformed JWS: {exc}")
    if _is_ob2(payload):
        return _summarise("OB 2.0 JWS", [_check_ob2_jws(jws, payload, keys)], [],
                          _validity(payload, now, ob2=True), _status_not_checked(payload))
    credential = payload.get("vc") if isinstance(payload.get("vc"), dict) else payload
    result = _check_vc_jwt(jws, payload, credential, keys)
    embedded = list(_nested_results(credential, "$.vc" if credential is not payload else "$", keys, 0, now))
    return _summarise("VC-JWT", [result], embedded, _validity(credential, now, payload),
                      _status_not_checked(credential))


def _check_vc_jwt(jws: Jws, payload: dict, credential: dict, keys: tuple[IssuerKey, ...]) -> ProofResult:
    suite, kid = f"VC-JWT/{jws.alg}", jws.header.get("kid")
    issuer = _issuer_id(credential) or payload.get("iss")
    issuer = issuer if isinstance(issuer, str) else None
    try:
        resolved = _vc_jwt_key(jws.header, credential, issuer, keys)
    except ValueError as exc:
        undecided = UNCHECKED if isinstance(exc, Unresolvable) else ""  # a kid URL with no key offline
        return ProofResult("$", False, suite, kid, str(exc), undecided=undecided)
    vm = kid if isinstance(kid, str) else resolved.key.id if resolved.source == "did:key" else None
    warnings = _claim_warnings(payload, credential)
    issuer_match = resolved.source != "jwk-header" and verification_method_belongs_to(vm or "", issuer)
    return _jws_result(jws, _vouched(resolved, keys), suite, vm, issuer_match, warnings, bool(keys), issuer)


def _vc_jwt_key(header: Mapping[str, Any], credential: dict, issuer: str | None,
                keys: tuple[IssuerKey, ...]) -> ResolvedKey:
    """The key that must verify a VC-JWT: the one its ``kid`` names (a did:key, a supplied key with that id,
    a method embedded in the credential, a key URL fragment) or, with no ``kid``, the issuer's own did:key.
    A header ``jwk`` is only a hint: whoever made the token chose it. It is used alone only when nothing
    else names a key, and is refused (ValueError) when it disagrees with the key that ``kid`` or the issuer
    names, so a signature by a stranger's key can never pass for the issuer's."""
    kid = header.get("kid")
    jwk = key_from_jwk(header["jwk"]).with_id(kid) if "jwk" in header else None
    named, by = None, ""
    if isinstance(kid, str):
        try:
            named, by = resolve_verification_method(kid, credential, keys), "its 'kid'"
        except ValueError:
            if jwk is None or kid.startswith("did:key:"):  # a malformed did:key is wrong, not unknown
                raise
    elif issuer is not None and issuer.startswith("did:key:"):  # self-certifying: the issuer's only key
        named, by = ResolvedKey(resolve_did_key(issuer.partition("#")[0]), "did:key"), "the issuer's did:key"
    if named is None:
        if jwk is None:
            raise ValueError("JWS header names no key (neither 'kid' nor 'jwk')")
        return ResolvedKey(jwk, "jwk-header")
    if jwk is not None and not jwk.same_public_key(named.key):
        raise ValueError(f"the JWS header 'jwk' is not the key {by} names; a header jwk that disagrees with the "
                         "kid or the issuer is never trusted (whoever made the token chose it)")
    return named


def _claim_warnings(payload: dict, credential: dict) -> list[str]:
    pairs = (("iss", _issuer_id(credential)), ("jti", credential.get("id")))
    return [f"JWT claim {claim} {payload[claim]!r} differs from the credential's {value!r}"
            for claim, value in pairs if claim in payload and value is not None and payload[claim] != value]


def _check_ob2_jws(jws: Jws, payload: dict, keys: tuple[IssuerKey, ...]) -> ProofResult:
    suite = f"OB2-JWS/{jws.alg}"
    verification = payload.get("verification")
    creator = verification.get("creator") if isinstance(verification, dict) else None
    creator = creator if isinstance(creator, str) else jws.header.get("kid")
    if not isinstance(creator, str):
        return ProofResult("$", False, suite, None, "OB 2.0 assertion names no key (verification.creator)")
    key = next((k for k in keys if k.id == creator), None)
    if key is None:
        return ProofResult("$", False, suite, creator, f"verification method {creator} not resolvable offline "
                           "(give the issuer's CryptographicKey file with --key)", undecided=UNCHECKED)
    issuer, owner = _ob2_issuer_id(payload), key_owner(key)
    issuer_match = owner is not None and issuer is not None and is_issuer(owner, issuer)  # the key's owner
    return _jws_result(jws, ResolvedKey(key.public_only(), "supplied"), suite, creator, issuer_match, [],
                       issuer=issuer)


def _ob2_issuer_id(assertion: Mapping[str, Any]) -> str | None:
    """The issuer of an OB 2.0 assertion whose BadgeClass is embedded (a badge URL names none)."""
    badge = assertion.get("badge")
    return _issuer_id(badge) if isinstance(badge, dict) else None


def _jws_result(jws: Jws, resolved: ResolvedKey, suite: str, vm: str | None, issuer_match: bool,
                warnings: list[str], keys_given: bool = False, issuer: str | None = None) -> ProofResult:
    try:
        valid = signature_valid(jws, resolved.key)
    except ValueError as exc:
        return ProofResult("$", False, suite, vm, str(exc), resolved.source)
    if not valid:
        return ProofResult("$", False, suite, vm, "JWS signature invalid", resolved.source)
    return _valid("$", suite, vm, resolved, issuer_match, warnings, keys_given, issuer)


# ============================================================================================== sign


def sign(credential: dict, key: IssuerKey, suite: str, verification_method: str,
         created: str | None = None, *, options: Mapping[str, Any] | None = None) -> dict:
    """A copy of ``credential`` carrying one new proof of ``suite``; existing proofs are removed
    (after a rewrite they are stale by construction). Deterministic when ``created`` is given.
    ``options`` are further proof options to sign (``domain``, ``challenge``, ``nonce``, ``expires``, an
    ``id``…; see :func:`reissue_options` for those a replacement proof keeps).

    Refuses (ValueError) rather than produce a proof that would not mean what it seems: a key the suite
    does not use (Ed25519 for the EdDSA suites, P-256 / P-384 for ecdsa-rdfc-2019) or not private, a
    verification method that names a different key, data the @context does not define (it would be silently
    unsigned), a @context that does not define the proof terms, or a proof that would be expired when made.
    ECDSA signatures are randomized: only the proof, not its proofValue, is deterministic.
    """
    if suite not in SIGNING_SUITES:
        raise ValueError(f"unsupported cryptosuite {suite}; sign() makes {', '.join(SIGNING_SUITES)}")
    _check_signing_key(key, verification_method, credential, suite)
    document = _json_copy({k: v for k, v in credential.items() if k != "proof"})
    if "@context" not in document:
        raise ValueError("the credential has no @context")
    stamp = _created(created)
    proof = {**_new_proof(suite, verification_method, stamp), **_extra_options(options, stamp)}
    if suite == ECDSA_RDFC_2019:
        signature = ecdsa.sign_p1363(key, _signing_data(document, proof, suite, ecdsa.hash_name(key.kind)))
    else:
        signature = key.private_key.sign(_signing_data(document, proof, suite))  # type: ignore[union-attr,call-arg]
    proof["proofValue"] = multibase_encode(signature)
    document["proof"] = proof
    return document


def _check_signing_key(key: IssuerKey, verification_method: str, credential: dict, suite: str) -> None:
    kinds = _SIGNING_KINDS[suite]
    if not isinstance(key, IssuerKey) or key.kind not in kinds:
        if kinds == (ED25519,):
            raise ValueError(f"{EDDSA_RDFC_2022} and {ED25519_SIGNATURE_2020} sign with Ed25519 keys only")
        raise ValueError(f"{suite} signs with P-256 or P-384 keys only"
                         + (f"; this key is {key.kind} (an Ed25519 key signs {EDDSA_RDFC_2022})"
                            if isinstance(key, IssuerKey) else ""))
    if key.private_key is None:
        raise ValueError("signing needs a private key; this key is public only")
    if not isinstance(verification_method, str) or not verification_method:
        raise ValueError("verification_method must be a non-empty string")
    try:
        named = resolve_verification_method(verification_method, credential)
    except ValueError:
        return  # e.g. did:web: not checkable offline; the caller vouches for it
    if not named.key.same_public_key(key):
        raise ValueError(f"verification method {verification_method} names a different key than the signing key")


def _json_copy(value: Any) -> Any:
    """What a JSON parser will read back: what we sign must be what others verify."""
    try:
        return json.loads(json.dumps(value, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the credential is not plain JSON: {exc}") from None


def _created(created: str | None) -> str:
    if created is None:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if not isinstance(created, str) or not _DATETIME.fullmatch(created):
        raise ValueError(f"created {created!r} is not an XML Schema dateTime with time zone")
    return created


# Members sign() itself sets; a previousProof would make a chain, which sign() does not make.
_SET_BY_SIGN = ("@context", "type", "cryptosuite", "created", "verificationMethod", "proofPurpose", "proofValue",
                "previousProof")


def _extra_options(options: Mapping[str, Any] | None, created: str) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise ValueError(f"proof options must be a mapping, got {type(options).__name__}")
    own = [name for name in options if name in _SET_BY_SIGN]
    if own:
        raise ValueError(f"proof option {own[0]!r} cannot be given: sign() makes a single proof and sets it itself")
    extra = _json_copy(dict(options))
    if "expires" in extra:
        end = _timestamp(extra["expires"])
        if end is None:
            raise ValueError(f"proof expires {extra['expires']!r} is not an XML Schema dateTimeStamp")
        start = _timestamp(created)
        if start is None:
            raise ValueError(f"created {created!r} is outside the years 1 to 9999 in UTC")
        if end <= start:
            raise ValueError(f"the proof would be expired when made: its expires {extra['expires']} is not after "
                             f"its created {created} (a re-issued proof must not outlive the one the issuer signed)")
    return extra


def reissue_options(proof: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(options, notes) for a proof that replaces ``proof`` over an edited credential.

    Kept: every option the issuer signed that :func:`sign` does not set itself (``domain``, ``challenge``,
    ``nonce``, ``expires`` and any other), so the new proof is bound to the same domain and challenge and
    does not outlive the old one. Not kept, each with a note saying why: ``id`` (it names the old proof, which
    lives on in every copy already handed out; a different proof must not take its name) and the proof's own
    ``@context`` (the new proof is made under the credential's). Raises ValueError for a ``previousProof``
    (a chain: replacing one link would break the others).
    """
    if "previousProof" in proof:
        raise ValueError("the proof is part of a chain (previousProof); re-signing chains is not supported")
    kept: dict[str, Any] = {}
    notes: list[str] = []
    for name, value in proof.items():
        if name == "id":
            notes.append(f"the old proof's id {value!r} is not carried over: it names that proof, and the new one "
                         "is a different proof")
        elif name == "@context":
            notes.append("the old proof's own @context is not carried over: the new proof uses the credential's")
        elif name not in _SET_BY_SIGN:
            kept[name] = value
    return kept, notes


def _new_proof(suite: str, verification_method: str, created: str) -> dict[str, str]:
    if suite in (EDDSA_RDFC_2022, ECDSA_RDFC_2019):  # member order as in the 1EdTech test vector
        return {"type": "DataIntegrityProof", "created": created, "verificationMethod": verification_method,
                "cryptosuite": suite, "proofPurpose": ASSERTION_METHOD}
    return {"type": ED25519_SIGNATURE_2020, "created": created, "verificationMethod": verification_method,
            "proofPurpose": ASSERTION_METHOD}


def _signing_data(document: dict, proof: dict, suite: str, algorithm: str = "sha256") -> bytes:
    document_rdf = canon.expand_to_quads(document)
    if document_rdf.dropped:
        raise ValueError("refusing to sign: JSON-LD expansion drops data that would then be unsigned: "
                         + ", ".join(document_rdf.dropped))
    options_rdf = canon.expand_to_quads({**proof, "@context": document["@context"]})
    if options_rdf.dropped:
        needed = "https://w3id.org/security/suites/ed25519-2020/v1" if suite == ED25519_SIGNATURE_2020 \
            else "https://www.w3.org/ns/credentials/v2 or https://w3id.org/security/data-integrity/v1"
        raise ValueError(f"the credential's @context does not define the {suite} proof terms "
                         f"({', '.join(options_rdf.dropped)}); it needs {needed}")
    return _hash_data(options_rdf.quads, document_rdf.quads, "rdfc", algorithm).data


def sign_jwt(payload: Mapping[str, Any] | bytes | str, key: IssuerKey, alg: str, kid: str | None) -> str:
    """Compact JWS (``typ: JWT``) over ``payload``; RS256 and EdDSA are deterministic, ES256 is not."""
    return sign_jws(payload, key, alg, kid, typ="JWT")


def vc_jwt_payload(credential: Mapping[str, Any]) -> dict[str, Any]:
    """OB 3.0 VC-JWT claims set: the credential plus ``iss``, ``jti``, ``sub``, ``nbf`` and ``exp``
    (OB 3.0 §8.2 "JSON Web Token Proof Format")."""
    payload = copy.deepcopy(dict(credential))
    claims = {"iss": _issuer_id(credential), "jti": credential.get("id"),
              "sub": (credential.get("credentialSubject") or {}).get("id")
              if isinstance(credential.get("credentialSubject"), dict) else None,
              "nbf": _epoch(credential.get("validFrom") or credential.get("issuanceDate")),
              "exp": _epoch(credential.get("validUntil") or credential.get("expirationDate"))}
    payload.update({name: value for name, value in claims.items() if value is not None})
    return payload


def _epoch(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value).timestamp())
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time") from None


# ======================================================================================= key_matches


def key_matches(credential: dict | str, key: IssuerKey) -> bool:
    """May ``key`` re-sign this credential as its issuer?

    True when the key's public part equals the key of a proof's verification method (resolved offline)
    and that verification method belongs to the credential's ``issuer`` (did:key issuer = the method's
    DID, or the method's id is the issuer id or below it). An unsigned credential: the key's own id must
    belong to the issuer. Unresolvable verification methods (e.g. did:web) give False.
    """
    if not isinstance(key, IssuerKey):
        return False
    if isinstance(credential, str):
        return _token_key_matches(credential, key)
    if not isinstance(credential, dict):
        return False
    issuer = _issuer_id(credential)
    proofs = [p for p in _as_list(credential.get("proof")) if isinstance(p, dict)]
    if not proofs:
        return _unsigned_key_matches(key, issuer)
    return any(_vm_matches(_vm_id(p.get("verificationMethod")), credential, key, issuer) for p in proofs)


def _vm_matches(vm: str | None, document: dict, key: IssuerKey, issuer: str | None) -> bool:
    if vm is None or not verification_method_belongs_to(vm, issuer):
        return False
    try:
        named = resolve_verification_method(vm, document)
    except ValueError:
        return False
    return named.key.same_public_key(key)


def _unsigned_key_matches(key: IssuerKey, issuer: str | None) -> bool:
    if key.id is None or not verification_method_belongs_to(key.id, issuer):
        return False
    return _vm_matches(key.id, {}, key, issuer) if key.id.startswith("did:key:") else True


def _token_key_matches(token: str, key: IssuerKey) -> bool:
    try:
        jws = parse_jws(token)
        payload = jws.payload_json()
    except ValueError:
        return False
    credential = payload.get("vc") if isinstance(payload.get("vc"), dict) else payload
    kid = jws.header.get("kid")
    issuer = _issuer_id(credential) or payload.get("iss")
    try:  # the key the token must verify with: never a header jwk that disagrees with the kid or the issuer
        named = _vc_jwt_key(jws.header, credential, issuer if isinstance(issuer, str) else None, ())
    except ValueError:
        return False
    if named.source == "jwk-header":  # nothing but the token's own header names it
        return named.key.same_public_key(key) and (kid is None or verification_method_belongs_to(kid, issuer))
    vm = kid if isinstance(kid, str) else named.key.id
    return named.key.same_public_key(key) and verification_method_belongs_to(vm or "", issuer)


def proof_suites(credential: dict) -> list[str]:
    """The suites of a credential's own proofs, in order (what a re-sign should reproduce)."""
    return [_suite_of(p) for p in _as_list(credential.get("proof")) if isinstance(p, dict)]


__all__ = [
    "ECDSA_RDFC_2019",
    "ECDSA_SD_2023",
    "ED25519_SIGNATURE_2020",
    "EDDSA_RDFC_2022",
    "EXPIRED",
    "LEGACY_ESCAPING_WARNING",
    "NOT_YET_VALID",
    "SIGNING_SUITES",
    "EmbeddedResult",
    "HashData",
    "ProofResult",
    "ValidityProblem",
    "VerifyResult",
    "key_matches",
    "proof_suites",
    "reissue_options",
    "sign",
    "sign_jwt",
    "vc_jwt_payload",
    "verify",
    "verify_data",
]
