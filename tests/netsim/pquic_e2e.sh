#!/usr/bin/env bash
# pquic through pquic-netsim on loopback: 20 ms one-way delay, 20 Mbit/s,
# a one-BDP drop-tail queue (100 KB). A 10 MB download must report
# rtt_min_ms within 40-43 and goodput_mbps >= 16.
# Usage: pquic_e2e.sh PATH_TO_PQUIC PATH_TO_PQUIC_NETSIM
set -u
PQUIC=${1:?usage: pquic_e2e.sh PQUIC NETSIM}
NETSIM=${2:?usage: pquic_e2e.sh PQUIC NETSIM}
for b in "$PQUIC" "$NETSIM"; do
  [[ -x "$b" ]] || { echo "netsim_pquic_e2e: FAIL: $b is missing or not executable"; exit 1; }
done
WORK=$(mktemp -d)
SERVER_PID= NETSIM_PID=
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill -TERM "$SERVER_PID" 2>/dev/null
  [[ -n "$NETSIM_PID" ]] && kill -TERM "$NETSIM_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
die() { echo "netsim_pquic_e2e: FAIL: $*"; exit 1; }

# wait_for FILE SED_EXPR PID: prints the first match, within 5 s.
wait_for() {
  local v
  for _ in $(seq 100); do
    v=$(sed -n "$2" "$1" | head -1)
    [[ -n "$v" ]] && { echo "$v"; return 0; }
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

cd "$WORK" || exit 1
"$PQUIC" cert --cert cert.pem --key key.pem --host 127.0.0.1 >/dev/null || die "pquic cert"
"$PQUIC" server --addr 127.0.0.1 --port 0 --cert cert.pem --key key.pem 2>server.err &
SERVER_PID=$!
SPORT=$(wait_for server.err 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$SERVER_PID") ||
  { cat server.err; die "server did not start"; }

"$NETSIM" --realtime --link "127.0.0.1:0=127.0.0.1:$SPORT,delay=20ms,rate=20mbit,queue=100kb" \
  >netsim.out 2>&1 &
NETSIM_PID=$!
NPORT=$(wait_for netsim.out 's/^netsim: link 0 listen 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$NETSIM_PID") ||
  { cat netsim.out; die "netsim did not start"; }

timeout 60 "$PQUIC" client --ca cert.pem --discard --quiet --timeout 20 \
  "https://127.0.0.1:$NPORT/10000000" >client.out 2>client.err
rc=$?
kill -TERM "$NETSIM_PID"
wait "$NETSIM_PID"
NETSIM_PID=
grep "netsim: stats" netsim.out
cat client.out
[[ $rc -eq 0 ]] || { cat client.err; die "client exited $rc"; }

line=$(grep -m1 '^bytes=' client.out) || die "no summary line"
field() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" <<<"$line"; }
bytes=$(field bytes) rtt_min=$(field rtt_min_ms) goodput=$(field goodput_mbps)
[[ "$bytes" == 10000000 ]] || die "bytes=$bytes, want 10000000"
awk -v r="$rtt_min" 'BEGIN { exit !(r >= 40 && r <= 43) }' || die "rtt_min_ms=$rtt_min, want 40-43"
awk -v g="$goodput" 'BEGIN { exit !(g >= 16) }' || die "goodput_mbps=$goodput, want >= 16"
echo "netsim_pquic_e2e: rtt_min_ms=$rtt_min (40-43) goodput_mbps=$goodput (>= 16) PASS"
echo "netsim_pquic_e2e: 1 passed, 0 failed"
