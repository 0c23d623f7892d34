"""Generate the sample LERs in this folder: badges Riverbend Community College issued for its own programs.

    python samples/ler/make_badges.py

Deterministic: the same bytes every run (fixed ids and dates; Ed25519 signatures are deterministic).
Everything is signed with DEMO keys derived from public strings in this file. The Riverbend key is also
written to DEMO-ISSUER-KEY.jwk.json so `ctdl ler link --issuer-key` can re-sign the samples. These keys are
public: anyone can sign anything with them. Never use them, or anything signed with them, for real.

Files written:

* welding-technology-aas.ob3.json — OB 3.0 AchievementCredential (VC 2.0, eddsa-rdfc-2022) for the
  "Welding Technology, A.A.S." degree, with a result description for the "Welding Safety" competency;
* transcript.clr2.json — CLR 2.0 (eddsa-rdfc-2022) holding two separately signed OB 3.0 badges (one from
  Riverbend, one from Keystone Welding & Trades Institute, whose key is *not* provided) and two
  competency achievements;
* customer-service-badge.ob2-badgeclass.json — an OB 2.0 BadgeClass (unsigned, as BadgeClasses are).
"""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # run from a checkout without installing

from ctdl_tools.ler.keys import did_key, did_key_vm, ed25519_key  # noqa: E402
from ctdl_tools.ler.multibase import b64url_encode  # noqa: E402
from ctdl_tools.ler.proofs import sign  # noqa: E402

NAMESPACE = uuid.UUID("5b1a4c2e-9d3f-4e6a-8b7c-1d2e3f4a5b6c")
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
OB2 = "https://w3id.org/openbadges/v2"
LEARNER = "did:example:learner-jordan-rivera"
RIVERBEND, KEYSTONE = "Riverbend Community College", "Keystone Welding & Trades Institute"
ISSUED = "2026-05-15T17:00:00Z"
SIGNED = "2026-05-15T17:05:00Z"


def demo_key(label: str):  # -> IssuerKey
    seed = hashlib.sha256(f"ctdl_tools DEMO issuer key for {label}: public, for demonstrations only".encode()).digest()
    key = ed25519_key(seed)
    return key.with_id(did_key_vm(key), did_key(key))


def urn(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, name)}"


def profile(key, name: str, url: str) -> dict:
    return {"id": did_key(key), "type": ["Profile"], "name": name, "url": url}


def achievement(ident: str, name: str, kind: str, description: str, narrative: str, creator: dict, **extra) -> dict:
    return {"id": ident, "type": ["Achievement"], "achievementType": kind, "name": name, "description": description,
            "criteria": {"narrative": narrative}, "creator": creator, **extra}


def ob3(key, issuer: dict, ident: str, name: str, achieved: dict, **subject_extra) -> dict:
    return {"@context": [VC_V2, OB3], "id": urn(ident), "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": issuer, "validFrom": ISSUED, "name": name,
            "credentialSubject": {"id": LEARNER, "type": ["AchievementSubject"], "achievement": achieved,
                                  **subject_extra}}


def signed(document: dict, key) -> dict:
    return sign(document, key, "eddsa-rdfc-2022", key.id, created=SIGNED)


def welding_aas(riverbend) -> dict:
    issuer = profile(riverbend, RIVERBEND, "https://www.riverbend.example.edu/")
    safety = {"id": "https://www.riverbend.example.edu/achievements/aas-weld/results/welding-safety",
              "type": ["ResultDescription"], "name": "Welding Safety", "resultType": "Status"}
    degree = achievement(
        "https://www.riverbend.example.edu/achievements/aas-weld", "Welding Technology, A.A.S.", "AssociateDegree",
        "Prepares students for careers as combination welders and fabricators in manufacturing, construction and "
        "energy.",
        "Complete the 60 credit hours of the Welding Technology curriculum with a cumulative GPA of 2.0 or higher.",
        issuer, resultDescription=[safety])
    result = {"type": ["Result"], "resultDescription": safety["id"], "status": "Completed"}
    return signed(ob3(riverbend, issuer, "aas-weld/jordan-rivera", "Welding Technology, A.A.S.", degree,
                      result=[result]), riverbend)


def transcript(riverbend, keystone) -> dict:
    river = profile(riverbend, RIVERBEND, "https://www.riverbend.example.edu/")
    keys = profile(keystone, KEYSTONE, "https://www.keystone-welding.example.org/")
    blueprint = signed(ob3(riverbend, river, "badge-blueprint/jordan-rivera", "Blueprint Reading Badge", achievement(
        "https://www.riverbend.example.edu/achievements/badge-blueprint", "Blueprint Reading Badge", "Badge",
        "Reads welding symbols, shop drawings and welding procedure specifications.",
        "Pass the blueprint reading assessment with 80% or better.", river)), riverbend)
    shop_safety = signed(ob3(keystone, keys, "badge-shop-safety/jordan-rivera", "Welding Shop Safety Badge",
                             achievement("https://www.keystone-welding.example.org/badges/shop-safety",
                                         "Welding Shop Safety Badge", "Badge",
                                         "Works safely in a welding and cutting shop.",
                                         "Complete the shop safety module and its practical check-off.", keys)),
                         keystone)
    competencies = [
        achievement(urn("competency/welding-ppe"), "Welding PPE", "Competency",
                    "Select, inspect and wear personal protective equipment appropriate to arc welding and cutting.",
                    "Demonstrated in the WLD 101 lab check-off.", river),
        achievement(urn("competency/thermal-cutting"), "Thermal Cutting", "Competency",
                    "Set up oxy-fuel and plasma cutting equipment and make straight, bevel and shape cuts safely.",
                    "Demonstrated in the WLD 110 cutting practical.", river),
    ]
    association = {"type": "Association", "associationType": "isRelatedTo", "sourceId": competencies[0]["id"],
                   "targetId": competencies[1]["id"]}
    clr = {"@context": [VC_V2, CLR, OB3], "id": urn("clr/jordan-rivera/2026-spring"),
           "type": ["VerifiableCredential", "ClrCredential"], "issuer": river, "validFrom": ISSUED,
           "name": "Jordan Rivera — Welding pathway record, Spring 2026",
           "credentialSubject": {"id": LEARNER, "type": ["ClrSubject"],
                                 "verifiableCredential": [blueprint, shop_safety],
                                 "achievement": competencies, "association": [association]}}
    return signed(clr, riverbend)


def badgeclass() -> dict:
    return {"@context": OB2, "type": "BadgeClass",
            "id": "https://www.riverbend.example.edu/badges/customer-service-excellence.json",
            "name": "Customer Service Excellence Badge",
            "description": "Recognizes learners who resolve customer requests professionally and recover from "
                           "service failures.",
            "image": "https://www.riverbend.example.edu/badges/customer-service-excellence.png",
            "criteria": {"narrative": "Complete the customer service workshop series and a recorded role play."},
            "issuer": {"id": "https://www.riverbend.example.edu/badges/issuer.json", "type": "Issuer",
                       "name": RIVERBEND, "url": "https://www.riverbend.example.edu/"},
            "tags": ["customer service", "communication"]}


def key_file(key) -> dict:
    private = key.private_key.private_bytes_raw()
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(key.public_bytes()), "d": b64url_encode(private),
            "kid": key.id,
            "note": "DEMO KEY. Published with ctdl_tools: anyone can sign with it. For the samples only; never "
                    "use it, or anything it signed, for real credentials."}


def write(name: str, document: dict) -> None:
    (HERE / name).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    riverbend, keystone = demo_key(RIVERBEND), demo_key(KEYSTONE)
    write("DEMO-ISSUER-KEY.jwk.json", key_file(riverbend))
    write("welding-technology-aas.ob3.json", welding_aas(riverbend))
    write("transcript.clr2.json", transcript(riverbend, keystone))
    write("customer-service-badge.ob2-badgeclass.json", badgeclass())


if __name__ == "__main__":
    main()
