"""The peer: npm oidc-provider (bench/peer/, version pinned there) on loopback, configured like
Latchkey's OAuth door (see bench/peer/server.mjs), with refresh tokens minted by real
authorization code flows through its devInteractions pages."""
from __future__ import annotations

import json
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from httpc import Client, authorization_code
from server import ListeningProcess, free_port

PEER_DIR = Path(__file__).with_name("peer")
CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-client-secret"
REDIRECT_URI = "http://127.0.0.1:9/callback"


def version() -> str:
    lock = json.loads((PEER_DIR / "package-lock.json").read_text())
    return lock["packages"]["node_modules/oidc-provider"]["version"]


class Peer(ListeningProcess):
    def __init__(self, workdir: Path):
        super().__init__()
        self.workdir = workdir

    def start(self, timeout: float = 30) -> "Peer":
        env = {"PORT": str(free_port()), "PATH": "/usr/bin:/bin", "NODE_ENV": "production"}
        self.spawn(["node", "server.mjs"], self.workdir / "peer.log", timeout, cwd=PEER_DIR, env=env)
        return self

    def mint_refresh_tokens(self, count: int) -> list[str]:
        """One refresh token per authorization code flow (login, consent, code, token)."""
        def one(i: int) -> str:
            client = Client(self.url)
            query = urllib.parse.urlencode({
                "client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT_URI,
                "scope": "openid offline_access api:read", "prompt": "consent", "state": f"s{i}",
            })
            code = authorization_code(client, f"/auth?{query}", REDIRECT_URI,
                                      {"login": f"bench-user-{i}", "password": "any"})
            reply = client.post_form("/token", {
                "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            })
            if reply.status != 200 or "refresh_token" not in reply.json():
                raise RuntimeError(f"the peer's token endpoint answered {reply.status}: {reply.text[:300]}")
            return reply.json()["refresh_token"]

        with ThreadPoolExecutor(4) as pool:
            return list(pool.map(one, range(count)))
