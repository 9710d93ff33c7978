"""Management: tenant administration beyond create/load/all/delete.

update (overrides), delete with and without cascade, search_all, custom attributes, and the tenant settings
(load_settings / update_settings: self-provisioning domains, enforce SSO, session settings), with their effects:
a user signing up with an email in a self-provisioning domain joins the tenant, and the tenant's session token
lifetime applies to sessions in that tenant.

SDK facts (descope==2.16.0):
- `update` posts the same body as create (`name`, `id`, `selfProvisioningDomains` ([] when not given), `enforceSSO`
  (false when not given), `disabled` (false), `customAttributes` only when given) to `/v1/mgmt/tenant/update` and
  ignores the response body.
- `search_all` posts `{"tenantIds", "tenantNames", "tenantSelfProvisioningDomains", "customAttributes"}` (each
  null when not given) to `/v1/mgmt/tenant/search` → `{"tenants": [...]}`.
- `load_settings` is `GET /v1/mgmt/tenant/settings?id=<id>` → the bare settings object (`selfProvisioningDomains`,
  `domains`, `authType`, `enabled`, `sessionTokenExpiration`, `sessionTokenExpirationUnit`, ...).
- `update_settings` posts to `/v1/mgmt/tenant/settings` with `tenantId` (not `id`) and drops every None value.
  Its unit arguments are typed `SessionExpirationUnit`, but the SDK puts them in the body unconverted and
  httpx cannot serialize an Enum: callers must pass the string (`SessionExpirationUnit.MINUTES.value`). Same for
  `auth_type` (`TenantAuthType.NONE.value`).
- `delete` posts `{"id", "cascade"}`.
"""
import time

from descope import AssociatedTenant, SESSION_TOKEN_NAME
from descope.management.common import SessionExpirationUnit

from descope_compat import (
    check_session_claims,
    new_email,
    new_tenant,
    otp_login,
    refresh_jwt,
    server_error,
    uid,
)


def domain() -> str:
    return f"acme-{uid()}.test"


async def load(c, tenant_id) -> dict:
    return await c.mgmt.tenant.load(tenant_id)


def test_create_with_all_fields_then_load(sdk, server):
    async def scenario(c):
        name, dom = f"Full {uid()}", domain()
        tenant_id = (await c.mgmt.tenant.create(name, self_provisioning_domains=[dom],
                                                custom_attributes={"region": "eu", "seats": 10},
                                                enforce_sso=True, disabled=True))["id"]
        tenant = await load(c, tenant_id)
        assert tenant["id"] == tenant_id and tenant["name"] == name
        assert tenant["selfProvisioningDomains"] == [dom]
        assert tenant["customAttributes"] == {"region": "eu", "seats": 10}
        assert tenant["enforceSSO"] is True and tenant["disabled"] is True
        assert isinstance(tenant["createdTime"], int) and tenant["createdTime"] > 0

    sdk.run(scenario)


def test_create_with_taken_name_is_refused(sdk, server):
    async def scenario(c):
        name = f"Unique {uid()}"
        await new_tenant(c, name)
        with server_error(409) as info:
            await c.mgmt.tenant.create(name)
        assert "name" in info.value.error_message
        assert [t["name"] for t in (await c.mgmt.tenant.load_all())["tenants"]].count(name) == 1

    sdk.run(scenario)


def test_update_overrides(sdk, server):
    async def scenario(c):
        tenant_id = (await c.mgmt.tenant.create(f"Old {uid()}", self_provisioning_domains=[domain()],
                                                custom_attributes={"region": "us"}, enforce_sso=True))["id"]
        new_name, new_domain = f"New {uid()}", domain()
        assert await c.mgmt.tenant.update(tenant_id, new_name, self_provisioning_domains=[new_domain],
                                          custom_attributes={"region": "eu"}, disabled=True) is None
        tenant = await load(c, tenant_id)
        assert tenant["name"] == new_name and tenant["selfProvisioningDomains"] == [new_domain]
        assert tenant["customAttributes"] == {"region": "eu"}
        assert tenant["enforceSSO"] is False, "update overrides: enforceSSO was not given, so it is false"
        assert tenant["disabled"] is True
        await c.mgmt.tenant.update(tenant_id, new_name)
        tenant = await load(c, tenant_id)
        assert tenant["selfProvisioningDomains"] == [] and tenant["disabled"] is False

    sdk.run(scenario)


def test_update_unknown_tenant_is_404(sdk, server):
    async def scenario(c):
        with server_error(404, "E072001"):
            await c.mgmt.tenant.update(f"T-missing-{uid()}", "Nobody")

    sdk.run(scenario)


def test_update_to_a_taken_name_is_refused(sdk, server):
    async def scenario(c):
        taken = f"Taken {uid()}"
        await new_tenant(c, taken)
        own = f"Own {uid()}"
        tenant_id = await new_tenant(c, own)
        with server_error(409) as info:
            await c.mgmt.tenant.update(tenant_id, taken)
        assert "name" in info.value.error_message
        assert (await load(c, tenant_id))["name"] == own

    sdk.run(scenario)


def test_delete_without_cascade_keeps_the_members(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        login_id = new_email()
        await c.mgmt.user.create(login_id, user_tenants=[AssociatedTenant(tenant_id, ["member"])])
        await c.mgmt.tenant.delete(tenant_id)
        user = (await c.mgmt.user.load(login_id))["user"]
        assert user["userTenants"] == [], "the deleted tenant must leave its members' tenant lists"
        with server_error(404, "E072001"):
            await load(c, tenant_id)

    sdk.run(scenario)


def test_delete_with_cascade_deletes_users_only_in_that_tenant(sdk, server):
    async def scenario(c):
        doomed, kept = await new_tenant(c), await new_tenant(c)
        only_here, also_elsewhere = new_email(), new_email()
        await c.mgmt.user.create(only_here, user_tenants=[AssociatedTenant(doomed)])
        await c.mgmt.user.create(also_elsewhere, user_tenants=[AssociatedTenant(doomed), AssociatedTenant(kept)])
        await c.mgmt.tenant.delete(doomed, cascade=True)
        with server_error(404, "E071001"):
            await c.mgmt.user.load(only_here)
        survivor = (await c.mgmt.user.load(also_elsewhere))["user"]
        assert [t["tenantId"] for t in survivor["userTenants"]] == [kept]

    sdk.run(scenario)


def test_delete_unknown_tenant_is_404(sdk, server):
    async def scenario(c):
        with server_error(404, "E072001"):
            await c.mgmt.tenant.delete(f"T-missing-{uid()}", cascade=True)

    sdk.run(scenario)


def test_search_all(sdk, server):
    async def scenario(c):
        tag = uid()
        dom_a, dom_b = domain(), domain()
        a = (await c.mgmt.tenant.create(f"Search A {tag}", self_provisioning_domains=[dom_a],
                                        custom_attributes={"tag": tag, "plan": "pro"}))["id"]
        b = (await c.mgmt.tenant.create(f"Search B {tag}", self_provisioning_domains=[dom_b],
                                        custom_attributes={"tag": tag, "plan": "free"}))["id"]
        await new_tenant(c, f"Search C {uid()}")

        def found(resp):
            return {t["id"] for t in resp["tenants"]}

        assert found(await c.mgmt.tenant.search_all(ids=[a, b])) == {a, b}
        assert found(await c.mgmt.tenant.search_all(names=[f"Search B {tag}"])) == {b}
        assert found(await c.mgmt.tenant.search_all(self_provisioning_domains=[dom_a])) == {a}
        assert found(await c.mgmt.tenant.search_all(custom_attributes={"tag": tag})) == {a, b}
        assert found(await c.mgmt.tenant.search_all(custom_attributes={"tag": tag, "plan": "pro"})) == {a}
        everything = found(await c.mgmt.tenant.search_all())
        assert {a, b} <= everything
        (tenant_a,) = [t for t in (await c.mgmt.tenant.search_all(ids=[a]))["tenants"]]
        assert tenant_a["name"] == f"Search A {tag}" and tenant_a["selfProvisioningDomains"] == [dom_a]

    sdk.run(scenario)


# ---------------------------------------------------------------- settings


def test_settings_round_trip(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        dom = domain()
        assert await c.mgmt.tenant.update_settings(
            tenant_id,
            self_provisioning_domains=[dom],
            enforce_sso=True,
            session_settings_enabled=True,
            refresh_token_expiration=30,
            refresh_token_expiration_unit=SessionExpirationUnit.DAYS.value,
            session_token_expiration=15,
            session_token_expiration_unit=SessionExpirationUnit.MINUTES.value,
            enable_inactivity=True,
            inactivity_time=2,
            inactivity_time_unit=SessionExpirationUnit.HOURS.value,
        ) is None
        settings = await c.mgmt.tenant.load_settings(tenant_id)
        assert settings["selfProvisioningDomains"] == [dom]
        assert settings["enabled"] is True
        assert (settings["refreshTokenExpiration"], settings["refreshTokenExpirationUnit"]) == (30, "days")
        assert (settings["sessionTokenExpiration"], settings["sessionTokenExpirationUnit"]) == (15, "minutes")
        assert settings["enableInactivity"] is True
        assert (settings["inactivityTime"], settings["inactivityTimeUnit"]) == (2, "hours")
        tenant = await load(c, tenant_id)
        assert tenant["selfProvisioningDomains"] == [dom] and tenant["enforceSSO"] is True

    sdk.run(scenario)


def test_update_settings_keeps_what_is_not_given(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        dom = domain()
        await c.mgmt.tenant.update_settings(tenant_id, [dom], session_settings_enabled=True,
                                            session_token_expiration=20,
                                            session_token_expiration_unit=SessionExpirationUnit.MINUTES.value)
        await c.mgmt.tenant.update_settings(tenant_id, [dom], enforce_sso=True)  # nulls are dropped by the SDK
        settings = await c.mgmt.tenant.load_settings(tenant_id)
        assert (settings["enabled"], settings["sessionTokenExpiration"]) == (True, 20)
        assert (await load(c, tenant_id))["enforceSSO"] is True

    sdk.run(scenario)


def test_settings_of_unknown_tenant_are_404(sdk, server):
    async def scenario(c):
        missing = f"T-missing-{uid()}"
        with server_error(404, "E072001"):
            await c.mgmt.tenant.load_settings(missing)
        with server_error(404, "E072001"):
            await c.mgmt.tenant.update_settings(missing, [domain()])

    sdk.run(scenario)


def test_invalid_session_unit_is_refused(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        with server_error(400, "E011003") as info:
            await c.mgmt.tenant.update_settings(tenant_id, [], session_settings_enabled=True,
                                                session_token_expiration=3,
                                                session_token_expiration_unit="fortnights")
        assert "sessionTokenExpirationUnit" in info.value.error_message

    sdk.run(scenario)


def test_self_provisioning_domain_adds_new_users_to_the_tenant(sdk, server):
    async def scenario(c):
        dom = domain()
        tenant_id = (await c.mgmt.tenant.create(f"SelfProv {uid()}", self_provisioning_domains=[dom]))["id"]
        login_id = f"newcomer-{uid()}@{dom}"
        resp = await otp_login(c, server, login_id)
        assert tenant_id in resp["tenants"], f"the session JWT does not list the tenant: {resp['tenants']}"
        user = (await c.mgmt.user.load(login_id))["user"]
        assert tenant_id in [t["tenantId"] for t in user["userTenants"]]
        outsider = await otp_login(c, server, new_email())
        assert tenant_id not in outsider["tenants"]

    sdk.run(scenario)


def test_tenant_session_lifetime_applies_in_that_tenant(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        await c.mgmt.tenant.update_settings(tenant_id, [], session_settings_enabled=True,
                                            session_token_expiration=3,
                                            session_token_expiration_unit=SessionExpirationUnit.MINUTES.value)
        login_id = new_email()
        await c.mgmt.user.create(login_id, user_tenants=[AssociatedTenant(tenant_id)])
        resp = await otp_login(c, server, login_id)
        selected = await c.select_tenant(tenant_id, refresh_jwt(resp))
        session = selected[SESSION_TOKEN_NAME]
        assert session.get("dct") == tenant_id, session
        lifetime = session["exp"] - session["iat"]
        assert 170 <= lifetime <= 190, f"tenant session lifetime is 3 minutes, the JWT lives {lifetime}s"
        check_session_claims(server, await c.validate_session(session["jwt"]), resp["userId"])
        assert session["exp"] > time.time()

    sdk.run(scenario)
