"""The real Scalekit Python SDK (scalekit-sdk-python==2.21.0, unchanged) against Latchkey's OAuth door.

Only the SDK's OAuth/OIDC path is used (it is plain HTTP: /oauth/token, /keys and the browser URLs it
builds); its gRPC management clients need TLS and are not part of this contract. The browser part of
each flow goes through the hosted pages with the helper browser, codes come from the dev outbox.

Facts of the real SDK these tests rely on (read from its source, scalekit/client.py, core.py and
common/exceptions.py of 2.21.0):
- The constructor POSTs client_credentials (client_secret_post) and raises if it fails; every later
  /oauth/token call also carries `Authorization: Bearer <that token>`, which the server must ignore.
- get_authorization_url needs an AuthorizationUrlOptions (never None); `scopes` must be a list (it is
  space-joined); falsy values are dropped; the URL is `{env_url}/oauth/authorize?...`, scope encoded
  with `+`. authenticate_with_code needs a CodeAuthenticationOptions (its code_verifier is sent if set).
- authenticate_with_code returns exactly user, id_token, access_token, refresh_token, connection_id
  (= amr[0]), organization_id (= oid) and expires_in; `user` renames the id_token's claims.
- refresh_access_token returns exactly {access_token, refresh_token}.
- JWKS comes from `{env_url}/keys` once per client; an unknown kid is a raw KeyError in
  validate_access_token_and_get_claims and False in validate_access_token.
- A non-2xx from /oauth/token is promoted by HTTP status: 400 → ScalekitBadRequestException,
  401 → ScalekitUnauthorizedException. `error_code` is the HTTP reason phrase, `err_details` the raw
  body (where the OAuth `error` is), `message` is None. `http_status` comes from the reason phrase, so
  "Bad Request" (not "BAD_REQUEST") reads as INTERNAL_SERVER_ERROR: not asserted for 400s.

Assumptions where docs/oidc.md leaves a detail open:
- A client_credentials access token lives for the session TTL (`tokens.session_ttl_secs`), like a user's.
- For an unknown connection_id / provider the server answers without a 5xx and never issues a code
  without a sign-in (an error page, an error redirect or the login page are all acceptable).
"""
from __future__ import annotations

import time
from http import HTTPStatus
from urllib.parse import parse_qsl, urlencode, urlparse

import pytest
from grpc import StatusCode
from scalekit import ScalekitClient
from scalekit.common.exceptions import (ScalekitBadRequestException, ScalekitUnauthorizedException,
                                        ScalekitValidateTokenFailureException)
from scalekit.common.scalekit import (AuthorizationUrlOptions, CodeAuthenticationOptions, LogoutUrlOptions,
                                      TokenValidationOptions)

from oidc_helpers import (FULL_SCOPE, Callback, Client, Page, Pkce, create_client, create_tenant, create_user,
                          expect_callback, expect_code, expect_refused_page, flip_signature, login_page, new_email,
                          otp_sign_in, random_state, tamper, unsigned, unverified_claims)

SCOPES = FULL_SCOPE.split()


def scalekit(env_url: str, client_id: str, client_secret: str, opened: list) -> ScalekitClient:
    sdk = ScalekitClient(env_url, client_id, client_secret)
    opened.append(sdk)
    return sdk


@pytest.fixture
def sdk_clients():
    """ScalekitClients made by a test; their (never used) gRPC channels are closed afterwards."""
    opened: list[ScalekitClient] = []
    yield opened
    for sdk in opened:
        sdk.core_client.grpc_secure_channel.close()


@pytest.fixture
def app(server, sdk_clients):
    """A confidential client registered for the test's redirect URIs, and a ScalekitClient for it."""
    client = create_client(server)
    return client, scalekit(server.url, client.client_id, client.client_secret, sdk_clients)


def url_options(**fields) -> AuthorizationUrlOptions:
    options = AuthorizationUrlOptions()
    options.scopes, options.state, options.nonce = list(SCOPES), random_state(), random_state()
    for name, value in fields.items():
        assert hasattr(options, name), name
        setattr(options, name, value)
    return options


def sdk_code(server, browser, sdk: ScalekitClient, client: Client, user, **fields) -> str:
    """The SDK builds the URL, the user signs in on the hosted pages with an emailed code: the code."""
    options = url_options(**fields)
    page = login_page(browser, sdk.get_authorization_url(client.redirect_uri, options))
    return expect_code(otp_sign_in(browser, page, user.email), client.redirect_uri, options.state, server.url).code


def sdk_sign_in(server, browser, sdk: ScalekitClient, client: Client, user, **fields) -> dict:
    """sdk_code, then the SDK exchanges the code: what authenticate_with_code returned."""
    code = sdk_code(server, browser, sdk, client, user, **fields)
    return sdk.authenticate_with_code(code, client.redirect_uri, CodeAuthenticationOptions())


# ---------------------------------------------------------------- setup


def test_credentials_env_configures_the_sdk(server, sdk_clients):
    """credentials.env holds SCALEKIT_ENVIRONMENT_URL (the issuer), a client id and a secret, and the SDK
    built from them gets its management token at construction."""
    creds = server.credentials
    assert creds["SCALEKIT_ENVIRONMENT_URL"] == server.url
    assert creds["SCALEKIT_CLIENT_ID"].startswith("lkc_") and creds["SCALEKIT_CLIENT_SECRET"].startswith("lks_")
    sdk = scalekit(creds["SCALEKIT_ENVIRONMENT_URL"], creds["SCALEKIT_CLIENT_ID"], creds["SCALEKIT_CLIENT_SECRET"],
                   sdk_clients)
    claims = sdk.validate_access_token_and_get_claims(
        sdk.core_client.access_token, options=TokenValidationOptions(issuer=server.url))
    assert claims["sub"] == creds["SCALEKIT_CLIENT_ID"] and claims["client_id"] == creds["SCALEKIT_CLIENT_ID"]


def test_default_client_signs_users_in_once_its_redirect_uri_is_set(make_server, make_browser, sdk_clients):
    """The default client has no redirect URI at first (authorize shows an error page); after
    `latchkey clients update` the SDK's whole sign-in works with the credentials.env values."""
    srv = make_server({"rate_limit": {"per_ip": 100000, "per_login_id": 1000}})
    creds = srv.credentials
    sdk = scalekit(creds["SCALEKIT_ENVIRONMENT_URL"], creds["SCALEKIT_CLIENT_ID"], creds["SCALEKIT_CLIENT_SECRET"],
                   sdk_clients)
    redirect = "http://app.example.test/auth/callback"
    browser = make_browser(srv)
    expect_refused_page(browser.get(sdk.get_authorization_url(redirect, url_options())))

    srv.cli("clients", "update", creds["SCALEKIT_CLIENT_ID"], "--redirect-uri", redirect)
    client = Client(creds["SCALEKIT_CLIENT_ID"], creds["SCALEKIT_CLIENT_SECRET"], [redirect], [], False, "default")
    user = create_user(srv)
    result = sdk_sign_in(srv, browser, sdk, client, user)
    assert result["user"]["id"] == user.user_id and result["user"]["email"] == user.email


# ---------------------------------------------------------------- authorization URL


def test_authorization_url_carries_every_option(server, app):
    """The URL the SDK builds names this server's authorize route and every option, in the SDK's order."""
    client, sdk = app
    options = url_options(connection_id="conn_123", organization_id="org_456", domain_hint="example.com",
                          login_hint="ada@example.com", provider="google", prompt="login")
    url = sdk.get_authorization_url(client.redirect_uri, options)
    assert url.startswith(f"{server.url}/oauth/authorize?")
    assert parse_qsl(urlparse(url).query) == [
        ("response_type", "code"), ("client_id", client.client_id), ("redirect_uri", client.redirect_uri),
        ("scope", " ".join(SCOPES)), ("state", options.state), ("nonce", options.nonce),
        ("login_hint", "ada@example.com"), ("domain_hint", "example.com"), ("connection_id", "conn_123"),
        ("organization_id", "org_456"), ("provider", "google"), ("prompt", "login")]


def test_every_option_url_is_answered_cleanly(server, browser, app):
    """Following a URL with an unknown connection and provider never crashes and never hands out a code
    without a sign-in."""
    client, sdk = app
    options = url_options(connection_id="conn_unknown", organization_id=create_tenant(server),
                          domain_hint="example.com", login_hint=new_email(), provider="google", prompt="login")
    resp = browser.get(sdk.get_authorization_url(client.redirect_uri, options))
    assert resp.status_code < 500, resp.text
    result = browser.land(resp)
    if isinstance(result, Callback):
        expect_callback(result, client.redirect_uri)
        assert result.error and not result.code, result.url
        assert result.params.get("state") == options.state
    else:
        assert isinstance(result, Page) and result.status < 500


def test_sign_in_for_an_organization(server, browser, app):
    """Following the SDK's URL (login_hint, domain_hint, organization, prompt=login, nonce, state) shows the
    login page with the email filled in; after sign-in the SDK reports the organization, and the access
    token carries it as oid."""
    client, sdk = app
    tenant = create_tenant(server)
    user = create_user(server, tenants=(tenant,))
    options = url_options(organization_id=tenant, login_hint=user.email, domain_hint="example.com", prompt="login")
    page = login_page(browser, sdk.get_authorization_url(client.redirect_uri, options))
    assert page.form("/login/otp").input("email").get("value") == user.email
    cb = expect_code(otp_sign_in(browser, page, user.email), client.redirect_uri, options.state, server.url)
    result = sdk.authenticate_with_code(cb.code, client.redirect_uri, CodeAuthenticationOptions())
    assert result["organization_id"] == tenant
    claims = sdk.validate_access_token_and_get_claims(result["access_token"])
    assert claims["oid"] == tenant
    assert unverified_claims(result["id_token"])["nonce"] == options.nonce


# ---------------------------------------------------------------- code exchange


def test_authenticate_with_code_returns_the_user_and_tokens(server, browser, app, user):
    """What an app gets back from the SDK after sign-in: the user's profile and a full token set."""
    client, sdk = app
    result = sdk_sign_in(server, browser, sdk, client, user)
    assert set(result) == {
        "user", "id_token", "access_token", "refresh_token", "connection_id", "organization_id", "expires_in"}
    assert result["user"]["id"] == user.user_id
    assert result["user"]["email"] == user.email and result["user"]["emailVerified"] is True
    assert result["user"]["name"] == user.name
    assert result["user"]["givenName"] == user.given_name and result["user"]["familyName"] == user.family_name
    assert result["connection_id"] == "otp"  # amr[0]: the method when the sign-in was not SSO
    assert result["organization_id"] is None
    assert result["refresh_token"].startswith("lkr_")
    assert isinstance(result["expires_in"], int) and result["expires_in"] > 0
    id_claims = sdk.validate_token(result["id_token"], options=TokenValidationOptions(
        issuer=server.url, audience=[client.client_id]))
    assert id_claims["sub"] == user.user_id


def test_authenticate_with_code_and_pkce(server, browser, app, user):
    """An app that adds PKCE to the SDK's URL sends the verifier through CodeAuthenticationOptions."""
    client, sdk = app
    proof, options = Pkce.new(), url_options()
    url = sdk.get_authorization_url(client.redirect_uri, options) + "&" + urlencode(proof.params())
    cb = expect_code(otp_sign_in(browser, login_page(browser, url), user.email), client.redirect_uri,
                     options.state, server.url)
    code_options = CodeAuthenticationOptions()
    code_options.code_verifier = proof.verifier
    assert sdk.authenticate_with_code(cb.code, client.redirect_uri, code_options)["user"]["id"] == user.user_id


# ---------------------------------------------------------------- token validation


def test_validate_access_token_accepts_fresh_and_refuses_tampered_tokens(server, browser, app, user):
    client, sdk = app
    token = sdk_sign_in(server, browser, sdk, client, user)["access_token"]
    assert sdk.validate_access_token(token) is True
    assert sdk.validate_access_token(tamper(token, sub=unverified_claims(token)["sub"] + "x")) is False
    assert sdk.validate_access_token(flip_signature(token)) is False
    assert sdk.validate_access_token(unsigned(token)) is False
    assert sdk.validate_access_token("not-a-jwt") is False


def test_validate_access_token_refuses_an_expired_token(make_server, sdk_clients):
    """With a 2-second session TTL, a token that was valid is refused once it has expired."""
    srv = make_server({"tokens": {"session_ttl_secs": 2}})
    creds = srv.credentials
    sdk = scalekit(srv.url, creds["SCALEKIT_CLIENT_ID"], creds["SCALEKIT_CLIENT_SECRET"], sdk_clients)
    token = sdk.get_client_access_token()
    assert sdk.validate_access_token(token) is True
    time.sleep(3.5)
    assert sdk.validate_access_token(token) is False
    with pytest.raises(ScalekitValidateTokenFailureException):
        sdk.validate_access_token_and_get_claims(token)


def test_validate_access_token_refuses_other_issuers(server, make_server, app, sdk_clients):
    """A token from another Latchkey, or one checked against another issuer or audience, is refused."""
    client, sdk = app
    other = make_server({})
    other_creds = other.credentials
    foreign = scalekit(other.url, other_creds["SCALEKIT_CLIENT_ID"], other_creds["SCALEKIT_CLIENT_SECRET"],
                       sdk_clients).get_client_access_token()
    assert sdk.validate_access_token(foreign) is False
    with pytest.raises((KeyError, ScalekitValidateTokenFailureException)):
        sdk.validate_access_token_and_get_claims(foreign)

    own = sdk.generate_client_token(client.client_id, client.client_secret)
    assert sdk.validate_access_token(own, options=TokenValidationOptions(issuer=server.url)) is True
    assert sdk.validate_access_token(own, options=TokenValidationOptions(issuer=other.url)) is False
    assert sdk.validate_access_token(own, options=TokenValidationOptions(issuer=server.url + "/")) is False
    assert sdk.validate_access_token(own, options=TokenValidationOptions(audience=["lkc_someone_else"])) is False


def test_validate_access_token_and_get_claims_with_options(server, browser, app, user):
    """Issuer, audience and required scopes are checked the way the SDK's middleware does it."""
    client, sdk = app
    token = sdk_sign_in(server, browser, sdk, client, user)["access_token"]
    options = TokenValidationOptions(issuer=server.url, audience=[client.client_id],
                                     required_scopes=["openid", "email"])
    claims = sdk.validate_access_token_and_get_claims(token, options=options)
    assert claims["sub"] == user.user_id and claims["iss"] == server.url
    assert client.client_id in claims["aud"] and claims["exp"] > time.time() >= claims["iat"] - 1
    assert set(SCOPES) <= set(claims["scopes"])
    assert isinstance(claims["roles"], list) and isinstance(claims["permissions"], list)

    with pytest.raises(ScalekitValidateTokenFailureException, match="admin:write"):
        sdk.validate_access_token_and_get_claims(token, options=TokenValidationOptions(
            issuer=server.url, required_scopes=["openid", "admin:write"]))
    with pytest.raises(ScalekitValidateTokenFailureException):
        sdk.validate_access_token_and_get_claims(token, options=TokenValidationOptions(issuer="https://evil.test"))
    with pytest.raises(ScalekitValidateTokenFailureException):
        sdk.validate_access_token_and_get_claims(token, options=TokenValidationOptions(audience=["lkc_other"]))


# ---------------------------------------------------------------- refresh, logout, client tokens


def test_refresh_access_token_rotates(server, browser, app, user):
    """The SDK's refresh returns a new access and refresh token; the used refresh token is refused."""
    client, sdk = app
    first = sdk_sign_in(server, browser, sdk, client, user)
    second = sdk.refresh_access_token(first["refresh_token"])
    assert set(second) == {"access_token", "refresh_token"}
    assert second["refresh_token"] != first["refresh_token"] and second["refresh_token"].startswith("lkr_")
    assert second["access_token"] != first["access_token"]
    assert sdk.validate_access_token_and_get_claims(second["access_token"])["sub"] == user.user_id
    with pytest.raises(ScalekitBadRequestException) as refused:
        sdk.refresh_access_token(first["refresh_token"])
    assert "invalid_grant" in refused.value.err_details
    assert sdk.refresh_access_token(second["refresh_token"])["refresh_token"]


def test_logout_url_signs_the_user_out(server, browser, app, user):
    """Following the SDK's logout URL ends the provider session and comes back with the state."""
    client, sdk = app
    result = sdk_sign_in(server, browser, sdk, client, user)
    state = random_state()
    url = sdk.get_logout_url(LogoutUrlOptions(id_token_hint=result["id_token"],
                                              post_logout_redirect_uri=client.post_logout_uri, state=state))
    assert url == f"{server.url}/oidc/logout?" + urlencode(
        {"id_token_hint": result["id_token"], "post_logout_redirect_uri": client.post_logout_uri, "state": state})
    cb = expect_callback(browser.open(url), client.post_logout_uri, status=302)
    assert cb.params.get("state") == state
    login_page(browser, sdk.get_authorization_url(client.redirect_uri, url_options()))


def test_generate_client_token(server, app, other_client):
    """Machine-to-machine tokens for the SDK's own client and for another confidential client."""
    client, sdk = app
    for cid, secret in ((client.client_id, client.client_secret),
                        (other_client.client_id, other_client.client_secret)):
        token = sdk.generate_client_token(cid, secret)
        claims = sdk.validate_access_token_and_get_claims(token, options=TokenValidationOptions(issuer=server.url))
        assert claims["sub"] == cid and claims["client_id"] == cid
    assert sdk.validate_access_token_and_get_claims(sdk.get_client_access_token())["sub"] == client.client_id


# ---------------------------------------------------------------- errors


def test_wrong_client_secret_raises_unauthorized_invalid_client(server, app, sdk_clients):
    client, sdk = app
    with pytest.raises(ScalekitUnauthorizedException) as at_construction:
        scalekit(server.url, client.client_id, "lks_wrong", sdk_clients)
    with pytest.raises(ScalekitUnauthorizedException) as at_generate:
        sdk.generate_client_token(client.client_id, client.client_secret + "x")
    for exc in (at_construction.value, at_generate.value):
        assert exc.http_status == HTTPStatus.UNAUTHORIZED and exc.grpc_status == StatusCode.UNAUTHENTICATED
        assert exc.error_code == "Unauthorized"
        assert "invalid_client" in exc.err_details and "invalid_client" in str(exc)


def test_reused_garbage_or_misdirected_code_raises_bad_request_invalid_grant(server, browser, app, user):
    """A code works once, only with its redirect URI; the SDK raises BadRequest naming invalid_grant."""
    client, sdk = app
    used = sdk_code(server, browser, sdk, client, user)
    sdk.authenticate_with_code(used, client.redirect_uri, CodeAuthenticationOptions())
    unused = sdk_code(server, browser, sdk, client, user, prompt="login")
    attempts = {"reused": (used, client.redirect_uri), "garbage": ("not-a-code", client.redirect_uri),
                "other redirect_uri": (unused, "http://app.example.test/other")}
    for name, (code, redirect_uri) in attempts.items():
        with pytest.raises(ScalekitBadRequestException) as refused:
            sdk.authenticate_with_code(code, redirect_uri, CodeAuthenticationOptions())
        exc = refused.value
        assert exc.grpc_status == StatusCode.INVALID_ARGUMENT, name
        assert "invalid_grant" in exc.err_details and "invalid_grant" in str(exc), (name, exc.err_details)


def test_unregistered_redirect_uri_in_the_sdk_url_is_an_error_page(browser, app):
    """An SDK configured with a redirect URI the client does not have gets an error page, no redirect."""
    client, sdk = app
    expect_refused_page(browser.get(sdk.get_authorization_url("https://evil.example.test/cb", url_options())))
