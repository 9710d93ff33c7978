"""`project set --auth-requires-management-key true`: every /v1/auth route wants the auth management key."""
import pytest
from descope import AuthException, DeliveryMethod

from latchkey_security import (OTP_EMAIL, assert_error, auth_post, config, messages_to, new_login_id, otp_code,
                               otp_login, refresh, request, sdk, start_otp, verify_otp)


@pytest.fixture
def locked(make_server):
    srv = make_server(config())
    before = otp_login(srv)  # a session from before the switch
    srv.cli("project", "set", "--auth-requires-management-key", "true")
    srv.auth_key = srv.credentials["DESCOPE_AUTH_MANAGEMENT_KEY"]
    srv.before = before
    return srv


def test_auth_route_without_auth_key_is_refused(locked):
    login_id = new_login_id("amk-none")
    assert_error(start_otp(locked, login_id), 401, "E012004")
    assert messages_to(locked, login_id) == []


@pytest.mark.parametrize("bad", ["wrong-key", "{mgmt}", "{session}", "{refresh}"])
def test_auth_route_with_wrong_auth_key_is_refused(locked, bad):
    bad = (bad.replace("{mgmt}", locked.management_key).replace("{session}", locked.before["session"])
           .replace("{refresh}", locked.before["refresh"]))
    login_id = new_login_id("amk-wrong")
    assert_error(start_otp(locked, login_id, auth_key=bad), 401, "E012004", "E012003")
    assert messages_to(locked, login_id) == []


def test_verify_and_refresh_without_auth_key_are_refused(locked):
    login_id = new_login_id("amk-verify")
    assert start_otp(locked, login_id, auth_key=locked.auth_key).status_code == 200
    code = otp_code(locked, login_id)
    assert_error(verify_otp(locked, login_id, code), 401, "E012004")
    # the refused verify did not consume the code
    assert verify_otp(locked, login_id, code, auth_key=locked.auth_key).status_code == 200
    # a refresh token from before the switch needs the key now too
    assert_error(refresh(locked, locked.before["refresh"]), 401, "E012004")
    assert refresh(locked, locked.before["refresh"], auth_key=locked.auth_key).status_code == 200
    assert_error(auth_post(locked, "/v1/auth/logout", {}, token=locked.before["refresh"]), 401, "E012004")
    assert_error(request(locked, "GET", "/v1/auth/me", f"{locked.project_id}:{locked.before['refresh']}"),
                 401, "E012004")
    assert_error(auth_post(locked, "/v1/auth/password/signup",
                           {"loginId": login_id + ".pw", "password": "Str0ng!Passw0rd-Latchkey"}), 401, "E012004")
    # the session survived all the refused calls
    assert refresh(locked, locked.before["refresh"], auth_key=locked.auth_key).status_code == 200


def test_sdk_with_auth_management_key_works(locked):
    client = sdk(locked, auth_management_key=locked.auth_key)
    login_id = new_login_id("amk-sdk")
    masked = client.otp.sign_up_or_in(DeliveryMethod.EMAIL, login_id)
    assert masked
    jwt_response = client.otp.verify_code(DeliveryMethod.EMAIL, login_id, otp_code(locked, login_id))
    session, refresh_jwt = jwt_response["sessionToken"]["jwt"], jwt_response["refreshSessionToken"]["jwt"]
    assert client.validate_session(session)["userId"] == jwt_response["userId"]
    refreshed = client.refresh_session(refresh_jwt)
    assert refreshed["userId"] == jwt_response["userId"]
    assert client.me(refresh_jwt)["loginIds"] == [login_id]
    client.logout(refresh_jwt)
    with pytest.raises(AuthException) as exc:
        client.refresh_session(refresh_jwt)
    assert exc.value.status_code == 401


def test_sdk_without_auth_management_key_is_refused(locked):
    client = sdk(locked)
    with pytest.raises(AuthException) as exc:
        client.otp.sign_up_or_in(DeliveryMethod.EMAIL, new_login_id("amk-sdk-none"))
    assert exc.value.status_code == 401
    assert "E012004" in exc.value.error_message


def test_management_routes_unaffected(locked):
    client = sdk(locked, management_key=locked.management_key)
    login_id = new_login_id("amk-mgmt")
    client.mgmt.user.create(login_id, email=login_id)
    assert client.mgmt.user.load(login_id)["user"]["loginIds"] == [login_id]


def test_switching_back_off_reopens_auth_routes(locked):
    locked.cli("project", "set", "--auth-requires-management-key", "false")
    login_id = new_login_id("amk-off")
    resp = auth_post(locked, OTP_EMAIL, {"loginId": login_id, "loginOptions": {}})
    assert resp.status_code == 200, resp.text
