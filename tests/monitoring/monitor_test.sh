#!/usr/bin/env bash
# pquic-monitor and `pquic --monitor` as a user runs them, one case per
# CTest test (monitor_*). Usage: monitor_test.sh PQUIC PQUIC_MONITOR CASE
#   loopback   a server and a client with --monitor (the server with the
#              bundle, the client with the native build) report to a
#              collector: JSON lines of both sides' handshake, periodic and
#              close reports of one connection, and /metrics agreeing
#   malformed  the collector under empty, short, foreign, wrong-version,
#              wrong-length, out-of-bounds, oversized and random datagrams
#              and bad HTTP requests: each dropped and counted by reason,
#              a valid report still printed, a clean exit on SIGTERM
#   cli        usage errors of both programs
# Loopback only, kernel-chosen ports, every wait bounded, processes
# stopped by their own ids.
set -u
PQUIC=$1
MONITOR=$2
CASE=$3
WORK=$(mktemp -d /tmp/pquic-monitor-test.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK" || exit 1

die() {
  echo "FAIL: $*" >&2
  for f in *.err *.out; do [[ -f $f ]] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  exit 1
}

# wait_for FILE REGEX: until a line of FILE matches (10 s at most).
wait_for() {
  for _ in $(seq 200); do
    grep -Eq -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  die "$1 never showed /$2/"
}

# wait_count FILE REGEX N: until N lines of FILE match (10 s at most).
wait_count() {
  for _ in $(seq 200); do
    [[ $(grep -Ec -- "$2" "$1" 2>/dev/null) -ge $3 ]] && return 0
    sleep 0.05
  done
  die "$1 never had $3 lines matching /$2/"
}

# Starts the collector; sets MPORT (UDP) and HPORT (HTTP).
start_monitor() {
  : >monitor.out; : >monitor.err # likewise for an earlier collector's
  "$MONITOR" --listen 127.0.0.1:0 --prometheus 127.0.0.1:0 "$@" >monitor.out 2>monitor.err &
  MON_PID=$!
  PIDS+=("$MON_PID")
  wait_for monitor.err 'metrics on http://'
  MPORT=$(sed -n 's/.*reports on udp 127\.0\.0\.1:\([0-9]*\).*/\1/p' monitor.err)
  HPORT=$(sed -n 's|.*metrics on http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' monitor.err)
  [[ -n "$MPORT" && -n "$HPORT" ]] || die "collector ports"
}

# metrics [PATH [CURL OPTIONS...]]: GET /metrics (or PATH) from the collector.
metrics() {
  local path=${1:-/metrics}
  shift $(($# > 0 ? 1 : 0))
  curl -sS --max-time 5 "$@" "http://127.0.0.1:$HPORT$path"
}

stop_monitor() {
  kill -TERM "$MON_PID"
  wait "$MON_PID"
  local rc=$?
  [[ $rc -eq 0 ]] || die "collector exited $rc"
}

case "$CASE" in
loopback)
  start_monitor --json
  "$PQUIC" cert --cert cert.pem --key key.pem --host 127.0.0.1 >/dev/null || die "pquic cert"
  : >server.err # emptied before the job starts: an earlier server's port must not be read
  "$PQUIC" server --addr 127.0.0.1 --port 0 --cert cert.pem --key key.pem \
    --monitor "127.0.0.1:$MPORT" --monitor-interval 20 -v 2>server.err &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for server.err 'listening on 127\.0\.0\.1:'
  PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' server.err)
  grep -q "monitoring to 127.0.0.1:$MPORT" server.err || die "server did not start monitoring"
  timeout 60 "$PQUIC" client --insecure --quiet --discard --monitor "127.0.0.1:$MPORT" \
    --monitor-plugin native --monitor-interval 20 "https://127.0.0.1:$PORT/20000000" \
    >client.out 2>client.err || die "client failed"
  grep -q '^bytes=20000000 ' client.out || die "client summary"
  # The server's close report follows its draining period.
  wait_for monitor.out '"kind":"close","role":"server"'
  wait_for monitor.out '"kind":"close","role":"client"'
  python3 - monitor.out <<'EOF' || die "reports"
import json, sys
reps = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in reps:
    by.setdefault((r["role"], r["kind"]), []).append(r)
for role in ("client", "server"):
    assert len(by[(role, "handshake")]) == 1, role
    assert len(by[(role, "close")]) == 1, role
    seqs = sorted(r["seq"] for r in reps if r["role"] == role)
    assert seqs == list(range(len(seqs))), (role, seqs)  # nothing lost on loopback
cli, srv = by[("client", "close")][0], by[("server", "close")][0]
assert cli["cid"] == srv["cid"] and len(cli["cid"]) >= 8, (cli["cid"], srv["cid"])
assert all(r["cid"] == cli["cid"] for r in reps)
assert cli["close"] == "application" and srv["close"] == "peer", (cli["close"], srv["close"])
assert srv["closed_by_peer"] and not cli["closed_by_peer"]
assert cli["stream_bytes_received"] >= 20000000 and srv["stream_bytes_sent"] >= 20000000
assert srv["bytes_sent"] >= 20000000 and cli["bytes_received"] >= 20000000
assert srv["packets_sent"] > 10000 and cli["packets_received"] > 10000
assert cli["handshake_ms"] > 0 and srv["handshake_ms"] > 0
assert cli["rtt_ms"] > 0 and cli["rtt_min_ms"] > 0 and srv["rtt_min_ms"] <= srv["rtt_ms"] + srv["rtt_var_ms"] * 8
assert srv["cwnd_updates"] > 0 and srv["cwnd_min"] <= srv["cwnd"] <= srv["cwnd_max"]
assert srv["version"] in ("v1", "v2") and srv["version"] == cli["version"]
for r in reps:
    assert r["retransmitted"] <= r["lost"] and r["out_of_order"] <= r["packets_received"]
print(f"{len(reps)} reports; client periodic {len(by.get(('client', 'periodic'), []))}, "
      f"server periodic {len(by.get(('server', 'periodic'), []))}")
EOF
  metrics >metrics.txt || die "GET /metrics"
  for want in 'pquic_reports_total{role="client",kind="handshake"} 1' \
    'pquic_reports_total{role="server",kind="close"} 1' \
    'pquic_connections_closed_total{role="client",reason="application"} 1' \
    'pquic_connections_closed_total{role="server",reason="peer"} 1' \
    'pquic_connections_active{role="server"} 0' \
    'pquic_handshake_duration_seconds_count{role="client"} 1' \
    'pquic_monitor_dropped_total{reason="foreign"} 0'; do
    grep -qxF "$want" metrics.txt || die "metrics lack: $want"
  done
  got=$(sed -n 's/^pquic_stream_bytes_received_total{role="client"} //p' metrics.txt)
  [[ -n "$got" && "$got" -ge 20000000 ]] || die "stream bytes in metrics: '$got'"
  # The sums over the connection equal its close report.
  sent=$(sed -n 's/^pquic_bytes_sent_total{role="server"} //p' metrics.txt)
  grep -q "\"bytes_sent\":$sent," <(grep '"kind":"close","role":"server"' monitor.out) ||
    die "server bytes_sent $sent differs from its close report"
  [[ $(metrics /other -o /dev/null -w '%{http_code}') == 404 ]] || die "404"
  # A server stopped during a transfer still sends its final report (the
  # connection closed by its application); the client's says peer.
  "$PQUIC" client --insecure --quiet --discard --monitor "127.0.0.1:$MPORT" \
    "https://127.0.0.1:$PORT/100000000000" >client2.out 2>client2.err &
  CLIENT_PID=$!
  PIDS+=("$CLIENT_PID")
  wait_count monitor.out '"kind":"handshake","role":"server"' 2
  sleep 0.3 # under way
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || die "server exit"
  wait "$CLIENT_PID" && die "the client's download should have failed"
  grep -Eq 'monitoring: [0-9]+ reports forwarded, 0 not sent' server.err || die "server counts"
  wait_count monitor.out '"kind":"close","role":"server"' 2
  wait_count monitor.out '"kind":"close","role":"client"' 2
  grep '"kind":"close","role":"server"' monitor.out | tail -1 | grep -q '"close":"application"' ||
    die "the server's last close report"
  grep '"kind":"close","role":"client"' monitor.out | tail -1 | grep -q '"close":"peer"' ||
    die "the client's last close report"
  stop_monitor
  grep -q 'pquic-monitor: .* 0 dropped' monitor.err || die "collector summary"
  ;;
malformed)
  start_monitor
  python3 - "$MPORT" <<'EOF' || die "sending"
import random, socket, struct, sys
port = int(sys.argv[1])
def report(kind=3, flags=0x0f, v24=3, nfields=28, version=1, extra=b""):
    v = [0] * 28
    v[0], v[1], v[3], v[6], v[7], v[8], v[9], v[23] = 5000, 100, 200, 5000, 4, 6000, 5, 1
    v[24] = v24
    h = b"PQMR" + bytes([version, kind, flags, 8]) + bytes(range(1, 9)) + bytes(12)
    h += struct.pack(">IQHH", 0, 42, nfields, 0)
    return h + b"".join(struct.pack(">Q", x) for x in v) + extra
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def send(d): s.sendto(d, ("127.0.0.1", port))
send(b"")                                  # short
send(b"PQMR\x01")                          # short
send(b"x" * 300)                           # foreign
send(b"GET /metrics HTTP/1.1\r\n\r\n" * 3) # foreign
send(report(version=2))                    # version
send(report(nfields=27))                   # length
send(report(extra=b"\0"))                  # length
send(report() + b"\0" * 3000)              # length (oversized, truncated by the socket)
send(report(kind=9))                       # field
send(report(v24=0))                        # field: a close report without a reason
rnd = random.Random(7)
for _ in range(200):                       # random: foreign (no magic)
    d = bytes(rnd.randrange(256) for _ in range(rnd.randrange(44, 400)))
    send(b"pq" + d)
send(report())                             # the one valid report
EOF
  wait_for monitor.out 'close'
  [[ $(grep -c . monitor.out) -eq 2 ]] || die "one table header and one row expected"
  grep -q '^server *close *0102030405060708' monitor.out || die "the valid row"
  metrics >metrics.txt || die "GET /metrics"
  for want in 'pquic_monitor_datagrams_total 211' \
    'pquic_monitor_dropped_total{reason="short"} 2' \
    'pquic_monitor_dropped_total{reason="foreign"} 202' \
    'pquic_monitor_dropped_total{reason="version"} 1' \
    'pquic_monitor_dropped_total{reason="length"} 3' \
    'pquic_monitor_dropped_total{reason="field"} 2' \
    'pquic_reports_total{role="server",kind="close"} 1' \
    'pquic_connections_closed_total{role="server",reason="peer"} 1'; do
    grep -qxF "$want" metrics.txt || die "metrics lack: $want"
  done
  # HTTP: an idle connection holds one slot; others are still served.
  python3 - "$HPORT" <<'EOF' || die "http"
import socket, sys
port = int(sys.argv[1])
def ask(data, close=True):
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    c.sendall(data)
    out = b""
    while True:
        b = c.recv(65536)
        if not b:
            break
        out += b
    c.close()
    return out.split(b"\r\n", 1)[0]
idle = socket.create_connection(("127.0.0.1", port), timeout=5)  # sends nothing
assert ask(b"POST /metrics HTTP/1.1\r\n\r\n") == b"HTTP/1.1 405 Method Not Allowed"
assert ask(b"GET /metrics\r\n\r\n") == b"HTTP/1.1 400 Bad Request"
assert ask(b"GET /nope HTTP/1.1\r\n\r\n") == b"HTTP/1.1 404 Not Found"
assert ask(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 5000) == b"HTTP/1.1 431 Request Header Fields Too Large"
assert ask(b"HEAD /metrics HTTP/1.1\r\n\r\n") == b"HTTP/1.1 200 OK"
assert ask(b"GET /metrics?x HTTP/1.0\r\n\r\n") == b"HTTP/1.1 200 OK"
idle.close()
EOF
  [[ $(metrics /metrics -o /dev/null -w '%{http_code}') == 200 ]] || die "200 after abuse"
  stop_monitor
  grep -q 'pquic-monitor: 211 datagrams, 1 reports, 210 dropped (short=2 foreign=202 version=1 length=3 field=2)' \
    monitor.err || die "collector summary"
  ;;
cli)
  usage() { # usage STATUS PATTERN CMD...
    local want=$1 pattern=$2
    shift 2
    timeout 10 "$@" >out.txt 2>err.txt
    local rc=$?
    [[ $rc -eq $want ]] || die "'$*' exited $rc, expected $want"
    grep -Eq -- "$pattern" err.txt out.txt || die "'$*': output lacks /$pattern/"
  }
  usage 0 'usage: pquic-monitor --listen' "$MONITOR" --help
  usage 2 '--listen ADDR:PORT is required' "$MONITOR"
  usage 2 "unknown option '--bogus'" "$MONITOR" --listen 127.0.0.1:0 --bogus
  usage 2 "bad --max-connections" "$MONITOR" --listen 127.0.0.1:0 --max-connections 0
  usage 1 "bad reports address '127.0.0.1'" "$MONITOR" --listen 127.0.0.1
  usage 1 "bad metrics address '127.0.0.1:99999'" "$MONITOR" --listen 127.0.0.1:0 \
    --prometheus 127.0.0.1:99999
  "$PQUIC" cert --cert cert.pem --key key.pem --host 127.0.0.1 >/dev/null || die "pquic cert"
  usage 2 "bad --monitor 'nowhere'" "$PQUIC" server --cert cert.pem --key key.pem --monitor nowhere
  usage 2 "bad --monitor-interval '0'" "$PQUIC" client --monitor 127.0.0.1:9 \
    --monitor-interval 0 https://127.0.0.1:1/
  usage 2 "need --monitor HOST:PORT" "$PQUIC" client --monitor-interval 10 https://127.0.0.1:1/
  usage 1 "monitoring plugin /nonexistent.pqp" "$PQUIC" client --monitor 127.0.0.1:9 \
    --monitor-plugin /nonexistent.pqp https://127.0.0.1:1/
  usage 1 "bad --monitor '127.0.0.1:0'" "$PQUIC" server --cert cert.pem --key key.pem \
    --monitor 127.0.0.1:0
  usage 0 "--monitor H:P" "$PQUIC" server --help
  usage 0 "--monitor-interval MS" "$PQUIC" client --help
  ;;
*)
  die "unknown case $CASE"
  ;;
esac
echo "ok: $CASE"
