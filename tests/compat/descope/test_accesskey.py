"""Access keys: mgmt create, then exchange for a session JWT."""
from descope_compat import server_error, uid, unwrap


async def create_key(c, **kwargs) -> tuple[dict, str]:
    name = f"key-{uid()}"
    created = await c.mgmt.access_key.create(name, **kwargs)
    key, cleartext = created["key"], created["cleartext"]
    assert key["id"] and key["name"] == name, created
    assert cleartext and ":" not in cleartext, "the Authorization bearer is split on ':'"
    return key, cleartext


def test_exchange_access_key(sdk, server):
    async def scenario(c):
        key, cleartext = await create_key(c, description="ci robot")
        assert key["description"] == "ci robot"
        resp = await c.exchange_access_key(cleartext)
        assert resp["keyId"] == key["id"] and resp["sessionToken"]["sub"] == key["id"]
        assert resp["projectId"] == server.project_id
        claims = await c.validate_session(resp["sessionToken"]["jwt"])
        assert claims["sub"] == key["id"] and claims["projectId"] == server.project_id

    sdk.run(scenario)


def test_exchange_carries_the_key_roles(sdk, server):
    async def scenario(c):
        _, cleartext = await create_key(c, role_names=["robot"])
        resp = await c.exchange_access_key(cleartext)
        assert unwrap(c).validate_roles(resp, ["robot"])
        assert not unwrap(c).validate_roles(resp, ["admin"])

    sdk.run(scenario)


def test_wrong_access_key_is_refused(sdk, server):
    async def scenario(c):
        _, cleartext = await create_key(c)
        for wrong in ("not-an-access-key", cleartext[:-2] + ("xx" if not cleartext.endswith("xx") else "yy")):
            with server_error(401, "E064002"):
                await c.exchange_access_key(wrong)

    sdk.run(scenario)
