"""Management test helpers: generated OTP / magic link / enchanted link for test users, embedded links."""
import pytest

from descope_compat import (
    APP_URI,
    EMAIL,
    SMS,
    check_login,
    new_email,
    new_login,
    server_error,
    token_from_link,
)

METHODS = pytest.mark.parametrize("method", [EMAIL, SMS], ids=["email", "sms"])


async def create_test_user(c, method=EMAIL) -> str:
    login_id = new_login(method)
    contact = {"email": login_id} if method is EMAIL else {"phone": login_id}
    await c.mgmt.user.create_test_user(login_id, **contact)
    return login_id


@METHODS
def test_generate_otp_then_verify(sdk, server, method):
    async def scenario(c):
        login_id = await create_test_user(c, method)
        generated = await c.mgmt.user.generate_otp_for_test_user(method, login_id)
        assert generated["loginId"] == login_id and generated["code"]
        await check_login(c, server, await c.otp.verify_code(method, login_id, generated["code"]), login_id)

    sdk.run(scenario)


@METHODS
def test_generate_magic_link_then_verify(sdk, server, method):
    async def scenario(c):
        login_id = await create_test_user(c, method)
        generated = await c.mgmt.user.generate_magic_link_for_test_user(method, login_id, APP_URI)
        assert generated["loginId"] == login_id
        resp = await c.magiclink.verify(token_from_link(generated["link"]))
        await check_login(c, server, resp, login_id)

    sdk.run(scenario)


def test_generate_enchanted_link_then_verify(sdk, server):
    async def scenario(c):
        login_id = await create_test_user(c)
        generated = await c.mgmt.user.generate_enchanted_link_for_test_user(login_id, APP_URI)
        assert generated["loginId"] == login_id and generated["pendingRef"]
        with server_error(401, "E062002"):
            await c.enchantedlink.get_session(generated["pendingRef"])
        await c.enchantedlink.verify(token_from_link(generated["link"]))
        await check_login(c, server, await c.enchantedlink.get_session(generated["pendingRef"]), login_id)

    sdk.run(scenario)


def test_generated_otp_is_single_use(sdk, server):
    async def scenario(c):
        login_id = await create_test_user(c)
        code = (await c.mgmt.user.generate_otp_for_test_user(EMAIL, login_id))["code"]
        await c.otp.verify_code(EMAIL, login_id, code)
        with server_error(401, "E061103"):
            await c.otp.verify_code(EMAIL, login_id, code)

    sdk.run(scenario)


def test_generate_embedded_link_then_magiclink_verify(sdk, server):
    async def scenario(c):
        login_id = new_email()
        user = (await c.mgmt.user.create(login_id))["user"]
        token = await c.mgmt.user.generate_embedded_link(login_id)
        assert isinstance(token, str) and token
        resp = await c.magiclink.verify(token)
        assert await check_login(c, server, resp, login_id) == user["userId"]

    sdk.run(scenario)


def test_embedded_link_custom_claims_land_in_the_session(sdk, server):
    async def scenario(c):
        login_id = new_email()
        await c.mgmt.user.create(login_id)
        token = await c.mgmt.user.generate_embedded_link(login_id, {"plan": "gold"})
        resp = await c.magiclink.verify(token)
        assert resp["sessionToken"].get("plan") == "gold", resp["sessionToken"]

    sdk.run(scenario)
