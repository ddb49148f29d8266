#!/usr/bin/env bash
# `make demo`: a pquic client downloads 100 MB from a pquic server on
# loopback and prints its summary line.
# Usage: scripts/demo.sh [BUILD_DIR]   (default: build; make builds it first)
#
# Everything happens in a temporary directory (a throwaway self-signed
# certificate, the server's log); the server listens on 127.0.0.1 and a port
# the kernel chooses, is stopped with SIGTERM at the end and must exit
# cleanly. Nothing is left running or lying around, whatever fails.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build}
PQUIC=$BUILD/bin/pquic
SIZE=100000000

die() {
  echo "demo: error: $*" >&2
  exit 1
}

[[ -x "$PQUIC" ]] || die "$PQUIC not found: run 'make' (or 'make demo', which builds first)"
WORK=$(mktemp -d /tmp/pquic-demo.XXXXXX) || die "cannot make a temporary directory"
SERVER=
cleanup() {
  if [[ -n "$SERVER" ]]; then
    kill -KILL "$SERVER" 2>/dev/null
    wait "$SERVER" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$PQUIC" cert --cert "$WORK/cert.pem" --key "$WORK/key.pem" --host 127.0.0.1 ||
  die "could not make a certificate"

"$PQUIC" server --addr 127.0.0.1 --port 0 --cert "$WORK/cert.pem" --key "$WORK/key.pem" \
  2>"$WORK/server.log" &
SERVER=$!
PORT=
for _ in $(seq 200); do
  PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/server.log")
  [[ -n "$PORT" ]] && break
  if ! kill -0 "$SERVER" 2>/dev/null; then
    cat "$WORK/server.log" >&2
    die "the server did not start"
  fi
  sleep 0.05
done
[[ -n "$PORT" ]] || die "the server did not report its port within 10 s"
echo "demo: server on 127.0.0.1:$PORT, downloading $SIZE bytes" >&2

URL=https://127.0.0.1:$PORT/$SIZE
timeout 120 "$PQUIC" client --ca "$WORK/cert.pem" --discard --quiet "$URL" >"$WORK/client.out"
rc=$?
[[ $rc -eq 124 ]] && die "the download did not finish within 120 s"
[[ $rc -eq 0 ]] || die "the client failed (exit status $rc): see its message above"
grep -q "^bytes=$SIZE " "$WORK/client.out" || die "unexpected summary: $(cat "$WORK/client.out")"
cat "$WORK/client.out"

# A clean stop: SIGTERM, then the server closes and exits 0 by itself.
kill -TERM "$SERVER"
for _ in $(seq 100); do
  kill -0 "$SERVER" 2>/dev/null || break
  sleep 0.05
done
kill -0 "$SERVER" 2>/dev/null && die "the server did not stop within 5 s of SIGTERM"
wait "$SERVER"
rc=$?
SERVER=
[[ $rc -eq 0 ]] || {
  cat "$WORK/server.log" >&2
  die "the server exited with status $rc"
}
echo "demo: server stopped cleanly" >&2
