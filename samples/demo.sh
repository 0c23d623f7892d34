#!/bin/sh
# The main job on the samples: convert → validate → publish (embedded local registry) → link the sample
# badges to the published records (re-signed with the DEMO issuer key) → check every link resolves.
# Run from the repository root with ctdl on PATH; everything is written under ${1:-out}/.
set -e
out=${1:-out}

echo "== convert"
ctdl convert samples/college samples/catalog.json -o "$out/ctdl"

echo "== validate (report: $out/validation.html)"
ctdl validate "$out/ctdl" --format html -o "$out/validation.html"
ctdl validate "$out/ctdl" --disable 'MDP-*-BENCHMARK-*' | tail -n 2

echo "== publish to the embedded local registry ($out/registry.sqlite)"
ctdl publish "$out/ctdl" --db "$out/registry.sqlite"

echo "== link the sample badges to the registry records"
ctdl ler link samples/ler --index "$out/ctdl" --issuer-key samples/ler/DEMO-ISSUER-KEY.jwk.json -o "$out/ler"
ctdl ler verify "$out/ler"
ctdl ler check "$out/ler" --index "$out/ctdl"

echo
echo "Browse what was published:  ctdl registry serve --db $out/registry.sqlite --port 8765"
echo "then open http://127.0.0.1:8765/ ; a readable badge: ctdl ler show $out/ler/welding-technology-aas.ob3.json --html -o $out/welding.html --index $out/ctdl"
