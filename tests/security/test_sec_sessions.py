"""Revocation: logout, logout-all, refresh-token rotation and expiry are enforced by the server."""
import time

import pytest
from descope import AuthException

from latchkey_security import (assert_error, auth_post, config, jwt_claims, otp_login, refresh, refresh_jwt_of, request,
                               sdk)


def _me(srv, token):
    return request(srv, "GET", "/v1/auth/me", f"{srv.project_id}:{token}")


def test_refresh_after_logout_is_refused(server):
    tokens = otp_login(server)
    assert refresh(server, tokens["refresh"]).status_code == 200
    out = auth_post(server, "/v1/auth/logout", {}, token=tokens["refresh"])
    assert out.status_code == 200, out.text
    assert_error(refresh(server, tokens["refresh"]), 401, "E064001")
    assert_error(_me(server, tokens["refresh"]), 401)


def test_refresh_after_sdk_logout_is_refused_by_the_sdk(server):
    client = sdk(server)
    tokens = otp_login(server)
    client.logout(tokens["refresh"])
    with pytest.raises(AuthException) as exc:
        client.refresh_session(tokens["refresh"])
    assert exc.value.status_code == 401
    assert "E064001" in exc.value.error_message


def test_logout_ends_only_that_session(server):
    first = otp_login(server)
    second = otp_login(server, first["loginId"])
    assert auth_post(server, "/v1/auth/logout", {}, token=first["refresh"]).status_code == 200
    assert_error(refresh(server, first["refresh"]), 401, "E064001")
    assert refresh(server, second["refresh"]).status_code == 200


def test_logout_all_kills_every_refresh_token_of_the_user(server):
    sessions = [otp_login(server)]
    sessions += [otp_login(server, sessions[0]["loginId"]) for _ in range(2)]
    bystander = otp_login(server)
    out = auth_post(server, "/v1/auth/logoutall", {}, token=sessions[1]["refresh"])
    assert out.status_code == 200, out.text
    for s in sessions:
        assert_error(refresh(server, s["refresh"]), 401, "E064001")
        assert_error(_me(server, s["refresh"]), 401)
    # another user's session is untouched
    assert refresh(server, bystander["refresh"]).status_code == 200


def test_logout_all_also_kills_tokens_obtained_by_refresh(server):
    tokens = otp_login(server)
    refreshed = refresh(server, tokens["refresh"])
    assert refreshed.status_code == 200
    newest = refresh_jwt_of(refreshed) or tokens["refresh"]
    assert auth_post(server, "/v1/auth/logoutall", {}, token=tokens["refresh"]).status_code == 200
    assert_error(refresh(server, newest), 401, "E064001")


def test_refresh_token_expires(make_server):
    srv = make_server(config(tokens={"session_ttl_secs": 1, "refresh_ttl_secs": 2}))
    tokens = otp_login(srv)
    assert jwt_claims(tokens["refresh"])["exp"] - jwt_claims(tokens["refresh"])["iat"] <= 2
    time.sleep(3.5)
    assert_error(refresh(srv, tokens["refresh"]), 401, "E064001")


@pytest.fixture
def rotating_server(make_server):
    srv = make_server(config())
    srv.cli("project", "set", "--refresh-rotation", "true")
    return srv


def test_rotation_refuses_reuse_of_old_refresh_token(rotating_server):
    srv = rotating_server
    tokens = otp_login(srv)
    r1 = tokens["refresh"]
    first = refresh(srv, r1)
    assert first.status_code == 200, first.text
    r2 = refresh_jwt_of(first)
    assert r2 and r2 != r1, "with rotation on, a refresh must return a new refresh JWT"
    second = refresh(srv, r2)
    assert second.status_code == 200, second.text
    r3 = refresh_jwt_of(second)
    assert r3 and r3 not in (r1, r2)
    assert_error(refresh(srv, r1), 401, "E064001")
    assert_error(refresh(srv, r2), 401, "E064001")


def test_rotation_new_refresh_token_validates_with_the_sdk(rotating_server):
    client = sdk(rotating_server)
    tokens = otp_login(rotating_server)
    result = client.refresh_session(tokens["refresh"])
    new = result["refreshSessionToken"]["jwt"]
    assert new != tokens["refresh"]
    assert client.validate_session(result["sessionToken"]["jwt"])["userId"] == tokens["userId"]
    with pytest.raises(AuthException) as exc:
        client.refresh_session(tokens["refresh"])
    assert exc.value.status_code == 401
