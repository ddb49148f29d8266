#!/usr/bin/env bash
# pquic-netsim's command line: usage errors exit 2 with a message naming the
# problem, --help exits 0, a run prints its links, "ready" and, on --duration
# or SIGTERM, one statistics line per direction. Loopback only.
set -u
NETSIM=${1:?usage: cli_test.sh PATH_TO_PQUIC_NETSIM}
fails=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

expect() { # expect STATUS FRAGMENT ARGS...
  local want=$1 frag=$2
  shift 2
  "$NETSIM" "$@" >"$out" 2>&1
  local rc=$?
  if [[ $rc -ne $want ]] || ! grep -qF -- "$frag" "$out"; then
    echo "FAIL: pquic-netsim $* -> exit $rc (want $want), output:"
    sed 's/^/    /' "$out"
    fails=$((fails + 1))
  else
    echo "ok: pquic-netsim $* -> $rc, '$frag'"
  fi
}

expect 2 "give at least one --link"
expect 0 "usage: pquic-netsim" --help
expect 2 "bad delay '10'" --link 127.0.0.1:0=127.0.0.1:9,delay=10
expect 2 "unknown key 'colour'" --link 127.0.0.1:0=127.0.0.1:9,colour=red
expect 2 "needs a value" --link
expect 2 "unknown option '--bogus'" --bogus
expect 2 "bad --spin-us" --spin-us 1000000 --link 127.0.0.1:0=127.0.0.1:9
expect 2 "unexpected argument 'extra'" --link 127.0.0.1:0=127.0.0.1:9 extra
expect 0 "netsim: stats link=1 dir=down" --duration 1 \
  --link 127.0.0.1:0=127.0.0.1:9,delay=5ms --link '[::1]:0=[::1]:9,rate=1mbit,up.loss=1%'
grep -qF "netsim: ready" "$out" || { echo "FAIL: no ready line"; fails=$((fails + 1)); }
grep -qE "netsim: link 1 up delay=0ms .*rate=1mbit .*loss=1%" "$out" ||
  { echo "FAIL: link 1 description"; cat "$out"; fails=$((fails + 1)); }

# A port already taken: exit 1 naming the address.
port=$(sed -n 's/^netsim: link 0 listen 127.0.0.1:\([0-9]*\).*/\1/p' "$out")
python3 - "$NETSIM" <<'PY' || fails=$((fails + 1))
import socket, subprocess, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
r = subprocess.run([sys.argv[1], "--link", f"127.0.0.1:{port}=127.0.0.1:9"],
                   capture_output=True, text=True, timeout=10)
ok = r.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in r.stderr
print(("ok" if ok else "FAIL") + f": port in use -> {r.returncode} {r.stderr.strip()}")
sys.exit(0 if ok else 1)
PY

# SIGTERM: statistics, exit 0.
"$NETSIM" --link 127.0.0.1:0=127.0.0.1:9 >"$out" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q "netsim: ready" "$out" && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"
rc=$?
if [[ $rc -ne 0 ]] || ! grep -q "netsim: stats link=0 dir=up" "$out"; then
  echo "FAIL: SIGTERM -> exit $rc"; cat "$out"; fails=$((fails + 1))
else
  echo "ok: SIGTERM -> statistics, exit 0"
fi
[[ -n "$port" ]] || { echo "FAIL: no listen port printed"; fails=$((fails + 1)); }

echo "netsim_cli: $((fails == 0 ? 1 : 0)) passed, $fails failed"
[[ $fails -eq 0 ]]
