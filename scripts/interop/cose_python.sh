#!/usr/bin/env bash
# COSE cross-implementation test: vouch against Python's pycose.
#
#   1. vouch signs COSE_Sign1 and COSE_Sign envelopes (Ed25519, ES256; one
#      and three signatures; two tampered ones it refuses) into a temporary
#      exchange folder (cargo test ... cose_interop, phase "sign");
#   2. scripts/interop/cose_interop.py verifies them with pycose (and refuses
#      the tampered ones), and signs envelopes of its own;
#   3. vouch verifies those, and refuses pycose's tampered ones (phase
#      "verify").
#
# The Python packages live in the interop venv (scripts/interop/venv.sh:
# target/interop-venv, versions pinned in requirements.txt). Without CI=true,
# a missing python3/venv or a failed pip install skips the test with a
# notice; under CI=true it fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/scripts/interop"
cd "$root"

. "$here/venv.sh"
interop_venv "cose interop"

interop_exchange cose_interop "$here/cose_interop.py" VOUCH_COSE_INTEROP
echo "cose interop: vouch <-> pycose OK"
