"""`ctdl ler` proof edge cases from the acceptance test: a VC-JWT whose header `jwk` is not its `kid`'s key,
Data Integrity `expires` (verify, and what a re-signed proof keeps), `"proof": []`, `alg: none` in a batch,
and a credential past its `validUntil`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("cryptography", reason="ctdl ler needs the 'cryptography' package")

from cryptography.hazmat.primitives.asymmetric import ed25519

from ctdl_tools.ler.jws import _sign
from ctdl_tools.ler.keys import IssuerKey, ed25519_key
from ctdl_tools.ler.multibase import b64url_encode
from ctdl_tools.ler.proofs import key_matches, reissue_options, sign, vc_jwt_payload, verify
from tests._ler_support import (
    CREDS,
    TEAMWORK,
    WHEN,
    cli,
    did_key_pair,
    ed25519_jwk,
    files_in,
    ob3_credential,
    vector_key,
    write_json,
)
from tests._ler_support import index as index
from tests._ler_support import link as link

pytestmark = pytest.mark.usefixtures("no_network")

CREATED = "2000-01-01T00:00:00Z"


def stranger() -> IssuerKey:
    """A fresh Ed25519 key nobody published."""
    return ed25519_key(ed25519.Ed25519PrivateKey.generate().private_bytes_raw())


def token(claims: dict[str, Any], signer: IssuerKey, **header: Any) -> str:
    """A compact JWS with exactly ``header`` (plus alg), signed by ``signer``."""
    head = {"alg": "EdDSA", "typ": "JWT", **header}
    encoded = f"{b64url_encode(json.dumps(head).encode())}.{b64url_encode(json.dumps(claims).encode())}"
    return f"{encoded}.{b64url_encode(_sign(signer, 'EdDSA', encoded.encode()))}"


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ========================================================== 1: a VC-JWT is verified with the issuer's key


def test_a_header_jwk_that_is_not_the_kids_key_fails_even_with_the_issuers_key_given(tmp_path: Path) -> None:
    issuer, forger = did_key_pair("jwt-issuer"), stranger()
    jwt = token(vc_jwt_payload(ob3_credential(issuer)), forger, kid=issuer.id, jwk=forger.public_jwk())
    result = verify(jwt, keys=[issuer.public_only()])
    assert result.status == "failed" and not result.ok
    assert "the JWS header 'jwk' is not the key its 'kid' names" in result.reason
    assert verify(jwt, keys=[forger.public_only()]).status == "failed"  # vouching for the jwk does not help
    assert not key_matches(jwt, forger)
    source = write_text(tmp_path / "in" / "badge.jwt", jwt)
    issuer_file = write_json(tmp_path / "keys" / "issuer.pub.jwk", issuer.public_only().public_jwk())
    shown = cli("verify", source, "--key", issuer_file)
    assert shown.exit_code == 1 and "badge.jwt: FAILED" in shown.output and "UNVERIFIED" not in shown.output
    assert "give the issuer's key with --key" not in shown.output


def test_link_never_re_signs_a_vc_jwt_with_a_key_that_is_not_the_issuers(tmp_path: Path, index: Path) -> None:
    issuer, forger = did_key_pair("jwt-issuer"), stranger()
    document = ob3_credential(issuer)
    forged = write_text(tmp_path / "in" / "kid.jwt",
                        token(vc_jwt_payload(document), forger, kid=issuer.id, jwk=forger.public_jwk()))
    no_kid = write_text(tmp_path / "in2" / "nokid.jwt", token(vc_jwt_payload(document), forger,
                                                              jwk=forger.public_jwk()))
    forger_file = write_json(tmp_path / "keys" / "forger.jwk", ed25519_jwk(forger))
    for source in (forged, no_kid):
        result = link(source, "--index", index, "--issuer-key", forger_file, "-o", tmp_path / "out")
        assert result.exit_code == 1 and "refused" in result.output and "re-signed JWS" not in result.output
        assert "the JWS header 'jwk' is not the key" in result.output
    assert files_in(tmp_path / "out") == []


def test_without_kid_a_vc_jwt_must_verify_with_the_issuers_did_key() -> None:
    issuer, forger = did_key_pair("jwt-issuer"), stranger()
    claims = vc_jwt_payload(ob3_credential(issuer))
    foreign = verify(token(claims, forger, jwk=forger.public_jwk()))
    assert foreign.status == "failed" and "is not the key the issuer's did:key names" in foreign.reason
    own = verify(token(claims, issuer, jwk=issuer.public_jwk()))  # the issuer's did:key: self-certifying
    assert own.status == "verified" and own.proofs[0].key_source == "did:key" and own.proofs[0].issuer_match
    bare = verify(token(claims, issuer))  # neither kid nor jwk: the issuer's did:key still names the key
    assert bare.status == "verified"


def test_link_re_signs_an_https_kid_jwt_only_with_a_key_file_carrying_that_id(tmp_path: Path, index: Path) -> None:
    # As for Data Integrity: a kid that cannot be resolved offline is vouched for by the key file's id, not by
    # the header jwk the token carries.
    kid, key = "https://example.org/issuers/1#key-1", stranger()
    jwt = token(vc_jwt_payload(ob3_credential(key, issuer_id="https://example.org/issuers/1")), key, kid=kid,
                jwk=key.public_jwk())
    source = write_text(tmp_path / "in" / "badge.jwt", jwt)
    bare = write_json(tmp_path / "keys" / "bare.jwk", ed25519_jwk(key))
    refused = link(source, "--index", index, "--issuer-key", bare, "-o", tmp_path / "out")
    assert refused.exit_code == 1 and "cannot be resolved offline" in refused.output
    assert files_in(tmp_path / "out") == []
    named = write_json(tmp_path / "keys" / "named.jwk", ed25519_jwk(key.with_id(kid)))
    done = link(source, "--index", index, "--issuer-key", named, "-o", tmp_path / "out")
    assert done.exit_code == 0 and "re-signed JWS" in done.output


def test_a_kid_that_resolves_still_verifies_with_a_matching_jwk() -> None:
    issuer = did_key_pair("jwt-issuer")
    result = verify(token(vc_jwt_payload(ob3_credential(issuer)), issuer, kid=issuer.id, jwk=issuer.public_jwk()))
    assert result.status == "verified" and result.proofs[0].key_source == "did:key"


def test_an_untrusted_key_hint_does_not_ask_for_a_key_that_was_given(tmp_path: Path) -> None:
    forger = stranger()
    credential = {k: v for k, v in json.loads((CREDS / "ob3-spec-testvector-signed.json").read_text()).items()
                  if k != "proof"}
    vm = f"{credential['issuer']['id']}#{forger.public_multibase()}"  # a fragment key: named only in it
    source = write_json(tmp_path / "forged.json", sign(credential, forger, "eddsa-rdfc-2022", vm, created=CREATED))
    real = write_json(tmp_path / "real.jwk", vector_key().public_only().public_jwk())
    result = cli("verify", source, "--key", real)
    assert result.exit_code == 1 and "UNVERIFIED" in result.output
    assert "it is none of the keys given with --key" in result.output
    assert "give the issuer's key with --key" not in result.output


# ============================================================================ 2: Data Integrity expires


def _signed_with(options: dict[str, Any], key: IssuerKey | None = None, **extra: Any) -> dict[str, Any]:
    key = key or did_key_pair("di-issuer")
    document = {**ob3_credential(key), **extra}
    return sign(document, key, "eddsa-rdfc-2022", key.id or "", created=CREATED, options=options)


def test_a_proof_past_its_expires_fails_naming_the_date(tmp_path: Path) -> None:
    credential = _signed_with({"expires": "2001-01-01T00:00:00Z"})
    result = verify(credential)
    assert result.status == "failed"
    assert "the proof expired on 2001-01-01T00:00:00Z" in result.reason
    assert verify(credential, now=datetime(2000, 6, 1, tzinfo=UTC)).status == "verified"  # the clock decides
    assert verify(_signed_with({"expires": "2999-01-01T00:00:00Z"})).status == "verified"
    source = write_json(tmp_path / "expired.json", credential)
    shown = cli("verify", source)
    assert shown.exit_code == 1 and "expired.json: FAILED" in shown.output and "2001-01-01T00:00:00Z" in shown.output


def test_a_malformed_expires_fails() -> None:
    credential = _signed_with({"expires": "2999-01-01T00:00:00Z"})
    credential["proof"]["expires"] = "someday"
    result = verify(credential)
    assert result.status == "failed" and "is not an XML Schema dateTimeStamp" in result.reason


def test_sign_keeps_proof_options_and_refuses_a_proof_expired_when_made() -> None:
    credential = _signed_with({"domain": "example.org", "challenge": "abc", "expires": "2999-01-01T00:00:00Z"})
    proof = credential["proof"]
    assert (proof["domain"], proof["challenge"], proof["expires"]) == ("example.org", "abc", "2999-01-01T00:00:00Z")
    assert verify(credential).status == "verified"
    tampered = {**credential, "proof": {**proof, "domain": "evil.example"}}  # the options are signed
    assert verify(tampered).status == "failed"
    with pytest.raises(ValueError, match="would be expired when made"):
        _signed_with({"expires": "1999-01-01T00:00:00Z"})
    with pytest.raises(ValueError, match="cannot be given"):
        _signed_with({"proofPurpose": "authentication"})


def test_reissue_options_keep_what_the_issuer_signed_and_say_what_they_drop() -> None:
    old = {"id": "urn:uuid:11111111-1111-4111-8111-111111111111", "type": "DataIntegrityProof",
           "created": CREATED, "expires": "2999-01-01T00:00:00Z", "verificationMethod": "did:key:z#z",
           "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "assertionMethod", "domain": "example.org",
           "challenge": "abc", "nonce": "n-1", "proofValue": "z1"}
    kept, notes = reissue_options(old)
    assert kept == {"expires": "2999-01-01T00:00:00Z", "domain": "example.org", "challenge": "abc", "nonce": "n-1"}
    assert len(notes) == 1 and "id 'urn:uuid:11111111-1111-4111-8111-111111111111' is not carried over" in notes[0]
    with pytest.raises(ValueError, match="previousProof"):
        reissue_options({**old, "previousProof": "urn:uuid:0"})


def test_link_re_signing_keeps_domain_challenge_and_expires(tmp_path: Path, index: Path) -> None:
    key = did_key_pair("di-issuer")
    options = {"id": "urn:uuid:11111111-1111-4111-8111-111111111111", "expires": "2999-01-01T00:00:00Z",
               "domain": "example.org", "challenge": "abc"}
    source = write_json(tmp_path / "in" / "badge.json", _signed_with(options, key))
    key_file = write_json(tmp_path / "k.jwk", ed25519_jwk(key))
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    new = json.loads((tmp_path / "out" / "badge.json").read_text())
    proof = new["proof"]
    assert (proof["domain"], proof["challenge"], proof["expires"]) == ("example.org", "abc", "2999-01-01T00:00:00Z")
    assert "id" not in proof and proof["created"] == WHEN
    assert "kept expires, domain, challenge" in result.output and "is not carried over" in result.output
    assert verify(new).status == "verified"
    assert new["credentialSubject"]["achievement"]["alignment"][0]["targetCode"] == TEAMWORK


def test_link_refuses_a_re_issue_that_would_outlive_the_old_proof(tmp_path: Path, index: Path) -> None:
    key = did_key_pair("di-issuer")
    source = write_json(tmp_path / "in" / "badge.json", _signed_with({"expires": "2989-01-01T00:00:00Z"}, key))
    key_file = write_json(tmp_path / "k.jwk", ed25519_jwk(key))
    result = cli("link", source, "--index", index, "--issuer-key", key_file, "--issued-at", "2990-01-01T00:00:00Z",
                 "-o", tmp_path / "out")
    assert result.exit_code == 1 and "would be expired when made" in result.output
    assert files_in(tmp_path / "out") == []


def test_link_refuses_a_credential_whose_proof_expired(tmp_path: Path, index: Path) -> None:
    key = did_key_pair("di-issuer")
    source = write_json(tmp_path / "in" / "badge.json", _signed_with({"expires": "2001-01-01T00:00:00Z"}, key))
    key_file = write_json(tmp_path / "k.jwk", ed25519_jwk(key))
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "the proof expired on 2001-01-01T00:00:00Z" in result.output
    assert files_in(tmp_path / "out") == []


# ============================================================================ 3: an empty proof list


def test_an_empty_proof_list_is_linked_as_an_unsigned_credential(tmp_path: Path, index: Path) -> None:
    document = {**ob3_credential(did_key_pair("unsigned")), "proof": []}
    source = write_json(tmp_path / "in" / "badge.json", document)
    assert verify(document).status == "unsigned"
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "badge.json: linked" in result.output and "does not verify" not in result.output
    new = json.loads((tmp_path / "out" / "badge.json").read_text())
    assert new["credentialSubject"]["achievement"]["alignment"][0]["targetCode"] == TEAMWORK
    assert new["validFrom"] == document["validFrom"]  # unsigned: nothing re-issued, no date moved


# ====================================================================== 4: one bad file in a verify batch


def _batch(folder: Path) -> tuple[Path, Path]:
    issuer = did_key_pair("batch")
    good = write_json(folder / "good.json", sign(ob3_credential(issuer), issuer, "eddsa-rdfc-2022", issuer.id or "",
                                                 created=CREATED))
    claims = vc_jwt_payload(ob3_credential(issuer))
    unsigned = f"{b64url_encode(json.dumps({'alg': 'none', 'kid': issuer.id}).encode())}." \
               f"{b64url_encode(json.dumps(claims).encode())}."
    return good, write_text(folder / "none.jwt", unsigned)


def test_alg_none_is_one_failed_file_not_the_end_of_the_batch(tmp_path: Path) -> None:
    good, none = _batch(tmp_path / "in")
    for args in ((none, good), (tmp_path / "in",)):
        result = cli("verify", *args)
        assert result.exit_code == 1, result.output
        assert "good.json: VERIFIED" in result.output
        assert "none.jwt: FAILED" in result.output and "alg 'none' is not supported" in result.output
    report = json.loads(cli("verify", tmp_path / "in", "--format", "json").output)
    assert {r["input"]: r["status"] for r in report["results"]} == {"good.json": "verified", "none.jwt": "failed"}
    assert report["failed"] == 1 and report["unreadable"] == []


def test_an_hmac_jwt_is_failed_too(tmp_path: Path) -> None:
    claims = vc_jwt_payload(ob3_credential(did_key_pair("batch")))
    hs = write_text(tmp_path / "hs.jwt", f"{b64url_encode(json.dumps({'alg': 'HS256'}).encode())}."
                                         f"{b64url_encode(json.dumps(claims).encode())}.c2lnbmF0dXJl")
    result = cli("verify", hs)
    assert result.exit_code == 1 and "hs.jwt: FAILED" in result.output and "never accepted" in result.output


def test_an_unreadable_file_in_a_batch_is_named_and_the_others_are_still_verified(tmp_path: Path) -> None:
    _batch(tmp_path / "in")
    write_text(tmp_path / "in" / "broken.json", '{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ')
    result = cli("verify", tmp_path / "in")
    assert result.exit_code == 2  # unreadable input, as the exit codes say
    assert "broken.json" in result.stderr and "good.json: VERIFIED" in result.output
    assert "none.jwt: FAILED" in result.output
    report = json.loads(cli("verify", tmp_path / "in", "--format", "json").stdout)
    assert [Path(u["input"]).name for u in report["unreadable"]] == ["broken.json"]


def test_link_keeps_stopping_at_bad_input_naming_the_file(tmp_path: Path, index: Path) -> None:
    _batch(tmp_path / "in")  # bad input is one message each; the rest is linked; exit 1
    result = link(tmp_path / "in", "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "none.jwt" in result.stderr and "none.jwt" not in files_in(tmp_path / "out")


# ====================================================================== 5: a credential past validUntil


def test_a_credential_past_its_valid_until_verifies_with_a_warning(tmp_path: Path) -> None:
    issuer = did_key_pair("dates")
    document = {**ob3_credential(issuer), "validFrom": CREATED, "validUntil": "2001-01-01T00:00:00Z"}
    credential = sign(document, issuer, "eddsa-rdfc-2022", issuer.id or "", created=CREATED)
    result = verify(credential)
    assert result.status == "verified"
    assert result.warnings == ("the credential expired on 2001-01-01T00:00:00Z (validUntil)",)
    assert verify(credential, now=datetime(2000, 6, 1, tzinfo=UTC)).warnings == ()
    source = write_json(tmp_path / "expired.json", credential)
    shown = cli("verify", source)
    assert shown.exit_code == 0 and "expired.json: VERIFIED" in shown.output
    assert "warning: the credential expired on 2001-01-01T00:00:00Z (validUntil)" in shown.output


def test_a_vc_jwt_past_its_exp_verifies_with_a_warning() -> None:
    issuer = did_key_pair("dates")
    claims = {**vc_jwt_payload(ob3_credential(issuer)), "exp": 978307200}  # 2001-01-01T00:00:00Z
    result = verify(token(claims, issuer, kid=issuer.id))
    assert result.status == "verified"
    assert result.warnings == ("the credential expired on 2001-01-01T00:00:00Z (JWT claim exp)",)


def test_a_json_ld_error_is_said_in_its_own_words() -> None:
    # Found in review: a VC 1.1 credential inside a VC 2.0 one (a protected term redefined) made pyld raise a
    # JsonLdError, whose words were read from a `.message` it does not have: an AttributeError (a traceback in
    # `ctdl ler link`) instead of the reason.
    from ctdl_tools.ler.canon import expand_to_quads

    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                "credentialSubject": {"@context": ["https://www.w3.org/2018/credentials/v1"], "id": "did:example:1"}}
    said = r"JSON-LD processing failed: .*protected term.*\(protected term redefinition\)"
    with pytest.raises(ValueError, match=said):
        expand_to_quads(document)
