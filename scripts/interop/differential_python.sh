#!/usr/bin/env bash
# Differential tests against Python implementations: vouch's COSE_Sign1 and
# COSE_Sign verification against pycose, its DSSE verification against
# securesystemslib, case by case on generated inputs
# (vouch-core/tests/differential_python.rs, which runs
# scripts/interop/differential.py for the Python verdicts). Expected
# divergences: vouch-core/tests/differential/divergences.toml.
#
# VOUCH_DIFF_SEED and VOUCH_DIFF_CASES reproduce or widen a run. The Python
# packages live in the interop venv (scripts/interop/venv.sh); without
# CI=true a venv that cannot be made skips the test with a notice, under
# CI=true it fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

. "$root/scripts/interop/venv.sh"
interop_venv "differential tests (pycose, securesystemslib)"

VOUCH_INTEROP_PYTHON="$INTEROP_PYTHON" \
    cargo test --quiet --workspace --all-features --test differential_python -- --nocapture --test-threads 1
