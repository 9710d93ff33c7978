"""Who may call what: project id, bearer and management key checks, all before any work is done."""
import uuid

import httpx
import pytest

from latchkey_security import (OTP_EMAIL, REFRESH, assert_error, config, create_user, messages_to, mgmt, new_login_id,
                               otp_login, refresh, request, start_otp, user_exists)


def _unknown_pid() -> str:
    return "P" + uuid.uuid4().hex[:27]


def test_unknown_project_id_on_auth_route(server):
    login_id = new_login_id("nopid")
    resp = request(server, "POST", OTP_EMAIL, _unknown_pid(), {"loginId": login_id, "loginOptions": {}})
    assert_error(resp, 401, "E012002")
    assert messages_to(server, login_id) == []
    assert not user_exists(server, login_id)


def test_unknown_project_id_on_mgmt_route_even_with_real_key(server):
    login_id = new_login_id("nopid-mgmt")
    resp = request(server, "POST", "/v1/mgmt/user/create", f"{_unknown_pid()}:{server.management_key}",
                   {"loginId": login_id, "email": login_id})
    assert_error(resp, 401, "E012002")
    assert not user_exists(server, login_id)


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Token {pid}", ":{pid}"])
def test_missing_or_malformed_bearer_on_auth_route(server, authorization):
    login_id = new_login_id("nobearer")
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization.replace("{pid}", server.project_id)
    resp = httpx.post(server.url + OTP_EMAIL, headers=headers, json={"loginId": login_id, "loginOptions": {}},
                      timeout=30)
    assert_error(resp, 401)
    assert messages_to(server, login_id) == []


def test_missing_bearer_on_mgmt_route(server):
    login_id = new_login_id("nobearer-mgmt")
    resp = request(server, "POST", "/v1/mgmt/user/create", None, {"loginId": login_id, "email": login_id})
    assert_error(resp, 401)
    assert not user_exists(server, login_id)


def test_mgmt_route_without_management_key(server):
    login_id = new_login_id("nokey")
    resp = request(server, "POST", "/v1/mgmt/user/create", server.project_id, {"loginId": login_id, "email": login_id})
    assert_error(resp, 401, "E012003")
    assert not user_exists(server, login_id)


@pytest.mark.parametrize("key", ["wrong", "K" + "0" * 40, "", "{mk}x", "{mk_short}"])
def test_mgmt_route_with_wrong_management_key(server, key):
    login_id = new_login_id("badkey")
    mk = server.management_key
    key = key.replace("{mk_short}", mk[:-1]).replace("{mk}", mk)
    resp = mgmt(server, "POST", "/v1/mgmt/user/create", {"loginId": login_id, "email": login_id}, key=key)
    assert_error(resp, 401, "E012003")
    assert not user_exists(server, login_id)
    # the loaders are guarded too
    assert_error(mgmt(server, "GET", "/v1/mgmt/user", params={"loginId": login_id}, key=key), 401, "E012003")


def test_correct_management_key_works(server):
    """Control for the refusals above: the same call with the real key succeeds."""
    login_id = new_login_id("goodkey")
    assert create_user(server, login_id).status_code == 200
    assert user_exists(server, login_id)


@pytest.mark.parametrize("which", ["session", "refresh"])
def test_user_jwt_is_not_a_management_key(server, which):
    tokens = otp_login(server)
    login_id = new_login_id("jwt-as-key")
    resp = mgmt(server, "POST", "/v1/mgmt/user/create", {"loginId": login_id, "email": login_id},
                key=tokens[which])
    assert_error(resp, 401, "E012003")
    assert not user_exists(server, login_id)
    resp = mgmt(server, "GET", "/v1/mgmt/user", params={"loginId": tokens["loginId"]}, key=tokens[which])
    assert_error(resp, 401, "E012003")


def test_auth_management_key_is_not_a_management_key(server):
    auth_key = server.credentials["DESCOPE_AUTH_MANAGEMENT_KEY"]
    assert auth_key != server.management_key
    login_id = new_login_id("authkey-as-mgmt")
    resp = mgmt(server, "POST", "/v1/mgmt/user/create", {"loginId": login_id, "email": login_id}, key=auth_key)
    assert_error(resp, 401, "E012003")
    assert not user_exists(server, login_id)


def test_management_key_is_not_a_refresh_token(server):
    assert_error(refresh(server, server.management_key), 401, "E064001")
    resp = request(server, "GET", "/v1/auth/me", f"{server.project_id}:{server.management_key}")
    assert_error(resp, 401)


def test_management_key_of_another_project_is_refused(server, make_server):
    other = make_server(config())
    assert other.project_id != server.project_id
    login_id = new_login_id("crosskey")
    resp = mgmt(server, "POST", "/v1/mgmt/user/create", {"loginId": login_id, "email": login_id},
                key=other.management_key)
    assert_error(resp, 401, "E012003")
    assert not user_exists(server, login_id)


def test_refresh_token_of_another_project_is_refused(server, make_server):
    other = make_server(config())
    tokens = otp_login(other)
    assert_error(refresh(server, tokens["refresh"]), 401, "E064001")
    # and the token still works where it belongs
    assert refresh(other, tokens["refresh"]).status_code == 200


def test_refresh_with_project_id_only_is_refused(server):
    resp = request(server, "POST", REFRESH, server.project_id, {})
    assert_error(resp, 401)


def test_auth_bearer_with_other_project_in_header_but_unknown_in_bearer(server):
    """x-descope-project-id is informational: the bearer decides, and an unknown bearer project is refused."""
    login_id = new_login_id("hdr-pid")
    resp = httpx.post(server.url + OTP_EMAIL, json={"loginId": login_id, "loginOptions": {}}, timeout=30,
                      headers={"Authorization": f"Bearer {_unknown_pid()}", "x-descope-project-id": server.project_id})
    assert_error(resp, 401, "E012002")
    assert messages_to(server, login_id) == []
    # control: the bearer with the real project id is accepted
    assert start_otp(server, login_id).status_code == 200
