#!/usr/bin/env python3
"""Signature and COSE figures against their peers, interleaved in one run.

    python3 benches/compare.py [--rounds 5]

Each round runs, one after the other, `openssl speed -seconds 3 ed25519
ecdsap256`, vouch's `verify` criterion bench (`--features aws-lc-rs`, so both
providers), and pycose's COSE_Sign1 loop (benches/pycose/cose_sign1.py, in a
venv under target/bench-venv, skipped with a note when PyPI is unreachable).
A machine that slows down mid-run slows every contender of that round alike;
the medians over rounds are printed with their ratios.

Run from the repository root on an otherwise idle machine.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
CRITERION = TARGET / "criterion"

# criterion id (group/function) -> elements per iteration
VOUCH = {
    "ed25519_provider/rust/verify_1KiB": 1,
    "ed25519_provider/aws-lc-rs/verify_1KiB": 1,
    "es256_provider/rust/verify_1KiB": 1,
    "es256_provider/aws-lc-rs/verify_1KiB": 1,
    "ed25519_batch64/rust/verify_1KiB": 64,
    "ed25519/verify_1KiB": 1,
    "ed25519/cose_sign1_decode_verify_1KiB": 1,
    "cose_sign_batch64/ed25519/decode_verify_1KiB": 64,
}


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def openssl_round():
    out = run(["openssl", "speed", "-seconds", "3", "ed25519", "ecdsap256"])
    rates = {}
    for line in out.splitlines():
        # "253 bits EdDSA (Ed25519)   0.0000s   0.0001s  24779.0   9155.8"
        m = re.search(r"\((Ed25519|nistp256)\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)\s*$", line)
        if m:
            rates["ed25519" if m.group(1) == "Ed25519" else "ecdsap256"] = float(m.group(3))
    return rates


def criterion_rate(bench_id):
    """Elements per second at criterion's median estimate."""
    # criterion's folder: the group, then the function with "/" as "_".
    group, function = bench_id.split("/", 1)
    path = CRITERION / group / function.replace("/", "_") / "new" / "estimates.json"
    ns = json.loads(path.read_text())["median"]["point_estimate"]
    return VOUCH[bench_id] * 1e9 / ns


def vouch_round():
    subprocess.run(
        ["cargo", "bench", "-q", "-p", "vouch-benches", "--features", "aws-lc-rs",
         "--bench", "verify", "--", "--warm-up-time", "1", "--measurement-time", "3"],
        check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {b: criterion_rate(b) for b in VOUCH}


def pycose_python():
    venv = TARGET / "bench-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        try:
            run([sys.executable, "-m", "venv", str(venv)])
            run([str(venv / "bin" / "pip"), "install", "-q", "pycose", "cbor2<5.6"])
        except (subprocess.CalledProcessError, OSError) as e:
            print(f"note: pycose unavailable, skipped ({e})", file=sys.stderr)
            return None
    return python


def pycose_round(python):
    out = run([str(python), str(ROOT / "benches" / "pycose" / "cose_sign1.py")])
    m = re.search(r"([\d,]+)/s", out)
    return float(m.group(1).replace(",", ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    rounds = ap.parse_args().rounds
    python = pycose_python()
    subprocess.run(["cargo", "bench", "-q", "-p", "vouch-benches", "--features", "aws-lc-rs",
                    "--bench", "verify", "--no-run"], check=True, cwd=ROOT)
    samples = {}
    for r in range(rounds):
        got = {f"openssl/{k}": v for k, v in openssl_round().items()}
        got.update(vouch_round())
        if python:
            got["pycose/cose_sign1_decode_verify_1KiB"] = pycose_round(python)
        for k, v in got.items():
            samples.setdefault(k, []).append(v)
        print(f"round {r + 1}/{rounds}: " + ", ".join(f"{k} {v:,.0f}/s" for k, v in got.items()),
              file=sys.stderr)
    med = {k: statistics.median(v) for k, v in samples.items()}
    print(f"medians of {rounds} interleaved rounds (per second):")
    for k, v in sorted(med.items()):
        print(f"  {k:48} {v:>12,.0f}")

    def ratio(label, a, b):
        if a in med and b in med:
            print(f"  {label:60} {med[a] / med[b]:.2f}x")

    print("ratios:")
    ratio("Ed25519 single (rust) / openssl", "ed25519_provider/rust/verify_1KiB", "openssl/ed25519")
    ratio("Ed25519 batch of 64 (rust), per signature / openssl",
          "ed25519_batch64/rust/verify_1KiB", "openssl/ed25519")
    ratio("ES256 (aws-lc-rs) / openssl", "es256_provider/aws-lc-rs/verify_1KiB", "openssl/ecdsap256")
    ratio("ES256 (rust) / openssl", "es256_provider/rust/verify_1KiB", "openssl/ecdsap256")
    ratio("COSE_Sign1 decode+verify / bare verify (time ratio)",
          "ed25519/verify_1KiB", "ed25519/cose_sign1_decode_verify_1KiB")
    ratio("COSE_Sign1 decode+verify / pycose", "ed25519/cose_sign1_decode_verify_1KiB",
          "pycose/cose_sign1_decode_verify_1KiB")
    ratio("COSE_Sign batch of 64, per envelope / pycose",
          "cose_sign_batch64/ed25519/decode_verify_1KiB", "pycose/cose_sign1_decode_verify_1KiB")


if __name__ == "__main__":
    main()
