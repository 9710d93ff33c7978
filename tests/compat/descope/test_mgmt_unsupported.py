"""Management routes Latchkey does not implement answer a clear error, never an empty body.

Flows, themes, third-party apps, SSO (IdP) applications, outbound apps, FGA / ReBAC: the SDK calls them and gets
`404` with `{"errorCode": "E011004", "errorDescription": ..., "errorMessage": "... <the route> ... not supported ..."}`.
The SDK raises `AuthException(404, "server error", <raw body>)` for them, so the raw body is what the caller sees.
"""
import json

import httpx
import pytest

from descope_compat import server_error

# (name, SDK call on client.mgmt, method, path)
UNSUPPORTED = [
    ("flow-list", lambda m: m.flow.list_flows(), "POST", "/v1/mgmt/flow/list"),
    ("flow-run", lambda m: m.flow.run_flow("sign-up-or-in"), "POST", "/v1/mgmt/flow/run"),
    ("theme-export", lambda m: m.flow.export_theme(), "POST", "/v1/mgmt/theme/export"),
    ("theme-import", lambda m: m.flow.import_theme({"id": "t"}), "POST", "/v1/mgmt/theme/import"),
    ("thirdparty-apps", lambda m: m.third_party_application.load_all(), "GET", "/v1/mgmt/thirdparty/apps/load"),
    ("sso-apps", lambda m: m.sso_application.load_all(), "GET", "/v1/mgmt/sso/idp/apps/load"),
    ("outbound-apps", lambda m: m.outbound_application.load_all_applications(), "GET", "/v1/mgmt/outbound/apps"),
    ("fga-schema", lambda m: m.fga.save_schema("model AuthZ 1.0"), "POST", "/v1/mgmt/fga/schema"),
    ("authz-schema", lambda m: m.authz.load_schema(), "POST", "/v1/mgmt/authz/schema/load"),
]


def assert_unsupported_body(text: str, path: str) -> None:
    assert text.strip(), f"{path}: empty error body"
    body = json.loads(text)
    assert body["errorCode"] == "E011004" and body["errorDescription"], body
    assert path in body["errorMessage"], f"the message must name the route {path}: {body['errorMessage']!r}"
    assert "support" in body["errorMessage"].lower(), f"the message must say the route is unsupported: {body}"


@pytest.mark.parametrize("call,method,path", [u[1:] for u in UNSUPPORTED], ids=[u[0] for u in UNSUPPORTED])
def test_sdk_call_of_unsupported_route(sdk, server, call, method, path):
    async def scenario(c):
        with server_error(404, "E011004") as info:
            await call(c.mgmt)
        assert_unsupported_body(info.value.error_message, path)

    sdk.run(scenario)


@pytest.mark.parametrize("method,path", [
    ("POST", "/v1/mgmt/flow/list"),
    ("POST", "/v1/mgmt/no/such/route"),
    ("GET", "/v1/mgmt/thirdparty/apps/load"),
    ("POST", "/v2/mgmt/no/such/route"),
])
def test_raw_unsupported_route_is_404_json(server, method, path):
    resp = httpx.request(method, server.url + path, content=b"{}" if method == "POST" else None, timeout=30,
                         headers={"Content-Type": "application/json",
                                  "Authorization": f"Bearer {server.project_id}:{server.management_key}"})
    assert resp.status_code == 404, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    assert_unsupported_body(resp.text, path)
