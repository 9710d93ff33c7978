"""Credentials do not cross over: a management key is never a session, a session is never a management key.

The SDK sends `Authorization: Bearer <projectId>:<managementKey>` on management calls and
`Bearer <projectId>:<refreshJwt>` / `Bearer <projectId>:<accessKey>` on auth calls; the server tells them apart
by route family. A session JWT, a refresh JWT, an access key or the auth management key used as the
management key gets 401 E012003 on every management route (and changes nothing); the management key used as a
refresh token or an access key is refused by the auth routes, and `mgmt.jwt.update_jwt` does not take it as a JWT.
"""
import httpx
import pytest

from descope_compat import client_error, new_email, otp_login, refresh_jwt, server_error, session_jwt, uid


def auth_request(server, method: str, path: str, token: str, body=None) -> httpx.Response:
    return httpx.request(method, server.url + path, json=body if method != "GET" else None, timeout=30,
                         headers={"Authorization": f"Bearer {server.project_id}:{token}"})


@pytest.fixture
def credentials(sdk, server) -> dict:
    async def scenario(c):
        resp = await otp_login(c, server)
        key = await c.mgmt.access_key.create(f"cred-{uid()}")
        return {"session": session_jwt(resp), "refresh": refresh_jwt(resp), "access_key": key["cleartext"]}

    creds = sdk.run(scenario)
    creds["auth_management_key"] = server.credentials.get("DESCOPE_AUTH_MANAGEMENT_KEY")
    return creds


@pytest.mark.parametrize("kind", ["session", "refresh", "access_key", "auth_management_key"])
def test_other_credentials_are_not_management_keys(sdk, server, credentials, kind):
    wrong_key = credentials[kind]
    if not wrong_key:
        pytest.skip("this server has no auth management key")
    login_id, tenant_name = new_email(), f"Cred {uid()}"

    async def as_impostor(c):
        for call in (
            lambda: c.mgmt.user.create(login_id),
            lambda: c.mgmt.user.load(login_id),
            lambda: c.mgmt.user.search_all(),
            lambda: c.mgmt.tenant.create(tenant_name),
            lambda: c.mgmt.tenant.load_all(),
            lambda: c.mgmt.access_key.create(f"impostor-{uid()}"),
            lambda: c.mgmt.role.load_all(),
            lambda: c.mgmt.audit.search(),
            lambda: c.mgmt.jwt.anonymous(),
        ):
            with server_error(401, "E012003"):
                await call()

    sdk.run(as_impostor, management_key=wrong_key)

    async def nothing_changed(c):
        with server_error(404, "E071001"):
            await c.mgmt.user.load(login_id)
        assert tenant_name not in {t["name"] for t in (await c.mgmt.tenant.load_all())["tenants"]}

    sdk.run(nothing_changed)


@pytest.mark.parametrize("method,path", [
    ("POST", "/v1/auth/refresh"),
    ("GET", "/v1/auth/me"),
    ("POST", "/v1/auth/logout"),
    ("POST", "/v1/auth/logoutall"),
])
def test_management_key_is_not_a_refresh_token(server, method, path):
    resp = auth_request(server, method, path, server.management_key, {})
    assert resp.status_code == 401 and resp.json()["errorCode"] == "E064001", f"{path}: {resp.status_code} {resp.text}"


def test_management_key_is_not_an_access_key(sdk, server):
    async def scenario(c):
        with server_error(401, "E064002"):
            await c.exchange_access_key(server.management_key)

    sdk.run(scenario)


def test_management_key_is_not_a_jwt(sdk, server):
    async def scenario(c):
        with client_error() as info:
            await c.mgmt.jwt.update_jwt(server.management_key, {"plan": "gold"})
        assert "E011004" not in info.value.error_message, f"the route is not implemented: {info.value}"
        with pytest.raises(Exception):
            await c.validate_session(server.management_key)  # refused locally: not a JWT at all

    sdk.run(scenario)


def test_session_jwt_is_not_a_refresh_token(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        refused = auth_request(server, "POST", "/v1/auth/refresh", session_jwt(resp), {})
        assert refused.status_code == 401 and refused.json()["errorCode"] == "E064001", refused.text
        await c.refresh_session(refresh_jwt(resp))  # the real refresh token still works

    sdk.run(scenario)
