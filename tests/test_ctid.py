import uuid

import pytest

from ctdl_tools.ctid import (
    ctid_from_uuid,
    ctid_in_uri,
    derive_ctid,
    graph_uri,
    is_ctid,
    mint_ctid,
    namespace_from,
    normalize_ctid,
    resource_uri,
)


def test_mint_is_a_valid_lowercase_ctid() -> None:
    ctid = mint_ctid()
    assert is_ctid(ctid) and ctid == ctid.lower() and len(ctid) == 39


@pytest.mark.parametrize("bad", ["", "ce-", "ce-1234", "CE-E8A41A52-6FF6-48F0-9872-889C87B093B7x",
                                 "e8a41a52-6ff6-48f0-9872-889c87b093b7", "ce_e8a41a52-6ff6-48f0-9872-889c87b093b7"])
def test_bad_ctids_are_refused(bad: str) -> None:
    assert not is_ctid(bad)
    with pytest.raises(ValueError):
        normalize_ctid(bad)


def test_upper_case_ctid_is_normalised() -> None:
    assert normalize_ctid(" CE-E8A41A52-6FF6-48F0-9872-889C87B093B7 ") == "ce-e8a41a52-6ff6-48f0-9872-889c87b093b7"


def test_derived_ctids_are_stable_and_namespaced() -> None:
    ns = namespace_from("https://www.riverbend.example.edu")
    assert derive_ctid(ns, "credential:AAS-WELD") == derive_ctid(ns, "credential:AAS-WELD")
    assert derive_ctid(ns, "credential:AAS-WELD") != derive_ctid(namespace_from(None), "credential:AAS-WELD")
    assert is_ctid(derive_ctid(ns, "x"))
    assert namespace_from("6f1d2c3e-7a4b-5c8d-9e0f-1a2b3c4d5e6f") == uuid.UUID("6f1d2c3e-7a4b-5c8d-9e0f-1a2b3c4d5e6f")


def test_uris() -> None:
    ctid = "ce-e8a41a52-6ff6-48f0-9872-889c87b093b7"
    assert resource_uri(ctid) == f"https://credentialengineregistry.org/resources/{ctid}"
    assert graph_uri(ctid, "http://127.0.0.1:8080/") == f"http://127.0.0.1:8080/graph/{ctid}"
    assert ctid_in_uri(resource_uri(ctid)) == ctid
    assert ctid_from_uuid("E8A41A52-6FF6-48F0-9872-889C87B093B7") == ctid
