"""The Descope quickstart as a new user runs it against a fresh server, using only credentials.env."""
import os
from pathlib import Path

from descope import DescopeClient

from descope_compat import EMAIL, check_login, code_for, new_email

CREDENTIAL_KEYS = {"DESCOPE_PROJECT_ID", "DESCOPE_MANAGEMENT_KEY", "DESCOPE_AUTH_MANAGEMENT_KEY", "DESCOPE_BASE_URI"}


def read_credentials(srv) -> dict:
    path = Path(srv.data_dir) / "credentials.env"
    assert path.is_file(), "first start must write credentials.env"
    creds = srv.credentials
    assert CREDENTIAL_KEYS <= creds.keys(), f"credentials.env lacks {CREDENTIAL_KEYS - creds.keys()}"
    assert all(creds[k] for k in CREDENTIAL_KEYS)
    assert creds["DESCOPE_MANAGEMENT_KEY"] != creds["DESCOPE_AUTH_MANAGEMENT_KEY"]
    assert creds["DESCOPE_BASE_URI"].rstrip("/") == srv.url.rstrip("/")
    return creds


async def otp_sign_in_and_validate(c, srv):
    login_id = new_email()
    await c.otp.sign_up_or_in(EMAIL, login_id)
    resp = await c.otp.verify_code(EMAIL, login_id, code_for(srv, login_id))
    await check_login(c, srv, resp, login_id, first_seen=True)


def test_quickstart_with_explicit_arguments(sdk, make_server):
    srv = make_server()
    creds = read_credentials(srv)
    kwargs = {
        "project_id": creds["DESCOPE_PROJECT_ID"],
        "management_key": None,
        "auth_management_key": creds["DESCOPE_AUTH_MANAGEMENT_KEY"],
        "base_url": creds["DESCOPE_BASE_URI"],
    }
    sdk.run(lambda c: otp_sign_in_and_validate(c, srv), server=srv, **kwargs)


def test_quickstart_from_sourced_environment(make_server, monkeypatch):
    srv = make_server()
    creds = read_credentials(srv)
    for key in CREDENTIAL_KEYS:
        monkeypatch.setenv(key, creds[key])
    client = DescopeClient(project_id=os.environ["DESCOPE_PROJECT_ID"])  # base URL and keys come from the env
    login_id = new_email()
    client.otp.sign_up_or_in(EMAIL, login_id)
    resp = client.otp.verify_code(EMAIL, login_id, code_for(srv, login_id))
    claims = client.validate_session(resp["sessionToken"]["jwt"])
    assert claims["userId"] == resp["userId"] and claims["projectId"] == creds["DESCOPE_PROJECT_ID"]
    assert client.mgmt.user.load(login_id)["user"]["userId"] == resp["userId"]
