#!/usr/bin/env bash
# DSSE cross-implementation test: vouch against Python's securesystemslib.
#
#   1. vouch signs DSSE envelopes (Ed25519, ECDSA P-256 as DER) into a
#      temporary exchange folder (cargo test ... dsse_interop, phase "sign");
#   2. scripts/interop/dsse_interop.py verifies them with securesystemslib and
#      signs envelopes of its own;
#   3. vouch verifies those (phase "verify").
#
# The Python packages live in the interop venv (scripts/interop/venv.sh:
# target/interop-venv, versions pinned in requirements.txt). Without CI=true,
# a missing python3/venv or a failed pip install (say, offline) skips the test
# with a notice; under CI=true it fails: CI never skips silently.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/scripts/interop"
cd "$root"

. "$here/venv.sh"
interop_venv "dsse interop"

interop_exchange dsse_interop "$here/dsse_interop.py" VOUCH_DSSE_INTEROP
echo "dsse interop: vouch <-> securesystemslib OK"
