"""bench/run's orchestrator: build, start Latchkey on a fresh store, seed it, drive every flow with
wrk, run the oidc-provider peer under the same load, measure the raw crypto ceilings, report.

Everything it starts it stops (finally blocks); every address is loopback."""
from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import flows as F
import import_users
import limits
import load
import peer as peer_mod
import report
from httpc import Client
from server import Latchkey, Postgres, memory_kib

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent

MODES = {
    # seconds per flow; the warm-up runs before repeatable flows only (see README in docs/benchmarks.md)
    "quick": {"seconds": 5, "warmup": 1, "connections": 16, "threads": 1, "limit_seconds": 1.0,
              "password_users": 16, "otp_users": 8000, "sessions": 256, "chain_seeds": 32},
    "full": {"seconds": 30, "warmup": 3, "connections": 16, "threads": 1, "limit_seconds": 5.0,
             "password_users": 32, "otp_users": 50000, "sessions": 1024, "chain_seeds": 32},
}

# Rate limits out of the way: the bench measures throughput, not the limiter's refusals.
SERVER_CONFIG = {"rate_limit": {"window_secs": 60, "per_ip": 1_000_000_000, "per_login_id": 1_000_000_000}}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def build() -> Path:
    log("cargo build --release --locked --bin latchkey")
    subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "latchkey"], cwd=REPO, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release" / "latchkey"


def machine() -> dict:
    model = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                  if l.startswith("model name")), platform.processor())
    mem_kib = int(next(l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")))
    version = lambda cmd: subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0] \
        if shutil.which(cmd[0]) else "not installed"
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gib": mem_kib / 1024 / 1024,
            "kernel": platform.release(), "load_average_at_start": os.getloadavg(),
            "wrk": (wrk.stdout + wrk.stderr).split()[1] if wrk.stdout or wrk.stderr else "?",
            "node": version(["node", "--version"]), "python": platform.python_version()}


def commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "crates", "Cargo.lock"],
                           cwd=REPO, capture_output=True, text=True).stdout.strip()
    return head + (" with uncommitted changes" if dirty else "") + ", release build"


class RssSampler:
    """The highest VmRSS seen while a flow runs (VmHWM only knows the process's lifetime peak);
    `tick` is called at each sample too (the database's CPU reading needs it)."""

    def __init__(self, pid: int, tick=None):
        self.pid, self.peak, self._stop, self.tick = pid, 0, threading.Event(), tick
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, memory_kib(self.pid)["VmRSS"])
                if self.tick:
                    self.tick()
            except (OSError, KeyError):
                pass
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class Profiler:
    """`perf record` on the server for one run of a flow (software cpu-clock events: this kind of
    machine has no hardware counters)."""

    def __init__(self, pid: int, out: Path):
        self.pid, self.out = pid, out

    def __enter__(self):
        self.proc = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "997", "-g", "-p", str(self.pid),
                                      "-o", str(self.out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def report(self, text_out: Path, keep: Path | None = None) -> None:
        flat = subprocess.run(["perf", "report", "-i", str(self.out), "--stdio", "--no-children", "--sort", "dso,symbol",
                               "--percent-limit", "0", "-g", "none"], capture_output=True, text=True).stdout
        text_out.write_text(profile_summary(flat))
        if keep:
            shutil.copy(self.out, keep)


# Where a sample's symbol belongs, first match wins (Rust symbols are demangled paths).
CATEGORIES = [
    ("crypto (aws-lc: RSA/ECDSA/Ed25519, SHA, HMAC)", ("aws_lc", "ecp_nistz256", "bn_", "sha256", "sha512", "x25519",
                                                      "ed25519", "rsaz", "hmac", "aes_")),
    ("argon2", ("argon2", "blake2")),
    ("SQLite engine", ("sqlite3", "pcache", "btree", "pager", "wal", "vdbe", "memjrnl", "unixRead", "unixWrite",
                       "unixSync")),
    ("sqlx (driver, pool, Any layer)", ("sqlx", "flume")),
    ("PostgreSQL client protocol", ("postgres",)),
    ("memory allocation (glibc malloc/free)", ("malloc", "free", "realloc", "calloc", "_int_", "tcache",
                                               "unlink_chunk", "sysmalloc", "cfree", "alloc::", "__rust_")),
    ("JSON (serde_json)", ("serde_json", "serde::", "serde_path_to_error")),
    ("logging (tracing)", ("tracing",)),
    ("HTTP (hyper, axum, tower)", ("hyper", "axum", "tower", "http::", "httparse", "matchit")),
    ("async runtime (tokio)", ("tokio",)),
    ("memcpy/memmove/memset", ("memmove", "memcpy", "memset", "memcmp", "strlen")),
    ("latchkey code", ("latchkey",)),
]


def profile_summary(flat: str) -> str:
    """The flat profile grouped: kernel (scheduler, network, files), then user-space categories."""
    totals: dict[str, float] = {}
    rows = []
    for line in flat.splitlines():
        parts = line.split(None, 3)
        if len(parts) < 4 or not parts[0].endswith("%"):
            continue
        pct, dso = float(parts[0][:-1]), parts[1]
        symbol = re.sub(r"\s+-\s+-\s*$", "", parts[3]).strip()
        rows.append((pct, dso, symbol))
        if dso == "[kernel.kallsyms]":
            sched = ("switch", "schedule", "spin_unlock", "futex", "wake", "irqentry", "idle")
            net = ("tcp", "sock", "skb", "ip_", "net_", "loopback", "copy_to_iter", "copy_from_iter", "epoll")
            category = ("kernel: scheduling and thread wake-ups (futex)" if any(k in symbol for k in sched) else
                        "kernel: network and epoll" if any(k in symbol for k in net) else "kernel: other (files, syscalls)")
        else:
            lowered = symbol.lower()
            category = next((name for name, keys in CATEGORIES if any(k.lower() in lowered for k in keys)),
                            f"other ({dso})")
        totals[category] = totals.get(category, 0) + pct
    out = ["Share of the server's CPU samples by category (perf record -e cpu-clock, flat: self time)", ""]
    out += [f"{pct:6.2f}%  {name}" for name, pct in sorted(totals.items(), key=lambda kv: -kv[1])]
    out += ["", "Top symbols", ""]
    out += [f"{pct:6.2f}%  {dso:20.20s}  {symbol[:150]}" for pct, dso, symbol in rows[:60]]
    return "\n".join(out) + "\n"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(flow: F.Flow, ctx: F.Context, target, db_cpu, settings: dict, workdir: Path,
            profile: set[str], results_dir: Path, stem: str, db_connections=lambda: 0) -> dict:
    """One flow: build, probe, warm up (repeatable flows), then the measured wrk run."""
    record = {"key": flow.key, "title": flow.title, "system": flow.system, "kind": flow.kind, "alg": flow.alg,
              "hashes": flow.hashes, "peer_of": flow.peer_of, "status": "ok"}
    shape = load.Shape(settings["connections"], settings["threads"], settings["seconds"])
    try:
        if flow.needs:
            F.STEPS[flow.needs](ctx)
        spec = flow.build(ctx)
        reply, signed = F.probe(target.url, spec)
        if reply.status == 404:
            raise F.Unavailable(f"{spec.method} {spec.path.split('?')[0]} answers 404 ({reply.text[:100]})")
        if not 200 <= reply.status < 300:
            raise RuntimeError(f"the probe request answered {reply.status}: {reply.text[:200]}")
        record["signatures"] = signed
        if settings["warmup"] and spec.mode == "cycle":
            load.run(target.url, spec, load.Shape(shape.connections, shape.threads, settings["warmup"]), workdir,
                     f"{flow.key}-warmup")
        cpu0, db0, gen0, conn0 = target.cpu_seconds(), db_cpu(), children_cpu(), db_connections()
        with RssSampler(target.pid, tick=db_cpu) as rss:
            result = load.run(target.url, spec, shape, workdir, flow.key)
        cpu1, db1, gen1, conn1 = target.cpu_seconds(), db_cpu(), children_cpu(), db_connections()
        requests = max(result["requests"], 1)
        record.update({
            "rps": result["requests"] / result["elapsed_s"], "requests": result["requests"],
            "elapsed_s": result["elapsed_s"], "pool_exhausted": result["pool_exhausted"],
            "p50_ms": result["p50_us"] / 1000, "p90_ms": result["p90_us"] / 1000, "p95_ms": result["p95_us"] / 1000,
            "p99_ms": result["p99_us"] / 1000, "max_ms": result["max_us"] / 1000, "errors": result["errors"],
            "error_detail": {k: result[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors",
                                                    "timeouts", "non2xx", "starved")},
            "server_cpu_per_1k": (cpu1 - cpu0) / requests * 1000,
            "db_cpu_per_1k": ((db1 - db0) / requests * 1000) if ctx.sizes.get("backend") == "postgres" else None,
            "loadgen_cpu_per_1k": (gen1 - gen0) / requests * 1000,
            "peak_rss_kib": rss.peak, "hwm_kib": memory_kib(target.pid)["VmHWM"],
            "db_connections_opened": (conn1 - conn0) if ctx.sizes.get("backend") == "postgres" else None,
        })
        log(f"  {flow.system} {flow.key}: {record['rps']:,.0f} req/s, p99 {record['p99_ms']:.1f} ms, "
            f"{record['errors']} errors, {record['server_cpu_per_1k']:.3f} CPU s/1k, {signed} JWTs signed each")
        if flow.key in profile:
            try:
                profile_run(flow, ctx, target, shape, workdir, results_dir, stem)
            except Exception as e:  # the measurement stands without its profile
                log(f"  profile of {flow.key} failed: {e}")
    except F.Unavailable as e:
        record.update(status="unavailable", reason=str(e))
        log(f"  {flow.system} {flow.key}: unavailable: {e}")
    except Exception as e:  # a broken flow is reported; the others still run
        record.update(status="failed", reason=f"{type(e).__name__}: {e}")
        log(f"  {flow.system} {flow.key}: FAILED: {e}")
    return record


def otp_sign_in(records: list[dict]) -> dict | None:
    """A whole OTP sign-in is one start and one verify: their costs add up, their rates combine
    as 1 / (1/start + 1/verify), and a user waits for both (latencies added: an upper bound)."""
    parts = {r["key"]: r for r in records if r["status"] == "ok"}
    start, verify = parts.get("otp_start"), parts.get("otp_verify")
    if not (start and verify):
        return None
    both = (start, verify)
    return {
        "key": "otp_sign_in", "title": "OTP sign-in = start + verify (derived)", "system": "latchkey",
        "kind": "signature", "alg": verify["alg"], "hashes": 0, "peer_of": None, "status": "ok", "derived": True,
        "signatures": start["signatures"] + verify["signatures"],
        "rps": 1 / (1 / start["rps"] + 1 / verify["rps"]), "requests": min(r["requests"] for r in both),
        "elapsed_s": max(r["elapsed_s"] for r in both), "pool_exhausted": False,
        **{k: start[k] + verify[k] for k in ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "errors",
                                             "server_cpu_per_1k", "loadgen_cpu_per_1k")},
        "db_cpu_per_1k": (start["db_cpu_per_1k"] + verify["db_cpu_per_1k"]) if start["db_cpu_per_1k"] is not None
        else None,
        "peak_rss_kib": max(r["peak_rss_kib"] for r in both), "hwm_kib": max(r["hwm_kib"] for r in both),
    }


def skipped(flow: F.Flow, status: str, reason: str) -> dict:
    log(f"  {flow.system} {flow.key}: {status}: {reason}")
    return {"key": flow.key, "title": flow.title, "system": flow.system, "kind": flow.kind, "alg": flow.alg,
            "hashes": flow.hashes, "peer_of": flow.peer_of, "status": status, "reason": reason}


def profile_run(flow: F.Flow, ctx: F.Context, target, shape: load.Shape, workdir: Path, results_dir: Path,
                stem: str) -> None:
    """The flow once more (fresh pools), under perf; the flat profile goes beside the results."""
    if not shutil.which("perf"):
        log("  perf is not installed: no profile")
        return
    spec = flow.build(ctx)
    F.probe(target.url, spec)
    data = workdir / f"perf-{flow.key}.data"
    profiler = Profiler(target.pid, data)
    with profiler:
        load.run(target.url, spec, shape, workdir, f"{flow.key}-profiled")
    out = results_dir / f"{stem}-profile-{flow.system}-{flow.key}.txt"
    profiler.report(out)
    log(f"  profile of {flow.key}: {out}")


def rotate(ctx: F.Context, alg: str, timeout: float = 15) -> None:
    """`latchkey keys rotate --alg`, then waits until session JWTs carry the new algorithm (a rotated
    key signs only after an activation delay)."""
    log(ctx.server.cli("keys", "rotate", "--alg", alg).stdout.strip())
    deadline = time.monotonic() + timeout
    client = Client(ctx.client.base, timeout=5)
    while time.monotonic() < deadline:
        try:
            reply = client.post_json("/v1/auth/refresh", {}, ctx.seeds.refresh_bearers[0])
        except OSError as e:  # no answer in 5 s: reported if it lasts
            log(f"  a refresh after the rotation got no answer: {e}")
            continue
        if reply.status == 200:
            header = reply.json()["sessionJwt"].split(".")[0]
            if json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["alg"] == alg:
                return
        time.sleep(0.5)
    raise RuntimeError(f"session JWTs are not {alg} {timeout:.0f} s after the rotation")


def run_latchkey(backend: str, binary: Path, settings: dict, workdir: Path, selected, profile, results_dir,
                 stem) -> tuple[dict, dict | None]:
    pg = server = None
    records: list[dict] = []
    try:
        database_url = None
        if backend == "postgres":
            log("starting a throwaway PostgreSQL")
            pg = Postgres(workdir).start()
            database_url = pg.create_database("latchkey_bench")
        server = Latchkey(binary, workdir / f"data-{backend}", SERVER_CONFIG, database_url).start()
        time.sleep(1.0)
        idle = memory_kib(server.pid)["VmRSS"]
        log(f"Latchkey on {backend} at {server.url} (pid {server.pid}), idle RSS {idle / 1024:.1f} MiB")
        creds = server.credentials
        ctx = F.Context(server, Client(server.url), creds["DESCOPE_PROJECT_ID"], creds["DESCOPE_MANAGEMENT_KEY"],
                        F.Seeds(), {**settings, "backend": backend})
        started = time.monotonic()
        F.seed(ctx)
        seed_seconds = time.monotonic() - started
        seeded = memory_kib(server.pid)["VmRSS"]
        log(f"seeded {len(ctx.seeds.password_users)} password users, {len(ctx.seeds.otp_users)} more users, "
            f"{len(ctx.seeds.refresh_bearers)} sessions in {seed_seconds:.1f} s")
        db_cpu = pg.cpu_seconds if pg else (lambda: 0.0)
        db_connections = pg.connections_opened if pg else (lambda: 0)
        for flow in F.LATCHKEY:
            if selected(flow):
                records.append(measure(flow, ctx, server, db_cpu, settings, workdir, profile, results_dir,
                                       f"{stem}-{backend}", db_connections))
        combined = otp_sign_in(records)
        if combined:  # shown right after its two parts
            records.insert(next(i for i, r in enumerate(records) if r["key"] == "otp_verify") + 1, combined)
        rotated = False
        for alg, variants in F.ALGORITHM_VARIANTS.items():
            if not any(selected(f) for f in variants):
                continue
            try:
                rotate(ctx, alg)
            except Exception as e:  # reported; the other flows still run
                records += [skipped(flow, "failed", f"key rotation to {alg}: {e}") for flow in variants if selected(flow)]
                continue
            rotated = True
            for flow in variants:
                if selected(flow):
                    records.append(measure(flow, ctx, server, db_cpu, settings, workdir, profile, results_dir,
                                           f"{stem}-{backend}", db_connections))
        if any(selected(f) for f in F.LATCHKEY_LAST):
            try:
                if rotated:
                    rotate(ctx, "RS256")
                for flow in F.LATCHKEY_LAST:
                    if selected(flow):
                        records.append(measure(flow, ctx, server, db_cpu, settings, workdir, profile,
                                               results_dir, f"{stem}-{backend}", db_connections))
            except Exception as e:  # reported; the run goes on
                records += [skipped(flow, "failed", f"key rotation back to RS256: {e}")
                            for flow in F.LATCHKEY_LAST if selected(flow)]
        phc = F.stored_argon2_hash(ctx)  # after the password flow has set the passwords
        memory = {"idle_rss_kib": idle, "seeded_rss_kib": seeded, "final_hwm_kib": memory_kib(server.pid)["VmHWM"]}
        return {"flows": records, "memory": memory, "seed_seconds": seed_seconds, "url": server.url}, \
            (limits.parse_phc(phc) if phc else None)
    except BaseException:
        keep_logs(server, pg, results_dir, f"{stem}-{backend}")
        raise
    finally:
        if server:
            server.stop()
        if pg:
            pg.stop()
        if server and any(r["status"] == "failed" for r in records):
            keep_logs(server, pg, results_dir, f"{stem}-{backend}")


def keep_logs(server, pg, results_dir: Path, stem: str) -> None:
    """A failed flow's evidence: the server's (and PostgreSQL's) log beside the results."""
    for source, name in ((server and server.data_dir / "server.log", "server"), (pg and pg.dir / "log", "postgres")):
        if source and source.exists():
            shutil.copy(source, results_dir / f"{stem}-{name}.log")
            log(f"kept {results_dir / f'{stem}-{name}.log'}")


def run_peer(settings: dict, workdir: Path, selected, profile, results_dir, stem) -> list[dict]:
    peer = None
    try:
        peer = peer_mod.Peer(workdir).start()
        log(f"oidc-provider {peer_mod.version()} at {peer.url} (pid {peer.pid})")
        ctx = F.Context(peer, Client(peer.url), "", "", F.Seeds(), {**settings, "backend": "memory"}, peer)
        # Node compiles hot code as it runs: a warm-up on the token endpoint before any measurement.
        warm = F.peer_client_credentials(ctx)
        load.run(peer.url, warm, load.Shape(settings["connections"], settings["threads"], max(settings["warmup"], 2)),
                 workdir, "peer-warmup")
        return [measure(flow, ctx, peer, lambda: 0.0, settings, workdir, profile, results_dir, stem)
                for flow in F.PEER if selected(flow)]
    finally:
        if peer:
            peer.stop()


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 5 s per flow (under 3 minutes)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--bin", type=Path, help="use this latchkey binary instead of building one")
    parser.add_argument("--label", help="what --bin was built from (a commit), for the report")
    parser.add_argument("--flows", help="only these flows (comma-separated keys, e.g. session_refresh,jwks_v2)")
    parser.add_argument("--no-peer", action="store_true", help="skip the oidc-provider peer")
    parser.add_argument("--profile", default="", help="flows to profile with perf afterwards (comma-separated keys)")
    parser.add_argument("--out", type=Path, default=BENCH / "results", help="where results go (bench/results)")
    parser.add_argument("--rerender", type=Path, help="only rewrite the .md and .png of a saved results .json")
    args = parser.parse_args()
    if args.rerender:
        result = json.loads(args.rerender.read_text())
        cores = result["machine"]["cpus"]
        for flow in [f for r in result["runs"].values() for f in r["flows"]] + result["peer_flows"]:
            report.evaluate(flow, result["limits"], cores)
        result["peer_comparison"] = report.compare_peer(result["runs"], result["peer_flows"])
        paths = report.save(result, args.rerender.parent, args.rerender.stem)
        log(f"rewrote {paths['md']} and {paths['png']}")
        return 0

    mode = "quick" if args.quick else "full"
    settings = MODES[mode]
    wanted = set(filter(None, (args.flows or "").split(",")))
    selected = lambda flow: not wanted or flow.key in wanted or (flow.peer_of in wanted)
    profile = set(filter(None, args.profile.split(",")))
    wall = time.monotonic()
    binary = args.bin.resolve() if args.bin else build()
    build_seconds = time.monotonic() - wall
    now = datetime.datetime.now()
    stem = now.strftime("%Y-%m-%d") + ("-quick" if args.quick else "") + ("" if args.backend == "sqlite" else f"-{args.backend}")
    results_dir = args.out
    results_dir.mkdir(parents=True, exist_ok=True)
    info = machine()
    if info["load_average_at_start"][0] > 0.5:
        log(f"warning: the machine is busy (load average {info['load_average_at_start'][0]:.2f}): numbers will be noisy")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    runs_per_backend = len(F.LATCHKEY) + sum(map(len, F.ALGORITHM_VARIANTS.values())) + len(F.LATCHKEY_LAST)
    log(f"{mode} run: {settings['seconds']} s per flow at {settings['connections']} connections, about "
        f"{runs_per_backend * len(backends) + (0 if args.no_peer else len(F.PEER))} flows; expect "
        f"{'under 3 minutes' if args.quick else 'about 10 minutes per backend'} after the build")
    notes = []
    workdir = Path(tempfile.mkdtemp(prefix="latchkey-bench-"))
    try:
        runs, argon2_params = {}, None
        for backend in backends:
            runs[backend], params = run_latchkey(backend, binary, settings, workdir, selected, profile, results_dir,
                                                 stem)
            argon2_params = argon2_params or params
        imports = {}
        if not wanted or "import" in wanted:
            users = 20_000 if args.quick else 100_000
            for backend in backends:
                log(f"importing {users:,} users with password hashes ({backend})")
                imports[backend] = import_users.run(binary, backend, users)
        peer_flows = [] if args.no_peer else run_peer(settings, workdir, selected, profile, results_dir, stem)
        source = "parameters read from a stored hash"
        if not argon2_params:
            argon2_params, source = limits.DEFAULT_ARGON2, "the argon2 crate's defaults (no stored hash read)"
        log(f"measuring the ceilings ({settings['limit_seconds']:g} s each, one thread)")
        lim = limits.measure(settings["limit_seconds"], argon2_params)
        lim["argon2id_source"] = source
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    info["load_average_at_end"] = os.getloadavg()
    cores = os.cpu_count()
    for run in runs.values():
        for flow in run["flows"]:
            report.evaluate(flow, lim, cores)
    for flow in peer_flows:
        report.evaluate(flow, lim, cores)
    reference, reference_note = None, ""
    if "postgres" in runs and "sqlite" not in runs:
        candidates = sorted(p for p in results_dir.glob("*.json") if ("-quick" in p.name) == args.quick
                            and "postgres" not in p.name and "both" not in p.name)
        if candidates:
            reference = json.loads(candidates[-1].read_text())
            reference_note = f"SQLite numbers from {candidates[-1].name} (an earlier run on this machine)."
    elif "postgres" in runs:
        reference_note = "Both backends measured in this run."
    result = {
        "date": now.strftime("%Y-%m-%d %H:%M"), "mode": mode, "backends": backends,
        "shape": {k: settings[k] for k in ("connections", "threads", "seconds", "warmup")},
        "machine": info, "latchkey": {"commit": args.label or (f"{binary} (given with --bin)" if args.bin else commit()),
                                           "binary": str(binary)},
        "peer": {"name": "oidc-provider", "version": peer_mod.version()},
        "limits": lim, "runs": runs, "peer_flows": peer_flows, "imports": imports,
        "peer_comparison": report.compare_peer(runs, peer_flows) if peer_flows else [],
        "backend_comparison": report.compare_backends(runs, reference), "backend_reference": reference_note,
        "wall_seconds": time.monotonic() - wall, "build_seconds": build_seconds, "notes": notes,
    }
    paths = report.save(result, results_dir, stem)
    print()
    print(paths["md"].read_text())
    log(f"wrote {', '.join(str(p.relative_to(REPO)) if p.is_relative_to(REPO) else str(p) for p in paths.values())}")
    log(f"wall time {result['wall_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
