#!/usr/bin/env bash
# Install the system libraries Jejak needs, when they are missing. Idempotent and quiet when
# everything is already there, so `make test` does not reach for apt-get on every run.
set -euo pipefail

missing=()
# pylibdmtx loads libdmtx through ctypes; Debian/Ubuntu ship it as libdmtx0b (or libdmtx0t64).
if ! ldconfig -p 2>/dev/null | grep -q 'libdmtx\.so'; then
    missing+=(libdmtx0b)
fi
((${#missing[@]} == 0)) && exit 0

if ! command -v apt-get >/dev/null; then
    echo "error: missing system libraries (${missing[*]}) and no apt-get to install them." >&2
    echo "hint: install libdmtx with your system's package manager, then rerun." >&2
    exit 1
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
    sudo="sudo"
fi
echo "Installing system libraries: ${missing[*]}"
$sudo apt-get update -qq
# Newer Ubuntu renamed the package to libdmtx0t64; try the plain name first.
if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libdmtx0t64
fi
