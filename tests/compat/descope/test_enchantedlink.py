"""Enchanted link over email and SMS: start -> pending session -> verify(token) -> get_session."""
import pytest

from descope_compat import (
    APP_URI,
    CHANNEL,
    EMAIL,
    SMS,
    USER_FIELD,
    assert_masked,
    check_login,
    client_error,
    link_token,
    new_login,
    server_error,
)

METHODS = pytest.mark.parametrize("method", [EMAIL, SMS], ids=["email", "sms"])


async def start(c, method, action: str, login_id: str) -> dict:
    """Call enchantedlink.<action> (or its *_with_phone variant for SMS) and check the pending answer."""
    name = action if method is EMAIL else f"{action}_with_phone"
    args = (login_id, APP_URI, None) if action == "sign_up" else (login_id, APP_URI)
    resp = await getattr(c.enchantedlink, name)(*args)
    assert resp["linkId"] and resp["pendingRef"], resp
    if method is EMAIL:
        assert_masked(resp["maskedEmail"], login_id)
    return resp


async def finish(c, server, method, login_id: str, pending: dict, previous=None) -> dict:
    """The session is pending until the link's token is verified; then get_session logs in."""
    with server_error(401, "E062002"):
        await c.enchantedlink.get_session(pending["pendingRef"])
    token = link_token(server, login_id, previous=previous, channel=CHANNEL[method])
    assert await c.enchantedlink.verify(token) is None
    return await c.enchantedlink.get_session(pending["pendingRef"])


@METHODS
def test_sign_up(sdk, server, method):
    async def scenario(c):
        login_id = new_login(method)
        resp = await finish(c, server, method, login_id, await start(c, method, "sign_up", login_id))
        await check_login(c, server, resp, login_id, first_seen=True)
        assert resp["user"][USER_FIELD[method]] == login_id

    sdk.run(scenario)


@METHODS
def test_sign_in_existing_user(sdk, server, method):
    async def scenario(c):
        login_id = new_login(method)
        first = await finish(c, server, method, login_id, await start(c, method, "sign_up", login_id))
        previous = server.last_message_to(login_id)
        pending = await start(c, method, "sign_in", login_id)
        resp = await finish(c, server, method, login_id, pending, previous)
        assert await check_login(c, server, resp, login_id, first_seen=False) == first["userId"]

    sdk.run(scenario)


@METHODS
def test_sign_up_or_in(sdk, server, method):
    async def scenario(c):
        login_id = new_login(method)
        resp = await finish(c, server, method, login_id, await start(c, method, "sign_up_or_in", login_id))
        user_id = await check_login(c, server, resp, login_id, first_seen=True)
        previous = server.last_message_to(login_id)
        again = await finish(c, server, method, login_id, await start(c, method, "sign_up_or_in", login_id), previous)
        assert await check_login(c, server, again, login_id, first_seen=False) == user_id

    sdk.run(scenario)


def test_verify_token_is_single_use(sdk, server):
    async def scenario(c):
        login_id = new_login(EMAIL)
        await finish(c, server, EMAIL, login_id, await start(c, EMAIL, "sign_up_or_in", login_id))
        with server_error(401, "E062001"):
            await c.enchantedlink.verify(link_token(server, login_id))

    sdk.run(scenario)


def test_unknown_pending_ref_is_refused(sdk, server):
    async def scenario(c):
        with client_error():
            await c.enchantedlink.get_session("no-such-pending-ref")

    sdk.run(scenario)
