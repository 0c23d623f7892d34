"""sha256 pins of the vendored vocabulary files (see data/SOURCES.md)."""

PINNED_SHA256 = {
    "ctdl_schema.json": "a2dd28cb08f9e5e0324fe155e7381c276d70e69cb95521dab120f042cc538776",
    "ctdl_context.json": "ddb6b4586c38df5fa43aa5f6a558de407dd7acdec9bc1329ce790e164bf40db5",
    "ctdlasn_schema.json": "8bacfcec140c03e144903acd04eeacc3f466c2245ca2a1bb703a322981fda0b7",
    "ctdlasn_context.json": "783a5a5e132deb0023f6a4ea5201b9b69e298e6c359c1fd8d3c595392f8e7e72",
}

# Official URLs each bundled context answers for. Registry records use both the https and the older
# http form (CredentialRegistry db/seeds), so both are served offline.
CONTEXT_URLS = {
    "https://credreg.net/ctdl/schema/context/json": "ctdl_context.json",
    "http://credreg.net/ctdl/schema/context/json": "ctdl_context.json",
    "https://credreg.net/ctdlasn/schema/context/json": "ctdlasn_context.json",
    "http://credreg.net/ctdlasn/schema/context/json": "ctdlasn_context.json",
}

CTDL_CONTEXT_URL = "https://credreg.net/ctdl/schema/context/json"
CTDLASN_CONTEXT_URL = "https://credreg.net/ctdlasn/schema/context/json"
