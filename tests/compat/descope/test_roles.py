"""RBAC: validate_roles / validate_tenant_roles on logins of users created with roleNames / userTenants roles."""
from descope import AssociatedTenant

from descope_compat import EMAIL, check_login, new_email, new_tenant, unwrap


async def login_as_new_user(c, server, **create_kwargs) -> dict:
    """Create a test user through mgmt and log it in with a generated OTP."""
    login_id = new_email()
    await c.mgmt.user.create_test_user(login_id, **create_kwargs)
    code = (await c.mgmt.user.generate_otp_for_test_user(EMAIL, login_id))["code"]
    resp = await c.otp.verify_code(EMAIL, login_id, code)
    await check_login(c, server, resp, login_id)
    return resp


def test_project_roles(sdk, server):
    async def scenario(c):
        resp = await login_as_new_user(c, server, role_names=["admin", "viewer"])
        client = unwrap(c)
        assert client.validate_roles(resp, ["admin"]) and client.validate_roles(resp, ["admin", "viewer"])
        assert not client.validate_roles(resp, ["owner"])
        assert not client.validate_roles(resp, ["admin", "owner"])
        # the claims of the validated session carry the same roles
        claims = await c.validate_session(resp["sessionToken"]["jwt"])
        assert client.validate_roles(claims, ["admin", "viewer"])
        assert client.get_matched_roles(claims, ["viewer", "owner"]) == ["viewer"]

    sdk.run(scenario)


def test_tenant_roles(sdk, server):
    async def scenario(c):
        tenant_a, tenant_b, unrelated = await new_tenant(c), await new_tenant(c), await new_tenant(c)
        resp = await login_as_new_user(
            c, server, user_tenants=[AssociatedTenant(tenant_a, ["editor"]), AssociatedTenant(tenant_b, ["reader"])]
        )
        client = unwrap(c)
        assert client.validate_tenant_roles(resp, tenant_a, ["editor"])
        assert client.validate_tenant_roles(resp, tenant_b, ["reader"])
        assert not client.validate_tenant_roles(resp, tenant_a, ["reader"])
        assert not client.validate_tenant_roles(resp, unrelated, ["editor"])
        assert not client.validate_roles(resp, ["editor"]), "tenant roles must not leak into project roles"
        claims = await c.validate_session(resp["sessionToken"]["jwt"])
        assert client.validate_tenant_roles(claims, tenant_a, ["editor"])

    sdk.run(scenario)
