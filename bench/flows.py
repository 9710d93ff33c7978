"""The flows: how each is seeded, what one request of it looks like, and how much crypto it does.

A flow's `build(ctx)` returns the wrk Load (or raises Unavailable). Before the load runs, one
request of it is sent by hand (`probe`): a 404 makes the flow "unavailable" (an endpoint that has
not landed), any other non-2xx makes it "failed"; the probe's answer also tells how many JWTs the
server signed for it (JWTs in the answer that were not in the request)."""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from httpc import Client, Reply, authorization_code
from load import Load
import peer as peer_mod

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REDIRECT_URI = "http://127.0.0.1:9/callback"
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class Unavailable(Exception):
    """The flow's endpoint is not there (yet): reported, not fatal."""


@dataclass
class Seeds:
    password_users: list[tuple[str, str]] = field(default_factory=list)
    otp_users: list[str] = field(default_factory=list)
    refresh_bearers: list[str] = field(default_factory=list)  # "projectId:refreshJwt"
    otp_codes: list[tuple[str, str]] = field(default_factory=list)
    oauth_client: tuple[str, str] | None = None
    oauth_unavailable: str | None = None


@dataclass
class Context:
    server: object  # server.Latchkey
    client: Client
    project_id: str
    management_key: str
    seeds: Seeds
    sizes: dict
    peer: object | None = None  # peer.Peer while the peer's flows run

    @property
    def mgmt_bearer(self) -> str:
        return f"Bearer {self.project_id}:{self.management_key}"


@dataclass
class Flow:
    key: str
    title: str
    system: str  # "latchkey" or "peer"
    build: Callable[[Context], Load]
    kind: str  # "signature" (bound by JWT signing), "hash" (Argon2), "store" (database), "static"
    hashes: int = 0
    alg: str = "RS256"
    peer_of: str | None = None  # the Latchkey flow a peer flow is compared with
    needs: str | None = None  # a step run (unmeasured) before the flow's load is built


# --- seeding -------------------------------------------------------------------------------------

def _check(reply: Reply, what: str) -> dict:
    if not 200 <= reply.status < 300:
        raise RuntimeError(f"seeding failed at {what}: {reply.status} {reply.text[:300]}")
    return reply.json() if reply.body else {}


# Seeded users have signed in before: a first sign-in of an "invited" user also rewrites its row.
RETURNING = {"status": "enabled", "verifiedEmail": True}


def seed(ctx: Context) -> None:
    """Users with passwords, many users without (OTP sign-ins and loads), and live sessions."""
    s, mgmt = ctx.seeds, f"{ctx.project_id}:{ctx.management_key}"

    def password_user(i: int) -> tuple[str, str]:
        login, password = f"bench-pw-{i}@example.com", f"bench-password-{i:04d}"
        _check(Client(ctx.client.base).post_json("/v1/mgmt/user/create", {
            **RETURNING, "loginId": login, "email": login, "displayName": f"Bench {i}"}, mgmt), "user create")
        return login, password

    # Their passwords are set just before the password flow (set_passwords): hashing grows the
    # server's memory for good, which every flow measured after it would show.
    with ThreadPoolExecutor(4) as pool:
        s.password_users = list(pool.map(password_user, range(ctx.sizes["password_users"])))

    batch = 500
    s.otp_users = [f"bench-otp-{i}@example.com" for i in range(ctx.sizes["otp_users"])]
    chunks = [s.otp_users[i:i + batch] for i in range(0, len(s.otp_users), batch)]

    def create_batch(logins: list[str]) -> None:
        users = [{**RETURNING, "loginId": login, "email": login, "displayName": "Bench OTP"} for login in logins]
        body = _check(Client(ctx.client.base).post_json("/v1/mgmt/user/create/batch", {"users": users}, mgmt),
                      "batch create")
        if body.get("failedUsers"):
            raise RuntimeError(f"batch create refused users: {body['failedUsers'][:2]}")

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(create_batch, chunks))

    def session(i: int) -> str:
        login = s.password_users[i % len(s.password_users)][0]
        body = _check(Client(ctx.client.base).post_json("/v1/mgmt/auth/signin", {"loginId": login}, mgmt),
                      "mgmt sign-in")
        return f"{ctx.project_id}:{body['refreshJwt']}"

    with ThreadPoolExecutor(4) as pool:
        s.refresh_bearers = list(pool.map(session, range(ctx.sizes["sessions"])))


def set_passwords(ctx: Context) -> None:
    """One at a time, as a user would: concurrent hashes cost memory (docs/benchmarks.md)."""
    for login, password in ctx.seeds.password_users:
        _check(ctx.client.post_json("/v1/mgmt/user/password/set/active", {"loginId": login, "password": password},
                                    f"{ctx.project_id}:{ctx.management_key}"), "password set")


def newest_code(ctx: Context, recipient: str) -> str:
    for message in json.loads(ctx.server.cli("outbox", "--json", "--limit", "50").stdout):
        if message["recipient"] == recipient and message.get("code"):
            return message["code"]
    raise RuntimeError(f"no code for {recipient} in the outbox")


def stored_argon2_hash(ctx: Context) -> str | None:
    """One stored password hash, to read the parameters the server really uses."""
    query = "SELECT password_hash FROM users WHERE password_hash IS NOT NULL LIMIT 1"
    server = ctx.server
    if server.database_url:
        out = subprocess.run(["psql", server.database_url, "-Atc", query], capture_output=True, text=True)
        return out.stdout.strip() or None
    with sqlite3.connect(f"file:{server.data_dir / 'latchkey.db'}?mode=ro", uri=True) as db:
        row = db.execute(query).fetchone()
    return row[0] if row else None


def harvest_otp_codes(ctx: Context) -> None:
    """The codes the OTP start flow sent, from the dev outbox: the newest per login id."""
    out = ctx.server.cli("outbox", "--json", "--limit", str(len(ctx.seeds.otp_users) * 2 + 100))
    codes: dict[str, str] = {}
    for message in json.loads(out.stdout):  # newest first
        if message.get("code") and message["recipient"] not in codes:
            codes[message["recipient"]] = message["code"]
    ctx.seeds.otp_codes = [(login, code) for login, code in codes.items() if login.startswith("bench-otp-")]


def oauth_setup(ctx: Context) -> None:
    """A confidential client with a redirect URI (for refresh tokens through the code flow)."""
    s = ctx.seeds
    if s.oauth_client or s.oauth_unavailable:
        return
    probe = ctx.client.post_form("/oauth/token", {"grant_type": "client_credentials"})
    if probe.status == 404:
        s.oauth_unavailable = f"POST /oauth/token answers 404 ({probe.text[:120]})"
        return
    made = ctx.server.cli("clients", "create", "--name", "bench", "--redirect-uri", REDIRECT_URI, "--json",
                          check=False)
    if made.returncode == 0:
        created = json.loads(made.stdout)
        s.oauth_client = (created["client_id"], created["client_secret"])
        return
    reply = ctx.client.post_json("/v1/mgmt/oauth/client/create",
                                 {"name": "bench", "public": False, "redirectUris": [REDIRECT_URI],
                                  "postLogoutRedirectUris": []}, f"{ctx.project_id}:{ctx.management_key}")
    if reply.status == 200:
        body = reply.json()
        s.oauth_client = (body["client"]["clientId"], body["clientSecret"])
        return
    s.oauth_unavailable = (f"no OAuth client could be made: `latchkey clients create` said "
                           f"{(made.stderr or made.stdout).strip()[:120]!r}; the management API answered {reply.status}")


def mint_oauth_refresh_tokens(ctx: Context, count: int) -> list[str]:
    """Refresh tokens through the real code flow: authorize, the hosted login page (an emailed
    code: no password hash), code, token. After the first sign-in the provider session (cookie)
    skips the login page."""
    oauth_setup(ctx)
    if ctx.seeds.oauth_unavailable:
        raise Unavailable(ctx.seeds.oauth_unavailable)
    client_id, secret = ctx.seeds.oauth_client
    login = ctx.seeds.password_users[0][0]
    browser = Client(ctx.client.base)
    tokens = []
    for i in range(count):
        query = urllib.parse.urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
                                        "scope": "openid offline_access", "state": f"s{i}"})
        code = authorization_code(browser, f"/oauth/authorize?{query}", REDIRECT_URI,
                                  {"email": login, "code": lambda: newest_code(ctx, login)},
                                  prefer_actions=("/login/otp/verify", "/login/otp"))
        reply = browser.post_form("/oauth/token", {"grant_type": "authorization_code", "code": code,
                                                   "redirect_uri": REDIRECT_URI, "client_id": client_id,
                                                   "client_secret": secret})
        if reply.status != 200 or "refresh_token" not in reply.json():
            raise RuntimeError(f"/oauth/token (authorization_code) answered {reply.status}: {reply.text[:300]}")
        tokens.append(reply.json()["refresh_token"])
    return tokens


# --- the flows -----------------------------------------------------------------------------------

def jwks_v2(ctx: Context) -> Load:
    return Load("GET", f"/v2/keys/{ctx.project_id}")


def jwks_well_known(ctx: Context) -> Load:
    return Load("GET", "/.well-known/jwks.json")


def session_refresh(ctx: Context) -> Load:
    # Refresh rotation is off by default (ProjectSettings.refresh_rotation): a token serves again.
    return Load("POST", "/v1/auth/refresh", "{}", {**JSON, "Authorization": "Bearer {1}"},
                pool=[(b,) for b in ctx.seeds.refresh_bearers])


def otp_start(ctx: Context) -> Load:
    return Load("POST", "/v1/auth/otp/signup-in/email", '{"loginId":"{1}","loginOptions":{}}',
                {**JSON, "Authorization": f"Bearer {ctx.project_id}"},
                pool=[(u,) for u in ctx.seeds.otp_users], mode="once")


def otp_verify(ctx: Context) -> Load:
    if not ctx.seeds.otp_codes:
        raise RuntimeError("no OTP codes in the outbox (did the OTP start flow run?)")
    return Load("POST", "/v1/auth/otp/verify/email", '{"loginId":"{1}","code":"{2}"}',
                {**JSON, "Authorization": f"Bearer {ctx.project_id}"}, pool=ctx.seeds.otp_codes, mode="once")


def password_sign_in(ctx: Context) -> Load:
    return Load("POST", "/v1/auth/password/signin", '{"loginId":"{1}","password":"{2}"}',
                {**JSON, "Authorization": f"Bearer {ctx.project_id}"}, pool=ctx.seeds.password_users)


def user_create(ctx: Context) -> Load:
    login = "bench-new-{r}-{t}-{n}@example.com"
    body = f'{{"loginId":"{login}","email":"{login}","displayName":"Bench New","roleNames":[],"userTenants":[]}}'
    return Load("POST", "/v1/mgmt/user/create", body, {**JSON, "Authorization": ctx.mgmt_bearer})


def user_load(ctx: Context) -> Load:
    logins = [u for u, _ in ctx.seeds.password_users] + ctx.seeds.otp_users
    return Load("GET", "/v1/mgmt/user?loginId={1}", None, {"Authorization": ctx.mgmt_bearer},
                pool=[(urllib.parse.quote(u, safe=""),) for u in logins])


def oauth_client_credentials(ctx: Context) -> Load:
    oauth_setup(ctx)
    if ctx.seeds.oauth_unavailable:
        raise Unavailable(ctx.seeds.oauth_unavailable)
    client_id, secret = ctx.seeds.oauth_client
    body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id,
                                   "client_secret": secret})
    return Load("POST", "/oauth/token", body, FORM)


def oauth_refresh(ctx: Context) -> Load:
    tokens = mint_oauth_refresh_tokens(ctx, ctx.sizes["chain_seeds"])
    client_id, secret = ctx.seeds.oauth_client
    body = "grant_type=refresh_token&refresh_token={1}&" + urllib.parse.urlencode(
        {"client_id": client_id, "client_secret": secret})
    return Load("POST", "/oauth/token", body, FORM, pool=[(t,) for t in tokens], mode="chain", chain="refresh_token")


def peer_client_credentials(ctx: Context) -> Load:
    body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": peer_mod.CLIENT_ID,
                                   "client_secret": peer_mod.CLIENT_SECRET, "scope": "api:read"})
    return Load("POST", "/token", body, FORM)


def peer_refresh(ctx: Context) -> Load:
    tokens = ctx.peer.mint_refresh_tokens(ctx.sizes["chain_seeds"])
    body = "grant_type=refresh_token&refresh_token={1}&" + urllib.parse.urlencode(
        {"client_id": peer_mod.CLIENT_ID, "client_secret": peer_mod.CLIENT_SECRET})
    return Load("POST", "/token", body, FORM, pool=[(t,) for t in tokens], mode="chain", chain="refresh_token")


LATCHKEY = [
    Flow("jwks_v2", "JWKS GET /v2/keys/{pid}", "latchkey", jwks_v2, "static"),
    Flow("jwks_well_known", "JWKS GET /.well-known/jwks.json", "latchkey", jwks_well_known, "static"),
    Flow("session_refresh", "Session refresh (Descope)", "latchkey", session_refresh, "signature"),
    Flow("otp_start", "OTP start (email)", "latchkey", otp_start, "store"),
    Flow("otp_verify", "OTP verify (email)", "latchkey", otp_verify, "signature", needs="harvest_otp_codes"),
    Flow("user_create", "Mgmt user create", "latchkey", user_create, "store"),
    Flow("user_load", "Mgmt user load", "latchkey", user_load, "store"),
    Flow("oauth_client_credentials", "OAuth client_credentials", "latchkey", oauth_client_credentials, "signature"),
    Flow("oauth_refresh", "OAuth refresh_token (rotating)", "latchkey", oauth_refresh, "signature"),
]

# Last, on an RS256 key again: the memory its concurrent hashing takes is not given back, which
# would show in every later flow's RSS (see docs/benchmarks.md).
LATCHKEY_LAST = [
    Flow("password_sign_in", "Password sign-in", "latchkey", password_sign_in, "hash", hashes=1,
         needs="set_passwords"),
]

# Run after `latchkey keys rotate --alg ...` has made that algorithm the signing one.
ALGORITHM_VARIANTS = {
    alg: [
        Flow(f"session_refresh_{alg.lower()}", f"Session refresh (Descope), {alg}", "latchkey", session_refresh,
             "signature", alg=alg),
        Flow(f"oauth_client_credentials_{alg.lower()}", f"OAuth client_credentials, {alg}", "latchkey",
             oauth_client_credentials, "signature", alg=alg),
    ]
    for alg in ("ES256", "EdDSA")
}

PEER = [
    Flow("peer_client_credentials", "OAuth client_credentials", "peer", peer_client_credentials, "signature",
         peer_of="oauth_client_credentials"),
    Flow("peer_refresh", "OAuth refresh_token (rotating)", "peer", peer_refresh, "signature",
         peer_of="oauth_refresh"),
]

STEPS = {"harvest_otp_codes": harvest_otp_codes, "set_passwords": set_passwords}


# --- one request by hand --------------------------------------------------------------------------

def render(template: str, row: tuple[str, ...]) -> str:
    def slot(m: re.Match) -> str:
        name = m.group(1)
        if name.isdigit():
            return row[int(name) - 1] if int(name) <= len(row) else ""
        return f"probe{name}"  # {t}, {n}, {r}: a value no wrk run uses
    return re.sub(r"\{([1-9ntr])\}", slot, template)


def probe(base_url: str, load: Load) -> tuple[Reply, int]:
    """Sends the first request of the load; returns the answer and how many JWTs the server signed
    for it. Keeps the pool right: a one-use line is dropped, a rotated token replaced."""
    row = load.pool[0] if load.pool else ()
    path = render(load.path, row)
    headers = {k: render(v, row) for k, v in load.headers.items()}
    body = render(load.body, row).encode() if load.body is not None else None
    reply = Client(base_url).request(load.method, path, body, headers)
    sent = " ".join([path, *headers.values(), (body or b"").decode()])
    signed = {jwt for jwt in JWT_RE.findall(reply.text) if jwt not in sent}
    if load.pool and load.mode == "once":
        load.pool = load.pool[1:]
    elif load.pool and load.mode == "chain" and 200 <= reply.status < 300:
        load.pool[0] = (reply.json()[load.chain],)
    return reply, len(signed)
