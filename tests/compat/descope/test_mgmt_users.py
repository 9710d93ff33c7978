"""Management: users (create, create_test_user, load, delete, delete_all_test_users) and the license handshake."""
import asyncio
import time

from descope import DescopeClient, DescopeClientAsync

from descope_compat import client_kwargs, new_email, server_error


async def create_user(c, **kwargs) -> dict:
    login_id = new_email()
    user = (await c.mgmt.user.create(login_id, **kwargs))["user"]
    assert user["userId"] and user["loginIds"] == [login_id], user
    return user


def test_create_with_email_shaped_login_id(sdk, server):
    async def scenario(c):
        user = await create_user(c, display_name="Mgmt Made")
        assert user["email"] == user["loginIds"][0]
        assert user["name"] == "Mgmt Made"

    sdk.run(scenario)


def test_load_by_login_id_and_by_user_id(sdk, server):
    async def scenario(c):
        created = await create_user(c, display_name="Loaded")
        login_id = created["loginIds"][0]
        for loaded in ((await c.mgmt.user.load(login_id))["user"], (await c.mgmt.user.load_by_user_id(created["userId"]))["user"]):
            assert loaded["userId"] == created["userId"] and loaded["loginIds"] == [login_id]
            assert loaded["email"] == login_id and loaded["name"] == "Loaded"

    sdk.run(scenario)


def test_create_duplicate_login_id_is_refused(sdk, server):
    async def scenario(c):
        user = await create_user(c)
        with server_error(409, "E071002"):
            await c.mgmt.user.create(user["loginIds"][0])

    sdk.run(scenario)


def test_load_unknown_user_is_404(sdk, server):
    async def scenario(c):
        with server_error(404, "E071001"):
            await c.mgmt.user.load(new_email())
        with server_error(404, "E071001"):
            await c.mgmt.user.load_by_user_id("U-no-such-user")

    sdk.run(scenario)


def test_delete(sdk, server):
    async def scenario(c):
        user = await create_user(c)
        assert await c.mgmt.user.delete(user["loginIds"][0]) is None
        with server_error(404, "E071001"):
            await c.mgmt.user.load(user["loginIds"][0])

    sdk.run(scenario)


def test_create_test_user(sdk, server):
    async def scenario(c):
        login_id = new_email()
        user = (await c.mgmt.user.create_test_user(login_id, display_name="Tester"))["user"]
        assert user["loginIds"] == [login_id] and user["email"] == login_id and user["name"] == "Tester"
        assert (await c.mgmt.user.load(login_id))["user"]["userId"] == user["userId"]

    sdk.run(scenario)


def test_delete_all_test_users_keeps_regular_users(sdk, make_server):
    srv = make_server()

    async def scenario(c):
        test_login, regular_login = new_email(), new_email()
        await c.mgmt.user.create_test_user(test_login)
        await c.mgmt.user.create(regular_login)
        assert await c.mgmt.user.delete_all_test_users() is None
        with server_error(404, "E071001"):
            await c.mgmt.user.load(test_login)
        assert (await c.mgmt.user.load(regular_login))["user"]["loginIds"] == [regular_login]

    sdk.run(scenario, server=srv)


def test_wrong_management_key_is_refused(sdk, server):
    async def scenario(c):
        with server_error(401, "E012003"):
            await c.mgmt.user.load(new_email())

    sdk.run(scenario, management_key="wrong-management-key")


def test_sync_construction_with_management_key_does_not_hang(server):
    started = time.monotonic()
    client = DescopeClient(**client_kwargs(server))
    assert time.monotonic() - started < 2.0, "the license handshake (GET /v1/mgmt/license) stalls construction"
    assert client.mgmt.tenant.load_all()["tenants"] is not None  # mgmt works after the handshake


def test_async_license_handshake_does_not_hang(server):
    async def main():
        client = DescopeClientAsync(**client_kwargs(server))
        try:
            started = time.monotonic()
            await client.aopen()
            assert time.monotonic() - started < 2.0, "the license handshake (GET /v1/mgmt/license) stalls"
            assert (await client.mgmt.tenant.load_all())["tenants"] is not None
        finally:
            await client.aclose()

    asyncio.run(main())
