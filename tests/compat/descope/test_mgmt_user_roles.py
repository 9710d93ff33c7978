"""Management: a user's roles and tenants (set/add/remove roles, per tenant too; add/remove tenants).

SDK facts (descope==2.16.0): every call here returns `response.json()` and documents `{"user": {...}}`.
`add_roles` / `add_tenant_roles` post to the **v2** path `/v2/mgmt/user/update/role/add`; set and remove use
`/v1/mgmt/user/update/role/set` and `/v1/mgmt/user/update/role/remove`. The tenant variants send the same body
plus `tenantId`. `add_tenant` / `remove_tenant` post `{"loginId", "tenantId"}`.
The roles used are defined first (`mgmt.role.create`), as Descope requires.
"""
from descope_compat import new_email, new_tenant, server_error, uid


async def define_roles(c, count: int) -> list[str]:
    names = [f"ur-{uid()}" for _ in range(count)]
    for name in names:
        await c.mgmt.role.create(name, description="user-roles test role")
    return names


async def create_user(c, **kwargs) -> str:
    login_id = new_email()
    await c.mgmt.user.create(login_id, **kwargs)
    return login_id


async def load(c, login_id) -> dict:
    return (await c.mgmt.user.load(login_id))["user"]


def tenant_roles(user: dict) -> dict:
    return {t["tenantId"]: sorted(t.get("roleNames") or []) for t in user["userTenants"]}


def test_add_remove_set_project_roles(sdk, server):
    async def scenario(c):
        a, b, x, y = await define_roles(c, 4)
        login_id = await create_user(c, role_names=[a])

        added = (await c.mgmt.user.add_roles(login_id, [b, x]))["user"]
        assert sorted(added["roleNames"]) == sorted([a, b, x])
        removed = (await c.mgmt.user.remove_roles(login_id, [a, x]))["user"]
        assert removed["roleNames"] == [b]
        replaced = (await c.mgmt.user.set_roles(login_id, [x, y]))["user"]
        assert sorted(replaced["roleNames"]) == sorted([x, y])
        assert sorted((await load(c, login_id))["roleNames"]) == sorted([x, y])

    sdk.run(scenario)


def test_adding_a_role_twice_keeps_one(sdk, server):
    async def scenario(c):
        (a,) = await define_roles(c, 1)
        login_id = await create_user(c, role_names=[a])
        assert (await c.mgmt.user.add_roles(login_id, [a]))["user"]["roleNames"] == [a]

    sdk.run(scenario)


def test_add_and_remove_tenant(sdk, server):
    async def scenario(c):
        tenant_a, tenant_b = await new_tenant(c), await new_tenant(c)
        login_id = await create_user(c)
        await c.mgmt.user.add_tenant(login_id, tenant_a)
        added = (await c.mgmt.user.add_tenant(login_id, tenant_b))["user"]
        assert tenant_roles(added) == {tenant_a: [], tenant_b: []}
        removed = (await c.mgmt.user.remove_tenant(login_id, tenant_a))["user"]
        assert tenant_roles(removed) == {tenant_b: []}
        assert tenant_roles(await load(c, login_id)) == {tenant_b: []}

    sdk.run(scenario)


def test_tenant_roles(sdk, server):
    async def scenario(c):
        r1, r2, r3 = await define_roles(c, 3)
        tenant_id, other = await new_tenant(c), await new_tenant(c)
        login_id = await create_user(c)
        await c.mgmt.user.add_tenant(login_id, other)

        added = (await c.mgmt.user.add_tenant_roles(login_id, tenant_id, [r1, r2]))["user"]
        assert tenant_roles(added) == {tenant_id: sorted([r1, r2]), other: []}, "add_tenant_roles also adds the tenant"
        removed = (await c.mgmt.user.remove_tenant_roles(login_id, tenant_id, [r1]))["user"]
        assert tenant_roles(removed)[tenant_id] == [r2]
        replaced = (await c.mgmt.user.set_tenant_roles(login_id, tenant_id, [r3]))["user"]
        assert tenant_roles(replaced) == {tenant_id: [r3], other: []}
        loaded = await load(c, login_id)
        assert tenant_roles(loaded) == {tenant_id: [r3], other: []}
        assert loaded["roleNames"] == [], "tenant roles must not leak into project roles"

    sdk.run(scenario)


def test_tenant_roles_do_not_touch_project_roles(sdk, server):
    async def scenario(c):
        project_role, tenant_role = await define_roles(c, 2)
        tenant_id = await new_tenant(c)
        login_id = await create_user(c, role_names=[project_role])
        await c.mgmt.user.add_tenant_roles(login_id, tenant_id, [tenant_role])
        user = await load(c, login_id)
        assert user["roleNames"] == [project_role] and tenant_roles(user) == {tenant_id: [tenant_role]}
        await c.mgmt.user.set_roles(login_id, [])
        user = await load(c, login_id)
        assert user["roleNames"] == [] and tenant_roles(user) == {tenant_id: [tenant_role]}

    sdk.run(scenario)


def test_unknown_user_or_tenant_is_404(sdk, server):
    async def scenario(c):
        (role,) = await define_roles(c, 1)
        tenant_id = await new_tenant(c)
        ghost = new_email()
        for call in (
            c.mgmt.user.add_roles(ghost, [role]),
            c.mgmt.user.set_roles(ghost, [role]),
            c.mgmt.user.remove_roles(ghost, [role]),
            c.mgmt.user.add_tenant(ghost, tenant_id),
            c.mgmt.user.add_tenant_roles(ghost, tenant_id, [role]),
        ):
            with server_error(404, "E071001"):
                await call
        login_id = await create_user(c)
        for call in (
            c.mgmt.user.add_tenant(login_id, f"T-missing-{uid()}"),
            c.mgmt.user.add_tenant_roles(login_id, f"T-missing-{uid()}", [role]),
        ):
            with server_error(404, "E072001"):
                await call
        assert (await load(c, login_id))["userTenants"] == []

    sdk.run(scenario)
