"""One-time codes and magic-link tokens: random, bound to their user, single use, short-lived, attempt-limited."""
import re
import time
from urllib.parse import parse_qs, urlparse

from latchkey_security import assert_error, config, auth_post, new_login_id, otp_code, start_otp, verify_otp

APP_URI = "http://app.example.test/verify"


def _wrong(code: str) -> str:
    """A code of the same shape that is certainly not the right one."""
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def test_codes_are_six_plus_digits_and_random(server):
    codes = []
    for _ in range(5):
        login_id = new_login_id("code")
        assert start_otp(server, login_id).status_code == 200
        codes.append(otp_code(server, login_id))
    # a second sign-in of the same user gets a new code too
    assert start_otp(server, login_id).status_code == 200
    codes.append(otp_code(server, login_id))
    for code in codes:
        assert re.fullmatch(r"\d{6,}", code), code
    assert len(set(codes)) == len(codes), f"codes repeat: {codes}"


def test_code_is_single_use(server):
    login_id = new_login_id("once")
    assert start_otp(server, login_id).status_code == 200
    code = otp_code(server, login_id)
    first = verify_otp(server, login_id, code)
    assert first.status_code == 200, first.text
    assert_error(verify_otp(server, login_id, code), 401, "E061102", "E061103")


def test_code_is_bound_to_its_login_id(server):
    alice, mallory = new_login_id("alice"), new_login_id("mallory")
    assert start_otp(server, alice).status_code == 200
    assert start_otp(server, mallory).status_code == 200
    alice_code, mallory_code = otp_code(server, alice), otp_code(server, mallory)
    if alice_code == mallory_code:  # one in a million; then the test says nothing
        return
    # mallory's own code does not open alice's account ...
    assert_error(verify_otp(server, alice, mallory_code), 401, "E061102")
    # ... and alice's code does not open mallory's
    assert_error(verify_otp(server, mallory, alice_code), 401, "E061102")
    # alice's code still works for alice (one wrong try is below any sane attempt limit)
    assert verify_otp(server, alice, alice_code).status_code == 200


def test_code_for_login_id_without_pending_code_is_refused(server):
    login_id = new_login_id("nopending")
    assert_error(verify_otp(server, login_id, "123456"), 401)


def test_code_expires(make_server):
    srv = make_server(config(tokens={"code_ttl_secs": 1}))
    login_id = new_login_id("expire")
    assert start_otp(srv, login_id).status_code == 200
    code = otp_code(srv, login_id)
    time.sleep(2.5)
    assert_error(verify_otp(srv, login_id, code), 401, "E061103")


def test_code_dies_after_max_wrong_attempts(make_server):
    srv = make_server(config(tokens={"code_max_attempts": 3}))
    login_id = new_login_id("maxtries")
    assert start_otp(srv, login_id).status_code == 200
    code = otp_code(srv, login_id)
    for _ in range(3):
        assert_error(verify_otp(srv, login_id, _wrong(code)), 401, "E061102", "E061103")
    assert_error(verify_otp(srv, login_id, code), 401, "E061103")


def test_code_still_works_below_max_attempts(make_server):
    srv = make_server(config(tokens={"code_max_attempts": 3}))
    login_id = new_login_id("undertries")
    assert start_otp(srv, login_id).status_code == 200
    code = otp_code(srv, login_id)
    for _ in range(2):
        assert_error(verify_otp(srv, login_id, _wrong(code)), 401, "E061102")
    ok = verify_otp(srv, login_id, code)
    assert ok.status_code == 200, ok.text


def test_wrong_code_does_not_sign_in(server):
    login_id = new_login_id("wrong")
    assert start_otp(server, login_id).status_code == 200
    code = otp_code(server, login_id)
    body = assert_error(verify_otp(server, login_id, _wrong(code)), 401, "E061102")
    assert "sessionJwt" not in body and "refreshJwt" not in body
    for bad in ["", "0", code + "0", code[:-1], "%s' OR '1'='1" % code]:
        resp = verify_otp(server, login_id, bad)
        assert resp.status_code in (400, 401), (bad, resp.text)


def _magic_token(srv, login_id: str) -> str:
    message = srv.last_message_to(login_id)
    link = message.get("link") or re.search(r"https?://\S+", message["body"]).group(0)
    return parse_qs(urlparse(link).query)["t"][0]


def test_magic_link_token_is_single_use(server):
    login_id = new_login_id("magic")
    resp = auth_post(server, "/v1/auth/magiclink/signup-in/email",
                     {"loginId": login_id, "URI": APP_URI, "loginOptions": {}})
    assert resp.status_code == 200, resp.text
    token = _magic_token(server, login_id)
    first = auth_post(server, "/v1/auth/magiclink/verify", {"token": token})
    assert first.status_code == 200, first.text
    assert first.json().get("sessionJwt")
    assert_error(auth_post(server, "/v1/auth/magiclink/verify", {"token": token}), 401, "E062001")


def test_magic_link_forged_or_altered_token_is_refused(server):
    login_id = new_login_id("magic-forge")
    resp = auth_post(server, "/v1/auth/magiclink/signup-in/email",
                     {"loginId": login_id, "URI": APP_URI, "loginOptions": {}})
    assert resp.status_code == 200, resp.text
    token = _magic_token(server, login_id)
    mid = len(token) // 2
    flipped = token[:mid] + ("A" if token[mid] != "A" else "B") + token[mid + 1:]
    for bad in ["x" * len(token), flipped, token[:-2], token + "x"]:
        assert_error(auth_post(server, "/v1/auth/magiclink/verify", {"token": bad}), 401, "E062001")
    # the real token was not burnt by the forgeries
    assert auth_post(server, "/v1/auth/magiclink/verify", {"token": token}).status_code == 200


def test_otp_code_is_not_a_magic_link_token(server):
    login_id = new_login_id("otp-as-link")
    assert start_otp(server, login_id).status_code == 200
    code = otp_code(server, login_id)
    assert_error(auth_post(server, "/v1/auth/magiclink/verify", {"token": code}), 401, "E062001")
