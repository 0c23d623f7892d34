"""Regressions from the second `ctdl ler` acceptance test: batches with unreadable files, whose key a --key
is, registry URL forms, hosted OB 2.0 assertions, --map rows, proofs that cannot be checked offline or use a
suite not implemented here, display copies, and links that `check` fails in what `link` writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("cryptography", reason="ctdl ler needs the 'cryptography' package")

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from ctdl_tools.ler.jws import sign_jws
from ctdl_tools.ler.keys import P256, IssuerKey, did_key, did_key_vm, ed25519_key, load_key
from ctdl_tools.ler.multibase import multibase_encode
from ctdl_tools.ler.proofs import sign, verify, verify_data
from tests._ler_support import (
    EXAMPLE_CORP,
    FRAMEWORK,
    REGISTRY,
    TEAMWORK,
    cli,
    did_key_pair,
    ed25519_jwk,
    files_in,
    ob3_credential,
    rsa_key,
    signed,
    write_json,
)
from tests._ler_support import index as index
from tests._ler_support import link as link

pytestmark = pytest.mark.usefixtures("no_network")

OB2 = "https://w3id.org/openbadges/v2"


def _batch(folder: Path) -> tuple[Path, Path]:
    """Two good unsigned credentials and two unreadable files."""
    write_json(folder / "good-1.json", ob3_credential(did_key_pair("b1")))
    write_json(folder / "good-2.json", ob3_credential(did_key_pair("b2")))
    (folder / "broken.json").write_text('{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ')
    (folder / "empty.json").write_text("")
    return folder / "broken.json", folder / "empty.json"


def _jsonl(path: Path) -> Path:
    lines = [json.dumps(ob3_credential(did_key_pair(f"l{n}"))) for n in range(2)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{lines[0]}\n{{\"broken\": \n{lines[1]}\n")
    return path


# ================================================================ 1: one unreadable file does not stop a batch


def test_link_reports_each_unreadable_file_and_links_the_others(tmp_path: Path, index: Path) -> None:
    # Found in acceptance testing: 5 unreadable files in a folder of 200 stopped the whole batch (exit 2,
    # one message, nothing written); verify already reported each and went on.
    _batch(tmp_path / "in")
    result = link(tmp_path / "in", "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr.count("error:") == 2
    assert "broken.json: invalid JSON at line 1" in result.stderr and "empty.json: file is empty" in result.stderr
    assert files_in(tmp_path / "out") == ["good-1.json", "good-2.json"]
    assert "2 linked" in result.stdout and "2 unreadable" in result.stdout
    report = json.loads(link(tmp_path / "in", "--index", index, "--format", "json", "-o", tmp_path / "o2").stdout)
    assert sorted(Path(u["input"]).name for u in report["unreadable"]) == ["broken.json", "empty.json"]


def test_check_reports_each_unreadable_file_and_checks_the_others(tmp_path: Path, index: Path) -> None:
    # Found in acceptance testing: check stopped at the first unreadable file too.
    _batch(tmp_path / "in")
    linked = tmp_path / "linked"
    link(tmp_path / "in", "--index", index, "-o", linked)
    for bad in _batch(tmp_path / "in"):
        (linked / bad.name).write_bytes(bad.read_bytes())
    result = cli("check", linked, "--index", index)
    assert result.exit_code == 1 and result.stderr.count("error:") == 2
    assert "good-1.json: 1 registry link(s)" in result.stdout and "good-2.json: 1 registry link(s)" in result.stdout


def test_nothing_readable_at_all_is_still_exit_2(tmp_path: Path, index: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "broken.json").write_text("{")
    (folder / "empty.json").write_text("")
    for command in (["link", "--index", str(index), "-o", str(tmp_path / "out")], ["check", "--index", str(index)]):
        result = cli(command[0], folder, *command[1:])
        assert result.exit_code == 2 and result.stderr.count("error:") == 2, command
    assert files_in(tmp_path / "out") == []


def test_a_bad_json_lines_line_is_reported_by_its_line_and_the_others_are_linked(tmp_path: Path,
                                                                                 index: Path) -> None:
    # Found in acceptance testing: one bad line stopped the file, and was named "row 3 … line 1, column 11".
    source = _jsonl(tmp_path / "in" / "many.jsonl")
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "many.jsonl, line 2: invalid JSON at column 11" in result.stderr
    assert "row" not in result.stderr and "line 1," not in result.stderr
    written = (tmp_path / "out" / "many.jsonl").read_text().splitlines()
    assert len(written) == 3 and written[1] == '{"broken": '  # kept in its place, as a refused line is
    assert all(json.loads(written[i])["credentialSubject"]["achievement"]["alignment"] for i in (0, 2))
    verified = cli("verify", source)
    assert "many.jsonl, line 2" in verified.stderr and verified.stdout.count("UNSIGNED") == 2


def test_the_unsigned_copies_file_of_json_lines_holds_no_unreadable_line(tmp_path: Path, index: Path) -> None:
    key = did_key_pair("copy")
    lines = [json.dumps(signed(ob3_credential(key), key)), "{oops"]
    source = tmp_path / "in" / "many.jsonl"
    source.parent.mkdir()
    source.write_text("\n".join(lines) + "\n")
    result = link(source, "--index", index, "--unsigned-copy", "-o", tmp_path / "out")
    assert result.exit_code == 1
    copies = (tmp_path / "out" / "many.unsigned-copy.jsonl").read_text()
    assert "{oops" not in copies and "Unsigned display copy" in copies


# ======================================================================== 2: a --key must be the issuer's


def _foreign_signed(tmp_path: Path, key_id: str | None) -> tuple[Path, Path]:
    """A credential claiming issuer B, signed by a key whose file (kid) names issuer A."""
    key = ed25519_key(bytes(range(70, 102)))
    document = ob3_credential(key, issuer_id="https://college-b.example/issuer")
    vm = f"https://college-b.example/issuer#{key.public_multibase()}"
    source = write_json(tmp_path / "in" / "b.json", sign(document, key, "eddsa-rdfc-2022", vm,
                                                       created="2024-01-01T00:00:01Z"))
    jwk = {k: v for k, v in ed25519_jwk(key.with_id(key_id)).items() if k != "d"}
    return source, write_json(tmp_path / "keys" / "a.jwk.json", jwk)


def test_a_key_whose_file_names_another_issuer_does_not_verify(tmp_path: Path) -> None:
    # Found in acceptance testing: a key whose kid names issuer A made a credential claiming issuer B VERIFIED.
    source, key_file = _foreign_signed(tmp_path, "https://college-a.example/issuer#key-1")
    result = cli("verify", source, "--key", key_file)
    assert result.exit_code == 1 and "b.json: FAILED" in result.stdout
    assert "its file names https://college-a.example/issuer as its controller" in result.stdout
    assert "the credential's issuer is https://college-b.example/issuer" in result.stdout


@pytest.mark.parametrize("member", ["controller", "owner"])
def test_a_key_file_controller_or_owner_is_checked_too(tmp_path: Path, member: str) -> None:
    from ctdl_tools.ler.keys import key_owner  # (added with the fix)

    source, key_file = _foreign_signed(tmp_path, None)
    write_json(key_file, {**json.loads(key_file.read_text()), member: "https://college-a.example/issuer"})
    assert key_owner(load_key(key_file.read_text())) == "https://college-a.example/issuer"
    assert "b.json: FAILED" in cli("verify", source, "--key", key_file).stdout


def test_a_key_that_names_no_controller_verifies_but_says_the_owner_was_not_checked(tmp_path: Path) -> None:
    source, key_file = _foreign_signed(tmp_path, None)
    result = cli("verify", source, "--key", key_file)
    assert result.exit_code == 0 and "b.json: VERIFIED" in result.stdout
    assert "names no controller" in result.stdout and "was not checked" in result.stdout


def test_link_never_re_signs_with_a_key_whose_file_names_another_issuer(tmp_path: Path, index: Path) -> None:
    key = ed25519_key(bytes(range(70, 102)))
    source, _ = _foreign_signed(tmp_path, None)
    private = write_json(tmp_path / "keys" / "a-private.jwk.json",
                         ed25519_jwk(key.with_id("https://college-a.example/issuer#key-1")))
    result = link(source, "--index", index, "--issuer-key", private, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "refused" in result.stdout and "is not the issuer's" in result.stdout
    assert files_in(tmp_path / "out") == []


# ================================================================================ 3: registry URL forms


@pytest.mark.parametrize(("url", "why"), [
    (f"https://sandbox.credentialengineregistry.org/resources/{TEAMWORK}", "a sandbox or test registry"),
    (f"{REGISTRY}{TEAMWORK}/", "a trailing '/'"),
    (f"{REGISTRY}{TEAMWORK}?x=1", "it has a query (?x=1)"),
    (f"{REGISTRY}{TEAMWORK}#top", "it has a fragment (#top)"),
    (f"http://credentialengineregistry.org/resources/{TEAMWORK}", "http, not https"),
    (f"https://credentialengineregistry.org/graph/{TEAMWORK}", "its path is '/graph/"),
])
def test_check_warns_for_every_form_but_the_production_resource_uri(tmp_path: Path, index: Path, url: str,
                                                                    why: str) -> None:
    # Found in acceptance testing: a sandbox registry URI, a trailing '/' and a query passed silently.
    alignment = {"type": ["Alignment"], "targetType": "ceterms:Credential", "targetCode": TEAMWORK,
                 "targetName": "Teamwork", "targetUrl": url}
    source = write_json(tmp_path / "c.json", ob3_credential(did_key_pair("u"), alignment=[alignment]))
    result = cli("check", source, "--index", index)
    assert result.exit_code == 0 and "WARNING" in result.stdout and why in result.stdout
    alignment["targetUrl"] = f"{REGISTRY}{TEAMWORK}"
    write_json(source, ob3_credential(did_key_pair("u"), alignment=[alignment]))
    assert "1 ok, 0 warning, 0 failed" in cli("check", source, "--index", index).stdout


# ========================================================== 4: a hosted OB 2.0 assertion is the issuer's


def test_a_hosted_assertion_with_an_embedded_badge_is_left_to_the_issuer(tmp_path: Path, index: Path) -> None:
    # Found in acceptance testing: the embedded BadgeClass of a hosted assertion was edited silently.
    assertion = {"@context": OB2, "type": "Assertion", "id": "https://example.org/assertions/8",
                 "recipient": {"type": "email", "hashed": False, "identity": "learner@example.org"},
                 "issuedOn": "2019-05-01T00:00:00Z", "verification": {"type": "hosted"},
                 "badge": {"id": "https://example.org/badges/teamwork", "type": "BadgeClass", "name": "Teamwork",
                           "description": "Works well with others.", "image": "https://example.org/t.png",
                           "criteria": {"narrative": "Peer nominated."},
                           "issuer": {"id": "https://example.org/issuer", "type": "Profile",
                                      "name": "Example Corp"}}}
    source = write_json(tmp_path / "in" / "hosted.json", assertion)
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 0 and "$.badge is embedded in a hosted assertion" in result.stdout
    assert "the issuer's hosted copy is the source of truth" in result.stdout and "+ $.badge" not in result.stdout
    assert (tmp_path / "out" / "hosted.json").read_bytes() == source.read_bytes()


# ============================================================================================ 5: --map rows


def _map(tmp_path: Path, *rows: str) -> Path:
    mapping = tmp_path / "map.csv"
    mapping.write_text("achievement,ctid\n" + "".join(f"{row}\n" for row in rows))
    return mapping


def test_a_map_row_naming_a_ctid_not_in_the_index_fails_the_run(tmp_path: Path, index: Path) -> None:
    # Found in acceptance testing: an explicit instruction that could not be carried out still exited 0.
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("m")))
    absent = "ce-99999999-9999-4999-8999-999999999999"
    result = link(source, "--index", index, "--map", _map(tmp_path, f"Teamwork,{absent}"), "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert f"map row refused: --map {tmp_path / 'map.csv'} row 2 names {absent}" in result.stdout
    assert "1 --map row refused" in result.stdout


@pytest.mark.parametrize(("ctid", "kind"), [(EXAMPLE_CORP, "ceterms:CredentialOrganization"),
                                            (FRAMEWORK, "ceasn:CompetencyFramework")])
def test_a_map_row_to_an_organization_or_framework_is_refused(tmp_path: Path, index: Path, ctid: str,
                                                              kind: str) -> None:
    # Found in acceptance testing: an achievement was "linked" to its issuer's organization record.
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("m")))
    result = link(source, "--index", index, "--map", _map(tmp_path, f"Teamwork,{ctid}"), "-o", tmp_path / "out")
    assert result.exit_code == 1 and f"row 2 names {ctid}, a {kind}" in result.stdout
    written = json.loads((tmp_path / "out" / "c.json").read_text())
    assert "alignment" not in written["credentialSubject"]["achievement"]


def test_two_map_rows_with_different_ctids_for_one_achievement_are_an_error(tmp_path: Path, index: Path) -> None:
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("m")))
    mapping = _map(tmp_path, f"Teamwork,{TEAMWORK}", "Other,ce-55555555-5555-4555-8555-555555555555",
                   "Teamwork,ce-44444444-4444-4444-8444-444444444444")
    result = link(source, "--index", index, "--map", mapping, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "row 4: maps 'Teamwork'" in result.stderr and "row 2 maps it" in result.stderr
    assert files_in(tmp_path / "out") == []
    repeated = _map(tmp_path, f"Teamwork,{TEAMWORK}", f"Teamwork,{TEAMWORK}")  # the same row twice is fine
    assert link(source, "--index", index, "--map", repeated, "-o", tmp_path / "out").exit_code == 0


# ======================================================= 6: a proof that cannot be checked offline (did:web)


def _did_web(tmp_path: Path) -> Path:
    key = ed25519_key(bytes(range(9, 41)))
    document = ob3_credential(key, issuer_id="did:web:college.example")
    proved = sign(document, key, "eddsa-rdfc-2022", "did:web:college.example#key-1", created="2024-01-01T00:00:01Z")
    return write_json(tmp_path / "in" / "web.json", proved)


def test_a_did_web_proof_is_unchecked_not_failed(tmp_path: Path) -> None:
    # Found in acceptance testing: a did:web credential was FAILED although nothing was wrong with it.
    source = _did_web(tmp_path)
    result = cli("verify", source)
    assert result.exit_code == 1
    assert "web.json: UNCHECKED (OB 3.0.3 on VC 2.0): cannot be verified offline (did:web: give the key with --key)" \
        in result.stdout
    report = json.loads(cli("verify", source, "--format", "json").stdout)
    assert report["failed"] == 0 and report["unchecked"] == 1 and report["results"][0]["status"] == "unchecked"


def test_link_names_only_options_it_has_and_may_make_a_display_copy(tmp_path: Path, index: Path) -> None:
    # Found in acceptance testing: link's refusal said "give the issuer's CryptographicKey file with --key".
    source = _did_web(tmp_path)
    refused = link(source, "--index", index, "-o", tmp_path / "out")
    assert refused.exit_code == 1 and "cannot be verified offline" in refused.stdout
    assert "--issuer-key" in refused.stdout and "file with --key" not in refused.stdout
    copied = link(source, "--index", index, "--unsigned-copy", "-o", tmp_path / "out")
    assert copied.exit_code == 0 and files_in(tmp_path / "out") == ["web.unsigned-copy.json"]
    assert "display copy made by ctdl ler link --unsigned-copy" in cli("verify", tmp_path / "out").stdout


def test_an_ob2_jws_without_its_key_is_refused_naming_issuer_key(tmp_path: Path, index: Path) -> None:
    source = tmp_path / "in" / "a.jws"
    source.parent.mkdir()
    source.write_text(sign_jws(json.dumps(_ob2_signed()).encode(), rsa_key("ob2r2"), "RS256", None, typ=None))
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "CryptographicKey file with --key" not in result.stdout
    assert "pass the issuer's private key with --issuer-key" in result.stdout


# ===================================================================== 7: display copies and --require-proof


def test_verify_names_the_display_copy_and_require_proof_fails_it(tmp_path: Path, index: Path) -> None:
    # Found in acceptance testing: verify said only "UNSIGNED: no proof" (exit 0) of link's own display copies.
    key = did_key_pair("d")
    source = write_json(tmp_path / "in" / "c.json", signed(ob3_credential(key), key))
    link(source, "--index", index, "--unsigned-copy", "-o", tmp_path / "out")
    copy_file = tmp_path / "out" / "c.unsigned-copy.json"
    result = cli("verify", copy_file)
    assert result.exit_code == 0  # documented: unsigned input exits 0 (samples/demo.sh verifies a BadgeClass)
    assert ("c.unsigned-copy.json: UNSIGNED display copy made by ctdl ler link --unsigned-copy: not a verifiable "
            "credential") in result.stdout
    assert cli("verify", copy_file, "--require-proof").exit_code == 1
    assert json.loads(cli("verify", copy_file, "--format", "json").stdout)["results"][0]["displayCopy"] is True
    unsigned = write_json(tmp_path / "u.json", ob3_credential(key))
    assert cli("verify", unsigned, "--require-proof").exit_code == 1
    assert cli("verify", source, "--require-proof").exit_code == 0


# ================================================================== 8: a suite not implemented here


def _ecdsa_rdfc_2019(tmp_path: Path) -> Path:
    """A valid ecdsa-rdfc-2019 proof (P-256), made per vc-di-ecdsa: ECDSA-SHA256 over the two hashes."""
    private = ec.derive_private_key(123456789, ec.SECP256R1())
    key = IssuerKey(P256, private.public_key(), private)
    document = ob3_credential(key, issuer_id=did_key(key))
    proof = {"type": "DataIntegrityProof", "created": "2024-01-01T00:00:00Z", "verificationMethod": did_key_vm(key),
             "cryptosuite": "ecdsa-rdfc-2019", "proofPurpose": "assertionMethod"}
    r, s = decode_dss_signature(private.sign(verify_data(document, proof).data, ec.ECDSA(hashes.SHA256())))
    proof["proofValue"] = multibase_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    return write_json(tmp_path / "in" / "ecdsa.json", {**document, "proof": proof})


def test_an_ecdsa_rdfc_2019_proof_is_verified(tmp_path: Path, index: Path) -> None:
    # Found in acceptance testing: a valid ecdsa-rdfc-2019 proof was FAILED "unsupported cryptosuite"; the suite is
    # implemented now (ler/ecdsa.py), and this proof, made here independently of it, verifies.
    source = _ecdsa_rdfc_2019(tmp_path)
    result = cli("verify", source)
    assert result.exit_code == 0 and "ecdsa.json: VERIFIED (OB 3.0.3 on VC 2.0)" in result.stdout
    assert "ok ecdsa-rdfc-2019 did:key:zDn" in result.stdout
    refused = link(source, "--index", index, "-o", tmp_path / "out")  # verified, but no key to re-sign with
    assert refused.exit_code == 1 and "re-signing needs the issuer's private key" in refused.stdout
    assert files_in(tmp_path / "out") == []


def test_an_unimplemented_suite_is_unsupported_not_failed(tmp_path: Path, index: Path) -> None:
    source = _ecdsa_rdfc_2019(tmp_path)
    document = json.loads(source.read_text(encoding="utf-8"))
    document["proof"]["cryptosuite"] = "bbs-2023"
    source.write_text(json.dumps(document), encoding="utf-8")
    result = cli("verify", source)
    assert result.exit_code == 1
    assert "ecdsa.json: UNSUPPORTED (OB 3.0.3 on VC 2.0): cryptosuite bbs-2023 is not implemented" in result.stdout
    report = json.loads(cli("verify", source, "--format", "json").stdout)
    assert report["failed"] == 0 and report["unsupported"] == 1
    refused = link(source, "--index", index, "-o", tmp_path / "out")
    assert refused.exit_code == 1 and "unsupported cryptosuite bbs-2023" in refused.stdout
    assert "re-signs only what it has verified" in refused.stdout and files_in(tmp_path / "out") == []


# ======================================================= 9: link reports the links `check` would fail


def test_link_reports_an_issuers_link_that_check_fails_against_the_same_index(tmp_path: Path,
                                                                              index: Path) -> None:
    # Found in acceptance testing: link wrote, silently, a credential that check then failed (same index).
    absent = "ce-00000000-0000-4000-8000-000000000000"
    alignment = {"type": ["Alignment"], "targetType": "CTDL", "targetCode": absent, "targetName": "Elsewhere",
                 "targetUrl": f"{REGISTRY}{absent}"}
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("w"), alignment=[alignment]))
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 0 and "c.json: linked" in result.stdout
    assert (f"warning: $.credentialSubject.achievement.alignment[0]: does not resolve: {absent} is not in "
            f"directory {index} (`ctdl ler check` with this index fails it)") in result.stdout
    assert cli("check", tmp_path / "out", "--index", index).exit_code == 1  # what the warning said


# ============================================================================================ lesser ones


def test_show_never_counts_a_misleading_target_url_as_resolved(tmp_path: Path, index: Path) -> None:
    alignment = {"type": ["Alignment"], "targetType": "ceterms:Credential", "targetCode": TEAMWORK,
                 "targetName": "Teamwork", "targetUrl": "javascript:alert(1)"}
    source = write_json(tmp_path / "c.json", ob3_credential(did_key_pair("s"), alignment=[alignment]))
    result = cli("show", source, "--index", index)
    assert "0 of 1 resolved" in result.stdout and "NOT RESOLVED (its targetUrl is not a web address" in result.stdout


def _ob2_signed() -> dict[str, Any]:
    return {"@context": OB2, "type": "Assertion", "id": "https://example.org/assertions/9",
            "recipient": {"type": "email", "hashed": False, "identity": "learner@example.org"},
            "issuedOn": "2019-05-01T00:00:00Z", "verification": {"type": "signed",
                                                                 "creator": "https://example.org/keys/1"},
            "badge": {"id": "https://example.org/badges/teamwork", "type": "BadgeClass", "name": "Teamwork",
                      "description": "Works well with others.", "image": "https://example.org/t.png",
                      "criteria": {"narrative": "Peer nominated."},
                      "issuer": {"id": "https://example.org/issuer", "type": "Profile", "name": "Example Corp"}}}


@pytest.mark.parametrize(("owner", "expected"), [("https://example.org/issuer", "VERIFIED"),
                                                 ("https://other.example/issuer", "FAILED")])
def test_an_ob2_cryptographic_key_owner_is_compared_with_the_issuer(tmp_path: Path, owner: str,
                                                                    expected: str) -> None:
    # Found in acceptance testing: "(key not named under the issuer's id)" though the key's owner was the issuer.
    key = rsa_key("ob2r2")
    token = tmp_path / "a.jws"
    token.write_text(sign_jws(json.dumps(_ob2_signed()).encode(), key, "RS256", None, typ=None))
    pem = key.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    key_file = write_json(tmp_path / "key.json", {"@context": OB2, "type": "CryptographicKey",
                                                  "id": "https://example.org/keys/1", "owner": owner,
                                                  "publicKeyPem": pem.decode()})
    result = cli("verify", token, "--key", key_file)
    assert f"a.jws: {expected}" in result.stdout and "key not named under the issuer's id" not in result.stdout
    assert verify(token.read_text(), keys=[load_key(key_file.read_text())]).status == expected.lower()
