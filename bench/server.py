"""The processes under test: Latchkey (start, stop, CLI, credentials), a throwaway PostgreSQL, and
what /proc says about a process (CPU seconds, resident memory)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from httpc import Client

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int, reaped_children: bool = False) -> float:
    """User + system CPU of a process and all its threads, from /proc/<pid>/stat; with
    `reaped_children`, plus that of its children that have exited (cutime, cstime)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / CLK_TCK


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the process's peak since it started), in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def toml(config: dict) -> str:
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"{k} = {value(v)}" for k, v in config.items() if not isinstance(v, dict)]
    for table, values in config.items():
        if isinstance(values, dict):
            lines.append(f"[{table}]")
            lines += [f"{k} = {value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


class ListeningProcess:
    """A server process that prints `listening on URL` first; its stderr goes to `log_path`."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.log = None
        self.url = ""

    def spawn(self, cmd: list[str], log_path: Path, timeout: float, **popen) -> None:
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True, **popen)
        deadline = time.monotonic() + timeout
        for line in self.proc.stdout:
            if line.startswith("listening on "):
                self.url = line.split()[-1].strip()
                break
            if time.monotonic() > deadline:
                break
        if not self.url:
            raise RuntimeError(f"{cmd[0]} did not start: see {log_path}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc:
            stop_process(self.proc)
            if self.proc.stdout:
                self.proc.stdout.close()
        if self.log:
            self.log.close()


class Latchkey(ListeningProcess):
    """One `latchkey serve` on a free loopback port, with its own data dir (and database)."""

    def __init__(self, binary: Path, data_dir: Path, config: dict, database_url: str | None = None):
        super().__init__()
        self.binary = binary
        self.data_dir = data_dir
        self.database_url = database_url
        self.config_path = data_dir / "bench-config.toml"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(toml(config))

    def store_args(self) -> list[str]:
        args = ["--data-dir", str(self.data_dir), "--config", str(self.config_path)]
        if self.database_url:
            args += ["--database-url", self.database_url]
        return args

    def start(self, timeout: float = 60) -> "Latchkey":
        deadline = time.monotonic() + timeout
        self.spawn([str(self.binary), "serve", "--listen", "127.0.0.1:0", *self.store_args()],
                   self.data_dir / "server.log", timeout)
        client = Client(self.url, timeout=2)
        while time.monotonic() < deadline:
            try:
                if client.get("/health").status == 200:
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("latchkey did not become healthy")

    @property
    def credentials(self) -> dict[str, str]:
        creds = {}
        for line in (self.data_dir / "credentials.env").read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                key, _, value = line.removeprefix("export ").partition("=")
                creds[key.strip()] = value.strip().strip("'\"")
        return creds

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """`latchkey <args> --data-dir ... [--database-url ...]` against this server's store."""
        store = ["--data-dir", str(self.data_dir)] + (["--database-url", self.database_url] if self.database_url else [])
        return subprocess.run([str(self.binary), *args, *store], capture_output=True, text=True, check=check)



def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: float(p.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    return found[-1]


class Postgres:
    """A throwaway PostgreSQL cluster on loopback, as scripts/test starts one.

    Durability is set to match Latchkey's SQLite (WAL, synchronous=NORMAL: no fsync per commit):
    synchronous_commit=off. fsync stays on."""

    def __init__(self, workdir: Path):
        self.dir = workdir / "pg"
        self.bin = _pg_bin()
        self.port = free_port()
        self.started = False
        self._seen: dict[tuple[int, str], float] = {}  # (pid, start time) -> CPU seconds last seen

    def _as_owner(self, *cmd: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)

    def start(self) -> "Postgres":
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            os.chmod(self.dir.parent, 0o755)
            shutil.chown(self.dir, "postgres")
        subprocess.run(self._as_owner(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust",
                                      "-U", "postgres"), check=True, capture_output=True)
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c synchronous_commit=off -c max_connections=100 "
                   "-c log_connections=on")
        subprocess.run(self._as_owner(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
                                      str(self.dir / "log"), "-w", "-o", options, "start"),
                       check=True, capture_output=True)
        self.started = True
        return self

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        subprocess.run(["psql", self.url, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
        return self.url.rsplit("/", 1)[0] + "/" + name

    def cpu_seconds(self) -> float:
        """The postmaster and every backend seen so far, live or exited: the database's share of the
        work. The postmaster does not collect its exited backends' CPU (cutime stays 0), so each
        backend counts with the last value read while it lived: call this often (the harness does,
        every 50 ms during a flow) and a backend that exits loses at most that much."""
        head = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        for pid in [head, *children(head)]:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                started = stat[stat.rindex(")") + 2:].split()[19]
                self._seen[(pid, started)] = cpu_seconds(pid)
            except (OSError, IndexError):
                pass
        return sum(self._seen.values())

    def connections_opened(self) -> int:
        """Connections PostgreSQL has accepted so far (log_connections)."""
        log = self.dir / "log"
        return log.read_text(errors="replace").count("connection authorized") if log.exists() else 0

    def stop(self) -> None:
        if self.started:
            subprocess.run(self._as_owner(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast",
                                          "stop"), capture_output=True)
            self.started = False
