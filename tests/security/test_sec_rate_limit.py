"""Rate limits per login id and per IP: 429 E130429 with Retry-After, and the SDK's RateLimitException."""
import time

import pytest
from descope import DeliveryMethod
from descope.exceptions import RateLimitException

from latchkey_security import (assert_error, auth_post, config, messages_to, new_login_id, sdk, start_otp)

PASSWORD = "Str0ng!Passw0rd-Latchkey"


def _assert_limited(resp, window: int = 60) -> int:
    assert_error(resp, 429, "E130429")
    retry_after = resp.headers.get("Retry-After")
    assert retry_after is not None and retry_after.strip().isdigit(), f"Retry-After must be integer seconds: {retry_after!r}"
    assert 0 < int(retry_after) <= window, retry_after
    return int(retry_after)


def _assert_sdk_limited(srv, login_id: str):
    with pytest.raises(RateLimitException) as exc:
        sdk(srv).otp.sign_up_or_in(DeliveryMethod.EMAIL, login_id)
    assert exc.value.status_code == "E130429"
    assert exc.value.rate_limit_parameters["Retry-After"] > 0


def test_otp_sign_in_limited_per_login_id(make_server):
    srv = make_server(config(rate_limit={"window_secs": 60, "per_login_id": 3}))
    victim, bystander = new_login_id("rl-victim"), new_login_id("rl-bystander")
    for _ in range(3):
        resp = start_otp(srv, victim)
        assert resp.status_code == 200, resp.text
    _assert_limited(start_otp(srv, victim))
    _assert_sdk_limited(srv, victim)
    # the refused attempts sent nothing
    assert len(messages_to(srv, victim)) == 3
    # another login id is not affected
    resp = start_otp(srv, bystander)
    assert resp.status_code == 200, resp.text
    assert len(messages_to(srv, bystander)) == 1


def test_sign_in_limited_per_ip(make_server):
    srv = make_server(config(rate_limit={"window_secs": 60, "per_ip": 3, "per_login_id": 1000}))
    ids = [new_login_id("rl-ip") for _ in range(5)]
    for login_id in ids[:3]:
        resp = start_otp(srv, login_id)
        assert resp.status_code == 200, resp.text
    # a fresh login id from the same address is refused: the limit is per IP
    _assert_limited(start_otp(srv, ids[3]))
    _assert_sdk_limited(srv, ids[4])
    assert messages_to(srv, ids[3]) == [] and messages_to(srv, ids[4]) == []


def test_password_sign_in_attempts_count(make_server):
    srv = make_server(config(rate_limit={"window_secs": 60, "per_login_id": 3}))
    victim, bystander = new_login_id("rl-pw"), new_login_id("rl-pw-other")
    for login_id in (victim, bystander):
        resp = auth_post(srv, "/v1/auth/password/signup",
                         {"loginId": login_id, "password": PASSWORD, "user": {"email": login_id}})
        assert resp.status_code == 200, resp.text
    # guess passwords until the limiter steps in: at most per_login_id (+1 if sign-up was counted) tries
    refused_wrong = 0
    for attempt in range(1, 5):
        resp = auth_post(srv, "/v1/auth/password/signin", {"loginId": victim, "password": f"guess-{attempt}-Aa1!"})
        if resp.status_code == 429:
            break
        assert_error(resp, 401, "E063001")
        refused_wrong += 1
    else:
        pytest.fail("four wrong password tries for one login id were never rate limited (per_login_id = 3)")
    assert refused_wrong >= 2, "the limiter stepped in before per_login_id attempts"
    _assert_limited(resp)
    # once limited, the right password does not get through either
    _assert_limited(auth_post(srv, "/v1/auth/password/signin", {"loginId": victim, "password": PASSWORD}))
    # another login id is not affected
    ok = auth_post(srv, "/v1/auth/password/signin", {"loginId": bystander, "password": PASSWORD})
    assert ok.status_code == 200, ok.text


def test_limit_resets_after_the_window(make_server):
    srv = make_server(config(rate_limit={"window_secs": 2, "per_login_id": 1}))
    login_id = new_login_id("rl-window")
    assert start_otp(srv, login_id).status_code == 200
    retry_after = _assert_limited(start_otp(srv, login_id), window=2)
    time.sleep(retry_after + 0.5)
    resp = start_otp(srv, login_id)
    assert resp.status_code == 200, resp.text
