"""Operations: credentials file, restart persistence, signing-key rotation, JWKS hygiene, graceful shutdown."""
import os
import signal
import stat
import time

import httpx
import pytest
from descope import DeliveryMethod, DescopeClient

from latchkey_security import (assert_error, auth_post, config, create_user, jwks, jwt_header, otp_code,
                               otp_login, refresh, refresh_jwt_of, sdk, start_otp, user_exists, verify_otp)

CRED_KEYS = {"DESCOPE_PROJECT_ID", "DESCOPE_MANAGEMENT_KEY", "DESCOPE_AUTH_MANAGEMENT_KEY", "DESCOPE_BASE_URI"}
PRIVATE_JWK_FIELDS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def test_credentials_file_is_private_and_complete(make_server):
    srv = make_server(config())
    path = os.path.join(srv.data_dir, "credentials.env")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600, oct(mode)
    creds = srv.credentials
    assert CRED_KEYS <= set(creds), creds.keys()
    assert all(creds[k] for k in CRED_KEYS), creds.keys()
    assert creds["DESCOPE_BASE_URI"] == srv.url
    assert creds["DESCOPE_MANAGEMENT_KEY"] != creds["DESCOPE_AUTH_MANAGEMENT_KEY"]
    for key in ("DESCOPE_PROJECT_ID", "DESCOPE_MANAGEMENT_KEY", "DESCOPE_AUTH_MANAGEMENT_KEY"):
        assert ":" not in creds[key], f"{key} must not contain ':' (the bearer is split on it)"


def test_credentials_file_works_as_sdk_environment(make_server, monkeypatch):
    srv = make_server(config())
    for key, value in srv.credentials.items():
        if key.startswith("DESCOPE_"):
            monkeypatch.setenv(key, value)
    monkeypatch.delenv("DESCOPE_AUTH_MANAGEMENT_KEY")  # not required by this project
    client = DescopeClient(os.environ["DESCOPE_PROJECT_ID"])
    login_id = f"ops-env-{time.time_ns()}@example.com"
    client.mgmt.user.create(login_id, email=login_id)
    assert user_exists(srv, login_id)


def test_restart_keeps_project_keys_users_and_sessions(make_server, tmp_path):
    data_dir = str(tmp_path / "data")
    first = make_server(config(), data_dir=data_dir)
    pid, mkey, akey = first.project_id, first.management_key, first.credentials["DESCOPE_AUTH_MANAGEMENT_KEY"]
    alive, dead = otp_login(first), otp_login(first)
    assert auth_post(first, "/v1/auth/logout", {}, token=dead["refresh"]).status_code == 200
    old_kids = {k["kid"] for k in jwks(first)}
    first.stop()
    assert first.proc.returncode == 0

    second = make_server(config(), data_dir=data_dir, database_url=first.database_url)
    assert second.project_id == pid
    assert second.management_key == mkey
    assert second.credentials["DESCOPE_AUTH_MANAGEMENT_KEY"] == akey
    assert {k["kid"] for k in jwks(second)} >= old_kids
    assert user_exists(second, alive["loginId"])
    # a refresh token issued before the restart still refreshes, with the SDK too
    resp = refresh(second, alive["refresh"])
    assert resp.status_code == 200, resp.text
    client = sdk(second)
    assert client.validate_session(alive["session"])["userId"] == alive["userId"]
    assert client.refresh_session(alive["refresh"])["userId"] == alive["userId"]
    # a logout before the restart stays a logout after it
    assert_error(refresh(second, dead["refresh"]), 401, "E064001")
    # and the restarted server signs new users in
    assert otp_login(second)["session"]


def test_restart_keeps_pending_code_single_use(make_server, tmp_path):
    data_dir = str(tmp_path / "data")
    first = make_server(config(), data_dir=data_dir)
    tokens = otp_login(first)
    used_code = otp_code(first, tokens["loginId"])
    first.stop()
    second = make_server(config(), data_dir=data_dir, database_url=first.database_url)
    assert_error(verify_otp(second, tokens["loginId"], used_code), 401, "E061102", "E061103")


def test_keys_rotate(make_server):
    srv = make_server(config())
    client = sdk(srv)
    before = otp_login(srv)
    old_kid = jwt_header(before["session"])["kid"]
    assert client.validate_session(before["session"])["userId"] == before["userId"]  # caches the old JWKS
    assert [k["kid"] for k in jwks(srv)] == [old_kid]

    srv.cli("keys", "rotate")

    # Published within a second (each server caches keys for 1 s), signing three seconds after rotation.
    time.sleep(1.1)
    keys = jwks(srv)
    kids = [k["kid"] for k in keys]
    assert len(keys) == 2 and len(set(kids)) == 2 and old_kid in kids, kids
    new_kid = next(k for k in kids if k != old_kid)
    assert jwt_header(otp_login(srv)["session"])["kid"] == old_kid, "a new key must not sign before every server publishes it"
    time.sleep(2.1)
    after = otp_login(srv)
    assert jwt_header(after["session"])["kid"] == new_kid
    assert jwt_header(after["refresh"])["kid"] == new_kid
    # the same SDK client (old JWKS cached) and a fresh one validate both generations
    for c in (client, sdk(srv)):
        assert c.validate_session(after["session"])["userId"] == after["userId"]
        assert c.validate_session(before["session"])["userId"] == before["userId"]
    # a refresh token signed with the old key still refreshes, and what it gets back uses the new key
    resp = refresh(srv, before["refresh"])
    assert resp.status_code == 200, resp.text
    assert jwt_header(resp.json()["sessionJwt"])["kid"] == new_kid
    assert client.refresh_session(before["refresh"])["userId"] == before["userId"]


def test_jwks_serves_public_rsa_keys_only(server):
    for keys in (jwks(server), httpx.get(server.url + "/.well-known/jwks.json", timeout=30).json()["keys"]):
        assert keys
        for key in keys:
            assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["kid"] and key["n"] and key["e"]
            assert not PRIVATE_JWK_FIELDS & set(key), f"private key material published: {sorted(key)}"
    assert {k["kid"] for k in jwks(server)} == {
        k["kid"] for k in httpx.get(server.url + "/.well-known/jwks.json", timeout=30).json()["keys"]}


def test_sigterm_exits_zero_quickly(make_server):
    srv = make_server(config())
    otp_login(srv)  # some traffic first, so the store and pools are in use
    started = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    rc = srv.proc.wait(timeout=10)
    assert rc == 0, f"exit code {rc}"
    assert time.monotonic() - started < 10
    with pytest.raises(httpx.HTTPError):
        httpx.get(srv.url + "/health", timeout=2)


def test_sigterm_with_idle_keepalive_connection_open(make_server):
    """An idle keep-alive connection must not hold the shutdown past 10 s."""
    srv = make_server(config())
    with httpx.Client(timeout=5) as held:
        assert held.get(srv.url + "/health").status_code == 200  # leaves a pooled keep-alive connection
        started = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        rc = srv.proc.wait(timeout=10)
    assert rc == 0, f"exit code {rc}"
    assert time.monotonic() - started < 10


def test_sign_in_flow_unaffected_by_management_user_creation(server):
    """Control: a user created through management signs in by OTP like any other."""
    login_id = f"ops-mgmt-{time.time_ns()}@example.com"
    assert create_user(server, login_id).status_code == 200
    assert start_otp(server, login_id).status_code == 200
    resp = verify_otp(server, login_id, otp_code(server, login_id))
    assert resp.status_code == 200 and refresh_jwt_of(resp)
    assert sdk(server).validate_session(resp.json()["sessionJwt"])


def test_sdk_otp_round_trip(server):
    """Control for the attack tests: the unchanged SDK completes a sign-in."""
    client = sdk(server)
    login_id = f"ops-sdk-{time.time_ns()}@example.com"
    client.otp.sign_up_or_in(DeliveryMethod.EMAIL, login_id)
    result = client.otp.verify_code(DeliveryMethod.EMAIL, login_id, otp_code(server, login_id))
    assert result["refreshSessionToken"]["jwt"]
    assert client.validate_session(result["sessionToken"]["jwt"])["userId"] == result["userId"]
