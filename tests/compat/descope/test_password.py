"""Password: policy, sign-up, sign-in, wrong password, replace, update, reset mail."""
from descope_compat import (
    APP_URI,
    check_login,
    message_to,
    new_email,
    server_error,
    strong_password,
)


async def sign_up(c, server, login_id=None, password=None):
    login_id, password = login_id or new_email(), password or strong_password()
    resp = await c.password.sign_up(login_id, password, {"name": "Pass Word"})
    await check_login(c, server, resp, login_id, first_seen=True)
    return login_id, password, resp


def test_get_policy(sdk):
    async def scenario(c):
        policy = await c.password.get_policy()
        assert isinstance(policy["minLength"], int) and policy["minLength"] >= 1, policy

    sdk.run(scenario)


def test_password_below_policy_is_refused(sdk, server):
    async def scenario(c):
        min_length = (await c.password.get_policy())["minLength"]
        assert min_length > 1, "a policy of minLength 1 cannot refuse a short password"
        with server_error(400, "E063002"):
            await c.password.sign_up(new_email(), ("aA1!" * min_length)[: min_length - 1])

    sdk.run(scenario)


def test_sign_up_then_sign_in(sdk, server):
    async def scenario(c):
        login_id, password, signed_up = await sign_up(c, server)
        assert signed_up["user"]["email"] == login_id and signed_up["user"]["name"] == "Pass Word"
        resp = await c.password.sign_in(login_id, password)
        assert await check_login(c, server, resp, login_id, first_seen=False) == signed_up["userId"]

    sdk.run(scenario)


def test_wrong_password_is_refused(sdk, server):
    async def scenario(c):
        login_id, password, _ = await sign_up(c, server)
        with server_error(401, "E063001"):
            await c.password.sign_in(login_id, password + "x")
        with server_error(401, "E063001"):
            await c.password.sign_in(new_email(), password)

    sdk.run(scenario)


def test_replace(sdk, server):
    async def scenario(c):
        login_id, old, signed_up = await sign_up(c, server)
        new = strong_password()
        resp = await c.password.replace(login_id, old, new)
        assert await check_login(c, server, resp, login_id, first_seen=False) == signed_up["userId"]
        with server_error(401, "E063001"):
            await c.password.sign_in(login_id, old)
        await check_login(c, server, await c.password.sign_in(login_id, new), login_id)

    sdk.run(scenario)


def test_replace_with_wrong_old_password_is_refused(sdk, server):
    async def scenario(c):
        login_id, old, _ = await sign_up(c, server)
        with server_error(401, "E063001"):
            await c.password.replace(login_id, old + "x", strong_password())
        await check_login(c, server, await c.password.sign_in(login_id, old), login_id)

    sdk.run(scenario)


def test_update_with_refresh_token(sdk, server):
    async def scenario(c):
        login_id, old, signed_up = await sign_up(c, server)
        new = strong_password()
        assert await c.password.update(login_id, new, signed_up["refreshSessionToken"]["jwt"]) is None
        await check_login(c, server, await c.password.sign_in(login_id, new), login_id)
        with server_error(401, "E063001"):
            await c.password.sign_in(login_id, old)

    sdk.run(scenario)


def test_send_reset_mails_the_user(sdk, server):
    async def scenario(c):
        login_id, _, _ = await sign_up(c, server)
        resp = await c.password.send_reset(login_id, APP_URI)
        assert isinstance(resp, dict)
        msg = message_to(server, login_id, channel="email")
        assert msg["link"] or msg["code"], f"the reset mail carries neither link nor code: {msg}"

    sdk.run(scenario)
