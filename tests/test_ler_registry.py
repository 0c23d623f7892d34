"""Round trip: publish the sample catalog to a local registry, link the sample badges, `check` every link;
`verify`, `show` (terminal and HTML rendered in headless Chromium) and the committed samples."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from ctdl_tools.ctid import ctid_in_uri
from ctdl_tools.ler.proofs import verify
from tests._ler_support import (
    CREDS,
    DEMO_KEY,
    REGISTRY,
    SAMPLE_LER,
    cli,
    ctid_named,
    files_in,
    vector_key,
    write_json,
)
from tests._ler_support import loopback_only as loopback_only
from tests._ler_support import sample_ctdl as sample_ctdl

KEY = "ler-test-key-0123456789abcdef0123"
SAMPLE_WHEN = "2026-06-01T12:00:00Z"  # after the samples' own validFrom
SAMPLE_FILES = ["customer-service-badge.ob2-badgeclass.json", "transcript.clr2.json", "welding-technology-aas.ob3.json"]


# ======================================================================================= the registry


def _owner(main: dict[str, Any]) -> str:
    for key in ("ceterms:ownedBy", "ceterms:offeredBy", "ceasn:publisher"):
        for value in main.get(key) or []:
            if ctid_in_uri(value):
                return ctid_in_uri(value)  # type: ignore[return-value]
    return main["ceterms:ctid"]  # an organization publishes itself


@contextmanager
def local_registry(ctdl: Path, tmp_path: Path) -> Iterator[str]:
    """The sample conversion published to ctdl_tools' local registry (or, if that package is not there, a
    minimal stand-in serving GET /resources/{ctid}); yields its URL on 127.0.0.1."""
    documents = [json.loads(p.read_text()) for p in sorted(ctdl.glob("*.json"))]
    if importlib.util.find_spec("ctdl_tools.registry.server") is None:
        with _stand_in(documents) as url:
            yield url
        return
    from ctdl_tools.registry.server import start_embedded

    orgs = sorted({_owner(d["@graph"][0]) for d in documents})
    with start_embedded(tmp_path / "registry.sqlite", KEY, orgs=[(o, None) for o in orgs]) as registry:
        session = requests.Session()
        for document in documents:
            reply = session.post(f"{registry.url}/resources/organizations/{_owner(document['@graph'][0])}/documents",
                                 json=document, headers={"Authorization": f"Token {KEY}"}, timeout=30)
            assert reply.status_code in (200, 201), reply.text
        yield registry.url


@contextmanager
def _stand_in(documents: list[dict[str, Any]]) -> Iterator[str]:
    nodes = {n["ceterms:ctid"]: {"@context": d["@context"], **n} for d in documents for n in d["@graph"]
             if "ceterms:ctid" in n}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = nodes.get(self.path.rsplit("/", 1)[-1])
            body = json.dumps(found).encode() if found and self.path.startswith("/resources/") else b"{}"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture
def linked_samples(tmp_path: Path, sample_ctdl: Path) -> Path:
    result = cli("link", SAMPLE_LER, "--index", sample_ctdl, "--issuer-key", DEMO_KEY, "--issued-at", SAMPLE_WHEN,
                 "-o", tmp_path / "ler")
    assert result.exit_code == 0, result.output
    assert "3 linked" in result.output and "skipped" in result.output and "DEMO-ISSUER-KEY" in result.output
    return tmp_path / "ler"


@pytest.mark.usefixtures("loopback_only")
def test_round_trip_every_link_resolves_at_the_local_registry(tmp_path: Path, sample_ctdl: Path,
                                                             linked_samples: Path) -> None:
    assert files_in(linked_samples) == SAMPLE_FILES
    with local_registry(sample_ctdl, tmp_path) as url:
        result = cli("check", linked_samples, "--registry", url, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["counts"] == {"ok": 7, "warning": 0, "failed": 0}
    welding = ctid_named(sample_ctdl, "Welding Technology, A.A.S.")
    degree = next(link for link in report["links"] if link["ctid"] == welding)
    assert degree["record_type"] == "ceterms:AssociateOfAppliedScienceDegree"
    assert degree["target_type"] == "ceterms:Credential" and degree["target_url"] == REGISTRY + welding


@pytest.mark.usefixtures("loopback_only")
def test_link_against_a_registry_url_uses_ctid_evidence(tmp_path: Path, sample_ctdl: Path) -> None:
    welding = ctid_named(sample_ctdl, "Welding Technology, A.A.S.")
    mapping = tmp_path / "map.csv"
    mapping.write_text(f'achievement,ctid\n"Welding Technology, A.A.S.",{welding}\n')
    source = SAMPLE_LER / "welding-technology-aas.ob3.json"
    with local_registry(sample_ctdl, tmp_path) as url:
        result = cli("link", source, "--index", url, "--map", mapping, "--issuer-key", DEMO_KEY, "--format", "json",
                     "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)["results"][0]
    assert [(link["ctid"], link["source"]) for link in outcome["links"]] == [(welding, "map")]
    assert "cannot be searched by name" in outcome["unmatched"][0]["message"]  # the competency: no CTID evidence
    linked = json.loads((tmp_path / "out" / source.name).read_text())
    alignment = linked["credentialSubject"]["achievement"]["alignment"][0]
    assert alignment["targetUrl"] == REGISTRY + welding  # the public URI, never the loopback one
    assert alignment["targetName"] == "Welding Technology, A.A.S." and verify(linked).ok


@pytest.mark.usefixtures("loopback_only")
def test_an_unreachable_registry_index_stops_link(tmp_path: Path) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text('achievement,ctid\n"Welding Technology, A.A.S.",ce-99999999-9999-4999-8999-999999999999\n')
    with local_registry_down() as url:
        result = cli("link", SAMPLE_LER / "welding-technology-aas.ob3.json", "--index", url, "--map", mapping,
                     "-o", tmp_path / "out")
    assert result.exit_code == 2 and "the registry could not be asked" in result.stderr
    assert files_in(tmp_path / "out") == []
    # One line saying what to do, not requests' page of connection-pool internals (found in acceptance testing).
    host = url.removeprefix("http://")
    assert f"cannot connect to {host} (offline? pass --index DIR" in result.stderr
    assert "HTTPConnectionPool" not in result.stderr and "Max retries" not in result.stderr


@contextmanager
def local_registry_down() -> Iterator[str]:
    """A loopback port nobody listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"http://127.0.0.1:{port}"


@pytest.mark.usefixtures("loopback_only")
def test_check_reports_broken_links(tmp_path: Path, sample_ctdl: Path) -> None:
    welding = ctid_named(sample_ctdl, "Welding Technology, A.A.S.")
    unknown = "ce-99999999-9999-4999-8999-999999999999"
    alignments = [
        {"type": ["Alignment"], "targetName": "Gone", "targetCode": unknown, "targetUrl": REGISTRY + unknown,
         "targetType": "ceterms:Credential"},
        {"type": ["Alignment"], "targetName": "Welding Technology, A.A.S.", "targetCode": welding,
         "targetUrl": REGISTRY + welding, "targetType": "ceasn:Competency"},
        {"type": ["Alignment"], "targetName": "Mixed", "targetCode": welding, "targetUrl": REGISTRY + unknown},
        {"type": ["Alignment"], "targetName": "Old", "targetUrl": "https://credentialfinder.org/credential/20229/X",
         "targetType": "ceterms:Credential"},
        {"type": ["Alignment"], "targetName": "Renamed", "targetCode": welding,
         "targetUrl": f"https://credentialfinder.org/resources/{welding}", "targetType": "CTDL"},
    ]
    credential = json.loads((SAMPLE_LER / "welding-technology-aas.ob3.json").read_text())
    credential["credentialSubject"]["achievement"]["alignment"] = alignments
    path = write_json(tmp_path / "links.json", credential)
    with local_registry(sample_ctdl, tmp_path) as url:
        result = cli("check", path, "--registry", url)
    assert result.exit_code == 1
    text = result.output
    assert f"{unknown} is not in registry" in text
    assert "targetType ceasn:Competency but the record is a ceterms:AssociateOfAppliedScienceDegree" in text
    assert f"targetCode {welding} does not match the CTID in targetUrl ({unknown})" in text
    assert "Finder-internal number" in text
    assert "WARNING" in text and "targetName 'Renamed' differs" in text and "is not the registry resource URI" in text
    assert "2 failed" not in text and "4 failed" in text


@pytest.mark.usefixtures("no_network")
def test_check_offline_with_the_index(linked_samples: Path, sample_ctdl: Path) -> None:
    result = cli("check", linked_samples, "--index", sample_ctdl)
    assert result.exit_code == 0 and "7 ok, 0 warning, 0 failed" in result.output


# ============================================================================================ verify


@pytest.mark.usefixtures("no_network")
def test_verify_reports_precise_reasons(tmp_path: Path) -> None:
    # The vector's key is named only in its own verificationMethod URL: trusted only when given with --key.
    untrusted = cli("verify", CREDS / "ob3-spec-testvector-signed.json")
    assert untrusted.exit_code == 1 and "UNVERIFIED" in untrusted.output
    key = write_json(tmp_path / "vector.jwk.json", vector_key().public_only().public_jwk())
    good = cli("verify", CREDS / "ob3-spec-testvector-signed.json", "--key", key)
    assert good.exit_code == 0 and ": VERIFIED" in good.output
    bad = cli("verify", CREDS / "ob3-spec-testvector-signed.json", CREDS / "ob3-validator-simple-err-proof-value.json")
    assert bad.exit_code == 1 and "FAILED" in bad.output
    assert "proofValue does not match the canonical document" in bad.output
    ob2 = CREDS / "ob2-validator-simple-signed-jws-rs256.jwt"
    assert "not resolvable offline" in cli("verify", ob2).output
    assert cli("verify", ob2, "--key", CREDS / "ob2-validator-key1-public.json").exit_code == 0
    nested = cli("verify", CREDS / "ob3-validator-complete-eddsa-alignments.json", "--format", "json")
    report = json.loads(nested.output)["results"][0]
    assert nested.exit_code == 1 and "unsupported cryptosuite eddsa-rdf-2022" in report["reason"]
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert cli("verify", broken).exit_code == 2


# ============================================================================================== show


@pytest.mark.usefixtures("loopback_only")
def test_show_terminal_summary_with_the_registry(tmp_path: Path, sample_ctdl: Path,
                                                 linked_samples: Path) -> None:
    with local_registry(sample_ctdl, tmp_path) as url:
        result = cli("show", linked_samples / "welding-technology-aas.ob3.json", "--registry", url)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Proof:      VERIFIED" in text and "Links:      2 of 2 resolved" in text
    assert 'Associate of Applied Science Degree "Welding Technology, A.A.S."' in text
    assert "owner: Riverbend Community College" in text and "Welders, Cutters, Solderers, and Brazers (51-4121)" in text
    assert "framework: Riverbend Community College Career-Technical Skills Framework" in text


@pytest.mark.usefixtures("no_network")
def test_show_offline_marks_links_unresolved_and_succeeds(linked_samples: Path) -> None:
    result = cli("show", linked_samples / "transcript.clr2.json")
    assert result.exit_code == 0
    assert "0 of 4 resolved" in result.output and "NOT RESOLVED (not looked up (offline" in result.output


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def _render(page: Path, profile: Path) -> str:
    browser = _chromium()
    if browser is None:
        pytest.skip("headless Chromium not installed (apt-get install -y chromium)")
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_show_html_renders_in_chromium(tmp_path: Path, sample_ctdl: Path, linked_samples: Path) -> None:
    page = tmp_path / "welding.html"
    result = cli("show", linked_samples / "welding-technology-aas.ob3.json", "--html", "--index", sample_ctdl,
                 "-o", page)
    assert result.exit_code == 0, result.output
    source = page.read_text()
    assert "<script" not in source and "http-equiv=\"Content-Security-Policy\"" in source
    assert not any(f'{attr}="http' in source for attr in ("src", "srcset")) and "@import" not in source
    dom = _render(page, tmp_path / "profile")
    # every value from the data is its own bidi island (dir="auto"), with the language the record gives
    assert '<h1 dir="auto">Welding Technology, A.A.S.</h1>' in dom
    assert '<span class="status verified" id="proof-status">Verified</span>' in dom
    assert ('<h4>Associate of Applied Science Degree: <span dir="auto" lang="en-US">Welding Technology, A.A.S.</span>'
            '</h4>') in dom
    assert '<h4>Competency: <span dir="auto" lang="en-US">Welding Safety</span></h4>' in dom
    assert '<li dir="auto" lang="en-US">Welders, Cutters, Solderers, and Brazers (51-4121)</li>' in dom
    assert "Riverbend Community College</dd>" in dom and 'lang="en"' in dom


def test_show_html_of_a_display_copy_warns(tmp_path: Path, sample_ctdl: Path) -> None:
    cli("link", SAMPLE_LER / "welding-technology-aas.ob3.json", "--index", sample_ctdl, "--unsigned-copy",
        "-o", tmp_path / "copy")
    page = tmp_path / "copy.html"
    result = cli("show", tmp_path / "copy" / "welding-technology-aas.ob3.unsigned-copy.json", "--html", "-o", page)
    assert result.exit_code == 0
    dom = _render(page, tmp_path / "profile")
    assert 'role="alert"' in dom and "unsigned display copy" in dom and "Not signed" in dom
    assert "Not resolved: not looked up" in dom


# =========================================================================================== samples


def test_samples_are_what_make_badges_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_badges", SAMPLE_LER / "make_badges.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    riverbend, keystone = module.demo_key(module.RIVERBEND), module.demo_key(module.KEYSTONE)
    expected = {"DEMO-ISSUER-KEY.jwk.json": module.key_file(riverbend),
                "welding-technology-aas.ob3.json": module.welding_aas(riverbend),
                "transcript.clr2.json": module.transcript(riverbend, keystone),
                "customer-service-badge.ob2-badgeclass.json": module.badgeclass()}
    for name, document in expected.items():
        assert (SAMPLE_LER / name).read_text() == json.dumps(document, indent=2, ensure_ascii=False) + "\n", name
    for name in SAMPLE_FILES[1:]:
        assert verify(json.loads((SAMPLE_LER / name).read_text())).all_ok
    assert "DEMO" in (SAMPLE_LER / "README.md").read_text()


@pytest.mark.usefixtures("no_network")
def test_linking_the_samples_twice_is_byte_identical(tmp_path: Path, sample_ctdl: Path,
                                                     linked_samples: Path) -> None:
    again = cli("link", linked_samples, "--index", sample_ctdl, "--issuer-key", DEMO_KEY, "-o", tmp_path / "again")
    assert again.exit_code == 0 and "3 already linked" in again.output
    for name in SAMPLE_FILES:
        assert (tmp_path / "again" / name).read_bytes() == (linked_samples / name).read_bytes()
    clr = json.loads((linked_samples / "transcript.clr2.json").read_text())
    nested = clr["credentialSubject"]["verifiableCredential"]
    assert nested[0]["validFrom"] == SAMPLE_WHEN and nested[1]["validFrom"] == "2026-05-15T17:00:00Z"  # Keystone's
    assert clr["credentialSubject"]["achievement"][2]["name"] == "Welding Shop Safety Badge"
