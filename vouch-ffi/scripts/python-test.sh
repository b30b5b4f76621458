#!/usr/bin/env bash
# Runs the Python ctypes example (examples/python/verify.py) against the
# shared library on fixtures made by the Rust side, and checks its answers:
# a passing deployment, failing ones (not in the bundle, an image alone),
# pins in both forms and refused pins, trusted state refusing a rollback,
# and input it cannot evaluate.
#
#   bash vouch-ffi/scripts/python-test.sh
#
# Needs: cargo, python3 (standard library only).
set -euo pipefail

CRATE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$CRATE/.." && pwd)
VERIFY=$ROOT/examples/python/verify.py
cd "$CRATE"

command -v python3 >/dev/null || {
    echo "python-test: python3 is required" >&2
    exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vouch-py-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

bash scripts/install.sh --prefix "$WORK/prefix" --shared-only
bash scripts/fixtures.sh "$WORK/fixtures"
export VOUCH_FFI_LIB=$WORK/prefix/lib/libvouch_ffi.so
FX=$WORK/fixtures

passes=0
fails=0
# expect STATUS DESCRIPTION -- COMMAND...: runs COMMAND, checks its exit status.
expect() {
    local want=$1 what=$2 got=0
    shift 3
    "$@" >"$WORK/out" 2>"$WORK/err" || got=$?
    if [[ $got == "$want" ]]; then
        echo "ok: $what (exit $got)"
        passes=$((passes + 1))
    else
        echo "FAILED: $what: exit $got, expected $want" >&2
        sed 's/^/    /' "$WORK/out" "$WORK/err" >&2
        fails=$((fails + 1))
    fi
}
# contains FILE TEXT: the last command's output has TEXT.
contains() {
    if grep -qF -- "$2" "$WORK/$1"; then
        echo "ok:   ... and its $1 has: $2"
        passes=$((passes + 1))
    else
        echo "FAILED: $1 lacks: $2" >&2
        sed 's/^/    /' "$WORK/$1" >&2
        fails=$((fails + 1))
    fi
}

expect 0 "the deployment passes" -- python3 "$VERIFY" --fixtures "$FX"
contains out "verdict: PASS"
contains out "deployment production/eu-1/shop/api"

expect 1 "the image alone is refused (deployment stage), with the library given by --lib" -- \
    env -u VOUCH_FFI_LIB python3 "$VERIFY" --lib "$VOUCH_FFI_LIB" --fixtures "$FX" \
    --target "$(cat "$FX/image-target.txt")" --json
contains out '"kind": "target-not-deployment"'

PIN=$(cat "$FX/roster.pin")
expect 0 "explicit files and the pin as sha256:<hex>" -- python3 "$VERIFY" \
    --policy "$FX/policy.toml" --roster "$FX/roster.cbor" --bundle "$FX/bundle.cbor" \
    --target "$(cat "$FX/target.txt")" --pin "$PIN" --at "$(($(cat "$FX/made-at.txt") + 60))"

expect 0 "the pin as bare hex" -- python3 "$VERIFY" --fixtures "$FX" --pin "${PIN#sha256:}"

expect 2 "no pin is a usage error" -- python3 "$VERIFY" \
    --policy "$FX/policy.toml" --roster "$FX/roster.cbor" --bundle "$FX/bundle.cbor" \
    --target "$(cat "$FX/target.txt")"
contains err "--pin"

expect 2 "a short pin is refused before the library sees it" -- python3 "$VERIFY" --fixtures "$FX" \
    --pin "${PIN:0:40}"
contains err "is not sha256:<64 hex digits>"

STATE=$WORK/state.json
expect 0 "the first run with state records the roster" -- python3 "$VERIFY" --fixtures "$FX" \
    --pin "$PIN" --state "$STATE"
contains out "verdict: PASS"
if grep -qF '"version": 2' "$STATE"; then
    echo "ok:   ... and the state file holds roster version 2"
    passes=$((passes + 1))
else
    echo "FAILED: the state file lacks roster version 2" >&2
    fails=$((fails + 1))
fi

expect 0 "with the state, the pin may be left out" -- python3 "$VERIFY" --fixtures "$FX" --state "$STATE"

expect 2 "the roster file cut back to version 1 is a rollback" -- python3 "$VERIFY" --fixtures "$FX" \
    --roster "$FX/roster-v1.cbor" --state "$STATE"
contains err "(code 10)"
contains err "rollback"

expect 1 "a deployment not in the bundle fails" -- python3 "$VERIFY" --fixtures "$FX" \
    --target "$(cat "$FX/missing-target.txt")" --json
contains out '"outcome": "fail"'
contains out '"kind": "deployment-missing"'

expect 1 "a month later the deployment is too old" -- python3 "$VERIFY" --fixtures "$FX" \
    --at "$(($(cat "$FX/made-at.txt") + 31 * 86400))" --json
contains out '"kind": "too-old"'

printf '[deployment]\nsigners = 3\n' >"$WORK/bad-policy.toml"
expect 2 "a bad policy cannot be evaluated" -- python3 "$VERIFY" --fixtures "$FX" \
    --policy "$WORK/bad-policy.toml"
contains err "the policy could not be read (code 9): policy: policy TOML is invalid"

expect 2 "a wrong pin is refused" -- python3 "$VERIFY" --fixtures "$FX" --pin "$(printf '0%.0s' {1..64})"
contains err "(code 10)"

expect 2 "a malformed target is refused" -- python3 "$VERIFY" --fixtures "$FX" --target "sha256:xyz"
contains err "(code 12)"

echo "python-test: $passes passed, $fails failed"
((fails == 0))
