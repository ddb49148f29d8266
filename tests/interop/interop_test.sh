#!/usr/bin/env bash
# Interoperability with ngtcp2 (Debian's gtlsclient/gtlsserver 0.12, HTTP/3,
# QUIC v1), one case per CTest test interop_<case>.
# Usage: interop_test.sh PQUIC GTLSCLIENT GTLSSERVER CASE
#
# Loopback only. Our server listens on a kernel-chosen port; gtlsserver needs
# a number, taken from a port the kernel just handed out (and another one if
# it turns out to be taken meanwhile), so parallel runs never clash. Every
# command runs under `timeout`; servers are stopped by their process id on
# every exit path. Each case checks the bytes (cmp against the served files)
# and the evidence of the feature it tests (our summary line or ngtcp2's own
# log lines); gtlsclient exits 0 even when a download stalls, so its files
# are what counts.
set -u
PQUIC=$1
GTLSCLIENT=$2
GTLSSERVER=$3
CASE=$4
WORK=$(mktemp -d /tmp/pquic-interop.XXXXXX)
PIDS=() # servers still running
forget() {
  local keep=() p
  for p in "${PIDS[@]}"; do [[ "$p" != "$1" ]] && keep+=("$p"); done
  PIDS=("${keep[@]}")
}
cleanup() {
  for p in "${PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cd "$WORK" || exit 1

die() {
  echo "FAIL [$CASE]: $*" >&2
  exit 1
}

if [[ "$CASE" != *_pquic ]]; then
  for b in "$GTLSCLIENT" "$GTLSSERVER"; do
    command -v "$b" >/dev/null ||
      die "$b not found: install ngtcp2-client and ngtcp2-server (scripts/deps.sh)"
  done
fi

# --- fixtures ---

"$PQUIC" cert --cert cert.pem --key key.pem --host 127.0.0.1 || die "pquic cert failed"
mkdir -p www dl
# Random bodies: any misplaced, lost or repeated byte shows in cmp.
make_file() { head -c "$2" /dev/urandom >"www/$1"; }

# Checks that dl/NAME (or $3) has the bytes of www/NAME.
same() {
  local got=${2:-dl/$1}
  [[ -f "$got" ]] || die "$got was not downloaded"
  cmp -s "www/$1" "$got" || die "$got differs from www/$1 ($(stat -c %s "$got") of $(stat -c %s "www/$1") bytes)"
}

# A UDP port on 127.0.0.1 the kernel just gave out (free at that moment).
free_port() {
  python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts our server on 127.0.0.1 (or a later --addr ::1) and a kernel-chosen
# port; sets PORT, SPID, and PREF4/PREF6, the ports of its preferred
# addresses (--preferred-address 127.0.0.1:0 / [::1]:0) if any.
start_pquic() {
  # Emptied here, not by the redirection of the background job: that may run
  # after the first look below, which would read an earlier server's port.
  : >server.err
  "$PQUIC" server --addr 127.0.0.1 --port 0 --cert cert.pem --key key.pem --root "$WORK/www" \
    "$@" 2>server.err &
  SPID=$!
  PIDS+=("$SPID")
  for _ in $(seq 200); do
    PORT=$(sed -n 's/.*listening on \(127\.0\.0\.1\|\[::1\]\):\([0-9]*\) .*/\2/p' server.err)
    PREF4=$(sed -n 's/.* preferred=127\.0\.0\.1:\([0-9]*\).*/\1/p' server.err)
    PREF6=$(sed -n 's/.* preferred=\[::1\]:\([0-9]*\).*/\1/p' server.err)
    [[ -n "$PORT" ]] && return 0
    kill -0 "$SPID" 2>/dev/null || { cat server.err >&2; die "pquic server did not start"; }
    sleep 0.05
  done
  die "pquic server did not report its port"
}

# SIGTERM: our server must close its connections and leave with status 0.
stop_pquic() {
  kill -TERM "$SPID"
  local rc
  timeout 10 tail -s 0.05 --pid="$SPID" -f /dev/null || die "pquic server still running 10 s after SIGTERM"
  wait "$SPID"
  rc=$?
  forget "$SPID"
  [[ $rc -eq 0 ]] || { cat server.err >&2; die "pquic server exited $rc"; }
}

# Starts gtlsserver serving www/ (options in "$@"); sets PORT, GPID, and
# logs to gtlsserver.log. A first argument --preferred also gives it a
# preferred address, 127.0.0.1:PREF4 (a second free port, bound too).
start_gtls() {
  local pref=()
  PREF4=
  if [[ "${1:-}" == --preferred ]]; then
    shift
    pref=(x)
  fi
  for _ in 1 2 3 4 5; do
    PORT=$(free_port)
    if [[ ${#pref[@]} -gt 0 ]]; then
      PREF4=$(free_port)
      [[ "$PREF4" == "$PORT" ]] && continue
      pref=("--preferred-ipv4-addr=127.0.0.1:$PREF4")
    fi
    "$GTLSSERVER" "$@" "${pref[@]}" -d "$WORK/www" 127.0.0.1 "$PORT" key.pem cert.pem \
      >gtlsserver.log 2>&1 &
    GPID=$!
    for _ in $(seq 100); do
      kill -0 "$GPID" 2>/dev/null || break # lost a port to someone else: next ones
      if ss -Hunlp "sport = :$PORT" 2>/dev/null | grep -q "pid=$GPID," &&
        { [[ -z "$PREF4" ]] || ss -Hunlp "sport = :$PREF4" 2>/dev/null | grep -q "pid=$GPID,"; }; then
        PIDS+=("$GPID")
        return 0
      fi
      sleep 0.05
    done
    kill -TERM "$GPID" 2>/dev/null
    wait "$GPID" 2>/dev/null
  done
  cat gtlsserver.log >&2
  die "gtlsserver did not start"
}

stop_gtls() {
  kill -TERM "$GPID" 2>/dev/null
  wait "$GPID" 2>/dev/null
  forget "$GPID"
}

URL() { echo "https://127.0.0.1:$PORT/$1"; }

# Our client (bounded); its stdout (the summary) in client.out.
pquic_client() {
  timeout 90 "$PQUIC" client --ca cert.pem --quiet "$@" >client.out 2>client.err
  local rc=$?
  [[ $rc -eq 0 ]] || { cat client.out client.err >&2; die "pquic client exited $rc"; }
}

# The summary's value for KEY.
summary() { tr ' ' '\n' <client.out | sed -n "s/^$1=//p" | tail -1; }
expect() {
  local got
  got=$(summary "$1")
  [[ "$got" == "$2" ]] || die "summary $1=$got, expected $2: $(cat client.out)"
}

# gtlsclient, quiet (-q) or logging to LOG when the first argument is
# --log=LOG (frames, no payload dumps).
gtls_client() {
  local log=/dev/null
  local opts=(-q)
  if [[ "${1:-}" == --log=* ]]; then
    log=${1#--log=}
    opts=(--no-quic-dump --no-http-dump)
    shift
  fi
  timeout 90 "$GTLSCLIENT" "${opts[@]}" --exit-on-all-streams-close --download dl "$@" \
    127.0.0.1 "$PORT" "${URLS[@]}" >"$log" 2>&1
  local rc=$?
  [[ $rc -eq 0 ]] || { tail -20 "$log" >&2; die "gtlsclient exited $rc"; }
}

# Lines of LOG matching an extended regexp.
count() { grep -a -c -E -- "$2" "$1"; }
has() { grep -a -q -E -- "$2" "$1" || die "$1 lacks /$2/"; }

# --- cases ---

# Our client downloads NAME (SIZE bytes) from gtlsserver.
pquic_from_gtls() {
  make_file "$1" "$2"
  start_gtls -q
  pquic_client --output dl "$(URL "$1")"
  same "$1"
  expect bytes "$2"
  expect version v1
  stop_gtls
}

# gtlsclient downloads NAME (SIZE bytes) from our server.
gtls_from_pquic() {
  make_file "$1" "$2"
  start_pquic
  URLS=("$(URL "$1")")
  gtls_client
  same "$1"
  stop_pquic
}

case "$CASE" in
pquic_client_1m) pquic_from_gtls 1m.bin 1000000 ;;
pquic_client_50m) pquic_from_gtls 50m.bin 50000000 ;;
ngtcp2_client_1m) gtls_from_pquic 1m.bin 1000000 ;;
ngtcp2_client_50m) gtls_from_pquic 50m.bin 50000000 ;;

pquic_client_streams)
  # Ten requests at once on one connection, each its own file.
  urls=()
  for i in $(seq 0 9); do make_file "f$i.bin" $((200000 + i * 1000)); done
  start_gtls -q
  for i in $(seq 0 9); do urls+=("$(URL "f$i.bin")"); done
  pquic_client --output dl --streams 10 "${urls[@]}"
  for i in $(seq 0 9); do same "f$i.bin"; done
  expect bytes $((10 * 200000 + 45 * 1000))
  stop_gtls
  ;;
ngtcp2_client_streams)
  for i in $(seq 0 9); do make_file "f$i.bin" $((200000 + i * 1000)); done
  start_pquic
  URLS=()
  for i in $(seq 0 9); do URLS+=("$(URL "f$i.bin")"); done
  gtls_client --log=client.log
  for i in $(seq 0 9); do same "f$i.bin"; done
  # Ten requests (bidirectional streams ending with the request) went out
  # on the one connection.
  n=$(grep -a -o -E 'frm tx .* STREAM\(0x0[8-9a-f]\) id=0x[0-9a-f]+ fin=1 .* uni=0' client.log |
    sed 's/.* id=\(0x[0-9a-f]*\) .*/\1/' | sort -u | wc -l)
  [[ $n -eq 10 ]] || die "gtlsclient sent $n requests, expected 10"
  stop_pquic
  ;;

retry_pquic_client)
  # gtlsserver -V validates addresses with Retry.
  make_file 1m.bin 1000000
  start_gtls -q -V
  pquic_client --output dl "$(URL 1m.bin)"
  same 1m.bin
  expect retry yes
  stop_gtls
  ;;
retry_ngtcp2_client)
  make_file 1m.bin 1000000
  start_pquic --retry
  URLS=("$(URL 1m.bin)")
  gtls_client --log=client.log
  same 1m.bin
  has client.log 'pkt rx .* type=Retry'
  has client.log 'remote transport_parameters retry_source_connection_id='
  stop_pquic
  ;;

chacha20_pquic_client)
  make_file 1m.bin 1000000
  # Our choice against ngtcp2's default list...
  start_gtls -q
  pquic_client --output dl --ciphers chacha20 "$(URL 1m.bin)"
  same 1m.bin
  expect cipher TLS_CHACHA20_POLY1305_SHA256
  stop_gtls
  # ...and ngtcp2 allowing only ChaCha20 against our default list.
  rm -f dl/1m.bin
  start_gtls -q --ciphers='NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305'
  pquic_client --output dl "$(URL 1m.bin)"
  same 1m.bin
  expect cipher TLS_CHACHA20_POLY1305_SHA256
  stop_gtls
  ;;
chacha20_ngtcp2_client)
  make_file 1m.bin 1000000
  URLS=()
  start_pquic --ciphers chacha20
  URLS=("$(URL 1m.bin)")
  gtls_client --log=client.log
  same 1m.bin
  has client.log '^Negotiated cipher suite is CHACHA20-POLY1305'
  stop_pquic
  rm -f dl/1m.bin
  start_pquic
  URLS=("$(URL 1m.bin)")
  gtls_client --log=client.log --ciphers='NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305'
  same 1m.bin
  has client.log '^Negotiated cipher suite is CHACHA20-POLY1305'
  stop_pquic
  ;;

keyupdate_pquic_client)
  # We initiate (every 100 packets we send: ACKs mostly).
  make_file 50m.bin 50000000
  start_gtls -q
  pquic_client --output dl --key-update 100 "$(URL 50m.bin)"
  same 50m.bin
  [[ $(summary key_updates) -gt 0 ]] || die "no key update: $(cat client.out)"
  stop_gtls
  ;;
keyupdate_ngtcp2_client)
  make_file 50m.bin 50000000
  # gtlsclient initiates 10 ms after the handshake; we follow.
  start_pquic
  URLS=("$(URL 50m.bin)")
  gtls_client --log=client.log --key-update=10ms
  same 50m.bin
  has client.log '^Initiate key update'
  has client.log 'cry key update confirmed'
  stop_pquic
  # We initiate (every 1000 packets); gtlsclient sees the key phase flip.
  rm -f dl/50m.bin
  start_pquic --key-update 1000
  gtls_client --log=client.log
  same 50m.bin
  [[ $(count client.log 'pkt rx .* type=1RTT k=1') -gt 0 ]] || die "no packet in key phase 1"
  stop_pquic
  ;;

resume_pquic_client)
  # First run: full handshake, ticket saved. Second: resumed, request in 0-RTT.
  make_file 1m.bin 1000000
  start_gtls -q
  pquic_client --output dl --session-file session.bin --0rtt "$(URL 1m.bin)"
  same 1m.bin
  expect resumed no
  expect 0rtt none
  [[ -s session.bin ]] || die "no session saved"
  rm -f dl/1m.bin
  pquic_client --output dl --session-file session.bin --0rtt "$(URL 1m.bin)"
  same 1m.bin
  expect resumed yes
  expect 0rtt accepted
  # Resumption without 0-RTT.
  rm -f dl/1m.bin
  pquic_client --output dl --session-file session.bin "$(URL 1m.bin)"
  same 1m.bin
  expect resumed yes
  expect 0rtt none
  stop_gtls
  ;;
resume_ngtcp2_client)
  make_file 1m.bin 1000000
  start_pquic
  URLS=("$(URL 1m.bin)")
  gtls_client --log=first.log --session-file=session.pem --tp-file=tp.pem
  same 1m.bin
  [[ -s session.pem && -s tp.pem ]] || die "gtlsclient saved no session"
  rm -f dl/1m.bin
  gtls_client --log=second.log --session-file=session.pem --tp-file=tp.pem
  same 1m.bin
  # The request went in 0-RTT and was not refused...
  has second.log 'frm tx .* 0RTT STREAM\(0x0b\) id=0x0 fin=1'
  ! grep -a -q 'Early data was rejected' second.log || die "we rejected 0-RTT"
  # ...and the handshake was resumed: no certificate, so our Handshake-level
  # CRYPTO data is much shorter than the first time.
  hs() { grep -a -E 'frm rx .* Handshake CRYPTO' "$1" | sed -n 's/.* len=\([0-9]*\).*/\1/p' |
    awk '{ s += $1 } END { print s + 0 }'; }
  full=$(hs first.log)
  resumed=$(hs second.log)
  [[ $full -gt 0 && $resumed -gt 0 && $((resumed * 2)) -lt $full ]] ||
    die "Handshake CRYPTO bytes: $full full, $resumed resumed: not a resumption"
  stop_pquic
  ;;

migrate_pquic_client)
  make_file 50m.bin 50000000
  start_gtls -q
  pquic_client --output dl --migrate "$(URL 50m.bin)"
  same 50m.bin
  expect migrations 1
  stop_gtls
  ;;
migrate_ngtcp2_client)
  # gtlsclient moves to a new local port mid-transfer and validates it.
  make_file 50m.bin 50000000
  start_pquic
  URLS=("$(URL 50m.bin)")
  gtls_client --log=client.log --change-local-addr=10ms
  same 50m.bin
  has client.log '^Local address is now '
  has client.log 'frm tx .* PATH_CHALLENGE'
  has client.log 'frm rx .* PATH_RESPONSE'
  new=$(sed -n 's/^Local address is now \(.*\)$/\1/p' client.log | tail -1)
  [[ $(grep -a -c -F "Received packet: local=$new" client.log) -gt 100 ]] ||
    die "little data reached the new address $new"
  stop_pquic
  ;;
natrebind_ngtcp2_client)
  # A NAT rebinding: the client's port changes without path validation; we
  # must notice the new address, validate it and send there. gtlsclient
  # 0.12 drops everything arriving on its old port and then has nothing to
  # send, so the change must come before the request (--delay-stream):
  # mid-transfer it stalls against its own server too (docs/interop.md).
  make_file 20m.bin 20000000
  start_pquic
  URLS=("$(URL 20m.bin)")
  gtls_client --log=client.log --change-local-addr=10ms --nat-rebinding --delay-stream=300ms
  same 20m.bin
  has client.log '^Local address is now '
  has client.log 'frm rx .* PATH_CHALLENGE'
  has client.log 'frm tx .* PATH_RESPONSE'
  new=$(sed -n 's/^Local address is now \(.*\)$/\1/p' client.log | tail -1)
  [[ $(grep -a -c -F "Received packet: local=$new" client.log) -gt 100 ]] ||
    die "little data reached the new address $new"
  stop_pquic
  ;;

preferred_pquic_client)
  # gtlsserver announces a preferred address (RFC 9000 9.6), a second port
  # it listens on; we validate it after the handshake and move there.
  make_file 20m.bin 20000000
  start_gtls --preferred --no-quic-dump --no-http-dump
  pquic_client --output dl "$(URL 20m.bin)"
  same 20m.bin
  expect migrations 1
  # gtlsserver saw the path to its preferred address validated, and the
  # rest of the transfer (our ACKs) arrive there.
  has gtlsserver.log "Path validation against path \\{local:\\[127\\.0\\.0\\.1\\]:$PREF4,"
  n=$(count gtlsserver.log "Received packet: local=\\[127\\.0\\.0\\.1\\]:$PREF4 ")
  [[ $n -gt 20 ]] || die "only $n datagrams reached gtlsserver's preferred address"
  stop_gtls
  ;;
preferred_ngtcp2_client)
  # We announce 127.0.0.1:PREF4; gtlsclient validates it and moves there.
  make_file 20m.bin 20000000
  start_pquic --preferred-address 127.0.0.1:0
  [[ -n "$PREF4" ]] || die "no preferred address in the server's start-up line: $(cat server.err)"
  URLS=("$(URL 20m.bin)")
  gtls_client --log=client.log
  same 20m.bin
  has client.log "preferred_address.ipv4_port=$PREF4\$"
  has client.log "^selected server preferred_address is \\[127\\.0\\.0\\.1\\]:$PREF4\$"
  has client.log "^Path validation against path \\{local:.*, remote:\\[127\\.0\\.0\\.1\\]:$PREF4\\} succeeded"
  n=$(count client.log "Received packet: local=.* remote=\\[127\\.0\\.0\\.1\\]:$PREF4 ")
  [[ $n -gt 1000 ]] || die "only $n datagrams came from our preferred address"
  stop_pquic
  ;;

v2_pquic)
  # Debian's ngtcp2 only knows a draft of v2: v2 is checked between our
  # own endpoints. Started in v2:
  make_file 1m.bin 1000000
  start_pquic
  pquic_client --output dl --version v2 "$(URL 1m.bin)"
  same 1m.bin
  expect version v2
  # Started in v1 and moved to v2 by compatible version negotiation:
  rm -f dl/1m.bin
  pquic_client --output dl "$(URL 1m.bin)"
  same 1m.bin
  expect version v2
  # A client that wants only v1 stays in v1.
  rm -f dl/1m.bin
  pquic_client --output dl --version v1 "$(URL 1m.bin)"
  same 1m.bin
  expect version v1
  stop_pquic
  # No version in common: a clear failure.
  start_pquic --version v2
  timeout 30 "$PQUIC" client --ca cert.pem --quiet --discard --version v1 "$(URL 1m.bin)" \
    >client.out 2>client.err && die "v1-only client against a v2-only server succeeded"
  grep -q 'no common QUIC version' client.err || die "message: $(cat client.err)"
  stop_pquic
  ;;
preferred_pquic)
  # Both ends ours. The server's counters (-v, at exit) show which socket
  # carried the transfer.
  make_file 20m.bin 20000000
  # sent_from ADDR: datagrams our server sent from its preferred socket ADDR.
  sent_from() {
    sed -n "s/.*; socket $1 tx_calls=[0-9]* tx_datagrams=\\([0-9]*\\) .*/\\1/p" server.err | tail -1
  }
  start_pquic -v --preferred-address 127.0.0.1:0 --preferred-address '[::1]:0'
  pquic_client --output dl "$(URL 20m.bin)"
  same 20m.bin
  expect migrations 1
  # With --migrate too: the move to the preferred address and ours to a
  # new local port, in whichever order they come.
  rm -f dl/20m.bin
  pquic_client --output dl --migrate "$(URL 20m.bin)"
  same 20m.bin
  expect migrations 2
  stop_pquic
  n=$(sent_from "127.0.0.1:$PREF4")
  [[ ${n:-0} -gt 16000 ]] || die "only ${n:-0} datagrams sent from the preferred address: $(tail -1 server.err)"
  # An IPv6 client takes the IPv6 preferred address.
  "$PQUIC" cert --cert cert6.pem --key key6.pem --host ::1 || die "pquic cert failed"
  start_pquic -v --addr ::1 --cert cert6.pem --key key6.pem --preferred-address 127.0.0.1:0 \
    --preferred-address '[::1]:0'
  rm -f dl/20m.bin
  pquic_client --ca cert6.pem --output dl "https://[::1]:$PORT/20m.bin"
  same 20m.bin
  expect migrations 1
  stop_pquic
  n=$(sent_from "\\[::1\\]:$PREF6")
  [[ ${n:-0} -gt 8000 ]] || die "only ${n:-0} datagrams sent from [::1]:$PREF6: $(tail -1 server.err)"
  ;;
*) die "unknown case $CASE" ;;
esac
echo "ok: $CASE"
