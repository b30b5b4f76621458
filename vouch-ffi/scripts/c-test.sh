#!/usr/bin/env bash
# Builds vouch's C library, installs it with its header and pkg-config file
# into a scratch prefix (once shared, once static), compiles
# tests/c/test_vouch.c against each with the system C compiler, and runs the
# program on fixtures made by the Rust side: natively, linked both ways, then
# under valgrind's leak checker. tests/c/test_threads.c shares one verifier
# between 8 threads verifying passing and failing chains at once; it runs
# natively, under valgrind's leak checker and under helgrind. Both programs
# also run built by clang with AddressSanitizer and UndefinedBehaviorSanitizer
# (LeakSanitizer on). Also checks that the header compiles on its own as C99,
# C11 and C++.
#
#   bash vouch-ffi/scripts/c-test.sh
#
# Needs: cargo, cc, c++, clang with its sanitizer runtimes (Debian: clang,
# libclang-rt-14-dev), nm (binutils), pkg-config, readelf, valgrind. c++,
# clang and readelf are skipped with a notice when missing, unless CI=true.
# Environment: VOUCH_C_TEST_KEEP=1 keeps the scratch directory;
# VOUCH_C_TEST_README=FILE takes the C example from FILE instead of the
# repository's README.md (to try a new example before it is pasted in).
set -euo pipefail

CRATE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$CRATE"

for tool in cargo cc nm pkg-config valgrind; do
    command -v "$tool" >/dev/null || {
        echo "c-test: $tool is required (Debian: build-essential pkg-config valgrind)" >&2
        exit 1
    }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vouch-c-test.XXXXXX")
if [[ ${VOUCH_C_TEST_KEEP:-} == 1 ]]; then
    echo "c-test: keeping $WORK"
else
    trap 'rm -rf "$WORK"' EXIT
fi

step() { printf '\n--- c-test: %s\n' "$*"; }

step "build the library and make the fixtures"
bash scripts/install.sh --prefix "$WORK/shared" --shared-only
bash scripts/install.sh --prefix "$WORK/static" --static-only --no-build
bash scripts/fixtures.sh "$WORK/fixtures"

CFLAGS=(-std=c11 -Wall -Wextra -Wpedantic -Werror -O1 -g)

step "the header compiles on its own (C99, C11, C++)"
printf '#include <vouch.h>\nint main(void) { return vouch_version() == 0; }\n' >"$WORK/header.c"
for std in c99 c11; do
    cc -std=$std -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$CRATE/include" "$WORK/header.c"
done
if command -v c++ >/dev/null; then
    c++ -x c++ -std=c++17 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$CRATE/include" "$WORK/header.c"
elif [[ ${CI:-} == true ]]; then
    echo "c-test: c++ is missing; CI=true forbids skipping the C++ header check" >&2
    exit 1
else
    echo "SKIP: c++ not found; the header is not checked as C++"
fi

step "the shared library exports exactly the header's functions"
nm -D --defined-only "$WORK/shared/lib/libvouch_ffi.so" | awk '{ print $3 }' | sort >"$WORK/exported"
grep -o '\bvouch_[a-z0-9_]*(' include/vouch.h | tr -d '(' | sort -u >"$WORK/declared"
if ! diff -u --label exported --label declared "$WORK/exported" "$WORK/declared"; then
    echo "c-test: libvouch_ffi.so and include/vouch.h disagree" >&2
    exit 1
fi
echo "$(wc -l <"$WORK/declared") functions"

step "compile against the shared library (pkg-config --cflags --libs vouch)"
export PKG_CONFIG_PATH=$WORK/shared/lib/pkgconfig
echo "pkg-config: $(pkg-config --cflags --libs vouch)"
for prog in test_vouch test_threads; do
    # shellcheck disable=SC2046 # pkg-config output is a list of flags
    cc "${CFLAGS[@]}" $(pkg-config --cflags vouch) "tests/c/$prog.c" -o "$WORK/${prog}_shared" \
        $(pkg-config --libs vouch) -pthread
done

step "compile against the static library (pkg-config --static)"
export PKG_CONFIG_PATH=$WORK/static/lib/pkgconfig
echo "pkg-config: $(pkg-config --static --cflags --libs vouch)"
# shellcheck disable=SC2046
cc "${CFLAGS[@]}" $(pkg-config --cflags vouch) tests/c/test_vouch.c -o "$WORK/test_vouch_static" \
    $(pkg-config --static --libs vouch) -pthread
if ! command -v readelf >/dev/null; then
    if [[ ${CI:-} == true ]]; then
        echo "c-test: readelf is missing; CI=true forbids skipping the static-link check" >&2
        exit 1
    fi
    echo "SKIP: readelf not found; the static build's dependencies are not checked"
elif readelf -d "$WORK/test_vouch_static" | grep -q 'libvouch_ffi'; then
    echo "c-test: the static build depends on libvouch_ffi.so" >&2
    exit 1
fi

step "run (shared)"
LD_LIBRARY_PATH=$WORK/shared/lib "$WORK/test_vouch_shared" "$WORK/fixtures"

step "run (static)"
"$WORK/test_vouch_static" "$WORK/fixtures"

step "one verifier shared by 8 threads (shared)"
LD_LIBRARY_PATH=$WORK/shared/lib "$WORK/test_threads_shared" "$WORK/fixtures" 8 8

step "the README's C example compiles as shown and gates"
awk '/<!-- c-example/ { marked = 1; next }
     marked && /^```c$/ { code = 1; next }
     code && /^```$/ { exit }
     code' "${VOUCH_C_TEST_README:-$CRATE/../README.md}" >"$WORK/gate.c"
[[ -s $WORK/gate.c ]] || {
    echo "c-test: no C example found in README.md" >&2
    exit 1
}
export PKG_CONFIG_PATH=$WORK/shared/lib/pkgconfig
# shellcheck disable=SC2046
cc "${CFLAGS[@]}" "$WORK/gate.c" $(pkg-config --cflags --libs vouch) -o "$WORK/gate"
# gate TARGET_FILE [PIN]: the gate on the fixtures (PIN default: roster.pin).
gate() {
    LD_LIBRARY_PATH=$WORK/shared/lib "$WORK/gate" "$WORK/fixtures/policy.toml" "$WORK/fixtures/roster.cbor" \
        "${2:-$(cat "$WORK/fixtures/roster.pin")}" "$WORK/fixtures/bundle.cbor" "$(cat "$WORK/fixtures/$1")" \
        >"$WORK/gate.out" 2>&1
}
# expect_gate STATUS WHY TARGET_FILE [PIN]
expect_gate() {
    local want=$1 why=$2 rc=0
    shift 2
    gate "$@" || rc=$?
    if [[ $rc != "$want" ]]; then
        cat "$WORK/gate.out"
        echo "c-test: the gate answered $rc for $why (expected $want)" >&2
        exit 1
    fi
}
expect_gate 0 "the fixture deployment" target.txt
expect_gate 1 "a deployment not in the bundle" missing-target.txt
expect_gate 1 "the image alone (the policy has a deployment stage)" image-target.txt
expect_gate 2 "a pin of no version in the roster" target.txt "sha256:$(printf '0%.0s' {1..64})"
expect_gate 2 "a short pin" target.txt "sha256:00"
echo "gate: exit 0 for the deployment, 1 for one not in the bundle or an image, 2 for a wrong pin"

step "AddressSanitizer and UndefinedBehaviorSanitizer (clang, shared library)"
# Only the C programs are instrumented; the Rust library is not. What ASan
# still catches across the boundary: vouch allocates and frees through the
# C heap (Rust's default allocator is malloc/free), which ASan replaces
# process-wide, so a handle freed twice or a pointer no vouch function
# returned reaching a _free is reported as a double or invalid free; C code
# that reads bytes vouch handed out (vouch_bytes_data, a verified payload)
# after their handle was freed, or past the end of their allocation, is a
# use after free or heap overflow in instrumented code; a handle or buffer
# the C side forgets to free is a leak (LeakSanitizer, with vouch's
# allocation stack); and the memcpy/memcmp calls the Rust code makes on
# buffers the caller passes go through ASan's checking interceptors. What it
# cannot see: plain loads and stores inside the Rust code (e.g. vouch reading
# a handle that was already freed, or past a buffer shorter than its stated
# length); valgrind below, which instruments everything, covers those. UBSan
# checks the C code only.
SANITIZE=('-fsanitize=address,undefined' -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
if ! command -v clang >/dev/null; then
    sanitizers="clang is missing (Debian: clang, libclang-rt-14-dev)"
elif ! printf 'int main(void) { return 0; }\n' >"$WORK/probe.c" ||
    ! clang "${SANITIZE[@]}" "$WORK/probe.c" -o "$WORK/probe" 2>"$WORK/probe.err"; then
    cat "$WORK/probe.err"
    sanitizers="clang cannot link sanitized programs (Debian: libclang-rt-14-dev)"
else
    sanitizers=
fi
if [[ -n $sanitizers && ${CI:-} == true ]]; then
    echo "c-test: $sanitizers; CI=true forbids skipping the sanitizer build" >&2
    exit 1
elif [[ -n $sanitizers ]]; then
    echo "SKIP: $sanitizers; the C tests do not run under ASan/UBSan"
else
    # The shared library: linking the 200 MB debug static one costs seconds
    # per program, and the static link is tested above.
    export PKG_CONFIG_PATH=$WORK/shared/lib/pkgconfig
    for prog in test_vouch test_threads; do
        # shellcheck disable=SC2046
        clang "${CFLAGS[@]}" "${SANITIZE[@]}" $(pkg-config --cflags vouch) "tests/c/$prog.c" \
            -o "$WORK/${prog}_asan" $(pkg-config --libs vouch) -pthread
    done
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    LD_LIBRARY_PATH=$WORK/shared/lib "$WORK/test_vouch_asan" "$WORK/fixtures"
    LD_LIBRARY_PATH=$WORK/shared/lib "$WORK/test_threads_asan" "$WORK/fixtures" 8 8
    unset ASAN_OPTIONS UBSAN_OPTIONS
fi

step "run under valgrind (shared)"
MEMCHECK=(valgrind --leak-check=full '--show-leak-kinds=definite,indirect,possible'
    '--errors-for-leak-kinds=definite,indirect,possible' --error-exitcode=1)
LD_LIBRARY_PATH=$WORK/shared/lib "${MEMCHECK[@]}" "$WORK/test_vouch_shared" "$WORK/fixtures"
# One round per thread is enough under valgrind: the 8 threads still run all
# five cases at once (thread i starts at case i mod 5).
LD_LIBRARY_PATH=$WORK/shared/lib "${MEMCHECK[@]}" "$WORK/test_threads_shared" "$WORK/fixtures" 8 1

step "the threads test under helgrind (shared, verifier warmed up)"
# helgrind does not model the atomics behind Rust's std::sync::OnceLock, so
# the roster's caches that the first verification fills look like a race
# (they are published by OnceLock's release/acquire; helgrind and drd both
# report them). With the verifier used once before the threads start,
# helgrind checks that nothing else in it, in a shared verdict or in vouch's
# per-thread state is written without synchronization.
LD_LIBRARY_PATH=$WORK/shared/lib valgrind --tool=helgrind --error-exitcode=1 \
    "$WORK/test_threads_shared" --warm "$WORK/fixtures" 4 2

step "all C tests passed"
