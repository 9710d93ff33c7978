"""Attacks on the OpenID Connect provider and its hosted pages, each one refused (docs/oidc.md).

Every test makes the attack a real attacker would make (over raw HTTP, with the helper browser, or as
a relying party with Authlib) and asserts what the victim would notice: no redirect to the attacker,
no code, no token, no mail, no session, and the victim's own tokens unharmed where the contract says so.

Assumptions where docs/oidc.md leaves a detail open (standard behaviour chosen):
- A missing redirect_uri at /oauth/authorize is refused like a wrong one (OpenID Connect requires it).
- A code_challenge without a method means `plain` (RFC 7636 4.3) and is refused like `plain`; an
  unknown method is invalid_request too.
- A verifier sent for a code that had no challenge is refused with invalid_grant or invalid_request.
- A missing redirect_uri at the token endpoint, when the authorize request had one, is invalid_grant
  or invalid_request (RFC 6749 4.1.3).
- client_credentials for a public client: 400 unauthorized_client or 401 invalid_client.
- A refresh token is bound to its client (RFC 6749 6); an access token is no refresh token.
- Revocation by a client other than the token's own revokes nothing (RFC 7009 2.1).
- A wrong password and an unknown email get the same status and the same message (no account
  enumeration); errors are re-rendered pages with status 400 or 401.
- Asking for an organization the user does not belong to never yields a code.
- Expired codes are not tested: the 60-second lifetime has no configuration key, and waiting is too slow.
"""
from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, replace
from typing import Callable
from urllib.parse import urlencode

import httpx
import pytest
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import MismatchingStateException
from descope import AuthException
from joserfc.jwk import RSAKey

from oidc_helpers import (FULL_SCOPE, OTHER_POST_LOGOUT_URI, POST_LOGOUT_URI, REDIRECT_URI, TIMEOUT, Browser, Page,
                          Pkce, assert_oauth_error, authorize_url, b64url, cookie_flags, create_client,
                          create_tenant, create_user, descope_mgmt, discovery, exchange, expect_callback, expect_code,
                          expect_error, expect_page, expect_refused_page, flip_signature, full_tokens, introspect,
                          is_active, login_page, new_email, new_message, newest_id, otp_sign_in, outbox_to,
                          password_sign_in, random_state, refresh, request_reset, resign, revoke, set_cookie_headers,
                          sign_in, strong_password, tamper, token_post, tokens, unsigned, unverified_claims,
                          unverified_header, userinfo)

# ---------------------------------------------------------------- redirect URIs


OPEN_REDIRECTS = {
    "extra path": REDIRECT_URI + "/evil",
    "extra query": REDIRECT_URI + "?next=http://evil.example.test/",
    "other port": "http://app.example.test:8443/callback",
    "other scheme": "https://app.example.test/callback",
    "other host": "http://evil.example.test/callback",
    "host case": "http://APP.example.test/callback",
    "path case": "http://app.example.test/Callback",
    "userinfo": "https://app.example.test@evil.example.test/callback",
    "fragment": REDIRECT_URI + "#evil",
    "trailing slash": REDIRECT_URI + "/",
    "prefix": "http://app.example.test/call",
    "dot segments": REDIRECT_URI + "/../evil",
    "suffix host": "http://app.example.test.evil.example.test/callback",
    "encoded": "http%3A%2F%2Fapp.example.test%2Fcallback",
    "missing": None,
}


@pytest.mark.parametrize("redirect_uri", OPEN_REDIRECTS.values(), ids=OPEN_REDIRECTS.keys())
def test_authorize_sends_nobody_to_an_unregistered_redirect_uri(server, browser, client, redirect_uri):
    """Only the exact registered string is a redirect target: anything else is a 400 page, no Location."""
    url = authorize_url(server, client.client_id, redirect_uri, state="s")
    expect_refused_page(browser.get(url))


@pytest.mark.parametrize("extra", [{"prompt": "none"}, {"response_type": "token"}, {"code_challenge_method": "plain",
                                                                                     "code_challenge": "x" * 43}],
                         ids=["prompt=none", "bad response_type", "plain PKCE"])
def test_errors_never_redirect_to_an_unregistered_uri(server, browser, client, extra):
    """An error that would go back to the app still shows a page when the redirect URI is not registered."""
    url = authorize_url(server, client.client_id, "http://evil.example.test/callback", state="s", **extra)
    expect_refused_page(browser.get(url))


def test_unknown_client_is_an_error_page(server, browser):
    expect_refused_page(browser.get(authorize_url(server, "lkc_doesnotexist", REDIRECT_URI, state="s")))


def test_logout_sends_nobody_to_an_unregistered_uri(server, make_browser, client, other_client, user):
    """post_logout_redirect_uri must be one of the hinted client's registered post-logout URIs."""
    browser = make_browser()
    id_token = full_tokens(server, browser, client, user)["id_token"]
    refused = {"unregistered": {"id_token_hint": id_token, "post_logout_redirect_uri": "http://evil.example.test/"},
               "extra path": {"id_token_hint": id_token, "post_logout_redirect_uri": POST_LOGOUT_URI + "/evil"},
               "another client's URI": {"id_token_hint": id_token, "post_logout_redirect_uri": OTHER_POST_LOGOUT_URI},
               "no client at all": {"post_logout_redirect_uri": POST_LOGOUT_URI},
               "client_id of another client": {"client_id": other_client.client_id,
                                               "post_logout_redirect_uri": POST_LOGOUT_URI}}
    for name, params in refused.items():
        resp = make_browser().get(f"{server.url}/oidc/logout?" + urlencode({**params, "state": "s"}))
        assert resp.status_code == 400, f"{name}: {resp.status_code}"
        assert "location" not in resp.headers, f"{name}: redirected to {resp.headers['location']}"


# ---------------------------------------------------------------- authorization codes


def test_code_replay_revokes_the_tokens_of_the_first_exchange(server, browser, client, user):
    """A stolen code used after the app already used it: refused, and the app's tokens die with it."""
    login = sign_in(server, browser, client, user)
    first = tokens(exchange(server, login))
    assert is_active(server, client, first["access_token"])
    assert_oauth_error(exchange(server, login), 400, "invalid_grant")
    assert not is_active(server, client, first["access_token"])
    assert userinfo(server, first["access_token"]).status_code == 401
    assert_oauth_error(refresh(server, client, first["refresh_token"]), 400, "invalid_grant")


def test_code_is_bound_to_its_client(server, browser, client, other_client, user):
    """Another client, authenticating as itself, cannot redeem a code issued to the victim's app."""
    login = sign_in(server, browser, client, user)
    assert_oauth_error(exchange(server, login, client=other_client), 400, "invalid_grant")


def test_token_redirect_uri_must_match_the_authorize_request(server, make_browser, user):
    """Both URIs are registered, but the code only goes with the one the authorize request used."""
    client = create_client(server, redirect_uris=(REDIRECT_URI, "http://app.example.test/other"))
    mismatched = sign_in(server, make_browser(), client, user)
    assert_oauth_error(exchange(server, mismatched, redirect_uri="http://app.example.test/other"), 400,
                       "invalid_grant")
    missing = sign_in(server, make_browser(), client, user)
    assert_oauth_error(exchange(server, missing, redirect_uri=None), 400, "invalid_grant", "invalid_request")


# ---------------------------------------------------------------- PKCE


def test_code_with_a_challenge_needs_the_right_verifier(server, make_browser, client, user):
    """A code stolen from a PKCE flow is useless without the verifier only the app knows."""
    no_verifier = sign_in(server, make_browser(), client, user)
    assert_oauth_error(exchange(server, no_verifier, code_verifier=None), 400, "invalid_grant")
    wrong = sign_in(server, make_browser(), client, user)
    assert_oauth_error(exchange(server, wrong, code_verifier=Pkce.new().verifier), 400, "invalid_grant")


def test_verifier_without_a_challenge_is_refused(server, browser, client, user):
    login = sign_in(server, browser, client, user, pkce=False)
    assert_oauth_error(exchange(server, login, code_verifier=Pkce.new().verifier), 400,
                       "invalid_grant", "invalid_request")


@pytest.mark.parametrize("params", [
    {"code_challenge_method": "plain"},
    {"code_challenge_method": "S512"},
    {"code_challenge_method": None},
], ids=["plain", "unknown method", "no method means plain"])
def test_weak_pkce_methods_are_refused(server, browser, client, params):
    verifier = Pkce.new().verifier
    state = random_state()
    url = authorize_url(server, client, state=state, code_challenge=verifier, **params)
    expect_error(browser.open(url), client.redirect_uri, "invalid_request", state)


def test_public_client_must_use_pkce(server, browser, public_client, user):
    """A public client's authorize without a challenge goes back with invalid_request; with one, the
    code still needs the verifier."""
    state = random_state()
    expect_error(browser.open(authorize_url(server, public_client, state=state)), public_client.redirect_uri,
                 "invalid_request", state)
    login = sign_in(server, browser, public_client, user)
    assert_oauth_error(exchange(server, login, code_verifier=None), 400, "invalid_grant")


# ---------------------------------------------------------------- refresh tokens


def test_refresh_replay_after_the_grace_window_revokes_only_that_family(server, make_browser, client, user):
    """An old refresh token reused later means theft: that sign-in's tokens die, another sign-in of the
    same user (another device) keeps working."""
    stolen = full_tokens(server, make_browser(), client, user)
    other_device = full_tokens(server, make_browser(), client, user)
    rotated = tokens(refresh(server, client, stolen["refresh_token"]))
    time.sleep(11)
    assert_oauth_error(refresh(server, client, stolen["refresh_token"]), 400, "invalid_grant")
    assert_oauth_error(refresh(server, client, rotated["refresh_token"]), 400, "invalid_grant")
    assert not is_active(server, client, rotated["access_token"])
    assert is_active(server, client, other_device["access_token"])
    assert userinfo(server, other_device["access_token"]).status_code == 200
    tokens(refresh(server, client, other_device["refresh_token"]))


def test_refresh_replay_within_the_window_changes_nothing(server, browser, client, user):
    """Two tabs refreshing at nearly the same time: the late one is refused, the other keeps its tokens."""
    first = full_tokens(server, browser, client, user)
    rotated = tokens(refresh(server, client, first["refresh_token"]))
    assert_oauth_error(refresh(server, client, first["refresh_token"]), 400, "invalid_grant")
    assert is_active(server, client, rotated["access_token"])
    tokens(refresh(server, client, rotated["refresh_token"]))


def refresh_twice_at_once(server, client, refresh_token: str) -> list[httpx.Response]:
    """Two refreshes with the same token, released together by a barrier."""
    barrier, results = threading.Barrier(2), [None, None]

    def race(i: int) -> None:
        barrier.wait()
        results[i] = refresh(server, client, refresh_token)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert all(results), "a refresh did not finish"
    return results


def test_concurrent_refresh_has_exactly_one_winner(server, browser, client, user):
    """The same refresh token sent twice at once: one new token set, one invalid_grant, and the winner's
    new tokens keep working (three rounds)."""
    current = full_tokens(server, browser, client, user)["refresh_token"]
    for round_ in range(3):
        results = refresh_twice_at_once(server, client, current)
        statuses = sorted(r.status_code for r in results)
        assert statuses == [200, 400], f"round {round_}: {[(r.status_code, r.text) for r in results]}"
        winner = tokens(next(r for r in results if r.status_code == 200))
        assert_oauth_error(next(r for r in results if r.status_code == 400), 400, "invalid_grant")
        assert is_active(server, client, winner["access_token"]), f"round {round_}: the winner was revoked"
        current = tokens(refresh(server, client, winner["refresh_token"]))["refresh_token"]


def test_refresh_token_is_bound_to_its_client(server, browser, client, other_client, user):
    body = full_tokens(server, browser, client, user)
    assert_oauth_error(refresh(server, other_client, body["refresh_token"]), 400, "invalid_grant")
    assert_oauth_error(refresh(server, client, body["access_token"]), 400, "invalid_grant")


def test_revocation_by_another_client_revokes_nothing(server, browser, client, other_client, user):
    body = full_tokens(server, browser, client, user)
    revoke(server, other_client, body["refresh_token"], token_type_hint="refresh_token")
    revoke(server, other_client, body["access_token"], token_type_hint="access_token")
    assert is_active(server, client, body["access_token"])
    tokens(refresh(server, client, body["refresh_token"]))


# ---------------------------------------------------------------- client authentication


@pytest.mark.parametrize("auth", ["post", "basic"])
def test_wrong_client_secret_is_invalid_client(server, client, auth):
    wrong = replace(client, client_secret=client.client_secret + "x")
    resp = token_post(server, {"grant_type": "client_credentials"}, wrong, auth)
    assert_oauth_error(resp, 401, "invalid_client")
    if auth == "basic":
        assert resp.headers.get("www-authenticate", "").lower().startswith("basic"), resp.headers


def test_missing_or_unknown_client_credentials_are_invalid_client(server, client):
    assert_oauth_error(token_post(server, {"grant_type": "client_credentials"}, client, "none"), 401,
                       "invalid_client")
    unknown = replace(client, client_id="lkc_doesnotexist")
    assert_oauth_error(token_post(server, {"grant_type": "client_credentials"}, unknown), 401, "invalid_client")


def test_bearer_header_does_not_authenticate_a_client(server, client):
    """A client's own access token in `Authorization: Bearer` is not a client credential at /oauth/token,
    and a stray Bearer header next to real credentials changes nothing (the Scalekit SDK sends one)."""
    access = tokens(token_post(server, {"grant_type": "client_credentials"}, client))["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    alone = token_post(server, {"grant_type": "client_credentials"}, headers=bearer)
    assert_oauth_error(alone, 401, "invalid_client")
    with_id = token_post(server, {"grant_type": "client_credentials"}, client, "none", headers=bearer)
    assert_oauth_error(with_id, 401, "invalid_client")
    garbage = {"Authorization": "Bearer garbage"}
    tokens(token_post(server, {"grant_type": "client_credentials"}, client, headers=garbage))


def test_client_credentials_refused_for_a_public_client(server, public_client):
    resp = token_post(server, {"grant_type": "client_credentials"}, public_client, "none")
    if resp.status_code == 401:
        assert_oauth_error(resp, 401, "invalid_client")
    else:
        assert_oauth_error(resp, 400, "unauthorized_client")


# ---------------------------------------------------------------- state


def test_state_is_echoed_exactly(server, make_browser, client, user):
    """The app's state comes back byte for byte, on success and on error."""
    state = "a b+c/d=e&f%g~ü?#"
    browser = make_browser()
    url = authorize_url(server, client, state=state)
    expect_code(otp_sign_in(browser, login_page(browser, url), user.email), client.redirect_uri, state, server.url)
    expect_error(make_browser().open(authorize_url(server, client, state=state, prompt="none")), client.redirect_uri,
                 "login_required", state)


def test_relying_party_refuses_a_callback_with_another_state(server, browser, client, user):
    """Login CSRF on the app side: Authlib refuses a callback whose state is not the one it sent, and the
    genuine callback still works."""
    meta = discovery(server)
    rp = OAuth2Session(client.client_id, client.client_secret, scope=FULL_SCOPE, redirect_uri=client.redirect_uri,
                       default_timeout=TIMEOUT)
    url, state = rp.create_authorization_url(meta["authorization_endpoint"])
    cb = expect_code(otp_sign_in(browser, login_page(browser, url), user.email), client.redirect_uri, state,
                     server.url)
    forged = client.redirect_uri + "?" + urlencode({**cb.params, "state": "attacker-state"})
    with pytest.raises(MismatchingStateException):
        rp.fetch_token(meta["token_endpoint"], authorization_response=forged, state=state)
    assert rp.fetch_token(meta["token_endpoint"], authorization_response=cb.url, state=state)["access_token"]


# ---------------------------------------------------------------- CSRF on the hosted forms


@dataclass
class FormCase:
    """One hosted form ready to submit: its page, the fields a user types, a snapshot of what a POST
    would change, and the check that the genuine submission works."""

    page: Page
    action: str
    fields: dict
    observe: Callable[[], object]
    succeed: Callable[[object], None]


def _login(server, browser, client) -> tuple[Page, str]:
    state = random_state()
    return login_page(browser, authorize_url(server, client, state=state)), state


def _code_given(server, browser, client, state):
    return lambda result: expect_code(result, client.redirect_uri, state, server.url, status=303)


def _mails_to(server, email):
    return lambda: tuple(m["id"] for m in outbox_to(server, email))


def _new_mail(server, email, before_id):
    return lambda _result: new_message(server, email, before_id)


def case_login_password(server, browser, client, user):
    page, state = _login(server, browser, client)
    return FormCase(page, "/login/password", {"email": user.email, "password": user.password}, lambda: None,
                    _code_given(server, browser, client, state))


def case_login_mail(action):
    def case(server, browser, client, user):
        page, _ = _login(server, browser, client)
        return FormCase(page, action, {"email": user.email}, _mails_to(server, user.email),
                        _new_mail(server, user.email, newest_id(server, user.email)))
    return case


def case_otp_verify(server, browser, client, user):
    page, state = _login(server, browser, client)
    before = newest_id(server, user.email)
    code_page = expect_page(browser.land(browser.submit(page, "/login/otp", email=user.email)))
    code = new_message(server, user.email, before)["code"]
    return FormCase(code_page, "/login/otp/verify", {"email": user.email, "code": code}, lambda: None,
                    _code_given(server, browser, client, state))


def case_signup(server, browser, client, user):
    state, email = random_state(), new_email("csrf-signup")
    resp = browser.get(authorize_url(server, client, state=state, prompt="create"))
    page = expect_page(browser.land(resp), "/signup")
    return FormCase(page, "/signup", {"name": "Mallory Target", "email": email, "password": strong_password()},
                    lambda: user_exists(server, email), _code_given(server, browser, client, state))


def case_forgot(server, browser, client, user):
    login, _ = _login(server, browser, client)
    page = expect_page(browser.open(login.link("/password/forgot")), "/password/forgot")
    return FormCase(page, "/password/forgot", {"email": user.email}, _mails_to(server, user.email),
                    _new_mail(server, user.email, newest_id(server, user.email)))


def case_reset(server, browser, client, user):
    login, _ = _login(server, browser, client)
    page = expect_page(browser.open(request_reset(browser, login, user.email)), "/password/reset")
    return FormCase(page, "/password/reset", {"password": strong_password()},
                    lambda: password_still_works(server, client, user),
                    lambda result: expect_page(result, "/login"))


FORMS = {"login password": case_login_password, "login otp": case_login_mail("/login/otp"),
         "login magic": case_login_mail("/login/magic"), "otp verify": case_otp_verify, "signup": case_signup,
         "forgot password": case_forgot, "reset password": case_reset}

ATTACKS = {
    "no csrf field": lambda victim, attacker, attacker_page: {"drop": ("csrf",)},
    "attacker's csrf": lambda victim, attacker, attacker_page: {
        "csrf": attacker_page.form("/login/otp").hidden()["csrf"]},
    "attacker's cookie": lambda victim, attacker, attacker_page: {
        "cookie_header": victim.cookie_header(lk_csrf=attacker.cookie("lk_csrf"))},
    "no csrf cookie": lambda victim, attacker, attacker_page: {"cookie_header": victim.cookie_header(lk_csrf=None)},
}


def user_exists(server, email: str) -> bool:
    try:
        descope_mgmt(server).mgmt.user.load(email)
        return True
    except AuthException as e:
        assert e.status_code in (400, 404), e
        return False


def password_still_works(server, client, user) -> bool:
    """Whether the user's current password signs in (in a browser of its own)."""
    fresh = Browser(server)
    try:
        page = login_page(fresh, authorize_url(server, client, state="check"))
        result = password_sign_in(fresh, page, user.email, user.password)
        return bool(getattr(result, "code", None))
    finally:
        fresh.close()


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("form", FORMS)
def test_hosted_forms_refuse_cross_site_posts(server, make_browser, client, form, attack):
    """A POST without the matching csrf/cookie pair is refused with 403 and changes nothing; the same
    form submitted properly then works."""
    user = create_user(server)
    victim, attacker = make_browser(), make_browser()
    case = FORMS[form](server, victim, client, user)
    attacker_page, _ = _login(server, attacker, client)
    assert victim.cookie("lk_csrf") and attacker.cookie("lk_csrf") != victim.cookie("lk_csrf")
    before = case.observe()

    resp = victim.submit(case.page, case.action, **ATTACKS[attack](victim, attacker, attacker_page), **case.fields)
    assert resp.status_code == 403, f"{form} / {attack}: {resp.status_code} {resp.headers.get('location')}"
    assert "location" not in resp.headers
    assert "lk_sso" not in set_cookie_headers(resp) and victim.cookie("lk_sso") is None
    assert case.observe() == before, f"{form} / {attack}: the refused POST changed something"

    case.succeed(victim.land(victim.submit(case.page, case.action, **case.fields)))


# ---------------------------------------------------------------- sign-in pages


def test_wrong_password_is_shown_and_signs_nobody_in(server, make_browser, client, user):
    """A wrong password re-renders the page with an error, and so does an unknown email, identically."""
    answers = []
    for email, password in ((user.email, user.password + "x"), (new_email("nobody"), user.password)):
        browser = make_browser()
        page, _ = _login(server, browser, client)
        resp = browser.submit(page, "/login/password", email=email, password=password)
        assert resp.status_code in (400, 401), resp.status_code
        assert "location" not in resp.headers and "lk_sso" not in set_cookie_headers(resp)
        shown = Page.parse(resp)
        assert shown.alert and shown.has_form("/login/password"), shown.text[:300]
        answers.append((resp.status_code, shown.alert))
    assert answers[0] == answers[1], f"wrong password and unknown email differ: {answers}"


def test_provider_cookies_are_httponly_and_samesite_lax(server, browser, client, user):
    """Neither the CSRF cookie nor the session cookie is readable by scripts or sent cross-site."""
    redirect = browser.get(authorize_url(server, client, state="s"))
    assert redirect.status_code == 303, redirect.status_code
    login = browser.get(redirect.headers["location"])
    assert login.status_code == 200, login.status_code
    csrf_line = set_cookie_headers(login)["lk_csrf"]
    assert {"httponly", "samesite=lax"} <= cookie_flags(csrf_line), csrf_line
    page = Page.parse(login)

    before = newest_id(server, user.email)
    code_page = expect_page(browser.land(browser.submit(page, "/login/otp", email=user.email)))
    final = browser.submit(code_page, "/login/otp/verify", email=user.email,
                           code=new_message(server, user.email, before)["code"])
    assert final.status_code == 303
    sso_line = set_cookie_headers(final)["lk_sso"]
    assert {"httponly", "samesite=lax"} <= cookie_flags(sso_line), sso_line


def test_signed_out_session_cookie_is_dead_server_side(server, make_browser, client, user):
    """After logout, a copy of the old session cookie (say, stolen earlier) opens no session."""
    browser = make_browser()
    body = full_tokens(server, browser, client, user)
    old_cookie = browser.cookie("lk_sso")
    assert old_cookie
    logout = f"{server.url}/oidc/logout?" + urlencode({"id_token_hint": body["id_token"],
                                                        "post_logout_redirect_uri": client.post_logout_uri})
    expect_callback(browser.open(logout), client.post_logout_uri)
    thief = make_browser()
    thief.set_cookie("lk_sso", old_cookie)
    login_page(thief, authorize_url(server, client, state="s"))


def test_organization_the_user_is_not_in_gives_no_code(server, browser, client, user):
    tenant = create_tenant(server)
    state = random_state()
    result = browser.open(authorize_url(server, client, state=state, organization_id=tenant))
    if isinstance(result, Page) and result.path == "/login":
        result = otp_sign_in(browser, result, user.email)
    if isinstance(result, Page):
        assert result.status >= 400 and result.alert, f"{result.url}: {result.status}"
    else:
        cb = expect_callback(result, client.redirect_uri)
        assert cb.error and not cb.code, cb.url


# ---------------------------------------------------------------- forged tokens


def hs256_with_public_key(server, token: str) -> str:
    """Algorithm confusion: HS256 keyed with the server's public RSA key in PEM."""
    kid = unverified_header(token)["kid"]
    jwk = next(k for k in httpx.get(discovery(server)["jwks_uri"], timeout=TIMEOUT).json()["keys"] if k["kid"] == kid)
    pem = RSAKey.import_key(jwk).as_pem(private=False)
    header = b64url(f'{{"alg":"HS256","typ":"JWT","kid":"{kid}"}}'.encode())
    signing_input = f"{header}.{token.split('.')[1]}"
    return f"{signing_input}.{b64url(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())}"


def test_forged_access_tokens_are_refused(server, browser, client, user):
    """Tokens that look right but are not signed by this server's key get no profile and are inactive."""
    genuine = full_tokens(server, browser, client, user)["access_token"]
    claims = unverified_claims(genuine)
    forgeries = {
        "another key, same kid": resign(genuine, RSAKey.generate_key(2048)),
        "alg none": unsigned(genuine),
        "HS256 keyed with the public key": hs256_with_public_key(server, genuine),
        "claims changed": tamper(genuine, sub=claims["sub"] + "x"),
        "expiry extended": tamper(genuine, exp=claims["exp"] + 86400),
        "signature flipped": flip_signature(genuine),
        "signature stripped": genuine.rsplit(".", 1)[0] + ".",
    }
    assert userinfo(server, genuine).status_code == 200
    for name, forged in forgeries.items():
        assert userinfo(server, forged).status_code == 401, f"userinfo accepted: {name}"
        resp = introspect(server, client, forged)
        assert resp.status_code == 200 and resp.json() == {"active": False}, f"introspect: {name}: {resp.text}"
