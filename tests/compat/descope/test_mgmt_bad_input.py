"""Bad input on every management route family gets a 4xx in the Descope error shape, and changes nothing.

Raw HTTP (the SDK only ever sends well-formed bodies) for: malformed JSON and bodies that are not the right JSON
kind (400 E011001), bodies over 1 MiB (413 E011005), missing or null or blank required fields (400 E011002 naming
the field), strings over 256 characters (400 E011003 naming the field), and values of the wrong JSON type
(400 E011001). Then through the SDK: invalid emails and phones (400 E011003 naming the field) and duplicate login
ids (409 E071002) wherever users are created or renamed. After every refused call the state the route would
have changed is compared with a snapshot taken before it.

Each error body must be `{"errorCode", "errorDescription", "errorMessage"}`. A field is "named" when its wire
name appears in errorMessage (for `displayName`, the message may say `name`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx
import pytest
from descope import UserObj

from descope_compat import new_email, new_phone, server_error, strong_password, uid

TIMEOUT = 30.0
ONE_MIB = 1 << 20
ALIASES = {"displayName": ("displayName", "name")}


# ---------------------------------------------------------------- raw HTTP


def call(srv, method: str, path: str, body: Any = None, content: bytes | str | None = None, params=None,
         bearer: str | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json",
               "Authorization": f"Bearer {bearer or f'{srv.project_id}:{srv.management_key}'}"}
    if content is None and body is not None:
        content = json.dumps(body)
    return httpx.request(method, srv.url + path, headers=headers, content=content, params=params, timeout=TIMEOUT)


def ok(resp: httpx.Response) -> Any:
    assert resp.is_success, f"{resp.request.method} {resp.request.url.path} -> {resp.status_code} {resp.text[:300]}"
    return resp.json() if resp.content else None


def assert_error(resp: httpx.Response, status: int, code: str | None = None, field_name: str | None = None) -> dict:
    where = f"{resp.request.method} {resp.request.url.path}"
    assert resp.status_code == status, f"{where}: expected {status} {code or ''}, got {resp.status_code} {resp.text[:300]}"
    assert resp.content, f"{where}: empty error body"
    body = resp.json()
    assert {"errorCode", "errorDescription", "errorMessage"} <= set(body), f"{where}: not the Descope shape: {body}"
    if code:
        assert body["errorCode"] == code, f"{where}: expected {code}, got {body}"
    if field_name:
        message = body["errorMessage"].lower()
        names = ALIASES.get(field_name, (field_name,))
        assert any(n.lower() in message for n in names), f"{where}: errorMessage does not name {field_name!r}: {body}"
    return body


# ---------------------------------------------------------------- fixtures made over raw HTTP


def make_user(srv, test: bool = False) -> dict:
    login_id = new_email()
    path = "/v1/mgmt/user/create/test" if test else "/v1/mgmt/user/create"
    return ok(call(srv, "POST", path, {"loginId": login_id, "email": login_id, "displayName": "Bad Input"}))["user"]


def make_tenant(srv) -> str:
    return ok(call(srv, "POST", "/v1/mgmt/tenant/create", {"name": f"BI {uid()}", "id": None}))["id"]


def make_role(srv) -> str:
    name = f"bi-role-{uid()}"
    ok(call(srv, "POST", "/v1/mgmt/role/create", {"name": name, "description": "bad input", "permissionNames": [],
                                                  "tenantId": None, "default": None, "private": None}))
    return name


def make_impersonator(srv) -> dict:
    """A user holding the `impersonation` permission (through a role), as mgmt.jwt.impersonate requires."""
    resp = call(srv, "POST", "/v1/mgmt/permission/create", {"name": "impersonation", "description": "impersonate"})
    if resp.status_code != 409:
        ok(resp)
    role = f"bi-support-{uid()}"
    ok(call(srv, "POST", "/v1/mgmt/role/create", {"name": role, "permissionNames": ["impersonation"]}))
    login_id = new_email()
    user = ok(call(srv, "POST", "/v1/mgmt/user/create", {"loginId": login_id, "roleNames": [role]}))["user"]
    return {"login": login_id, "user_id": user["userId"]}


def make_key(srv) -> str:
    return ok(call(srv, "POST", "/v1/mgmt/accesskey/create", {"name": f"bi-key-{uid()}", "expireTime": 0,
                                                              "roleNames": [], "keyTenants": []}))["key"]["id"]


def make_session(srv) -> str:
    """A session JWT for a test user, by generated OTP."""
    login_id = make_user(srv, test=True)["loginIds"][0]
    code = ok(call(srv, "POST", "/v1/mgmt/tests/generate/otp",
                   {"loginId": login_id, "deliveryMethod": "email", "loginOptions": {}}))["code"]
    resp = call(srv, "POST", "/v1/auth/otp/verify/email", {"loginId": login_id, "code": code},
                bearer=srv.project_id)
    return ok(resp)["sessionJwt"]


def get(srv, path: str, **params) -> tuple[int, Any]:
    resp = call(srv, "GET", path, params=params)
    return resp.status_code, resp.json() if resp.content else None


def user_state(srv, login_id: str):
    return get(srv, "/v1/mgmt/user", loginId=login_id)


def names_in(srv, path: str, key: str, method: str = "GET", body=None) -> list[str]:
    resp = call(srv, method, path, body)
    return sorted(x["name"] for x in ok(resp)[key])


def roles_state(srv):
    return sorted(json.dumps(r, sort_keys=True) for r in ok(call(srv, "GET", "/v1/mgmt/role/all"))["roles"])


def audit_count(srv, action: str) -> int:
    return len(ok(call(srv, "POST", "/v1/mgmt/audit/search", {"noTenants": False, "actions": [action]}))["audits"])


# ---------------------------------------------------------------- the route table


@dataclass
class Case:
    id: str
    method: str
    path: str
    setup: Callable[[Any], dict]
    body: Callable[[dict], Any]
    snapshot: Callable[[Any, dict], Any]
    required: tuple[str, ...] = ()
    strings: tuple[str, ...] = ()
    wrong_type: tuple[str, Any] | None = None
    extra: dict = field(default_factory=dict)


def with_user(srv) -> dict:
    user = make_user(srv)
    return {"login": user["loginIds"][0], "user_id": user["userId"]}


def fresh_login(srv) -> dict:
    return {"login": new_email()}


def unchanged_user(srv, ctx):
    return user_state(srv, ctx["login"])


CASES = [
    # users
    Case("user-create", "POST", "/v1/mgmt/user/create", fresh_login,
         lambda x: {"loginId": x["login"], "email": x["login"], "displayName": "Bad Input", "roleNames": [],
                    "userTenants": [], "test": False, "invite": False},
         unchanged_user, required=("loginId",), strings=("loginId", "displayName"), wrong_type=("loginId", 12345)),
    Case("user-update", "POST", "/v1/mgmt/user/update", with_user,
         lambda x: {"loginId": x["login"], "email": x["login"], "displayName": "Changed", "roleNames": [],
                    "userTenants": [], "test": False},
         unchanged_user, required=("loginId",), strings=("displayName",), wrong_type=("roleNames", "admin")),
    Case("user-patch", "PATCH", "/v1/mgmt/user/patch", with_user,
         lambda x: {"loginId": x["login"], "displayName": "Patched"},
         unchanged_user, required=("loginId",), strings=("displayName",), wrong_type=("displayName", ["x"])),
    Case("user-update-email", "POST", "/v1/mgmt/user/update/email", with_user,
         lambda x: {"loginId": x["login"], "email": new_email(), "verified": True, "failOnConflict": None},
         unchanged_user, required=("loginId",), strings=("email",), wrong_type=("verified", "yes")),
    Case("user-update-phone", "POST", "/v1/mgmt/user/update/phone", with_user,
         lambda x: {"loginId": x["login"], "phone": new_phone(), "verified": True, "failOnConflict": None},
         unchanged_user, required=("loginId",), wrong_type=("phone", 12025550100)),
    Case("user-update-name", "POST", "/v1/mgmt/user/update/name", with_user,
         lambda x: {"loginId": x["login"], "displayName": "Renamed", "givenName": "Re"},
         unchanged_user, required=("loginId",), strings=("displayName", "givenName"), wrong_type=("givenName", 7)),
    Case("user-update-loginid", "POST", "/v1/mgmt/user/update/loginid", with_user,
         lambda x: {"loginId": x["login"], "newLoginId": new_email()},
         unchanged_user, required=("loginId",), strings=("newLoginId",), wrong_type=("newLoginId", 7)),
    Case("user-update-status", "POST", "/v1/mgmt/user/update/status", with_user,
         lambda x: {"loginId": x["login"], "status": "disabled"},
         unchanged_user, required=("loginId", "status"), wrong_type=("status", False)),
    Case("user-update-custom-attribute", "POST", "/v1/mgmt/user/update/customAttribute", with_user,
         lambda x: {"loginId": x["login"], "attributeKey": "plan", "attributeValue": "gold"},
         unchanged_user, required=("loginId", "attributeKey"), strings=("attributeKey",),
         wrong_type=("attributeKey", 3)),
    Case("user-role-add", "POST", "/v2/mgmt/user/update/role/add",
         lambda srv: {**with_user(srv), "role": make_role(srv)},
         lambda x: {"loginId": x["login"], "roleNames": [x["role"]]},
         unchanged_user, required=("loginId",), wrong_type=("roleNames", "admin")),
    Case("user-tenant-add", "POST", "/v1/mgmt/user/update/tenant/add",
         lambda srv: {**with_user(srv), "tenant": make_tenant(srv)},
         lambda x: {"loginId": x["login"], "tenantId": x["tenant"]},
         unchanged_user, required=("loginId", "tenantId"), wrong_type=("tenantId", 1)),
    Case("user-password-active", "POST", "/v1/mgmt/user/password/set/active", with_user,
         lambda x: {"loginId": x["login"], "password": strong_password(), "setActive": True},
         unchanged_user, required=("loginId", "password"), wrong_type=("password", 123456789)),
    Case("user-logout", "POST", "/v1/mgmt/user/logout", with_user,
         lambda x: {"loginId": x["login"]}, unchanged_user, required=("loginId",), wrong_type=("loginId", 1)),
    Case("user-create-batch", "POST", "/v1/mgmt/user/create/batch", fresh_login,
         lambda x: {"users": [{"loginId": x["login"], "email": x["login"], "roleNames": [], "userTenants": []}],
                    "invite": False},
         unchanged_user, required=("users",), wrong_type=("users", {"loginId": "x"})),
    Case("user-search", "POST", "/v2/mgmt/user/search", lambda srv: {},
         lambda x: {"tenantIds": [], "roleNames": [], "limit": 0, "page": 0, "testUsersOnly": False,
                    "withTestUser": False},
         lambda srv, x: None, wrong_type=("limit", "ten")),
    Case("user-history", "POST", "/v1/mgmt/user/history", with_user,
         lambda x: [x["user_id"]], unchanged_user, extra={"kind": "array"}),
    # tenants
    Case("tenant-create", "POST", "/v1/mgmt/tenant/create", lambda srv: {"name": f"BI new {uid()}"},
         lambda x: {"name": x["name"], "id": None, "selfProvisioningDomains": [], "enforceSSO": False,
                    "disabled": False},
         lambda srv, x: names_in(srv, "/v1/mgmt/tenant/all", "tenants"),
         required=("name",), strings=("name", "id"), wrong_type=("selfProvisioningDomains", "acme.test")),
    Case("tenant-update", "POST", "/v1/mgmt/tenant/update", lambda srv: {"tenant": make_tenant(srv)},
         lambda x: {"name": f"BI renamed {uid()}", "id": x["tenant"], "selfProvisioningDomains": [],
                    "enforceSSO": False, "disabled": False},
         lambda srv, x: get(srv, "/v1/mgmt/tenant", id=x["tenant"]),
         required=("id", "name"), strings=("name",), wrong_type=("enforceSSO", "yes")),
    Case("tenant-settings", "POST", "/v1/mgmt/tenant/settings", lambda srv: {"tenant": make_tenant(srv)},
         lambda x: {"tenantId": x["tenant"], "selfProvisioningDomains": [f"bi-{uid()}.test"], "enabled": True,
                    "sessionTokenExpiration": 5, "sessionTokenExpirationUnit": "minutes"},
         lambda srv, x: (get(srv, "/v1/mgmt/tenant/settings", id=x["tenant"]), get(srv, "/v1/mgmt/tenant", id=x["tenant"])),
         required=("tenantId",), wrong_type=("sessionTokenExpiration", "five")),
    # roles and permissions
    Case("permission-create", "POST", "/v1/mgmt/permission/create", lambda srv: {"name": f"bi-perm-{uid()}"},
         lambda x: {"name": x["name"], "description": "bad input"},
         lambda srv, x: names_in(srv, "/v1/mgmt/permission/all", "permissions"),
         required=("name",), strings=("name",), wrong_type=("name", ["p"])),
    Case("role-create", "POST", "/v1/mgmt/role/create", lambda srv: {"name": f"bi-role-{uid()}"},
         lambda x: {"name": x["name"], "description": "bad input", "permissionNames": [], "tenantId": None,
                    "default": None, "private": None},
         lambda srv, x: roles_state(srv), required=("name",), strings=("name",),
         wrong_type=("permissionNames", "read")),
    Case("role-update", "POST", "/v1/mgmt/role/update", lambda srv: {"role": make_role(srv)},
         lambda x: {"name": x["role"], "newName": f"bi-role-{uid()}", "description": "x", "permissionNames": [],
                    "tenantId": None, "default": None, "private": None},
         lambda srv, x: roles_state(srv), required=("name", "newName"), strings=("newName",),
         wrong_type=("newName", 5)),
    # access keys
    Case("accesskey-create", "POST", "/v1/mgmt/accesskey/create", lambda srv: {"name": f"bi-key-{uid()}"},
         lambda x: {"name": x["name"], "expireTime": 0, "roleNames": [], "keyTenants": [], "userId": None,
                    "customClaims": None, "description": None, "permittedIps": None, "customAttributes": None},
         lambda srv, x: names_in(srv, "/v1/mgmt/accesskey/search", "keys", "POST", {"tenantIds": []}),
         required=("name",), strings=("name",), wrong_type=("expireTime", "never")),
    Case("accesskey-update", "POST", "/v1/mgmt/accesskey/update", lambda srv: {"key": make_key(srv)},
         lambda x: {"id": x["key"], "name": f"bi-renamed-{uid()}", "description": "changed"},
         lambda srv, x: get(srv, "/v1/mgmt/accesskey", id=x["key"]),
         required=("id", "name"), strings=("name",), wrong_type=("permittedIps", "127.0.0.1")),
    # JWT routes
    Case("jwt-update", "POST", "/v1/mgmt/jwt/update", lambda srv: {"jwt": make_session(srv)},
         lambda x: {"jwt": x["jwt"], "customClaims": {"plan": "gold"}, "refreshDuration": 0},
         lambda srv, x: None, required=("jwt",), wrong_type=("customClaims", "plan=gold")),
    Case("mgmt-sign-in", "POST", "/v1/mgmt/auth/signin", with_user,
         lambda x: {"loginId": x["login"], "stepup": False, "mfa": False, "revokeOtherSessions": None,
                    "customClaims": None, "jwt": None, "refreshDuration": None},
         unchanged_user, required=("loginId",), wrong_type=("customClaims", [1])),
    Case("impersonate", "POST", "/v1/mgmt/impersonate",
         lambda srv: {"target": with_user(srv), "by": make_impersonator(srv)},
         lambda x: {"loginId": x["target"]["login"], "impersonatorId": x["by"]["user_id"], "validateConsent": False,
                    "customClaims": None, "selectedTenant": None, "refreshDuration": None, "stepup": None},
         lambda srv, x: None, required=("loginId", "impersonatorId"), wrong_type=("validateConsent", "no")),
    # audit
    Case("audit-event", "POST", "/v1/mgmt/audit/event",
         lambda srv: {"tenant": make_tenant(srv), "action": f"BadInput-{uid()}"},
         lambda x: {"action": x["action"], "type": "info", "actorId": "bad-input", "tenantId": x["tenant"]},
         lambda srv, x: audit_count(srv, x["action"]),
         required=("action", "type", "actorId", "tenantId"), strings=("action", "actorId"), wrong_type=("data", "x")),
    Case("audit-search", "POST", "/v1/mgmt/audit/search", lambda srv: {},
         lambda x: {"noTenants": False}, lambda srv, x: None, wrong_type=("userIds", "U1")),
]

BY_ID = {c.id: c for c in CASES}


def prepared(srv, case: Case) -> tuple[dict, Any, Any]:
    ctx = case.setup(srv)
    body = case.body(ctx)
    return ctx, body, case.snapshot(srv, ctx)


def send(srv, case: Case, body=None, content=None) -> httpx.Response:
    return call(srv, case.method, case.path, body=body, content=content)


def still(srv, case: Case, ctx: dict, before: Any) -> None:
    assert case.snapshot(srv, ctx) == before, f"{case.id}: a refused call changed the state"


def overlong(field_name: str) -> str:
    if field_name in ("loginId", "newLoginId", "email"):
        return "a" * 250 + "@example.com"
    return "x" * 257


# ---------------------------------------------------------------- generic sweeps


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_valid_body_is_accepted(server, case):
    """The table's bodies are right: sent as they are, every route answers 2xx (so the refusals below are real)."""
    _, body, _ = prepared(server, case)
    ok(send(server, case, body))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.parametrize("content", ['{"loginId": ', "{'single': 'quotes'}", "not json at all", '{"a": 1,}'],
                         ids=["truncated", "single-quotes", "text", "trailing-comma"])
def test_malformed_json(server, case, content):
    ctx, _, before = prepared(server, case)
    assert_error(send(server, case, content=content), 400, "E011001")
    still(server, case, ctx, before)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_wrong_kind_of_json(server, case):
    ctx, body, before = prepared(server, case)
    wrong = {"userIds": body} if case.extra.get("kind") == "array" else [body]
    assert_error(send(server, case, wrong), 400, "E011001")
    assert_error(send(server, case, content="null"), 400)
    still(server, case, ctx, before)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_oversized_body(server, case):
    ctx, body, before = prepared(server, case)
    if case.extra.get("kind") == "array":
        big = body + ["U" * 1000] * (ONE_MIB // 1000 + 10)
    else:
        big = {**body, "padding": "x" * (ONE_MIB + 16)}
    assert_error(send(server, case, big), 413, "E011005")
    still(server, case, ctx, before)


REQUIRED = [(c, f) for c in CASES for f in c.required]


@pytest.mark.parametrize("case,field_name", REQUIRED, ids=[f"{c.id}-{f}" for c, f in REQUIRED])
def test_missing_required_field(server, case, field_name):
    ctx, body, before = prepared(server, case)
    without = {k: v for k, v in body.items() if k != field_name}
    variants = [without, {**body, field_name: None}]
    if isinstance(body[field_name], str):
        variants.append({**body, field_name: ""})  # empty counts as missing
    for variant in variants:
        assert_error(send(server, case, variant), 400, "E011002", field_name)
    still(server, case, ctx, before)


STRINGS = [(c, f) for c in CASES for f in c.strings]


@pytest.mark.parametrize("case,field_name", STRINGS, ids=[f"{c.id}-{f}" for c, f in STRINGS])
def test_overlong_string(server, case, field_name):
    ctx, body, before = prepared(server, case)
    assert_error(send(server, case, {**body, field_name: overlong(field_name)}), 400, "E011003", field_name)
    still(server, case, ctx, before)


TYPED = [c for c in CASES if c.wrong_type]


@pytest.mark.parametrize("case", TYPED, ids=[c.id for c in TYPED])
def test_wrong_json_type(server, case):
    ctx, body, before = prepared(server, case)
    name, value = case.wrong_type
    assert_error(send(server, case, {**body, name: value}), 400, "E011001")
    still(server, case, ctx, before)


def test_history_with_non_string_ids(server):
    case = BY_ID["user-history"]
    ctx, body, before = prepared(server, case)
    assert_error(send(server, case, [1, 2]), 400, "E011001")
    still(server, case, ctx, before)


def test_unknown_field_values_name_the_field(server):
    """Values the schema allows but the route does not: an unknown status, a bad session unit."""
    case = BY_ID["user-update-status"]
    ctx, body, before = prepared(server, case)
    assert_error(send(server, case, {**body, "status": "sleeping"}), 400, "E011003", "status")
    still(server, case, ctx, before)
    case = BY_ID["tenant-settings"]
    ctx, body, before = prepared(server, case)
    assert_error(send(server, case, {**body, "sessionTokenExpirationUnit": "fortnights"}), 400, "E011003",
                 "sessionTokenExpirationUnit")
    assert_error(send(server, case, {**body, "sessionTokenExpiration": -5}), 400, "E011003", "sessionTokenExpiration")
    still(server, case, ctx, before)


# ---------------------------------------------------------------- invalid emails and phones (through the SDK)

BAD_EMAILS = ["not-an-email", "a@", "@example.com", "a b@example.com"]
BAD_PHONES = ["12", "phone", "+1-202-abc-0100"]


def test_invalid_email_is_refused_everywhere(sdk, server):
    async def scenario(c):
        existing = (await c.mgmt.user.create(new_email()))["user"]
        login_id = existing["loginIds"][0]
        for bad in BAD_EMAILS:
            fresh = new_email()
            for attempt in (
                lambda: c.mgmt.user.create(fresh, email=bad),
                lambda: c.mgmt.user.create_test_user(fresh, email=bad),
                lambda: c.mgmt.user.invite(fresh, email=bad),
                lambda: c.mgmt.user.update(login_id, email=bad),
                lambda: c.mgmt.user.patch(login_id, email=bad),
                lambda: c.mgmt.user.update_email(login_id, bad, True),
            ):
                with server_error(400, "E011003") as info:
                    await attempt()
                assert "email" in info.value.error_message, info.value
            with server_error(404, "E071001"):
                await c.mgmt.user.load(fresh)
            resp = await c.mgmt.user.invite_batch([UserObj(fresh, email=bad)], send_mail=False)
            assert not resp.get("createdUsers") and len(resp["failedUsers"]) == 1, resp
            assert "email" in resp["failedUsers"][0]["failure"]
        assert (await c.mgmt.user.load(login_id))["user"] == existing

    sdk.run(scenario)


def test_invalid_phone_is_refused_everywhere(sdk, server):
    async def scenario(c):
        existing = (await c.mgmt.user.create(new_email()))["user"]
        login_id = existing["loginIds"][0]
        for bad in BAD_PHONES:
            fresh = new_email()
            for attempt in (
                lambda: c.mgmt.user.create(fresh, phone=bad),
                lambda: c.mgmt.user.update(login_id, email=login_id, phone=bad),
                lambda: c.mgmt.user.patch(login_id, phone=bad),
                lambda: c.mgmt.user.update_phone(login_id, bad, True),
            ):
                with server_error(400, "E011003") as info:
                    await attempt()
                assert "phone" in info.value.error_message, info.value
            with server_error(404, "E071001"):
                await c.mgmt.user.load(fresh)
        assert (await c.mgmt.user.load(login_id))["user"] == existing

    sdk.run(scenario)


# ---------------------------------------------------------------- duplicate login ids (through the SDK)


def test_duplicate_login_ids_are_refused_everywhere(sdk, server):
    async def scenario(c):
        taken = (await c.mgmt.user.create(new_email(), display_name="Owner"))["user"]
        taken_test = (await c.mgmt.user.create_test_user(new_email(), display_name="Test Owner"))["user"]
        other = (await c.mgmt.user.create(new_email(), display_name="Other"))["user"]
        for login_id in (taken["loginIds"][0], taken_test["loginIds"][0]):
            for attempt in (
                lambda: c.mgmt.user.create(login_id, display_name="Impostor"),
                lambda: c.mgmt.user.create_test_user(login_id, display_name="Impostor"),
                lambda: c.mgmt.user.invite(login_id, display_name="Impostor"),
                lambda: c.mgmt.user.update_login_id(other["loginIds"][0], login_id),
            ):
                with server_error(409, "E071002"):
                    await attempt()
        with server_error(409, "E071002"):
            await c.mgmt.user.create(new_email(), additional_login_ids=[taken["loginIds"][0]])
        assert (await c.mgmt.user.load(taken["loginIds"][0]))["user"] == taken
        assert (await c.mgmt.user.load(taken_test["loginIds"][0]))["user"] == taken_test
        assert (await c.mgmt.user.load(other["loginIds"][0]))["user"] == other

    sdk.run(scenario)


def test_duplicate_login_id_within_one_batch(sdk, server):
    async def scenario(c):
        twice = new_email()
        resp = await c.mgmt.user.invite_batch([UserObj(twice, display_name="First"), UserObj(twice, display_name="Second")],
                                              send_mail=False)
        assert [u["loginIds"] for u in resp["createdUsers"]] == [[twice]], resp
        assert [f["user"]["loginIds"] for f in resp["failedUsers"]] == [[twice]], resp
        assert (await c.mgmt.user.load(twice))["user"]["name"] == "First"

    sdk.run(scenario)
