#!/usr/bin/env bash
# Runs the README's curl walkthrough verbatim against a freshly started server
# (demo configuration, a throwaway PGlite directory) and checks the answers.
set -euo pipefail
cd "$(dirname "$0")/.."

workdir=$(mktemp -d)
# The README talks to port 8000, so the server must get it.
port=8000
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

npm run build --silent
TAXII_DATA_DIR="$workdir/data" TAXII_PORT=$port node dist/src/server.js >"$workdir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do
  curl -s -o /dev/null "http://127.0.0.1:$port/taxii2/" && break
  sleep 0.5
done
kill -0 "$server_pid" 2>/dev/null || { cat "$workdir/server.log"; echo "walkthrough: the server did not start (is port $port taken?)"; exit 1; }

# The walkthrough block, exactly as the README shows it.
# Every block between the markers, in order, without the fences.
awk '/<!-- walkthrough:start -->/ {on = 1; next} /<!-- walkthrough:end -->/ {on = 0; next} on && !/^```/' README.md >"$workdir/walkthrough.sh"
bash -e "$workdir/walkthrough.sh" >"$workdir/out.txt" 2>&1 || { cat "$workdir/out.txt"; echo "walkthrough: failed"; exit 1; }

expect() {
  grep -q -- "$1" "$workdir/out.txt" || { cat "$workdir/out.txt"; echo "walkthrough: expected to see: $1"; exit 1; }
}
expect '"title":"taxii-exchange demo"'
expect '"api_roots":\["/alliance/","/sandbox/"\]'
expect '"status":"complete","request_timestamp"'
expect '"total_count":3,"success_count":3'
expect 'indicator.id: \\"indicator--not-a-uuid\\" does not end in an RFC 4122 UUID'
expect 'x-taxii-date-added-first: '
expect '"more":true,"next":"'
expect '"aliases": \["ExRAT"\]'
expect '"versions":\["2026-01-10T08:00:00.000Z","2026-02-01T09:30:00.000Z"\]'
expect 'HTTP/1.1 401 Unauthorized'
expect 'www-authenticate: Basic realm="taxii-exchange"'
expect '"http_status":"406"'
expect 'limit must be a whole number greater than 0'
expect '"http_status":"404"'
expect '"total_count":7,"success_count":6'
expect 'TLP:RED content needs a recipients marking'
expect 'Advisory (TLP:RED, NATO only)\|report--0f0e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a25'
expect 'No object report--0f0e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a25'
expect "TLP:AMBER+STRICT exceeds this collection's maximum, TLP:AMBER"
expect 'this collection requires a TLP marking on every object'
expect '{"status":"ready","checks":{"database":"ok","migrations":"ok","shutdown":"ok"}}'
expect 'taxii_objects_stored_total{collection="alliance/cert-eu-advisories",partner="cert-eu"} 6'
# CERT-EU's manifest lists all five reports; CERT-FR's exactly the CLEAR, GREEN and AMBER ones.
grep '1a21' "$workdir/out.txt" | grep '1a24' | grep -q '1a25' || { echo "walkthrough: CERT-EU should see every report"; exit 1; }
grep '"objects":\[{"id":"report--0f0e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a21"' "$workdir/out.txt" | grep '1a22' | grep '1a23' | grep -v '1a24' | grep -qv '1a25' ||
  { echo "walkthrough: CERT-FR should see the CLEAR, GREEN and AMBER reports only"; exit 1; }
lines=$(wc -l <"$workdir/out.txt")
echo "walkthrough: ok ($lines lines of output, every command ran)"

# "A day at the exchange": the command line acts on the running server's data directory.
awk '/<!-- operating:start -->/ {on = 1; next} /<!-- operating:end -->/ {on = 0; next} on && !/^```/' README.md >"$workdir/operating.sh"
TAXII_DATA_DIR="$workdir/data" bash -e "$workdir/operating.sh" >"$workdir/operating.txt" 2>&1 ||
  { cat "$workdir/operating.txt"; echo "operating: failed"; exit 1; }
expect_op() {
  grep -q -- "$1" "$workdir/operating.txt" || { cat "$workdir/operating.txt"; echo "operating: expected to see: $1"; exit 1; }
}
expect_op 'partner added: cert-de (CERT-DE): active, clearance green, communities eu'
expect_op 'API key (shown once; give it to the partner now): '
expect_op 'client certificate: subject:CN=feed.cert-de.example,O=CERT-DE'
expect_op '"title":"taxii-exchange demo"'
expect_op 'old key: 401'
expect_op 'new key: 200'
expect_op 'suspended: 401'
expect_op '"title":"Ransomware","alias":"ransomware","can_read":true,"can_write":true'
expect_op 'grant cert-at: read and write'
expect_op 'managed by: administration (the command line and the admin API)'
expect_op 'partner cert-fr is defined in the configuration file'
expect_op 'refused, as it should be'
expect_op 'importing 155 object(s) from 1 file(s) into alliance/ransomware as cert-at'
expect_op 'progress: 155/155 objects 100%'
expect_op 'imported 155 object(s) in .* s: 155 stored, 0 already present, 0 refused'
expect_op 'imported 155 object(s) in .* s: 0 stored, 155 already present, 0 refused'
expect_op '"valid_from": "2015-05-15T09:12:16.432678Z"'
expect_op 'partner cert-at pull via objects alliance/ransomware: 2015-05-15T09:12:16.432Z from 127.0.0.1 request '
expect_op 'partner cert-at push via import alliance/ransomware: 2015-05-15T09:12:16.432Z stored from local by cli:'
expect_op 'partner cert-at pull via objects alliance/ransomware 3 version(s) from 127.0.0.1'
expect_op 'no collection alliance/ransomware available to partner "cert-de"'
expect_op 'refused: no grant'
expect_op 'cli:.* admin via key revoke cert-at k'
expect_op '"id":"cert-at","name":"CERT.at","status":"active","clearance":"amber"'
expect_op '"events":\[{"at":"[^"]*","actor":"cert-at","actor_kind":"partner","action":"pull","via":"objects"'
expect_op 'partner credentials are not accepted here'
echo "operating: ok ($(wc -l <"$workdir/operating.txt") lines of output)"
