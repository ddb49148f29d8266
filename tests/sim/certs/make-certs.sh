#!/usr/bin/env bash
# Regenerates the simulator's test PKI: an Ed25519 CA and an Ed25519 server
# certificate for sim.pquic.test, valid from 2000 to 2099 so that no clock
# makes them expire. Ed25519 signatures have a fixed size, so the TLS flight
# sizes, hence the simulated datagram sizes and times, are the same on every
# run. Test-only keys: never use them elsewhere.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = sim
[sim]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = default
policy = anything
copy_extensions = none
[anything]
commonName = supplied
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:sim.pquic.test
CNF
touch "$work/index.txt"
echo 01 > "$work/serial"
dates=(-startdate 20000101000000Z -enddate 20991231235959Z)
openssl genpkey -algorithm ed25519 -out "$work/ca.key"
openssl req -new -key "$work/ca.key" -subj "/CN=pquic simulator test CA" -out "$work/ca.csr"
openssl ca -batch -config "$work/ca.cnf" -selfsign -keyfile "$work/ca.key" -in "$work/ca.csr" \
  -extensions ca_ext "${dates[@]}" -notext -out ca.pem 2>/dev/null
openssl genpkey -algorithm ed25519 -out server.key
openssl req -new -key server.key -subj "/CN=sim.pquic.test" -out "$work/server.csr"
openssl ca -batch -config "$work/ca.cnf" -cert ca.pem -keyfile "$work/ca.key" \
  -in "$work/server.csr" -extensions server_ext "${dates[@]}" -notext -out server.pem 2>/dev/null
chmod 644 server.key
openssl verify -CAfile ca.pem server.pem
