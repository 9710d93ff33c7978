"""Management: user search (`search_all`, `search_all_test_users`) with filters and paging.

SDK facts (descope==2.16.0): there is no v1 user search any more. `search_all` posts to **`/v2/mgmt/user/search`**
and `search_all_test_users` to `/v2/mgmt/user/search/test`; both return the body, `{"users": [...]}`.
The body always carries `tenantIds` and `roleNames` (lists, `[]` when not filtering), `limit` and `page`
(0 = default page size, pages start at 0), `testUsersOnly` and `withTestUser`; the other filters (`statuses`,
`emails`, `phones`, `customAttributes`, `loginIds`, `userIds`, `text`, `sort`, ...) appear only when given.
Test users are left out unless `withTestUser` (or `testUsersOnly`) is true.

Every search here is narrowed by something unique to the test (a fresh tenant, role, token or attribute), so the
tests can share the server; the default-search test uses a server of its own.
"""
from descope import AssociatedTenant

from descope_compat import new_email, new_phone, new_tenant, uid


async def create(c, test: bool = False, **kwargs) -> dict:
    login_id = kwargs.pop("login_id", None) or new_email()
    make = c.mgmt.user.create_test_user if test else c.mgmt.user.create
    user = (await make(login_id, **kwargs))["user"]
    assert user["userId"], user
    return user


def ids(resp: dict) -> set[str]:
    users = resp["users"]
    found = [u["userId"] for u in users]
    assert len(found) == len(set(found)), f"a user is listed twice: {found}"
    return set(found)


def test_search_by_tenant_and_test_user_flags(sdk, server):
    async def scenario(c):
        tenant_id, other_tenant = await new_tenant(c), await new_tenant(c)
        member = [AssociatedTenant(tenant_id)]
        regular = {(await create(c, user_tenants=member))["userId"] for _ in range(2)}
        tester = (await create(c, test=True, user_tenants=member))["userId"]
        elsewhere = (await create(c, user_tenants=[AssociatedTenant(other_tenant)]))["userId"]

        assert ids(await c.mgmt.user.search_all(tenant_ids=[tenant_id])) == regular
        assert ids(await c.mgmt.user.search_all(tenant_ids=[tenant_id], with_test_user=True)) == regular | {tester}
        assert ids(await c.mgmt.user.search_all(tenant_ids=[tenant_id], test_users_only=True)) == {tester}
        assert ids(await c.mgmt.user.search_all_test_users(tenant_ids=[tenant_id])) == {tester}
        assert ids(await c.mgmt.user.search_all(tenant_ids=[tenant_id, other_tenant])) == regular | {elsewhere}

    sdk.run(scenario)


def test_search_result_carries_the_full_user(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        login_id = new_email()
        created = await create(c, login_id=login_id, email=login_id, display_name="Found Me",
                               user_tenants=[AssociatedTenant(tenant_id)])
        (found,) = (await c.mgmt.user.search_all(tenant_ids=[tenant_id]))["users"]
        assert found["userId"] == created["userId"] and found["loginIds"] == [login_id]
        assert found["email"] == login_id and found["name"] == "Found Me" and found["status"] == created["status"]
        assert [t["tenantId"] for t in found["userTenants"]] == [tenant_id]

    sdk.run(scenario)


def test_search_by_role(sdk, server):
    async def scenario(c):
        role, other_role = f"srch-{uid()}", f"srch-{uid()}"
        for name in (role, other_role):
            await c.mgmt.role.create(name)
        tenant_id = await new_tenant(c)
        holders = {(await create(c, role_names=[role]))["userId"] for _ in range(2)}
        both = (await create(c, role_names=[role, other_role]))["userId"]
        await create(c, role_names=[other_role])
        await create(c, user_tenants=[AssociatedTenant(tenant_id, [other_role])])

        assert ids(await c.mgmt.user.search_all(role_names=[role])) == holders | {both}
        found_other = ids(await c.mgmt.user.search_all(role_names=[other_role]))
        assert both in found_other and not (holders & found_other)

    sdk.run(scenario)


def test_search_by_status(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        member = [AssociatedTenant(tenant_id)]
        invited = await create(c, user_tenants=member)
        enabled = await create(c, user_tenants=member)
        disabled = await create(c, user_tenants=member)
        await c.mgmt.user.activate(enabled["loginIds"][0])
        await c.mgmt.user.deactivate(disabled["loginIds"][0])

        def search(statuses):
            return c.mgmt.user.search_all(tenant_ids=[tenant_id], statuses=statuses)

        assert ids(await search(["disabled"])) == {disabled["userId"]}
        assert ids(await search(["enabled"])) == {enabled["userId"]}
        assert ids(await search(["invited", "enabled"])) == {invited["userId"], enabled["userId"]}
        assert ids(await search(["expired"])) == set()

    sdk.run(scenario)


def test_search_by_text(sdk, server):
    async def scenario(c):
        token = f"zq{uid()}"
        by_name = await create(c, display_name=f"Person {token} Smith")
        by_email_login = f"{token}-mail@example.com"
        by_email = await create(c, login_id=by_email_login, email=by_email_login)
        await create(c, display_name="Person Unrelated")
        assert ids(await c.mgmt.user.search_all(text=token)) == {by_name["userId"], by_email["userId"]}

    sdk.run(scenario)


def test_search_by_custom_attributes(sdk, server):
    async def scenario(c):
        cohort = f"cohort-{uid()}"
        matching = {(await create(c, custom_attributes={"cohort": cohort, "tier": i}))["userId"] for i in range(2)}
        await create(c, custom_attributes={"cohort": f"cohort-{uid()}"})
        assert ids(await c.mgmt.user.search_all(custom_attributes={"cohort": cohort})) == matching
        one = ids(await c.mgmt.user.search_all(custom_attributes={"cohort": cohort, "tier": 1}))
        assert len(one) == 1 and one <= matching

    sdk.run(scenario)


def test_search_by_emails_phones_login_ids_and_user_ids(sdk, server):
    async def scenario(c):
        a_login, b_login, phone = new_email(), new_email(), new_phone()
        a = await create(c, login_id=a_login, email=a_login)
        b = await create(c, login_id=b_login, email=b_login, phone=phone)
        assert ids(await c.mgmt.user.search_all(emails=[a_login])) == {a["userId"]}
        assert ids(await c.mgmt.user.search_all(phones=[phone])) == {b["userId"]}
        assert ids(await c.mgmt.user.search_all(login_ids=[a_login, b_login])) == {a["userId"], b["userId"]}
        assert ids(await c.mgmt.user.search_all(user_ids=[b["userId"]])) == {b["userId"]}

    sdk.run(scenario)


def test_search_paging(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        everyone = {(await create(c, user_tenants=[AssociatedTenant(tenant_id)]))["userId"] for _ in range(5)}
        pages = [ids(await c.mgmt.user.search_all(tenant_ids=[tenant_id], limit=2, page=p)) for p in range(4)]
        assert [len(p) for p in pages] == [2, 2, 1, 0], pages
        assert set().union(*pages) == everyone, "the pages must cover every user exactly once"
        assert ids(await c.mgmt.user.search_all(tenant_ids=[tenant_id], limit=0)) == everyone, "limit 0 = default size"
        assert ids(await c.mgmt.user.search_all(tenant_ids=[tenant_id], limit=10, page=0)) == everyone

    sdk.run(scenario)


def test_default_search_leaves_test_users_out(sdk, make_server):
    srv = make_server()

    async def scenario(c):
        regular = {(await create(c))["userId"] for _ in range(2)}
        tester = (await create(c, test=True))["userId"]
        assert ids(await c.mgmt.user.search_all()) == regular
        assert ids(await c.mgmt.user.search_all(with_test_user=True)) == regular | {tester}
        assert ids(await c.mgmt.user.search_all_test_users()) == {tester}

    sdk.run(scenario, server=srv)


def test_deleted_users_are_not_found(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        kept = await create(c, user_tenants=[AssociatedTenant(tenant_id)])
        gone = await create(c, user_tenants=[AssociatedTenant(tenant_id)])
        await c.mgmt.user.delete(gone["loginIds"][0])
        assert ids(await c.mgmt.user.search_all(tenant_ids=[tenant_id])) == {kept["userId"]}

    sdk.run(scenario)
