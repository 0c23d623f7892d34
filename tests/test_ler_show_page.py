"""`ctdl ler show --html` from a browser review: bidi spoofing, direction and language of data values, readable
dates and achievement types, line breaks, the learner's results, a CLR's embedded credentials (their own
issuer, listed once), what the page says of where links were resolved, check's warnings, validity notices."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("cryptography", reason="ctdl ler needs the 'cryptography' package")

from ctdl_tools.ler import show
from ctdl_tools.registry.journal import Journal
from ctdl_tools.textchars import page_text
from tests._ler_support import (
    CREDS,
    DEMO_KEY,
    EXAMPLE_CORP,
    REGISTRY,
    SAMPLE_LER,
    TEAMWORK,
    VC_V2,
    cli,
    did_key_pair,
    ob3_credential,
    signed,
    write_json,
)
from tests._ler_support import index as index
from tests._ler_support import loopback_only as loopback_only
from tests._ler_support import sample_ctdl as sample_ctdl
from tests.test_ler_registry import _render, local_registry

REALWORLD = Path(__file__).parent / "data" / "ler" / "realworld"
CLR = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
SPOOF = "Community College of \u202eytisrevinU dravraH"  # shows as "…Harvard University" unescaped


def _page(tmp_path: Path, source: Path, *args: str | Path, name: str = "page.html") -> str:
    page = tmp_path / name
    result = cli("show", source, "--html", "-o", page, *args)
    assert result.exit_code == 0, result.output
    return page.read_text(encoding="utf-8")


def _teamwork_link(url: str = REGISTRY + TEAMWORK) -> list[dict[str, Any]]:
    return [{"type": ["Alignment"], "targetCode": TEAMWORK, "targetName": "Teamwork",
             "targetType": "ceterms:Credential", "targetUrl": url}]


# ========================================================================== 1: bidi controls are shown


@pytest.mark.usefixtures("no_network")
def test_a_bidi_override_in_a_name_is_shown_as_its_escape_everywhere(tmp_path: Path) -> None:
    document = ob3_credential(did_key_pair("bidi"), issuer_name=SPOOF)
    document["name"] = "Diploma \u202egnikcaH"  # the title (<title>, <h1>) is built in Python
    document["credentialSubject"]["achievement"]["alignment"] = [
        {**_teamwork_link()[0], "targetName": "Team\u2067work"}]  # an attribute: aria-label
    html = _page(tmp_path, write_json(tmp_path / "bidi.json", document))
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", html)  # the title's isolates are entities
    assert "Community College of \\u202eytisrevinU dravraH" in html
    assert "<title>&#x2068;Diploma \\u202egnikcaH&#x2069; — credential summary</title>" in html
    assert 'aria-label="Registry link: &#x2068;Team\\u2067work&#x2069;"' in html
    assert show._environment().finalize is page_text


@pytest.mark.usefixtures("no_network")
def test_the_browser_shows_the_spoofed_name_escaped_and_the_issuer_id_in_order(tmp_path: Path) -> None:
    key = did_key_pair("bidi")
    page = tmp_path / "bidi.html"
    _page(tmp_path, write_json(tmp_path / "bidi.json", ob3_credential(key, issuer_name=SPOOF)), name=page.name)
    dom = _render(page, tmp_path / "profile")
    assert "Community College of \\u202eytisrevinU dravraH</span> <code>did:key:" in dom
    assert "\u202e" not in dom


# ================================================================== 2: direction and language of values


@pytest.mark.usefixtures("no_network")
def test_data_values_are_bidi_islands_with_the_language_the_data_gives(tmp_path: Path) -> None:
    document = ob3_credential(did_key_pair("rtl"), name="عمل جماعي", issuer_name="جامعة المثال",
                              inLanguage="ar", description="وصف الإنجاز")
    document["name"] = {"@value": "שם התעודה", "@language": "he", "@direction": "rtl"}  # a VC 2.0 value object
    html = _page(tmp_path, write_json(tmp_path / "rtl.json", document))
    assert '<h1 dir="rtl" lang="he">שם התעודה</h1>' in html
    assert 'issued by <span dir="auto">جامعة المثال</span>' in html
    assert '<h3 id="achievement-1" dir="auto" lang="ar">عمل جماعي</h3>' in html
    assert '<p class="text" dir="auto" lang="ar">وصف الإنجاز</p>' in html


def test_a_registry_record_keeps_its_language_map_key() -> None:
    record = {"@type": "ceterms:Certificate", "ceterms:ctid": TEAMWORK, "ceterms:name": {"ar": "شهادة"},
              "ceterms:description": {"zh-Hans": "描述", "en-US": "A description"}}
    view = show._record_view(TEAMWORK, record, show.Resolver(online=False))
    assert (view.name, view.name.lang) == ("شهادة", "ar")
    assert (view.description, view.description.lang) == ("A description", "en-US")  # English first, as before
    assert str(show._data_attributes(view.name)) == ' dir="auto" lang="ar"'
    assert str(show._data_attributes(show.Text("x", 'en" onmouseover="x'))) == ' dir="auto"'  # not a language tag


# ================================================================= 3: dates and achievement types in words


@pytest.mark.usefixtures("no_network")
def test_dates_are_words_with_the_exact_value_kept_and_types_are_words(tmp_path: Path) -> None:
    document = ob3_credential(did_key_pair("dates"), achievementType="AssociateDegree")
    document["validFrom"], document["awardedDate"] = "2026-12-06T19:50:42Z", "2026-05-15T23:30:00-05:00"
    html = _page(tmp_path, write_json(tmp_path / "dates.json", document))
    assert ('<dt>Valid from</dt><dd><time datetime="2026-12-06T19:50:42Z" title="2026-12-06T19:50:42Z">'
            '6 December 2026</time></dd>') in html
    assert '<time datetime="2026-05-15T23:30:00-05:00" title="2026-05-15T23:30:00-05:00">15 May 2026</time>' in html
    assert "2026-12-06T19:50:42Z</dd>" not in html
    assert '<data value="AssociateDegree">Associate degree</data>' in html
    document["credentialSubject"]["achievement"]["achievementType"] = "ext:WeldingBootcamp"
    html = _page(tmp_path, write_json(tmp_path / "ext.json", document), name="ext.html")
    assert '<data value="ext:WeldingBootcamp">ext:WeldingBootcamp</data>' in html


def test_readable_dates_depend_on_neither_locale_nor_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")
    assert show.readable_date("2026-12-06T19:50:42Z") == "6 December 2026"
    assert show.readable_date("2026-12-31T23:30:00-05:00") == "31 December 2026"  # the day as written
    assert show.readable_date("2026-02-03") == "3 February 2026"
    assert show.readable_date("next Tuesday") == ""
    assert str(show._date_html("soon")) == '<span dir="auto">soon</span>'
    assert set(show.ACHIEVEMENT_TYPES) >= {"Achievement", "AssociateDegree", "BachelorDegree", "Competency",
                                           "GeneralEducationDevelopment", "MicroCredential", "SecondarySchoolDiploma"}
    assert len(show.ACHIEVEMENT_TYPES) == 31  # the OB 3.0 AchievementType enumeration


@pytest.mark.usefixtures("no_network")
def test_the_same_credential_makes_the_same_bytes(tmp_path: Path) -> None:
    source = CREDS / "ob3-validator-complete-eddsa-alignments.json"
    assert _page(tmp_path, source, name="a.html") == _page(tmp_path, source, name="b.html")


# ============================================================================ 4: line breaks in a description


@pytest.mark.usefixtures("no_network")
def test_line_breaks_in_a_description_are_kept(tmp_path: Path) -> None:
    document = ob3_credential(did_key_pair("lines"), description="First line.\nSecond line.\n\n- a point")
    html = _page(tmp_path, write_json(tmp_path / "lines.json", document))
    assert '<p class="text" dir="auto">First line.\nSecond line.\n\n- a point</p>' in html
    assert re.search(r"\.text \{[^}]*white-space: pre-line", html)


# =============================================================================== 5: the learner's results


@pytest.mark.usefixtures("no_network")
def test_the_learners_results_are_shown_with_the_achievement(tmp_path: Path) -> None:
    html = _page(tmp_path, CREDS / "ob3-validator-complete-eddsa-alignments.json")
    results = html[html.index('<ul class="results">'):]
    results = results[:results.index("</ul>")]
    assert '<span dir="auto">Final Project Grade</span>: <strong dir="auto">A</strong>' in results
    assert 'level <strong dir="auto">Mastery (Mastered)</strong>' in results  # achievedLevel, by its rubric name
    assert '<span class="result-status">Completed</span>' in results
    text = cli("show", CREDS / "ob3-validator-complete-eddsa-alignments.json").output
    assert "result: Final Project Grade: A" in text


# ============================================================ 6: a CLR's embedded credentials, each once


@pytest.fixture
def linked_samples(tmp_path: Path, sample_ctdl: Path) -> Path:
    result = cli("link", SAMPLE_LER, "--index", sample_ctdl, "--issuer-key", DEMO_KEY, "--issued-at",
                 "2026-06-01T12:00:00Z", "-o", tmp_path / "ler")
    assert result.exit_code == 0, result.output
    return tmp_path / "ler"


def test_a_clr_names_each_embedded_credentials_own_issuer_and_lists_it_once(tmp_path: Path, sample_ctdl: Path,
                                                                             linked_samples: Path) -> None:
    html = _page(tmp_path, linked_samples / "transcript.clr2.json", "--index", sample_ctdl)
    assert html.count(">Welding Shop Safety Badge</h3>") == 1  # the embedded badge and the CLR's copy of it
    assert "No Credential Registry links" not in html
    section = html[html.index(">Welding Shop Safety Badge</h3>"):]
    section = section[:section.index("</section>")]
    assert 'issued by <strong dir="auto">Keystone Welding &amp; Trades Institute</strong>' in section
    # its link is the CLR issuer's (Keystone's signed badge carries none): said so, not dropped
    assert "Also listed among this record&#39;s achievements by <span dir=\"auto\">Riverbend" in section
    assert "Link added by <span dir=\"auto\">Riverbend Community College</span>" in section
    assert "Digital Badge: <span dir=\"auto\" lang=\"en-US\">Welding Shop Safety Badge</span>" in section
    assert "4 of 4 resolved" in html  # as many links as `ctdl ler check` counts
    blueprint = html[html.index(">Blueprint Reading Badge</h3>"):]
    blueprint = blueprint[:blueprint.index("</section>")]
    assert 'issued by <strong dir="auto">Riverbend Community College</strong>' in blueprint


@pytest.mark.usefixtures("no_network")
def test_a_clr_listing_that_differs_from_the_embedded_achievement_is_kept(tmp_path: Path) -> None:
    keystone = did_key_pair("keystone")
    badge = signed(ob3_credential(keystone, name="Shop Safety", issuer_name="Keystone"), keystone)
    listed = {**badge["credentialSubject"]["achievement"], "description": "The CLR's own words.",
              "alignment": _teamwork_link()}
    clr = {"@context": [VC_V2, CLR, OB3], "id": "urn:uuid:0b0e8c1c-7a39-4f0e-9d7e-4f3f4e7d6c11",
           "type": ["VerifiableCredential", "ClrCredential"], "name": "Record",
           "issuer": {"id": "did:example:riverbend", "type": ["Profile"], "name": "Riverbend"},
           "validFrom": "2026-01-01T00:00:00Z",
           "credentialSubject": {"type": ["ClrSubject"], "verifiableCredential": [badge], "achievement": [listed]}}
    html = _page(tmp_path, write_json(tmp_path / "clr.json", clr))
    assert html.count(">Shop Safety</h3>") == 1
    assert '<dt>Description in that list</dt><dd class="text" dir="auto">The CLR&#39;s own words.</dd>' in html
    assert "The Shop Safety achievement." in html  # the badge's own description, as its issuer signed it


# ====================================================== 7: where links were resolved, and check's warnings


@pytest.mark.usefixtures("no_network")
def test_the_page_names_no_local_path(tmp_path: Path, index: Path) -> None:
    source = write_json(tmp_path / "in" / "c.json",
                        ob3_credential(did_key_pair("p"), alignment=[*_teamwork_link(), {
                            **_teamwork_link()[0], "targetCode": "ce-00000000-0000-4000-8000-000000000009",
                            "targetUrl": REGISTRY + "ce-00000000-0000-4000-8000-000000000009"}]))
    html = _page(tmp_path, source, "--index", index)
    assert str(index) not in html and str(tmp_path) not in html and "directory" not in html
    assert "1 of 2 resolved (against a local copy of the registry records, not at a live registry)" in html
    assert "Not resolved: not found in the local copy of the registry records" in html
    assert f"directory {index}" in cli("show", source, "--index", index).output  # the operator's terminal says it


@pytest.mark.usefixtures("no_network")
def test_a_journal_index_is_named_as_one(tmp_path: Path, index: Path) -> None:
    # Which words the page uses comes from the index's kind, not from reading its description.
    journal = tmp_path / "journal.sqlite"
    with Journal(journal) as writer:
        writer.mark_pending("local", TEAMWORK, "d", org=EXAMPLE_CORP, ctdl_type="ceterms:DigitalBadge",
                            source=str(index / f"{TEAMWORK}.json"))
        writer.mark_published("local", TEAMWORK, "d", "envelope", 1)
    source = write_json(tmp_path / "in" / "c.json", ob3_credential(did_key_pair("j"), alignment=_teamwork_link()))
    html = _page(tmp_path, source, "--index", journal)
    assert "against the records a publish journal says the registry confirmed (a local copy)" in html
    assert str(journal) not in html


@pytest.mark.usefixtures("no_network")
def test_a_sandbox_link_gets_the_warning_check_gives(tmp_path: Path, index: Path) -> None:
    sandbox = "https://sandbox.credentialengineregistry.org/resources/" + TEAMWORK
    source = write_json(tmp_path / "c.json", ob3_credential(did_key_pair("s"), alignment=_teamwork_link(sandbox)))
    checked = json.loads(cli("check", source, "--index", index, "--format", "json").output)
    warning = next(w for found in checked["links"] for w in found["warnings"])
    assert "sandbox or test registry" in warning
    html = _page(tmp_path, source, "--index", index)
    assert html.count('<p class="link-warning"><strong>Warning:</strong>') == 1
    # the page says what check says, but not its advice to the command-line user (an employer reads it)
    message, hint = warning.removesuffix(f" ({CLI_HINT})"), CLI_HINT
    assert message != warning and message.endswith("sandbox or test registry, not the production one")
    assert f"<strong>Warning:</strong> {_escaped(message)}</p>" in html
    assert "ctdl ler link" not in html and _escaped(hint) not in html
    assert f"warning: {warning}" in cli("show", source, "--index", index).output  # the terminal keeps it
    assert f'<dt>Link in the credential</dt><dd><a href="{sandbox}">{sandbox}</a></dd>' in html  # still visible


CLI_HINT = "`ctdl ler link` writes https://credentialengineregistry.org/resources/<ctid>"


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("'", "&#39;").replace("<", "&lt;").replace(">", "&gt;")


def test_the_page_leaves_out_only_the_hint_of_checks_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A link's warnings reach the page as check.LinkWarning data: the message, never the hint; the terminal
    prints check's text. No warning text is parsed: a reworded hint stays off the page all the same."""
    from ctdl_tools.ler import check

    warned = check.LinkWarning(check.NOT_THE_RESOURCE_URI, "targetUrl 'x' is not the registry", "run something else")
    assert warned.text == "targetUrl 'x' is not the registry (run something else)"
    assert check.LinkWarning(check.OTHER_NAME, "targetName 'a' differs").text == "targetName 'a' differs"
    link = show.LinkView("Teamwork", "ceterms:Credential", TEAMWORK, "x", False, reason="no CTID in this link",
                         warnings=[warned])
    view = show.CredentialView(show.Text("C"), "VC 2.0", show.Text("I"), "did:example:i", "", "", "", "",
                               "unsigned", "no proof", False, "nothing", [show.AchievementView(
                                   show.Text("A"), show.Text(), "", show.Text(), "this credential", [link])])
    html = show.html(view)
    assert "<strong>Warning:</strong> targetUrl &#39;x&#39; is not the registry</p>" in html
    assert "run something else" not in html
    assert "warning: targetUrl 'x' is not the registry (run something else)" in show.terminal(view)


@pytest.mark.usefixtures("loopback_only")
def test_registry_records_link_to_the_registry_they_were_resolved_at(tmp_path: Path, sample_ctdl: Path,
                                                                     linked_samples: Path) -> None:
    with local_registry(sample_ctdl, tmp_path) as url:
        html = _page(tmp_path, linked_samples / "welding-technology-aas.ob3.json", "--registry", url)
    assert f"2 of 2 resolved (at the registry {url})" in html
    records = re.findall(r'<dt>Registry record</dt><dd><a href="([^"]+)">', html)
    assert len(records) == 2 and all(href.startswith(f"{url}/resources/ce-") for href in records)
    # and the credential's own link, which a reader of a local registry cannot follow, stays visible
    assert html.count(f'<dt>Link in the credential</dt><dd><a href="{REGISTRY}') == 2


# ======================================================================= 8: expired, not yet valid: on top


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize(("source", "said", "when"), [
    ("dcc-v2-di-twooidf-expired.json", "Expired.", '<time datetime="2010-01-02T00:00:00Z"'),
    ("dcc-v2-di-notyetvalid.json", "Not valid yet.", '<time datetime="2099-01-01T00:00:00Z"')])
def test_validity_is_a_notice_at_the_top(tmp_path: Path, source: str, said: str, when: str) -> None:
    html = _page(tmp_path, REALWORLD / source)
    notice = html.index('id="validity-notice"')
    assert notice < html.index('<section aria-labelledby="about">')
    assert html.index(said, notice) < html.index(when, notice) < html.index("</p>", notice)


@pytest.mark.usefixtures("no_network")
def test_an_expired_embedded_credential_is_a_notice_at_the_top(tmp_path: Path) -> None:
    keystone = did_key_pair("keystone")
    badge = ob3_credential(keystone, name="Shop Safety", issuer_name="Keystone")
    badge["validUntil"] = "2020-06-30T00:00:00Z"
    clr = {"@context": [VC_V2, CLR, OB3], "id": "urn:uuid:0b0e8c1c-7a39-4f0e-9d7e-4f3f4e7d6c12",
           "type": ["VerifiableCredential", "ClrCredential"], "name": "Record",
           "issuer": {"id": "did:example:riverbend", "type": ["Profile"], "name": "Riverbend"},
           "validFrom": "2021-01-01T00:00:00Z",
           "credentialSubject": {"type": ["ClrSubject"], "verifiableCredential": [signed(badge, keystone)]}}
    html = _page(tmp_path, write_json(tmp_path / "clr.json", clr))
    top = html[:html.index('<section aria-labelledby="about">')]
    assert "An embedded credential has expired." in top and "30 June 2020" in top and ">Keystone</span>" in top
    assert 'id="validity-notice"' not in html  # the record itself is valid


def _clr_with(*embedded: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"@context": [VC_V2, CLR, OB3], "id": "urn:uuid:0b0e8c1c-7a39-4f0e-9d7e-4f3f4e7d6c13",
            "type": ["VerifiableCredential", "ClrCredential"], "name": "Record",
            "issuer": {"id": "did:example:riverbend", "type": ["Profile"], "name": "Riverbend"},
            "validFrom": "2021-01-01T00:00:00Z", **extra,
            "credentialSubject": {"type": ["ClrSubject"], "verifiableCredential": list(embedded)}}


@pytest.mark.usefixtures("no_network")
def test_validity_notices_come_from_verifys_data_not_its_wording(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Reworded warnings (proofs._VALIDITY_MESSAGES) change what the page lists, never its notices: they are
    made from VerifyResult.validity and EmbeddedResult, not read back out of the text."""
    from ctdl_tools.ler import proofs

    keystone, other = did_key_pair("keystone"), did_key_pair("other")
    badge = ob3_credential(keystone, name="Shop Safety", issuer_name="Keystone")
    badge["validUntil"] = "2020-06-30T00:00:00Z"
    ahead = ob3_credential(other, name="Future", issuer_name="Futures")
    ahead["validFrom"] = "2099-01-01T00:00:00Z"
    source = write_json(tmp_path / "clr.json", _clr_with(signed(badge, keystone), signed(ahead, other),
                                                         validUntil="2020-01-01T00:00:00Z"))
    monkeypatch.setattr(proofs, "_VALIDITY_MESSAGES", {proofs.EXPIRED: "EXPIRY {1}={0}",
                                                       proofs.NOT_YET_VALID: "NOT BEFORE {1}={0}"})
    html = _page(tmp_path, source)
    top = html[:html.index('<section aria-labelledby="about">')]
    assert "the credential expired" not in html and "EXPIRY validUntil=2020-01-01T00:00:00Z" in html  # reworded
    assert '<p class="alert validity" role="alert" id="validity-notice"><strong>Expired.</strong>' in top
    assert 'was valid until <time datetime="2020-01-01T00:00:00Z"' in top
    assert "An embedded credential has expired." in top and "30 June 2020" in top and ">Keystone</span>" in top
    assert "An embedded credential is not valid yet." in top and "1 January 2099" in top
    assert html.count('<span class="flag bad">expired</span>') == 2  # the record's own and Shop Safety's
    assert html.count('<span class="flag ahead">not yet valid</span>') == 1
    assert "<li>EXPIRY validUntil=2020-06-30T00:00:00Z</li>" in html  # Shop Safety's own list, its own words


@pytest.mark.usefixtures("no_network")
def test_an_embedded_credential_with_an_empty_proof_list_keeps_its_own_expiry(tmp_path: Path) -> None:
    """An embedded credential with "proof": [] (unsigned) that has expired: said under its own path, and on
    the page (verify used to hand its warnings to the first proof of another credential, or drop them)."""
    keystone = did_key_pair("keystone")
    unsigned = {**ob3_credential(keystone, name="Unsigned", issuer_name="Keystone"), "proof": []}
    unsigned["validUntil"] = "2018-01-01T00:00:00Z"
    html = _page(tmp_path, write_json(tmp_path / "clr.json", _clr_with(unsigned)))
    top = html[:html.index('<section aria-labelledby="about">')]
    assert "An embedded credential has expired." in top and "1 January 2018" in top
    assert ("<li>embedded credential $.credentialSubject.verifiableCredential[0]: the credential expired on "
            "2018-01-01T00:00:00Z (validUntil)</li>") in html
