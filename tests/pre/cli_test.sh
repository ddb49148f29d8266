#!/bin/sh
# pquic-bpf end to end: run (raw and ELF, both engines), verify, disasm (same
# listing as llvm-objdump -dr), errors as one line on stderr with status 1,
# --help everywhere. Usage: cli_test.sh PQUIC_BPF FIXTURE_DIR
BPF=$1
FIX=$2
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_ok NAME EXPECTED_STDOUT STDIN ARGS...
expect_ok() {
  name=$1 want=$2 in=$3
  shift 3
  got=$(printf '%s' "$in" | "$BPF" "$@" 2>"$tmp/err")
  rc=$?
  [ $rc -eq 0 ] || { fail "$name: status $rc ($(cat "$tmp/err"))"; return; }
  [ "$got" = "$want" ] || fail "$name: got '$got', want '$want'"
  [ -s "$tmp/err" ] && fail "$name: stderr not empty"
}

# expect_err NAME PATTERN STDIN ARGS...: status 1, one stderr line matching
expect_err() {
  name=$1 pat=$2 in=$3
  shift 3
  printf '%s' "$in" | "$BPF" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  [ $rc -eq 1 ] || fail "$name: status $rc, want 1"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$name: stderr is not one line: $(cat "$tmp/err")"
  grep -q -- "$pat" "$tmp/err" || fail "$name: stderr '$(cat "$tmp/err")' lacks '$pat'"
  [ -s "$tmp/out" ] && fail "$name: stdout not empty"
}

MOV42="b7 00 00 00 2a 00 00 00  95 00 00 00 00 00 00 00"
LDW="61 10 00 00 00 00 00 00  95 00 00 00 00 00 00 00"
LDW1="61 10 01 00 00 00 00 00  95 00 00 00 00 00 00 00"
LEN="bf 20 00 00 00 00 00 00  95 00 00 00 00 00 00 00"
R10="b7 0a 00 00 00 00 00 00  95 00 00 00 00 00 00 00"
LOOP="b7 00 00 00 00 00 00 00  55 00 ff ff 01 00 00 00  95 00 00 00 00 00 00 00"
SUM5="b7 01 00 00 01 00 00 00  b7 02 00 00 02 00 00 00  b7 03 00 00 03 00 00 00
      b7 04 00 00 04 00 00 00  b7 05 00 00 05 00 00 00  85 00 00 00 01 00 00 00
      95 00 00 00 00 00 00 00"

engines="--interp"
printf '%s' "$MOV42" | "$BPF" run --jit >/dev/null 2>"$tmp/err"
grep -q "not available" "$tmp/err" || engines="--interp --jit"

for e in $engines; do
  expect_ok "mov $e" 0x2a "$MOV42" run $e
  expect_ok "comments $e" 0x2a "# a comment
$MOV42 # trailing" run $e
  expect_ok "whole-word tokens $e" 0x2a "b70000002a000000 0x9500000000000000" run $e
  expect_ok "memory $e" 0x4030201 "$LDW" run $e 01020304
  expect_ok "memory with spaces $e" 0x4030201 "$LDW" run $e "01 02 03 04"
  expect_ok "r2 is the length $e" 0x3 "$LEN" run $e aabbcc
  expect_ok "no memory $e" 0x0 "$LEN" run $e
  expect_ok "helper $e" 0xf "$SUM5" run $e
  expect_err "bounds $e" "bounds fault at insn 0: 4-byte read" "$LDW1" run $e 01020304
  expect_err "no memory bounds $e" "bounds fault at insn 0" "$LDW" run $e
  expect_err "r10 $e" "insn 0: r10 is read-only (rule: r10-write)" "$R10" run $e
  expect_err "budget $e" "budget exhausted" "$LOOP" run $e --budget 1000
  expect_err "bad hex $e" "hex" "b7 0" run $e
  expect_err "bad memory hex $e" "memory" "$MOV42" run $e zz
  expect_err "odd length $e" "instructions" "b7 00 00 00" run $e
  expect_err "empty program $e" "empty program" "" run $e
  hex=$(od -An -v -tx1 "$FIX/strings.o")
  expect_ok "elf $e" 0x57c "$hex" run $e --elf --entry str_len
  expect_ok "elf default entry $e" 0x57c "$hex" run $e --elf
  expect_ok "elf memory $e" 0xf "$hex" run $e --elf --entry str_copy 00000000000000000000000000000000
  expect_err "elf entry $e" "no entry function 'nope'" "$hex" run $e --elf --entry nope
  expect_err "elf garbage $e" "ELF" "00 11 22 33" run $e --elf
  hex=$(od -An -v -tx1 "$FIX/bad_helper.o")
  expect_err "elf unknown helper $e" "unknown helper 'no_such_helper'" "$hex" run $e --elf
done

# verify
"$BPF" verify "$FIX/tables.o" >"$tmp/out" 2>"$tmp/err" || fail "verify tables.o: $(cat "$tmp/err")"
grep -q "function crc32" "$tmp/out" || fail "verify lists functions"
"$BPF" verify "$FIX/helpers.o" >"$tmp/out" 2>&1 || fail "verify helpers.o"
grep -q "helper fill" "$tmp/out" || fail "verify lists helpers"
expect_err "verify restricted helpers" "unknown helper 'fill'" "" verify --helpers sum,fault "$FIX/helpers.o"
expect_err "verify fnptr" "indirect calls unsupported" "" verify "$FIX/bad_fnptr.o"
expect_err "verify extern" "unknown symbol 'somewhere'" "" verify "$FIX/bad_extern.o"
expect_err "verify section" "unsupported section '.maps'" "" verify "$FIX/bad_section.o"
expect_err "verify missing" "cannot read" "" verify "$tmp/none.o"
expect_err "verify no file" "no file" "" verify

# disasm: the same listing as llvm-objdump -dr
OBJDUMP=$(command -v llvm-objdump || command -v llvm-objdump-14)
for o in "$FIX"/*.o; do
  "$BPF" disasm "$o" >"$tmp/ours" 2>"$tmp/err" || fail "disasm $o: $(cat "$tmp/err")"
  if [ -n "$OBJDUMP" ]; then
    "$OBJDUMP" -dr "$o" >"$tmp/theirs"
    diff "$tmp/ours" "$tmp/theirs" >"$tmp/diff" || fail "disasm $o differs from llvm-objdump: $(head -5 "$tmp/diff")"
  fi
done
expect_err "disasm garbage" "not an ELF" "" disasm "$0"

# --help everywhere
for c in "" run verify disasm; do
  # shellcheck disable=SC2086
  "$BPF" $c --help >"$tmp/out" 2>&1 || fail "$c --help status"
  grep -q "usage" "$tmp/out" || fail "$c --help prints usage"
done

[ $fails -eq 0 ] && echo "pre_cli: all checks passed"
exit $((fails > 0))
