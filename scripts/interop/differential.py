"""The Python side of vouch's differential tests against pycose and
securesystemslib (vouch-core/tests/differential_python.rs writes the cases,
runs this, and compares the verdicts case by case).

    differential.py cose|dsse CASES_JSON VERDICTS_JSON

For each case, the verdict the library's ordinary API gives, one entry per
signature (a single-signature format has one); an empty list means refused
before any signature was checked (decoding failed). Exceptions are
refusals; their text is written too, for the report of a divergence.

- cose: pycose's CoseMessage.decode, then for a COSE_Sign1 verify_signature()
  with the case's key; for a COSE_Sign, per signer, the case key whose vouch
  key id equals the signer's kid (pycose's get_attr: protected, else
  unprotected), and verify_signature().
- dsse: json.loads of the raw bytes, Envelope.from_dict, and
  Envelope.verify([key], 1) with an SSlibKey whose keyid is the case's.
"""

import base64
import json
import sys

from cryptography.hazmat.primitives.asymmetric import ec, ed25519


def crypto_public(key: dict):
    x = bytes.fromhex(key["x"])
    if key["kty"] == "ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(x)
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(x, "big"), int.from_bytes(bytes.fromhex(key["y"]), "big"), ec.SECP256R1()
    )
    return numbers.public_key()


def cose_verdict(case: dict):
    from pycose.headers import KID
    from pycose.keys import EC2Key, OKPKey
    from pycose.keys.curves import P256, Ed25519
    from pycose.messages import CoseMessage, Sign1Message, SignMessage

    def cose_key(k):
        if k["kty"] == "ed25519":
            return OKPKey(crv=Ed25519, x=bytes.fromhex(k["x"]))
        return EC2Key(crv=P256, x=bytes.fromhex(k["x"]), y=bytes.fromhex(k["y"]))

    def verifies(msg, key):
        msg.key = key
        try:
            return bool(msg.verify_signature())
        except Exception:
            return False

    data = bytes.fromhex(case["cbor"])
    keys = case["keys"]
    msg = CoseMessage.decode(data)
    if case["kind"] == "sign1":
        if not isinstance(msg, Sign1Message):
            raise TypeError(f"decoded a {type(msg).__name__}")
        return [verifies(msg, cose_key(keys[0]))]
    if not isinstance(msg, SignMessage):
        raise TypeError(f"decoded a {type(msg).__name__}")
    by_kid = {bytes.fromhex(k["kid"]): k for k in keys}
    out = []
    for signer in msg.signers:
        try:
            kid = signer.get_attr(KID)
        except Exception:
            kid = None
        k = by_kid.get(kid) if isinstance(kid, bytes) else None
        out.append(k is not None and verifies(signer, cose_key(k)))
    return out


def dsse_verdict(case: dict):
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import SSlibKey

    raw = base64.b64decode(case["json"])
    envelope = Envelope.from_dict(json.loads(raw))
    key = SSlibKey.from_crypto(crypto_public(case["key"]), keyid=case["key"]["keyid"])
    envelope.verify([key], 1)
    return [True]


def main() -> None:
    if len(sys.argv) != 4 or sys.argv[1] not in ("cose", "dsse"):
        sys.exit("usage: differential.py cose|dsse CASES_JSON VERDICTS_JSON")
    verdict = cose_verdict if sys.argv[1] == "cose" else dsse_verdict
    with open(sys.argv[2], "rb") as f:
        cases = json.load(f)["cases"]
    verdicts, errors = {}, {}
    for case in cases:
        try:
            verdicts[str(case["id"])] = verdict(case)
        except Exception as e:  # any refusal, as the library reports it
            verdicts[str(case["id"])] = [] if sys.argv[1] == "cose" else [False]
            errors[str(case["id"])] = f"{type(e).__name__}: {e}"[:300]
    with open(sys.argv[3], "w") as f:
        json.dump({"verdicts": verdicts, "errors": errors}, f)


if __name__ == "__main__":
    main()
