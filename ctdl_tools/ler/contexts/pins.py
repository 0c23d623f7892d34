"""sha256 pins of the vendored LER JSON-LD contexts (see SOURCES.md) and the URLs each one answers for.

The content behind one context URL drifts over time (the two copies of OB 3.0.3 differ), and a drifted
context changes what a signature covers, so every file is pinned by hash and checked by a test.
"""

PINNED_SHA256 = {
    "credentials-v2.json": "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    "2018-credentials-v1.json": "3d0b277522ed24385c850b9882b9688687189b8f37a9bd9f1577e348b1019c44",
    "ob-v3p0-3.0.3.json": "3d34f4d4ef1bce691106e63798beb5e7b862ba841423f5ee1e53ab7ddf3bca84",
    "ob-v3p0-3.0.3.spec-repo-variant.json": "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761",
    "ob-v3p0-3.0.2.json": "bba433989e1e700ca60838a3c22378e7d8381aeb0c9590f9ddf84d1714f10296",
    "ob-v3p0.json": "b077fa134d909d92c1dcd1c153f2af1b244aeb415967fdc1467d7fc5dd48ac10",
    "ob-v3p0-extensions.json": "146f85aa16effd7ca1da8056eb443f53ce1eca8a34186cb062832c0a97d889c3",
    "clr-v2p0-2.0.1.json": "880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6",
    "security-suites-ed25519-2020-v1.json": "67646fbc0d6582ad7fbf08ccf0d3a4bedbb4177fd2d63385de52dc1b092ed6c5",
    "data-integrity-v1.json": "c6e5073f4bd4bf6d08f245736e6f32c29b012860b18583644b2d71e1de862669",
    "obv2x.json": "393a890d7d95eb3a86f5f12309648a64c2d0676e5270e2967b5341a2dcea13d2",
    "credentials-examples-v2.json": "57393fbc69d6efb9b9b5dc9cb6b9880b0944360abfe2eaf459c9e58cf2279d7c",
    "citizenship-v4rc1.json": "3edaa0fef94223eeb863d71ebd550c45d74143db14911d606f36d579d2dd46af",
    "data-integrity-v2.json": "0f77743daf5b4e8fc067fc5ba5b21044283053aa717fc6b0219843bed3b00363",
}

OB_303_URL = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

# Official URL -> vendored file. Only URLs whose content we hold are listed: context-3.0.1.json,
# w3id.org/dcc/v1, multikey/v1 and the like are refused rather than guessed (a wrong context silently
# changes what a proof covers). The legacy 3.0.0 context answers for both of its published URLs, as in
# the 1EdTech validator's CachingDocumentLoader.
CONTEXT_URLS = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.json",
    "https://www.w3.org/2018/credentials/v1": "2018-credentials-v1.json",
    OB_303_URL: "ob-v3p0-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "ob-v3p0-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "ob-v3p0.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld": "ob-v3p0.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": "clr-v2p0-2.0.1.json",
    "https://w3id.org/security/suites/ed25519-2020/v1": "security-suites-ed25519-2020-v1.json",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.json",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.json",
    "https://w3id.org/openbadges/v2": "obv2x.json",
    # Used by the W3C vc-di-ecdsa test vectors (ecdsa-rdfc-2019, ecdsa-sd-2023) that the ECDSA suites are
    # tested against; examples/v2 is also the context of every VC 2.0 specification example.
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.json",
    "https://w3id.org/citizenship/v4rc1": "citizenship-v4rc1.json",
}

# The two known contents of the OB 3.0.3 URL: the 1EdTech validator's (a superset: adds `jti` and
# top-level `endorsementJwt`) is served by default; the spec repository's copy is kept for comparison.
OB_303_COPIES = {
    "validator": "ob-v3p0-3.0.3.json",
    "spec-repo": "ob-v3p0-3.0.3.spec-repo-variant.json",
}
