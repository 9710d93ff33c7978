"""A tiny HTTP client for seeding and probing (not for load): no redirects followed, a cookie jar,
JSON and form helpers. Standard library only, loopback only."""
from __future__ import annotations

import http.client
import json
import re
import urllib.parse
from dataclasses import dataclass, field


@dataclass
class Reply:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Client:
    base: str
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 60.0

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Reply:
        url = urllib.parse.urljoin(self.base + "/", path)
        parts = urllib.parse.urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the bench only talks to loopback, not {url}")
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            received: dict[str, list[str]] = {}
            for name, value in resp.getheaders():
                received.setdefault(name.lower(), []).append(value)
        finally:
            conn.close()
        for cookie in received.get("set-cookie", []):
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "expires=thu, 01 jan 1970" in cookie.lower() or value == "":
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return Reply(resp.status, received, data)

    def get(self, path: str, headers: dict | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def post_json(self, path: str, payload, bearer: str | None = None) -> Reply:
        headers = {"Content-Type": "application/json"}
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return self.request("POST", path, json.dumps(payload).encode(), headers)

    def post_form(self, path: str, fields: dict) -> Reply:
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})


def query_param(url: str, name: str) -> str | None:
    values = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get(name)
    return values[0] if values else None


def forms(html: str) -> list[tuple[str, dict[str, str]]]:
    """Each <form>: its action and the name -> value of its named <input>s (hidden ones included)."""
    found = []
    for attrs, inner in re.findall(r"<form\b([^>]*)>(.*?)</form>", html, flags=re.I | re.S):
        action = re.search(r'\baction="([^"]*)"', attrs)
        inputs = {}
        for tag in re.findall(r"<input\b[^>]*>", inner, flags=re.I):
            name = re.search(r'\bname="([^"]*)"', tag)
            value = re.search(r'\bvalue="([^"]*)"', tag)
            if name:
                inputs[name.group(1)] = (value.group(1) if value else "").replace("&amp;", "&")
        found.append(((action.group(1) if action else "").replace("&amp;", "&"), inputs))
    return found


def authorization_code(client: Client, authorize_path: str, redirect_uri: str, fill: dict,
                       prefer_actions: tuple[str, ...] = ()) -> str:
    """Walks an authorization code flow through a provider's own HTML pages, as a browser would:
    follows redirects and submits each page's form until the provider redirects to `redirect_uri`;
    returns the code. On a page with several forms the first whose action contains one of
    `prefer_actions` (in that order) is used; inputs named in `fill` are filled (a callable value
    is called then, e.g. to read a code that was just sent)."""
    reply = client.get(authorize_path)
    for _ in range(20):
        if reply.status in (301, 302, 303, 307) and reply.header("location"):
            location = reply.header("location")
            if location.startswith(redirect_uri):
                code = query_param(location, "code")
                if not code:
                    raise RuntimeError(f"the provider answered {location}")
                return code
            reply = client.get(location)
        elif reply.status == 200:
            page_forms = forms(reply.text)
            if not page_forms:
                raise RuntimeError(f"a page without a form: {reply.text[:200]}")
            choice = next((f for want in prefer_actions for f in page_forms if want in f[0]), page_forms[0])
            action, inputs = choice
            inputs.update({k: (v() if callable(v) else v) for k, v in fill.items() if k in inputs})
            reply = client.post_form(action, inputs)
        else:
            raise RuntimeError(f"unexpected {reply.status} in the authorization flow: {reply.text[:300]}")
    raise RuntimeError("the authorization flow did not end")
