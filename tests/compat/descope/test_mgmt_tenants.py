"""Management: tenants (create with and without id, load, load_all, delete)."""
from descope_compat import new_tenant, server_error, uid


def test_create_without_id_generates_one(sdk, server):
    async def scenario(c):
        name = f"Generated {uid()}"
        tenant_id = await new_tenant(c, name)
        tenant = await c.mgmt.tenant.load(tenant_id)
        assert tenant["id"] == tenant_id and tenant["name"] == name

    sdk.run(scenario)


def test_create_with_id(sdk, server):
    async def scenario(c):
        wanted, name = f"T{uid()}", f"Chosen {uid()}"
        assert await new_tenant(c, name, wanted) == wanted
        tenant = await c.mgmt.tenant.load(wanted)
        assert tenant["id"] == wanted and tenant["name"] == name

    sdk.run(scenario)


def test_create_with_taken_id_is_refused(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c, tenant_id=f"T{uid()}")
        with server_error(409, "E072002"):
            await c.mgmt.tenant.create(f"Other {uid()}", id=tenant_id)

    sdk.run(scenario)


def test_load_all(sdk, server):
    async def scenario(c):
        names = {await new_tenant(c, name): name for name in (f"All {uid()}", f"All {uid()}")}
        listed = {t["id"]: t["name"] for t in (await c.mgmt.tenant.load_all())["tenants"]}
        assert names.items() <= listed.items()

    sdk.run(scenario)


def test_delete(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        assert await c.mgmt.tenant.delete(tenant_id) is None
        with server_error(404, "E072001"):
            await c.mgmt.tenant.load(tenant_id)
        assert tenant_id not in {t["id"] for t in (await c.mgmt.tenant.load_all())["tenants"]}

    sdk.run(scenario)
