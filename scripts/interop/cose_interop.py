"""The Python half of vouch's COSE cross-implementation test, with pycose.

Driven by scripts/interop/cose_python.sh, with the exchange folder as the
only argument. It

1. verifies the envelopes vouch signed with pycose: COSE_Sign1 and COSE_Sign
   (one signature each) for Ed25519 (EdDSA) and P-256 (ES256), and a
   COSE_Sign with three signatures; checks the headers vouch writes (alg,
   kid and content type protected) and the payload bytes; and checks that
   pycose refuses the two envelopes vouch tampered with (and refused);
2. signs the same kinds of envelopes with pycose for vouch to verify, and
   two tampered ones (a payload byte changed in a COSE_Sign1, the body's
   protected header changed in the three-signature COSE_Sign) that pycose
   refuses, for vouch to refuse too.

vouch looks up a COSE_Sign signer's key by the protected kid, a vouch key id
(SHA-256 of the SSH wire-format public key blob), so pycose is given that
kid, computed here independently.
"""

import base64
import hashlib
import json
import sys
from pathlib import Path

import cbor2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from pycose.algorithms import EdDSA, Es256
from pycose.headers import KID, Algorithm, ContentType
from pycose.keys import EC2Key, OKPKey
from pycose.keys.curves import P256, Ed25519
from pycose.messages import CoseMessage, Sign1Message, SignMessage
from pycose.messages.signer import CoseSignature

CONTENT_TYPE = "application/vnd.vouch.interop+cbor"
ALGS = {"ed25519": EdDSA, "p256": Es256}


def vouch_key_id(key) -> bytes:
    """vouch's key id of a pycose public key: SHA-256 of the SSH key blob."""
    if isinstance(key, OKPKey):
        public = ed25519.Ed25519PublicKey.from_public_bytes(key.x)
    else:
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(key.x, "big"), int.from_bytes(key.y, "big"), ec.SECP256R1()
        )
        public = numbers.public_key()
    line = public.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return hashlib.sha256(base64.b64decode(line.split()[1])).digest()


def key_from_json(v: dict):
    x = bytes.fromhex(v["x"])
    if "y" in v:
        key = EC2Key(crv=P256, x=x, y=bytes.fromhex(v["y"]))
    else:
        key = OKPKey(crv=Ed25519, x=x)
    assert vouch_key_id(key).hex() == v["kid"], "vouch key id computed here differs"
    return key


def key_json(key) -> dict:
    v = {"x": key.x.hex(), "kid": vouch_key_id(key).hex()}
    if isinstance(key, EC2Key):
        v["y"] = key.y.hex()
    return v


def verifies(msg, key) -> bool:
    """pycose's verdict: True, or False for a failed check or an exception."""
    msg.key = key
    try:
        return bool(msg.verify_signature())
    except Exception:  # pycose raises for malformed signatures
        return False


def signer_verdicts(msg: SignMessage, keys: dict) -> list:
    by_kid = {vouch_key_id(k): k for k in keys.values()}
    return [verifies(s, by_kid[s.phdr[KID]]) for s in msg.signers]


def verify_vouch(folder: Path) -> None:
    payload = (folder / "vouch_payload.bin").read_bytes()
    keys = {
        name: key_from_json(v)
        for name, v in json.loads((folder / "vouch_keys.json").read_bytes()).items()
    }
    for alg, cose_alg in ALGS.items():
        key = keys[alg]
        msg = CoseMessage.decode((folder / f"vouch_sign1_{alg}.cbor").read_bytes())
        assert isinstance(msg, Sign1Message), type(msg)
        assert msg.phdr[Algorithm] is cose_alg, msg.phdr
        assert msg.phdr[KID] == vouch_key_id(key), "vouch writes its key id, protected"
        assert msg.phdr[ContentType] == CONTENT_TYPE, msg.phdr
        assert msg.uhdr == {}, msg.uhdr
        assert msg.payload == payload, f"{alg}: payload bytes differ"
        assert verifies(msg, key), f"{alg}: pycose refused vouch's COSE_Sign1"
        other = keys["p256" if alg == "ed25519" else "ed25519_2"]
        assert not verifies(msg, other), f"{alg}: verified with another key"

        msg = CoseMessage.decode((folder / f"vouch_sign_{alg}.cbor").read_bytes())
        assert isinstance(msg, SignMessage), type(msg)
        assert msg.phdr[ContentType] == CONTENT_TYPE, msg.phdr
        assert msg.payload == payload
        assert len(msg.signers) == 1
        assert msg.signers[0].phdr[Algorithm] is cose_alg
        assert signer_verdicts(msg, keys) == [True], f"{alg}: COSE_Sign refused"
        print(f"python verify: vouch_sign1_{alg}.cbor, vouch_sign_{alg}.cbor OK")

    msg = CoseMessage.decode((folder / "vouch_sign_multi.cbor").read_bytes())
    assert signer_verdicts(msg, keys) == [True, True, True]
    print("python verify: vouch_sign_multi.cbor OK (3 signatures)")

    # What vouch tampered with and refused, pycose refuses.
    msg = CoseMessage.decode((folder / "vouch_tampered_sign1.cbor").read_bytes())
    assert not verifies(msg, keys["ed25519"]), "tampered COSE_Sign1 verified"
    msg = CoseMessage.decode((folder / "vouch_tampered_sign.cbor").read_bytes())
    assert signer_verdicts(msg, keys) == [True, True, False], "tampered COSE_Sign"
    print("python verify: both tampered vouch envelopes refused")


def sign_for_vouch(folder: Path) -> None:
    payload = b"signed by pycose \x00\xff" + bytes(range(255, -1, -1))
    (folder / "python_payload.bin").write_bytes(payload)
    keys = {
        "ed25519": OKPKey.generate_key(crv=Ed25519),
        "p256": EC2Key.generate_key(crv=P256),
        "ed25519_2": OKPKey.generate_key(crv=Ed25519),
    }
    algs = {"ed25519": EdDSA, "p256": Es256, "ed25519_2": EdDSA}
    (folder / "python_keys.json").write_text(
        json.dumps({name: key_json(k) for name, k in keys.items()}, indent=2)
    )

    def signer(name):
        return CoseSignature(
            phdr={Algorithm: algs[name], KID: vouch_key_id(keys[name])}, key=keys[name]
        )

    for alg in ALGS:
        msg = Sign1Message(
            phdr={
                Algorithm: algs[alg],
                KID: vouch_key_id(keys[alg]),
                ContentType: CONTENT_TYPE,
            },
            payload=payload,
        )
        msg.key = keys[alg]
        encoded = msg.encode()
        (folder / f"python_sign1_{alg}.cbor").write_bytes(encoded)
        assert verifies(CoseMessage.decode(encoded), keys[alg])
        if alg == "p256":
            at = encoded.index(payload) + len(payload) - 1
            tampered = encoded[:at] + bytes([encoded[at] ^ 1]) + encoded[at + 1 :]
            assert not verifies(CoseMessage.decode(tampered), keys[alg])
            (folder / "python_tampered_sign1.cbor").write_bytes(tampered)

        msg = SignMessage(
            phdr={ContentType: CONTENT_TYPE}, payload=payload, signers=[signer(alg)]
        )
        encoded = msg.encode()
        assert signer_verdicts(CoseMessage.decode(encoded), keys) == [True]
        (folder / f"python_sign_{alg}.cbor").write_bytes(encoded)
        print(f"python sign: python_sign1_{alg}.cbor, python_sign_{alg}.cbor")

    msg = SignMessage(
        phdr={ContentType: CONTENT_TYPE},
        payload=payload,
        signers=[signer(name) for name in keys],
    )
    encoded = msg.encode()
    assert signer_verdicts(CoseMessage.decode(encoded), keys) == [True, True, True]
    (folder / "python_sign_multi.cbor").write_bytes(encoded)

    # The body's protected header (which every signature covers) replaced.
    tag = cbor2.loads(encoded)
    tag.value[0] = cbor2.dumps({3: "application/vnd.vouch.other+cbor"})
    tampered = cbor2.dumps(tag)
    assert signer_verdicts(CoseMessage.decode(tampered), keys) == [False] * 3
    (folder / "python_tampered_sign.cbor").write_bytes(tampered)
    print("python sign: python_sign_multi.cbor (3 signatures) and two tampered envelopes")


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: cose_interop.py EXCHANGE_DIR")
    folder = Path(sys.argv[1])
    verify_vouch(folder)
    sign_for_vouch(folder)


if __name__ == "__main__":
    main()
