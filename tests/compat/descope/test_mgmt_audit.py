"""Management: the audit trail (`mgmt.audit.search`, `mgmt.audit.create_event`).

Sign-ins, failed sign-ins, refreshes, logouts and management changes are recorded; search filters by user ids,
actions, tenants and time range; `create_event` records an application event that search then finds.

Action names (Latchkey uses Descope's): LoginSucceed, LoginFailed, RefreshToken, Logout, UserCreated,
UserModified, UserDeleted, TenantCreated, TenantModified, TenantDeleted.

SDK facts (descope==2.16.0):
- `search` posts to `/v1/mgmt/audit/search` a body with `noTenants` (always) plus only the given filters:
  `userIds`, `actions`, `excludedActions`, `devices`, `methods`, `geos`, `remoteAddresses`, `externalIds`
  (the `login_ids` argument), `tenants`, `text`, `from` / `to` (**unix milliseconds**, from aware datetimes).
- The server answers `{"audits": [...]}`; the SDK rebuilds every record: `occurred` must be unix **milliseconds**
  (number or numeric string — the SDK does `float(occurred) / 1000`) and becomes a naive UTC datetime;
  `externalIds` (the user's login ids) is renamed `loginIds`; `projectId`, `userId`, `action`, `device`, `method`,
  `geo`, `remoteAddress`, `tenants`, `data` are copied with defaults.
- `create_event(action, type, actor_id, tenant_id, user_id=None, data=None)` posts `{"action", "type", "actorId",
  "tenantId"[, "userId", "data"]}` to `/v1/mgmt/audit/event` and returns None; `type` is info, warn or error.
"""
from datetime import datetime, timedelta, timezone

from descope_compat import (
    new_email,
    new_tenant,
    otp_login,
    refresh_jwt,
    server_error,
    strong_password,
    uid,
)

UTC = timezone.utc


def now() -> datetime:
    return datetime.now(UTC)


def occurred(record: dict) -> datetime:
    return record["occurred"].replace(tzinfo=UTC)


def assert_within(record: dict, start: datetime, end: datetime) -> None:
    at = occurred(record)
    assert start - timedelta(seconds=5) <= at <= end + timedelta(seconds=5), (
        f"{record['action']} occurred at {at}, outside [{start}, {end}]: `occurred` must be unix milliseconds")


async def actions_of(c, user_id: str, **filters) -> list[str]:
    return [a["action"] for a in (await c.mgmt.audit.search(user_ids=[user_id], **filters))["audits"]]


def test_sign_in_refresh_and_logout_are_recorded(sdk, server):
    async def scenario(c):
        start = now()
        login_id = new_email()
        resp = await otp_login(c, server, login_id)
        refreshed = await c.refresh_session(refresh_jwt(resp))
        await c.logout(refresh_jwt(refreshed))
        end = now()

        audits = (await c.mgmt.audit.search(user_ids=[resp["userId"]]))["audits"]
        actions = [a["action"] for a in audits]
        for action in ("LoginSucceed", "RefreshToken", "Logout"):
            assert action in actions, f"{action} not recorded: {actions}"
        for record in audits:
            assert record["userId"] == resp["userId"] and record["projectId"] == server.project_id
            assert_within(record, start, end)
        (login,) = [a for a in audits if a["action"] == "LoginSucceed"]
        assert login_id in login["loginIds"], f"externalIds must carry the login id: {login}"
        assert login["remoteAddress"] == "127.0.0.1", login

    sdk.run(scenario)


def test_failed_sign_in_is_recorded(sdk, server):
    async def scenario(c):
        login_id, password = new_email(), strong_password()
        signed_up = await c.password.sign_up(login_id, password)
        with server_error(401, "E063001"):
            await c.password.sign_in(login_id, password + "-wrong")
        failures = (await c.mgmt.audit.search(user_ids=[signed_up["userId"]], actions=["LoginFailed"]))["audits"]
        assert len(failures) == 1 and failures[0]["action"] == "LoginFailed", failures
        assert failures[0]["userId"] == signed_up["userId"]

    sdk.run(scenario)


def test_filter_by_action(sdk, server):
    async def scenario(c):
        login_id = new_email()
        first = await otp_login(c, server, login_id)
        await otp_login(c, server, login_id)
        await c.refresh_session(refresh_jwt(first))
        assert await actions_of(c, first["userId"], actions=["LoginSucceed"]) == ["LoginSucceed"] * 2
        assert await actions_of(c, first["userId"], actions=["RefreshToken"]) == ["RefreshToken"]
        rest = await actions_of(c, first["userId"], excluded_actions=["LoginSucceed"])
        assert "LoginSucceed" not in rest and "RefreshToken" in rest

    sdk.run(scenario)


def test_filter_by_time_range(sdk, server):
    async def scenario(c):
        before = now() - timedelta(seconds=30)
        resp = await otp_login(c, server)
        after = now() + timedelta(seconds=30)
        user_id = resp["userId"]
        assert "LoginSucceed" in await actions_of(c, user_id, from_ts=before, to_ts=after)
        assert await actions_of(c, user_id, from_ts=after) == [], "from_ts after the event must leave it out"
        assert await actions_of(c, user_id, to_ts=before) == [], "to_ts before the event must leave it out"

    sdk.run(scenario)


def test_filter_by_login_id(sdk, server):
    async def scenario(c):
        login_id = new_email()
        resp = await otp_login(c, server, login_id)
        await otp_login(c, server)  # someone else
        found = (await c.mgmt.audit.search(login_ids=[login_id], actions=["LoginSucceed"]))["audits"]
        assert [a["userId"] for a in found] == [resp["userId"]]

    sdk.run(scenario)


def test_user_management_changes_are_recorded(sdk, server):
    async def scenario(c):
        start = now()
        login_id = new_email()
        user = (await c.mgmt.user.create(login_id))["user"]
        await c.mgmt.user.update_display_name(login_id, "Audited")
        await c.mgmt.user.delete(login_id)
        end = now()
        audits = (await c.mgmt.audit.search(user_ids=[user["userId"]]))["audits"]
        actions = [a["action"] for a in audits]
        for action in ("UserCreated", "UserModified", "UserDeleted"):
            assert action in actions, f"{action} not recorded: {actions}"
        for record in audits:
            assert_within(record, start, end)

    sdk.run(scenario)


def test_tenant_management_changes_are_recorded(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        await c.mgmt.tenant.update(tenant_id, f"Renamed {uid()}")
        await c.mgmt.tenant.delete(tenant_id)
        by_tenant = (await c.mgmt.audit.search(tenants=[tenant_id]))["audits"]
        actions = [a["action"] for a in by_tenant]
        assert {"TenantCreated", "TenantModified", "TenantDeleted"} <= set(actions), actions
        for record in by_tenant:
            assert record["tenants"] == [tenant_id], record
        modified = (await c.mgmt.audit.search(tenants=[tenant_id], actions=["TenantModified"]))["audits"]
        assert [a["action"] for a in modified] == ["TenantModified"]

    sdk.run(scenario)


def test_create_event_then_search_finds_it(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        user = (await c.mgmt.user.create(new_email()))["user"]
        action = f"OrderPlaced-{uid()}"
        start = now()
        assert await c.mgmt.audit.create_event(action, "info", "checkout-service", tenant_id,
                                               user_id=user["userId"], data={"orderId": "o-17", "total": 42}) is None
        (record,) = (await c.mgmt.audit.search(actions=[action]))["audits"]
        assert record["action"] == action and record["userId"] == user["userId"]
        assert record["tenants"] == [tenant_id] and record["data"] == {"orderId": "o-17", "total": 42}
        assert record["projectId"] == server.project_id
        assert_within(record, start, now())
        assert action in [a["action"] for a in (await c.mgmt.audit.search(tenants=[tenant_id]))["audits"]]
        assert action in await actions_of(c, user["userId"])
        assert action in [a["action"] for a in (await c.mgmt.audit.search(text=action))["audits"]]

    sdk.run(scenario)


def test_create_event_without_user(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        action = f"Nightly-{uid()}"
        await c.mgmt.audit.create_event(action, "warn", "cron", tenant_id)
        (record,) = (await c.mgmt.audit.search(actions=[action]))["audits"]
        assert not record["userId"] and record["tenants"] == [tenant_id] and not record["data"], record

    sdk.run(scenario)


def test_create_event_refuses_bad_input(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        action = f"Bad-{uid()}"
        with server_error(400, "E011003") as info:
            await c.mgmt.audit.create_event(action, "catastrophic", "actor", tenant_id)
        assert "type" in info.value.error_message
        with server_error(400, "E011002") as info:
            await c.mgmt.audit.create_event("", "info", "actor", tenant_id)
        assert "action" in info.value.error_message
        with server_error(400, "E011002") as info:
            await c.mgmt.audit.create_event(action, "info", "", tenant_id)
        assert "actorId" in info.value.error_message
        with server_error(404, "E072001"):
            await c.mgmt.audit.create_event(action, "info", "actor", f"T-missing-{uid()}")
        assert (await c.mgmt.audit.search(actions=[action]))["audits"] == []

    sdk.run(scenario)
