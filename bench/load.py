"""The load generator: wrk with bench/load.lua, at a fixed concurrency for a fixed duration."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

LUA = Path(__file__).with_name("load.lua")


@dataclass
class Load:
    """What one wrk run sends. Templates: see load.lua ({1}.. pool fields, {t} thread, {n} counter, {r} run)."""

    method: str
    path: str
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    pool: list[tuple[str, ...]] | None = None
    mode: str = "cycle"  # cycle | once | chain
    chain: str | None = None  # the JSON field of a 2xx body that carries the next token


@dataclass
class Shape:
    connections: int
    threads: int
    seconds: float


def wrk_path() -> str:
    path = shutil.which("wrk")
    if not path:
        raise RuntimeError("wrk is not installed (bench/run installs it with apt-get)")
    return path


def run(base_url: str, load: Load, shape: Shape, workdir: Path, name: str) -> dict:
    """Runs wrk once and returns its counts and latencies (see load.lua's BENCHJSON line) plus
    `elapsed_s`, the time the requests were counted over."""
    args = [f"method={load.method}", f"path={load.path}", f"mode={load.mode}", f"threads={shape.threads}",
            f"run={name}"]
    if load.body is not None:
        args.append(f"body={load.body}")
    for i, (header, value) in enumerate(load.headers.items(), start=1):
        args.append(f"h{i}={header}: {value}")
    if load.pool is not None:
        pool_file = workdir / f"{name}.pool"
        pool_file.write_text("".join("\t".join(row) + "\n" for row in load.pool))
        args.append(f"pool={pool_file}")
    if load.chain:
        args.append(f'chain="{load.chain}"%s*:%s*"([^"]+)"')  # a Lua pattern
    env = dict(os.environ)
    if load.mode == "chain":
        env["BENCH_RESPONSES"] = "1"
    cmd = [
        wrk_path(), f"-t{shape.threads}", f"-c{shape.connections}", f"-d{shape.seconds:g}s",
        "--timeout", "30s", "-s", str(LUA), base_url, "--", *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                          timeout=shape.seconds + 120)
    (workdir / f"{name}.wrk.txt").write_text(proc.stdout + proc.stderr)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("BENCHJSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed for {name} (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    result = json.loads(line.removeprefix("BENCHJSON "))
    stopped = result.pop("stopped_early_us")
    result["elapsed_s"] = (stopped / 1e6) if stopped else result["duration_us"] / 1e6
    result["pool_exhausted"] = bool(stopped)
    result["errors"] = (result["connect_errors"] + result["read_errors"] + result["write_errors"]
                        + result["status_errors"] + result["timeouts"] + result["non2xx"])
    return result
