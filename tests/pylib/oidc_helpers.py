"""Shared helpers for the OpenID Connect provider suites (docs/oidc.md is the contract they assert).

Everything talks to the server over its public contract only: the hosted HTML pages driven by a small
cookie-keeping browser (httpx, no redirects followed blindly), the OAuth endpoints over raw HTTP, the
`latchkey clients` CLI, the dev outbox and the Descope management API (the real `descope` SDK).

Test modules import this module as `oidc_helpers`; the conftests of tests/compat/oidc and
tests/security re-export its fixtures.

Assumptions where docs/oidc.md leaves a detail open (standard behaviour chosen):
- Cookies carry no `Secure` flag when the public URL is http:// (the test servers listen on plain
  loopback HTTP, and a browser would otherwise never send them back).
- Hosted-page form `action`s are paths on the server (absolute URLs on the server's origin also work).
- A page step that is not a final redirect may answer 200 directly or 302/303 to another page of the
  server; the browser follows same-origin redirects and stops at the first foreign one (the RP's
  redirect URI), which it never fetches.
- Outbox messages are written before the page that triggered them answers.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import httpx
import pytest
from authlib.oidc.core import CodeIDToken
from descope import AssociatedTenant, DescopeClient
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

TIMEOUT = 30.0
REDIRECT_URI = "http://app.example.test/callback"
POST_LOGOUT_URI = "http://app.example.test/signed-out"
OTHER_REDIRECT_URI = "http://other.example.test/callback"
OTHER_POST_LOGOUT_URI = "http://other.example.test/signed-out"
FULL_SCOPE = "openid profile email offline_access"


# ---------------------------------------------------------------- identities


def uid() -> str:
    return uuid.uuid4().hex[:12]


def new_email(tag: str = "u") -> str:
    return f"oidc-{tag}-{uid()}@example.com"


def strong_password() -> str:
    return f"Lk-{uid()}-Pw9!"


def random_state() -> str:
    return secrets.token_urlsafe(16)


# ---------------------------------------------------------------- PKCE (RFC 7636)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def s256(verifier: str) -> str:
    """The S256 code challenge of a verifier: BASE64URL(SHA256(ASCII(verifier)))."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str
    method: str = "S256"

    @classmethod
    def new(cls) -> "Pkce":
        verifier = secrets.token_urlsafe(48)  # 64 characters of the unreserved set
        return cls(verifier, s256(verifier))

    def params(self) -> dict:
        return {"code_challenge": self.challenge, "code_challenge_method": self.method}


# ---------------------------------------------------------------- hosted pages: HTML parsing


@dataclass
class Form:
    action: str
    method: str
    inputs: list[dict] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return urlparse(self.action).path

    def hidden(self) -> dict[str, str]:
        return {i["name"]: i.get("value", "") for i in self.inputs if i.get("type") == "hidden" and i.get("name")}

    def input(self, name: str) -> dict | None:
        return next((i for i in self.inputs if i.get("name") == name), None)

    def names(self) -> set[str]:
        return {i["name"] for i in self.inputs if i.get("name")}


class _PageParser(HTMLParser):
    """Collects forms (inputs, buttons), labels, links, images, the role=alert message and all text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.labels: dict[str, str] = {}
        self.links: list[tuple[str, str]] = []
        self.images: list[str] = []
        self.alerts: list[str] = []
        self.text: list[str] = []
        self._form: Form | None = None
        self._capture: list[tuple[str, list[str], object]] = []  # (tag, text parts, target)

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
        elif tag in ("input", "textarea", "select") and self._form is not None:
            self._form.inputs.append({"tag": tag, "type": a.get("type", "text").lower(), **a})
            if tag == "input" and a.get("type", "").lower() == "submit":
                self._form.buttons.append(a.get("value", ""))
        elif tag == "button" and self._form is not None and a.get("type", "submit").lower() == "submit":
            self._capture.append(("button", [], self._form))
        elif tag == "label":
            self._capture.append(("label", [], a.get("for", "")))
        elif tag == "a":
            self._capture.append(("a", [], a.get("href", "")))
        elif tag == "img":
            self.images.append(a.get("src", ""))
        elif tag == "p" and a.get("role") == "alert":
            self._capture.append(("alert", [], None))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
            return
        kinds = {"button": "button", "label": "label", "a": "a", "p": "alert"}
        if tag not in kinds or not self._capture or self._capture[-1][0] != kinds[tag]:
            return
        kind, parts, target = self._capture.pop()
        text = " ".join("".join(parts).split())
        if kind == "button":
            target.buttons.append(text)
        elif kind == "label":
            self.labels[target] = text
        elif kind == "a":
            self.links.append((target, text))
        else:
            self.alerts.append(text)

    def handle_data(self, data):
        self.text.append(data)
        for _, parts, _ in self._capture:
            parts.append(data)


@dataclass
class Page:
    """A hosted page as the user sees it."""

    url: str
    status: int
    headers: httpx.Headers
    html: str
    forms: list[Form]
    labels: dict[str, str]
    links: list[tuple[str, str]]
    images: list[str]
    alerts: list[str]
    text: str

    @classmethod
    def parse(cls, resp: httpx.Response) -> "Page":
        parser = _PageParser()
        parser.feed(resp.text)
        parser.close()
        text = " ".join(" ".join(parser.text).split())
        return cls(str(resp.url), resp.status_code, resp.headers, resp.text, parser.forms, parser.labels,
                   parser.links, parser.images, parser.alerts, text)

    @property
    def path(self) -> str:
        return urlparse(self.url).path

    @property
    def alert(self) -> str | None:
        return self.alerts[0] if self.alerts else None

    def has_form(self, action: str) -> bool:
        return any(f.path == action for f in self.forms)

    def form(self, action: str) -> Form:
        for f in self.forms:
            if f.path == action:
                return f
        raise AssertionError(f"no form posting to {action} on {self.url} (forms: {[f.action for f in self.forms]})"
                             f"\n{self.text[:500]}")

    def label_for(self, form: Form, name: str) -> str | None:
        """The text of the <label for=...> of a form's input."""
        inp = form.input(name)
        return self.labels.get(inp.get("id", "")) if inp else None

    def link(self, path: str) -> str:
        for href, _ in self.links:
            if urlparse(href).path == path:
                return href
        raise AssertionError(f"no link to {path} on {self.url}: {self.links}")


def parse_page(html_text: str, url: str = "http://test/", status: int = 200) -> Page:
    """Parse HTML without a server (for the helper self-checks)."""
    return Page.parse(httpx.Response(status, text=html_text, request=httpx.Request("GET", url)))


# ---------------------------------------------------------------- the browser


@dataclass
class Callback:
    """A redirect to the relying party (never fetched): the redirect status and the query it carries."""

    url: str
    status: int

    @property
    def params(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlparse(self.url).query, keep_blank_values=True).items()}

    @property
    def base(self) -> str:
        """The URL without query: the redirect URI it went to."""
        p = urlparse(self.url)
        return f"{p.scheme}://{p.netloc}{p.path}"

    @property
    def code(self) -> str | None:
        return self.params.get("code")

    @property
    def error(self) -> str | None:
        return self.params.get("error")


class Browser:
    """A user agent: keeps cookies, follows redirects only within the server, never visits the RP."""

    def __init__(self, server):
        self.server = server
        self.origin = _origin(server.url)
        self.http = httpx.Client(follow_redirects=False, timeout=TIMEOUT)

    def close(self) -> None:
        self.http.close()

    def url(self, path_or_url: str) -> str:
        return urljoin(self.server.url + "/", path_or_url)

    def get(self, url: str, **kw) -> httpx.Response:
        return self.http.get(self.url(url), **kw)

    def post(self, url: str, data: dict, cookie_header: str | None = None) -> httpx.Response:
        """POST a form; `cookie_header` replaces the cookies the jar would send (for forging)."""
        headers = {"Cookie": cookie_header} if cookie_header is not None else None
        return self.http.post(self.url(url), data=data, headers=headers)

    def submit(self, page: Page, action: str, drop: tuple[str, ...] = (), cookie_header: str | None = None,
               **fields) -> httpx.Response:
        """Submit the page's form: its hidden inputs (req, csrf, ...) plus `fields`, minus `drop`."""
        form = page.form(action)
        data = {k: v for k, v in {**form.hidden(), **fields}.items() if k not in drop}
        return self.post(urljoin(page.url, form.action), data, cookie_header)

    def land(self, resp: httpx.Response) -> Page | Callback:
        """Follow the server's own redirects; stop at a page or at a redirect that leaves the server."""
        for _ in range(10):
            if resp.status_code not in (301, 302, 303, 307, 308):
                return Page.parse(resp)
            location = resp.headers.get("location")
            assert location, f"{resp.status_code} without Location from {resp.request.url}"
            target = urljoin(str(resp.request.url), location)
            if _origin(target) != self.origin:
                return Callback(target, resp.status_code)
            resp = self.http.get(target)
        raise AssertionError(f"redirect loop ending at {resp.request.url}")

    def open(self, url: str) -> Page | Callback:
        return self.land(self.get(url))

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.http.cookies.jar if c.name == name), None)

    def cookie_header(self, **overrides: str | None) -> str:
        """The Cookie header this browser would send, with some cookies replaced (None drops one)."""
        cookies = {c.name: c.value for c in self.http.cookies.jar}
        cookies.update(overrides)
        return "; ".join(f"{k}={v}" for k, v in cookies.items() if v is not None)

    def set_cookie(self, name: str, value: str) -> None:
        host = urlparse(self.server.url).hostname
        self.http.cookies.set(name, value, domain=host, path="/")


def _origin(url: str) -> tuple[str, str]:
    p = urlparse(url)
    return p.scheme, p.netloc


def expect_page(result: Page | Callback, path: str | None = None, status: int | tuple[int, ...] = 200) -> Page:
    assert isinstance(result, Page), f"expected a page, got a redirect to {getattr(result, 'url', result)}"
    statuses = status if isinstance(status, tuple) else (status,)
    assert result.status in statuses, f"{result.url}: status {result.status}, expected {status}\n{result.text[:500]}"
    if path is not None:
        assert result.path == path, f"expected the page {path}, got {result.url}"
    return result


def expect_callback(result: Page | Callback, redirect_uri: str, status: int | None = None) -> Callback:
    assert isinstance(result, Callback), (
        f"expected a redirect to {redirect_uri}, got the page {result.url} ({result.status}): "
        f"{result.alert or result.text[:300]}")
    assert result.base == redirect_uri, f"redirected to {result.url}, expected {redirect_uri}"
    if status is not None:
        assert result.status == status, f"redirect status {result.status}, expected {status}"
    return result


def expect_code(result: Page | Callback, redirect_uri: str, state: str | None, issuer: str,
                status: int | None = None) -> Callback:
    """A successful authorization response: code, the exact state, and iss (RFC 9207)."""
    cb = expect_callback(result, redirect_uri, status)
    assert cb.code, f"no code in {cb.url}"
    assert "error" not in cb.params, cb.url
    if state is not None:
        assert cb.params.get("state") == state, f"state {cb.params.get('state')!r} is not {state!r}"
    assert cb.params.get("iss") == issuer, f"iss {cb.params.get('iss')!r} is not the issuer {issuer!r}"
    return cb


def expect_error(result: Page | Callback, redirect_uri: str, error: str, state: str | None) -> Callback:
    cb = expect_callback(result, redirect_uri)
    assert cb.status == 302, f"error redirect status {cb.status}"
    assert cb.error == error, f"expected error={error}, got {cb.url}"
    assert "code" not in cb.params, cb.url
    if state is not None:
        assert cb.params.get("state") == state, cb.url
    return cb


def expect_refused_page(resp: httpx.Response, status: int = 400) -> Page:
    """An HTML error page, never a redirect."""
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text[:300]}"
    assert "location" not in resp.headers, f"error answered with a redirect to {resp.headers['location']}"
    assert resp.headers.get("content-type", "").startswith("text/html"), resp.headers.get("content-type")
    return Page.parse(resp)


# ---------------------------------------------------------------- outbox


def outbox_to(server, email: str) -> list[dict]:
    return [m for m in server.outbox() if m["recipient"] == email]


def newest_id(server, email: str) -> str | None:
    msgs = outbox_to(server, email)
    return msgs[0]["id"] if msgs else None


def new_message(server, email: str, previous_id: str | None) -> dict:
    """The newest message to `email`, which must not be `previous_id`."""
    msg = server.last_message_to(email)
    assert msg["id"] != previous_id, f"no new message to {email}"
    return msg


# ---------------------------------------------------------------- sign-in flows through the pages


def login_page(browser: Browser, authorize: str) -> Page:
    """Open an authorize URL that has no usable session: 303 to the login page."""
    resp = browser.get(authorize)
    assert resp.status_code == 303, (
        f"authorize answered {resp.status_code} {resp.headers.get('location')}: {resp.text[:300]}")
    assert urlparse(resp.headers["location"]).path == "/login", resp.headers["location"]
    page = expect_page(browser.land(resp), "/login")
    assert "req" in parse_qs(urlparse(page.url).query), page.url
    return page


def otp_sign_in(browser: Browser, page: Page, email: str) -> Page | Callback:
    """Email me a code → read it from the outbox → Continue."""
    before = newest_id(browser.server, email)
    code_page = expect_page(browser.land(browser.submit(page, "/login/otp", email=email)))
    code = new_message(browser.server, email, before)["code"]
    assert code, "the OTP message carries no code"
    return browser.land(browser.submit(code_page, "/login/otp/verify", email=email, code=code))


def password_sign_in(browser: Browser, page: Page, email: str, password: str) -> Page | Callback:
    return browser.land(browser.submit(page, "/login/password", email=email, password=password))


def magic_link_sign_in(browser: Browser, page: Page, email: str) -> Page | Callback:
    """Email me a link → "Check your email" → open the mailed /login/magic/verify link."""
    before = newest_id(browser.server, email)
    expect_page(browser.land(browser.submit(page, "/login/magic", email=email)))
    link = new_message(browser.server, email, before)["link"]
    assert link and urlparse(link).path == "/login/magic/verify", f"unexpected magic link {link!r}"
    assert urlparse(link).netloc == urlparse(browser.server.url).netloc, f"magic link {link} is not on the server"
    return browser.open(link)


def sign_up(browser: Browser, page: Page, name: str, email: str, password: str) -> Page | Callback:
    return browser.land(browser.submit(page, "/signup", name=name, email=email, password=password))


def request_reset(browser: Browser, login: Page, email: str) -> str:
    """Forgot password? → Send reset link; returns the mailed /password/reset link."""
    forgot = expect_page(browser.open(login.link("/password/forgot")), "/password/forgot")
    before = newest_id(browser.server, email)
    expect_page(browser.land(browser.submit(forgot, "/password/forgot", email=email)))
    link = new_message(browser.server, email, before)["link"]
    assert link and urlparse(link).path == "/password/reset", f"unexpected reset link {link!r}"
    return link


def reset_password(browser: Browser, login: Page, email: str, new_password: str) -> Page:
    """The whole forgot/reset round trip; ends on the login page."""
    reset = expect_page(browser.open(request_reset(browser, login, email)), "/password/reset")
    return expect_page(browser.land(browser.submit(reset, "/password/reset", password=new_password)), "/login")


SIGN_IN = {"otp": lambda b, p, user: otp_sign_in(b, p, user.email),
           "pwd": lambda b, p, user: password_sign_in(b, p, user.email, user.password),
           "magiclink": lambda b, p, user: magic_link_sign_in(b, p, user.email)}


# ---------------------------------------------------------------- CLI clients and Descope users


@dataclass
class Client:
    client_id: str
    client_secret: str | None
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    public: bool
    name: str

    @property
    def redirect_uri(self) -> str:
        return self.redirect_uris[0]

    @property
    def post_logout_uri(self) -> str:
        return self.post_logout_redirect_uris[0]


def create_client(server, public: bool = False, redirect_uris=(REDIRECT_URI,),
                  post_logout_uris=(POST_LOGOUT_URI,), organization: str | None = None,
                  name: str | None = None) -> Client:
    """`latchkey clients create ... --json`."""
    name = name or f"app-{uid()}"
    args = ["clients", "create", "--name", name]
    if public:
        args.append("--public")
    for uri in redirect_uris:
        args += ["--redirect-uri", uri]
    for uri in post_logout_uris:
        args += ["--post-logout-redirect-uri", uri]
    if organization:
        args += ["--organization", organization]
    out = json.loads(server.cli(*args, "--json").stdout)
    assert out["client_id"].startswith("lkc_"), out
    assert out["public"] is public, out
    if public:
        assert not out.get("client_secret"), "a public client got a secret"
    else:
        assert out["client_secret"].startswith("lks_"), out
    assert out["redirect_uris"] == list(redirect_uris), out
    assert out["post_logout_redirect_uris"] == list(post_logout_uris), out
    return Client(out["client_id"], out.get("client_secret"), out["redirect_uris"],
                  out["post_logout_redirect_uris"], public, name)


def descope_mgmt(server) -> DescopeClient:
    return DescopeClient(project_id=server.project_id, base_url=server.url, management_key=server.management_key)


@dataclass
class User:
    email: str
    password: str
    given_name: str
    family_name: str
    user_id: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def create_user(server, email: str | None = None, tenants: tuple[str, ...] = (), password: str | None = None) -> User:
    """A user made through the Descope management API, with a password and a verified email."""
    email = email or new_email()
    given, family = "Ada", f"Lovelace{uid()[:4]}"
    mgmt = descope_mgmt(server)
    resp = mgmt.mgmt.user.create(login_id=email, email=email, display_name=f"{given} {family}", given_name=given,
                                 family_name=family, verified_email=True,
                                 user_tenants=[AssociatedTenant(t) for t in tenants] or None)
    user_id = resp["user"]["userId"]
    password = password or strong_password()
    mgmt.mgmt.user.set_active_password(email, password)
    return User(email, password, given, family, user_id)


def create_tenant(server) -> str:
    return descope_mgmt(server).mgmt.tenant.create(f"Org {uid()}")["id"]


# ---------------------------------------------------------------- authorize requests


def authorize_url(server, client: Client | str, redirect_uri: str | None = None, pkce: Pkce | None = None,
                  **params) -> str:
    """A raw /oauth/authorize URL; `None` values are left out, `redirect_uri` defaults to the client's first."""
    client_id = client if isinstance(client, str) else client.client_id
    if redirect_uri is None and not isinstance(client, str):
        redirect_uri = client.redirect_uri
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": FULL_SCOPE,
             **(pkce.params() if pkce else {}), **params}
    return f"{server.url}/oauth/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})


@dataclass
class Login:
    """A finished authorization request: the browser (now with a session) and what the RP must remember."""

    browser: Browser
    client: Client
    callback: Callback
    state: str
    nonce: str
    pkce: Pkce | None
    redirect_uri: str

    @property
    def code(self) -> str:
        return self.callback.code


def sign_in(server, browser: Browser, client: Client, user: User, method: str = "otp", pkce: bool = True,
            redirect_uri: str | None = None, **params) -> Login:
    """Authorize → login page → sign in with `method` → code at the redirect URI (no session yet)."""
    state, nonce = random_state(), random_state()
    proof = Pkce.new() if pkce else None
    redirect_uri = redirect_uri or client.redirect_uri
    url = authorize_url(server, client, redirect_uri, proof, state=state, nonce=nonce, **params)
    result = SIGN_IN[method](browser, login_page(browser, url), user)
    cb = expect_code(result, redirect_uri, state, server.url, status=303)
    return Login(browser, client, cb, state, nonce, proof, redirect_uri)


# ---------------------------------------------------------------- OAuth endpoints over raw HTTP


def oauth_post(server, path: str, data: dict, client: Client | None = None, auth: str = "post",
               headers: dict | None = None) -> httpx.Response:
    """POST a form to an OAuth endpoint with client authentication `post` (client_id + client_secret in
    the body), `basic` (HTTP Basic) or `none` (client_id only)."""
    data = dict(data)
    basic = None
    if client is not None:
        if auth == "basic":
            basic = httpx.BasicAuth(client.client_id, client.client_secret or "")
        else:
            data["client_id"] = client.client_id
            if auth == "post" and client.client_secret:
                data["client_secret"] = client.client_secret
    return httpx.post(f"{server.url}{path}", data=data, auth=basic, headers=headers, timeout=TIMEOUT)


def token_post(server, data: dict, client: Client | None = None, auth: str = "post",
               headers: dict | None = None) -> httpx.Response:
    return oauth_post(server, "/oauth/token", data, client, auth, headers)


def exchange(server, login: Login, client: Client | None = None, auth: str = "post", **overrides) -> httpx.Response:
    """The code exchange an RP makes for `login` (override any form field; None leaves it out)."""
    data = {"grant_type": "authorization_code", "code": login.code, "redirect_uri": login.redirect_uri,
            "code_verifier": login.pkce.verifier if login.pkce else None, **overrides}
    return token_post(server, {k: v for k, v in data.items() if v is not None}, client or login.client, auth)


def tokens(resp: httpx.Response) -> dict:
    """A successful token response (RFC 6749 5.1 + `Cache-Control: no-store`)."""
    assert resp.status_code == 200, f"token endpoint answered {resp.status_code}: {resp.text}"
    assert "no-store" in resp.headers.get("cache-control", ""), resp.headers.get("cache-control")
    body = resp.json()
    assert body["access_token"] and body["token_type"].lower() == "bearer", body
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0, body
    return body


def refresh(server, client: Client, refresh_token: str, auth: str = "post", **extra) -> httpx.Response:
    return token_post(server, {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}, client, auth)


def introspect(server, client: Client | None, token: str, auth: str = "post", **extra) -> httpx.Response:
    return oauth_post(server, "/oauth/introspect", {"token": token, **extra}, client, auth)


def revoke(server, client: Client | None, token: str, auth: str = "post", **extra) -> httpx.Response:
    return oauth_post(server, "/oauth/revoke", {"token": token, **extra}, client, auth)


def is_active(server, client: Client, token: str) -> bool:
    resp = introspect(server, client, token)
    assert resp.status_code == 200, resp.text
    return resp.json()["active"]


def userinfo(server, access_token: str, method: str = "GET") -> httpx.Response:
    return httpx.request(method, f"{server.url}/userinfo", headers={"Authorization": f"Bearer {access_token}"},
                         timeout=TIMEOUT)


def assert_oauth_error(resp: httpx.Response, status: int | tuple[int, ...], *errors: str) -> dict:
    """An RFC 6749 JSON error with this status and one of these `error` codes."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert resp.status_code in statuses, f"expected {statuses}, got {resp.status_code}: {resp.text}"
    body = resp.json()
    assert body.get("error") in errors, f"expected error in {errors}, got {body}"
    assert "access_token" not in body, body
    return body


def full_tokens(server, browser: Browser, client: Client, user: User, method: str = "otp", **params) -> dict:
    """Sign in and exchange the code: the token response."""
    return tokens(exchange(server, sign_in(server, browser, client, user, method, **params)))


# ---------------------------------------------------------------- discovery, keys, JWTs


@functools.lru_cache(maxsize=None)
def _discovery(url: str) -> dict:
    resp = httpx.get(f"{url}/.well-known/openid-configuration", timeout=TIMEOUT)
    assert resp.status_code == 200, f"discovery answered {resp.status_code}: {resp.text[:300]}"
    return resp.json()


def discovery(server) -> dict:
    return _discovery(server.url)


def key_set(server) -> KeySet:
    resp = httpx.get(discovery(server)["jwks_uri"], timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    return KeySet.import_key_set(resp.json())


def verify_jwt(server, token: str) -> tuple[dict, dict]:
    """(header, claims) of a JWT whose RS256 signature checks against the server's JWKS."""
    decoded = jose_jwt.decode(token, key_set(server), algorithms=["RS256"])
    assert decoded.header.get("kid"), f"no kid in {decoded.header}"
    return decoded.header, decoded.claims


def unverified_claims(token: str) -> dict:
    return json.loads(b64url_decode(token.split(".")[1]))


def unverified_header(token: str) -> dict:
    return json.loads(b64url_decode(token.split(".")[0]))


def at_hash(access_token: str) -> str:
    """OIDC Core 3.1.3.6 for RS256: left half of SHA-256 of the access token, base64url."""
    return b64url(hashlib.sha256(access_token.encode()).digest()[:16])


def verify_id_token(server, id_token: str, client_id: str, nonce: str | None, access_token: str | None) -> CodeIDToken:
    """Verify an id_token as an RP does (Authlib's OIDC claims, the way Authlib's own clients decode it)."""
    header, claims = verify_jwt(server, id_token)
    options = {"iss": {"essential": True, "value": server.url}, "aud": {"essential": True, "value": client_id},
               "sub": {"essential": True}}
    params = {"nonce": nonce, "client_id": client_id, "access_token": access_token}
    id_claims = CodeIDToken(claims, header, options, params)
    id_claims.validate(leeway=5)
    return id_claims


def check_access_token(server, token: str, client_id: str, sub: str) -> dict:
    """The access token's documented claims (docs/oidc.md, Tokens)."""
    _, claims = verify_jwt(server, token)
    now = time.time()
    assert claims["iss"] == server.url, claims
    assert claims["sub"] == sub, claims
    aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert client_id in aud, claims
    assert claims["client_id"] == client_id, claims
    assert claims["jti"] and isinstance(claims["jti"], str), claims
    assert claims["iat"] <= now + 1, f"iat in the future: {claims}"
    assert claims["exp"] > now, claims
    assert claims.get("nbf", 0) <= now + 1, claims
    assert isinstance(claims["scopes"], list), f"scopes must be a JSON array: {claims}"
    return claims


# ---------------------------------------------------------------- forged tokens


def _segment(obj: dict) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def tamper(token: str, **changes) -> str:
    """The token with some claims changed and its original signature kept."""
    header, _, signature = token.split(".")
    return ".".join([header, _segment({**unverified_claims(token), **changes}), signature])


def unsigned(token: str) -> str:
    """The token's header and claims re-issued with `alg: none` and no signature."""
    header = {**unverified_header(token), "alg": "none"}
    return f"{_segment(header)}.{token.split('.')[1]}."


def flip_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    return ".".join([header, payload, b64url(bytes(b ^ 1 for b in b64url_decode(signature)))])


def resign(token: str, key, alg: str = "RS256") -> str:
    """The token's header (kid kept) and claims signed with another key (a joserfc key)."""
    header = {**unverified_header(token), "alg": alg}
    return jose_jwt.encode(header, unverified_claims(token), key, algorithms=[alg])


# ---------------------------------------------------------------- cookies


def set_cookie_headers(resp: httpx.Response) -> dict[str, str]:
    """name → the raw Set-Cookie header line, for the response's cookies."""
    return {line.split("=", 1)[0].strip(): line for line in resp.headers.get_list("set-cookie")}


def cookie_flags(line: str) -> set[str]:
    return {part.strip().lower() for part in line.split(";")[1:]}


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def client(server) -> Client:
    """A confidential client registered for REDIRECT_URI / POST_LOGOUT_URI."""
    return create_client(server)


@pytest.fixture
def other_client(server) -> Client:
    """A second confidential client with its own redirect and post-logout URIs."""
    return create_client(server, redirect_uris=(OTHER_REDIRECT_URI,), post_logout_uris=(OTHER_POST_LOGOUT_URI,))


@pytest.fixture
def public_client(server) -> Client:
    return create_client(server, public=True)


@pytest.fixture
def user(server) -> User:
    return create_user(server)


@pytest.fixture
def make_browser(server):
    """New browsers (own cookie jars) for `server` or another server; all closed after the test."""
    opened = []

    def make(srv=None) -> Browser:
        b = Browser(srv or server)
        opened.append(b)
        return b

    yield make
    for b in opened:
        b.close()


@pytest.fixture
def browser(make_browser) -> Browser:
    return make_browser()
