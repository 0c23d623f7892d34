"""What `verify` and `check` find, as data: a credential's validity problems (proofs.ValidityProblem), each
embedded credential's own result (proofs.EmbeddedResult), a link warning's kind, message and hint
(check.LinkWarning). The texts `ctdl ler verify` / `check` print are made from that data, unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("cryptography", reason="ctdl ler needs the 'cryptography' package")

from ctdl_tools.ler import check, proofs
from ctdl_tools.ler.formats import read_file
from ctdl_tools.ler.index import open_index
from ctdl_tools.ler.proofs import (
    EXPIRED,
    NOT_YET_VALID,
    EmbeddedResult,
    ValidityProblem,
    sign_jwt,
    vc_jwt_payload,
    verify,
)
from tests._ler_support import TEAMWORK, VC_V2, cli, did_key_pair, ob3_credential, signed, write_json
from tests._ler_support import index as index

CLR = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
VC0, VC1 = "$.credentialSubject.verifiableCredential[0]", "$.credentialSubject.verifiableCredential[1]"


def _clr(*embedded: Any, **extra: Any) -> dict[str, Any]:
    return {"@context": [VC_V2, CLR, OB3], "id": "urn:uuid:0b0e8c1c-7a39-4f0e-9d7e-4f3f4e7d6c14",
            "type": ["VerifiableCredential", "ClrCredential"], "name": "Record",
            "issuer": {"id": "did:example:riverbend", "type": ["Profile"], "name": "Riverbend"},
            "validFrom": "2021-01-01T00:00:00Z", **extra,
            "credentialSubject": {"type": ["ClrSubject"], "verifiableCredential": list(embedded)}}


def _badge(label: str, **dates: str) -> dict[str, Any]:
    key = did_key_pair(label)
    return signed({**ob3_credential(key, name=label, issuer_name=label), **dates}, key)


# ========================================================================================= validity


def test_validity_problems_are_data_and_their_warnings_are_made_from_them() -> None:
    credential = _badge("expired", validUntil="2020-06-30T01:02:03+02:00")
    result = verify(credential, now=NOW)
    assert result.validity == (ValidityProblem(EXPIRED, datetime(2020, 6, 29, 23, 2, 3, tzinfo=UTC),
                                               "2020-06-30T01:02:03+02:00", "validUntil"),)
    assert result.expired is result.validity[0] and result.not_yet_valid is None
    assert result.warnings == ("the credential expired on 2020-06-30T01:02:03+02:00 (validUntil)",)
    assert result.own_warnings == result.warnings and result.notes == ()
    early = verify(_badge("ahead", validFrom="2099-01-01T00:00:00Z"), now=NOW)
    assert (early.not_yet_valid.kind, early.not_yet_valid.written, early.not_yet_valid.source) == (
        NOT_YET_VALID, "2099-01-01T00:00:00Z", "validFrom")
    assert early.expired is None and early.not_yet_valid.when == datetime(2099, 1, 1, tzinfo=UTC)
    assert verify(credential, now=datetime(2020, 1, 1, tzinfo=UTC)).validity[0].kind == NOT_YET_VALID  # 2024 on
    assert verify(_badge("ok", validUntil="2030-01-01T00:00:00Z"), now=NOW).validity == ()


def test_a_jwt_claim_bound_is_written_as_a_timestamp() -> None:
    key = did_key_pair("jwt")
    payload = {**vc_jwt_payload(ob3_credential(key)), "exp": 1_577_836_800}  # 2020-01-01T00:00:00Z
    result = verify(sign_jwt(payload, key, "EdDSA", key.id), now=NOW)
    assert result.expired == ValidityProblem(EXPIRED, datetime(2020, 1, 1, tzinfo=UTC), "2020-01-01T00:00:00Z",
                                             "JWT claim exp")
    assert result.warnings == ("the credential expired on 2020-01-01T00:00:00Z (JWT claim exp)",)


def test_the_status_note_is_a_note_after_the_validity_problems() -> None:
    credential = _badge("status", validUntil="2020-01-01T00:00:00Z",
                        credentialStatus={"type": "BitstringStatusListEntry", "id": "https://example.org/s#1"})
    result = verify(credential, now=NOW)
    assert result.notes == ("its credentialStatus (BitstringStatusListEntry) is not checked: revocation and "
                            "suspension lists are never fetched, so a revoked credential still verifies here",)
    assert result.warnings == (result.expired.message, *result.notes)


# ========================================================================================== embedded


def test_each_embedded_credential_has_its_own_result_and_path() -> None:
    old, fresh = _badge("old", validUntil="2020-06-30T00:00:00Z"), _badge("fresh")
    inner = signed(_clr(old), did_key_pair("inner"))  # a CLR in a CLR: its badge is listed too, with the path
    # in the outer one
    result = verify(_clr(fresh, inner, old), now=NOW)
    inner_old = f"{VC1}.credentialSubject.verifiableCredential[0]"
    assert [found.path for found in result.embedded] == [VC0, VC1, inner_old,
                                                         "$.credentialSubject.verifiableCredential[2]"]
    assert result.embedded_at(VC0).result.status == "verified" and result.embedded_at(VC0).warnings == ()
    assert [p.path for p in result.embedded_at(VC1).proofs] == [VC1 + ".proof"]
    assert [found.path for found in result.embedded_at(VC1).result.embedded] == [VC0]  # in the inner CLR
    deep = result.embedded_at(inner_old)
    assert isinstance(deep, EmbeddedResult) and deep.result.expired.written == "2020-06-30T00:00:00Z"
    assert [p.path for p in deep.proofs] == [inner_old + ".proof"]  # as nested lists it
    assert [p.path for p in deep.result.proofs] == ["$.proof"]  # its own result: its own paths
    assert deep.warnings == ("the credential expired on 2020-06-30T00:00:00Z (validUntil)",)
    assert result.nested == tuple(p for found in result.embedded for p in found.proofs)
    assert result.warnings == (f"embedded credential {inner_old}: the credential expired on 2020-06-30T00:00:00Z "
                               "(validUntil)",
                               "embedded credential $.credentialSubject.verifiableCredential[2]: the credential "
                               "expired on 2020-06-30T00:00:00Z (validUntil)")
    assert result.own_warnings == () and result.embedded_at("$.nowhere") is None


def test_embedded_warnings_are_made_from_the_data_not_read_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proofs, "_VALIDITY_MESSAGES", {EXPIRED: "embedded credential $.x: gone {0}",
                                                       NOT_YET_VALID: "early {0}"})
    result = verify(_clr(_badge("old", validUntil="2020-06-30T00:00:00Z")), now=NOW)
    # a warning that looks like an embedded one is still the embedded credential's own
    assert result.embedded_at(VC0).warnings == ("embedded credential $.x: gone 2020-06-30T00:00:00Z",)
    assert result.warnings == (f"embedded credential {VC0}: embedded credential $.x: gone 2020-06-30T00:00:00Z",)


def test_an_embedded_vc_jwt_and_one_without_context() -> None:
    key = did_key_pair("jwt")
    token = sign_jwt(vc_jwt_payload({**ob3_credential(key), "validUntil": "2021-05-05T00:00:00Z"}), key, "EdDSA",
                     key.id)
    broken = {k: v for k, v in _badge("broken").items() if k != "@context"}
    result = verify(_clr(token, broken), now=NOW)
    jwt, nocontext = result.embedded
    assert (jwt.path, jwt.result.format, [p.path for p in jwt.proofs]) == (VC0, "VC-JWT", [VC0])
    assert jwt.result.expired.source == "validUntil" and jwt.proofs[0].warnings == jwt.warnings
    assert (nocontext.path, nocontext.result.status, [p.path for p in nocontext.proofs]) == (
        VC1, "failed", [VC1 + ".proof"])
    assert result.verdict() == ("failed", f"embedded credential {VC1}.proof: embedded credential has no @context")


def test_an_embedded_credential_with_an_empty_proof_list_warns_under_its_own_path() -> None:
    holder = {**_clr(_badge("old", validUntil="2020-06-30T00:00:00Z")), "validUntil": "2017-01-01T00:00:00Z",
              "proof": []}
    result = verify(_clr(holder), now=NOW)
    assert result.embedded_at(VC0).warnings == ("the credential expired on 2017-01-01T00:00:00Z (validUntil)",)
    assert result.warnings == (
        f"embedded credential {VC0}: the credential expired on 2017-01-01T00:00:00Z (validUntil)",
        f"embedded credential {VC0}.credentialSubject.verifiableCredential[0]: the credential expired on "
        "2020-06-30T00:00:00Z (validUntil)")


# ============================================================================================ check


@pytest.mark.usefixtures("no_network")
def test_a_link_warning_has_a_kind_a_message_and_apart_a_hint(tmp_path: Path, index: Path) -> None:
    sandbox = "https://sandbox.credentialengineregistry.org/resources/" + TEAMWORK
    alignment = [{"type": ["Alignment"], "targetCode": TEAMWORK, "targetName": "Team work",
                  "targetType": "ceterms:Credential", "targetUrl": sandbox}]
    source = write_json(tmp_path / "c.json", ob3_credential(did_key_pair("s"), alignment=alignment))
    (link,) = check.check_credential(read_file(source).items[0], check.Resolver(open_index(str(index))))
    assert [(w.kind, bool(w.hint)) for w in link.link_warnings] == [(check.NOT_THE_RESOURCE_URI, True),
                                                                     (check.OTHER_NAME, False)]
    url_warning = link.link_warnings[0]
    assert url_warning.hint == "`ctdl ler link` writes https://credentialengineregistry.org/resources/<ctid>"
    assert url_warning.message.endswith("is a sandbox or test registry, not the production one")
    assert link.warnings == [w.text for w in link.link_warnings]
    assert link.warnings[0] == f"{url_warning.message} ({url_warning.hint})"
    said = json.loads(cli("check", source, "--index", index, "--format", "json").output)["links"][0]
    assert list(said) == ["credential", "path", "status", "ctid", "target_type", "target_url", "target_name",
                          "record_type", "record_name", "problems", "warnings"]  # the JSON as before
    assert said["warnings"] == link.warnings
    assert f"          {link.warnings[0]}" in cli("check", source, "--index", index).output
