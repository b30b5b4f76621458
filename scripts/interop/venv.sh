# Sourced by the interop scripts (dsse_python.sh, cose_python.sh,
# differential_python.sh): the one Python venv they share, under
# target/interop-venv, created on first use and reused, with the versions
# pinned in scripts/interop/requirements.txt.
#
#   . "$root/scripts/interop/venv.sh"
#   interop_venv "cose interop"    # sets INTEROP_PYTHON, or skips/fails
#
# Without CI=true, a missing python3/venv or a failed pip install (say,
# offline) skips the calling script with a notice (exit 0); under CI=true it
# fails: CI never skips silently.

interop_venv() {
    local what=$1
    local here venv
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    venv="$(cd "$here/../.." && pwd)/target/interop-venv"

    unavailable() {
        if [ "${CI:-}" = "true" ]; then
            echo "FAIL: $what: $1 (CI=true forbids skipping)" >&2
            exit 1
        fi
        echo "SKIP: $what: $1" >&2
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
            -r "$here/requirements.txt" >&2 ||
            unavailable "pip install -r scripts/interop/requirements.txt failed"
    fi
    INTEROP_PYTHON="$venv/bin/python"
}

# interop_exchange TEST SCRIPT VAR_PREFIX: a two-way interop test in three
# phases over one exchange folder: vouch-core's tests/TEST.rs writes vouch's
# envelopes (phase "sign"), SCRIPT, run by the venv's Python, verifies them
# and writes its own, and TEST verifies those (phase "verify"). TEST reads
# the folder and the phase from ${VAR_PREFIX}_DIR and ${VAR_PREFIX}_PHASE.
# Call interop_venv first.
interop_exchange() {
    local test=$1 script=$2 prefix=$3 phase exchange
    exchange="$(mktemp -d "${TMPDIR:-/tmp}/vouch-$test.XXXXXX")"
    # shellcheck disable=SC2064 # the folder is fixed now
    trap "rm -rf '$exchange'" EXIT
    for phase in sign python verify; do
        if [ "$phase" = python ]; then
            "$INTEROP_PYTHON" "$script" "$exchange"
        else
            env "${prefix}_DIR=$exchange" "${prefix}_PHASE=$phase" \
                cargo test --quiet --workspace --all-features --test "$test" -- --nocapture
        fi
    done
}
