"""Sessions: validate, refresh, validate-and-refresh, logout(all), me, history, tenants, JWKS."""
import base64
import json
import time

import httpx
import jwt
from descope import AssociatedTenant, AuthException

from descope_compat import (
    SDK,
    check_session_claims,
    client_error,
    new_email,
    new_tenant,
    otp_login,
    refresh_jwt,
    server_config,
    server_error,
    session_jwt,
    uid,
)

PRIVATE_JWK_FIELDS = {"d", "p", "q", "dp", "dq", "qi", "k"}


async def assert_refresh_refused(c, resp):
    with server_error(401, "E064001"):
        await c.refresh_session(refresh_jwt(resp))


async def assert_refresh_works(c, server, resp) -> dict:
    refreshed = await c.refresh_session(refresh_jwt(resp))
    assert refreshed["userId"] == resp["userId"]
    check_session_claims(server, await c.validate_session(session_jwt(refreshed)), resp["userId"])
    return refreshed


async def tenant_member_login(c, server):
    """A tenant, a user of that tenant (created through mgmt), and that user's login."""
    name = f"Acme {uid()}"
    tenant_id = await new_tenant(c, name)
    login_id = new_email()
    await c.mgmt.user.create(login_id, user_tenants=[AssociatedTenant(tenant_id)])
    return tenant_id, name, await otp_login(c, server, login_id)


def test_validate_session(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        claims = await c.validate_session(session_jwt(resp))
        check_session_claims(server, claims, resp["userId"])
        assert claims["jwt"] == session_jwt(resp)
        assert claims["iss"].rsplit("/")[-1] == server.project_id
        aud = claims.get("aud")
        assert aud in (None, server.project_id) or (isinstance(aud, list) and server.project_id in aud)
        header = jwt.get_unverified_header(session_jwt(resp))
        assert header["kid"] and header["alg"] not in (None, "none", "HS256")

    sdk.run(scenario)


def test_validate_session_rejects_tampered_token(sdk, server):
    async def scenario(c):
        head, body, sig = session_jwt(await otp_login(c, server)).split(".")
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claims["sub"] = "someone-else"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        tampered = ".".join([head, forged, sig])
        try:
            await c.validate_session(tampered)
        except (AuthException, jwt.PyJWTError):
            return
        raise AssertionError("a session JWT with a broken signature was accepted")

    sdk.run(scenario)


def test_jwks_document(server):
    resp = SDK("sync", server).run(lambda c: otp_login(c, server))
    r = httpx.get(f"{server.url}/v2/keys/{server.project_id}", headers={"Authorization": f"Bearer {server.project_id}"})
    assert r.status_code == 200, r.text
    keys = r.json()["keys"]
    assert isinstance(keys, list) and keys
    for key in keys:
        assert key["kid"] and key["alg"] and key["kty"], key
        assert not PRIVATE_JWK_FIELDS & key.keys(), f"JWKS leaks private key material: {sorted(key)}"
        jwt.PyJWK(key)  # loads as the SDK loads it
    header = jwt.get_unverified_header(session_jwt(resp))
    by_kid = {key["kid"]: key for key in keys}
    assert header["kid"] in by_kid and by_kid[header["kid"]]["alg"] == header["alg"]


def test_refresh_session(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        time.sleep(1.1)  # a new iat, so the new session JWT differs from the old one
        refreshed = await assert_refresh_works(c, server, resp)
        assert session_jwt(refreshed) != session_jwt(resp)
        assert refreshed["sessionToken"]["exp"] >= resp["sessionToken"]["exp"]
        assert refreshed["projectId"] == server.project_id

    sdk.run(scenario)


def test_validate_and_refresh_with_a_valid_session(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        claims = await c.validate_and_refresh_session(session_jwt(resp), refresh_jwt(resp))
        assert claims["jwt"] == session_jwt(resp) and claims["userId"] == resp["userId"]

    sdk.run(scenario)


def test_validate_and_refresh_after_the_session_expired(sdk, make_server):
    srv = make_server(server_config(tokens={"session_ttl_secs": 2}))

    async def scenario(c):
        resp = await otp_login(c, srv)
        time.sleep(max(0.0, resp["sessionToken"]["exp"] - time.time()) + 1.2)
        with server_error(401):  # AuthException(401, "invalid token"): expired, raised by the SDK itself
            await c.validate_session(session_jwt(resp))
        fresh = await c.validate_and_refresh_session(session_jwt(resp), refresh_jwt(resp))
        assert fresh["userId"] == resp["userId"] and session_jwt(fresh) != session_jwt(resp)
        check_session_claims(srv, await c.validate_session(session_jwt(fresh)), resp["userId"])

    sdk.run(scenario, server=srv, jwt_validation_leeway=0)


def test_logout_revokes_only_that_session(sdk, server):
    async def scenario(c):
        first = await otp_login(c, server)
        second = await otp_login(c, server, first["user"]["loginIds"][0])
        assert refresh_jwt(first) != refresh_jwt(second)
        await c.logout(refresh_jwt(first))
        await assert_refresh_refused(c, first)
        await assert_refresh_works(c, server, second)

    sdk.run(scenario)


def test_logout_all_revokes_every_session_of_the_user(sdk, server):
    async def scenario(c):
        first = await otp_login(c, server)
        second = await otp_login(c, server, first["user"]["loginIds"][0])
        other_user = await otp_login(c, server)
        await c.logout_all(refresh_jwt(first))
        await assert_refresh_refused(c, first)
        await assert_refresh_refused(c, second)
        await assert_refresh_works(c, server, other_user)

    sdk.run(scenario)


def test_me_returns_the_bare_user(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        login_id = resp["user"]["loginIds"][0]
        me = await c.me(refresh_jwt(resp))
        assert "user" not in me, "me() must return the bare user object"
        assert me["userId"] == resp["userId"] and login_id in me["loginIds"] and me["email"] == login_id

    sdk.run(scenario)


def test_me_after_logout_is_refused(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        await c.logout(refresh_jwt(resp))
        with server_error(401, "E064001"):
            await c.me(refresh_jwt(resp))

    sdk.run(scenario)


def test_history_lists_logins(sdk, server):
    async def scenario(c):
        first = await otp_login(c, server)
        second = await otp_login(c, server, first["user"]["loginIds"][0])
        history = await c.history(refresh_jwt(second))
        assert isinstance(history, list)
        mine = [entry for entry in history if entry["userId"] == first["userId"]]
        assert len(mine) >= 2, history
        assert all(entry["loginTime"] for entry in mine)

    sdk.run(scenario)


def test_select_tenant_sets_dct(sdk, server):
    async def scenario(c):
        tenant_id, _, resp = await tenant_member_login(c, server)
        selected = await c.select_tenant(tenant_id, refresh_jwt(resp))
        assert selected["sessionToken"]["dct"] == tenant_id
        assert tenant_id in selected["tenants"]
        claims = await c.validate_session(session_jwt(selected))
        assert claims["dct"] == tenant_id and claims["userId"] == resp["userId"]

    sdk.run(scenario)


def test_select_tenant_of_another_tenant_is_refused(sdk, server):
    async def scenario(c):
        _, _, resp = await tenant_member_login(c, server)
        other = await new_tenant(c)
        with client_error():
            await c.select_tenant(other, refresh_jwt(resp))

    sdk.run(scenario)


def test_my_tenants_by_ids(sdk, server):
    async def scenario(c):
        tenant_id, name, resp = await tenant_member_login(c, server)
        tenants = (await c.my_tenants(refresh_jwt(resp), ids=[tenant_id]))["tenants"]
        assert [(t["id"], t["name"]) for t in tenants] == [(tenant_id, name)]

    sdk.run(scenario)


def test_my_tenants_of_the_selected_tenant(sdk, server):
    async def scenario(c):
        tenant_id, name, resp = await tenant_member_login(c, server)
        selected = await c.select_tenant(tenant_id, refresh_jwt(resp))
        assert "refreshSessionToken" in selected, "select_tenant must return a new refresh JWT (with dct)"
        assert selected["refreshSessionToken"]["dct"] == tenant_id
        tenants = (await c.my_tenants(refresh_jwt(selected), dct=True))["tenants"]
        assert [(t["id"], t["name"]) for t in tenants] == [(tenant_id, name)]

    sdk.run(scenario)
