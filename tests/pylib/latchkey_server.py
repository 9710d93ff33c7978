"""Spawn a real `latchkey serve` process on a free loopback port for tests.

The contract used here is the server's public one: the CLI flags, the `listening on URL` line,
`GET /health`, `credentials.env` in the data dir and `latchkey outbox --json`.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("LATCHKEY_BIN", str(REPO / "target" / "debug" / "latchkey"))
# When set (postgres://user@host:port/db), each server gets a fresh database on that PostgreSQL server.
POSTGRES_URL = os.environ.get("LATCHKEY_TEST_POSTGRES_URL")


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))


def to_toml(config: dict) -> str:
    """Flat keys first, then one [table] per nested dict (one level is all the config uses)."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in config.items() if not isinstance(v, dict)]
    for table, values in config.items():
        if isinstance(values, dict):
            lines.append(f"[{table}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def fresh_postgres_database() -> str:
    assert POSTGRES_URL
    name = "lk_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", POSTGRES_URL, "-qc", f"CREATE DATABASE {name}"], check=True)
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


class LatchkeyServer:
    """One server process with its own data dir (and its own database)."""

    def __init__(self, config: dict | None = None, data_dir: str | None = None, database_url: str | None = None):
        self._tmp = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="latchkey-test-")
            data_dir = self._tmp.name
        self.data_dir = data_dir
        if database_url is None and POSTGRES_URL:
            database_url = fresh_postgres_database()
        self.database_url = database_url
        self.config_path = Path(data_dir) / "test-config.toml"
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(to_toml(config or {}))
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def _store_args(self) -> list[str]:
        args = ["--data-dir", self.data_dir]
        if self.database_url:
            args += ["--database-url", self.database_url]
        return args

    def start(self, timeout: float = 30.0) -> "LatchkeyServer":
        cmd = [BIN, "serve", "--listen", "127.0.0.1:0", "--config", str(self.config_path), *self._store_args()]
        # The server's own log stays beside its data, for reading after a failure.
        self._log = open(Path(self.data_dir) / "server.log", "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log, text=True)
        deadline = time.monotonic() + timeout
        for line in self.proc.stdout:  # the first lines say where it listens
            if line.startswith("listening on "):
                self.url = line.split()[-1].strip()
                break
            if time.monotonic() > deadline:
                break
        if not self.url:
            self.stop()
            raise RuntimeError("latchkey did not print its address")
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("latchkey did not become healthy")

    @property
    def credentials(self) -> dict[str, str]:
        creds = {}
        for line in (Path(self.data_dir) / "credentials.env").read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.removeprefix("export ").partition("=")
                creds[key] = value.strip().strip("'\"")
        return creds

    @property
    def project_id(self) -> str:
        return self.credentials["DESCOPE_PROJECT_ID"]

    @property
    def management_key(self) -> str:
        return self.credentials["DESCOPE_MANAGEMENT_KEY"]

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run `latchkey <args> --data-dir ... [--database-url ...]` against this server's store."""
        return subprocess.run([BIN, *args, *self._store_args()], capture_output=True, text=True, check=check)

    def outbox(self) -> list[dict]:
        """Messages delivered to the dev outbox, newest first."""
        return json.loads(self.cli("outbox", "--json").stdout)

    def last_message_to(self, recipient: str) -> dict:
        for message in self.outbox():
            if message["recipient"] == recipient:
                return message
        raise AssertionError(f"no message to {recipient} in the outbox")

    def password_hash_of(self, login_id: str) -> str | None:
        """The stored password hash of a user, read straight from the store (to see what sign-in did to it)."""
        query = ("SELECT u.password_hash FROM users u JOIN user_login_ids l ON l.user_id = u.id "
                 "WHERE l.login_key = lower('%s')" % login_id.replace("'", "''"))
        if self.database_url:
            out = subprocess.run(["psql", self.database_url, "-Atc", query], capture_output=True, text=True, check=True)
            return out.stdout.strip() or None
        import sqlite3

        with sqlite3.connect(Path(self.data_dir) / "latchkey.db") as db:
            row = db.execute(query).fetchone()
        return row[0] if row else None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        if getattr(self, "_log", None):
            self._log.close()

    def cleanup(self) -> None:
        self.stop()
        if self._tmp:
            log = Path(self.data_dir) / "server.log"
            if log.exists() and b"panicked" in log.read_bytes():
                # A panic is a bug even when every test passed: keep the evidence.
                keep = Path(tempfile.gettempdir()) / f"latchkey-panic-{uuid.uuid4().hex[:8]}.log"
                keep.write_bytes(log.read_bytes())
            self._tmp.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
