#!/usr/bin/env python3
"""Verify a vouch bundle from Python through vouch's C interface (ctypes).

    verify.py [--lib PATH] --policy FILE --roster FILE --bundle FILE --target TARGET
              [--pin HEX] [--at UNIX_SECONDS] [--json]
    verify.py [--lib PATH] --fixtures DIR [--target TARGET] [--at UNIX_SECONDS] [--json]

The library is libvouch_ffi.so (cargo build -p vouch-ffi): give its path with
--lib or the VOUCH_FFI_LIB environment variable. --fixtures DIR reads the
policy, roster, bundle and target that `cargo run -p vouch-ffi --example
make_fixtures -- DIR` writes.

Prints the verdict (the text tree, or the JSON trace with --json). Exit
status: 0 when the chain passes, 1 when it fails, 2 when it cannot be
evaluated (bad input, bad arguments).

Standard library only; Python 3.8 or later.
"""

import argparse
import ctypes
import json
import os
import sys
from ctypes import POINTER, byref, c_bool, c_char, c_char_p, c_int64, c_size_t, c_uint32, c_uint8, c_void_p

VOUCH_RESULT_OK = 0


class VouchError(Exception):
    """A vouch function returned a code other than VOUCH_RESULT_OK."""

    def __init__(self, function, code, message, detail):
        super().__init__(f"{function}: {message} (code {code}): {detail}")
        self.code = code


class Vouch:
    """The few functions of vouch.h this example needs, with typed signatures."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)
        # Opaque handles are plain pointers on this side.
        sigs = {
            "vouch_version": (c_char_p, []),
            "vouch_result_message": (c_uint32, [c_uint32, POINTER(c_char), c_size_t, POINTER(c_size_t)]),
            "vouch_last_error_message": (c_uint32, [POINTER(c_char), c_size_t, POINTER(c_size_t)]),
            "vouch_verifier_new": (
                c_uint32,
                [POINTER(c_uint8), c_size_t, POINTER(c_uint8), c_size_t, POINTER(c_void_p)],
            ),
            "vouch_verifier_new_pinned": (
                c_uint32,
                [POINTER(c_uint8), c_size_t, POINTER(c_uint8), c_size_t, POINTER(c_uint8), POINTER(c_void_p)],
            ),
            "vouch_verifier_free": (None, [c_void_p]),
            "vouch_verifier_verify": (
                c_uint32,
                [c_void_p, POINTER(c_uint8), c_size_t, c_char_p, POINTER(c_void_p)],
            ),
            "vouch_verifier_verify_at": (
                c_uint32,
                [c_void_p, POINTER(c_uint8), c_size_t, c_char_p, c_int64, POINTER(c_void_p)],
            ),
            "vouch_verdict_passed": (c_bool, [c_void_p]),
            "vouch_verdict_trace_json": (c_uint32, [c_void_p, POINTER(c_void_p)]),
            "vouch_verdict_text": (c_uint32, [c_void_p, POINTER(c_void_p)]),
            "vouch_verdict_free": (None, [c_void_p]),
            "vouch_bytes_data": (POINTER(c_uint8), [c_void_p]),
            "vouch_bytes_len": (c_size_t, [c_void_p]),
            "vouch_bytes_free": (None, [c_void_p]),
        }
        for name, (restype, argtypes) in sigs.items():
            f = getattr(lib, name)
            f.restype = restype
            f.argtypes = argtypes
        self.lib = lib

    def version(self):
        return self.lib.vouch_version().decode()

    def _text(self, fill):
        """Calls fill(buf, len, &written) with a buffer that grows until the text fits."""
        size = 256
        while True:
            buf = ctypes.create_string_buffer(size)
            written = c_size_t(0)
            code = fill(buf, size, byref(written))
            if code == VOUCH_RESULT_OK:
                return buf.value.decode("utf-8", "replace")
            size = written.value + 1

    def check(self, function, code):
        if code != VOUCH_RESULT_OK:
            message = self._text(lambda b, n, w: self.lib.vouch_result_message(code, b, n, w))
            detail = self._text(self.lib.vouch_last_error_message)
            raise VouchError(function, code, message, detail)

    def take_bytes(self, handle):
        """Copies and frees a vouch_bytes."""
        try:
            n = self.lib.vouch_bytes_len(handle)
            return ctypes.string_at(self.lib.vouch_bytes_data(handle), n)
        finally:
            self.lib.vouch_bytes_free(handle)


def buffer(data):
    """A ctypes view of bytes for a `const uint8_t *` argument (valid while `data` lives)."""
    return (c_uint8 * len(data)).from_buffer_copy(data) if data else None


def verify(vouch, policy, roster, bundle, target, pin=None, at=None):
    """Returns (passed, text, json) for the chain below `target`."""
    verifier = c_void_p()
    p, r = buffer(policy), buffer(roster)
    if pin is None:
        code = vouch.lib.vouch_verifier_new(p, len(policy), r, len(roster), byref(verifier))
        vouch.check("vouch_verifier_new", code)
    else:
        pin_buf = buffer(bytes.fromhex(pin))
        code = vouch.lib.vouch_verifier_new_pinned(p, len(policy), r, len(roster), pin_buf, byref(verifier))
        vouch.check("vouch_verifier_new_pinned", code)
    try:
        verdict = c_void_p()
        b = buffer(bundle)
        if at is None:
            code = vouch.lib.vouch_verifier_verify(verifier, b, len(bundle), target.encode(), byref(verdict))
        else:
            code = vouch.lib.vouch_verifier_verify_at(
                verifier, b, len(bundle), target.encode(), at, byref(verdict)
            )
        vouch.check("vouch_verifier_verify", code)
        try:
            passed = bool(vouch.lib.vouch_verdict_passed(verdict))
            out = c_void_p()
            vouch.check("vouch_verdict_text", vouch.lib.vouch_verdict_text(verdict, byref(out)))
            text = vouch.take_bytes(out).decode()
            vouch.check("vouch_verdict_trace_json", vouch.lib.vouch_verdict_trace_json(verdict, byref(out)))
            trace = json.loads(vouch.take_bytes(out))
            return passed, text, trace
        finally:
            vouch.lib.vouch_verdict_free(verdict)
    finally:
        vouch.lib.vouch_verifier_free(verifier)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lib", default=os.environ.get("VOUCH_FFI_LIB"), help="path of libvouch_ffi.so")
    ap.add_argument("--fixtures", help="directory written by the make_fixtures example")
    ap.add_argument("--policy", help="policy file (TOML or JSON)")
    ap.add_argument("--roster", help="roster file")
    ap.add_argument("--bundle", help="bundle file")
    ap.add_argument("--target", help="deployment:sha256:<hex>, image:sha256:<hex> or sha256:<hex>")
    ap.add_argument("--pin", help="hex statement digest of the trusted roster version")
    ap.add_argument("--at", type=int, help="evaluate at this Unix time instead of now")
    ap.add_argument("--json", action="store_true", help="print the JSON trace")
    args = ap.parse_args(argv)

    if not args.lib:
        ap.error("give the library with --lib or VOUCH_FFI_LIB")
    if args.fixtures:
        fx = args.fixtures
        args.policy = args.policy or os.path.join(fx, "policy.toml")
        args.roster = args.roster or os.path.join(fx, "roster.cbor")
        args.bundle = args.bundle or os.path.join(fx, "bundle.cbor")
        if not args.target:
            with open(os.path.join(fx, "target.txt")) as f:
                args.target = f.read().strip()
    missing = [n for n in ("policy", "roster", "bundle", "target") if not getattr(args, n)]
    if missing:
        ap.error("missing " + ", ".join("--" + n for n in missing))

    vouch = Vouch(args.lib)
    try:
        files = {}
        for name in ("policy", "roster", "bundle"):
            with open(getattr(args, name), "rb") as f:
                files[name] = f.read()
        passed, text, trace = verify(
            vouch, files["policy"], files["roster"], files["bundle"], args.target, pin=args.pin, at=args.at
        )
    except (OSError, ValueError, VouchError) as e:
        print(f"verify.py: {e}", file=sys.stderr)
        return 2

    if args.json:
        print(json.dumps(trace, indent=2))
    else:
        print(f"{vouch.version()}: {args.target}")
        print(text, end="")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
