"""Shared helpers for the Descope Python SDK compatibility suite.

Every scenario is written once as `async def scenario(c)` and driven by the `sdk` fixture against both
the real sync `DescopeClient` (through `AwaitableProxy`, which only makes its results awaitable) and the
real `DescopeClientAsync`. Nothing of the SDK is faked: the proxy forwards every call unchanged.
"""
from __future__ import annotations

import asyncio
import secrets
import sys
import time
import uuid
from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse

import pytest
from descope import AuthException, DeliveryMethod, DescopeClient, DescopeClientAsync

EMAIL, SMS = DeliveryMethod.EMAIL, DeliveryMethod.SMS
APP_URI = "http://app.example.test/verify"
CHANNEL = {EMAIL: "email", SMS: "sms"}
# What the user object carries for each delivery method.
USER_FIELD = {EMAIL: "email", SMS: "phone"}

DEFAULT_TOKENS = {"session_ttl_secs": 600, "refresh_ttl_secs": 2419200, "code_ttl_secs": 300, "code_max_attempts": 5}
GENEROUS_RATE_LIMIT = {"window_secs": 60, "per_ip": 100000, "per_login_id": 1000}

# Test modules import these helpers as `descope_compat`, whatever name pytest gives this conftest module.
sys.modules["descope_compat"] = sys.modules[__name__]


def server_config(tokens: dict | None = None, rate_limit: dict | None = None) -> dict:
    """A make_server config: defaults with the given keys overridden, rate limits generous unless given."""
    return {"tokens": {**DEFAULT_TOKENS, **(tokens or {})}, "rate_limit": {**GENEROUS_RATE_LIMIT, **(rate_limit or {})}}


# ---------------------------------------------------------------- identities


def uid() -> str:
    return uuid.uuid4().hex[:12]


def new_email() -> str:
    return f"lk-{uid()}@example.com"


def new_phone() -> str:
    """A unique, well-formed E.164 US number (area code 202, exchange starting 2-9)."""
    return f"+1202{secrets.randbelow(8_000_000) + 2_000_000}"


def new_login(method: DeliveryMethod) -> str:
    return new_email() if method is EMAIL else new_phone()


def strong_password() -> str:
    return f"Lk-{uid()}-Pw9!"


# ---------------------------------------------------------------- clients


def client_kwargs(server, **extra) -> dict:
    return {"project_id": server.project_id, "management_key": server.management_key, "base_url": server.url, **extra}


class AwaitableProxy:
    """Forward every attribute of a sync SDK object; calls run synchronously and return an awaitable result."""

    def __init__(self, target):
        self._target = target

    def __getattr__(self, name):
        attr = getattr(self._target, name)
        if not callable(attr):
            return AwaitableProxy(attr)

        async def call(*args, **kwargs):
            return attr(*args, **kwargs)

        return call


def unwrap(c):
    """The real client behind a scenario's `c` (for the pure, non-network helpers such as validate_roles)."""
    return getattr(c, "_target", c)


class SDK:
    """Runs `async def scenario(c)` with a fresh client of one kind ("sync" or "async")."""

    def __init__(self, kind: str, server):
        self.kind = kind
        self.server = server

    def client_kwargs(self, server=None, **extra) -> dict:
        return client_kwargs(server or self.server, **extra)

    def run(self, scenario, server=None, **extra):
        kwargs = self.client_kwargs(server, **extra)
        if self.kind == "sync":
            return asyncio.run(scenario(AwaitableProxy(DescopeClient(**kwargs))))

        async def main():
            async with DescopeClientAsync(**kwargs) as client:
                return await scenario(client)

        return asyncio.run(main())


@pytest.fixture(params=["sync", "async"])
def sdk(request, server) -> SDK:
    return SDK(request.param, server)


@pytest.fixture(autouse=True)
def _no_descope_env(monkeypatch):
    """The SDK falls back to DESCOPE_* variables; keep the caller's environment out of the tests."""
    for name in ("DESCOPE_PROJECT_ID", "DESCOPE_MANAGEMENT_KEY", "DESCOPE_AUTH_MANAGEMENT_KEY", "DESCOPE_BASE_URI"):
        monkeypatch.delenv(name, raising=False)


# ---------------------------------------------------------------- errors


@contextmanager
def server_error(status: int, error_code: str | None = None):
    """Expect the SDK's AuthException for a server error: HTTP status, and the errorCode in the raw body."""
    with pytest.raises(AuthException) as info:
        yield info
    exc = info.value
    assert exc.status_code == status, f"expected HTTP {status} {error_code or ''}, got {exc}"
    if error_code:
        assert error_code in (exc.error_message or ""), f"expected {error_code} in the error body, got {exc}"


@contextmanager
def client_error(error_code: str | None = None):
    """Expect any 4xx server error (where the exact status is the server's choice), with the errorCode if given."""
    with pytest.raises(AuthException) as info:
        yield info
    exc = info.value
    assert isinstance(exc.status_code, int) and 400 <= exc.status_code < 500, f"expected a 4xx, got {exc}"
    if error_code:
        assert error_code in (exc.error_message or ""), f"expected {error_code} in the error body, got {exc}"


# ---------------------------------------------------------------- outbox


def newest_message(server, recipient: str) -> dict | None:
    return next((m for m in server.outbox() if m["recipient"] == recipient), None)


def message_to(server, recipient: str, previous: dict | None = None, channel: str | None = None) -> dict:
    """The newest outbox message to recipient; with `previous`, it must be a new one."""
    msg = server.last_message_to(recipient)
    if previous is not None:
        assert msg["id"] != previous["id"], f"no new message to {recipient} (newest is still {previous['id']})"
    if channel:
        assert msg["channel"] == channel, f"message to {recipient} went by {msg['channel']}, expected {channel}"
    return msg


def code_for(server, recipient: str, previous: dict | None = None, channel: str | None = None) -> str:
    msg = message_to(server, recipient, previous, channel)
    assert msg["code"], f"message to {recipient} carries no code: {msg}"
    return msg["code"]


def token_from_link(link: str | None, uri: str | None = APP_URI) -> str:
    """The `t` query parameter of a magic/enchanted link `<URI>?t=<token>`."""
    assert link, "no link"
    if uri is not None:
        assert link.split("?", 1)[0] == uri, f"link {link!r} does not start with the URI {uri!r}"
    tokens = parse_qs(urlparse(link).query).get("t")
    assert tokens and tokens[0], f"link {link!r} has no t= token"
    return tokens[0]


def link_token(server, recipient: str, uri: str | None = APP_URI, previous=None, channel=None) -> str:
    return token_from_link(message_to(server, recipient, previous, channel)["link"], uri)


def wrong_code(code: str) -> str:
    return "".join("1" if ch != "1" else "2" for ch in code)


def assert_masked(masked: str, address: str) -> None:
    assert isinstance(masked, str) and masked, f"empty masked address for {address}"
    assert "*" in masked and masked != address, f"{masked!r} does not mask {address!r}"
    if "@" in address:
        assert "@" in masked, f"masked email {masked!r} lost its @"


# ---------------------------------------------------------------- JWT responses


def check_jwt_response(server, resp: dict, login_id: str, first_seen: bool | None) -> str:
    """Assert the SDK's JWT response for a user login; returns the user id."""
    session, refresh = resp["sessionToken"], resp["refreshSessionToken"]
    assert session["jwt"] and refresh["jwt"] and session["jwt"] != refresh["jwt"]
    user_id = resp["userId"]
    assert user_id, resp
    assert session["sub"] == user_id and refresh["sub"] == user_id
    assert resp["projectId"] == server.project_id
    assert session.get("drn") == "DS" and refresh.get("drn") == "DSR", "drn claims must be DS / DSR"
    now = time.time()
    assert session["exp"] > now and refresh["exp"] >= session["exp"]
    if first_seen is not None:
        assert resp["firstSeen"] is first_seen, f"firstSeen is {resp.get('firstSeen')!r}, expected {first_seen}"
    user = resp["user"]
    assert user["userId"] == user_id
    assert login_id in user["loginIds"], f"{login_id} not in {user['loginIds']}"
    return user_id


def check_session_claims(server, claims: dict, user_id: str) -> None:
    """Assert what validate_session returned for a user's session JWT."""
    assert claims["userId"] == user_id and claims["sub"] == user_id
    assert claims["projectId"] == server.project_id
    assert claims["sessionToken"]["jwt"] == claims["jwt"]
    assert claims["exp"] > time.time() >= claims["iat"] - 5


async def check_login(c, server, resp: dict, login_id: str, first_seen: bool | None = None) -> str:
    """Full check of a login: the response, then the session JWT through validate_session."""
    user_id = check_jwt_response(server, resp, login_id, first_seen)
    check_session_claims(server, await c.validate_session(resp["sessionToken"]["jwt"]), user_id)
    return user_id


async def otp_login(c, server, login_id: str | None = None, method: DeliveryMethod = EMAIL) -> dict:
    """Sign up or in with OTP (code from the outbox); returns the SDK's JWT response."""
    login_id = login_id or new_login(method)
    previous = newest_message(server, login_id)
    await c.otp.sign_up_or_in(method, login_id)
    code = code_for(server, login_id, previous, CHANNEL[method])
    resp = await c.otp.verify_code(method, login_id, code)
    check_jwt_response(server, resp, login_id, None)
    return resp


def refresh_jwt(resp: dict) -> str:
    return resp["refreshSessionToken"]["jwt"]


def session_jwt(resp: dict) -> str:
    return resp["sessionToken"]["jwt"]


async def new_tenant(c, name: str | None = None, tenant_id: str | None = None) -> str:
    resp = await c.mgmt.tenant.create(name or f"Tenant {uid()}", id=tenant_id)
    assert resp["id"], resp
    return resp["id"]
