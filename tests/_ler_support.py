"""Helpers for the ``ctdl ler`` link/check/show tests: keys, small CTDL indexes, credentials, the CLI."""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric import rsa

from ctdl_tools.ler.commands import ler
from ctdl_tools.ler.keys import IssuerKey, did_key, did_key_vm, ed25519_key, key_from_jwk
from ctdl_tools.ler.multibase import b64url_encode
from ctdl_tools.ler.proofs import sign
from tests.conftest import DATA, SAMPLES

LER = DATA / "ler"
CREDS = LER / "credentials"
LINK_DATA = LER / "link"
EXPECTED = json.loads((LER / "vectors" / "expected.json").read_text())
REGISTRY = "https://credentialengineregistry.org/resources/"
CTDL = "https://credreg.net/ctdl/schema/context/json"
CTDLASN = "https://credreg.net/ctdlasn/schema/context/json"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB3_LEGACY = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
ED25519_2020 = "https://w3id.org/security/suites/ed25519-2020/v1"
NAMESPACE = uuid.UUID("3d9c1a7e-5b2f-4c8d-9e1a-2b3c4d5e6f70")
WHEN = "2026-03-01T12:00:00Z"

EXAMPLE_CORP = "ce-11111111-1111-4111-8111-111111111111"
TEAMWORK = "ce-22222222-2222-4222-8222-222222222222"
EXAMPLE_UNIVERSITY = "ce-33333333-3333-4333-8333-333333333333"
ACHIEVEMENT_1 = "ce-44444444-4444-4444-8444-444444444444"
ACHIEVEMENT_2 = "ce-55555555-5555-4555-8555-555555555555"
EDMONDS = "ce-66666666-6666-4666-8666-666666666666"
REQUIREMENTS = "ce-cf4dee18-7cea-443a-b920-158a0762c6bf"  # the CTID in the 1EdTech / DCC examples
FRAMEWORK = "ce-77777777-7777-4777-8777-777777777777"
LINEAR = "ce-6369c51f-4d86-4592-a761-8b32ae70a045"  # the competency CTID in skillAssertionCtdl
ROBOTICS = "ce-88888888-8888-4888-8888-888888888888"


def ctid(label: str) -> str:
    return f"ce-{uuid.uuid5(NAMESPACE, label)}"


# ============================================================================================ keys


def vector_key() -> IssuerKey:
    """The 1EdTech test vectors' published Ed25519 key (a public test key, never a real issuer's)."""
    return ed25519_key(bytes.fromhex(EXPECTED["key"]["private_hex"]), id=EXPECTED["key"]["id"],
                       controller=EXPECTED["key"]["controller"])


def did_key_pair(label: str) -> IssuerKey:
    key = ed25519_key(uuid.uuid5(NAMESPACE, label).bytes * 2)
    return key.with_id(did_key_vm(key), did_key(key))


def ed25519_jwk(key: IssuerKey) -> dict[str, str]:
    private = key.private_key.private_bytes_raw()  # type: ignore[union-attr]
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(key.public_bytes()), "d": b64url_encode(private)}
    return {**jwk, "kid": key.id} if key.id else jwk


def multikey(key: IssuerKey) -> dict[str, str]:
    from ctdl_tools.ler.multibase import ED25519_PRIV, encode_multikey

    private = key.private_key.private_bytes_raw()  # type: ignore[union-attr]
    return {"type": "Multikey", "id": key.id or "", "publicKeyMultibase": key.public_multibase(),
            "secretKeyMultibase": encode_multikey(ED25519_PRIV, private)}


_RSA: dict[str, rsa.RSAPrivateKey] = {}


def rsa_jwk(label: str = "rsa", kid: str | None = None) -> dict[str, str]:
    """A private RSA JWK (2048 bits), one per label per test session (generation is slow)."""
    private = _RSA.setdefault(label, rsa.generate_private_key(public_exponent=65537, key_size=2048))
    numbers = private.private_numbers()
    pub = numbers.public_numbers

    def enc(value: int) -> str:
        return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    jwk = {"kty": "RSA", "n": enc(pub.n), "e": enc(pub.e), "d": enc(numbers.d), "p": enc(numbers.p),
           "q": enc(numbers.q), "dp": enc(numbers.dmp1), "dq": enc(numbers.dmq1), "qi": enc(numbers.iqmp)}
    return {**jwk, "kid": kid} if kid else jwk


def rsa_key(label: str = "rsa", kid: str | None = None) -> IssuerKey:
    return key_from_jwk(rsa_jwk(label, kid))


def write_json(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# ========================================================================================== indexes


def node(ctid_: str, type_: str, name: str, owner: str | None = None, **extra: Any) -> dict[str, Any]:
    found = {"@id": REGISTRY + ctid_, "@type": type_, "ceterms:ctid": ctid_}
    if type_.startswith("ceasn:Competency") and type_ != "ceasn:CompetencyFramework":
        found["ceasn:competencyText"] = {"en-US": name}
    elif type_ == "ceasn:CompetencyFramework":
        found["ceasn:name"] = {"en-US": name}
    else:
        found["ceterms:name"] = {"en-US": name}
    if owner:
        key = "ceasn:publisher" if type_ == "ceasn:CompetencyFramework" else "ceterms:ownedBy"
        found[key] = [REGISTRY + owner]
    return {**found, **extra}


def write_index(folder: Path, *nodes: dict[str, Any]) -> Path:
    for item in nodes:
        context = CTDLASN if item["@type"].startswith("ceasn:") else CTDL
        document = {"@context": context, "@id": item["@id"].replace("/resources/", "/graph/"), "@graph": [item]}
        write_json(folder / f"{item['ceterms:ctid']}.json", document)
    return folder


def spec_index(folder: Path) -> Path:
    """Records for the 1EdTech / DCC example credentials."""
    return write_index(
        folder,
        node(EXAMPLE_CORP, "ceterms:CredentialOrganization", "Example Corp"),
        node(TEAMWORK, "ceterms:DigitalBadge", "Teamwork", EXAMPLE_CORP),
        node(EXAMPLE_UNIVERSITY, "ceterms:CredentialOrganization", "Example University"),
        node(ACHIEVEMENT_1, "ceterms:Certificate", "Achievement 1", EXAMPLE_UNIVERSITY),
        node(ACHIEVEMENT_2, "ceterms:Certificate", "Achievement 2", EXAMPLE_UNIVERSITY),
        node(EDMONDS, "ceterms:CredentialOrganization", "Edmonds College"),
        node(REQUIREMENTS, "ceterms:Certificate", "Requirements Analysis", EDMONDS),
        node(FRAMEWORK, "ceasn:CompetencyFramework", "Finite Math Skills", EXAMPLE_UNIVERSITY),
        node(LINEAR, "ceasn:Competency", "Solve and graph linear equations and inequalities",
             **{"ceasn:isPartOf": REGISTRY + FRAMEWORK}),
        node(ROBOTICS, "ceterms:DigitalBadge", "Awesome Robotics Badge", EXAMPLE_UNIVERSITY),
    )


# ====================================================================================== credentials


def ob3_credential(key: IssuerKey, *, name: str = "Teamwork", issuer_name: str = "Example Corp",
                   issuer_id: str | None = None, vc: str = "2.0", **achievement_extra: Any) -> dict[str, Any]:
    """An unsigned OB 3.0 credential issued under ``key``'s DID (or ``issuer_id``)."""
    issuer = {"id": issuer_id or did_key(key), "type": ["Profile"], "name": issuer_name}
    achievement = {"id": f"https://example.org/achievements/{uuid.uuid5(NAMESPACE, name)}", "type": ["Achievement"],
                   "criteria": {"narrative": "Do the work."}, "description": f"The {name} achievement.",
                   "name": name, **achievement_extra}
    document: dict[str, Any] = {
        "@context": [VC_V2, OB3] if vc == "2.0" else [VC_V1, OB3_LEGACY, ED25519_2020],
        "id": f"urn:uuid:{uuid.uuid5(NAMESPACE, 'credential-' + name)}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"], "issuer": issuer,
        ("validFrom" if vc == "2.0" else "issuanceDate"): "2024-01-01T00:00:00Z", "name": f"{name} credential",
        "credentialSubject": {"id": "did:example:learner", "type": ["AchievementSubject"], "achievement": achievement}}
    return document


def signed(document: dict[str, Any], key: IssuerKey, suite: str = "eddsa-rdfc-2022",
           vm: str | None = None) -> dict[str, Any]:
    return sign(document, key, suite, vm or key.id or "", created="2024-01-01T00:00:01Z")


# ============================================================================================== CLI


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(ler, [str(a) for a in args], catch_exceptions=False)


def link(*args: str | Path) -> Result:
    """``ctdl ler link`` at the tests' fixed issue time."""
    return cli("link", *args, "--issued-at", WHEN)


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """The spec-example registry records as a ``--index`` folder."""
    return spec_index(tmp_path / "index")


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections to 127.0.0.1 only: the tests' own registry servers, nothing else."""
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"a network connection to {host} was attempted")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture(scope="session")
def sample_ctdl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ctdl convert samples/college samples/catalog.json`, once per session."""
    from ctdl_tools.build.convert import ConvertOptions, convert

    out = tmp_path_factory.mktemp("sample-ctdl")
    convert([SAMPLES / "college", SAMPLES / "catalog.json"], out, ConvertOptions(), workers=1)
    return out


SAMPLE_LER = SAMPLES / "ler"
DEMO_KEY = SAMPLE_LER / "DEMO-ISSUER-KEY.jwk.json"


def ctid_named(folder: Path, name: str) -> str:
    """The CTID `ctdl convert` derived for the record named ``name`` (CTIDs are derived, never hard-coded)."""
    found = []
    for path in folder.glob("*.json"):
        for item in json.loads(path.read_text())["@graph"]:
            names = [v for k in ("ceterms:name", "ceasn:competencyLabel") for v in (item.get(k) or {}).values()]
            if name in names:
                found.append(item["ceterms:ctid"])
    assert len(found) == 1, f"{len(found)} records named {name!r}"
    return found[0]
