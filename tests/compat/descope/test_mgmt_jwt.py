"""Management JWT routes: update_jwt, impersonate, sign_in / sign_up / sign_up_or_in on behalf of a user, anonymous.

Every token these routes return validates with the SDK (the SDK itself validates the JWT responses of
sign_in / sign_up / sign_up_or_in / anonymous against the JWKS before returning).

SDK facts (descope==2.16.0):
- `update_jwt(jwt, custom_claims, refresh_duration=0)` → `/v1/mgmt/jwt/update` `{"jwt", "customClaims",
  "refreshDuration"}` → returns `response.json().get("jwt", "")`: the server answers `{"jwt": "<new JWT>"}`.
  "system claims will be filtered out" of the custom claims.
- `impersonate(impersonator_id, login_id, validate_consent, custom_claims, tenant_id, refresh_duration, stepup)` →
  `/v1/mgmt/impersonate` `{"loginId", "impersonatorId", "validateConsent", "customClaims", "selectedTenant",
  "refreshDuration", "stepup"}` → `{"jwt"}`. The impersonator "must have the `impersonation` permission". The
  returned JWT is the impersonated user's refresh JWT (usable with `refresh_session`); it names the
  impersonator in the `act` claim (`{"sub": <impersonator user id>}`).
- `sign_in(login_id, MgmtLoginOptions)` → `/v1/mgmt/auth/signin` `{"loginId", "stepup", "mfa", "revokeOtherSessions",
  "customClaims", "jwt", "refreshDuration"}`; `sign_up` / `sign_up_or_in` → `/v1/mgmt/auth/signup[-in]`
  `{"loginId", "user": {"name", "givenName", "middleName", "familyName", "phone", "email", "emailVerified",
  "phoneVerified", "ssoAppId"}, "emailVerified", "phoneVerified", "ssoAppId", "customClaims", "refreshDuration"}`.
  All three answer the login JWT response (`sessionJwt`, `refreshJwt` **in the body** — no cookie is read here —,
  `user`, `firstSeen`).
- `anonymous(custom_claims, tenant_id, refresh_duration)` → `/v1/mgmt/auth/anonymous` `{"customClaims",
  "selectedTenant", "refreshDuration"}`; the SDK deletes `user` and `firstSeen` from its result.
"""
import time
from contextlib import contextmanager

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric import rsa
from descope import AssociatedTenant, AuthException
from descope.management.common import MgmtLoginOptions, MgmtSignUpOptions, MgmtUserRequest

from descope_compat import (
    check_login,
    check_session_claims,
    client_error,
    new_email,
    new_tenant,
    otp_login,
    refresh_jwt,
    server_error,
    session_jwt,
    uid,
    unwrap,
)

IMPERSONATION = "impersonation"


@contextmanager
def refused():
    """A 4xx from the route itself (not the 404 of a route that does not exist yet)."""
    with client_error() as info:
        yield info
    assert "E011004" not in info.value.error_message, f"the route is not implemented: {info.value}"


async def create_user(c, **kwargs) -> dict:
    login_id = new_email()
    return (await c.mgmt.user.create(login_id, email=login_id, **kwargs))["user"]


async def impersonator(c) -> dict:
    """A user whose role grants the `impersonation` permission."""
    try:
        await c.mgmt.permission.create(IMPERSONATION, description="may impersonate users")
    except AuthException as exc:  # defined by an earlier test (or by the server itself)
        if exc.status_code != 409:
            raise
    role = f"support-{uid()}"
    await c.mgmt.role.create(role, permission_names=[IMPERSONATION])
    return await create_user(c, role_names=[role])


def forged_jwt(real: str, claims: dict) -> str:
    """A JWT with the real token's kid and alg, signed by a key the server never saw."""
    header = pyjwt.get_unverified_header(real)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    alg = header["alg"] if header["alg"].startswith(("RS", "PS")) else "RS256"
    return pyjwt.encode(claims, key, algorithm=alg, headers={"kid": header["kid"]})


# ---------------------------------------------------------------- update_jwt


def test_update_jwt_adds_custom_claims(sdk, server):
    async def scenario(c):
        role = f"upd-{uid()}"
        await c.mgmt.role.create(role)
        login_id = new_email()
        await c.mgmt.user.create(login_id, role_names=[role])
        resp = await otp_login(c, server, login_id)
        updated = await c.mgmt.jwt.update_jwt(session_jwt(resp), {"plan": "gold", "seats": 3})
        assert isinstance(updated, str) and updated and updated != session_jwt(resp)
        claims = await c.validate_session(updated)
        check_session_claims(server, claims, resp["userId"])
        assert claims["plan"] == "gold" and claims["seats"] == 3
        assert unwrap(c).validate_roles(claims, [role]), "update_jwt keeps (and refreshes) the authorization claims"

    sdk.run(scenario)


def test_update_jwt_filters_system_claims(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        updated = await c.mgmt.jwt.update_jwt(session_jwt(resp), {
            "sub": "U-someone-else", "iss": "https://evil.example", "exp": 1, "aud": "other",
            "roles": ["superadmin"], "permissions": ["everything"], "tenants": {"T-evil": {"roles": ["x"]}},
            "plan": "pro",
        })
        claims = await c.validate_session(updated)
        check_session_claims(server, claims, resp["userId"])
        assert claims["plan"] == "pro"
        assert "superadmin" not in claims.get("roles", []) and "everything" not in claims.get("permissions", [])
        assert "T-evil" not in claims.get("tenants", {})

    sdk.run(scenario)


def test_update_jwt_refuses_tokens_it_did_not_sign(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        now = int(time.time())
        forged = forged_jwt(session_jwt(resp), {"sub": resp["userId"], "iss": server.project_id,
                                                "iat": now, "exp": now + 600, "drn": "DS"})
        for token in ("not-a-jwt", forged, session_jwt(resp)[:-4] + "AAAA"):
            with refused():
                await c.mgmt.jwt.update_jwt(token, {"plan": "gold"})

    sdk.run(scenario)


def test_update_jwt_requires_the_jwt(sdk, server):
    async def scenario(c):
        with server_error(400, "E011002") as info:
            # the SDK refuses an empty jwt itself, so send whitespace
            await c.mgmt.jwt.update_jwt(" ", {"plan": "gold"})
        assert "jwt" in info.value.error_message

    sdk.run(scenario)


# ---------------------------------------------------------------- impersonate


def test_impersonate(sdk, server):
    async def scenario(c):
        support = await impersonator(c)
        tenant_id = await new_tenant(c)
        target = await create_user(c, user_tenants=[AssociatedTenant(tenant_id)])
        token = await c.mgmt.jwt.impersonate(support["userId"], target["loginIds"][0], False,
                                             custom_claims={"reason": "ticket-42"}, tenant_id=tenant_id)
        assert isinstance(token, str) and token
        claims = await c.validate_session(token)
        assert claims["sub"] == target["userId"] and claims["userId"] == target["userId"]
        assert claims.get("act", {}).get("sub") == support["userId"], f"the impersonator must be named: {claims}"
        assert claims["reason"] == "ticket-42" and claims.get("dct") == tenant_id
        refreshed = await c.refresh_session(token)
        assert refreshed["userId"] == target["userId"]
        assert refreshed["sessionToken"].get("act", {}).get("sub") == support["userId"]

    sdk.run(scenario)


def test_impersonate_by_login_id_of_the_impersonator(sdk, server):
    async def scenario(c):
        support = await impersonator(c)
        target = await create_user(c)
        token = await c.mgmt.jwt.impersonate(support["loginIds"][0], target["loginIds"][0], False)
        assert (await c.validate_session(token))["sub"] == target["userId"]

    sdk.run(scenario)


def test_impersonate_without_the_permission_is_refused(sdk, server):
    async def scenario(c):
        nobody, target = await create_user(c), await create_user(c)
        with refused() as info:
            await c.mgmt.jwt.impersonate(nobody["userId"], target["loginIds"][0], False)
        assert info.value.status_code in (401, 403), info.value
        assert IMPERSONATION in info.value.error_message.lower()

    sdk.run(scenario)


def test_impersonate_unknown_users_is_404(sdk, server):
    async def scenario(c):
        support = await impersonator(c)
        target = await create_user(c)
        with server_error(404, "E071001"):
            await c.mgmt.jwt.impersonate(support["userId"], new_email(), False)
        with server_error(404, "E071001"):
            await c.mgmt.jwt.impersonate(f"U-missing-{uid()}", target["loginIds"][0], False)

    sdk.run(scenario)


# ---------------------------------------------------------------- sign-in / sign-up on behalf of a user


def test_mgmt_sign_in(sdk, server):
    async def scenario(c):
        user = await create_user(c, display_name="Backend Login")
        login_id = user["loginIds"][0]
        resp = await c.mgmt.jwt.sign_in(login_id, MgmtLoginOptions(custom_claims={"via": "backend"}))
        assert await check_login(c, server, resp, login_id, first_seen=False) == user["userId"]
        assert resp["sessionToken"]["via"] == "backend" and resp["user"]["name"] == "Backend Login"
        refreshed = await c.refresh_session(refresh_jwt(resp))
        assert refreshed["userId"] == user["userId"]

    sdk.run(scenario)


def test_mgmt_sign_in_refresh_duration(sdk, server):
    async def scenario(c):
        user = await create_user(c)
        resp = await c.mgmt.jwt.sign_in(user["loginIds"][0], MgmtLoginOptions(refresh_duration=600))
        lifetime = resp["refreshSessionToken"]["exp"] - time.time()
        assert 540 <= lifetime <= 660, f"refreshDuration 600 gave a refresh JWT living {lifetime:.0f}s"

    sdk.run(scenario)


def test_mgmt_sign_in_revoking_other_sessions(sdk, server):
    async def scenario(c):
        user = await create_user(c)
        login_id = user["loginIds"][0]
        earlier = await otp_login(c, server, login_id)
        resp = await c.mgmt.jwt.sign_in(login_id, MgmtLoginOptions(revoke_other_sessions=True))
        with server_error(401, "E064001"):
            await c.refresh_session(refresh_jwt(earlier))
        await c.refresh_session(refresh_jwt(resp))

    sdk.run(scenario)


def test_mgmt_sign_in_refused_for_unknown_or_disabled_user(sdk, server):
    async def scenario(c):
        with server_error(404, "E071001"):
            await c.mgmt.jwt.sign_in(new_email())
        user = await create_user(c)
        await c.mgmt.user.deactivate(user["loginIds"][0])
        with server_error(403, "E071003"):
            await c.mgmt.jwt.sign_in(user["loginIds"][0])

    sdk.run(scenario)


def test_mgmt_sign_up(sdk, server):
    async def scenario(c):
        login_id = new_email()
        resp = await c.mgmt.jwt.sign_up(
            login_id,
            MgmtUserRequest(name="Signed Up", given_name="Sig", email=login_id, email_verified=True),
            MgmtSignUpOptions(custom_claims={"source": "import"}),
        )
        user_id = await check_login(c, server, resp, login_id, first_seen=True)
        assert resp["sessionToken"]["source"] == "import"
        loaded = (await c.mgmt.user.load(login_id))["user"]
        assert loaded["userId"] == user_id and loaded["name"] == "Signed Up" and loaded["givenName"] == "Sig"
        assert loaded["email"] == login_id and loaded["verifiedEmail"] is True
        with server_error(409, "E071002"):
            await c.mgmt.jwt.sign_up(login_id, MgmtUserRequest(name="Again"))
        assert (await c.mgmt.user.load(login_id))["user"]["name"] == "Signed Up"

    sdk.run(scenario)


def test_mgmt_sign_up_or_in(sdk, server):
    async def scenario(c):
        login_id = new_email()
        first = await c.mgmt.jwt.sign_up_or_in(login_id, MgmtUserRequest(name="Either", email=login_id))
        user_id = await check_login(c, server, first, login_id, first_seen=True)
        second = await c.mgmt.jwt.sign_up_or_in(login_id, MgmtUserRequest(name="Ignored"))
        assert await check_login(c, server, second, login_id, first_seen=False) == user_id
        assert (await c.mgmt.user.load(login_id))["user"]["name"] == "Either"

    sdk.run(scenario)


# ---------------------------------------------------------------- anonymous


def test_anonymous(sdk, server):
    async def scenario(c):
        tenant_id = await new_tenant(c)
        resp = await c.mgmt.jwt.anonymous(custom_claims={"cart": "c-1"}, tenant_id=tenant_id)
        assert "user" not in resp and "firstSeen" not in resp
        session, refresh = resp["sessionToken"], resp["refreshSessionToken"]
        assert session["jwt"] and refresh["jwt"] and session["sub"] and session["sub"] == resp["userId"]
        assert resp["projectId"] == server.project_id
        claims = await c.validate_session(session["jwt"])
        assert claims["cart"] == "c-1" and claims.get("dct") == tenant_id
        refreshed = await c.refresh_session(refresh["jwt"])
        assert refreshed["userId"] == resp["userId"]
        with server_error(404, "E071001"):  # anonymous users are not stored
            await c.mgmt.user.load_by_user_id(resp["userId"])

    sdk.run(scenario)


def test_anonymous_sessions_are_distinct(sdk, server):
    async def scenario(c):
        a, b = await c.mgmt.jwt.anonymous(), await c.mgmt.jwt.anonymous()
        assert a["userId"] and b["userId"] and a["userId"] != b["userId"]

    sdk.run(scenario)
