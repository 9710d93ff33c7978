"""Latchkey as an OpenID Connect provider, driven by a real relying party (Authlib 1.9) and the hosted pages.

Authlib's requests OAuth2Session builds the authorization URL (PKCE S256, nonce, state), exchanges the
code, refreshes, revokes and introspects; the id_token is checked the way Authlib's own OIDC clients do
it (joserfc signature check against the discovered JWKS, then authlib.oidc.core.CodeIDToken claims).
The hosted pages are driven by the cookie-keeping browser of oidc_helpers, codes and links come from the
dev outbox, and every user is made through the Descope management API.

Assumptions where docs/oidc.md leaves a detail open (standard behaviour chosen):
- Discovery advertises the endpoints of the route table under the issuer (revocation and introspection
  too, RFC 8414), `jwks_uri` one of the two key routes, `end_session_endpoint` = /oidc/logout, only
  `code` / `S256`, and the three client authentication methods the contract names.
- id_token `name` is the user's display name, `given_name`/`family_name` the user's fields; a user
  created with a verified email, or one who just proved it with a code or link, has email_verified true.
- userinfo without a valid token answers 401 with `WWW-Authenticate: Bearer` (RFC 6750).
- Refresh with a scope wider than the grant answers invalid_scope (RFC 6749 section 6).
- RP-initiated logout also ends the client's session of the hinted user: its refresh token stops working.
- The management API's client object uses the camelCase names of its requests (`clientId`, `name`,
  `public`, `redirectUris`, `postLogoutRedirectUris`); `client/all` answers `{"clients": [...]}`.
- Branding: the brand name is in the page text, the logo URL is an <img src>, the colour is in the HTML.
"""
from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc import rpinitiated
from authlib.oidc.discovery import OpenIDProviderMetadata

from oidc_helpers import (FULL_SCOPE, OTHER_REDIRECT_URI, SIGN_IN, TIMEOUT, Client, User, at_hash, authorize_url,
                          create_client, create_user, descope_mgmt, discovery, expect_callback, expect_code,
                          expect_error, expect_page, expect_refused_page, full_tokens, introspect, is_active,
                          login_page, new_email, password_sign_in, random_state, refresh, reset_password, revoke,
                          sign_in, sign_up, strong_password, token_post, tokens, userinfo, verify_id_token,
                          verify_jwt)


class RelyingParty:
    """An app signing users in with Authlib: what it sends, what it remembers, what it checks."""

    def __init__(self, server, client: Client, auth_method: str | None = None):
        self.server, self.client, self.meta = server, client, discovery(server)
        if auth_method is None:
            auth_method = "none" if client.public else "client_secret_basic"
        self.session = OAuth2Session(client.client_id, client.client_secret, scope=FULL_SCOPE,
                                     redirect_uri=client.redirect_uri, code_challenge_method="S256",
                                     token_endpoint_auth_method=auth_method,
                                     revocation_endpoint_auth_method=auth_method, default_timeout=TIMEOUT)
        self.token_responses: list = []
        self.session.register_compliance_hook("access_token_response", self._keep)
        self.session.register_compliance_hook("refresh_token_response", self._keep)
        self.verifier = self.nonce = self.state = None

    def _keep(self, resp):
        self.token_responses.append(resp)
        return resp

    def authorization_url(self, **extra) -> str:
        self.verifier, self.nonce = generate_token(64), generate_token(24)
        url, self.state = self.session.create_authorization_url(
            self.meta["authorization_endpoint"], code_verifier=self.verifier, nonce=self.nonce, **extra)
        return url

    def callback(self, result) -> dict:
        """Handle the redirect back: Authlib checks the state and exchanges the code."""
        cb = expect_code(result, self.client.redirect_uri, self.state, self.server.url)
        return self.session.fetch_token(self.meta["token_endpoint"], authorization_response=cb.url,
                                        code_verifier=self.verifier, state=self.state)

    def id_claims(self, token: dict):
        return verify_id_token(self.server, token["id_token"], self.client.client_id, self.nonce,
                               token["access_token"])

    def refresh(self, refresh_token: str, **extra) -> dict:
        return self.session.refresh_token(self.meta["token_endpoint"], refresh_token=refresh_token, **extra)


def rp_sign_in(server, browser, rp: RelyingParty, user, method: str = "otp", **extra) -> dict:
    """The RP sends the browser to authorize, the user signs in on the hosted pages, the RP gets tokens."""
    page = login_page(browser, rp.authorization_url(**extra))
    return rp.callback(SIGN_IN[method](browser, page, user))


def check_user_claims(claims, user) -> None:
    assert claims["sub"] == user.user_id, claims
    assert claims["email"] == user.email and claims["email_verified"] is True, claims
    assert claims["name"] == user.name, claims
    assert claims["given_name"] == user.given_name and claims["family_name"] == user.family_name, claims


# ---------------------------------------------------------------- discovery and keys


def test_discovery_document_is_what_an_rp_needs(server):
    """An RP configured with just the issuer URL finds every endpoint, and Authlib accepts the metadata."""
    meta = discovery(server)
    base = server.url
    assert meta["issuer"] == base and not base.endswith("/")
    assert meta["authorization_endpoint"] == f"{base}/oauth/authorize"
    assert meta["token_endpoint"] == f"{base}/oauth/token"
    assert meta["userinfo_endpoint"] == f"{base}/userinfo"
    assert meta["jwks_uri"] in (f"{base}/keys", f"{base}/.well-known/jwks.json")
    assert meta["revocation_endpoint"] == f"{base}/oauth/revoke"
    assert meta["introspection_endpoint"] == f"{base}/oauth/introspect"
    assert meta["end_session_endpoint"] == f"{base}/oidc/logout"
    assert meta["response_types_supported"] == ["code"]
    assert {"authorization_code", "refresh_token", "client_credentials"} <= set(meta["grant_types_supported"])
    assert "implicit" not in meta["grant_types_supported"] and "password" not in meta["grant_types_supported"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert "RS256" in meta["id_token_signing_alg_values_supported"]
    assert "none" not in meta["id_token_signing_alg_values_supported"]
    assert {"client_secret_basic", "client_secret_post", "none"} <= set(meta["token_endpoint_auth_methods_supported"])
    assert "public" in meta["subject_types_supported"]
    if "scopes_supported" in meta:  # RECOMMENDED only
        assert {"openid", "offline_access"} <= set(meta["scopes_supported"])
    OpenIDProviderMetadata(meta).validate(metadata_classes=[rpinitiated.OpenIDProviderMetadata])


def test_key_routes_publish_the_same_rs256_public_keys(server):
    """Both key routes serve the signing keys: RSA, with a kid, and nothing private."""
    keys = httpx.get(f"{server.url}/keys", timeout=TIMEOUT)
    well_known = httpx.get(f"{server.url}/.well-known/jwks.json", timeout=TIMEOUT)
    assert keys.status_code == well_known.status_code == 200
    assert keys.json() == well_known.json()
    jwks = keys.json()["keys"]
    assert jwks, "no keys"
    for key in jwks:
        assert key["kty"] == "RSA" and key["kid"] and key["n"] and key["e"], key
        assert key.get("alg", "RS256") == "RS256" and key.get("use", "sig") == "sig", key
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key), "private key material published"
    assert len({k["kid"] for k in jwks}) == len(jwks), "kids repeat"


# ---------------------------------------------------------------- the authorization code flow


def test_code_flow_with_pkce_gives_a_verified_id_token(server, browser, client):
    """A user made with the Descope management API signs in with an emailed code; the RP gets tokens
    it can verify: the id_token names the user, the access token carries the documented claims."""
    user = create_user(server)
    rp = RelyingParty(server, client)
    started = int(time.time())
    token = rp_sign_in(server, browser, rp, user)

    raw = rp.token_responses[-1]
    assert "no-store" in raw.headers.get("cache-control", ""), raw.headers
    assert token["token_type"].lower() == "bearer"
    assert isinstance(token["expires_in"], int) and token["expires_in"] > 0
    assert set(token["scope"].split()) == set(FULL_SCOPE.split()), token["scope"]
    assert token["refresh_token"].startswith("lkr_")

    claims = rp.id_claims(token)  # iss, aud, exp, iat, nonce and at_hash checked by Authlib
    assert claims["iss"] == server.url
    assert claims["aud"] in (client.client_id, [client.client_id])
    assert claims["nonce"] == rp.nonce
    assert claims["at_hash"] == at_hash(token["access_token"])
    assert started - 5 <= claims["auth_time"] <= time.time() + 1
    assert claims["sid"] and claims["amr"][0] == "otp", claims
    check_user_claims(claims, user)

    _, access = verify_jwt(server, token["access_token"])
    assert access["iss"] == server.url and access["sub"] == user.user_id
    assert access["aud"] == [client.client_id] and access["client_id"] == client.client_id
    assert access["sid"] == claims["sid"] and access["jti"]
    assert set(access["scopes"]) == set(FULL_SCOPE.split())
    assert access["amr"][0] == "otp" and "oid" not in access
    assert access["iat"] <= time.time() + 1 < access["exp"]


def test_userinfo_returns_the_signed_in_user(server, browser, client, user):
    """The RP reads the user's profile with the access token, by GET and by POST; no token, no profile."""
    rp = RelyingParty(server, client)
    rp_sign_in(server, browser, rp, user)
    for method in ("GET", "POST"):
        resp = rp.session.request(method, rp.meta["userinfo_endpoint"])
        assert resp.status_code == 200, resp.text
        check_user_claims(resp.json(), user)
    anonymous = httpx.get(rp.meta["userinfo_endpoint"], timeout=TIMEOUT)
    assert anonymous.status_code == 401
    assert anonymous.headers.get("www-authenticate", "").lower().startswith("bearer")


def test_refresh_rotates_the_refresh_token(server, browser, client, user):
    """Every refresh hands out a new refresh token; the used one is refused, the new one keeps working."""
    rp = RelyingParty(server, client)
    first = rp_sign_in(server, browser, rp, user)
    second = dict(rp.refresh(first["refresh_token"]))
    assert second["refresh_token"].startswith("lkr_") and second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert userinfo(server, second["access_token"]).json()["sub"] == user.user_id

    with pytest.raises(OAuthError) as refused:
        rp.refresh(first["refresh_token"])
    assert refused.value.error == "invalid_grant"

    third = dict(rp.refresh(second["refresh_token"]))  # the race window changed nothing
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])


def test_refresh_can_narrow_but_not_widen_the_scope(server, browser, client):
    """A refresh may ask for fewer scopes; asking for one never granted is refused."""
    login_tokens = full_tokens(server, browser, client, create_user(server), scope="openid email offline_access")
    narrow = refresh(server, client, login_tokens["refresh_token"], scope="openid")
    body = tokens(narrow)
    assert body["scope"].split() == ["openid"]
    _, access = verify_jwt(server, body["access_token"])
    assert access["scopes"] == ["openid"]
    wide = refresh(server, client, body["refresh_token"], scope="openid email profile")
    assert wide.status_code == 400 and wide.json()["error"] == "invalid_scope", wide.text


def test_revoked_refresh_token_no_longer_refreshes(server, browser, client, user):
    """After the RP revokes (RFC 7009) the refresh token, refreshing fails; unknown tokens revoke fine."""
    rp = RelyingParty(server, client)
    token = rp_sign_in(server, browser, rp, user)
    resp = rp.session.revoke_token(rp.meta["revocation_endpoint"], token=token["refresh_token"],
                                   token_type_hint="refresh_token")
    assert resp.status_code == 200, resp.text
    with pytest.raises(OAuthError) as refused:
        rp.refresh(token["refresh_token"])
    assert refused.value.error == "invalid_grant"
    unknown = rp.session.revoke_token(rp.meta["revocation_endpoint"], token="lkr_" + generate_token(40))
    assert unknown.status_code == 200


def test_revoked_access_token_is_inactive(server, browser, client, user):
    """Revoking an access token makes introspection and userinfo refuse it."""
    body = full_tokens(server, browser, client, user)
    assert is_active(server, client, body["access_token"])
    assert revoke(server, client, body["access_token"], token_type_hint="access_token").status_code == 200
    assert not is_active(server, client, body["access_token"])
    assert userinfo(server, body["access_token"]).status_code == 401


def test_introspection_reports_active_and_inactive_tokens(server, browser, client, user):
    """A resource server asks whether a token is live: yes with its claims, no for garbage, and only
    when it authenticates itself."""
    rp = RelyingParty(server, client)
    token = rp_sign_in(server, browser, rp, user)
    resp = rp.session.introspect_token(rp.meta["introspection_endpoint"], token=token["access_token"])
    assert resp.status_code == 200, resp.text
    info = resp.json()
    assert info["active"] is True
    assert info["sub"] == user.user_id and info["client_id"] == client.client_id
    assert info["exp"] > time.time() and info["iss"] == server.url
    garbage = rp.session.introspect_token(rp.meta["introspection_endpoint"], token="not-a-token")
    assert garbage.status_code == 200 and garbage.json() == {"active": False}
    anonymous = introspect(server, None, token["access_token"])
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_client"


# ---------------------------------------------------------------- single sign-on and prompt


def test_second_client_gets_a_code_without_a_login_page(server, browser, client, other_client, user):
    """Signed in for app A, the user opens app B and lands back in B at once (SSO)."""
    sign_in(server, browser, client, user)
    assert browser.cookie("lk_sso"), "no provider session cookie after signing in"
    rp_b = RelyingParty(server, other_client)
    result = browser.open(rp_b.authorization_url())
    cb = expect_code(result, OTHER_REDIRECT_URI, rp_b.state, server.url, status=302)
    token = rp_b.callback(cb)
    claims = rp_b.id_claims(token)
    assert claims["sub"] == user.user_id and claims["aud"] in (other_client.client_id, [other_client.client_id])


def test_prompt_login_shows_the_login_page_despite_a_session(server, browser, client, user):
    """prompt=login makes the user sign in again, and doing so gives a fresh code."""
    sign_in(server, browser, client, user)
    again = sign_in(server, browser, client, user, method="pwd", prompt="login")
    assert again.code


def test_prompt_none_without_a_session_answers_login_required(server, browser, client):
    """A silent check with no session comes back to the RP with error=login_required and its state."""
    state = random_state()
    result = browser.open(authorize_url(server, client, state=state, prompt="none"))
    expect_error(result, client.redirect_uri, "login_required", state)


def test_prompt_none_with_a_session_gives_a_code(server, browser, client, user):
    sign_in(server, browser, client, user)
    state = random_state()
    result = browser.open(authorize_url(server, client, state=state, prompt="none"))
    expect_code(result, client.redirect_uri, state, server.url, status=302)


def test_prompt_create_opens_the_sign_up_page(server, browser, client):
    resp = browser.get(authorize_url(server, client, state=random_state(), prompt="create"))
    assert resp.status_code == 303 and urlparse(resp.headers["location"]).path == "/signup", resp.headers
    page = expect_page(browser.land(resp), "/signup")
    assert {"name", "email", "password"} <= page.form("/signup").names()


def test_login_hint_prefills_the_email(server, browser, client):
    email = new_email("hint")
    page = login_page(browser, authorize_url(server, client, state=random_state(), login_hint=email))
    assert page.form("/login/otp").input("email").get("value") == email
    assert page.form("/login/password").input("email").get("value") == email


def test_login_page_has_labelled_forms_and_links(server, browser, client):
    """The login page works without JavaScript: three labelled forms, each carrying req and csrf."""
    page = login_page(browser, authorize_url(server, client, state=random_state()))
    req = parse_qs(urlparse(page.url).query)["req"][0]
    expected = {"/login/password": ({"email": "Email", "password": "Password"}, "Sign in"),
                "/login/otp": ({"email": "Email"}, "Email me a code"),
                "/login/magic": ({"email": "Email"}, "Email me a link")}
    for action, (labels, button) in expected.items():
        form = page.form(action)
        assert form.method == "post", action
        assert form.hidden().get("req") == req and form.hidden().get("csrf"), (action, form.hidden())
        for name, label in labels.items():
            assert page.label_for(form, name) == label, (action, name, page.labels)
        assert button in form.buttons, (action, form.buttons)
    signup, forgot = page.link("/signup"), page.link("/password/forgot")
    assert parse_qs(urlparse(signup).query)["req"] == [req]
    assert parse_qs(urlparse(forgot).query)["req"] == [req]
    assert any(text == "Create an account" for _, text in page.links)
    assert any(text == "Forgot password?" for _, text in page.links)


# ---------------------------------------------------------------- logout


def test_rp_initiated_logout_redirects_back_and_ends_the_session(server, browser, client, user):
    """Signing out at the provider sends the user back to the app with its state, and the next
    authorize shows the login page again; the app's refresh token is dead too."""
    rp = RelyingParty(server, client)
    token = rp_sign_in(server, browser, rp, user)
    state = random_state()
    logout = f"{rp.meta['end_session_endpoint']}?" + urlencode(
        {"id_token_hint": token["id_token"], "post_logout_redirect_uri": client.post_logout_uri, "state": state})
    cb = expect_callback(browser.open(logout), client.post_logout_uri, status=302)
    assert cb.params == {"state": state}
    login_page(browser, authorize_url(server, client, state=random_state()))
    expect_error(browser.open(authorize_url(server, client, state="s", prompt="none")), client.redirect_uri,
                 "login_required", "s")
    assert refresh(server, client, token["refresh_token"]).json().get("error") == "invalid_grant"


def test_logout_without_a_redirect_shows_a_signed_out_page(server, browser, client, user):
    sign_in(server, browser, client, user)
    page = expect_page(browser.open("/oidc/logout"))
    assert "signed out" in page.text.lower()
    login_page(browser, authorize_url(server, client, state=random_state()))


# ---------------------------------------------------------------- other ways to sign in


def test_password_sign_in(server, browser, client, user):
    rp = RelyingParty(server, client)
    token = rp_sign_in(server, browser, rp, user, method="pwd")
    claims = rp.id_claims(token)
    check_user_claims(claims, user)
    assert claims["amr"][0] == "pwd"


def test_magic_link_sign_in(server, browser, client, user):
    rp = RelyingParty(server, client)
    token = rp_sign_in(server, browser, rp, user, method="magiclink")
    claims = rp.id_claims(token)
    check_user_claims(claims, user)
    assert claims["amr"][0] == "magiclink"


def test_sign_up_through_the_hosted_page(server, make_browser, client):
    """A new user creates an account on the sign-up page, lands in the app signed in, exists for the
    Descope management API, and can sign in again with that password."""
    email, password = new_email("signup"), strong_password()
    rp = RelyingParty(server, client)
    browser = make_browser()
    resp = browser.get(rp.authorization_url(prompt="create"))
    page = expect_page(browser.land(resp), "/signup")
    token = rp.callback(sign_up(browser, page, "Grace Hopper", email, password))
    claims = rp.id_claims(token)
    assert claims["email"] == email and claims["name"] == "Grace Hopper"
    loaded = descope_mgmt(server).mgmt.user.load(email)["user"]
    assert loaded["userId"] == claims["sub"] and loaded["email"] == email

    again = RelyingParty(server, client)
    token2 = rp_sign_in(server, make_browser(), again, User(email, password, "Grace", "Hopper", claims["sub"]),
                        method="pwd")
    assert again.id_claims(token2)["sub"] == claims["sub"]


def test_forgot_and_reset_password(server, make_browser, client, user):
    """Forgot password? mails a link; the new password works, the old one no longer does."""
    browser = make_browser()
    login = login_page(browser, authorize_url(server, client, state=random_state()))
    new_password = strong_password()
    back = reset_password(browser, login, user.email, new_password)
    assert back.has_form("/login/password")

    fresh = make_browser()
    page = login_page(fresh, authorize_url(server, client, state=random_state()))
    old = expect_page(password_sign_in(fresh, page, user.email, user.password), status=(400, 401))
    assert old.alert, "no error shown for the old password"
    user.password = new_password
    assert sign_in(server, make_browser(), client, user, method="pwd").code


# ---------------------------------------------------------------- clients


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_confidential_client_authenticates_with_basic_or_post(server, browser, client, user, auth_method):
    rp = RelyingParty(server, client, auth_method)
    token = rp_sign_in(server, browser, rp, user)
    assert rp.id_claims(token)["sub"] == user.user_id
    assert rp.refresh(token["refresh_token"])["refresh_token"] != token["refresh_token"]


def test_public_client_signs_in_with_pkce_and_no_secret(server, browser, public_client, user):
    rp = RelyingParty(server, public_client)
    token = rp_sign_in(server, browser, rp, user)
    assert rp.id_claims(token)["sub"] == user.user_id
    assert rp.refresh(token["refresh_token"])["access_token"]


def test_client_credentials_token_is_the_clients_own(server, client):
    """A backend gets a token for itself: sub is the client id, no refresh token, no id_token."""
    session = OAuth2Session(client.client_id, client.client_secret, default_timeout=TIMEOUT)
    token = session.fetch_token(discovery(server)["token_endpoint"], grant_type="client_credentials")
    assert "refresh_token" not in token and "id_token" not in token
    _, claims = verify_jwt(server, token["access_token"])
    assert claims["sub"] == client.client_id and claims["client_id"] == client.client_id
    assert claims["iss"] == server.url


def test_unknown_client_or_unregistered_redirect_is_an_error_page(server, browser, client):
    """The user sees an error page; nothing is sent anywhere."""
    unknown = authorize_url(server, "lkc_" + generate_token(20), client.redirect_uri, state="s")
    expect_refused_page(browser.get(unknown))
    elsewhere = authorize_url(server, client, "http://app.example.test/elsewhere", state="s")
    expect_refused_page(browser.get(elsewhere))


def test_unsupported_response_type_goes_back_to_the_app(server, browser, client):
    state = random_state()
    result = browser.open(authorize_url(server, client, state=state, response_type="token"))
    expect_error(result, client.redirect_uri, "unsupported_response_type", state)


def test_clients_cli_lists_rotates_and_deletes(server, browser, user):
    """`latchkey clients`: list never shows secrets; a rotated secret replaces the old one; a deleted
    client can no longer sign anyone in."""
    client = create_client(server)
    listed = json.loads(server.cli("clients", "list", "--json").stdout)
    mine = [c for c in listed if c["client_id"] == client.client_id]
    assert len(mine) == 1 and mine[0]["name"] == client.name
    assert client.client_secret not in json.dumps(listed) and all("client_secret" not in c for c in listed)

    rotated = json.loads(server.cli("clients", "rotate-secret", client.client_id, "--json").stdout)
    new_secret = rotated["client_secret"]
    assert new_secret.startswith("lks_") and new_secret != client.client_secret
    old = token_post(server, {"grant_type": "client_credentials"}, client)
    assert old.status_code == 401 and old.json()["error"] == "invalid_client"
    client.client_secret = new_secret
    tokens(token_post(server, {"grant_type": "client_credentials"}, client))

    other_uri = "http://app.example.test/v2/callback"
    server.cli("clients", "update", client.client_id, "--redirect-uri", other_uri)
    expect_refused_page(browser.get(authorize_url(server, client, client.redirect_uri, state="s")))
    client.redirect_uris = [other_uri]
    assert sign_in(server, browser, client, user).code

    server.cli("clients", "delete", client.client_id)
    expect_refused_page(browser.get(authorize_url(server, client, state="s")))
    gone = token_post(server, {"grant_type": "client_credentials"}, client)
    assert gone.status_code == 401 and gone.json()["error"] == "invalid_client"


def test_clients_management_api(server):
    """Clients made with the management key work like CLI-made ones."""
    headers = {"Authorization": f"Bearer {server.project_id}:{server.management_key}"}

    def mgmt(method: str, path: str, **kw) -> httpx.Response:
        resp = httpx.request(method, f"{server.url}/v1/mgmt/oauth/client/{path}", headers=headers,
                             timeout=TIMEOUT, **kw)
        assert resp.status_code == 200, f"{path}: {resp.status_code} {resp.text}"
        return resp

    created = mgmt("POST", "create", json={"name": "mgmt-app", "public": False,
                                           "redirectUris": ["http://app.example.test/callback"],
                                           "postLogoutRedirectUris": []}).json()
    client_id, secret = created["client"]["clientId"], created["clientSecret"]
    assert client_id.startswith("lkc_") and secret.startswith("lks_")
    assert created["client"]["redirectUris"] == ["http://app.example.test/callback"]
    client = Client(client_id, secret, ["http://app.example.test/callback"], [], False, "mgmt-app")
    tokens(token_post(server, {"grant_type": "client_credentials"}, client))

    loaded = mgmt("GET", "load", params={"clientId": client_id}).json()
    assert loaded["client"]["clientId"] == client_id and secret not in json.dumps(loaded)
    mgmt("POST", "update", json={"clientId": client_id, "name": "mgmt-app",
                                 "redirectUris": ["http://app.example.test/v2"], "postLogoutRedirectUris": []})
    assert mgmt("GET", "load", params={"clientId": client_id}).json()["client"]["redirectUris"] == [
        "http://app.example.test/v2"]
    listed = mgmt("GET", "all").json()["clients"]
    assert client_id in [c["clientId"] for c in listed] and secret not in json.dumps(listed)
    mgmt("POST", "delete", json={"clientId": client_id})
    gone = token_post(server, {"grant_type": "client_credentials"}, client)
    assert gone.status_code == 401

    no_key = httpx.get(f"{server.url}/v1/mgmt/oauth/client/all", timeout=TIMEOUT)
    assert no_key.status_code == 401


def test_branding_is_shown_on_every_page(make_server, make_browser):
    """The project's name, logo and colour appear on the login, sign-up and forgot-password pages."""
    srv = make_server({"rate_limit": {"per_ip": 100000, "per_login_id": 1000}})
    srv.cli("project", "set", "--brand-name", "Acme Widgets", "--brand-logo-url",
            "https://cdn.example.test/acme.png", "--brand-color", "#4f46e5")
    client = create_client(srv)
    browser = make_browser(srv)
    login = login_page(browser, authorize_url(srv, client, state=random_state()))
    pages = [login, expect_page(browser.open(login.link("/signup")), "/signup"),
             expect_page(browser.open(login.link("/password/forgot")), "/password/forgot")]
    for page in pages:
        assert "Acme Widgets" in page.text, page.url
        assert "https://cdn.example.test/acme.png" in page.images, (page.url, page.images)
        assert "#4f46e5" in page.html.lower(), page.url
