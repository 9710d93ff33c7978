"""Management: permissions and roles (CRUD, tenant-scoped roles, search) and what they do to session JWTs.

A user's effective roles and permissions appear in the session JWT as `roles`, `permissions` and
`tenants: {tenantId: {"roles": [...], "permissions": [...]}}`; the SDK's `validate_roles`,
`validate_permissions`, `validate_tenant_roles` and `validate_tenant_permissions` read exactly those claims.
Any change (role taken from the user, role deleted or renamed, permission taken from the role or deleted)
shows in the next session JWT, i.e. after a refresh; deleting or renaming a role also updates the users holding it.
Errors: E073001 role not found, E073002 role name taken (in that tenant), E074001 permission not found,
E074002 permission name taken (docs/errors.md).

SDK facts (descope==2.16.0):
- `permission.create/update/delete` and `role.create/update/delete` return None (body ignored).
- `permission.create` → `/v1/mgmt/permission/create` `{"name", "description"}`;
  `permission.update` → `/v1/mgmt/permission/update` `{"name", "newName", "description"}`;
  `permission.delete` → `/v1/mgmt/permission/delete` `{"name"}`;
  `permission.load_all` → `GET /v1/mgmt/permission/all` → `{"permissions": [{"name", "description", "systemDefault"}]}`.
- `role.create` → `/v1/mgmt/role/create` `{"name", "description", "permissionNames", "tenantId", "default", "private"}`
  (nulls sent explicitly); `role.update` sends `{"name", "newName", "description", "permissionNames", "tenantId", ...}`
  and **replaces** the permission list (`[]` when not given); `role.delete` sends `{"name", "tenantId"}`.
- `role.load_all` → `GET /v1/mgmt/role/all` → `{"roles": [{"name", "description", "permissionNames", ...}]}`.
- `role.search` → `/v1/mgmt/role/search` with only the given filters (`tenantIds`, `roleNames`, `roleNameLike`,
  `permissionNames`, `includeProjectRoles`) → `{"roles": [...]}`.
"""
from descope import AssociatedTenant, DeliveryMethod

from descope_compat import check_login, new_email, new_tenant, refresh_jwt, server_error, uid, unwrap

EMAIL = DeliveryMethod.EMAIL


def name(prefix: str) -> str:
    return f"{prefix}-{uid()}"


async def permissions(c) -> dict:
    return {p["name"]: p for p in (await c.mgmt.permission.load_all())["permissions"]}


async def roles(c) -> dict:
    return {r["name"]: r for r in (await c.mgmt.role.load_all())["roles"]}


async def define_permissions(c, count: int) -> list[str]:
    names = [name("perm") for _ in range(count)]
    for n in names:
        await c.mgmt.permission.create(n, description=f"can {n}")
    return names


async def login_as_new_user(c, server, **create_kwargs) -> tuple[str, dict]:
    """A test user created with the given roles, signed in with a generated OTP."""
    login_id = new_email()
    await c.mgmt.user.create_test_user(login_id, **create_kwargs)
    code = (await c.mgmt.user.generate_otp_for_test_user(EMAIL, login_id))["code"]
    resp = await c.otp.verify_code(EMAIL, login_id, code)
    await check_login(c, server, resp, login_id)
    return login_id, resp


# ---------------------------------------------------------------- permissions


def test_permission_create_load_update_delete(sdk, server):
    async def scenario(c):
        perm, renamed = name("perm"), name("perm")
        assert await c.mgmt.permission.create(perm, description="read reports") is None
        listed = await permissions(c)
        assert listed[perm]["description"] == "read reports" and not listed[perm].get("systemDefault")

        assert await c.mgmt.permission.update(perm, renamed, description="read all reports") is None
        listed = await permissions(c)
        assert perm not in listed and listed[renamed]["description"] == "read all reports"

        assert await c.mgmt.permission.delete(renamed) is None
        assert renamed not in await permissions(c)

    sdk.run(scenario)


def test_duplicate_permission_is_refused(sdk, server):
    async def scenario(c):
        (perm,) = await define_permissions(c, 1)
        with server_error(409, "E074002"):
            await c.mgmt.permission.create(perm, description="again")
        assert (await permissions(c))[perm]["description"] == f"can {perm}"

    sdk.run(scenario)


def test_unknown_permission_is_404(sdk, server):
    async def scenario(c):
        ghost = name("perm")
        for call in (lambda: c.mgmt.permission.update(ghost, name("perm")), lambda: c.mgmt.permission.delete(ghost)):
            with server_error(404, "E074001"):
                await call()

    sdk.run(scenario)


# ---------------------------------------------------------------- roles


def test_role_create_load_update_delete(sdk, server):
    async def scenario(c):
        p1, p2, p3 = await define_permissions(c, 3)
        role, renamed = name("role"), name("role")
        assert await c.mgmt.role.create(role, description="editors", permission_names=[p1, p2]) is None
        listed = (await roles(c))[role]
        assert listed["description"] == "editors" and sorted(listed["permissionNames"]) == sorted([p1, p2])

        assert await c.mgmt.role.update(role, renamed, description="chief editors", permission_names=[p3]) is None
        all_roles = await roles(c)
        assert role not in all_roles
        assert all_roles[renamed]["description"] == "chief editors" and all_roles[renamed]["permissionNames"] == [p3]

        assert await c.mgmt.role.delete(renamed) is None
        assert renamed not in await roles(c)

    sdk.run(scenario)


def test_duplicate_role_is_refused(sdk, server):
    async def scenario(c):
        role = name("role")
        await c.mgmt.role.create(role, description="first")
        with server_error(409, "E073002"):
            await c.mgmt.role.create(role, description="second")
        assert (await roles(c))[role]["description"] == "first"

    sdk.run(scenario)


def test_role_with_unknown_permission_is_refused(sdk, server):
    async def scenario(c):
        role, ghost = name("role"), name("perm")
        with server_error(404, "E074001") as info:
            await c.mgmt.role.create(role, permission_names=[ghost])
        assert ghost in info.value.error_message, f"the message must name the missing permission: {info.value}"
        assert role not in await roles(c)

    sdk.run(scenario)


def test_unknown_role_is_404(sdk, server):
    async def scenario(c):
        ghost = name("role")
        for call in (lambda: c.mgmt.role.update(ghost, name("role")), lambda: c.mgmt.role.delete(ghost)):
            with server_error(404, "E073001"):
                await call()

    sdk.run(scenario)


def test_tenant_scoped_roles(sdk, server):
    async def scenario(c):
        (perm,) = await define_permissions(c, 1)
        tenant_a, tenant_b = await new_tenant(c), await new_tenant(c)
        shared_name = name("trole")
        await c.mgmt.role.create(shared_name, description="in A", permission_names=[perm], tenant_id=tenant_a)
        await c.mgmt.role.create(shared_name, description="in B", tenant_id=tenant_b)  # same name, other tenant
        with server_error(409, "E073002"):
            await c.mgmt.role.create(shared_name, tenant_id=tenant_a)

        in_a = (await c.mgmt.role.search(tenant_ids=[tenant_a]))["roles"]
        assert [(r["name"], r["description"], r.get("tenantId")) for r in in_a] == [(shared_name, "in A", tenant_a)]
        assert in_a[0]["permissionNames"] == [perm]
        in_b = (await c.mgmt.role.search(tenant_ids=[tenant_b]))["roles"]
        assert [(r["name"], r["description"]) for r in in_b] == [(shared_name, "in B")]

        await c.mgmt.role.delete(shared_name, tenant_id=tenant_b)
        assert (await c.mgmt.role.search(tenant_ids=[tenant_b]))["roles"] == []
        assert len((await c.mgmt.role.search(tenant_ids=[tenant_a]))["roles"]) == 1

    sdk.run(scenario)


def test_tenant_role_for_unknown_tenant_is_404(sdk, server):
    async def scenario(c):
        with server_error(404, "E072001"):
            await c.mgmt.role.create(name("trole"), tenant_id=f"T-missing-{uid()}")

    sdk.run(scenario)


def test_role_search_filters(sdk, server):
    async def scenario(c):
        p_read, p_write = await define_permissions(c, 2)
        tag = uid()
        reader, writer, other = f"reader-{tag}", f"writer-{tag}", name("other")
        await c.mgmt.role.create(reader, permission_names=[p_read])
        await c.mgmt.role.create(writer, permission_names=[p_read, p_write])
        await c.mgmt.role.create(other)
        tenant_id = await new_tenant(c)
        tenant_role = f"tenant-{tag}"
        await c.mgmt.role.create(tenant_role, tenant_id=tenant_id)

        def found(resp):
            return {r["name"] for r in resp["roles"]}

        assert found(await c.mgmt.role.search(role_names=[reader, other])) == {reader, other}
        assert found(await c.mgmt.role.search(role_name_like=tag.upper())) >= {reader, writer}, "roleNameLike ignores case"
        assert other not in found(await c.mgmt.role.search(role_name_like=tag))
        assert found(await c.mgmt.role.search(permission_names=[p_write])) == {writer}
        assert found(await c.mgmt.role.search(permission_names=[p_read])) == {reader, writer}
        assert found(await c.mgmt.role.search(tenant_ids=[tenant_id])) == {tenant_role}
        with_project = found(await c.mgmt.role.search(tenant_ids=[tenant_id], include_project_roles=True))
        assert {tenant_role, reader, writer, other} <= with_project

    sdk.run(scenario)


# ---------------------------------------------------------------- effective roles and permissions in JWTs


def test_session_jwt_carries_roles_and_permissions(sdk, server):
    async def scenario(c):
        p_read, p_write, p_admin = await define_permissions(c, 3)
        editor, auditor, tenant_admin = name("editor"), name("auditor"), name("tadmin")
        await c.mgmt.role.create(editor, permission_names=[p_read, p_write])
        await c.mgmt.role.create(auditor, permission_names=[p_read])
        tenant_id, unrelated = await new_tenant(c), await new_tenant(c)
        await c.mgmt.role.create(tenant_admin, permission_names=[p_admin], tenant_id=tenant_id)

        _, resp = await login_as_new_user(c, server, role_names=[editor, auditor],
                                          user_tenants=[AssociatedTenant(tenant_id, [tenant_admin])])
        claims = await c.validate_session(resp["sessionToken"]["jwt"])
        for source in (resp, claims):
            assert sorted(source["roles"]) == sorted([editor, auditor])
            assert sorted(source["permissions"]) == sorted([p_read, p_write]), "permissions are de-duplicated"
            in_tenant = source["tenants"][tenant_id]
            assert in_tenant["roles"] == [tenant_admin] and in_tenant["permissions"] == [p_admin], source["tenants"]
            assert unrelated not in source["tenants"]

        client = unwrap(c)
        assert client.validate_roles(claims, [editor, auditor]) and not client.validate_roles(claims, [tenant_admin])
        assert client.validate_permissions(claims, [p_read, p_write])
        assert not client.validate_permissions(claims, [p_admin]), "tenant permissions must not leak to the project"
        assert client.validate_tenant_roles(claims, tenant_id, [tenant_admin])
        assert client.validate_tenant_permissions(claims, tenant_id, [p_admin])
        assert not client.validate_tenant_permissions(claims, tenant_id, [p_write])
        assert not client.validate_tenant_roles(claims, unrelated, [tenant_admin])
        assert not client.validate_tenant_permissions(claims, unrelated, [p_admin])
        assert client.get_matched_permissions(claims, [p_admin, p_write]) == [p_write]

    sdk.run(scenario)


def test_roles_assigned_by_mgmt_show_in_the_next_session(sdk, server):
    async def scenario(c):
        (perm,) = await define_permissions(c, 1)
        role = name("late")
        await c.mgmt.role.create(role, permission_names=[perm])
        tenant_id = await new_tenant(c)
        login_id, resp = await login_as_new_user(c, server)
        assert not unwrap(c).validate_roles(resp, [role])

        await c.mgmt.user.add_roles(login_id, [role])
        await c.mgmt.user.add_tenant_roles(login_id, tenant_id, [role])
        refreshed = await c.refresh_session(refresh_jwt(resp))
        client = unwrap(c)
        assert client.validate_roles(refreshed, [role]) and client.validate_permissions(refreshed, [perm])
        assert client.validate_tenant_roles(refreshed, tenant_id, [role])
        assert client.validate_tenant_permissions(refreshed, tenant_id, [perm])

    sdk.run(scenario)


def test_removed_role_disappears_after_refresh(sdk, server):
    async def scenario(c):
        p_keep, p_drop = await define_permissions(c, 2)
        keep, drop = name("keep"), name("drop")
        await c.mgmt.role.create(keep, permission_names=[p_keep])
        await c.mgmt.role.create(drop, permission_names=[p_drop])
        login_id, resp = await login_as_new_user(c, server, role_names=[keep, drop])
        assert unwrap(c).validate_roles(resp, [keep, drop])

        await c.mgmt.user.remove_roles(login_id, [drop])
        refreshed = await c.refresh_session(refresh_jwt(resp))
        assert refreshed["roles"] == [keep] and refreshed["permissions"] == [p_keep], refreshed["sessionToken"]
        claims = await c.validate_session(refreshed["sessionToken"]["jwt"])
        assert not unwrap(c).validate_roles(claims, [drop]) and not unwrap(c).validate_permissions(claims, [p_drop])

    sdk.run(scenario)


def test_removed_tenant_role_disappears_after_refresh(sdk, server):
    async def scenario(c):
        (perm,) = await define_permissions(c, 1)
        tenant_id = await new_tenant(c)
        role = name("trole")
        await c.mgmt.role.create(role, permission_names=[perm], tenant_id=tenant_id)
        login_id, resp = await login_as_new_user(c, server, user_tenants=[AssociatedTenant(tenant_id, [role])])
        assert unwrap(c).validate_tenant_permissions(resp, tenant_id, [perm])

        await c.mgmt.user.remove_tenant_roles(login_id, tenant_id, [role])
        refreshed = await c.refresh_session(refresh_jwt(resp))
        assert not unwrap(c).validate_tenant_roles(refreshed, tenant_id, [role])
        assert not unwrap(c).validate_tenant_permissions(refreshed, tenant_id, [perm])

    sdk.run(scenario)


def test_deleted_role_disappears_from_users_and_sessions(sdk, server):
    async def scenario(c):
        (perm,) = await define_permissions(c, 1)
        role, other = name("gone"), name("stays")
        await c.mgmt.role.create(role, permission_names=[perm])
        await c.mgmt.role.create(other)
        login_id, resp = await login_as_new_user(c, server, role_names=[role, other])

        await c.mgmt.role.delete(role)
        assert (await c.mgmt.user.load(login_id))["user"]["roleNames"] == [other]
        refreshed = await c.refresh_session(refresh_jwt(resp))
        assert refreshed["roles"] == [other] and perm not in refreshed["permissions"]

    sdk.run(scenario)


def test_renamed_role_follows_its_users(sdk, server):
    async def scenario(c):
        (perm,) = await define_permissions(c, 1)
        role, renamed = name("old"), name("new")
        await c.mgmt.role.create(role, permission_names=[perm])
        login_id, resp = await login_as_new_user(c, server, role_names=[role])
        await c.mgmt.role.update(role, renamed, permission_names=[perm])
        assert (await c.mgmt.user.load(login_id))["user"]["roleNames"] == [renamed]
        refreshed = await c.refresh_session(refresh_jwt(resp))
        assert refreshed["roles"] == [renamed] and refreshed["permissions"] == [perm]

    sdk.run(scenario)


def test_changed_role_permissions_show_after_refresh(sdk, server):
    async def scenario(c):
        p_old, p_new = await define_permissions(c, 2)
        role = name("evolving")
        await c.mgmt.role.create(role, permission_names=[p_old])
        _, resp = await login_as_new_user(c, server, role_names=[role])
        assert resp["permissions"] == [p_old]

        await c.mgmt.role.update(role, role, permission_names=[p_new])
        refreshed = await c.refresh_session(refresh_jwt(resp))
        assert refreshed["permissions"] == [p_new] and refreshed["roles"] == [role]

    sdk.run(scenario)


def test_deleted_permission_disappears_from_roles_and_sessions(sdk, server):
    async def scenario(c):
        p_keep, p_gone = await define_permissions(c, 2)
        role = name("pruned")
        await c.mgmt.role.create(role, permission_names=[p_keep, p_gone])
        _, resp = await login_as_new_user(c, server, role_names=[role])
        assert sorted(resp["permissions"]) == sorted([p_keep, p_gone])

        await c.mgmt.permission.delete(p_gone)
        assert (await roles(c))[role]["permissionNames"] == [p_keep]
        refreshed = await c.refresh_session(refresh_jwt(resp))
        assert refreshed["permissions"] == [p_keep]

    sdk.run(scenario)


def test_renamed_permission_follows_its_roles(sdk, server):
    async def scenario(c):
        (perm,) = await define_permissions(c, 1)
        renamed = name("perm")
        role = name("holder")
        await c.mgmt.role.create(role, permission_names=[perm])
        _, resp = await login_as_new_user(c, server, role_names=[role])
        await c.mgmt.permission.update(perm, renamed)
        assert (await roles(c))[role]["permissionNames"] == [renamed]
        refreshed = await c.refresh_session(refresh_jwt(resp))
        assert refreshed["permissions"] == [renamed]

    sdk.run(scenario)
