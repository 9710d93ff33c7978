"""Magic link over email and SMS: sign-up, sign-in, sign-up-or-in, verify, single use, address updates."""
import pytest

from descope_compat import (
    APP_URI,
    CHANNEL,
    EMAIL,
    SMS,
    USER_FIELD,
    assert_masked,
    check_login,
    link_token,
    new_email,
    new_login,
    new_phone,
    otp_login,
    refresh_jwt,
    server_error,
)

METHODS = pytest.mark.parametrize("method", [EMAIL, SMS], ids=["email", "sms"])


@METHODS
def test_sign_up_then_verify(sdk, server, method):
    async def scenario(c):
        login_id = new_login(method)
        assert_masked(await c.magiclink.sign_up(method, login_id, APP_URI, {"name": "Link Person"}), login_id)
        token = link_token(server, login_id, channel=CHANNEL[method])
        resp = await c.magiclink.verify(token)
        await check_login(c, server, resp, login_id, first_seen=True)
        assert resp["user"][USER_FIELD[method]] == login_id
        assert resp["user"]["name"] == "Link Person"

    sdk.run(scenario)


@METHODS
def test_sign_in_existing_user_is_not_first_seen(sdk, server, method):
    async def scenario(c):
        login_id = new_login(method)
        await c.magiclink.sign_up(method, login_id, APP_URI)
        first = await c.magiclink.verify(link_token(server, login_id))
        previous = server.last_message_to(login_id)
        assert_masked(await c.magiclink.sign_in(method, login_id, APP_URI), login_id)
        resp = await c.magiclink.verify(link_token(server, login_id, previous=previous, channel=CHANNEL[method]))
        assert await check_login(c, server, resp, login_id, first_seen=False) == first["userId"]

    sdk.run(scenario)


@METHODS
def test_sign_up_or_in(sdk, server, method):
    async def scenario(c):
        login_id = new_login(method)
        assert_masked(await c.magiclink.sign_up_or_in(method, login_id, APP_URI), login_id)
        resp = await c.magiclink.verify(link_token(server, login_id, channel=CHANNEL[method]))
        user_id = await check_login(c, server, resp, login_id, first_seen=True)

        previous = server.last_message_to(login_id)
        assert_masked(await c.magiclink.sign_up_or_in(method, login_id, APP_URI), login_id)
        again = await c.magiclink.verify(link_token(server, login_id, previous=previous))
        assert await check_login(c, server, again, login_id, first_seen=False) == user_id

    sdk.run(scenario)


def test_link_token_is_single_use(sdk, server):
    async def scenario(c):
        login_id = new_email()
        await c.magiclink.sign_up_or_in(EMAIL, login_id, APP_URI)
        token = link_token(server, login_id)
        await c.magiclink.verify(token)
        with server_error(401, "E062001"):
            await c.magiclink.verify(token)

    sdk.run(scenario)


def test_bogus_token_is_refused(sdk, server):
    async def scenario(c):
        with server_error(401, "E062001"):
            await c.magiclink.verify("definitely-not-a-token")

    sdk.run(scenario)


def test_update_user_email(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        login_id, new = resp["user"]["loginIds"][0], new_email()
        assert_masked(await c.magiclink.update_user_email(login_id, new, refresh_jwt(resp)), new)
        # the update call takes no URI, so the link's base is the server's choice
        updated = await c.magiclink.verify(link_token(server, new, uri=None, channel="email"))
        await check_login(c, server, updated, login_id, first_seen=False)
        assert updated["user"]["email"] == new
        assert (await c.mgmt.user.load(login_id))["user"]["email"] == new

    sdk.run(scenario)


def test_update_user_phone(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        login_id, phone = resp["user"]["loginIds"][0], new_phone()
        assert_masked(await c.magiclink.update_user_phone(SMS, login_id, phone, refresh_jwt(resp)), phone)
        updated = await c.magiclink.verify(link_token(server, phone, uri=None, channel="sms"))
        await check_login(c, server, updated, login_id, first_seen=False)
        assert updated["user"]["phone"] == phone
        assert (await c.mgmt.user.load(login_id))["user"]["phone"] == phone

    sdk.run(scenario)
