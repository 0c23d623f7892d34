"""Regressions from the `ctdl ler` acceptance test: forged keys, poison graphs, dates at the ends of the
calendar, output locations, JSON Lines, misleading links, terminal control characters, located errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("cryptography", reason="ctdl ler needs the 'cryptography' package")

from ctdl_tools.ler import baked, check, match, rdfc
from ctdl_tools.ler.keys import did_key, did_key_vm, ed25519_key
from ctdl_tools.ler.proofs import sign, verify
from tests._ler_support import (
    CREDS,
    REGISTRY,
    TEAMWORK,
    cli,
    did_key_pair,
    ed25519_jwk,
    files_in,
    multikey,
    ob3_credential,
    signed,
    vector_key,
    write_json,
)
from tests._ler_support import index as index
from tests._ler_support import link as link

pytestmark = pytest.mark.usefixtures("no_network")

ISSUER = "https://example.edu/issuers/565049"  # the 1EdTech vector's issuer


def _forged(tmp_path: Path, name: str = "Doctor of Medicine") -> tuple[Path, Any]:
    """The OB 3.0 vector re-signed by a stranger's key, named as a fragment under the real issuer's URL."""
    forger = ed25519_key(bytes(range(40, 72)))
    credential = {k: v for k, v in json.loads((CREDS / "ob3-spec-testvector-signed.json").read_text()).items()
                  if k != "proof"}
    credential["credentialSubject"]["achievement"]["name"] = name
    vm = f"{ISSUER}#{forger.public_multibase()}"
    return write_json(tmp_path / "in" / "forged.json", sign(credential, forger, "eddsa-rdfc-2022", vm,
                                                           created="2020-01-01T00:00:00Z")), forger


def _key_file(tmp_path: Path, key: Any, name: str) -> Path:
    return write_json(tmp_path / "keys" / name, key.public_only().public_jwk())


# =================================================================== 1: only trusted keys are VERIFIED


def test_a_key_named_only_in_the_credential_is_not_verified(tmp_path: Path) -> None:
    forged, _ = _forged(tmp_path)
    result = verify(json.loads(forged.read_text()))
    assert result.ok and result.status == "unverified" and not result.proofs[0].trusted  # valid, not trusted
    text = cli("verify", forged)
    assert text.exit_code == 1
    assert "UNVERIFIED" in text.output and "key is named only in the credential" in text.output
    assert "give the issuer's key with --key" in text.output
    report = json.loads(cli("verify", forged, "--format", "json").output)
    assert report["unverified"] == 1 and report["results"][0]["status"] == "unverified"
    assert report["results"][0]["proofs"][0]["trusted"] is False
    other = _key_file(tmp_path, vector_key(), "real-issuer.jwk.json")  # the real issuer's key does not help
    assert cli("verify", forged, "--key", other).exit_code == 1


def test_a_supplied_key_is_trusted_whatever_id_its_file_gives(tmp_path: Path) -> None:
    forged, forger = _forged(tmp_path)
    vouched = _key_file(tmp_path, forger, "no-kid.jwk.json")  # no kid: matched by the public key itself
    result = cli("verify", forged, "--key", vouched)
    assert result.exit_code == 0 and ": VERIFIED" in result.output


def test_show_gives_the_same_verdict_in_text_and_html(tmp_path: Path) -> None:
    forged, _ = _forged(tmp_path)
    text = cli("show", forged)
    assert text.exit_code == 0 and "Proof:      UNVERIFIED — the signature is valid, but its key" in text.output
    page = tmp_path / "forged.html"
    assert cli("show", forged, "--html", "-o", page).exit_code == 0
    html = page.read_text()
    assert '<span class="status unverified" id="proof-status">Not verified</span>' in html
    assert ">Verified<" not in html


def test_a_did_key_that_is_not_the_issuers_is_not_verified(tmp_path: Path) -> None:
    issuer, stranger = did_key_pair("issuer"), did_key_pair("stranger")
    document = ob3_credential(issuer)
    foreign = write_json(tmp_path / "foreign.json", signed(document, stranger))  # stranger's own did:key VM
    own = write_json(tmp_path / "own.json", signed(document, issuer))
    result = cli("verify", foreign, own)
    assert result.exit_code == 1
    assert "foreign.json: UNVERIFIED" in result.output and "did:key is not the issuer's own DID" in result.output
    assert "own.json: VERIFIED" in result.output
    assert cli("verify", own).exit_code == 0


def test_an_embedded_credential_by_an_untrusted_key_makes_the_whole_unverified() -> None:
    result = cli("verify", CREDS / "clr2-validator-simple-eddsa-rdfc-2022.json", "--format", "json")
    report = json.loads(result.output)["results"][0]
    assert result.exit_code == 1 and report["status"] == "unverified"


def test_link_never_treats_a_forged_credential_as_the_issuers(tmp_path: Path, index: Path) -> None:
    forged, _ = _forged(tmp_path, name="Teamwork")  # matches a record, so link would re-sign it
    real_key = write_json(tmp_path / "keys" / "vector.multikey.json", multikey(vector_key()))
    without = link(forged, "--index", index, "-o", tmp_path / "a")
    with_real = link(forged, "--index", index, "--issuer-key", real_key, "-o", tmp_path / "b")
    for result in (without, with_real):
        assert result.exit_code == 1 and "refused" in result.output, result.output
        assert "not verified as the issuer's" in result.output
    assert files_in(tmp_path / "a") == [] and files_in(tmp_path / "b") == []


# ======================================================================= 2: a poison graph is one failure


def _poison(tmp_path: Path) -> Path:
    key = did_key_pair("poison")
    document = signed(ob3_credential(key), key)
    # Identical blank nodes: canonicalization has to try their permutations (the proof is stale anyway).
    document["credentialSubject"]["result"] = [
        {"type": ["Result"], "resultDescription": "urn:x",
         "alignment": [{"type": ["Alignment"], "targetName": "t", "targetUrl": "https://x"} for _ in range(6)]}
        for _ in range(6)]
    return write_json(tmp_path / "in" / "poison.json", document)


def test_a_poison_graph_fails_that_credential_only(tmp_path: Path, index: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rdfc, "MAX_WORK", 5_000)  # quick; real credentials need < 100 steps
    poison = _poison(tmp_path)
    key = did_key_pair("good")
    good = write_json(tmp_path / "in" / "good.json", signed(ob3_credential(key), key))
    checked = cli("verify", poison, good)
    assert checked.exit_code == 1 and "poison.json: FAILED" in checked.output and "poison graph" in checked.output
    assert "good.json: VERIFIED" in checked.output
    shown = cli("show", poison)
    assert shown.exit_code == 0 and "Proof:      FAILED" in shown.output
    key_file = write_json(tmp_path / "keys" / "good.jwk", ed25519_jwk(key))
    linked = link(poison, good, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert linked.exit_code == 1 and "poison.json: refused" in linked.output
    assert files_in(tmp_path / "out") == ["good.json"]


# ====================================================================== 3, 8: the ends of the calendar


def test_a_valid_from_at_the_end_of_time_is_refused_alone(tmp_path: Path, index: Path) -> None:
    key = did_key_pair("late")
    late = ob3_credential(key)
    late["validFrom"] = "9999-12-31T23:59:59Z"
    source = write_json(tmp_path / "in" / "late.json", signed(late, key))
    good = write_json(tmp_path / "in" / "good.json", signed(ob3_credential(key), key))
    key_file = write_json(tmp_path / "keys" / "k.jwk", ed25519_jwk(key))
    result = link(source, good, "--index", index, "--issuer-key", key_file, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "late.json: refused" in result.output
    assert "$.validFrom '9999-12-31T23:59:59Z' is the last date-time there is" in result.output
    assert files_in(tmp_path / "out") == ["good.json"]


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z"])
def test_issued_at_beyond_the_calendar_is_a_usage_error(tmp_path: Path, index: Path, when: str) -> None:
    key = did_key_pair("k")
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(key))
    result = cli("link", source, "--index", index, "--issued-at", when, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "Invalid value for --issued-at" in result.output
    assert "end of the calendar" in result.output and files_in(tmp_path / "out") == []


def test_issued_at_in_the_first_millennium_is_a_usage_error(tmp_path: Path, index: Path) -> None:
    # Found in re-testing: year 1 was written "1-01-01T…" and every credential was refused for it.
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("k")))
    result = cli("link", source, "--index", index, "--issued-at", "0001-01-01T00:00:00Z", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "before the year 1000" in result.output


# ========================================================================== 4, 7, 12: output locations


def test_an_output_that_links_to_an_input_is_refused(tmp_path: Path, index: Path) -> None:
    key = did_key_pair("k")
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(key))
    before = source.read_bytes()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "c.json").symlink_to(source)
    result = link(source, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "cannot write: it is a link to the input" in result.stderr
    assert source.read_bytes() == before and (tmp_path / "out" / "c.json").is_symlink()


def test_output_locations_are_checked_before_anything_is_written(tmp_path: Path, index: Path) -> None:
    key = did_key_pair("k")
    first = write_json(tmp_path / "in" / "a.json", ob3_credential(key))
    second = write_json(tmp_path / "in" / "b.json", ob3_credential(key, name="Other"))
    (tmp_path / "out" / "b.json").mkdir(parents=True)  # a folder where the second output goes
    result = link(first, second, "--index", index, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "b.json: cannot write: it is a folder" in result.stderr
    assert files_in(tmp_path / "out") == ["b.json"] and not result.stdout
    not_a_folder = link(first, "--index", index, "-o", first / "sub")
    assert not_a_folder.exit_code == 2 and f"cannot write: {first} is not a folder" in not_a_folder.stderr
    shown = cli("show", first, "-o", first / "x.html")
    assert shown.exit_code == 2 and "is not a folder" in shown.stderr


def test_show_never_overwrites_its_own_input(tmp_path: Path) -> None:
    key = did_key_pair("k")
    source = write_json(tmp_path / "c.json", ob3_credential(key))
    before = source.read_bytes()
    result = cli("show", source, "--html", "-o", source)
    assert result.exit_code == 2 and "cannot write: it is the input" in result.stderr
    assert source.read_bytes() == before


# ================================================================================ 5: misleading links


def _xss(tmp_path: Path) -> Path:
    key = did_key_pair("x")
    alignments = [{"type": ["Alignment"], "targetCode": TEAMWORK, "targetName": "<script>alert(1)</script>",
                   "targetType": "ceterms:Credential", "targetUrl": "https://evil.example/phish?" + TEAMWORK},
                  {"type": ["Alignment"], "targetCode": "ce-00000000-0000-4000-8000-000000000000",
                   "targetName": "js", "targetType": "ceterms:Credential",
                   "targetUrl": "javascript:alert(document.domain)"}]
    return write_json(tmp_path / "in" / "xss.json", ob3_credential(key, alignment=alignments))


def test_show_html_links_only_to_the_registry_and_only_over_http(tmp_path: Path, index: Path) -> None:
    page = tmp_path / "page.html"
    assert cli("show", _xss(tmp_path), "--html", "--index", index, "-o", page).exit_code == 0
    html = page.read_text()
    assert f'<a href="{REGISTRY}{TEAMWORK}">' in html  # the registry record, from the index
    assert 'href="https://evil.example' not in html and 'href="javascript:' not in html
    assert "<code>javascript:alert(document.domain)</code>" in html  # shown, not clickable
    assert "the credential&#39;s own link goes to https://evil.example/phish" in html
    assert "<script>" not in html


@pytest.mark.parametrize("url", ["https://credentialengineregistry.org.evil.com/resources/" + TEAMWORK,
                                 "https://evilcredentialengineregistry.org/resources/" + TEAMWORK,
                                 "javascript:alert(1)",
                                 # found in re-testing: the host is evil.example; a backslash means different
                                 # hosts to different clients
                                 "https://credentialengineregistry.org@evil.example/resources/" + TEAMWORK,
                                 "https://credentialengineregistry.org\\@evil.example/resources/" + TEAMWORK])
def test_check_fails_links_that_imitate_the_registry_or_are_no_web_address(tmp_path: Path, index: Path,
                                                                           url: str) -> None:
    alignment = {"type": ["Alignment"], "targetCode": TEAMWORK, "targetName": "Teamwork",
                 "targetType": "ceterms:Credential", "targetUrl": url}
    source = write_json(tmp_path / "c.json", ob3_credential(did_key_pair("k"), alignment=[alignment]))
    result = cli("check", source, "--index", index)
    assert result.exit_code == 1 and "0 ok, 0 warning, 1 failed" in result.output
    assert any(why in result.output for why in ("imitates a Credential Engine address", "is not a web address",
                                                 "hides its host"))


def test_a_registry_host_with_a_trailing_dot_is_the_registry_and_unresolved_look_alikes_are_not_links(
        tmp_path: Path, index: Path) -> None:
    # Found in re-testing: "credentialengineregistry.org." (the same host) failed as an imitation, and `show`
    # made a look-alike address clickable when its CTID was not in the index.
    assert match.url_parts(f"https://credentialengineregistry.org./resources/{TEAMWORK}")[1] == \
        "credentialengineregistry.org"
    absent = "ce-00000000-0000-4000-8000-000000000001"
    alignment = {"type": ["Alignment"], "targetCode": absent, "targetName": "Absent",
                 "targetType": "ceterms:Credential",
                 "targetUrl": f"https://credentialengineregistry.org.evil.com/resources/{absent}"}
    source = write_json(tmp_path / "c.json", ob3_credential(did_key_pair("k"), alignment=[alignment]))
    page = tmp_path / "page.html"
    assert cli("show", source, "--html", "--index", index, "-o", page).exit_code == 0
    assert 'href="https://credentialengineregistry.org.evil.com' not in page.read_text()


def test_credential_engine_hosts_are_matched_on_label_boundaries() -> None:
    # userinfo is not the host; a link must never choose which server `check` asks
    assert match.ce_url_ctid(f"https://credentialengineregistry.org:x@evil.com/resources/{TEAMWORK}") is None
    assert check._registry_base(f"https://evilcredentialengineregistry.org/resources/{TEAMWORK}") == REGISTRY[:-11]
    sandbox = f"http://sandbox.credentialengineregistry.org/resources/{TEAMWORK}"
    assert check._registry_base(sandbox) == "https://sandbox.credentialengineregistry.org"
    assert match.is_ce_host("credentialengineregistry.org") and match.is_ce_host("sandbox.credentialengineregistry.org")
    assert not match.is_ce_host("evilcredentialengineregistry.org")
    assert not match.is_ce_host("credentialengineregistry.org.evil.com")
    assert match.looks_like_ce_host("credentialengineregistry.org.evil.com")
    assert not match.looks_like_ce_host("example.org")


@pytest.mark.parametrize("url", ["https://credentialengineregistry.org.evil.com/resources/" + TEAMWORK,
                                 "https://credentialengineregistry.org@evil.example/resources/" + TEAMWORK])
def test_link_replaces_a_look_alike_target_url_with_the_registry_uri(tmp_path: Path, index: Path, url: str) -> None:
    alignment = {"type": ["Alignment"], "targetCode": TEAMWORK, "targetName": "Teamwork",
                 "targetType": "ceterms:Credential", "targetUrl": url}
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("k"), alignment=[alignment]))
    assert link(source, "--index", index, "-o", tmp_path / "out").exit_code == 0
    written = json.loads((tmp_path / "out" / "c.json").read_text())
    assert written["credentialSubject"]["achievement"]["alignment"][0]["targetUrl"] == REGISTRY + TEAMWORK


# ============================================================== 9, 10, 11: counts, empty input, hints


def test_a_map_row_naming_an_absent_ctid_is_counted(tmp_path: Path, index: Path) -> None:
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("k")))
    mapping = tmp_path / "map.csv"
    mapping.write_text("achievement,ctid\nTeamwork,ce-99999999-9999-4999-8999-999999999999\n")
    result = link(source, "--index", index, "--map", mapping, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "; 1 achievement unmatched" in result.output  # a map row not carried out
    report = json.loads(link(source, "--index", index, "--map", mapping, "--format", "json",
                             "-o", tmp_path / "out2").output)
    assert report["counts"]["unmatched achievements"] == 1


@pytest.mark.parametrize("command", ["verify", "check", "link"])
def test_a_folder_without_credentials_is_an_input_error(tmp_path: Path, index: Path, command: str) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    write_json(empty / "issuer.jwk.json", vector_key().public_only().public_jwk())  # skipped: a key
    extra = ["--index", str(index), "-o", str(tmp_path / "out")] if command == "link" else []
    result = cli(command, empty, *extra)
    assert result.exit_code == 2 and "no credential files found (1 other file skipped)" in result.stderr


def test_the_ob2_key_hint_names_the_cli_option() -> None:
    result = cli("verify", CREDS / "ob2-validator-simple-signed-jws-rs256.jwt")
    assert "with --key" in result.output and "keys=" not in result.output


# ====================================================================== 13, 14, 16: smaller ones


def test_an_svg_element_inside_a_comment_is_no_element() -> None:
    body = json.dumps({"a": "<!-- not a comment -->"})
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
           '<!-- <openbadges:credential><![CDATA[{"x":1}]]></openbadges:credential> -->'
           f"<openbadges:credential><![CDATA[{body}]]></openbadges:credential></svg>")
    found = baked.extract(svg.encode())
    assert found is not None and found.text == body
    replaced = baked.replace(svg.encode(), found, '{"b": 2}').decode()
    assert replaced.count("{&quot;x&quot;:1}") == 0 and '<![CDATA[{"x":1}]]>' in replaced  # comment kept as is
    assert '<![CDATA[{"b": 2}]]>' in replaced


def test_an_svg_comment_never_closed_is_refused(tmp_path: Path) -> None:
    # Noticed in acceptance testing: after an unclosed "<!--" the rest of the file is comment (an XML parser
    # refuses the file), yet the credential written after it was read and linked.
    head = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">\n'
    element = '<openbadges:credential><![CDATA[{"x":1}]]></openbadges:credential></svg>'
    with pytest.raises(baked.BakedError, match=r"the comment \(<!--\) opened on line 2 is never closed"):
        baked.extract((head + "<!-- about this badge\n" + element).encode())
    with pytest.raises(baked.BakedError, match=r"CDATA section .* opened on line 1 is never closed"):
        baked.extract(b'<svg><openbadges:credential><![CDATA[{"x":1}</openbadges:credential></svg>')
    source = tmp_path / "badge.svg"
    source.write_text(head + "<!-- about this badge\n" + element)
    result = cli("check", source)
    assert result.exit_code == 2 and "badge.svg" in result.stderr and "never closed" in result.stderr
    assert "Traceback" not in result.output


def test_show_escapes_terminal_control_characters(tmp_path: Path) -> None:
    key = did_key_pair("k")
    document = ob3_credential(key)
    document["name"] = "Real\r\x1b[2KProof:      VERIFIED\u202e"
    source = write_json(tmp_path / "c.json", document)
    output = cli("show", source).output
    assert "\r" not in output and "\x1b" not in output and "\u202e" not in output
    assert "Real\\r\\x1b[2KProof:      VERIFIED\\u202e" in output
    assert "\x1b" not in cli("verify", source).output


def test_a_duplicate_member_is_located(tmp_path: Path) -> None:
    source = tmp_path / "dup.json"
    document = json.dumps(ob3_credential(did_key_pair("k")), indent=2)
    assert document.count('"name": "Teamwork"') == 1
    source.write_text(document.replace('"name": "Teamwork"', '"name": "Teamwork",\n      "name": "Other"'))
    result = cli("verify", source)
    assert result.exit_code == 2
    assert "$.credentialSubject.achievement.name: invalid JSON: duplicate member 'name' at line" in result.stderr


def test_clr_routing_names_the_real_reason(tmp_path: Path, index: Path) -> None:
    result = link(CREDS / "clr2-spec-testvector-signed.json", "--index", index, "--unsigned-copy",
                  "-o", tmp_path / "out")
    assert "signed by another key" not in result.output  # the nested credential has the CLR's own key
    assert "none of the --issuer-key keys made the nested credential's proof" in result.output


def test_a_did_key_issuer_still_verifies_and_did_key_helpers_agree() -> None:
    key = did_key_pair("k")
    result = verify(signed(ob3_credential(key), key))
    assert result.status == "verified" and result.proofs[0].trusted
    assert key.id == did_key_vm(key) and did_key(key) in key.id


def test_an_error_quoting_the_credential_prints_no_control_characters(tmp_path: Path) -> None:
    # Found in re-testing: a duplicate member's JSON path reached the terminal with a raw ESC in it.
    source = tmp_path / "c.json"
    source.write_text('{"na\\u001b[2Jme": 1, "na\\u001b[2Jme": 2}', encoding="utf-8")
    result = cli("verify", source)
    assert result.exit_code == 2 and "duplicate member" in result.output and "\x1b" not in result.output
