"""The pycose peer of `cargo bench -p vouch-benches --bench verify`'s
`ed25519/cose_sign1_decode_verify_1KiB`: decode and verify a COSE_Sign1
with an Ed25519 key over a 1 KiB payload, in a loop; prints envelopes/s.

Run: python3 -m venv V && V/bin/pip install pycose "cbor2<5.6" && V/bin/python benches/pycose/cose_sign1.py
(pycose 1.1.0 cannot decode what it encodes with cbor2 6.x.)
"""
import time

from pycose.algorithms import EdDSA
from pycose.headers import Algorithm
from pycose.keys import OKPKey
from pycose.keys.curves import Ed25519
from pycose.messages import Sign1Message

key = OKPKey.generate_key(crv=Ed25519)
payload = bytes(i % 251 for i in range(1024))
msg = Sign1Message(phdr={Algorithm: EdDSA}, payload=payload)
msg.key = key
encoded = msg.encode(tag=True)

def one():
    decoded = Sign1Message.decode(encoded)
    decoded.key = key
    assert decoded.verify_signature()

for _ in range(200):
    one()
best = 0.0
for _ in range(5):
    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        one()
    best = max(best, n / (time.perf_counter() - start))
print(f"pycose COSE_Sign1 Ed25519 1 KiB decode+verify: {best:,.0f}/s (best of 5 x 2000)")
