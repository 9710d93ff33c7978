"""Management: access keys (create, load, search, update, activate/deactivate, delete) and their exchange.

The cleartext is shown once, at creation, and never again. A key's roles, tenants (with their roles) and
custom claims land in the session JWT that `exchange_access_key` returns; permitted IPs (addresses or CIDR
ranges) are enforced against the caller's address, here always 127.0.0.1; a deactivated, deleted or expired
key is refused (E064002).

SDK facts (descope==2.16.0):
- `create` → `/v1/mgmt/accesskey/create` `{"name", "expireTime", "roleNames", "keyTenants": [{"tenantId",
  "roleNames"}], "userId", "customClaims", "description", "permittedIps", "customAttributes"}` (nulls explicit)
  → `{"key": {...}, "cleartext": "..."}`.
- `load` → `GET /v1/mgmt/accesskey?id=` → `{"key": {...}}`; `search_all_access_keys` → `/v1/mgmt/accesskey/search`
  `{"tenantIds": [...], "boundUserId", "creatingUser", "customAttributes"}` → `{"keys": [...]}`.
- `update` sends `{"id", "name"}` plus only the fields given; the rest must stay as they were.
- `update`, `activate`, `deactivate`, `delete` (`{"id"}`) return None.
- `exchange_access_key(key, login_options=AccessKeyLoginOptions(custom_claims=...))` sends the claims as
  `loginOptions.customClaims`; Descope puts them under the `nsec` claim, while the key's own custom claims are
  top-level claims.
"""
import json
import time
from contextlib import contextmanager

from descope import AccessKeyLoginOptions, AssociatedTenant

from descope_compat import new_email, new_tenant, server_error, uid, unwrap

REFUSED = "E064002"


@contextmanager
def key_not_found():
    """404 from the access-key route itself (not the 404 of a route that does not exist yet)."""
    with server_error(404) as info:
        yield info
    assert "E011004" not in info.value.error_message, f"the route is not implemented: {info.value}"


async def create_key(c, **kwargs) -> tuple[dict, str]:
    key_name = kwargs.pop("name", None) or f"key-{uid()}"
    created = await c.mgmt.access_key.create(key_name, **kwargs)
    key, cleartext = created["key"], created["cleartext"]
    assert key["id"] and key["name"] == key_name and cleartext, created
    return key, cleartext


async def define_roles(c, count: int) -> list[str]:
    names = [f"keyrole-{uid()}" for _ in range(count)]
    for name in names:
        await c.mgmt.role.create(name)
    return names


async def load(c, key_id) -> dict:
    return (await c.mgmt.access_key.load(key_id))["key"]


async def exchange_refused(c, cleartext) -> None:
    with server_error(401, REFUSED):
        await c.exchange_access_key(cleartext)


# ---------------------------------------------------------------- create / load / search


def test_cleartext_is_shown_once(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        key, cleartext = await create_key(c, description="nightly job", key_tenants=[AssociatedTenant(tenant_id)])
        loaded = (await c.mgmt.access_key.load(key["id"]))
        assert "cleartext" not in loaded and cleartext not in json.dumps(loaded), "load must not reveal the secret"
        found = await c.mgmt.access_key.search_all_access_keys(tenant_ids=[tenant_id])
        assert cleartext not in json.dumps(found), "search must not reveal the secret"

    sdk.run(scenario)


def test_load(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        robot, deployer = await define_roles(c, 2)
        expire = int(time.time()) + 3600
        key, _ = await create_key(c, description="ci robot", expire_time=expire, role_names=[robot],
                                  key_tenants=[AssociatedTenant(tenant_id, [deployer])],
                                  custom_claims={"team": "infra"}, permitted_ips=["127.0.0.1"])
        loaded = await load(c, key["id"])
        assert loaded["id"] == key["id"] and loaded["name"] == key["name"] and loaded["description"] == "ci robot"
        assert loaded["status"] == "active" and loaded["expireTime"] == expire
        assert loaded["roleNames"] == [robot]
        assert [(t["tenantId"], t["roleNames"]) for t in loaded["keyTenants"]] == [(tenant_id, [deployer])]
        assert loaded["customClaims"] == {"team": "infra"} and loaded["permittedIps"] == ["127.0.0.1"]
        assert isinstance(loaded["createdTime"], int) and loaded["createdTime"] > 0

    sdk.run(scenario)


def test_load_unknown_key_is_404(sdk, server):
    async def scenario(c):
        with key_not_found() as info:
            await c.mgmt.access_key.load(f"K-missing-{uid()}")
        assert "id" in info.value.error_message.lower() or "access key" in info.value.error_message.lower()

    sdk.run(scenario)


def test_search_all_access_keys(sdk, server):
    async def scenario(c):
        tenant_a, tenant_b = await new_tenant(c), await new_tenant(c)
        in_a, _ = await create_key(c, key_tenants=[AssociatedTenant(tenant_a)])
        in_both, _ = await create_key(c, key_tenants=[AssociatedTenant(tenant_a), AssociatedTenant(tenant_b)])
        project_key, _ = await create_key(c)

        def found(resp):
            return {k["id"] for k in resp["keys"]}

        assert found(await c.mgmt.access_key.search_all_access_keys(tenant_ids=[tenant_a])) == {in_a["id"], in_both["id"]}
        assert found(await c.mgmt.access_key.search_all_access_keys(tenant_ids=[tenant_b])) == {in_both["id"]}
        everything = await c.mgmt.access_key.search_all_access_keys()
        assert {in_a["id"], in_both["id"], project_key["id"]} <= found(everything)
        listed = {k["id"]: k for k in everything["keys"]}
        assert listed[project_key["id"]]["name"] == project_key["name"]

    sdk.run(scenario)


def test_search_by_bound_user(sdk, server):
    async def scenario(c):
        user = (await c.mgmt.user.create(new_email()))["user"]
        bound, _ = await create_key(c, user_id=user["userId"])
        await create_key(c)
        keys = (await c.mgmt.access_key.search_all_access_keys(bound_user_id=user["userId"]))["keys"]
        assert [k["id"] for k in keys] == [bound["id"]]
        assert keys[0]["boundUserId"] == user["userId"]

    sdk.run(scenario)


def test_create_with_unknown_tenant_is_refused(sdk, server):
    async def scenario(c):
        name = f"key-{uid()}"
        with server_error(404, "E072001"):
            await c.mgmt.access_key.create(name, key_tenants=[AssociatedTenant(f"T-missing-{uid()}")])
        assert name not in {k["name"] for k in (await c.mgmt.access_key.search_all_access_keys())["keys"]}

    sdk.run(scenario)


# ---------------------------------------------------------------- update


def test_update_changes_only_the_given_fields(sdk, server):
    async def scenario(c):
        (robot,) = await define_roles(c, 1)
        key, cleartext = await create_key(c, description="before", custom_claims={"team": "infra"},
                                          permitted_ips=["127.0.0.1"], role_names=[robot])
        new_name = f"renamed-{uid()}"
        assert await c.mgmt.access_key.update(key["id"], new_name, description="after") is None
        loaded = await load(c, key["id"])
        assert loaded["name"] == new_name and loaded["description"] == "after"
        assert loaded["customClaims"] == {"team": "infra"} and loaded["permittedIps"] == ["127.0.0.1"]
        assert loaded["roleNames"] == [robot] and loaded["status"] == "active"

        await c.mgmt.access_key.update(key["id"], new_name, custom_claims={"team": "platform", "tier": 2})
        resp = await c.exchange_access_key(cleartext)
        assert resp["sessionToken"]["team"] == "platform" and resp["sessionToken"]["tier"] == 2
        assert (await load(c, key["id"]))["description"] == "after"

    sdk.run(scenario)


def test_update_unknown_key_is_404(sdk, server):
    async def scenario(c):
        with key_not_found():
            await c.mgmt.access_key.update(f"K-missing-{uid()}", "nobody")

    sdk.run(scenario)


# ---------------------------------------------------------------- activate / deactivate / delete


def test_deactivated_key_is_refused_until_activated(sdk, server):
    async def scenario(c):
        key, cleartext = await create_key(c)
        await c.exchange_access_key(cleartext)
        assert await c.mgmt.access_key.deactivate(key["id"]) is None
        assert (await load(c, key["id"]))["status"] == "inactive"
        await exchange_refused(c, cleartext)
        assert await c.mgmt.access_key.activate(key["id"]) is None
        assert (await load(c, key["id"]))["status"] == "active"
        assert (await c.exchange_access_key(cleartext))["keyId"] == key["id"]

    sdk.run(scenario)


def test_deleted_key_is_gone(sdk, server):
    async def scenario(c):
        key, cleartext = await create_key(c)
        assert await c.mgmt.access_key.delete(key["id"]) is None
        with key_not_found():
            await c.mgmt.access_key.load(key["id"])
        await exchange_refused(c, cleartext)
        assert key["id"] not in {k["id"] for k in (await c.mgmt.access_key.search_all_access_keys())["keys"]}

    sdk.run(scenario)


def test_state_changes_of_unknown_key_are_404(sdk, server):
    async def scenario(c):
        ghost = f"K-missing-{uid()}"
        for call in (
            lambda: c.mgmt.access_key.activate(ghost),
            lambda: c.mgmt.access_key.deactivate(ghost),
            lambda: c.mgmt.access_key.delete(ghost),
        ):
            with key_not_found():
                await call()

    sdk.run(scenario)


def test_expired_key_is_refused(sdk, server):
    async def scenario(c):
        key, cleartext = await create_key(c, expire_time=int(time.time()) + 2)
        assert (await c.exchange_access_key(cleartext))["keyId"] == key["id"]
        time.sleep(3)
        await exchange_refused(c, cleartext)

    sdk.run(scenario)


# ---------------------------------------------------------------- exchange: roles, tenants, claims


def test_exchange_carries_roles_permissions_and_tenants(sdk, server):
    async def scenario(c):
        perm, tenant_perm = f"perm-{uid()}", f"perm-{uid()}"
        for p in (perm, tenant_perm):
            await c.mgmt.permission.create(p)
        role, tenant_role = f"keyrole-{uid()}", f"keyrole-{uid()}"
        await c.mgmt.role.create(role, permission_names=[perm])
        await c.mgmt.role.create(tenant_role, permission_names=[tenant_perm])
        tenant_id, unrelated = await new_tenant(c), await new_tenant(c)

        _, project_secret = await create_key(c, role_names=[role])
        resp = await c.exchange_access_key(project_secret)
        client = unwrap(c)
        assert client.validate_roles(resp, [role]) and client.validate_permissions(resp, [perm])

        _, tenant_secret = await create_key(c, key_tenants=[AssociatedTenant(tenant_id, [tenant_role])])
        resp = await c.exchange_access_key(tenant_secret)
        assert client.validate_tenant_roles(resp, tenant_id, [tenant_role])
        assert client.validate_tenant_permissions(resp, tenant_id, [tenant_perm])
        assert not client.validate_tenant_roles(resp, unrelated, [tenant_role])
        assert not client.validate_roles(resp, [tenant_role]), "tenant roles must not leak into project roles"
        claims = await c.validate_session(resp["sessionToken"]["jwt"])
        assert claims["tenants"][tenant_id]["permissions"] == [tenant_perm]

    sdk.run(scenario)


def test_exchange_carries_custom_claims(sdk, server):
    async def scenario(c):
        _, cleartext = await create_key(c, custom_claims={"k1": "v1", "n": 3})
        resp = await c.exchange_access_key(cleartext, login_options=AccessKeyLoginOptions(custom_claims={"nk": "nv"}))
        session = resp["sessionToken"]
        assert session["k1"] == "v1" and session["n"] == 3, session
        assert session.get("nsec", {}).get("nk") == "nv", f"exchange-time claims go under nsec: {session}"
        assert (await c.validate_session(session["jwt"]))["k1"] == "v1"

    sdk.run(scenario)


def test_key_bound_to_a_user_carries_the_users_roles(sdk, server):
    async def scenario(c):
        role = f"bound-{uid()}"
        await c.mgmt.role.create(role)
        user = (await c.mgmt.user.create(new_email(), role_names=[role]))["user"]
        key, cleartext = await create_key(c, user_id=user["userId"])
        assert (await load(c, key["id"]))["boundUserId"] == user["userId"]
        resp = await c.exchange_access_key(cleartext)
        assert unwrap(c).validate_roles(resp, [role])

    sdk.run(scenario)


# ---------------------------------------------------------------- permitted IPs (the caller is 127.0.0.1)


def test_permitted_ip_elsewhere_is_refused(sdk, server):
    async def scenario(c):
        for permitted in (["10.0.0.1"], ["10.0.0.0/8"], ["::1/128"]):
            _, cleartext = await create_key(c, permitted_ips=permitted)
            await exchange_refused(c, cleartext)

    sdk.run(scenario)


def test_permitted_ip_of_the_caller_works(sdk, server):
    async def scenario(c):
        for permitted in (["127.0.0.1"], ["127.0.0.0/8"], ["10.0.0.1", "127.0.0.1"], ["10.0.0.0/8", "127.0.0.1/32"]):
            key, cleartext = await create_key(c, permitted_ips=permitted)
            assert (await c.exchange_access_key(cleartext))["keyId"] == key["id"], permitted

    sdk.run(scenario)


def test_update_permitted_ips(sdk, server):
    async def scenario(c):
        key, cleartext = await create_key(c, permitted_ips=["10.0.0.1"])
        await exchange_refused(c, cleartext)
        await c.mgmt.access_key.update(key["id"], key["name"], permitted_ips=["127.0.0.1"])
        assert (await c.exchange_access_key(cleartext))["keyId"] == key["id"]
        await c.mgmt.access_key.update(key["id"], key["name"], permitted_ips=["10.0.0.1"])
        await exchange_refused(c, cleartext)

    sdk.run(scenario)


def test_invalid_permitted_ip_is_refused(sdk, server):
    async def scenario(c):
        name = f"key-{uid()}"
        with server_error(400, "E011003") as info:
            await c.mgmt.access_key.create(name, permitted_ips=["not-an-ip"])
        assert "permittedIps" in info.value.error_message
        assert name not in {k["name"] for k in (await c.mgmt.access_key.search_all_access_keys())["keys"]}

    sdk.run(scenario)
