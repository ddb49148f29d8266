#!/usr/bin/env bash
# Installs the Debian 12 packages pquic needs, and only when some are missing.
# Called by `make`; safe to run by hand. Exits non-zero with a clear message
# when packages are missing and we cannot install them (not root, no sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  clang llvm libclang-rt-14-dev
  clang-tidy clang-format cppcheck
  libgnutls28-dev libnghttp3-dev libzstd-dev libsqlite3-dev libcmocka-dev
  ngtcp2-client ngtcp2-server
  iproute2 python3
  gnuplot-nox
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "deps: installing missing packages: ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "deps: error: these Debian packages are missing and installing them needs root:" >&2
  echo "deps:   apt-get install ${missing[*]}" >&2
  echo "deps: run that as root (or 'sudo make'), then run make again." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: done"
