#!/usr/bin/env bash
# clang-tidy and cppcheck over the project's C sources. Exits non-zero on any
# finding. Usage: scripts/lint.sh BUILD_DIR (which holds compile_commands.json).
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
[[ -f "$build/compile_commands.json" ]] || { echo "lint: run cmake first (no $build/compile_commands.json)" >&2; exit 2; }

# Project sources only; plugin sources are eBPF targets linted by their own build.
mapfile -t files < <(git ls-files '*.c' | grep -v -E '^(plugins|tests/fuzz/corpus)/' || true)
# clang-tidy needs each file's flags: only files the build compiles (the
# fuzz targets exist in the sanitizer build only; cppcheck still sees them).
mapfile -t tidy_files < <(for f in "${files[@]}"; do
  grep -q "\"$PWD/$f\"" "$build/compile_commands.json" && echo "$f"; done)
[[ ${#files[@]} -gt 0 ]] || exit 0

echo "lint: clang-tidy on ${#tidy_files[@]} files"
printf '%s\n' "${tidy_files[@]}" | xargs -P "$(nproc)" -n 8 clang-tidy -p "$build" --quiet 2>/dev/null

echo "lint: cppcheck"
cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 \
  --enable=warning,portability,performance \
  --suppress=missingIncludeSystem --suppress=unknownMacro \
  -I include -I src -D__GNUC__ -D_GNU_SOURCE "${files[@]}"
echo "lint: clean"
