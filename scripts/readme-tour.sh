#!/usr/bin/env bash
# Runs the README's five-minute tour as a test, so the tour can never drift
# from the CLI.
#
# Every ```sh block between "## A five-minute tour" and the next "## "
# heading runs in order, in one shell, in an empty directory, with the
# freshly built `vouch` and `vouch-git-ssh` on PATH (the tour's
# `cargo install` line is skipped: the binaries are already built). After a
# block, a comment of the form
#
#   <!-- tour-expect: TEXT -->
#
# says that the block's output must contain TEXT; the tour promises these
# verdicts in its prose, and this script holds it to them.
#
# Usage: scripts/readme-tour.sh [TARGET_DIR]   (default: target/debug)
# VOUCH_TOUR_SHOW=1 prints the whole tour's output.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:-$ROOT/target/debug}
[[ $BIN == /* ]] || BIN=$ROOT/$BIN
for b in vouch vouch-git-ssh; do
    [[ -x $BIN/$b ]] || {
        echo "readme-tour: $BIN/$b not built (cargo build -p vouch-cli)" >&2
        exit 1
    }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vouch-tour.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Split the tour into numbered blocks and the expectations after each.
python3 - "$ROOT/README.md" "$WORK" <<'EOF'
import re, sys, pathlib
readme, work = sys.argv[1], pathlib.Path(sys.argv[2])
text = open(readme, encoding="utf-8").read()
start = text.index("## A five-minute tour")
end = text.index("\n## ", start + 1)
tour = text[start:end]
blocks, expects = [], []
for m in re.finditer(r"```sh\n(.*?)```|<!-- tour-expect: (.*?) -->", tour, re.S):
    if m.group(1) is not None:
        blocks.append(m.group(1))
        expects.append([])
    elif blocks:
        expects[-1].append(m.group(2))
    else:
        sys.exit("readme-tour: an expectation before the first block")
if not blocks:
    sys.exit("readme-tour: no sh blocks in the tour")
script = ["set -euo pipefail"]
for i, b in enumerate(blocks):
    script.append(f"echo '::tour-block {i}::'")
    for line in b.splitlines():
        # The binaries are on PATH already.
        script.append("true  # skipped: " + line if line.startswith("cargo install") else line)
(work / "tour.sh").write_text("\n".join(script) + "\n")
(work / "expects").write_text(
    "".join(f"{i}\t{e}\n" for i, es in enumerate(expects) for e in es)
)
print(f"readme-tour: {len(blocks)} blocks, {sum(map(len, expects))} expectations")
EOF

mkdir "$WORK/run" "$WORK/home"
# The tour packs a crate with `cargo package`, as its reader would: cargo
# (a rustup proxy, which finds its toolchains through RUSTUP_HOME and
# CARGO_HOME) comes from the caller's environment.
CARGO_BIN=$(dirname "$(command -v cargo)")
TOOLCHAIN_ENV=(CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}")
if [[ -n ${RUSTUP_TOOLCHAIN:-} ]]; then
    TOOLCHAIN_ENV+=(RUSTUP_TOOLCHAIN="$RUSTUP_TOOLCHAIN")
fi
set +e
(
    cd "$WORK/run" &&
        env -i PATH="$BIN:$CARGO_BIN:/usr/local/bin:/usr/bin:/bin" HOME="$WORK/home" \
            "${TOOLCHAIN_ENV[@]}" \
            TMPDIR="$WORK/home" LC_ALL=C GIT_CONFIG_NOSYSTEM=1 \
            GIT_TERMINAL_PROMPT=0 bash "$WORK/tour.sh"
) >"$WORK/out" 2>&1
status=$?
set -e
if [[ -n ${VOUCH_TOUR_SHOW:-} ]]; then
    cat "$WORK/out"
fi
if ((status != 0)); then
    cat "$WORK/out"
    echo "readme-tour: FAILED: the tour's commands exited $status" >&2
    exit 1
fi

failed=0
checked=0
while IFS=$'\t' read -r block want; do
    # The output of block N: from its marker to the next one.
    got=$(awk -v n="$block" '
        BEGIN { cur = -1 }
        /^::tour-block [0-9]+::$/ { gsub(/[^0-9]/, ""); cur = $0 + 0; next }
        cur == n { print }' "$WORK/out")
    checked=$((checked + 1))
    if [[ $got != *"$want"* ]]; then
        echo "readme-tour: block $block does not print: $want" >&2
        echo "--- its output ---" >&2
        printf '%s\n' "$got" >&2
        failed=$((failed + 1))
    fi
done <"$WORK/expects"
echo "readme-tour: $((checked - failed)) passed, $failed failed"
((failed == 0))
