#!/usr/bin/env bash
# Builds vouch's C library and installs it with its header and pkg-config
# file under a prefix:
#
#   PREFIX/include/vouch.h
#   PREFIX/lib/libvouch_ffi.so and/or PREFIX/lib/libvouch_ffi.a
#   PREFIX/lib/pkgconfig/vouch.pc
#
# usage: install.sh [--prefix DIR] [--release] [--shared-only|--static-only] [--no-build]
#
#   --prefix DIR    where to install (default /usr/local)
#   --release       install the release build (default: the debug build)
#   --shared-only   install only libvouch_ffi.so
#   --static-only   install only libvouch_ffi.a (pkg-config --static then
#                   links it statically)
#   --no-build      do not run cargo build (install what is built)
set -euo pipefail

CRATE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=/usr/local
profile=debug
shared=1
static=1
build=1
while (($#)); do
    case $1 in
        --prefix)
            prefix=${2:?--prefix needs a directory}
            shift
            ;;
        --release) profile=release ;;
        --shared-only) static=0 ;;
        --static-only) shared=0 ;;
        --no-build) build=0 ;;
        *)
            sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
            exit 2
            ;;
    esac
    shift
done

if ((build)); then
    flags=(-p vouch-ffi --lib)
    [[ $profile == release ]] && flags+=(--release)
    (cd "$CRATE" && cargo build "${flags[@]}")
fi

# The target directory as cargo sees it (CARGO_TARGET_DIR, config, default).
target_dir=$(cd "$CRATE" && cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[[ -n $target_dir ]] || {
    echo "install.sh: cannot find cargo's target directory" >&2
    exit 1
}
built=$target_dir/$profile
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$CRATE/../Cargo.toml" | head -n 1)

mkdir -p "$prefix/include" "$prefix/lib/pkgconfig"
install -m 0644 "$CRATE/include/vouch.h" "$prefix/include/vouch.h"
if ((shared)); then
    install -m 0755 "$built/libvouch_ffi.so" "$prefix/lib/libvouch_ffi.so"
fi
if ((static)); then
    install -m 0644 "$built/libvouch_ffi.a" "$prefix/lib/libvouch_ffi.a"
fi
sed -e "s|@PREFIX@|$prefix|" \
    -e 's|@LIBDIR@|${prefix}/lib|' \
    -e 's|@INCLUDEDIR@|${prefix}/include|' \
    -e "s|@VERSION@|$version|" \
    "$CRATE/vouch.pc.in" >"$prefix/lib/pkgconfig/vouch.pc"
echo "installed vouch $version ($profile) under $prefix"
