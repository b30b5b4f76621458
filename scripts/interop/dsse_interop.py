"""The Python half of vouch's DSSE cross-implementation test.

Driven by scripts/interop/dsse_python.sh, with the exchange folder as the
only argument. It

1. verifies the envelopes vouch signed (vouch_<alg>.dsse.json, Ed25519 and
   ECDSA P-256 with DER signatures) with securesystemslib's DSSE Envelope and
   SSlibKey, checking the payload bytes and that a tampered payload fails;
2. signs envelopes with securesystemslib's CryptoSigner (python_<alg>.dsse.json
   with one signature each, python_multi.dsse.json with both) for vouch to
   verify, with the public keys as SubjectPublicKeyInfo PEM.

securesystemslib only checks a signature whose keyid equals the key's keyid
(its Envelope.verify docstring notes this is stricter than DSSE), so the keys
are given vouch's key id, computed here independently: SHA-256 of the SSH
wire-format public key blob, in hex.
"""

import base64
import hashlib
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey

IN_TOTO = "application/vnd.in-toto+json"
ALGS = ("ed25519", "p256")


def vouch_key_id(public_key) -> str:
    line = public_key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    blob = base64.b64decode(line.split()[1])
    return hashlib.sha256(blob).hexdigest()


def verify_vouch(folder: Path) -> None:
    payload = (folder / "vouch_payload.json").read_bytes()
    for alg in ALGS:
        public = serialization.load_pem_public_key(
            (folder / f"vouch_{alg}.pub.pem").read_bytes()
        )
        keyid = vouch_key_id(public)
        key = SSlibKey.from_crypto(public, keyid=keyid)
        document = json.loads((folder / f"vouch_{alg}.dsse.json").read_bytes())
        wire_sig = base64.b64decode(document["signatures"][0]["sig"])
        envelope = Envelope.from_dict(json.loads(json.dumps(document)))
        assert envelope.payload_type == IN_TOTO, envelope.payload_type
        assert envelope.payload == payload, f"{alg}: payload bytes differ"
        assert list(envelope.signatures) == [keyid], (
            f"{alg}: vouch wrote keyid {list(envelope.signatures)}, expected {keyid}"
        )
        if alg == "p256":
            assert wire_sig[0] == 0x30, "vouch must write ECDSA as DER"
        else:
            assert len(wire_sig) == 64
        accepted = envelope.verify([key], 1)
        assert list(accepted) == [keyid]

        tampered = Envelope.from_dict(json.loads(json.dumps(document)))
        tampered.payload = payload + b" "
        try:
            tampered.verify([key], 1)
        except VerificationError:
            pass
        else:
            raise AssertionError(f"{alg}: tampered payload verified")
        print(f"python verify: vouch_{alg}.dsse.json OK (keyid {keyid})")


def sign_for_vouch(folder: Path) -> None:
    # Pretty-printed, non-ASCII, trailing newline: vouch must keep the bytes.
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {
                "name": "python-ü.whl",
                "digest": {"sha256": hashlib.sha256(b"python").hexdigest()},
            }
        ],
        "predicateType": "https://vouch.invalid/interop/v1",
        "predicate": {"signed_by": "securesystemslib"},
    }
    payload = (json.dumps(statement, indent=2, ensure_ascii=False) + "\n").encode()
    (folder / "python_payload.json").write_bytes(payload)
    private_keys = {
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "p256": ec.generate_private_key(ec.SECP256R1()),
    }
    multi = Envelope(payload, IN_TOTO, {})
    for alg in ALGS:
        private = private_keys[alg]
        signer = CryptoSigner(private)
        envelope = Envelope(payload, IN_TOTO, {})
        envelope.sign(signer)
        multi.sign(signer)
        (folder / f"python_{alg}.dsse.json").write_text(json.dumps(envelope.to_dict()))
        (folder / f"python_{alg}.pub.pem").write_bytes(
            private.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
        )
        print(f"python sign: python_{alg}.dsse.json (keyid {signer.public_key.keyid})")
    assert len(multi.signatures) == 2
    (folder / "python_multi.dsse.json").write_text(json.dumps(multi.to_dict()))


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: dsse_interop.py EXCHANGE_DIR")
    folder = Path(sys.argv[1])
    verify_vouch(folder)
    sign_for_vouch(folder)


if __name__ == "__main__":
    main()
