"""A small Flask app that signs users in through Latchkey with the real Scalekit Python SDK.

Written the way the Scalekit docs write their Flask example (Full Stack Auth: explicit
get_authorization_url / authenticate_with_code / validate_access_token / refresh_access_token /
get_logout_url calls, tokens in HttpOnly cookies), with nothing Latchkey-specific in it: pointing
SCALEKIT_ENVIRONMENT_URL at Latchkey is the whole integration.

Config (environment): SCALEKIT_ENVIRONMENT_URL, SCALEKIT_CLIENT_ID, SCALEKIT_CLIENT_SECRET, APP_URL
(e.g. http://127.0.0.1:5000, no trailing slash; the app listens on its host and port).
Run: python app.py
"""
import os
import secrets
from urllib.parse import urlparse

from flask import Flask, redirect, render_template_string, request, session, url_for
from markupsafe import Markup
from scalekit import AuthorizationUrlOptions, CodeAuthenticationOptions, ScalekitClient
from scalekit.common.scalekit import LogoutUrlOptions  # not re-exported by `scalekit` in 2.21.0

APP_URL = os.environ["APP_URL"].rstrip("/")
REDIRECT_URI = APP_URL + "/auth/callback"
POST_LOGOUT_REDIRECT_URI = APP_URL + "/"

# The constructor already calls POST {env_url}/oauth/token (client_credentials): a wrong secret fails here.
scalekit_client = ScalekitClient(
    os.environ["SCALEKIT_ENVIRONMENT_URL"],
    os.environ["SCALEKIT_CLIENT_ID"],
    os.environ["SCALEKIT_CLIENT_SECRET"],
)

app = Flask(__name__)
app.secret_key = os.environ.get("FLASK_SECRET_KEY") or secrets.token_hex(32)
# The Flask session (a signed, HttpOnly cookie) holds the OAuth state, the user's profile and a refresh
# counter; the tokens go in their own HttpOnly cookies, as the Scalekit docs do (the id_token and
# access token together can outgrow one 4 kB cookie).
TOKEN_COOKIES = ("accessToken", "refreshToken", "idToken")
COOKIE_ARGS = {"httponly": True, "samesite": "Lax", "secure": APP_URL.startswith("https://")}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · Example app</title></head>
<body><h1>{{ title }}</h1>{{ body }}</body></html>"""


def page(title, body, status=200):
    return render_template_string(PAGE, title=title, body=body), status


def set_token_cookies(response, tokens):
    for cookie, key in zip(TOKEN_COOKIES, ("access_token", "refresh_token", "id_token")):
        if tokens.get(key):
            response.set_cookie(cookie, tokens[key], **COOKIE_ARGS)


@app.route("/")
def home():
    signed_out = request.args.get("state") and request.args["state"] == session.pop("logout_state", None)
    notice = '<p id="notice">You have been signed out.</p>' if signed_out else ""
    return page("Home", Markup(f'{notice}<p><a href="/login">Sign in</a> · <a href="/dashboard">Dashboard</a></p>'))


@app.route("/login")
def login():
    state = secrets.token_urlsafe(24)
    session["oauth_state"] = state
    # AuthorizationUrlOptions() takes no constructor arguments in SDK 2.21.0: set the attributes.
    options = AuthorizationUrlOptions()
    options.scopes = ["openid", "profile", "email", "offline_access"]
    options.state = state
    return redirect(scalekit_client.get_authorization_url(REDIRECT_URI, options))


@app.route("/auth/callback")
def auth_callback():
    if request.args.get("error"):
        return page("Sign-in failed", f"{request.args['error']}: {request.args.get('error_description', '')}", 400)
    expected_state = session.pop("oauth_state", None)
    if not expected_state or request.args.get("state") != expected_state:
        return page("Sign-in failed", "state mismatch", 400)
    try:
        result = scalekit_client.authenticate_with_code(request.args["code"], REDIRECT_URI, CodeAuthenticationOptions())
    except Exception as exc:  # noqa: BLE001 - shown to the tester, not swallowed
        app.logger.exception("code exchange failed")
        return page("Sign-in failed", f"code exchange: {exc!r}", 400)
    session["user"] = result["user"]  # from the id_token: id, email, name, ...
    session["refreshes"] = 0
    response = redirect(url_for("dashboard"))
    set_token_cookies(response, result)
    return response


@app.route("/dashboard")
def dashboard():
    access_token = request.cookies.get("accessToken")
    refresh_token = request.cookies.get("refreshToken")
    if not session.get("user") or not (access_token or refresh_token):
        return redirect(url_for("login"))
    new_tokens = None
    if not (access_token and scalekit_client.validate_access_token(access_token)):
        # Expired (or otherwise invalid): refresh transparently and carry on.
        try:
            new_tokens = scalekit_client.refresh_access_token(refresh_token)
        except Exception as exc:  # noqa: BLE001 - any failure means "signed out"
            app.logger.warning("refresh failed: %s", exc)
            return clear_tokens(redirect(url_for("login")))
        access_token = new_tokens["access_token"]
        session["refreshes"] = session.get("refreshes", 0) + 1
    claims = scalekit_client.validate_access_token_and_get_claims(access_token)
    user = session["user"]
    body = Markup(render_template_string(
        """<p>Signed in as <strong id="email">{{ user.email }}</strong></p>
<dl><dt>User id (id_token)</dt><dd id="user-id">{{ user.id }}</dd>
<dt>Subject (access token)</dt><dd id="sub">{{ claims.sub }}</dd>
<dt>Access token expires</dt><dd id="token-exp">{{ claims.exp }}</dd>
<dt>Token refreshes</dt><dd id="refreshes">{{ refreshes }}</dd></dl>
<p><a href="/logout">Log out</a></p>""",
        user=user,
        claims=claims,
        refreshes=session["refreshes"],
    ))
    response = app.make_response(page("Dashboard", body))
    if new_tokens:
        set_token_cookies(response, new_tokens)
    return response


@app.route("/logout")
def logout():
    id_token = request.cookies.get("idToken")
    session.clear()
    state = secrets.token_urlsafe(16)
    session["logout_state"] = state  # checked by the home page when Latchkey sends the browser back
    logout_url = scalekit_client.get_logout_url(
        LogoutUrlOptions(id_token_hint=id_token, post_logout_redirect_uri=POST_LOGOUT_REDIRECT_URI, state=state)
    )
    return clear_tokens(redirect(logout_url))


def clear_tokens(response):
    for cookie in TOKEN_COOKIES:
        response.delete_cookie(cookie)
    return response


@app.route("/healthz")
def healthz():
    return "ok"


if __name__ == "__main__":
    url = urlparse(APP_URL)
    app.run(host=url.hostname, port=url.port, threaded=True)
