"""Project settings set through the CLI: refresh-token rotation and the auth management key requirement."""
from descope_compat import (
    EMAIL,
    check_session_claims,
    new_email,
    newest_message,
    otp_login,
    refresh_jwt,
    server_error,
    session_jwt,
)


def test_refresh_rotation(sdk, make_server):
    srv = make_server()
    srv.cli("project", "set", "--refresh-rotation", "true")

    async def scenario(c):
        resp = await otp_login(c, srv)
        rotated = await c.refresh_session(refresh_jwt(resp))
        assert refresh_jwt(rotated) != refresh_jwt(resp), "with rotation on, refresh must issue a new refresh JWT"
        assert rotated["refreshSessionToken"]["sub"] == resp["userId"]
        check_session_claims(srv, await c.validate_session(session_jwt(rotated)), resp["userId"])
        again = await c.refresh_session(refresh_jwt(rotated))  # the new refresh JWT works
        check_session_claims(srv, await c.validate_session(session_jwt(again)), resp["userId"])
        with server_error(401, "E064001"):
            await c.refresh_session(refresh_jwt(resp))  # the rotated-out one is dead

    sdk.run(scenario, server=srv)


def test_auth_routes_require_the_auth_management_key(sdk, make_server):
    srv = make_server()
    srv.cli("project", "set", "--auth-requires-management-key", "true")
    auth_key = srv.credentials["DESCOPE_AUTH_MANAGEMENT_KEY"]

    def refused(error_code):
        async def scenario(c):
            login_id = new_email()
            with server_error(401, error_code):
                await c.otp.sign_up_or_in(EMAIL, login_id)
            assert newest_message(srv, login_id) is None, "a refused request must not send a code"

        return scenario

    async def with_key(c):
        resp = await otp_login(c, srv)
        refreshed = await c.refresh_session(refresh_jwt(resp))
        check_session_claims(srv, await c.validate_session(session_jwt(refreshed)), resp["userId"])
        await c.logout(refresh_jwt(resp))
        with server_error(401, "E064001"):
            await c.refresh_session(refresh_jwt(resp))

    sdk.run(refused("E012004"), server=srv)
    sdk.run(refused(None), server=srv, auth_management_key="wrong-auth-management-key")
    sdk.run(with_key, server=srv, auth_management_key=auth_key)
