"""Management: passwords set by the backend (set_active_password, set_temporary_password, expire_password).

SDK facts (descope==2.16.0): all three return None and ignore the body.
- `set_active_password`    → `POST /v1/mgmt/user/password/set/active`    `{"loginId", "password", "setActive": true}`
- `set_temporary_password` → `POST /v1/mgmt/user/password/set/temporary` `{"loginId", "password", "setActive": false}`
- `expire_password`        → `POST /v1/mgmt/user/password/expire`        `{"loginId"}`
A temporary or expired password cannot be used to sign in (a 4xx whose message says it expired); the user
replaces it with `password.replace(login_id, old, new)`, which then signs them in.
"""
from descope_compat import check_login, client_error, new_email, server_error, strong_password


async def create_user(c) -> str:
    login_id = new_email()
    await c.mgmt.user.create(login_id, email=login_id)
    return login_id


async def refused_as_expired(c, login_id, password):
    with client_error() as info:
        await c.password.sign_in(login_id, password)
    assert "expired" in (info.value.error_message or "").lower(), f"sign-in with an expired password: {info.value}"


def test_set_active_password_lets_the_user_sign_in(sdk, server):
    async def scenario(c):
        login_id, password = await create_user(c), strong_password()
        assert await c.mgmt.user.set_active_password(login_id, password) is None
        resp = await c.password.sign_in(login_id, password)
        await check_login(c, server, resp, login_id)
        assert (await c.mgmt.user.load(login_id))["user"]["password"] is True
        with server_error(401, "E063001"):
            await c.password.sign_in(login_id, password + "x")

    sdk.run(scenario)


def test_set_active_password_replaces_the_old_one(sdk, server):
    async def scenario(c):
        login_id, old, new = new_email(), strong_password(), strong_password()
        await c.password.sign_up(login_id, old)
        await c.mgmt.user.set_active_password(login_id, new)
        with server_error(401, "E063001"):
            await c.password.sign_in(login_id, old)
        await check_login(c, server, await c.password.sign_in(login_id, new), login_id)

    sdk.run(scenario)


def test_temporary_password_must_be_replaced(sdk, server):
    async def scenario(c):
        login_id, temporary, chosen = await create_user(c), strong_password(), strong_password()
        assert await c.mgmt.user.set_temporary_password(login_id, temporary) is None
        await refused_as_expired(c, login_id, temporary)
        resp = await c.password.replace(login_id, temporary, chosen)
        await check_login(c, server, resp, login_id)
        await check_login(c, server, await c.password.sign_in(login_id, chosen), login_id)
        with server_error(401, "E063001"):
            await c.password.sign_in(login_id, temporary)

    sdk.run(scenario)


def test_expire_password(sdk, server):
    async def scenario(c):
        login_id, old, new = new_email(), strong_password(), strong_password()
        await c.password.sign_up(login_id, old)
        assert await c.mgmt.user.expire_password(login_id) is None
        await refused_as_expired(c, login_id, old)
        with server_error(401, "E063001"):
            await c.password.replace(login_id, old + "x", new)  # replacing still needs the right old password
        await check_login(c, server, await c.password.replace(login_id, old, new), login_id)
        await check_login(c, server, await c.password.sign_in(login_id, new), login_id)

    sdk.run(scenario)


def test_password_below_policy_is_refused(sdk, server):
    async def scenario(c):
        login_id = await create_user(c)
        min_length = (await c.password.get_policy())["minLength"]
        weak = ("aA1!" * min_length)[: min_length - 1]
        for call in (c.mgmt.user.set_active_password, c.mgmt.user.set_temporary_password):
            with server_error(400, "E063002"):
                await call(login_id, weak)
        assert (await c.mgmt.user.load(login_id))["user"]["password"] is False

    sdk.run(scenario)


def test_password_routes_for_unknown_user_are_404(sdk, server):
    async def scenario(c):
        ghost = new_email()
        for call in (
            lambda: c.mgmt.user.set_active_password(ghost, strong_password()),
            lambda: c.mgmt.user.set_temporary_password(ghost, strong_password()),
            lambda: c.mgmt.user.expire_password(ghost),
        ):
            with server_error(404, "E071001"):
                await call()

    sdk.run(scenario)


def test_missing_password_is_refused(sdk, server):
    async def scenario(c):
        login_id = await create_user(c)
        with server_error(400, "E011002") as info:
            await c.mgmt.user.set_active_password(login_id, "")
        assert "password" in info.value.error_message

    sdk.run(scenario)
