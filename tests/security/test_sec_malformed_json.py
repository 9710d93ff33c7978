"""Malformed request bodies are refused with 400 E011001, say where they broke, and change nothing."""
import json

import pytest

from latchkey_security import (LINE_COL, OTP_EMAIL, assert_error, auth_post, create_user, messages_to, mgmt,
    new_login_id, otp_code, start_otp, user_exists, verify_otp)

# {login} is replaced by a fresh login id; each body names the user it would create if it were accepted.
BAD_BODIES = {
    "truncated": '{"loginId": "{login}", "loginOptions": {',
    "truncated_string": '{"loginId": "{login}',
    "wrong_type_login_id": '{"loginId": ["{login}"], "loginOptions": {}}',
    "wrong_type_options": '{"loginId": "{login}", "loginOptions": "yes"}',
    "array_not_object": '["{login}"]',
    "string_not_object": '"{login}"',
    "not_json": "loginId={login}",
    "trailing_garbage": '{"loginId": "{login}", "loginOptions": {}} xyz',
}

MGMT_BAD_BODIES = {
    "truncated": '{"loginId": "{login}", "email": "{login}", "displayName": "x"',
    "wrong_type_login_id": '{"loginId": ["{login}"], "email": "{login}", "displayName": "x"}',
    "array_not_object": '["{login}"]',
    "not_json": "loginId={login}&email={login}",
}


def _body(template: str, login_id: str) -> str:
    return template.replace("{login}", login_id)


def _assert_malformed(resp):
    body = assert_error(resp, 400, "E011001")
    assert LINE_COL.search(body["errorMessage"]), f"errorMessage does not say where the JSON broke: {body}"


@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
def test_otp_signup_in_malformed_body_refused_and_sends_nothing(server, kind):
    login_id = new_login_id("badjson")
    resp = auth_post(server, OTP_EMAIL, content=_body(BAD_BODIES[kind], login_id))
    _assert_malformed(resp)
    assert not user_exists(server, login_id)
    assert messages_to(server, login_id) == []


@pytest.mark.parametrize("kind", sorted(MGMT_BAD_BODIES))
def test_mgmt_user_create_malformed_body_refused_and_creates_nothing(server, kind):
    login_id = new_login_id("badjson-mgmt")
    resp = mgmt(server, "POST", "/v1/mgmt/user/create", content=_body(MGMT_BAD_BODIES[kind], login_id))
    _assert_malformed(resp)
    assert not user_exists(server, login_id)
    # control: the same user can be created with a well-formed body
    assert create_user(server, login_id).status_code == 200
    assert user_exists(server, login_id)


@pytest.mark.parametrize("content", [
    '{"loginId": "{login}", "password": "Str0ng!Passw0rd-Latchkey", "user": {"email": "{login}"',
    '{"loginId": "{login}", "password": 12345678901234, "user": {"email": "{login}"}}',
    '[{"loginId": "{login}", "password": "Str0ng!Passw0rd-Latchkey"}]',
], ids=["truncated", "wrong_type_password", "array_not_object"])
def test_password_signup_malformed_body_refused_and_creates_nothing(server, content):
    login_id = new_login_id("badjson-pw")
    resp = auth_post(server, "/v1/auth/password/signup", content=_body(content, login_id))
    _assert_malformed(resp)
    assert not user_exists(server, login_id)


@pytest.mark.parametrize("content", [
    '{"loginId": "{login}", "code": "{code}"',
    '{"loginId": "{login}", "code": {code}}',
    '"{code}"',
], ids=["truncated", "wrong_type_code", "string_not_object"])
def test_otp_verify_malformed_body_refused_and_code_still_works(server, content):
    login_id = new_login_id("badjson-verify")
    assert start_otp(server, login_id).status_code == 200
    code = otp_code(server, login_id)
    resp = auth_post(server, "/v1/auth/otp/verify/email", content=_body(content, login_id).replace("{code}", code))
    _assert_malformed(resp)
    # the refused call neither consumed the code nor counted as a try
    ok = verify_otp(server, login_id, code)
    assert ok.status_code == 200, ok.text
    assert ok.json().get("sessionJwt")


def test_mgmt_tenant_create_malformed_body_refused(server):
    name = new_login_id("tenant").split("@")[0]
    resp = mgmt(server, "POST", "/v1/mgmt/tenant/create",
                content='{"name": "%s", "id": "%s", "selfProvisioningDomains": "nope"' % (name, name))
    _assert_malformed(resp)
    resp = mgmt(server, "POST", "/v1/mgmt/tenant/create",
                content=json.dumps({"name": name, "id": name, "selfProvisioningDomains": "nope"}))
    _assert_malformed(resp)
    load = mgmt(server, "GET", "/v1/mgmt/tenant", params={"id": name})
    assert 400 <= load.status_code < 500, f"tenant was created by a malformed request: {load.text}"
