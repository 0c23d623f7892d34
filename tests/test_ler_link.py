"""`ctdl ler link`: typed registry alignments, re-signing only with the issuer's key, never a stale proof."""

from __future__ import annotations

import copy
import difflib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("cryptography", reason="ctdl ler needs the 'cryptography' package")

from ctdl_tools.ler.formats import MAX_BYTES
from ctdl_tools.ler.jws import _sign, parse_jws, sign_jws
from ctdl_tools.ler.keys import did_key
from ctdl_tools.ler.link import dropped_paths
from ctdl_tools.ler.multibase import b64url_encode
from ctdl_tools.ler.proofs import sign_jwt, vc_jwt_payload, verify
from ctdl_tools.registry.journal import Journal
from tests._ler_support import (
    ACHIEVEMENT_1,
    CREDS,
    EXAMPLE_CORP,
    EXAMPLE_UNIVERSITY,
    LINEAR,
    LINK_DATA,
    REGISTRY,
    REQUIREMENTS,
    ROBOTICS,
    TEAMWORK,
    WHEN,
    cli,
    did_key_pair,
    ed25519_jwk,
    files_in,
    multikey,
    node,
    ob3_credential,
    rsa_jwk,
    rsa_key,
    signed,
    vector_key,
    write_index,
    write_json,
)
from tests._ler_support import index as index
from tests._ler_support import link as link

pytestmark = pytest.mark.usefixtures("no_network")


@pytest.fixture
def vector_key_file(tmp_path: Path) -> Path:
    """The 1EdTech test key as a Multikey document with secretKeyMultibase (its published form)."""
    return write_json(tmp_path / "keys" / "test-vector.multikey.json", multikey(vector_key()))


def out_json(folder: Path, name: str) -> dict[str, Any]:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def achievement_of(document: dict[str, Any]) -> dict[str, Any]:
    return document["credentialSubject"]["achievement"]


def ce_alignment(ctid: str, name: str, target_type: str = "ceterms:Credential") -> dict[str, Any]:
    return {"type": ["Alignment"], "targetCode": ctid,
            "targetFramework": "Credential Transparency Description Language", "targetName": name,
            "targetType": target_type, "targetUrl": REGISTRY + ctid}


# ====================================================================== the spec test vector, re-signed


def test_spec_vector_is_linked_and_re_signed_with_its_published_key(tmp_path: Path, index: Path,
                                                                    vector_key_file: Path) -> None:
    source = CREDS / "ob3-spec-testvector-signed.json"
    result = link(source, "--index", index, "--issuer-key", vector_key_file, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "1 linked" in result.output
    linked = out_json(tmp_path / "out", source.name)
    outcome = verify(linked)
    assert outcome.ok and outcome.suite == "eddsa-rdfc-2022"
    assert linked["proof"]["verificationMethod"] == json.loads(source.read_text())["proof"]["verificationMethod"]
    assert achievement_of(linked)["alignment"] == [ce_alignment(TEAMWORK, "Teamwork")]
    # OB 3.0 replacement: same id and issuer, newer validFrom, the award date kept in awardedDate.
    assert linked["id"] == "http://example.com/credentials/3527"
    assert linked["validFrom"] == WHEN and linked["awardedDate"] == "2010-01-01T00:00:00Z"
    assert linked["proof"]["created"] == WHEN
    assert dropped_paths({k: v for k, v in linked.items() if k != "proof"}) == []


def test_only_the_linked_parts_of_the_file_change(tmp_path: Path, index: Path, vector_key_file: Path) -> None:
    source = CREDS / "ob3-spec-testvector-signed.json"
    link(source, "--index", index, "--issuer-key", vector_key_file, "-o", tmp_path)
    before = source.read_text().splitlines()
    after = (tmp_path / source.name).read_text().splitlines()
    removed = [line for line in difflib.ndiff(before, after) if line.startswith("- ")]
    changed = {'"validFrom"', '"name": "Teamwork"', '"created"', '"proofValue"', "}"}
    assert all(any(token in line for token in changed) for line in removed), removed
    assert len(removed) == 5


def test_without_the_key_a_signed_credential_is_refused_and_nothing_written(tmp_path: Path, index: Path) -> None:
    source = CREDS / "ob3-spec-testvector-signed.json"
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "refused" in result.output and "--issuer-key" in result.output
    assert files_in(tmp_path / "out") == []


def test_unsigned_copy_has_no_proof_and_says_so_in_defined_terms(tmp_path: Path, index: Path) -> None:
    source = CREDS / "ob3-spec-testvector-signed.json"
    result = link(source, "--index", index, "--unsigned-copy", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert files_in(tmp_path / "out") == ["ob3-spec-testvector-signed.unsigned-copy.json"]
    display = out_json(tmp_path / "out", "ob3-spec-testvector-signed.unsigned-copy.json")
    assert "proof" not in display and verify(display).status == "unsigned"
    note = display["evidence"][-1]
    assert note["type"] == ["Evidence"] and "NOT a verifiable credential" in note["description"]
    assert achievement_of(display)["alignment"] == [ce_alignment(TEAMWORK, "Teamwork")]
    assert dropped_paths(display) == []  # the note survives JSON-LD expansion
    assert display["validFrom"] == "2010-01-01T00:00:00Z"  # a display copy is no re-issue


def test_running_twice_changes_nothing(tmp_path: Path, index: Path, vector_key_file: Path) -> None:
    source = CREDS / "ob3-spec-testvector-signed.json"
    link(source, "--index", index, "--issuer-key", vector_key_file, "-o", tmp_path / "one")
    result = cli("link", tmp_path / "one" / source.name, "--index", index, "--issuer-key", vector_key_file,
                 "-o", tmp_path / "two")  # another day: no --issued-at
    assert result.exit_code == 0 and "1 already linked" in result.output
    assert (tmp_path / "two" / source.name).read_bytes() == (tmp_path / "one" / source.name).read_bytes()


def test_a_tampered_credential_is_never_re_signed(tmp_path: Path, index: Path, vector_key_file: Path) -> None:
    result = link(CREDS / "ob3-validator-simple-err-proof-value.json", "--index", index, "--issuer-key",
                  vector_key_file, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "proofValue does not match" in result.output
    assert files_in(tmp_path / "out") == []


# ========================================================================================= VC 1.1


def test_vc_11_ed25519signature2020_moves_issuance_date(tmp_path: Path, index: Path) -> None:
    key = did_key_pair("vc11")
    source = write_json(tmp_path / "in" / "vc11.json",
                        signed(ob3_credential(key, vc="1.1"), key, "Ed25519Signature2020"))
    key_file = write_json(tmp_path / "key.jwk", ed25519_jwk(key))
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    linked = out_json(tmp_path / "out", "vc11.json")
    assert verify(linked).ok and linked["proof"]["type"] == "Ed25519Signature2020"
    assert linked["issuanceDate"] == WHEN and "awardedDate" not in linked  # not defined by the VC 1.1 contexts
    assert achievement_of(linked)["alignment"][0]["targetCode"] == TEAMWORK


def test_proof_list_keeps_its_shape(tmp_path: Path, index: Path) -> None:
    key = did_key_pair("list")
    document = signed(ob3_credential(key), key)
    document["proof"] = [document["proof"]]
    source = write_json(tmp_path / "in" / "list.json", document)
    key_file = write_json(tmp_path / "key.jwk", ed25519_jwk(key))
    assert link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out").exit_code == 0
    linked = out_json(tmp_path / "out", "list.json")
    assert isinstance(linked["proof"], list) and len(linked["proof"]) == 1 and verify(linked).ok


# ============================================================================================= CLR


def test_clr_test_vector_nested_credentials_re_signed_with_their_issuers_key(tmp_path: Path, index: Path,
                                                                             vector_key_file: Path) -> None:
    source = CREDS / "clr2-spec-testvector-signed.json"
    result = link(source, "--index", index, "--issuer-key", vector_key_file, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    clr = out_json(tmp_path / "out", source.name)
    outcome = verify(clr)
    assert outcome.ok and outcome.all_ok and len(outcome.nested) == 1
    nested = clr["credentialSubject"]["verifiableCredential"][0]
    assert achievement_of(nested)["alignment"][0]["targetCode"] == ACHIEVEMENT_1
    assert nested["validFrom"] == WHEN and nested["awardedDate"] == "2010-01-01T00:00:00Z"
    own = clr["credentialSubject"]["achievement"]
    assert [a["alignment"][0]["targetName"] for a in own] == ["Achievement 1", "Achievement 2"]


def _clr(outer: Any, nested_key: Any, tmp_path: Path) -> Path:
    nested = signed(ob3_credential(nested_key), nested_key)
    clr = {"@context": ["https://www.w3.org/ns/credentials/v2",
                        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
                        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
           "id": "urn:uuid:5e1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b", "type": ["VerifiableCredential", "ClrCredential"],
           "issuer": {"id": did_key(outer), "type": ["Profile"], "name": "Example University"},
           "validFrom": "2024-02-01T00:00:00Z", "name": "Transcript",
           "credentialSubject": {"id": "did:example:learner", "type": ["ClrSubject"], "verifiableCredential": [nested]}}
    return write_json(tmp_path / "in" / "clr.json", signed(clr, outer))


def test_clr_nested_credential_of_another_issuer_is_untouched_and_linked_through_the_clr(
        tmp_path: Path, index: Path) -> None:
    outer, other = did_key_pair("registrar"), did_key_pair("badge-issuer")
    source = _clr(outer, other, tmp_path)
    key_file = write_json(tmp_path / "registrar.jwk", ed25519_jwk(outer))
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    clr, original = out_json(tmp_path / "out", "clr.json"), json.loads(source.read_text())
    assert clr["credentialSubject"]["verifiableCredential"] == original["credentialSubject"]["verifiableCredential"]
    carried = clr["credentialSubject"]["achievement"]
    assert len(carried) == 1 and carried[0]["id"] == achievement_of(
        original["credentialSubject"]["verifiableCredential"][0])["id"]
    assert carried[0]["alignment"] == [ce_alignment(TEAMWORK, "Teamwork")]
    assert "in the CLR's achievement[0]" in result.output
    assert verify(clr).all_ok and clr["validFrom"] == WHEN


def test_clr_without_its_issuers_key_is_refused(tmp_path: Path, index: Path) -> None:
    outer, other = did_key_pair("registrar"), did_key_pair("badge-issuer")
    source = _clr(outer, other, tmp_path)
    key_file = write_json(tmp_path / "other.jwk", ed25519_jwk(other))  # the nested issuer's, not the CLR's
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "none of the --issuer-key keys" in result.output
    assert files_in(tmp_path / "out") == []
    assert "re-signed" not in result.output and "validFrom:" not in result.output  # nothing was written


# ============================================================================================= OB 2.0


def test_ob2_badgeclass_gets_an_ob2_alignment(tmp_path: Path, index: Path) -> None:
    source = LINK_DATA / "ob2-spec-badgeclass-alignment.json"
    mapping = tmp_path / "map.csv"
    mapping.write_text(f"achievement,ctid\nAwesome Robotics Badge,{ROBOTICS}\n")
    result = link(source, "--index", index, "--map", mapping, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    badge, original = out_json(tmp_path / "out", source.name), json.loads(source.read_text())
    assert badge["alignment"][:2] == original["alignment"]
    assert badge["alignment"][2] == {"targetName": "Awesome Robotics Badge", "targetUrl": REGISTRY + ROBOTICS,
                                     "targetFramework": "Credential Transparency Description Language",
                                     "targetCode": ROBOTICS}
    assert dropped_paths(badge) == []


def test_ob2_badgeclass_issuer_without_a_name_is_not_guessed(tmp_path: Path, index: Path) -> None:
    source = LINK_DATA / "ob2-spec-badgeclass-alignment.json"
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 0 and "1 unmatched" in result.output
    assert "not owned by the issuer https://example.org/organization.json" in result.output
    assert (tmp_path / "out" / source.name).read_bytes() == source.read_bytes()


def _ob2_assertion() -> dict[str, Any]:
    return {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": "https://example.org/assertions/7",
            "recipient": {"type": "email", "hashed": False, "identity": "learner@example.org"},
            "issuedOn": "2019-05-01T00:00:00Z",
            "badge": {"id": "https://example.org/badges/teamwork", "type": "BadgeClass", "name": "Teamwork",
                      "description": "Works well with others.", "image": "https://example.org/badges/teamwork.png",
                      "criteria": {"narrative": "Peer nominated."},
                      "issuer": {"id": "https://example.org/issuer", "type": "Profile", "name": "Example Corp"}},
            "verification": {"type": "signed", "creator": "https://example.org/keys/1"}}


def test_ob2_signed_assertion_is_re_signed_keeping_its_header(tmp_path: Path, index: Path) -> None:
    key = rsa_key("ob2")
    token = sign_jws(json.dumps(_ob2_assertion()).encode(), key, "RS256", None, typ=None)
    source = tmp_path / "in" / "assertion.jws"
    source.parent.mkdir()
    source.write_text(token + "\n")
    key_file = write_json(tmp_path / "ob2.jwk", rsa_jwk("ob2"))
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    new = (tmp_path / "out" / "assertion.jws").read_text()
    assert new.endswith("\n") and new.split(".")[0] == token.split(".")[0]
    assessed = verify(new.strip(), keys=[key.public_only().with_id("https://example.org/keys/1")])
    assert assessed.ok and assessed.format == "OB 2.0 JWS"
    payload = parse_jws(new.strip()).payload_json()
    alignment = payload["badge"]["alignment"][0]
    assert alignment["targetCode"] == TEAMWORK and "targetType" not in alignment
    assert payload["issuedOn"] == "2019-05-01T00:00:00Z"


def test_ob2_hosted_assertion_with_a_badge_url_is_left_alone(tmp_path: Path, index: Path) -> None:
    source = CREDS / "ob2-validator-basic-assertion-hosted.json"
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 0 and "$.badge is a URL" in result.output
    assert (tmp_path / "out" / source.name).read_bytes() == source.read_bytes()


# ============================================================================================== JWT


def test_vc_jwt_is_re_signed_with_updated_nbf(tmp_path: Path, index: Path) -> None:
    kid = "https://example.edu/issuers/1#key-1"
    document = ob3_credential(did_key_pair("x"), issuer_id="https://example.edu/issuers/1")
    token = sign_jwt(vc_jwt_payload(document), rsa_key("vcjwt"), "RS256", kid)
    source = tmp_path / "in" / "badge.jwt"
    source.parent.mkdir()
    source.write_text(token)
    key_file = write_json(tmp_path / "vcjwt.jwk", rsa_jwk("vcjwt", kid=kid))
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    new = (tmp_path / "out" / "badge.jwt").read_text()
    assert new.split(".")[0] == token.split(".")[0]
    assert verify(new, keys=[rsa_key("vcjwt", kid=kid).public_only()]).ok
    payload = parse_jws(new).payload_json()
    assert payload["validFrom"] == WHEN and payload["nbf"] == 1772366400 and payload["jti"] == document["id"]
    assert achievement_of(payload)["alignment"][0]["targetCode"] == TEAMWORK
    assert list(payload)[: len(document)] == list(document)  # member order kept


def test_vc_11_jwt_with_an_embedded_jwk_header(tmp_path: Path, index: Path) -> None:
    key = did_key_pair("jwt11")
    document = ob3_credential(key, vc="1.1")
    header = {"alg": "EdDSA", "typ": "JWT", "jwk": key.public_jwk()}
    payload = {"vc": document, "iss": did_key(key), "nbf": 1704067200, "jti": document["id"]}
    encoded = f"{b64url_encode(json.dumps(header).encode())}.{b64url_encode(json.dumps(payload).encode())}"
    token = f"{encoded}.{b64url_encode(_sign(key, 'EdDSA', encoded.encode()))}"
    assert verify(token).ok
    source = tmp_path / "in" / "vc11.jwt"
    source.parent.mkdir()
    source.write_text(token)
    key_file = write_json(tmp_path / "k.jwk", ed25519_jwk(key))
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    new = (tmp_path / "out" / "vc11.jwt").read_text()
    assert new.split(".")[0] == token.split(".")[0] and verify(new).ok
    claims = parse_jws(new).payload_json()
    assert claims["vc"]["issuanceDate"] == WHEN and claims["nbf"] == 1772366400
    assert claims["vc"]["credentialSubject"]["achievement"]["alignment"][0]["targetCode"] == TEAMWORK


def _jwt_with_jwk(claims: dict[str, Any], key: Any) -> str:
    header = {"alg": key_alg(key), "typ": "JWT", "jwk": key.public_jwk()}
    encoded = f"{b64url_encode(json.dumps(header).encode())}.{b64url_encode(json.dumps(claims).encode())}"
    return f"{encoded}.{b64url_encode(_sign(key, key_alg(key), encoded.encode()))}"


def key_alg(key: Any) -> str:
    return "EdDSA" if key.kind == "Ed25519" else "RS256"


def test_clr_vc_jwt_with_a_nested_vc_jwt_of_another_issuer(tmp_path: Path, index: Path) -> None:
    outer, other = did_key_pair("clr-jwt"), did_key_pair("nested-jwt")
    nested = _jwt_with_jwk(vc_jwt_payload(ob3_credential(other)), other)
    clr = {"@context": ["https://www.w3.org/ns/credentials/v2",
                        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
                        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
           "id": "urn:uuid:0e1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b", "type": ["VerifiableCredential", "ClrCredential"],
           "issuer": {"id": did_key(outer), "type": ["Profile"], "name": "Example University"},
           "validFrom": "2024-02-01T00:00:00Z", "name": "Transcript",
           "credentialSubject": {"id": "did:example:learner", "type": ["ClrSubject"], "verifiableCredential": [nested]}}
    token = _jwt_with_jwk(vc_jwt_payload(clr), outer)
    assert verify(token).all_ok
    source = tmp_path / "in" / "clr.jwt"
    source.parent.mkdir()
    source.write_text(token)
    key_file = write_json(tmp_path / "outer.jwk", ed25519_jwk(outer))
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    new = (tmp_path / "out" / "clr.jwt").read_text()
    assert verify(new).all_ok and new.split(".")[0] == token.split(".")[0]
    payload = parse_jws(new).payload_json()
    assert payload["credentialSubject"]["verifiableCredential"] == [nested]  # signed bytes left alone
    carried = payload["credentialSubject"]["achievement"][0]
    assert carried["name"] == "Teamwork" and carried["alignment"][0]["targetCode"] == TEAMWORK
    assert payload["validFrom"] == WHEN and payload["nbf"] == 1772366400


def test_jwt_without_the_key_is_refused(tmp_path: Path, index: Path) -> None:
    result = link(CREDS / "clr2-validator-simple-vcjwt-rs256.jwt", "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "re-signing needs the issuer's private key" in result.output
    assert files_in(tmp_path / "out") == []


# ===================================================================================== matching rules


def test_ambiguous_and_missing_matches_are_reported_never_guessed(tmp_path: Path) -> None:
    index = write_index(tmp_path / "index", node(EXAMPLE_CORP, "ceterms:CredentialOrganization", "Example Corp"),
                        node(TEAMWORK, "ceterms:DigitalBadge", "Teamwork", EXAMPLE_CORP),
                        node(ACHIEVEMENT_1, "ceterms:Certificate", "TEAMWORK", EXAMPLE_CORP))
    unsigned = ob3_credential(did_key_pair("a"))
    source = write_json(tmp_path / "in" / "teamwork.json", unsigned)
    missing = write_json(tmp_path / "in" / "missing.json", ob3_credential(did_key_pair("a"), name="Welding"))
    result = link(source, missing, "--index", index, "--format", "json", "-o", tmp_path / "out")
    assert result.exit_code == 0
    report = json.loads(result.output)
    ambiguous, absent = report["results"]
    assert ambiguous["status"] == "unmatched" and ambiguous["unmatched"][0]["status"] == "ambiguous"
    assert sorted(c.split()[0] for c in ambiguous["unmatched"][0]["candidates"]) == sorted([TEAMWORK, ACHIEVEMENT_1])
    assert absent["unmatched"][0]["status"] == "missing" and "no credential" in absent["unmatched"][0]["message"]
    assert (tmp_path / "out" / "teamwork.json").read_bytes() == source.read_bytes()


def test_a_name_owned_by_someone_else_is_not_a_match(tmp_path: Path, index: Path) -> None:
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("b"), issuer_name="Other College"))
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert "exists" in result.output and "not owned by the issuer Other College" in result.output


@pytest.mark.parametrize(("extra", "source"), [
    ({"otherIdentifier": [{"type": ["IdentifierEntry"], "identifier": REGISTRY + ACHIEVEMENT_1,
                           "identifierType": "identifier"}]}, "otherIdentifier"),
    ({"humanCode": f"ctid:{ACHIEVEMENT_1}"}, "humanCode"),
    ({"criteria": {"id": f"https://credentialfinder.org/credential/{ACHIEVEMENT_1}"}}, "criteria.id"),
])
def test_ctid_evidence_wins_over_the_name(tmp_path: Path, index: Path, extra: dict, source: str) -> None:
    path = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("c"), **extra))  # named "Teamwork"
    result = link(path, "--index", index, "--format", "json", "-o", tmp_path / "out")
    links = json.loads(result.output)["results"][0]["links"]
    assert [(link["ctid"], link["source"]) for link in links] == [(ACHIEVEMENT_1, source)]


def test_an_explicit_ctid_that_is_not_in_the_index_stops_matching(tmp_path: Path, index: Path) -> None:
    unknown = "ce-99999999-9999-4999-8999-999999999999"
    path = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("d"), humanCode=unknown))
    result = link(path, "--index", index, "-o", tmp_path / "out")
    assert f"humanCode names {unknown}, not in the directory" in result.output and "1 unmatched" in result.output


def test_map_file_by_achievement_id_and_bad_map_rows(tmp_path: Path, index: Path) -> None:
    document = ob3_credential(did_key_pair("e"))
    path = write_json(tmp_path / "in" / "c.json", document)
    mapping = tmp_path / "map.csv"
    mapping.write_text(f"achievement,ctid\n{achievement_of(document)['id']},{ACHIEVEMENT_1}\n")
    result = link(path, "--index", index, "--map", mapping, "--format", "json", "-o", tmp_path / "out")
    assert [link["source"] for link in json.loads(result.output)["results"][0]["links"]] == ["map"]
    mapping.write_text("achievement,ctid\nTeamwork,not-a-ctid\n")
    bad = link(path, "--index", index, "--map", mapping, "-o", tmp_path / "out2")
    assert bad.exit_code == 2 and "row 2" in bad.stderr and files_in(tmp_path / "out2") == []
    mapping.write_text(f"achievement,ctid\nTeamwork, the badge,{ACHIEVEMENT_1}\n")
    unquoted = link(path, "--index", index, "--map", mapping, "-o", tmp_path / "out2")
    assert unquoted.exit_code == 2 and "quote an achievement name" in unquoted.stderr


def test_old_finder_links_are_modernised_in_place(tmp_path: Path, index: Path) -> None:
    source = CREDS / "ob3-spec-alignment-credential-engine-unsigned.json"
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 0 and "updated" in result.output
    before = achievement_of(json.loads(source.read_text()))["alignment"]
    after = achievement_of(out_json(tmp_path / "out", source.name))["alignment"]
    assert len(after) == len(before) == 1
    assert after[0] == {**before[0], "targetUrl": REGISTRY + REQUIREMENTS}  # issuer's framework and name kept


def test_competency_alignment_is_modernised(tmp_path: Path, index: Path) -> None:
    source = LINK_DATA / "ob3-spec-skill-assertion-ctdl-unsigned.json"
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    alignment = achievement_of(out_json(tmp_path / "out", source.name))["alignment"]
    assert alignment == [{**achievement_of(json.loads(source.read_text()))["alignment"][0],
                          "targetUrl": REGISTRY + LINEAR}]


# ======================================================================================== refusals


def test_wrong_key_is_refused(tmp_path: Path, index: Path, vector_key_file: Path) -> None:
    key = did_key_pair("issuer")
    source = write_json(tmp_path / "in" / "c.json", signed(ob3_credential(key), key))
    result = link(source, "--index", index, "--issuer-key", vector_key_file, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "none of the --issuer-key keys is the key" in result.output
    assert files_in(tmp_path / "out") == []


def test_a_key_that_is_not_the_issuers_is_refused(tmp_path: Path, index: Path) -> None:
    key = did_key_pair("someone")
    document = signed(ob3_credential(key, issuer_id="https://example.edu/issuers/9"), key)
    source = write_json(tmp_path / "in" / "c.json", document)
    key_file = write_json(tmp_path / "k.jwk", ed25519_jwk(key))
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "is not the issuer's" in result.output
    assert files_in(tmp_path / "out") == []


def test_unsupported_suite_is_refused(tmp_path: Path, index: Path, vector_key_file: Path) -> None:
    document = json.loads((CREDS / "ob3-spec-testvector-signed.json").read_text())
    document["proof"]["cryptosuite"] = "bbs-2023"
    source = write_json(tmp_path / "in" / "c.json", document)
    result = link(source, "--index", index, "--issuer-key", vector_key_file, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "unsupported cryptosuite bbs-2023" in result.output


def test_undefined_terms_are_refused_with_their_json_path(tmp_path: Path, index: Path) -> None:
    document = ob3_credential(did_key_pair("f"), ctid=TEAMWORK)  # "ctid" is no OB 3.0 term: silently dropped
    source = write_json(tmp_path / "in" / "c.json", document)
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "$.credentialSubject.achievement.ctid" in result.output
    assert files_in(tmp_path / "out") == []


def test_unknown_context_is_refused(tmp_path: Path, index: Path) -> None:
    document = ob3_credential(did_key_pair("g"))
    document["@context"].append("https://example.org/contexts/mine.jsonld")
    source = write_json(tmp_path / "in" / "c.json", document)
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "https://example.org/contexts/mine.jsonld, which is not bundled" in result.output


def test_valid_from_always_moves_forward(tmp_path: Path, index: Path) -> None:
    key = did_key_pair("q")
    document = ob3_credential(key)
    document["validFrom"] = "2027-01-01T00:00:00Z"  # after --issued-at: a clock behind the issuer's
    source = write_json(tmp_path / "in" / "c.json", signed(document, key))
    key_file = write_json(tmp_path / "k.jwk", ed25519_jwk(key))
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 0
    assert out_json(tmp_path / "out", "c.json")["validFrom"] == "2027-01-01T00:00:01Z"
    # said, not silent (found in acceptance testing)
    assert f"(the re-issue time {WHEN} is not after it: one second after it)" in result.output


def test_expired_credentials_are_not_re_issued(tmp_path: Path, index: Path) -> None:
    key = did_key_pair("h")
    document = ob3_credential(key)
    document["validUntil"] = "2025-01-01T00:00:00Z"
    source = write_json(tmp_path / "in" / "c.json", signed(document, key))
    key_file = write_json(tmp_path / "k.jwk", ed25519_jwk(key))
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "expired" in result.output


@pytest.mark.parametrize(("name", "content", "message"), [
    ("broken.json", '{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": ', "invalid JSON at line 1"),
    ("broken.jwt", "eyJhbGciOiJSUzI1NiJ9.!!!.abc", "malformed JWS/JWT"),
    ("dupe.json", '{"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass", "type": "Assertion"}',
     "duplicate member 'type'"),
    ("lone.json", '{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "name": "\\udfff"}',
     "\\udfff at line 1, column 78 is half of a UTF-16 surrogate pair"),
    ("deep.json", '{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "name": '
     + "[" * 150 + "]" * 150 + "}", "deep.json, $.name[0][0][0][0][0][0][0]… (92 more levels): JSON nested more "
     "than 100 levels deep"),
    ("deeper.json", '{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "name": '
     + "[" * 5000 + "]" * 5000 + "}", "deeper.json: JSON nested more than 100 levels deep"),
    # Two lines: the JSON Lines sniffing parsed it first, and crashed (found by hand).
    ("lines.json", '{"@context": "https://w3id.org/openbadges/v2",\n "type": "Assertion", "name": '
     + "[" * 5000 + "]" * 5000 + "}", "lines.json: JSON nested more than 100 levels deep (real catalogs, CTDL and "
     "credentials nest under 15) (at line 2, column 130)"),
    ("nan.json", '{"@context": "https://w3id.org/openbadges/v2",\n "type": "Assertion", "name": NaN}',
     "NaN at line 2, column 31 is not a JSON number (RFC 8259 §6)"),
])
def test_unreadable_input_is_reported_and_the_rest_linked(tmp_path: Path, index: Path, name: str, content: str,
                                                          message: str) -> None:
    good = write_json(tmp_path / "in" / "good.json", ob3_credential(did_key_pair("i")))
    bad = tmp_path / "in" / name
    bad.write_text(content)
    result = link(good, bad, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 1 and message in result.stderr  # one bad file no longer stops the batch
    assert result.stderr.count("error:") == 1 and files_in(tmp_path / "out") == ["good.json"]


def test_oversized_input_is_refused(tmp_path: Path, index: Path) -> None:
    big = tmp_path / "in" / "big.json"
    big.parent.mkdir()
    big.write_text('{"pad": "' + "x" * MAX_BYTES + '"}')
    result = link(big, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "the limit is 10485760 (10 MiB)" in result.stderr


@pytest.mark.parametrize("case", ["missing", "public", "garbage"])
def test_bad_key_files_are_usage_errors(tmp_path: Path, index: Path, case: str) -> None:
    key_file = tmp_path / "key.json"
    if case == "public":
        write_json(key_file, vector_key().public_jwk())
    elif case == "garbage":
        key_file.write_text('{"kty": "oct", "k": "c2VjcmV0"}')
    source = CREDS / "ob3-spec-testvector-signed.json"
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 2 and result.stderr.startswith("error:") and files_in(tmp_path / "out") == []


def test_output_folder_must_not_be_the_input_folder(tmp_path: Path, index: Path) -> None:
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("j")))
    result = link(source, "--index", index, "-o", tmp_path / "in")
    assert result.exit_code == 2 and "inputs are never overwritten" in result.stderr


# ====================================================================================== shapes of files


def test_json_lines_keep_their_good_lines(tmp_path: Path, index: Path) -> None:
    good = ob3_credential(did_key_pair("k"))
    bad = ob3_credential(did_key_pair("k"), ctid="x")
    source = tmp_path / "in" / "many.jsonl"
    source.parent.mkdir()
    source.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "many.jsonl:2: refused" in result.output
    lines = (tmp_path / "out" / "many.jsonl").read_text().splitlines()
    # The refused line is kept as it was, in its place (it used to vanish): line count and order hold.
    assert len(lines) == 2 and achievement_of(json.loads(lines[0]))["alignment"][0]["targetCode"] == TEAMWORK
    assert lines[1] == source.read_text().splitlines()[1]


@pytest.mark.parametrize("style", ["compact", "tabs", "escaped"])
def test_formatting_and_strings_are_kept(tmp_path: Path, index: Path, style: str) -> None:
    document = ob3_credential(did_key_pair("l"), description="SAFe\u00c2\u00ae\u2014caf\u00e9 cafe\u0301")
    text = {"compact": json.dumps(document, separators=(",", ":"), ensure_ascii=False),
            "tabs": json.dumps(document, indent="\t", ensure_ascii=False),
            "escaped": json.dumps(document, indent=4)}[style]
    source = tmp_path / "in" / "c.json"
    source.parent.mkdir()
    source.write_text(text)
    assert link(source, "--index", index, "-o", tmp_path / "out").exit_code == 0
    new = (tmp_path / "out" / "c.json").read_text()
    description = text[text.index('"description"'):text.index('"name"', text.index('"description"'))]
    assert description in new  # the exact bytes, no re-escaping, no Unicode normalisation
    assert new.startswith(text[: text.index('"credentialSubject"')])
    if style == "compact":
        assert "\n" not in new
    if style == "tabs":
        assert '\n\t\t\t"alignment": [\n\t\t\t\t{\n\t\t\t\t\t"type": [' in new
    if style == "escaped":
        assert new.isascii()


def test_journal_index_uses_only_confirmed_records(tmp_path: Path, index: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    with Journal(journal) as writer:
        for ctid_ in (EXAMPLE_CORP, TEAMWORK, EXAMPLE_UNIVERSITY, ACHIEVEMENT_1):
            writer.mark_pending("local", ctid_, "d", org=EXAMPLE_CORP, ctdl_type="ceterms:DigitalBadge",
                                source=str(index / f"{ctid_}.json"))
        for ctid_ in (EXAMPLE_CORP, TEAMWORK, EXAMPLE_UNIVERSITY):
            writer.mark_published("local", ctid_, "d", "envelope", 1)
    sqlite3.connect(journal).close()
    first = write_json(tmp_path / "in" / "a.json", ob3_credential(did_key_pair("m")))
    second = write_json(tmp_path / "in" / "b.json", ob3_credential(did_key_pair("m"), name="Achievement 1",
                                                                   issuer_name="Example University"))
    result = link(first, second, "--index", journal, "--format", "json", "-o", tmp_path / "out")
    results = json.loads(result.output)["results"]
    assert results[0]["links"][0]["ctid"] == TEAMWORK and results[0]["links"][0]["name"] == "Teamwork"
    assert results[1]["status"] == "unmatched"  # pending, not confirmed by the registry


def test_bad_index_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("n")))
    result = link(source, "--index", tmp_path / "notes.txt", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "--index must be" in result.stderr


def test_deep_copies_are_not_shared(tmp_path: Path, index: Path) -> None:
    document = ob3_credential(did_key_pair("o"))
    before = copy.deepcopy(document)
    source = write_json(tmp_path / "in" / "c.json", document)
    link(source, "--index", index, "-o", tmp_path / "out")
    assert json.loads(source.read_text()) == before


def test_an_unchanged_jws_is_written_byte_for_byte(tmp_path: Path, index: Path) -> None:
    document = ob3_credential(did_key_pair("p"), name="Nothing matches this", issuer_id="https://example.org/k")
    payload = json.dumps(vc_jwt_payload(document), indent=1).encode()  # an unusual but valid layout
    kid = "https://example.org/k#1"
    token = sign_jws(payload, rsa_key("unchanged", kid=kid), "RS256", kid)
    source = tmp_path / "in" / "c.jwt"
    source.parent.mkdir()
    source.write_text(token)
    key_file = write_json(tmp_path / "k.jwk", rsa_jwk("unchanged", kid=kid))
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 0 and "1 unmatched" in result.output
    assert (tmp_path / "out" / "c.jwt").read_bytes() == source.read_bytes()
