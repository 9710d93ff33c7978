"""Browser end-to-end: a Flask app using the real Scalekit SDK signs a user in through Latchkey's hosted
pages in real headless Chromium (login_flow.mjs, playwright-core), refreshes transparently, logs out.

Contract: docs/oidc.md. Needs /usr/bin/chromium, `npm ci` in this folder and
tests/requirements.txt (SETUP.md). A missing piece fails the test; it is skipped instead
only when LATCHKEY_ALLOW_SKIP_BROWSER=1.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from latchkey_server import BIN

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "login_flow.mjs"
APP = HERE / "example_app" / "app.py"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
BRAND = "Acme Browser Test"
# Access tokens live this long, so the flow sees one expire and the app refresh it.
SESSION_TTL = 4
GENEROUS_RATE_LIMIT = {"window_secs": 60, "per_ip": 100000, "per_login_id": 1000}


def _missing_prerequisites() -> list[str]:
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if not shutil.which("node"):
        missing.append("node")
    if not (HERE / "node_modules" / "playwright-core").is_dir():
        missing.append(f"{HERE}/node_modules/playwright-core (npm ci in {HERE})")
    for module in ("flask", "scalekit"):
        if importlib.util.find_spec(module) is None:
            missing.append(f"python module {module} (pip install -r tests/requirements.txt)")
    return missing


@pytest.fixture(autouse=True)
def _browser_prerequisites():
    missing = _missing_prerequisites()
    if missing:
        message = "browser e2e prerequisites missing: " + "; ".join(missing) + " — see tests/browser/SETUP.md"
        if os.environ.get("LATCHKEY_ALLOW_SKIP_BROWSER") == "1":
            pytest.skip(message)
        pytest.fail(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(srv, *args: str) -> str:
    """`latchkey <args>` on the server's store; a failure shows what the CLI said."""
    proc = srv.cli(*args, check=False)
    if proc.returncode != 0:
        pytest.fail(f"latchkey {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}{proc.stdout}")
    return proc.stdout


def run_browser(args: dict, timeout: float = 120) -> dict:
    """Run login_flow.mjs with JSON args; its last stdout line is the JSON report."""
    proc = subprocess.run(["node", str(SCRIPT), json.dumps(args)], capture_output=True, text=True, timeout=timeout)
    try:
        report = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        pytest.fail(f"login_flow.mjs exit {proc.returncode}, no JSON report\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
    if not report.get("ok"):
        detail = {k: report.get(k) for k in ("step", "error", "url", "text", "failure_screenshot", "navigations")}
        pytest.fail("browser flow stopped:\n" + json.dumps(detail, indent=2))
    return report


# ---------------------------------------------------------------- Chromium itself (needs no Latchkey)

SMOKE_PAGE = """<!doctype html><html lang="en"><head><title>Smoke</title></head><body>
<button onclick="document.getElementById('result').textContent='Pressed'">Press me</button><p id="result"></p>
</body></html>"""


def test_chromium_renders_and_clicks_a_local_page(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(SMOKE_PAGE)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        report = run_browser({"mode": "smoke", "url": url, "artifacts_dir": str(tmp_path)})
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
    assert report["result"] == "Pressed"
    assert "HeadlessChrome" in report["user_agent"]
    assert Path(report["screenshot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- Latchkey + the example app


@pytest.fixture
def latchkey(make_server):
    srv = make_server({"tokens": {"session_ttl_secs": SESSION_TTL}, "rate_limit": GENEROUS_RATE_LIMIT})
    cli(srv, "project", "set", "--brand-name", BRAND)
    return srv


@pytest.fixture
def app_url():
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def oauth_client(latchkey, app_url) -> dict:
    created = cli(
        latchkey, "clients", "create", "--name", "flask-app",
        "--redirect-uri", app_url + "/auth/callback",
        "--post-logout-redirect-uri", app_url + "/",
        "--json",
    )
    client = json.loads(created)
    assert client["client_id"].startswith("lkc_") and client["client_secret"].startswith("lks_"), client
    return client


@pytest.fixture
def example_app(latchkey, oauth_client, app_url, tmp_path):
    """The Flask app in its own process, configured only through the SDK's environment variables."""
    env_url = latchkey.credentials.get("SCALEKIT_ENVIRONMENT_URL")
    assert env_url == latchkey.url, f"credentials.env SCALEKIT_ENVIRONMENT_URL={env_url!r}, server at {latchkey.url}"
    env = {
        **os.environ,
        "SCALEKIT_ENVIRONMENT_URL": env_url,
        "SCALEKIT_CLIENT_ID": oauth_client["client_id"],
        "SCALEKIT_CLIENT_SECRET": oauth_client["client_secret"],
        "APP_URL": app_url,
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "app.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, str(APP)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"example app exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(app_url + "/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"example app did not start:\n{log_path.read_text()}")
                time.sleep(0.1)
        yield app_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    print(f"example app log: {log_path}")


def new_user(latchkey, password: str | None = None) -> dict:
    """A user made through the Descope management API, as an operator would."""
    from descope import DescopeClient

    email = f"browser-{uuid.uuid4().hex[:10]}@example.com"
    client = DescopeClient(latchkey.project_id, base_url=latchkey.url, management_key=latchkey.management_key)
    user = client.mgmt.user.create(email, email=email, display_name="Ada Browser")["user"]
    if password:
        client.mgmt.user.set_active_password(email, password)
    return {"email": email, "user_id": user["userId"], "password": password}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_app_login_redirects_to_latchkey_authorize(latchkey, oauth_client, example_app):
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as info:
        opener.open(example_app + "/login")
    assert info.value.code == 302
    location = urlparse(info.value.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == latchkey.url + "/oauth/authorize"
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["response_type"] == "code"
    assert params["client_id"] == oauth_client["client_id"]
    assert params["redirect_uri"] == example_app + "/auth/callback"
    assert params["scope"] == "openid profile email offline_access"
    assert len(params["state"]) >= 20


@pytest.mark.parametrize("method", ["otp", "password"])
def test_sign_in_refresh_and_logout_in_chromium(method, latchkey, example_app, tmp_path, record_property):
    user = new_user(latchkey, password="Lk-Browser-Pw9!" if method == "password" else None)
    outbox_cmd = [BIN, "outbox", "--json", "--data-dir", latchkey.data_dir]
    if latchkey.database_url:
        outbox_cmd += ["--database-url", latchkey.database_url]
    report = run_browser({
        "app_url": example_app, "idp_url": latchkey.url, "method": method,
        "email": user["email"], "password": user["password"], "outbox_cmd": outbox_cmd,
        "brand_name": BRAND, "artifacts_dir": str(tmp_path), "timeout_ms": 15000,
    })
    login = report["login_page"]
    record_property("login_page_screenshot", login["screenshot"])
    print(f"hosted login page screenshot: {login['screenshot']}")

    # The hosted login page: Latchkey's, for this authorize request, branded, every field labelled.
    assert login["url"].startswith(latchkey.url + "/login?req="), login
    assert login["brand_visible"], f"project name {BRAND!r} not visible on the hosted login page"
    assert login["unlabeled"] == [], f"form fields without a label: {login['unlabeled']}"
    assert Path(login["screenshot"]).stat().st_size > 0
    if method == "otp":
        assert report["code_page"]["unlabeled"] == [], report["code_page"]

    # Signed in: the dashboard shows the user; the access token's sub is the id_token's user id.
    signed_in = report["signed_in"]
    assert signed_in["url"] == example_app + "/dashboard"
    assert signed_in["email"] == user["email"]
    assert signed_in["user_id"] == signed_in["sub"] == user["user_id"]
    assert signed_in["refreshes"] == 0

    # The provider session (lk_sso) signs the browser in again without showing the login page...
    sso = report["sso_relogin"]
    assert sso["url"] == example_app + "/dashboard"
    assert not sso["saw_login_page"], report["navigations"]
    assert sso["dashboard"]["email"] == user["email"] and sso["dashboard"]["refreshes"] == 0

    # After the access token expired, a reload is still signed in: the app refreshed it once.
    refreshed = report["after_refresh"]
    assert refreshed["url"] == example_app + "/dashboard"
    assert refreshed["email"] == user["email"] and refreshed["sub"] == user["user_id"]
    assert refreshed["refreshes"] == 1
    assert refreshed["exp"] > sso["dashboard"]["exp"]

    # ...until logout ends it: back on the app's home page with the app's state, and /dashboard now
    # leads to Latchkey's login page instead of straight back in.
    after_logout = report["after_logout"]
    assert after_logout["url"].startswith(example_app + "/?"), after_logout
    assert after_logout["notice"] == "You have been signed out.", "post-logout redirect lost the state"
    gone = report["after_logout_dashboard"]
    assert gone["on_login_page"], f"still signed in at the provider after logout: {gone['url']}"
    assert gone["email_field_visible"]
