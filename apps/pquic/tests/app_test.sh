#!/usr/bin/env bash
# Checks of the pquic command as a user runs it, one case per CTest test.
# Usage: app_test.sh PQUIC_BINARY CASE
# Only loopback addresses and kernel-chosen ports; every command is bounded
# by `timeout`; servers started here are stopped by their own process id.
set -u
PQUIC=$1
CASE=$2
WORK=$(mktemp -d /tmp/pquic-app-test.XXXXXX)
SERVER_PID=
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK" || exit 1

die() { echo "FAIL: $*" >&2; exit 1; }

# run EXPECTED_STATUS STDERR_PATTERN CMD...: runs CMD (bounded), checks its
# exit status and that stderr is one line starting "pquic: " matching the
# pattern (grep -E).
run() {
  local want=$1 pattern=$2
  shift 2
  timeout 30 "$@" >out.txt 2>err.txt
  local rc=$?
  [[ $rc -eq $want ]] || { cat err.txt >&2; die "'$*' exited $rc, expected $want"; }
  if [[ -n "$pattern" ]]; then
    [[ $(wc -l <err.txt) -eq 1 ]] || { cat err.txt >&2; die "'$*': expected one line on stderr"; }
    grep -q '^pquic: ' err.txt || die "'$*': message does not start with 'pquic: ': $(cat err.txt)"
    grep -Eq -- "$pattern" err.txt || die "'$*': message '$(cat err.txt)' lacks /$pattern/"
  fi
}

make_cert() { "$PQUIC" cert --cert cert.pem --key key.pem --host 127.0.0.1 || die "pquic cert failed"; }

# Starts a server on 127.0.0.1 and a kernel-chosen port; sets PORT.
start_server() {
  make_cert
  : >server.err # emptied before the job starts: an earlier server's port must not be read
  "$PQUIC" server --addr 127.0.0.1 --port 0 --cert cert.pem --key key.pem "$@" 2>server.err &
  SERVER_PID=$!
  for _ in $(seq 100); do
    PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' server.err)
    [[ -n "$PORT" ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat server.err >&2; die "server did not start"; }
    sleep 0.05
  done
  die "server did not report its port"
}

# SIGTERM, then the server must leave by itself with status 0.
stop_server() {
  kill -TERM "$SERVER_PID"
  for _ in $(seq 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$SERVER_PID" 2>/dev/null && die "server still running 5 s after SIGTERM"
  wait "$SERVER_PID"
  local rc=$?
  SERVER_PID=
  [[ $rc -eq 0 ]] || die "server exited $rc after SIGTERM"
}

# The generated body of GET /<N>: the formula of apps/pquic/body.h.
reference_body() {
  python3 - "$1" >"$2" <<'EOF'
import sys
n = int(sys.argv[1])
a = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" * 2
out = bytearray()
block = 0
while len(out) < n:
    shift = ((block * 0x9E3779B97F4A7C15) & (2**64 - 1)) >> 58
    out += a[shift:shift + 64]
    block += 1
sys.stdout.buffer.write(bytes(out[:n]))
EOF
}

SUMMARY_RE='^bytes=[0-9]+ seconds=[0-9]+\.[0-9]{3} goodput_mbps=[0-9]+\.[0-9] rtt_min_ms=[0-9]+\.[0-9]{2} rtt_ms=[0-9]+\.[0-9]{2} lost=[0-9]+ version=(v1|v2|0x[0-9a-f]{8}) cipher=TLS_[A-Z0-9_]+ resumed=(yes|no) 0rtt=(accepted|rejected|none) key_updates=[0-9]+ migrations=[0-9]+ retry=(yes|no)$'

# 1 MB from a file under --root and 1 MB generated, checksums compared.
loopback() {
  local alpn=$1
  mkdir root out
  head -c 1000000 /dev/urandom >root/file.bin
  start_server --root "$WORK/root" --qlog-dir "$WORK/qlog"
  run 0 "" "$PQUIC" client --alpn "$alpn" --ca cert.pem --output out \
    "https://127.0.0.1:$PORT/file.bin" "https://127.0.0.1:$PORT/1000000"
  [[ $(wc -l <out.txt) -eq 1 ]] || die "expected one summary line, got: $(cat out.txt)"
  grep -Eq "$SUMMARY_RE" out.txt || die "summary line format: $(cat out.txt)"
  grep -q '^bytes=2000000 ' out.txt || die "byte count: $(cat out.txt)"
  cmp -s root/file.bin out/file.bin || die "file.bin differs after download"
  reference_body 1000000 ref.bin
  cmp -s ref.bin out/1000000 || die "generated body differs from the pattern"
  # Several streams of the same URL: saved as 1000000, .1, .2...
  run 0 "" "$PQUIC" client --alpn "$alpn" --ca cert.pem --output out --streams 4 \
    "https://127.0.0.1:$PORT/1000000"
  for f in out/1000000 out/1000000.1 out/1000000.2 out/1000000.3; do
    cmp -s ref.bin "$f" || die "$f differs"
  done
  grep -q '^bytes=4000000 ' out.txt || die "byte count with --streams: $(cat out.txt)"
  stop_server
  [[ $(ls qlog | wc -l) -ge 2 ]] || die "no qlog file per connection in --qlog-dir"
}

case "$CASE" in
help)
  for c in server client ops cert; do
    timeout 10 "$PQUIC" "$c" --help >out.txt 2>err.txt || die "pquic $c --help failed"
    grep -q "^usage: pquic $c" out.txt || die "pquic $c --help: no usage line"
    [[ -s err.txt ]] && die "pquic $c --help wrote to stderr"
  done
  timeout 10 "$PQUIC" --help | grep -q '^usage: pquic COMMAND' || die "pquic --help"
  ;;
usage_errors)
  run 2 "unknown command 'frobnicate'" "$PQUIC" frobnicate
  run 2 "client: unknown option '--bogus'" "$PQUIC" client --bogus https://127.0.0.1/
  run 2 "server: unknown option '--bogus'" "$PQUIC" server --bogus
  run 2 "ops: unknown option '-x'" "$PQUIC" ops -x
  run 2 "client: option '--output' needs a value" "$PQUIC" client https://127.0.0.1/ --output
  run 2 "server: --cert and --key are required" "$PQUIC" server --key k.pem
  run 2 "bad --port '65536'" "$PQUIC" server --cert c --key k --port 65536
  run 2 "client: no URL given" "$PQUIC" client --discard
  run 2 "unsupported scheme 'http'" "$PQUIC" client --discard http://127.0.0.1/
  run 2 "bad port in URL" "$PQUIC" client --discard https://127.0.0.1:99999/
  run 2 "--ca and --insecure exclude" "$PQUIC" client --insecure --ca x https://127.0.0.1/
  run 2 "--output and --discard exclude" "$PQUIC" client --discard --output o https://127.0.0.1/
  run 2 "bad --alpn 'h2'" "$PQUIC" client --alpn h2 https://127.0.0.1/
  run 2 "bad --streams '0'" "$PQUIC" client --streams 0 https://127.0.0.1/
  run 2 "use --output DIR or --discard" "$PQUIC" client https://127.0.0.1/a https://127.0.0.1/b
  run 2 "client: bad --version 'v3'" "$PQUIC" client --version v3 https://127.0.0.1/
  run 2 "server: bad --version 'draft'" "$PQUIC" server --cert c --key k --version draft
  run 2 "client: unknown cipher suite 'rc4'" "$PQUIC" client --ciphers aes128gcm,rc4 https://127.0.0.1/
  run 2 "server: bad --ciphers ','" "$PQUIC" server --cert c --key k --ciphers ,
  run 2 "client: bad --key-update '0'" "$PQUIC" client --key-update 0 https://127.0.0.1/
  run 2 "server: bad --key-update 'x'" "$PQUIC" server --cert c --key k --key-update x
  run 2 "client: --0rtt needs --session-file" "$PQUIC" client --0rtt https://127.0.0.1/
  run 2 "server: bad --preferred-address '127\.0\.0\.1': no port" \
    "$PQUIC" server --cert c --key k --preferred-address 127.0.0.1
  run 2 "bad --preferred-address '::1:4434': an IPv6 address goes in brackets" \
    "$PQUIC" server --cert c --key k --preferred-address ::1:4434
  run 2 "bad --preferred-address '0\.0\.0\.0:4434': give a specific address, not 0\.0\.0\.0" \
    "$PQUIC" server --cert c --key k --preferred-address 0.0.0.0:4434
  run 2 "--preferred-address takes one IPv4 and one IPv6 address" \
    "$PQUIC" server --cert c --key k --preferred-address 127.0.0.1:1 --preferred-address 127.0.0.2:2
  run 2 "--session-file holds the session of one server" \
    "$PQUIC" client --discard --session-file s https://127.0.0.1:1/ https://127.0.0.1:2/
  ;;
ops)
  timeout 10 "$PQUIC" ops >ops.txt || die "pquic ops failed"
  n=$(wc -l <ops.txt)
  [[ $n -ge 72 ]] || die "only $n operations listed"
  awk -F'\t' 'NF != 4 || $1 == "" || ($2 != "param" && $2 != "-") || $3 == "" || $4 == "" {
      print "bad line " NR ": " $0; bad = 1 } END { exit bad }' ops.txt >&2 ||
    die "pquic ops format"
  [[ $(cut -f1 ops.txt | sort | uniq -d | wc -l) -eq 0 ]] || die "duplicate operation names"
  grep -q $'^update_rtt\t' ops.txt || die "update_rtt missing"
  grep -Eq $'^[a-z_]+\tparam\t' ops.txt || die "no parameterized operation"
  ;;
server_bad_files)
  make_cert
  echo "not a certificate" >garbage.pem
  run 1 "cannot read certificate 'missing.pem': No such file" \
    "$PQUIC" server --cert missing.pem --key key.pem --port 0
  run 1 "cannot read key 'missing.pem'" "$PQUIC" server --cert cert.pem --key missing.pem --port 0
  run 1 "bad certificate or key" "$PQUIC" server --cert garbage.pem --key key.pem --port 0
  run 1 "bad certificate or key" "$PQUIC" server --cert cert.pem --key garbage.pem --port 0
  run 1 "cannot serve --root '/nonexistent" \
    "$PQUIC" server --cert cert.pem --key key.pem --port 0 --root /nonexistent
  run 1 "unsupported ALPN 'h2'" "$PQUIC" server --cert cert.pem --key key.pem --alpn h3,h2
  ;;
server_port_in_use)
  start_server
  run 1 "cannot listen on 127\.0\.0\.1:$PORT: Address already in use" \
    "$PQUIC" server --addr 127.0.0.1 --port "$PORT" --cert cert.pem --key key.pem
  run 1 "cannot listen on preferred address 127\.0\.0\.1:$PORT: Address already in use" \
    "$PQUIC" server --addr 127.0.0.1 --port 0 --cert cert.pem --key key.pem \
    --preferred-address "127.0.0.1:$PORT"
  stop_server
  ;;
client_unresolvable)
  run 1 "cannot resolve host 'no-such-host\.invalid'" \
    "$PQUIC" client --insecure --discard https://no-such-host.invalid/1
  ;;
client_unreachable)
  # A port nobody listens on: the kernel answers ICMP port unreachable.
  port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  run 1 "server 127\.0\.0\.1:$port unreachable: Connection refused" \
    "$PQUIC" client --insecure --discard "https://127.0.0.1:$port/1"
  grep -Eq '^bytes=0 .* cipher=- resumed=no ' out.txt || die "summary of a failed connection: $(cat out.txt)"
  # A port that takes datagrams and never answers: our handshake deadline.
  python3 -c 'import socket, time, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True); time.sleep(8)' >silent.port &
  silent=$!
  for _ in $(seq 100); do [[ -s silent.port ]] && break; sleep 0.05; done
  port=$(cat silent.port)
  run 1 "server 127\.0\.0\.1:$port unreachable: no QUIC answer within 1 s" \
    "$PQUIC" client --insecure --discard --timeout 1 "https://127.0.0.1:$port/1"
  kill "$silent" 2>/dev/null
  wait "$silent" 2>/dev/null
  ;;
client_handshake_failure)
  start_server
  # Not trusted: the self-signed certificate is not in the system store.
  run 1 "handshake with 127\.0\.0\.1:$PORT failed: .*certificate" \
    "$PQUIC" client --discard "https://127.0.0.1:$PORT/1"
  # No common ALPN.
  "$PQUIC" server --addr 127.0.0.1 --port 0 --cert cert.pem --key key.pem --alpn hq-interop \
    2>hq.err &
  hq_pid=$!
  for _ in $(seq 100); do grep -q listening hq.err && break; sleep 0.05; done
  hq_port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' hq.err)
  run 1 "handshake with 127\.0\.0\.1:$hq_port failed" \
    "$PQUIC" client --ca cert.pem --alpn h3 --discard "https://127.0.0.1:$hq_port/1"
  kill -TERM "$hq_pid"
  wait "$hq_pid"
  stop_server
  ;;
client_http_errors)
  start_server
  run 1 "HTTP status 404 for /missing" \
    "$PQUIC" client --ca cert.pem --discard "https://127.0.0.1:$PORT/missing"
  run 1 "HTTP status 400 for /\.\./etc/passwd" \
    "$PQUIC" client --ca cert.pem --discard "https://127.0.0.1:$PORT/../etc/passwd"
  run 1 "HTTP error 404 for /missing \(hq-interop" \
    "$PQUIC" client --ca cert.pem --alpn hq-interop --discard "https://127.0.0.1:$PORT/missing"
  # One failure among successes: status 1, the others still downloaded.
  mkdir out
  timeout 30 "$PQUIC" client --ca cert.pem --output out "https://127.0.0.1:$PORT/100" \
    "https://127.0.0.1:$PORT/nope" >out.txt 2>err.txt && die "a 404 among two must fail"
  [[ $(stat -c %s out/100) -eq 100 ]] || die "the good download is missing"
  [[ ! -e out/nope ]] || [[ ! -s out/nope ]] || die "an error body was saved"
  stop_server
  ;;
stdout_body)
  start_server
  run 0 "" "$PQUIC" client --ca cert.pem "https://127.0.0.1:$PORT/20"
  [[ $(cat out.txt) == "ABCDEFGHIJKLMNOPQRST" ]] || die "body on stdout: $(cat out.txt)"
  grep -Eq "$SUMMARY_RE" err.txt || die "summary on stderr: $(cat err.txt)"
  stop_server
  ;;
server_shutdown)
  # SIGTERM during a transfer: the server closes the connection and leaves
  # with status 0; the client reports the close and fails.
  start_server --qlog-dir "$WORK/qlog"
  timeout 30 "$PQUIC" client --ca cert.pem --discard "https://127.0.0.1:$PORT/1000000000000" \
    >client.out 2>client.err &
  client=$!
  for _ in $(seq 200); do [[ -n "$(ls qlog 2>/dev/null)" ]] && break; sleep 0.05; done
  sleep 0.3
  stop_server
  wait "$client"
  rc=$?
  [[ $rc -eq 1 ]] || die "client exited $rc after the server's shutdown"
  grep -q "closed before the downloads completed: server shutting down" client.err ||
    die "client message: $(cat client.err)"
  ;;
loopback_h3) loopback h3 ;;
loopback_hq) loopback hq-interop ;;
*) die "unknown case $CASE" ;;
esac
echo "ok: $CASE"
