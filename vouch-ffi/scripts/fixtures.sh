#!/usr/bin/env bash
# Makes the fixtures of the C and Python tests (examples/make_fixtures.rs)
# in DIR:
#
#   bash vouch-ffi/scripts/fixtures.sh DIR
#
# VOUCH_FFI_WORKSPACE_BUILD=1 (scripts/test sets it) runs the example as
# `cargo build --workspace --all-features` builds it, reusing the build of
# the whole suite; `cargo run -p vouch-ffi`, the default, selects other
# features and so rebuilds every vouch crate below vouch-ffi.
set -euo pipefail

DIR=${1:?usage: fixtures.sh DIR}
CRATE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$CRATE"
if [[ ${VOUCH_FFI_WORKSPACE_BUILD:-} == 1 ]]; then
    cargo build --quiet --workspace --all-features --examples
    target_dir=$(cargo metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    "$target_dir/debug/examples/make_fixtures" "$DIR"
else
    cargo run -p vouch-ffi --example make_fixtures -- "$DIR"
fi
