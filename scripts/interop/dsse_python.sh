#!/usr/bin/env bash
# DSSE cross-implementation test: vouch against Python's securesystemslib.
#
#   1. vouch signs DSSE envelopes (Ed25519, ECDSA P-256 as DER) into a
#      temporary exchange folder (cargo test ... dsse_interop, phase "sign");
#   2. scripts/interop/dsse_interop.py verifies them with securesystemslib and
#      signs envelopes of its own;
#   3. vouch verifies those (phase "verify").
#
# The Python packages live in a venv under target/interop-venv, created on
# first use and reused, with the versions pinned in requirements.txt. Without
# CI=true, a missing python3/venv or a failed pip install (say, offline) skips
# the test with a notice; under CI=true it fails: CI never skips silently.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/scripts/interop"
venv="$root/target/interop-venv"
cd "$root"

unavailable() {
    if [ "${CI:-}" = "true" ]; then
        echo "FAIL: dsse interop: $1 (CI=true forbids skipping)" >&2
        exit 1
    fi
    echo "SKIP: dsse interop: $1" >&2
    exit 0
}

command -v python3 >/dev/null 2>&1 || unavailable "python3 not found"
if [ ! -x "$venv/bin/python" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2 || unavailable "python3 -m venv failed"
fi
# pip install is quick when everything pinned is already there; the check
# keeps a warm venv from touching the network at all.
if ! "$venv/bin/python" - "$here/requirements.txt" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        name, want = line.split("==")
        if version(name) != want:
            sys.exit(1)
PY
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$here/requirements.txt" >&2 || unavailable "pip install -r scripts/interop/requirements.txt failed"
fi

exchange="$(mktemp -d "${TMPDIR:-/tmp}/vouch-dsse-interop.XXXXXX")"
trap 'rm -rf "$exchange"' EXIT

run_rust() {
    VOUCH_DSSE_INTEROP_DIR="$exchange" VOUCH_DSSE_INTEROP_PHASE="$1" \
        cargo test --quiet -p vouch-core --test dsse_interop -- --nocapture
}

run_rust sign
"$venv/bin/python" "$here/dsse_interop.py" "$exchange"
run_rust verify
echo "dsse interop: vouch <-> securesystemslib OK"
