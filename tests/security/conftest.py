"""Shared helpers for the security and operations suite.

Everything here talks to the server over its public contract only: raw HTTP (httpx), the unchanged
Descope SDK, the outbox CLI and the files in the data dir.
"""
from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import time
import uuid
from pathlib import Path

import sys

import httpx
import pytest
from descope import DescopeClient

from latchkey_server import BIN, LatchkeyServer  # made importable by tests/conftest.py
# The OAuth fixtures for test_sec_oauth.py (a browser driving the hosted pages, clients, a user).
from oidc_helpers import browser, client, make_browser, other_client, public_client, user  # noqa: F401

TIMEOUT = 30.0
OTP_EMAIL = "/v1/auth/otp/signup-in/email"
OTP_VERIFY = "/v1/auth/otp/verify/email"
REFRESH = "/v1/auth/refresh"
# Test modules import these helpers as `latchkey_security` (the bare name `conftest` is shared by
# every conftest.py in the tree, so importing it by that name would be fragile).
sys.modules.setdefault("latchkey_security", sys.modules[__name__])

LINE_COL = re.compile(r"line\D{0,3}\d+.*col(umn)?\D{0,3}\d+", re.I | re.S)


@pytest.fixture(autouse=True)
def _no_descope_env(monkeypatch):
    """The SDK reads DESCOPE_* from the environment; a stray one would change what the tests send."""
    for key in list(os.environ):
        if key.startswith("DESCOPE_"):
            monkeypatch.delenv(key)


GENEROUS_RATE_LIMIT = {"window_secs": 60, "per_ip": 100000, "per_login_id": 1000}


def config(tokens: dict | None = None, rate_limit: dict | None = None, **tables) -> dict:
    """A make_server config; rate limits are generous unless the test is about them."""
    cfg = {"rate_limit": dict(GENEROUS_RATE_LIMIT, **(rate_limit or {})), **tables}
    if tokens:
        cfg["tokens"] = tokens
    return cfg


def new_login_id(tag: str = "u") -> str:
    return f"sec-{tag}-{uuid.uuid4().hex[:12]}@example.com"


# ---------------------------------------------------------------- raw HTTP

def request(srv, method: str, path: str, bearer: str | None = None, body=None, content=None, params=None):
    headers = {"Content-Type": "application/json"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    if content is None and body is not None:
        content = json.dumps(body)
    return httpx.request(method, srv.url + path, headers=headers, content=content, params=params, timeout=TIMEOUT)


def auth_post(srv, path: str, body=None, token: str | None = None, pid: str | None = None,
              auth_key: str | None = None, content=None):
    """An auth call: bearer `pid[:token][:authKey]`, as the SDK composes it."""
    bearer = ":".join(x for x in (pid or srv.project_id, token, auth_key) if x)
    return request(srv, "POST", path, bearer, {} if body is None and content is None else body, content)


def mgmt(srv, method: str, path: str, body=None, key: str | None = None, pid: str | None = None,
         content=None, params=None):
    bearer = f"{pid or srv.project_id}:{key if key is not None else srv.management_key}"
    return request(srv, method, path, bearer, body, content, params)


def assert_error(resp, status: int, *codes: str) -> dict:
    """The response is a Descope error with this status and (one of) these codes."""
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text}"
    body = resp.json()
    assert {"errorCode", "errorDescription", "errorMessage"} <= set(body), body
    if codes:
        assert body["errorCode"] in codes, body
    return body


def user_exists(srv, login_id: str) -> bool:
    resp = mgmt(srv, "GET", "/v1/mgmt/user", params={"loginId": login_id})
    assert resp.status_code < 500, resp.text
    return resp.status_code == 200


def create_user(srv, login_id: str):
    body = {"loginId": login_id, "email": login_id, "phone": None, "displayName": "Sec", "roleNames": [],
            "userTenants": [], "test": False, "picture": None, "customAttributes": None,
            "additionalLoginIds": None, "ssoAppIDs": None, "invite": False}
    return mgmt(srv, "POST", "/v1/mgmt/user/create", body)


def messages_to(srv, recipient: str) -> list[dict]:
    return [m for m in srv.outbox() if m["recipient"] == recipient]


# ---------------------------------------------------------------- OTP / sessions

def start_otp(srv, login_id: str, **kw):
    return auth_post(srv, OTP_EMAIL, {"loginId": login_id, "loginOptions": {}}, **kw)


def otp_code(srv, login_id: str) -> str:
    return srv.last_message_to(login_id)["code"]


def verify_otp(srv, login_id: str, code: str, **kw):
    return auth_post(srv, OTP_VERIFY, {"loginId": login_id, "code": code}, **kw)


def refresh_jwt_of(resp) -> str | None:
    return resp.json().get("refreshJwt") or resp.cookies.get("DSR")


def otp_login(srv, login_id: str | None = None, **kw) -> dict:
    """Sign a user in with an e-mail OTP over raw HTTP; returns {loginId, session, refresh, userId, body}."""
    login_id = login_id or new_login_id("login")
    r = start_otp(srv, login_id, **kw)
    assert r.status_code == 200, r.text
    v = verify_otp(srv, login_id, otp_code(srv, login_id), **kw)
    assert v.status_code == 200, v.text
    body = v.json()
    refresh = refresh_jwt_of(v)
    assert body.get("sessionJwt") and refresh, body
    return {"loginId": login_id, "session": body["sessionJwt"], "refresh": refresh,
            "userId": jwt_claims(body["sessionJwt"]).get("sub"), "body": body}


def refresh(srv, token: str, **kw):
    return auth_post(srv, REFRESH, {}, token=token, **kw)


def sdk(srv, **kw) -> DescopeClient:
    return DescopeClient(srv.project_id, base_url=srv.url, **kw)


# ---------------------------------------------------------------- JWT bits

def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_header(token: str) -> dict:
    return json.loads(b64u_decode(token.split(".")[0]))


def jwt_claims(token: str) -> dict:
    return json.loads(b64u_decode(token.split(".")[1]))


def jwks(srv) -> list[dict]:
    resp = httpx.get(f"{srv.url}/v2/keys/{srv.project_id}", headers={"Authorization": f"Bearer {srv.project_id}"},
                     timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    return resp.json()["keys"]


# ---------------------------------------------------------------- processes

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoggedServer(LatchkeyServer):
    """Same command line as LatchkeyServer, but stdout and stderr go to files we can read afterwards."""

    def __init__(self, config=None, log_dir: str | None = None, env: dict | None = None, **kw):
        super().__init__(config, **kw)
        log_dir = Path(log_dir or self.data_dir)
        self.stdout_path, self.stderr_path = log_dir / "server.stdout.log", log_dir / "server.stderr.log"
        self.env = env

    def start(self, timeout: float = 30.0) -> "LoggedServer":
        cmd = [BIN, "serve", "--listen", "127.0.0.1:0", "--config", str(self.config_path), *self._store_args()]
        with open(self.stdout_path, "w") as out, open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=self.env)
        deadline = time.monotonic() + timeout
        while not self.url and time.monotonic() < deadline and self.proc.poll() is None:
            for line in self.stdout_path.read_text().splitlines():
                if line.startswith("listening on "):
                    self.url = line.split()[-1].strip()
                    break
            time.sleep(0.05)
        while self.url and time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("latchkey did not start: " + self.stderr_path.read_text()[-2000:])

    def logs(self) -> str:
        return self.stdout_path.read_text(errors="replace") + "\n" + self.stderr_path.read_text(errors="replace")


@pytest.fixture
def logged_server(tmp_path):
    started = []

    def start(config=None, env=None) -> LoggedServer:
        srv = LoggedServer(config, log_dir=str(tmp_path), env=env).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.cleanup()


# ---------------------------------------------------------------- SMTP sink

class SmtpSink:
    def __init__(self):
        self.envelopes = []
        self.host, self.port = "127.0.0.1", free_port()

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def wait_for(self, recipient: str, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for env in self.envelopes:
                if recipient in env.rcpt_tos:
                    return env
            time.sleep(0.1)
        raise AssertionError(f"no mail to {recipient} reached the sink: {[e.rcpt_tos for e in self.envelopes]}")


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
