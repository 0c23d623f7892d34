"""ECDSA Data Integrity proofs: ecdsa-rdfc-2019 (verify and sign) and ecdsa-sd-2023 derived proofs (verify),
against the W3C vc-di-ecdsa test vectors and the 1EdTech validator's OB 3.0 selective-disclosure credential.
All offline (bundled contexts), deterministic (fixed clock, fixed keys where the outcome depends on them)."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("cryptography", reason="ctdl ler needs the 'cryptography' package")

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdl_tools.ler import canon, ecdsa
from ctdl_tools.ler.contexts import ler_loader
from ctdl_tools.ler.ecdsa import (
    DRAFT_CONTEXT_WARNING,
    CborError,
    DerivedProof,
    decode_cbor,
    encode_cbor,
    parse_derived_proof_value,
    serialize_derived_proof_value,
)
from ctdl_tools.ler.keys import (
    P256,
    P384,
    IssuerKey,
    did_key,
    did_key_vm,
    ed25519_key,
    key_from_jwk,
    key_from_pem,
    load_key,
    load_key_file,
    resolve_verification_method,
)
from ctdl_tools.ler.multibase import (
    P256_PRIV,
    P384_PRIV,
    b64url_encode,
    encode_multikey,
    multibase_b64url_decode,
    multibase_decode,
    multibase_encode,
)
from ctdl_tools.ler.proofs import HashData, sign, verify, verify_data
from ctdl_tools.ler.rdfc import canonicalize_quads
from tests._ler_support import WHEN, cli, files_in, ob3_credential, write_json
from tests._ler_support import index as index
from tests._ler_support import link as link
from tests.conftest import DATA

pytestmark = pytest.mark.usefixtures("no_network")

ECDSA = DATA / "ler" / "ecdsa"
P256_DIR, P384_DIR, SD = ECDSA / "rdfc-2019-p256", ECDSA / "rdfc-2019-p384", ECDSA / "sd-2023"
NOW = datetime(2025, 1, 1, tzinfo=UTC)  # before the prc vector's validUntil: no expiry warning
ALUMNI = {"p256": (P256_DIR, "ECDSAP256", "sha256"), "p384": (P384_DIR, "ECDSAP384", "sha384")}
DERIVED = {
    "w3c-windsurf": SD / "derivedRevealDocument.json",
    "w3c-prc": SD / "prc" / "derivedRevealDocument.json",
    "1edtech-ob3": ECDSA / "1edtech" / "derivedcredential.json",
}


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def own_proof(document: dict[str, Any]) -> dict[str, Any]:
    proof = document["proof"]
    return proof[0] if isinstance(proof, list) else proof


def split(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(document without proof, proof options without proofValue)."""
    proof = {k: v for k, v in own_proof(document).items() if k != "proofValue"}
    return {k: v for k, v in document.items() if k != "proof"}, proof


def employ_derived() -> dict[str, Any]:
    """The employ/ derived credential, made as "Add Derived Proof" does: the reveal document, the base
    proof's options and the serialized derived proof value (the vectors publish the three, not the result)."""
    parts = load(SD / "employ" / "verifyDerivedProofValue.json")
    derived = DerivedProof(bytes.fromhex(parts["baseSignature"]), multibase_decode(parts["publicKey"]),
                           tuple(bytes.fromhex(s) for s in parts["signatures"]), dict(parts["labelMap"]),
                           tuple(parts["mandatoryIndexes"]))
    base = load(SD / "employ" / "addSignedSDBase.json")["proof"]
    return {**load(SD / "employ" / "derivedUnsignedReveal.json"),
            "proof": {**base, "proofValue": serialize_derived_proof_value(derived)}}


def with_proof_value(document: dict[str, Any], proof_value: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    own_proof(changed)["proofValue"] = proof_value
    return changed


def edited_derived(document: dict[str, Any], **changes: Any) -> dict[str, Any]:
    derived = parse_derived_proof_value(own_proof(document)["proofValue"])
    fields = {name: getattr(derived, name) for name in DerivedProof.__dataclass_fields__}
    return with_proof_value(document, serialize_derived_proof_value(DerivedProof(**{**fields, **changes})))


def ec_key(kind: str, secret: int) -> IssuerKey:
    curve = ec.SECP256R1() if kind == P256 else ec.SECP384R1()
    private = ec.derive_private_key(secret, curve)
    key = IssuerKey(kind, private.public_key(), private)
    return key.with_id(did_key_vm(key), did_key(key))


def failed_with(result: Any, reason: str, status: str = "failed") -> None:
    assert result.status == status, (result.status, result.reason)
    assert result.reason.startswith(reason), result.reason



def test_a_node_split_by_the_holder_fails() -> None:
    # Found in review: the holder's label map named two blank nodes as one issuer node, so a board split in two
    # (three where the issuer signed two) matched the issuer's statements, a signature reused: it VERIFIED.
    attack = load(SD / "attack-split-node.json")
    assert len(attack["credentialSubject"]["boards"]) == 3
    result = verify(attack, now=NOW)
    assert result.status == "failed"
    assert result.reason.endswith("labelMap gives two blank nodes the same issuer label (a node was split)")
    derived = parse_derived_proof_value(own_proof(load(DERIVED["w3c-windsurf"]))["proofValue"])
    assert len(set(derived.label_map.values())) == len(derived.label_map)  # an honest map is one-to-one

# ======================================================================================= provenance


def test_readme_lists_every_vector_file_with_its_hash() -> None:
    rows = dict(re.findall(r"^\| `([^`]+)` \| .* \| ([0-9a-f]{64}) \|$", text(ECDSA / "README.md"), re.MULTILINE))
    on_disk = {str(p.relative_to(ECDSA)) for p in ECDSA.rglob("*") if p.is_file() and p.name != "README.md"}
    assert set(rows) == on_disk
    for name, digest in rows.items():
        assert hashlib.sha256((ECDSA / name).read_bytes()).hexdigest() == digest, name


def test_the_vectors_contexts_are_bundled_and_served_offline() -> None:
    load_context = ler_loader()
    examples = load_context("https://www.w3.org/ns/credentials/examples/v2")["document"]
    assert examples == {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}
    citizenship = load_context("https://w3id.org/citizenship/v4rc1")["document"]["@context"]
    assert citizenship["EmployablePerson"]["@id"] == "https://w3id.org/citizenship#EmployablePerson"


# ===================================================================== ecdsa-rdfc-2019: intermediate values


@pytest.mark.parametrize("curve", sorted(ALUMNI))
def test_alumni_vectors_reproduce_their_published_hashes(curve: str) -> None:
    folder, suffix, algorithm = ALUMNI[curve]
    document, options = split(load(folder / f"signed{suffix}.json"))
    data = verify_data(document, options, algorithm=algorithm)
    # Signed under a draft credentials/v2 context: cryptosuite untyped. That form is the published one.
    options_rdf = canon.expand_to_quads({**options, "@context": document["@context"]}).quads
    drafted = ecdsa.draft_context_quads(options_rdf)
    assert drafted is not None and canonicalize_quads(drafted) == text(folder / f"proofCanon{suffix}.txt")
    assert data.proof_nquads != text(folder / f"proofCanon{suffix}.txt")  # the pinned context types it
    proof_hash = hashlib.new(algorithm, text(folder / f"proofCanon{suffix}.txt").encode()).hexdigest()
    assert proof_hash == text(folder / f"proofHash{suffix}.txt")
    assert proof_hash + data.document_hash.hex() == text(folder / f"combinedHash{suffix}.txt")
    signature = multibase_decode(own_proof(load(folder / f"signed{suffix}.json"))["proofValue"])
    assert signature.hex() == text(folder / f"sigHex{suffix}.txt")
    assert len(signature) == {"sha256": 64, "sha384": 96}[algorithm]


def test_employ_p256_vector_reproduces_its_published_hashes() -> None:
    signed = load(P256_DIR / "employ" / "signedECDSAP256.json")
    data = verify_data(*split(signed))
    assert data.proof_nquads == text(P256_DIR / "employ" / "proofCanonECDSAP256.txt")
    assert data.data.hex() == text(P256_DIR / "employ" / "combinedHashECDSAP256.txt")
    assert multibase_decode(own_proof(signed)["proofValue"]).hex() == text(P256_DIR / "employ" / "sigHexECDSAP256.txt")


def test_employ_p384_vector_canonicalizes_with_sha384_inside_rdfc() -> None:
    document, options = split(load(P384_DIR / "employ" / "signedECDSAP384.json"))
    data = verify_data(document, options, algorithm="sha384")
    assert data.document_nquads == text(P384_DIR / "employ" / "canonDocECDSAP384.txt")
    assert data.proof_hash.hex() == text(P384_DIR / "employ" / "proofHashECDSAP384.txt")
    assert data.data.hex() == text(P384_DIR / "employ" / "combinedHashECDSAP384.txt")
    # RDFC-1.0's default hash labels the blank nodes differently: same dataset, other bytes.
    default = canonicalize_quads(canon.expand_to_quads(document).quads)
    assert default != data.document_nquads and len(default.splitlines()) == len(data.document_nquads.splitlines())


# ======================================================================= ecdsa-rdfc-2019: verification


@pytest.mark.parametrize(("path", "source", "warnings"), [
    (P256_DIR / "signedECDSAP256.json", "fragment", (DRAFT_CONTEXT_WARNING,)),
    (P384_DIR / "signedECDSAP384.json", "fragment", (DRAFT_CONTEXT_WARNING,)),
    (P256_DIR / "employ" / "signedECDSAP256.json", "did:key", ()),
    (P384_DIR / "employ" / "signedECDSAP384.json", "did:key", ()),
])
def test_signed_vectors_verify(path: Path, source: str, warnings: tuple[str, ...]) -> None:
    result = verify(load(path), now=NOW)
    assert result.ok and result.suite == "ecdsa-rdfc-2019", result.reason
    assert result.proofs[0].key_source == source and result.warnings == warnings
    # Neither key is the issuer's provably: a URL fragment names itself, the employ did:key is not the issuer's.
    assert result.status == "unverified"


@pytest.mark.parametrize(("curve", "key_file"), [("p256", "p256KeyPair.json"), ("p384", "p384KeyPair.json")])
def test_with_the_published_key_given_an_alumni_vector_is_verified(curve: str, key_file: str) -> None:
    folder, suffix, _ = ALUMNI[curve]
    key = load_key_file(ECDSA / key_file)
    assert key.kind == {"p256": P256, "p384": P384}[curve] and key.has_private
    result = verify(load(folder / f"signed{suffix}.json"), keys=[key.public_only()], now=NOW)
    assert result.status == "verified" and result.proofs[0].key_source == "supplied"


def test_tampered_ecdsa_rdfc_2019_vectors_fail_with_a_clear_reason() -> None:
    signed = load(P256_DIR / "employ" / "signedECDSAP256.json")
    value = copy.deepcopy(signed)
    value["credentialSubject"]["givenName"] = "JOHM"  # one changed byte
    failed_with(verify(value, now=NOW), "proofValue does not match the canonical document")
    signature = bytearray(multibase_decode(own_proof(signed)["proofValue"]))
    signature[10] ^= 0x01
    failed_with(verify(with_proof_value(signed, multibase_encode(bytes(signature))), now=NOW),
                "proofValue does not match the canonical document")
    other = load(SD / "SDKeyMaterial.json")["proofKeyPair"]["publicKeyMultibase"]  # another real P-256 key
    swapped = copy.deepcopy(signed)
    own_proof(swapped)["verificationMethod"] = f"did:key:{other}#{other}"
    failed_with(verify(swapped, now=NOW), "proofValue does not match the canonical document")
    p384 = load(P384_DIR / "employ" / "signedECDSAP384.json")
    failed_with(verify(with_proof_value(signed, own_proof(p384)["proofValue"]), now=NOW),
                "proofValue decodes to 96 bytes, a P-256 signature has 64")


def test_a_p256_signature_over_sha384_hashes_fails_and_over_sha256_verifies() -> None:
    key = load_key_file(ECDSA / "p256KeyPair.json")
    document, options = split(load(P256_DIR / "employ" / "signedECDSAP256.json"))

    def signed_with(algorithm: str, digest: hashes.HashAlgorithm) -> dict[str, Any]:
        data = verify_data(document, options, algorithm=algorithm).data
        r, s = decode_dss_signature(key.private_key.sign(data, ec.ECDSA(digest)))  # type: ignore[union-attr]
        return {**document, "proof": {**options, "proofValue": multibase_encode(r.to_bytes(32, "big")
                                                                                + s.to_bytes(32, "big"))}}

    failed_with(verify(signed_with("sha384", hashes.SHA384()), now=NOW),
                "proofValue does not match the canonical document")
    assert verify(signed_with("sha256", hashes.SHA256()), now=NOW).ok


def test_key_rules_are_those_of_eddsa(tmp_path: Path) -> None:
    signed = load(P256_DIR / "employ" / "signedECDSAP256.json")
    ed = ed25519_key(bytes(range(32)))
    for vm, reason, status in [
        (did_key_vm(ed), f"verification method {did_key_vm(ed)} holds an Ed25519 key; this suite needs P-256 "
                         "or P-384", "failed"),
        ("did:web:issuer.example#key-1", "verification method did:web:issuer.example#key-1 not resolvable offline",
         "unchecked"),
        ("https://issuer.example/keys/1", "verification method https://issuer.example/keys/1 not resolvable",
         "unchecked"),
    ]:
        changed = copy.deepcopy(signed)
        own_proof(changed)["verificationMethod"] = vm
        failed_with(verify(changed, now=NOW), reason, status)
    # The right key under an https id: unchecked offline, verified once given with --key (its controller the issuer's).
    vm = "https://issuer.example/keys/1"
    by_url = copy.deepcopy(signed)
    by_url["issuer"]["id"] = "https://issuer.example"
    key = load_key_file(ECDSA / "p256KeyPair.json").public_only().with_id(vm, "https://issuer.example")
    own_proof(by_url)["verificationMethod"] = vm
    resigned = resign(by_url)
    assert verify(resigned, now=NOW).status == "unchecked"
    given = verify(resigned, keys=[key], now=NOW)
    assert given.status == "verified" and given.proofs[0].issuer_match
    # A verification method embedded in the issuer profile: valid, but its key is self-asserted.
    by_url["issuer"]["verificationMethod"] = [{"id": vm, "type": "Multikey", "controller": "https://issuer.example",
                                               "publicKeyMultibase": key.public_multibase()}]
    result = verify(resign(by_url), now=NOW)
    assert result.status == "unverified" and result.proofs[0].key_source == "embedded"



def test_a_p384_key_as_a_jwk_verifies_and_round_trips() -> None:
    # Found in review: P-384 keys loaded from Multikey, PEM and did:key but not from a JWK ("EC curve 'P-384'
    # is not supported"), so --key with the issuer's P-384 JWK could not verify its ecdsa-rdfc-2019 proof.
    key = ec_key(P384, 384384).with_id("https://issuer.example/keys/1", "https://issuer.example")
    assert key_from_jwk(key.public_jwk()).same_public_key(key)
    document = ob3_credential(key)
    document["issuer"] = {"id": "https://issuer.example", "type": ["Profile"], "name": "Example"}
    signed = sign(document, key, "ecdsa-rdfc-2019", key.id or "", created="2024-01-01T00:00:01Z")
    given = load_key({"kty": "EC", **key.public_jwk()}, id=key.id, controller="https://issuer.example")
    result = verify(signed, keys=[given], now=NOW)
    assert result.status == "verified", result.reason


def test_a_p384_proof_over_sha256_rdfc_labels_verifies() -> None:
    # RDFC-1.0's blank-node labels may be made with SHA-256 (its default) by a P-384 signer, or with SHA-384
    # (the W3C employ/ vector): both are canonical, so both verify; the SHA-384 form is tried first.
    key = ec_key(P384, 777)
    document = ob3_credential(key)
    document["evidence"] = [{"type": ["Evidence"], "narrative": text} for text in ("one", "two", "three", "four")]
    options = {"type": "DataIntegrityProof", "cryptosuite": "ecdsa-rdfc-2019", "created": "2024-01-01T00:00:00Z",
               "verificationMethod": key.id, "proofPurpose": "assertionMethod"}
    labelled = {name: verify_data(document, options, algorithm=name) for name in ("sha256", "sha384")}
    assert labelled["sha256"].document_nquads != labelled["sha384"].document_nquads  # it has blank nodes
    for name, canonical in labelled.items():
        data = HashData(canonical.proof_nquads, canonical.document_nquads, "sha384").data
        signed = {**document, "proof": {**options, "proofValue": multibase_encode(ecdsa.sign_p1363(key, data))}}
        result = verify(signed, now=NOW)
        assert result.status == "verified" and result.warnings == (), (name, result.reason)

def resign(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with its ecdsa-rdfc-2019 proof re-made by the vectors' P-256 key (sign() would refuse
    the data these tests add that the @context does not define)."""
    unsecured, options = split(document)
    private = load_key_file(ECDSA / "p256KeyPair.json")
    proof_value = multibase_encode(ecdsa.sign_p1363(private, verify_data(unsecured, options).data))
    return {**unsecured, "proof": {**options, "proofValue": proof_value}}


def test_an_expired_ecdsa_proof_fails_and_a_previous_proof_chain_is_followed() -> None:
    key = ec_key(P256, 7)
    credential = ob3_credential(key)
    first = sign(credential, key, "ecdsa-rdfc-2019", key.id or "", created="2024-01-01T00:00:00Z",
                 options={"id": "urn:uuid:proof-1", "expires": "2024-06-01T00:00:00Z"})
    failed_with(verify(first, now=NOW), "the proof expired on 2024-06-01T00:00:00Z")
    assert verify(first, now=datetime(2024, 2, 1, tzinfo=UTC)).status == "verified"
    # A chain: the second proof signs the document with the first proof in it (Data Integrity §4.4).
    options = {"type": "DataIntegrityProof", "cryptosuite": "ecdsa-rdfc-2019", "created": "2024-01-02T00:00:00Z",
               "verificationMethod": key.id, "proofPurpose": "assertionMethod", "previousProof": "urn:uuid:proof-1"}
    chained_over = {**credential, "proof": [first["proof"]]}
    second = {**options, "proofValue": multibase_encode(ecdsa.sign_p1363(key, verify_data(chained_over, options).data))}
    chain = {**credential, "proof": [first["proof"], second]}
    result = verify(chain, now=datetime(2024, 2, 1, tzinfo=UTC))
    assert result.status == "verified" and len(result.proofs) == 2
    chain["proof"][0] = {**first["proof"], "id": "urn:uuid:other"}
    assert "previousProof 'urn:uuid:proof-1' is not among" in verify(chain, now=NOW).proofs[1].reason


# ================================================================== ecdsa-sd-2023: intermediate values


def test_employ_derived_proof_reproduces_create_verify_data() -> None:
    document = employ_derived()
    derived = parse_derived_proof_value(own_proof(document)["proofValue"])
    unsecured, options = split(document)
    options_rdf = canon.expand_to_quads({**options, "@context": unsecured["@context"]}).quads
    data = next(ecdsa.create_verify_data(derived, canon.expand_to_quads(unsecured).quads, options_rdf))
    expected = load(SD / "employ" / "verifyCreateVerifyData.json")
    assert data.proof_hash.hex() == expected["proofHash"]
    assert list(data.non_mandatory) == expected["nonMandatory"]
    assert data.mandatory_hash.hex() == expected["mandatoryHash"]
    assert sorted(data.mandatory + data.non_mandatory) == load(SD / "employ" / "verifyNQuads.json")
    keys = load(SD / "SDKeyMaterial.json")
    assert derived.proof_scoped_key.public_multibase() == keys["proofKeyPair"]["publicKeyMultibase"]
    assert own_proof(document)["verificationMethod"].endswith("#" + keys["baseKeyPair"]["publicKeyMultibase"])


@pytest.mark.parametrize("name", sorted(DERIVED))
def test_derived_proof_values_decode_and_re_encode_byte_for_byte(name: str) -> None:
    value = own_proof(load(DERIVED[name]))["proofValue"]
    derived = parse_derived_proof_value(value)
    assert serialize_derived_proof_value(derived) == value
    assert len(derived.signatures) >= 1 and all(label.startswith("u") for label in derived.label_map.values())


# ===================================================================== ecdsa-sd-2023: verification


@pytest.mark.parametrize("name", [*sorted(DERIVED), "w3c-employ"])
def test_derived_vectors_verify(name: str) -> None:
    document = employ_derived() if name == "w3c-employ" else load(DERIVED[name])
    result = verify(document, now=NOW)
    assert result.ok and result.suite == "ecdsa-sd-2023", result.reason
    assert result.proofs[0].ok and not result.warnings
    source = "fragment" if name == "1edtech-ob3" else "did:key"
    assert result.proofs[0].key_source == source


def test_the_1edtech_ob3_credential_is_verified_with_its_issuers_key_given() -> None:
    document = load(DERIVED["1edtech-ob3"])
    vm = own_proof(document)["verificationMethod"]
    key = resolve_verification_method(vm, document).key
    assert key.kind == P256
    assert verify(document, keys=[key], now=NOW).status == "verified"


def _employ_variants() -> dict[str, tuple[dict[str, Any], str, str]]:
    employ = employ_derived()
    derived = parse_derived_proof_value(own_proof(employ)["proofValue"])
    value_changed = copy.deepcopy(employ)
    value_changed["credentialSubject"]["birthCountry"] = "Bahamaz"
    mandatory_changed = copy.deepcopy(employ)
    mandatory_changed["issuer"]["image"] = mandatory_changed["issuer"]["image"].replace("iVBOR", "iVBOQ")
    removed = copy.deepcopy(employ)
    del removed["validUntil"]
    header = multibase_b64url_decode(own_proof(employ)["proofValue"])
    p384 = "z82LkuBieyGShVBhvtE2zoiD6Kma4tJGFtkAhxR5pfkp5QPw4LutoYWhvQCnGjdVn14kujQ"
    on_p384 = copy.deepcopy(employ)
    own_proof(on_p384)["verificationMethod"] = f"did:key:{p384}#{p384}"
    base = "the base signature does not verify with the issuer's key"
    return {
        "disclosed value changed": (value_changed, "disclosed statement 2 does not match its signature", "failed"),
        "mandatory value changed": (mandatory_changed, base, "failed"),
        "statement removed": (removed, "the proof carries 6 statement signatures but the reveal document has 5",
                              "failed"),
        "signature removed": (edited_derived(employ, signatures=derived.signatures[:-1]),
                              "the proof carries 5 statement signatures but the reveal document has 6", "failed"),
        "mandatory index changed": (edited_derived(employ, mandatory_indexes=(0, 4, 5, 6)), base, "failed"),
        "mandatory index out of range": (edited_derived(employ, mandatory_indexes=(0, 4, 5, 70)),
                                         "mandatory index 70 is out of range: the reveal document has 10", "failed"),
        "label missing": (edited_derived(employ, label_map={"c14n0": derived.label_map["c14n0"]}),
                          "the reveal document has blank node _:c14n1, which the proof's label map does not name",
                          "failed"),
        "truncated CBOR": (with_proof_value(employ, "u" + b64url_encode(header[:-9])),
                           "proofValue: truncated CBOR", "failed"),
        "garbage CBOR": (with_proof_value(employ, "u" + b64url_encode(b"\xd9\x5d\x01\xff\x00")),
                         "proofValue: indefinite-length items are not allowed", "failed"),
        "wrong header": (with_proof_value(employ, "u" + b64url_encode(b"\xd9\x5d\x02" + header[3:])),
                         "proofValue does not start with the ecdsa-sd-2023 derived proof header", "failed"),
        "not base64url": (with_proof_value(employ, "z" + own_proof(employ)["proofValue"][1:]),
                          "proofValue is not a base64url-no-pad multibase value", "failed"),
        "P-384 issuer key": (on_p384, "ecdsa-sd-2023 needs a P-256 issuer key", "failed"),
        "base proof": (load(SD / "employ" / "addSignedSDBase.json"),
                       "unsupported verification of an ecdsa-sd-2023 base proof (header 0xd95d00", "unsupported"),
    }


@pytest.mark.parametrize("case", sorted(_employ_variants()))
def test_tampered_derived_proofs_fail_with_one_clear_reason(case: str) -> None:
    document, reason, status = _employ_variants()[case]
    failed_with(verify(document, now=NOW), reason, status)


def test_a_tampered_1edtech_credential_fails() -> None:
    document = load(DERIVED["1edtech-ob3"])
    document["credentialSubject"]["achievement"]["name"] = "Teamwork!"
    result = verify(document, now=NOW)
    assert result.status == "failed" and "does not match its signature" in result.reason


def test_bbs_2023_stays_unsupported() -> None:
    document = load(DERIVED["w3c-windsurf"])
    own_proof(document)["cryptosuite"] = "bbs-2023"
    failed_with(verify(document, now=NOW), "unsupported cryptosuite bbs-2023", "unsupported")


# ============================================================================================== CBOR


def test_cbor_decoder_reads_the_subset_and_round_trips() -> None:
    value = [b"\x01" * 64, "text", [1, 23, 24, 255, 256, 65536, 2**32, 2**64 - 1], {0: b"", 1: [b"x"]}, []]
    assert decode_cbor(encode_cbor(value)) == value
    assert encode_cbor(24) == b"\x18\x18" and encode_cbor(b"") == b"\x40"


@pytest.mark.parametrize(("data", "message"), [
    (b"", "truncated CBOR: 1 bytes needed at offset 0, 0 left"),
    (b"\x20", "negative integers are not allowed"),
    (b"\xd8\x40\x41\x00", "tags (vc-di-ecdsa: CBOR tagging MUST NOT be used) are not allowed"),
    (b"\xf9\x00\x00", "floats and simple values are not allowed"),
    (b"\xf5", "floats and simple values are not allowed"),
    (b"\x5f\x41\x00\xff", "indefinite-length items are not allowed"),
    (b"\x1c", "reserved CBOR additional information 28"),
    (b"\x01\x02", "1 bytes follow the CBOR value"),
    (b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff", "truncated CBOR: 18446744073709551615 bytes needed"),
    (b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff", "a CBOR array of 18446744073709551615 items cannot fit"),
    (b"\xbb\x00\x00\x00\x01\x00\x00\x00\x00", "a CBOR map of 8589934592 items cannot fit"),
    (b"\x18\x05", "longer than its value needs (not the shortest form)"),  # 5 written in two bytes
    (b"\x59\x00\x01\x41", "longer than its value needs"),  # a 1-byte string with a 2-byte length
    (b"\x98\x01\x00", "longer than its value needs"),  # a 1-item array with a 1-byte count
    (b"\x81\x81\x81\x81\x81\x00", "CBOR nested deeper than 4 levels"),
    (b"\xa2\x00\x00\x00\x01", "CBOR map key 0 appears twice"),
    (b"\xa1\x80\x00", "CBOR map key must be an integer or a string"),
    (b"\x62\xc3\x28", "CBOR text string is not UTF-8"),
])
def test_cbor_decoder_refuses_everything_else_clearly(data: bytes, message: str) -> None:
    with pytest.raises(CborError, match=re.escape(message)):
        decode_cbor(data)


_REAL_PROOF_VALUES = [own_proof(load(path))["proofValue"] for path in DERIVED.values()]


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_cbor_decoder_raises_only_its_own_error(data: bytes) -> None:
    with contextlib.suppress(CborError):  # anything else (IndexError, RecursionError…) fails the test
        decode_cbor(data)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_REAL_PROOF_VALUES), st.data())
def test_fuzz_mutated_real_proof_values_parse_or_fail_cleanly(proof_value: str, data: st.DataObject) -> None:
    raw = bytearray(multibase_b64url_decode(proof_value))
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if action == "flip" and raw:
            raw[at] ^= data.draw(st.integers(1, 255))
        elif action == "insert":
            raw[at:at] = bytes([data.draw(st.integers(0, 255))])
        elif action == "delete" and raw:
            del raw[at]
        else:
            del raw[at:]
    with contextlib.suppress(CborError):
        decode_cbor(bytes(raw[3:]))
    with contextlib.suppress(ValueError):
        assert isinstance(parse_derived_proof_value("u" + b64url_encode(bytes(raw))), DerivedProof)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=120), st.integers(0, 2))
def test_fuzz_verify_never_raises_on_a_hostile_proof_value(tail: bytes, header: int) -> None:
    document = load(DERIVED["w3c-windsurf"])
    result = verify(with_proof_value(document, "u" + b64url_encode(bytes([0xD9, 0x5D, header]) + tail)), now=NOW)
    assert not result.ok and result.reason


# =============================================================================================== CLI


def test_verify_command_reports_the_vectors(tmp_path: Path) -> None:
    derived = cli("verify", DERIVED["1edtech-ob3"], SD / "prc" / "derivedRevealDocument.json")
    assert derived.exit_code == 1  # valid, but neither key provably the issuer's
    assert derived.output.count("UNVERIFIED (") == 2 and "FAILED" not in derived.output
    assert "$.proof[0]: UNVERIFIED ecdsa-sd-2023 https://1edtech.edu/issuers/565049#zDnaek" in derived.output
    given = cli("verify", P256_DIR / "signedECDSAP256.json", "--key", ECDSA / "p256KeyPair.json")
    assert given.exit_code == 0 and "signedECDSAP256.json: VERIFIED (VC on VC 2.0)" in given.output
    assert "$.proof: ok ecdsa-rdfc-2019" in given.output and DRAFT_CONTEXT_WARNING in given.output
    base = cli("verify", SD / "employ" / "addSignedSDBase.json")
    assert base.exit_code == 1 and "addSignedSDBase.json: UNSUPPORTED" in base.output and "base proof" in base.output
    tampered = load(P256_DIR / "employ" / "signedECDSAP256.json")
    tampered["name"] = "Employment Authorisation Document"
    path = write_json(tmp_path / "tampered.json", tampered)
    report = json.loads(cli("verify", path, "--format", "json").output)
    assert report["failed"] == 1
    assert report["results"][0]["reason"] == "proofValue does not match the canonical document"


def test_verify_command_on_eddsa_files_is_unchanged() -> None:
    eddsa = DATA / "ler" / "credentials" / "ob3-dcc-alignments-didkey-eddsa-rdfc-2022.json"
    result = cli("verify", eddsa)
    assert result.exit_code == 0 and ": VERIFIED (" in result.output and "ok eddsa-rdfc-2022" in result.output


# =========================================================================================== signing


@pytest.mark.parametrize(("kind", "size"), [(P256, 64), (P384, 96)])
def test_sign_then_verify_ecdsa_rdfc_2019(kind: str, size: int) -> None:
    key = ec_key(kind, 123456789)
    signed = sign(ob3_credential(key), key, "ecdsa-rdfc-2019", key.id or "", created="2024-01-01T00:00:00Z")
    proof = signed["proof"]
    assert proof["cryptosuite"] == "ecdsa-rdfc-2019" and proof["type"] == "DataIntegrityProof"
    assert len(multibase_decode(proof["proofValue"])) == size
    assert proof["verificationMethod"].startswith("did:key:" + ("zDn" if kind == P256 else "z82"))
    result = verify(signed, now=NOW)
    assert result.status == "verified" and result.suite == "ecdsa-rdfc-2019"
    tampered = copy.deepcopy(signed)
    tampered["name"] = "Other"
    assert verify(tampered, now=NOW).status == "failed"


def test_sign_refuses_a_key_of_the_wrong_kind() -> None:
    p256, ed = ec_key(P256, 5), ed25519_key(bytes(range(32)))
    with pytest.raises(ValueError, match="ecdsa-rdfc-2019 signs with P-256 or P-384 keys only; this key is Ed25519"):
        sign(ob3_credential(ed), ed, "ecdsa-rdfc-2019", did_key_vm(ed))
    with pytest.raises(ValueError, match="Ed25519 keys only"):
        sign(ob3_credential(p256), p256, "eddsa-rdfc-2022", p256.id or "")
    with pytest.raises(ValueError, match="public only"):
        sign(ob3_credential(p256), p256.public_only(), "ecdsa-rdfc-2019", p256.id or "")


def test_link_re_signs_an_ecdsa_credential_with_its_p256_key(tmp_path: Path, index: Path) -> None:
    key = ec_key(P256, 424242)
    source = write_json(tmp_path / "in" / "ecdsa.json",
                        sign(ob3_credential(key), key, "ecdsa-rdfc-2019", key.id or "", created="2024-01-01T00:00:01Z"))
    secret = key.private_key.private_numbers().private_value.to_bytes(32, "big")  # type: ignore[union-attr]
    key_file = write_json(tmp_path / "keys" / "p256.multikey.json", {
        "type": "Multikey", "id": key.id, "controller": key.controller,
        "publicKeyMultibase": key.public_multibase(), "secretKeyMultibase": encode_multikey(P256_PRIV, secret)})
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "re-signed ecdsa-rdfc-2019" in result.output and files_in(tmp_path / "out") == ["ecdsa.json"]
    linked = load(tmp_path / "out" / "ecdsa.json")
    assert linked["proof"]["cryptosuite"] == "ecdsa-rdfc-2019" and linked["proof"]["created"] == WHEN
    assert linked["credentialSubject"]["achievement"]["alignment"][0]["targetCode"].startswith("ce-")
    assert verify(linked, now=NOW).status == "verified"



def test_link_makes_only_a_display_copy_of_a_holders_derived_credential(tmp_path: Path, index: Path) -> None:
    # A verified ecdsa-sd-2023 credential is the holder's selective disclosure: nobody but the issuer (a new base
    # proof) can sign a linked one; link refuses it, and --unsigned-copy makes the display copy as for a missing key.
    source = DERIVED["1edtech-ob3"]
    refused = link(source, "--index", index, "-o", tmp_path / "out")
    assert refused.exit_code == 1 and "derived by the holder from the issuer's base proof" in refused.stdout
    assert files_in(tmp_path / "out") == []
    copied = link(source, "--index", index, "--unsigned-copy", "-o", tmp_path / "copy")
    assert copied.exit_code == 0 and "1 unsigned copy" in copied.stdout
    assert files_in(tmp_path / "copy") == ["derivedcredential.unsigned-copy.json"]
    assert "proof" not in load(tmp_path / "copy" / "derivedcredential.unsigned-copy.json")

# ============================================================================================== keys


def test_p256_and_p384_keys_load_from_multikey_pem_and_did_key() -> None:
    for kind, code, size in ((P256, P256_PRIV, 32), (P384, P384_PRIV, 48)):
        key = ec_key(kind, 99)
        secret = key.private_key.private_numbers().private_value.to_bytes(size, "big")  # type: ignore[union-attr]
        loaded = load_key({"publicKeyMultibase": key.public_multibase(),
                           "secretKeyMultibase": encode_multikey(code, secret)})
        assert loaded.kind == kind and loaded.has_private and loaded.same_public_key(key)
        pem = key.private_key.private_bytes(serialization.Encoding.PEM,  # type: ignore[union-attr]
                                            serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        assert key_from_pem(pem).same_public_key(key)
        assert load_key(did_key(key)).same_public_key(key) and key.public_jwk()["crv"] == kind
    with pytest.raises(ValueError, match="secretKeyMultibase does not match publicKeyMultibase"):
        load_key({"publicKeyMultibase": ec_key(P256, 1).public_multibase(),
                  "secretKeyMultibase": encode_multikey(P256_PRIV, (2).to_bytes(32, "big"))})
    with pytest.raises(ValueError, match="p256-priv key must be 32 bytes"):
        load_key({"secretKeyMultibase": encode_multikey(P256_PRIV, bytes(31))})


def test_a_p256_or_p384_url_fragment_names_its_key_but_never_a_private_one() -> None:
    fragment = "https://vc.example/issuers/5678#zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP"
    resolved = resolve_verification_method(fragment)
    assert resolved.source == "fragment" and resolved.key.kind == P256
    assert resolved.key.controller == "https://vc.example/issuers/5678"
    secret = load(ECDSA / "p256KeyPair.json")["secretKeyMultibase"]
    with pytest.raises(ValueError, match="not resolvable offline"):
        resolve_verification_method(f"https://vc.example/issuers/5678#{secret}")


def test_hash_data_names_its_algorithm() -> None:
    data = HashData("a", "b", "sha384")
    assert len(data.data) == 96 and data.proof_hash == hashlib.sha384(b"a").digest()
