"""The ceilings: raw signature and password-hash costs on this machine, one core, measured with
OpenSSL (through `cryptography`: RSA-2048 PKCS#1 v1.5 SHA-256, ECDSA P-256 SHA-256, Ed25519) and
the reference Argon2 (argon2-cffi) at the server's parameters. Latchkey signs with aws-lc, which
is within a few percent of OpenSSL for these; both are far from the Python call overhead
(about a microsecond)."""
from __future__ import annotations

import base64
import json
import os
import re
import time

from argon2 import PasswordHasher, Type
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

# What a session JWT's signing input looks like in size (header.claims, base64url).
_CLAIMS = {
    "sub": "U2abcdefghijklmnopqrstuvwxyz12", "iss": "http://127.0.0.1:7080/P2abcdefghijklmnopqrstuvwxyz1",
    "iat": 1790000000, "exp": 1790000600, "drn": "DS", "sid": "0192f0e8-7c1a-7d2b-9a3e-1f2e3d4c5b6a",
    "amr": ["email"], "rexp": 1792419200, "roles": [], "permissions": [], "tenants": {},
}
MESSAGE = (base64.urlsafe_b64encode(b'{"alg":"RS256","kid":"K2abcdefghijklmnop","typ":"JWT"}').rstrip(b"=") + b"."
           + base64.urlsafe_b64encode(json.dumps(_CLAIMS).encode()).rstrip(b"="))


def _rate(op, seconds: float) -> dict:
    """Calls op() for `seconds` of this thread's CPU time; operations per CPU second and CPU seconds
    per operation. CPU time, not wall time, so that other work on the machine does not count (the
    server's cost is CPU time too)."""
    op()  # warm up
    count, start, wall = 0, time.thread_time(), time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(8):
            op()
        count += 8
        now = time.thread_time()
        if now >= deadline or time.perf_counter() - wall > 4 * seconds + 5:
            break
    elapsed = now - start
    return {"per_second": count / elapsed, "seconds_each": elapsed / count, "count": count}


def signing(seconds: float) -> dict[str, dict]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ed_key = ed25519.Ed25519PrivateKey.generate()
    rsa_sig = rsa_key.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    rsa_pub = rsa_key.public_key()
    return {
        "RS256": _rate(lambda: rsa_key.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256()), seconds),
        "ES256": _rate(lambda: ec_key.sign(MESSAGE, ec.ECDSA(hashes.SHA256())), seconds),
        "EdDSA": _rate(lambda: ed_key.sign(MESSAGE), seconds),
        "RS256_verify": _rate(lambda: rsa_pub.verify(rsa_sig, MESSAGE, padding.PKCS1v15(), hashes.SHA256()),
                              seconds),
    }


def parse_phc(phc: str) -> dict:
    """`$argon2id$v=19$m=19456,t=2,p=1$salt$hash` -> the parameters argon2-cffi needs."""
    match = re.match(r"^\$(argon2(?:id|i|d))\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([^$]+)\$([^$]+)$", phc)
    if not match:
        raise ValueError(f"not an Argon2 PHC string: {phc[:20]}...")
    variant, _, m, t, p, salt, digest = match.groups()
    b64len = lambda s: len(base64.b64decode(s + "=" * (-len(s) % 4)))
    return {"variant": variant, "memory_kib": int(m), "time_cost": int(t), "parallelism": int(p),
            "salt_len": b64len(salt), "hash_len": b64len(digest)}


# The argon2 crate's defaults (Argon2::default(): OWASP's m=19 MiB, t=2, p=1), which
# crates/latchkey-core/src/password.rs uses; the harness reads the real ones from a stored hash.
DEFAULT_ARGON2 = {"variant": "argon2id", "memory_kib": 19456, "time_cost": 2, "parallelism": 1,
                  "salt_len": 16, "hash_len": 32}


def hashing(params: dict, seconds: float) -> dict:
    hasher = PasswordHasher(time_cost=params["time_cost"], memory_cost=params["memory_kib"],
                            parallelism=params["parallelism"], hash_len=params["hash_len"],
                            salt_len=params["salt_len"], type=Type.ID)
    stored = hasher.hash("correct horse battery")
    # A sign-in verifies: one hash computation at the stored parameters.
    return _rate(lambda: hasher.verify(stored, "correct horse battery"), seconds)


def measure(seconds: float, argon2_params: dict) -> dict:
    result = {"signatures": signing(seconds), "argon2id": hashing(argon2_params, seconds),
              "argon2id_params": argon2_params, "seconds_each_measure": seconds, "threads": 1,
              "cores": os.cpu_count()}
    return result
