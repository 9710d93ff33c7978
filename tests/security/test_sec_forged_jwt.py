"""Forged and altered JWTs sent as refresh tokens are refused with 401 and change nothing."""
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from latchkey_security import assert_error, b64u, jwks, jwt_claims, jwt_header, otp_login, refresh, request, sdk

ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _assemble(header: dict, claims: dict, signature: bytes = b"") -> str:
    head = b64u(json.dumps(header, separators=(",", ":")).encode())
    body = b64u(json.dumps(claims, separators=(",", ":")).encode())
    return f"{head}.{body}.{b64u(signature)}"


def _hs256(header: dict, claims: dict, secret: bytes) -> str:
    unsigned = _assemble(header, claims).rsplit(".", 1)[0]
    sig = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
    return f"{unsigned}.{b64u(sig)}"


def _attacker(claims: dict, header: dict) -> str:
    return jwt.encode(claims, ATTACKER_KEY, algorithm="RS256", headers=header)


def _server_public_key(srv, kid: str):
    jwk = next(k for k in jwks(srv) if k["kid"] == kid)
    return jwt.PyJWK(jwk).key


def _swap_payload(token: str, claims: dict) -> str:
    head, _, sig = token.split(".")
    body = b64u(json.dumps(claims, separators=(",", ":")).encode())
    return f"{head}.{body}.{sig}"


def _forge(kind: str, srv, victim: dict, other: dict) -> str:
    token = victim["refresh"]
    header, claims = jwt_header(token), jwt_claims(token)
    kid = header["kid"]
    now = int(time.time())
    fresh = dict(claims, iat=now, exp=now + 3600)
    if kind == "foreign_rsa_key_with_server_kid":
        return _attacker(fresh, {"kid": kid})
    if kind == "foreign_key_unknown_kid":
        return _attacker(fresh, {"kid": "attacker-key"})
    if kind == "foreign_key_embedded_jwk":
        pub = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(ATTACKER_KEY.public_key()))
        return _attacker(fresh, {"kid": kid, "jwk": dict(pub, kid=kid, alg="RS256", use="sig")})
    if kind == "alg_none":
        return _assemble({"alg": "none", "kid": kid, "typ": "JWT"}, fresh)
    if kind == "alg_None_capitalised":
        return _assemble({"alg": "None", "kid": kid, "typ": "JWT"}, fresh)
    if kind == "alg_none_keeping_real_signature":
        return _assemble({"alg": "none", "kid": kid, "typ": "JWT"}, claims).rsplit(".", 1)[0] + "." + token.split(".")[2]
    if kind == "rs256_empty_signature":
        return token.rsplit(".", 1)[0] + "."
    if kind in ("hs256_with_public_key_spki_pem", "hs256_with_public_key_pkcs1_pem", "hs256_with_jwk_json"):
        pub = _server_public_key(srv, kid)
        if kind == "hs256_with_public_key_spki_pem":
            secret = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        elif kind == "hs256_with_public_key_pkcs1_pem":
            secret = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
        else:
            secret = json.dumps(next(k for k in jwks(srv) if k["kid"] == kid)).encode()
        return _hs256({"alg": "HS256", "kid": kid, "typ": "JWT"}, fresh, secret)
    if kind == "expired_exp":
        return _attacker(dict(claims, iat=now - 7200, exp=now - 3600), {"kid": kid})
    if kind == "iat_in_future":
        return _attacker(dict(claims, iat=now + 3600, exp=now + 7200), {"kid": kid})
    if kind == "tampered_sub":
        forged = dict(claims, sub=other["userId"])
        if "dsub" in forged:
            forged["dsub"] = other["userId"]
        return _swap_payload(token, forged)
    if kind == "tampered_exp_extended":
        return _swap_payload(token, dict(claims, exp=claims["exp"] + 10 * 365 * 86400))
    if kind == "truncated_signature":
        return token[:-4]
    if kind == "session_jwt_as_refresh":
        return victim["session"]
    if kind == "garbage":
        return "not.a.jwt"
    raise AssertionError(kind)


KINDS = [
    "foreign_rsa_key_with_server_kid", "foreign_key_unknown_kid", "foreign_key_embedded_jwk",
    "alg_none", "alg_None_capitalised", "alg_none_keeping_real_signature", "rs256_empty_signature",
    "hs256_with_public_key_spki_pem", "hs256_with_public_key_pkcs1_pem", "hs256_with_jwk_json",
    "expired_exp", "iat_in_future", "tampered_sub", "tampered_exp_extended", "truncated_signature",
    "session_jwt_as_refresh", "garbage",
]


@pytest.mark.parametrize("kind", KINDS)
def test_forged_refresh_token_is_refused(server, kind):
    victim, other = otp_login(server), otp_login(server)
    forged = _forge(kind, server, victim, other)
    assert forged != victim["refresh"]
    resp = refresh(server, forged)
    assert_error(resp, 401, "E064001")
    assert "sessionJwt" not in resp.json()
    assert "DS" not in resp.cookies and "DSR" not in resp.cookies
    # /me with the forged token does not reveal anyone either
    assert_error(request(server, "GET", "/v1/auth/me", f"{server.project_id}:{forged}"), 401)
    # nothing changed: both real sessions still refresh, each for its own user
    for who in (victim, other):
        ok = refresh(server, who["refresh"])
        assert ok.status_code == 200, ok.text
        assert jwt_claims(ok.json()["sessionJwt"])["sub"] == who["userId"]


def test_sdk_rejects_the_tampered_token_locally(server):
    """Sanity check of the forgery itself: the SDK's own validation refuses the tampered token."""
    victim, other = otp_login(server), otp_login(server)
    forged = _forge("tampered_sub", server, victim, other)
    with pytest.raises(Exception):
        sdk(server).validate_session(forged)


def test_real_token_passes_sdk_validation(server):
    """Control for the forgeries: the untouched token validates and names its user."""
    victim = otp_login(server)
    claims = sdk(server).validate_session(victim["session"])
    assert claims["userId"] == victim["userId"]
    assert jwt_header(victim["refresh"])["alg"] == "RS256"
