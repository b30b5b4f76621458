#!/usr/bin/env python3
"""Verify a vouch bundle from Python through vouch's C interface (ctypes).

    verify.py [--lib PATH] --policy FILE --roster FILE --pin PIN --bundle FILE --target TARGET
              [--state FILE] [--at UNIX_SECONDS] [--json]
    verify.py [--lib PATH] --fixtures DIR [--target TARGET] [--pin PIN] [--state FILE]
              [--at UNIX_SECONDS] [--json]

The library is libvouch_ffi.so (cargo build -p vouch-ffi): give its path with
--lib or the VOUCH_FFI_LIB environment variable. --fixtures DIR reads the
policy, roster, pin, bundle and target that `cargo run -p vouch-ffi --example
make_fixtures -- DIR` writes.

PIN is the statement digest of the roster version trusted out of band
(usually the first): `sha256:<64 hex digits>` as `vouch roster verify`
prints it as the anchor, or the 64 hex digits alone. --state FILE keeps the
trusted roster state (the newest roster version seen, per pin) between runs:
an older roster file is then refused as a rollback, and once FILE has seen
the roster, --pin may be left out.

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
from ctypes import (
    POINTER,
    byref,
    c_bool,
    c_char,
    c_char_p,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)

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
                [POINTER(c_uint8), c_size_t, POINTER(c_uint8), c_size_t, POINTER(c_uint8), c_size_t, POINTER(c_void_p)],
            ),
            "vouch_verifier_new_with_state": (
                c_uint32,
                [
                    POINTER(c_uint8), c_size_t,  # policy
                    POINTER(c_uint8), c_size_t,  # roster
                    POINTER(c_uint8), c_size_t,  # pin (NULL, 0: the state's anchor)
                    POINTER(c_uint8), c_size_t,  # state JSON (NULL, 0: empty)
                    c_uint64,  # minimum roster version
                    POINTER(c_void_p),
                ],
            ),
            "vouch_verifier_state": (c_uint32, [c_void_p, POINTER(c_void_p)]),
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


PIN_PREFIX = "sha256:"


def parse_pin(text):
    """The pin as the library takes it: the 71-byte text `sha256:<hex>`.

    Accepts that form or the 64 hex digits alone; anything else is refused
    here with a clear message (the library also checks the length it is
    given, so a short pin is never read past its end).
    """
    text = text.strip()
    hexpart = text[len(PIN_PREFIX):] if text.startswith(PIN_PREFIX) else text
    try:
        raw = bytes.fromhex(hexpart)
    except ValueError:
        raw = b""
    if len(hexpart) != 64 or len(raw) != 32:
        raise ValueError(f"--pin {text!r} is not sha256:<64 hex digits> (the anchor `vouch roster verify` prints)")
    return (PIN_PREFIX + hexpart.lower()).encode()


def verify(vouch, policy, roster, bundle, target, pin=None, state=None, at=None):
    """Returns (passed, text, json, new_state) for the chain below `target`.

    `pin` is bytes from parse_pin(), or None to use the anchor in `state`
    (the JSON bytes of a previous run's state, or None). `new_state` is the
    updated state to keep for the next run.
    """
    verifier = c_void_p()
    p, r = buffer(policy), buffer(roster)
    k = buffer(pin) if pin else None
    if state is None and pin is not None:
        code = vouch.lib.vouch_verifier_new(p, len(policy), r, len(roster), k, len(pin), byref(verifier))
        vouch.check("vouch_verifier_new", code)
    else:
        s = buffer(state) if state else None
        code = vouch.lib.vouch_verifier_new_with_state(
            p, len(policy), r, len(roster), k, len(pin or b""), s, len(state or b""), 0, byref(verifier)
        )
        vouch.check("vouch_verifier_new_with_state", code)
    try:
        out = c_void_p()
        vouch.check("vouch_verifier_state", vouch.lib.vouch_verifier_state(verifier, byref(out)))
        new_state = vouch.take_bytes(out)
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
            return passed, text, trace, new_state
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
    ap.add_argument("--pin", help="sha256:<hex> statement digest of the trusted roster version (usually the first)")
    ap.add_argument("--state", help="trusted roster state file (read if present, written after the roster verifies)")
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
        if not args.pin and not args.state:
            with open(os.path.join(fx, "roster.pin")) as f:
                args.pin = f.read().strip()
        if not args.target:
            with open(os.path.join(fx, "target.txt")) as f:
                args.target = f.read().strip()
    missing = [n for n in ("policy", "roster", "bundle", "target") if not getattr(args, n)]
    if not args.pin and not args.state:
        missing.append("pin")
    if missing:
        ap.error("missing " + ", ".join("--" + n for n in missing))
    try:
        pin = parse_pin(args.pin) if args.pin else None
    except ValueError as e:
        ap.error(str(e))

    vouch = Vouch(args.lib)
    try:
        files = {}
        for name in ("policy", "roster", "bundle"):
            with open(getattr(args, name), "rb") as f:
                files[name] = f.read()
        state = None
        if args.state and os.path.exists(args.state):
            with open(args.state, "rb") as f:
                state = f.read()
        elif args.state:
            state = b""  # the first run: an empty state
        passed, text, trace, new_state = verify(
            vouch, files["policy"], files["roster"], files["bundle"], args.target, pin=pin, state=state, at=args.at
        )
        if args.state and new_state != state:
            tmp = args.state + ".tmp"
            with open(tmp, "wb") as f:
                f.write(new_state)
            os.replace(tmp, args.state)
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
