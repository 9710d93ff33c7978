"""Secrets never reach the server's log (stdout and stderr), at the default level or at debug."""
import os
import re
import uuid
from urllib.parse import parse_qs, urlparse

import pytest

from latchkey_security import (auth_post, config, mgmt, new_login_id, otp_code, refresh, refresh_jwt_of, request,
                               start_otp, verify_otp)

PASSWORD = "Str0ng!Passw0rd-" + uuid.uuid4().hex[:8]


@pytest.mark.parametrize("rust_log", [None, "debug"], ids=["default-log-level", "RUST_LOG=debug"])
def test_secrets_are_not_logged(logged_server, rust_log):
    env = dict(os.environ)
    env.pop("RUST_LOG", None)
    if rust_log:
        env["RUST_LOG"] = rust_log
    srv = logged_server(config(), env=env)
    creds = srv.credentials
    secrets = {
        "management key": creds["DESCOPE_MANAGEMENT_KEY"],
        "auth management key": creds["DESCOPE_AUTH_MANAGEMENT_KEY"],
    }

    # OTP: sign-in, a wrong try, the right code, refresh, me
    login_id = new_login_id("logs")
    assert start_otp(srv, login_id).status_code == 200
    code = otp_code(srv, login_id)
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert verify_otp(srv, login_id, wrong).status_code == 401
    verified = verify_otp(srv, login_id, code)
    assert verified.status_code == 200, verified.text
    session, refresh_token = verified.json()["sessionJwt"], refresh_jwt_of(verified)
    refreshed = refresh(srv, refresh_token)
    assert refreshed.status_code == 200
    assert request(srv, "GET", "/v1/auth/me", f"{srv.project_id}:{refresh_token}").status_code == 200
    secrets.update({"refresh JWT": refresh_token, "refresh JWT signature": refresh_token.rsplit(".", 1)[1],
                    "session JWT signature": session.rsplit(".", 1)[1],
                    "refreshed session JWT signature": refreshed.json()["sessionJwt"].rsplit(".", 1)[1]})

    # password: sign-up, a wrong guess, the right password
    pw_login = new_login_id("logs-pw")
    wrong_password = "Wr0ng!Guess-" + uuid.uuid4().hex[:8]
    assert auth_post(srv, "/v1/auth/password/signup",
                     {"loginId": pw_login, "password": PASSWORD, "user": {"email": pw_login}}).status_code == 200
    assert auth_post(srv, "/v1/auth/password/signin", {"loginId": pw_login, "password": wrong_password}).status_code == 401
    assert auth_post(srv, "/v1/auth/password/signin", {"loginId": pw_login, "password": PASSWORD}).status_code == 200
    secrets.update({"password": PASSWORD, "wrong password": wrong_password})

    # magic link
    ml_login = new_login_id("logs-ml")
    assert auth_post(srv, "/v1/auth/magiclink/signup-in/email",
                     {"loginId": ml_login, "URI": "http://app.example.test/verify", "loginOptions": {}}).status_code == 200
    link = srv.last_message_to(ml_login)["link"]
    token = parse_qs(urlparse(link).query)["t"][0]
    assert auth_post(srv, "/v1/auth/magiclink/verify", {"token": token}).status_code == 200
    secrets["magic link token"] = token

    # management calls, with the right key and a wrong one, and a refresh with a dead token
    assert mgmt(srv, "GET", "/v1/mgmt/user", params={"loginId": login_id}).status_code == 200
    wrong_key = "K" + uuid.uuid4().hex + uuid.uuid4().hex
    assert mgmt(srv, "GET", "/v1/mgmt/user", params={"loginId": login_id}, key=wrong_key).status_code == 401
    secrets["wrong management key"] = wrong_key
    assert auth_post(srv, "/v1/auth/logout", {}, token=refresh_token).status_code == 200
    assert refresh(srv, refresh_token).status_code == 401

    srv.stop()  # flush everything
    logs = srv.logs()
    leaked = [name for name, value in secrets.items() if value and value in logs]
    if re.search(rf"(?<!\d){re.escape(code)}(?!\d)", logs):
        leaked.append("OTP code")
    assert not leaked, f"secrets in the server log: {leaked}"
