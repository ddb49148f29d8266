#!/usr/bin/env bash
# The paper's Figure 7 testbed (a client with two paths to a server) built
# from pquic-netsim, on loopback or in network namespaces made here.
#
#   testbed.sh [--mode loopback|netns] --link1 OPTS [--link2 OPTS]
#              [--netsim PATH] [--netsim-args "ARGS"] [--port P]
#              --server 'CMD' --client 'CMD'
#
# OPTS are pquic-netsim link keys (delay=10ms,rate=20mbit,queue=64kb,...).
# One pquic-netsim plays the routers: path 1 (R1-R3) and path 2 (R2-R3) are
# its two links, both relaying to the server. The server command runs in the
# background and must listen on $TB_SERVER_ADDR:$TB_SERVER_PORT (UDP); once
# that port is bound, the client command runs in the foreground and reaches
# the server over path 1 at $TB_PATH1_ADDR:$TB_PATH1_PORT (and over path 2
# at $TB_PATH2_ADDR:$TB_PATH2_PORT when --link2 is given). Both commands are
# bash strings, run with those variables and $TB_MODE exported.
#
#   loopback: everything on 127.0.0.1, different ports.
#   netns:    three namespaces made here, with unique names
#             (pqtb-<id>-cli, -net, -srv): the client has one veth pair per
#             path to "net", where netsim runs; "net" has one to the server.
#             Addresses come from 198.18.0.0/15 (RFC 2544, benchmarking),
#             used only inside these namespaces, which have no other
#             interface and no default route: nothing outside them is ever
#             addressed.
#
# Everything started is stopped, and the namespaces deleted, on exit
# (including errors and signals). netsim's statistics go to stderr as
# "testbed: netsim: stats ..." lines. The exit status is the client's.
set -euo pipefail

MODE=loopback LINK1= LINK2= SERVER_CMD= CLIENT_CMD= NETSIM_ARGS="--realtime" PORT=4433
HERE=$(cd "$(dirname "$0")" && pwd)
NETSIM=${NETSIM:-$HERE/../../build/bin/pquic-netsim}

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "testbed: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
  --mode) MODE=${2:?}; shift 2 ;;
  --link1) LINK1=${2:?}; shift 2 ;;
  --link2) LINK2=${2:?}; shift 2 ;;
  --netsim) NETSIM=${2:?}; shift 2 ;;
  --netsim-args) NETSIM_ARGS=${2?}; shift 2 ;;
  --port) PORT=${2:?}; shift 2 ;;
  --server) SERVER_CMD=${2:?}; shift 2 ;;
  --client) CLIENT_CMD=${2:?}; shift 2 ;;
  -h | --help) usage; exit 0 ;;
  *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ -n "$LINK1" && -n "$SERVER_CMD" && -n "$CLIENT_CMD" ]] || die "--link1, --server and --client are required"
[[ -x "$NETSIM" ]] || die "pquic-netsim not found at '$NETSIM' (build it, or give --netsim)"
[[ "$MODE" == loopback || "$MODE" == netns ]] || die "--mode is loopback or netns"
[[ "$PORT" =~ ^[0-9]+$ && $PORT -ge 1 && $PORT -le 65535 ]] || die "bad --port '$PORT'"

ID=$(printf '%x%02x' $$ $((RANDOM % 256)))
WORK=$(mktemp -d "/tmp/pqtb-$ID.XXXX")
NS_CLI= NS_NET= NS_SRV=
PIDS=()

cleanup() {
  local rc=$?
  set +e
  # Children first (netsim prints its statistics on SIGTERM), then the
  # namespaces, which takes their veth pairs with them.
  # Each was started in its own process group (setsid): signal the group.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM -- "-${PIDS[i]}" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -KILL -- "-$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  [[ -f "$WORK/netsim.out" ]] && grep '^netsim: \(stats\|flows\)' "$WORK/netsim.out" | sed 's/^/testbed: /' >&2
  for ns in "$NS_CLI" "$NS_NET" "$NS_SRV"; do
    [[ -n "$ns" ]] || continue
    # Anything still running inside (a stray server child) goes too.
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# in_ns NS CMD...: runs CMD in namespace NS (the current one when NS is empty).
in_ns() {
  local ns=$1
  shift
  if [[ -n "$ns" ]]; then ip netns exec "$ns" "$@"; else "$@"; fi
}
# bg OUT NS CMD...: starts CMD in NS in the background, in a process group of
# its own (so cleanup reaches its children too), output to OUT.
bg() {
  local out=$1
  shift
  setsid bash -c 'ns=$1; shift; if [[ -n "$ns" ]]; then exec ip netns exec "$ns" "$@"; else exec "$@"; fi' \
    bg "$@" >"$out" 2>&1 </dev/null &
  PIDS+=($!)
}

if [[ "$MODE" == netns ]]; then
  NS_CLI=pqtb-$ID-cli NS_NET=pqtb-$ID-net NS_SRV=pqtb-$ID-srv
  for ns in "$NS_CLI" "$NS_NET" "$NS_SRV"; do
    ip netns list | grep -qw "$ns" && die "namespace $ns already exists"
  done
  for ns in "$NS_CLI" "$NS_NET" "$NS_SRV"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  # veth NAME_A NS_A ADDR_A NAME_B NS_B ADDR_B: a /24 point-to-point pair.
  veth() {
    ip link add "$1" netns "$2" type veth peer name "$4" netns "$5"
    ip -n "$2" addr add "$3/24" dev "$1"
    ip -n "$5" addr add "$6/24" dev "$4"
    ip -n "$2" link set "$1" up
    ip -n "$5" link set "$4" up
  }
  veth "pq${ID}c1" "$NS_CLI" 198.18.1.2 "pq${ID}r1" "$NS_NET" 198.18.1.1
  veth "pq${ID}c2" "$NS_CLI" 198.18.2.2 "pq${ID}r2" "$NS_NET" 198.18.2.1
  veth "pq${ID}r3" "$NS_NET" 198.18.3.1 "pq${ID}s" "$NS_SRV" 198.18.3.2
  export TB_SERVER_ADDR=198.18.3.2 TB_PATH1_ADDR=198.18.1.1 TB_PATH2_ADDR=198.18.2.1
  export TB_SERVER_PORT=$PORT TB_PATH1_PORT=$PORT TB_PATH2_PORT=$PORT
else
  # Loopback: kernel-chosen ports for the paths, the given one for the server.
  export TB_SERVER_ADDR=127.0.0.1 TB_PATH1_ADDR=127.0.0.1 TB_PATH2_ADDR=127.0.0.1
  export TB_SERVER_PORT=$PORT TB_PATH1_PORT=0 TB_PATH2_PORT=0
fi
export TB_MODE=$MODE TB_DIR=$WORK

# The server, then wait for its UDP port.
bg "$WORK/server.out" "$NS_SRV" bash -c "$SERVER_CMD"
bound=
for _ in $(seq 200); do
  if in_ns "$NS_SRV" ss -Hunl "sport = :$TB_SERVER_PORT" | grep -q .; then bound=1; break; fi
  kill -0 "${PIDS[0]}" 2>/dev/null || break
  sleep 0.025
done
[[ -n "$bound" ]] || { cat "$WORK/server.out" >&2; die "the server did not bind UDP port $TB_SERVER_PORT"; }

links=(--link "$TB_PATH1_ADDR:$TB_PATH1_PORT=$TB_SERVER_ADDR:$TB_SERVER_PORT,$LINK1")
[[ -n "$LINK2" ]] && links+=(--link "$TB_PATH2_ADDR:$TB_PATH2_PORT=$TB_SERVER_ADDR:$TB_SERVER_PORT,$LINK2")
# shellcheck disable=SC2086 # NETSIM_ARGS is a list of options
bg "$WORK/netsim.out" "$NS_NET" "$NETSIM" $NETSIM_ARGS "${links[@]}"
for _ in $(seq 200); do
  grep -q '^netsim: ready' "$WORK/netsim.out" && break
  kill -0 "${PIDS[1]}" 2>/dev/null || { cat "$WORK/netsim.out" >&2; die "pquic-netsim failed"; }
  sleep 0.025
done
grep -q '^netsim: ready' "$WORK/netsim.out" || die "pquic-netsim did not start"
TB_PATH1_PORT=$(sed -n 's/^netsim: link 0 listen .*:\([0-9]*\) forward.*/\1/p' "$WORK/netsim.out")
TB_PATH2_PORT=$(sed -n 's/^netsim: link 1 listen .*:\([0-9]*\) forward.*/\1/p' "$WORK/netsim.out")
export TB_PATH1_PORT TB_PATH2_PORT
grep '^netsim: link' "$WORK/netsim.out" | sed 's/^/testbed: /' >&2

set +e
in_ns "$NS_CLI" bash -c "$CLIENT_CMD"
rc=$?
set -e
exit $rc
