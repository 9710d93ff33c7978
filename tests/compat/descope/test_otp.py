"""OTP over email and SMS: sign-up, sign-in, sign-up-or-in, verify, wrong codes, address updates."""
import time

import pytest

from descope_compat import (
    CHANNEL,
    EMAIL,
    SMS,
    USER_FIELD,
    assert_masked,
    check_login,
    client_error,
    code_for,
    new_email,
    new_login,
    new_phone,
    otp_login,
    refresh_jwt,
    server_config,
    server_error,
    wrong_code,
)

METHODS = pytest.mark.parametrize("method", [EMAIL, SMS], ids=["email", "sms"])


@METHODS
def test_sign_up_then_verify(sdk, server, method):
    async def scenario(c):
        login_id = new_login(method)
        assert_masked(await c.otp.sign_up(method, login_id, {"name": "Otp Person"}), login_id)
        code = code_for(server, login_id, channel=CHANNEL[method])
        resp = await c.otp.verify_code(method, login_id, code)
        await check_login(c, server, resp, login_id, first_seen=True)
        assert resp["user"][USER_FIELD[method]] == login_id
        assert resp["user"]["name"] == "Otp Person"

    sdk.run(scenario)


@METHODS
def test_sign_in_existing_user_is_not_first_seen(sdk, server, method):
    async def scenario(c):
        first = await otp_login(c, server, method=method)
        login_id = first["user"]["loginIds"][0]
        previous = server.last_message_to(login_id)
        assert_masked(await c.otp.sign_in(method, login_id), login_id)
        code = code_for(server, login_id, previous, CHANNEL[method])
        resp = await c.otp.verify_code(method, login_id, code)
        user_id = await check_login(c, server, resp, login_id, first_seen=False)
        assert user_id == first["userId"]

    sdk.run(scenario)


@METHODS
def test_sign_up_or_in_creates_then_signs_in(sdk, server, method):
    async def scenario(c):
        login_id = new_login(method)
        assert_masked(await c.otp.sign_up_or_in(method, login_id), login_id)
        resp = await c.otp.verify_code(method, login_id, code_for(server, login_id, channel=CHANNEL[method]))
        user_id = await check_login(c, server, resp, login_id, first_seen=True)

        previous = server.last_message_to(login_id)
        assert_masked(await c.otp.sign_up_or_in(method, login_id), login_id)
        again = await c.otp.verify_code(method, login_id, code_for(server, login_id, previous))
        assert await check_login(c, server, again, login_id, first_seen=False) == user_id

    sdk.run(scenario)


@METHODS
def test_wrong_code_is_refused(sdk, server, method):
    async def scenario(c):
        login_id = new_login(method)
        await c.otp.sign_up(method, login_id)
        code = code_for(server, login_id)
        with server_error(401, "E061102"):
            await c.otp.verify_code(method, login_id, wrong_code(code))
        # one wrong try does not burn the code
        await check_login(c, server, await c.otp.verify_code(method, login_id, code), login_id, first_seen=True)

    sdk.run(scenario)


def test_code_is_single_use(sdk, server):
    async def scenario(c):
        login_id = new_email()
        await c.otp.sign_up(EMAIL, login_id)
        code = code_for(server, login_id)
        await c.otp.verify_code(EMAIL, login_id, code)
        with server_error(401, "E061103"):
            await c.otp.verify_code(EMAIL, login_id, code)

    sdk.run(scenario)


def test_sign_up_of_existing_login_id_is_refused(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        with server_error(409, "E071002"):
            await c.otp.sign_up(EMAIL, resp["user"]["loginIds"][0])

    sdk.run(scenario)


def test_expired_code_is_refused(sdk, make_server):
    srv = make_server(server_config(tokens={"code_ttl_secs": 1}))

    async def scenario(c):
        login_id = new_email()
        await c.otp.sign_up(EMAIL, login_id)
        code = code_for(srv, login_id)
        time.sleep(2.5)
        with server_error(401, "E061103"):
            await c.otp.verify_code(EMAIL, login_id, code)

    sdk.run(scenario, server=srv)


def test_code_dies_after_max_attempts(sdk, make_server):
    srv = make_server(server_config(tokens={"code_max_attempts": 2}))

    async def scenario(c):
        login_id = new_email()
        await c.otp.sign_up(EMAIL, login_id)
        code = code_for(srv, login_id)
        with server_error(401, "E061102"):
            await c.otp.verify_code(EMAIL, login_id, wrong_code(code))
        with client_error():
            await c.otp.verify_code(EMAIL, login_id, wrong_code(code))
        with server_error(401, "E061103"):
            await c.otp.verify_code(EMAIL, login_id, code)

    sdk.run(scenario, server=srv)


def test_update_user_email(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        login_id, new = resp["user"]["loginIds"][0], new_email()
        assert_masked(await c.otp.update_user_email(login_id, new, refresh_jwt(resp)), new)
        code = code_for(server, new, channel="email")
        updated = await c.otp.verify_code(EMAIL, login_id, code)
        await check_login(c, server, updated, login_id, first_seen=False)
        assert updated["user"]["email"] == new
        assert (await c.mgmt.user.load(login_id))["user"]["email"] == new

    sdk.run(scenario)


def test_update_user_phone(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        login_id, phone = resp["user"]["loginIds"][0], new_phone()
        assert_masked(await c.otp.update_user_phone(SMS, login_id, phone, refresh_jwt(resp)), phone)
        code = code_for(server, phone, channel="sms")
        updated = await c.otp.verify_code(SMS, login_id, code)
        await check_login(c, server, updated, login_id, first_seen=False)
        assert updated["user"]["phone"] == phone
        assert (await c.mgmt.user.load(login_id))["user"]["phone"] == phone

    sdk.run(scenario)


def test_update_requires_a_valid_refresh_token(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        with client_error():
            await c.otp.update_user_email(resp["user"]["loginIds"][0], new_email(), "not-a-refresh-token")

    sdk.run(scenario)
