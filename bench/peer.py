"""The peer: npm oidc-provider (bench/peer/, version pinned there) on loopback, configured like
Latchkey's OAuth door (see bench/peer/server.mjs), with refresh tokens minted by real
authorization code flows through its devInteractions pages."""
from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from httpc import Client, authorization_code
from server import cpu_seconds, free_port, stop_process

PEER_DIR = Path(__file__).with_name("peer")
CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-client-secret"
REDIRECT_URI = "http://127.0.0.1:9/callback"


def version() -> str:
    lock = json.loads((PEER_DIR / "package-lock.json").read_text())
    return lock["packages"]["node_modules/oidc-provider"]["version"]


class Peer:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.log = None

    def start(self, timeout: float = 30) -> "Peer":
        port = free_port()
        self.log = open(self.workdir / "peer.log", "ab")
        self.proc = subprocess.Popen(["node", "server.mjs"], cwd=PEER_DIR, env={"PORT": str(port), "PATH": "/usr/bin:/bin",
                                                                                  "NODE_ENV": "production"},
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        deadline = time.monotonic() + timeout
        for line in self.proc.stdout:
            if line.startswith("listening on "):
                self.url = line.split()[-1].strip()
                break
            if time.monotonic() > deadline:
                break
        if not self.url:
            raise RuntimeError(f"the oidc-provider peer did not start: see {self.workdir / 'peer.log'}")
        return self

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.proc.pid)

    @property
    def pid(self) -> int:
        return self.proc.pid

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

    def stop(self) -> None:
        if self.proc:
            stop_process(self.proc)
            if self.proc.stdout:
                self.proc.stdout.close()
        if self.log:
            self.log.close()
