#!/usr/bin/env bash
# The plugin parts of the pquic command, as a user runs them, one case per
# CTest test (plugin_cli_*). Usage: cli_test.sh PQUIC PLUGIN_DIR OBJ_DIR SRC_DIR CASE
#   PLUGIN_DIR: the example bundles; OBJ_DIR: the stats plugin's objects;
#   SRC_DIR: the source tree.
# Loopback only, kernel-chosen ports, every command bounded by `timeout`,
# the server stopped by its own process id.
set -u
PQUIC=$1
PLUGINS=$2
OBJS=$3
SRC=$4
CASE=$5
WORK=$(mktemp -d /tmp/pquic-plugin-cli.XXXXXX)
SERVER_PID=
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK" || exit 1

die() { echo "FAIL: $*" >&2; exit 1; }

# run STATUS PATTERN CMD...: exit status, and stderr matching PATTERN (if given).
run() {
  local want=$1 pattern=$2
  shift 2
  timeout 30 "$@" >out.txt 2>err.txt
  local rc=$?
  [[ $rc -eq $want ]] || { cat err.txt >&2; die "'$*' exited $rc, expected $want"; }
  if [[ -n "$pattern" ]]; then
    grep -Eq -- "$pattern" err.txt || die "'$*': stderr '$(cat err.txt)' lacks /$pattern/"
  fi
}

start_server() {
  "$PQUIC" cert --cert cert.pem --key key.pem --host 127.0.0.1 >/dev/null || die "pquic cert"
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

stop_server() {
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID"
  SERVER_PID=
}

STATS=$PLUGINS/org.pquic.example.stats.pqp

case "$CASE" in
build)
  # The command writes the same bytes as the SDK, whatever the order.
  run 0 "" "$PQUIC" plugin build "$SRC/plugins/stats/manifest" a.pqp "$OBJS/stats.o"
  grep -Eq '^a.pqp: [0-9]+ bytes, sha256 [0-9a-f]{64}$' out.txt || die "build output: $(cat out.txt)"
  cmp -s a.pqp "$STATS" || die "pquic plugin build differs from the SDK's bundle"
  sha=$(sha256sum a.pqp | cut -d' ' -f1)
  grep -q "$sha" out.txt || die "printed hash is not the file's SHA-256"
  # Errors name the problem.
  printf 'plugin org.t.x\nx_op sideways stats.o f\n' >bad.manifest
  run 1 "manifest line 2: unknown anchor .* \(PQUIC_ERR_MANIFEST\)" \
    "$PQUIC" plugin build bad.manifest b.pqp "$OBJS/stats.o"
  run 1 "object stats.o named by the manifest is missing" \
    "$PQUIC" plugin build "$SRC/plugins/stats/manifest" b.pqp
  run 2 "build needs" "$PQUIC" plugin build only-one-arg
  ;;
info_verify)
  run 0 "" "$PQUIC" plugin info "$STATS"
  grep -q '^plugin:    org.pquic.example.stats$' out.txt || die "info: $(cat out.txt)"
  grep -q 'stats.o' out.txt || die "info lists no objects"
  grep -q '^packet_sent post stats.o on_sent$' out.txt || die "info shows no manifest"
  run 0 "" "$PQUIC" plugin verify "$PLUGINS"/*.pqp
  [[ $(grep -c ': ok org.pquic.' out.txt) -ge 7 ]] || die "verify: $(cat out.txt)"
  head -c 300 "$STATS" >cut.pqp
  run 1 "plugin verify: cut.pqp: .*\(PQUIC_ERR_BUNDLE\)" "$PQUIC" plugin verify cut.pqp
  run 1 "cannot read 'missing.pqp'" "$PQUIC" plugin verify missing.pqp
  run 0 "" "$PQUIC" plugin fields
  cmp -s out.txt "$SRC/docs/fields.md" || die "pquic plugin fields differs from docs/fields.md"
  run 2 "unknown subcommand 'frobnicate'" "$PQUIC" plugin frobnicate
  ;;
loopback)
  # Plugins on both sides of a download; when the connection ends, the
  # server's copy of the stats plugin pushes its counters (printed by -v).
  start_server --plugin "$STATS" --plugin "$PLUGINS/org.pquic.example.fixed-cwnd.pqp" -v
  run 0 "plugin org.pquic.example.stats loaded: 6 pluglets, 16384 bytes per connection" \
    "$PQUIC" client --ca cert.pem --discard --plugin "$STATS" -v "https://127.0.0.1:$PORT/300000"
  grep -q '^bytes=300000 ' out.txt || die "download: $(cat out.txt)"
  grep -q 'plugin org.pquic.example.fixed-cwnd loaded' server.err ||
    die "server did not load: $(cat server.err)"
  for _ in $(seq 100); do
    grep -q 'plugin org.pquic.example.stats: message of 56 bytes' server.err && break
    sleep 0.05
  done
  grep -q 'plugin org.pquic.example.stats: message of 56 bytes' server.err ||
    die "no message from the server's stats plugin: $(cat server.err)"
  stop_server
  ;;
fault)
  # A hostile plugin on the server: the connection fails, by name; the
  # server keeps serving.
  start_server --plugin "$PLUGINS/org.pquic.example.hostile.endless-loop.pqp"
  run 1 "" "$PQUIC" client --ca cert.pem --discard --timeout 3 "https://127.0.0.1:$PORT/100000"
  grep -q 'pquic: plugin fault: PQUIC_ERR_BUDGET (pluglet instruction budget exhausted): .*plugin org.pquic.example.hostile.endless-loop' \
    server.err || die "server fault report: $(cat server.err)"
  kill -0 "$SERVER_PID" || die "the server died"
  stop_server
  run 1 "plugin missing.pqp: .*\(PQUIC_ERR_IO\)" \
    "$PQUIC" server --cert cert.pem --key key.pem --port 0 --plugin missing.pqp
  run 2 "at most 16 --plugin" "$PQUIC" client $(for i in $(seq 17); do echo --plugin x; done) \
    https://127.0.0.1:1/
  ;;
*)
  die "unknown case $CASE"
  ;;
esac
exit 0
