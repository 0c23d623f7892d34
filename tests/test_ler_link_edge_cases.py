"""`ctdl ler link` edge cases from acceptance testing: a CLR linked twice, contradictory or malformed
alignments, precise JSON-LD refusals, routing wording and reports, achievements that are not objects."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("cryptography", reason="ctdl ler needs the 'cryptography' package")

from ctdl_tools.ler.jws import _sign, parse_jws
from ctdl_tools.ler.keys import did_key
from ctdl_tools.ler.link import dropped_paths
from ctdl_tools.ler.multibase import b64url_encode
from ctdl_tools.ler.proofs import vc_jwt_payload, verify
from tests._ler_support import (
    ACHIEVEMENT_1,
    CREDS,
    DEMO_KEY,
    REGISTRY,
    SAMPLE_LER,
    TEAMWORK,
    VC_V2,
    cli,
    did_key_pair,
    ed25519_jwk,
    files_in,
    ob3_credential,
    signed,
    write_json,
)
from tests._ler_support import index as index
from tests._ler_support import link as link
from tests._ler_support import sample_ctdl as sample_ctdl

pytestmark = pytest.mark.usefixtures("no_network")

CLR_CONTEXTS = [VC_V2, "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
SAMPLE_WHEN = "2026-06-01T12:00:00Z"  # after the samples' own validFrom


def report(*args: str | Path) -> dict[str, Any]:
    return json.loads(link(*args, "--format", "json").output)  # type: ignore[no-any-return]


def reported_twice(result: dict[str, Any]) -> list[tuple[str, str]]:
    counts = Counter((found["path"], found["ctid"]) for found in result["links"])
    return [key for key, count in counts.items() if count > 1]


def ce_alignment(ctid: str, name: str) -> dict[str, Any]:
    return {"type": ["Alignment"], "targetCode": ctid,
            "targetFramework": "Credential Transparency Description Language", "targetName": name,
            "targetType": "ceterms:Credential", "targetUrl": REGISTRY + ctid}


def _clr(outer: Any, nested: list[Any], achievements: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    subject: dict[str, Any] = {"id": "did:example:learner", "type": ["ClrSubject"], "verifiableCredential": nested}
    if achievements is not None:
        subject["achievement"] = achievements
    return {"@context": CLR_CONTEXTS, "id": "urn:uuid:7e1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b",
            "type": ["VerifiableCredential", "ClrCredential"],
            "issuer": {"id": did_key(outer), "type": ["Profile"], "name": "Example University"},
            "validFrom": "2024-02-01T00:00:00Z", "name": "Transcript", "credentialSubject": subject}


def _jwt(claims: dict[str, Any], key: Any) -> str:
    header = {"alg": "EdDSA", "typ": "JWT", "jwk": key.public_jwk()}
    encoded = f"{b64url_encode(json.dumps(header).encode())}.{b64url_encode(json.dumps(claims).encode())}"
    return f"{encoded}.{b64url_encode(_sign(key, 'EdDSA', encoded.encode()))}"


# =========================================================== 1: a linked CLR, linked again, changes nothing


@pytest.mark.parametrize("extra", [[], ["--unsigned-copy"], ["--issuer-key", str(DEMO_KEY)]],
                         ids=["no-key", "unsigned-copy", "issuer-key"])
def test_an_already_linked_clr_is_left_as_it_is_with_or_without_the_key(tmp_path: Path, sample_ctdl: Path,
                                                                         extra: list[str]) -> None:
    source = SAMPLE_LER / "transcript.clr2.json"
    first = cli("link", source, "--index", sample_ctdl, "--issuer-key", DEMO_KEY, "--issued-at", SAMPLE_WHEN,
                "-o", tmp_path / "one")
    assert first.exit_code == 0 and "1 linked" in first.output, first.output
    linked = tmp_path / "one" / source.name
    again = cli("link", linked, "--index", sample_ctdl, *extra, "-o", tmp_path / "two")
    assert again.exit_code == 0, again.output
    assert "1 already linked" in again.output and "refused" not in again.output.splitlines()[0]
    assert files_in(tmp_path / "two") == [source.name]  # no unsigned copy: nothing to show that is not there
    assert (tmp_path / "two" / source.name).read_bytes() == linked.read_bytes()
    names = [a.get("name") for a in json.loads(linked.read_text())["credentialSubject"]["achievement"]]
    assert len(names) == len(set(names))
    result = report(linked, "--index", sample_ctdl, *extra, "-o", tmp_path / "three")
    assert reported_twice(result["results"][0]) == []
    assert all(found["action"].startswith("present") for found in result["results"][0]["links"])


def test_a_nested_achievement_without_an_id_is_carried_by_the_clr_once(tmp_path: Path, index: Path) -> None:
    outer, other = did_key_pair("registrar"), did_key_pair("badge-issuer")
    nested = ob3_credential(other)
    del nested["credentialSubject"]["achievement"]["id"]
    source = write_json(tmp_path / "in" / "clr.json", signed(_clr(outer, [signed(nested, other)]), outer))
    key_file = write_json(tmp_path / "registrar.jwk", ed25519_jwk(outer))
    assert link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "one").exit_code == 0
    once = tmp_path / "one" / "clr.json"
    carried = json.loads(once.read_text())["credentialSubject"]["achievement"]
    assert len(carried) == 1 and carried[0]["alignment"] == [ce_alignment(TEAMWORK, "Teamwork")]
    again = link(once, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "two")
    assert again.exit_code == 0 and "1 already linked" in again.output, again.output
    assert (tmp_path / "two" / "clr.json").read_bytes() == once.read_bytes()


def test_a_clr_whose_own_achievement_is_a_single_object_gets_the_nested_link_beside_it(tmp_path: Path,
                                                                                      index: Path) -> None:
    outer, other = did_key_pair("registrar"), did_key_pair("badge-issuer")
    clr = _clr(outer, [signed(ob3_credential(other), other)])
    clr["issuer"]["name"] = "Example University"
    clr["credentialSubject"]["achievement"] = ob3_credential(outer, name="Achievement 1")["credentialSubject"][
        "achievement"]  # an object, not a list
    source = write_json(tmp_path / "in" / "clr.json", clr)
    result = link(source, "--index", index, "-o", tmp_path / "one")
    assert result.exit_code == 0 and "1 linked" in result.output, result.output
    carried = json.loads((tmp_path / "one" / "clr.json").read_text())["credentialSubject"]["achievement"]
    assert [(a["name"], a["alignment"][0]["targetCode"]) for a in carried] == [("Achievement 1", ACHIEVEMENT_1),
                                                                               ("Teamwork", TEAMWORK)]
    again = link(tmp_path / "one" / "clr.json", "--index", index, "-o", tmp_path / "two")
    assert again.exit_code == 0 and "1 already linked" in again.output


# ================================================== 2: targetCode and targetUrl naming two different records


def _conflicting() -> dict[str, Any]:
    return {"type": ["Alignment"], "targetName": "Mixed", "targetCode": TEAMWORK,
            "targetUrl": REGISTRY + ACHIEVEMENT_1, "targetType": "ceterms:Credential"}


def test_a_target_code_contradicting_the_target_url_is_refused(tmp_path: Path, index: Path) -> None:
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("k"), alignment=[_conflicting()]))
    assert cli("check", source, "--index", index).exit_code == 1  # what `check` fails, `link` must not write
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "1 refused" in result.output
    assert "$.credentialSubject.achievement.alignment[0]" in result.output
    assert TEAMWORK in result.output and ACHIEVEMENT_1 in result.output
    assert "updated" not in result.output and "added" not in result.output
    assert files_in(tmp_path / "out") == []


def test_a_signed_credential_with_a_contradictory_alignment_is_not_re_signed(tmp_path: Path, index: Path) -> None:
    key = did_key_pair("signer")
    document = signed(ob3_credential(key, alignment=[_conflicting()]), key)
    source = write_json(tmp_path / "in" / "c.json", document)
    key_file = write_json(tmp_path / "k.jwk", ed25519_jwk(key))
    result = link(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "name different registry records" in result.output
    assert "proof:" not in result.output and files_in(tmp_path / "out") == []  # nothing re-signed or dated


@pytest.mark.parametrize("alignment", [
    {"type": ["Alignment"], "targetName": "Old", "targetType": "ceterms:Credential",
     "targetUrl": "https://credentialfinder.org/credential/20229/X"},
    {"type": ["Alignment"], "targetName": "Look-alike", "targetType": "ceterms:Credential",
     "targetCode": "ce-00000000-0000-4000-8000-000000000001",
     "targetUrl": "https://credentialengineregistry.org.evil.com/resources/ce-00000000-0000-4000-8000-000000000001"},
], ids=["no-ctid", "misleading-url"])
def test_link_never_writes_a_registry_link_check_fails(tmp_path: Path, index: Path, alignment: dict) -> None:
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("k"), alignment=[alignment]))
    assert cli("check", source, "--index", index).exit_code == 1
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "$.credentialSubject.achievement.alignment[0]" in result.output
    assert files_in(tmp_path / "out") == []


# =========================================================== 3: only what expansion really drops is named


def test_only_the_untyped_alignment_is_named_and_the_fix_is_given(tmp_path: Path, index: Path) -> None:
    untyped = {"targetName": "x", "targetUrl": "https://example.org/x"}
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("k"), alignment=[untyped]))
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 1, result.output
    refusal = next(line for line in result.output.splitlines() if line.startswith("  refused:"))
    assert "$.credentialSubject.achievement.alignment[0].targetName" in refusal
    assert "$.credentialSubject.achievement.alignment[0].targetUrl" in refusal
    assert "alignment[1]" not in refusal  # the typed alignment link added survives expansion
    assert 'add "type": ["Alignment"]' in refusal


def test_dropped_paths_tells_a_typed_alignment_from_an_untyped_one() -> None:
    document = ob3_credential(did_key_pair("k"), alignment=[{"targetName": "x", "targetUrl": "https://example.org/x"},
                                                            ce_alignment(TEAMWORK, "Teamwork")])
    document["credentialSubject"]["achievement"]["resultDescription"] = [
        {"id": "urn:uuid:0d7a3c1e-8f1b-4a51-9a7e-0c3f5d2b1a99", "type": ["ResultDescription"], "name": "Skill",
         "resultType": "Status", "alignment": [ce_alignment(TEAMWORK, "Teamwork")]}]
    assert dropped_paths(document) == ["$.credentialSubject.achievement.alignment[0].targetName",
                                       "$.credentialSubject.achievement.alignment[0].targetUrl"]
    document["credentialSubject"]["achievement"]["alignment"][0]["type"] = ["Alignment"]
    assert dropped_paths(document) == []
    document["credentialSubject"]["achievement"]["ctid"] = TEAMWORK  # an undefined term, as before
    assert dropped_paths(document) == ["$.credentialSubject.achievement.ctid"]


# ====================================================================== 4: routing wording, one line per link


def test_routing_says_when_no_issuer_key_was_given(tmp_path: Path, index: Path) -> None:
    source = CREDS / "clr2-spec-testvector-signed.json"
    without = link(source, "--index", index, "--unsigned-copy", "-o", tmp_path / "out")
    assert "no --issuer-key was given" in without.output
    stranger = write_json(tmp_path / "stranger.jwk", ed25519_jwk(did_key_pair("stranger")))
    other = link(source, "--index", index, "--issuer-key", stranger, "--unsigned-copy", "-o", tmp_path / "out2")
    assert "none of the --issuer-key keys made the nested credential's proof" in other.output
    assert "no --issuer-key was given" not in other.output


def test_a_clr_achievement_reached_twice_is_reported_once(tmp_path: Path, index: Path) -> None:
    result = report(CREDS / "clr2-spec-testvector-signed.json", "--index", index, "--unsigned-copy",
                    "-o", tmp_path / "out")["results"][0]
    assert result["status"] == "unsigned copy" and reported_twice(result) == []
    first = next(found for found in result["links"] if found["ctid"] == ACHIEVEMENT_1)
    assert first["action"].startswith("added in the CLR's achievement[0]")


def test_a_jwt_clr_achievement_reached_twice_is_reported_once(tmp_path: Path, index: Path) -> None:
    outer, other = did_key_pair("clr-jwt"), did_key_pair("nested-jwt")
    badge = ob3_credential(other, name="Achievement 1", issuer_name="Example University")  # the CLR's issuer too
    nested = _jwt(vc_jwt_payload(badge), other)
    own = json.loads(json.dumps(badge["credentialSubject"]["achievement"]))  # the CLR's copy, not yet linked
    token = _jwt(vc_jwt_payload(_clr(outer, [nested], [own])), outer)
    assert verify(token).all_ok
    source = tmp_path / "in" / "clr.jwt"
    source.parent.mkdir()
    source.write_text(token)
    key_file = write_json(tmp_path / "outer.jwk", ed25519_jwk(outer))
    result = report(source, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")["results"][0]
    assert result["status"] == "linked" and reported_twice(result) == [] and result["unmatched"] == [], result
    assert [found["action"] for found in result["links"]] == [
        "added in the CLR's achievement[0] (the nested credential is a JWT, signed byte for byte)"]
    payload = parse_jws((tmp_path / "out" / "clr.jwt").read_text()).payload_json()
    assert len(payload["credentialSubject"]["achievement"]) == 1
    again = link(tmp_path / "out" / "clr.jwt", "--index", index, "--issuer-key", key_file, "-o", tmp_path / "two")
    assert again.exit_code == 0 and "1 already linked" in again.output
    assert (tmp_path / "two" / "clr.jwt").read_bytes() == (tmp_path / "out" / "clr.jwt").read_bytes()


# ============================================================ 5: malformed alignments and achievements


@pytest.mark.parametrize("member, value", [("targetUrl", 5), ("targetCode", ["x"])])
def test_an_alignment_member_that_is_not_a_string_is_refused_at_its_path(tmp_path: Path, index: Path,
                                                                         member: str, value: Any) -> None:
    alignment = {"type": ["Alignment"], "targetName": "x", "targetUrl": "https://example.org/x", member: value}
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("k"), alignment=[alignment]))
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "1 refused" in result.output
    assert f"$.credentialSubject.achievement.alignment[0].{member} is a" in result.output
    assert files_in(tmp_path / "out") == []


def test_an_achievement_that_is_not_an_object_gets_a_reason(tmp_path: Path, index: Path) -> None:
    document = ob3_credential(did_key_pair("k"))
    document["credentialSubject"]["achievement"] = "just a string"
    source = write_json(tmp_path / "in" / "c.json", document)
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 0 and "1 achievement unmatched" in result.output
    assert "$.credentialSubject.achievement 'just a string': invalid: an achievement must be an object" \
        in result.output
    unmatched = report(source, "--index", index, "-o", tmp_path / "out2")["results"][0]["unmatched"]
    assert [(u["path"], u["status"]) for u in unmatched] == [("$.credentialSubject.achievement", "invalid")]
