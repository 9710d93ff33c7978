"""User import at scale: 100,000 users with password hashes through `latchkey users import`
(the target: under a minute on the 2-core test machine). Run by `bench/run` unless `--flows`
excludes `import`; alone: `bench/.venv/bin/python bench/import_users.py [--users N] [--backend B]`.

Half the users carry a bcrypt hash, half a PBKDF2-SHA256 one (what import does per user is the
same for every scheme: parse, check bounds, store; nothing is verified until a sign-in). Writes
`{"users", "seconds", "users_per_second", "cpu_seconds"}` per backend.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import resource
import tempfile
import time
from pathlib import Path

from server import Latchkey, Postgres

# A real bcrypt hash (cost 4) of "correct horse battery": the file holds hashes, never cleartext.
BCRYPT = "$2b$04$Vbm0uTIX1Bvb2Zx1Vn3Q6eYq7mX0h6oO3H5e6bq5mW1v9m9Xb1k7K"


def pbkdf2(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 1000)
    b64 = lambda b: base64.b64encode(b).decode().rstrip("=")  # noqa: E731
    return f"$pbkdf2-sha256$i=1000,l=32${b64(salt)}${b64(digest)}"


def write_file(path: Path, users: int) -> None:
    shared = pbkdf2("correct horse battery")
    with path.open("w") as f:
        for i in range(users):
            login = f"import-{i}@example.com"
            record = {"loginId": login, "email": login, "name": f"User {i}",
                      "password": {"hash": BCRYPT if i % 2 else shared}}
            f.write(json.dumps(record) + "\n")


def import_once(binary: Path, workdir: Path, users: int, database_url: str | None) -> dict:
    data = workdir / "data"
    server = Latchkey(binary, data, {}, database_url)
    server.start()  # the first start creates the project the import goes into
    server.stop()
    path = workdir / "users.jsonl"
    write_file(path, users)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = server.cli("users", "import", str(path), check=False)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    imported = re.search(r"imported (\d+) of", result.stdout)
    if result.returncode != 0 or not imported or int(imported.group(1)) != users:
        raise RuntimeError(f"import failed ({result.returncode}): {result.stdout[-300:]} {result.stderr[-300:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"users": users, "seconds": round(seconds, 2), "users_per_second": round(users / seconds),
            "cpu_seconds": round(cpu, 2)}


def run(binary: Path, backend: str, users: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="latchkey-import-") as tmp:
        workdir = Path(tmp)
        workdir.chmod(0o755)  # PostgreSQL runs as its own user when we are root
        if backend == "postgres":
            pg = Postgres(workdir / "pg").start()
            try:
                return import_once(binary, workdir, users, pg.create_database("import"))
            finally:
                pg.stop()
        return import_once(binary, workdir, users, None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--binary", type=Path,
                        default=Path(os.environ.get("CARGO_TARGET_DIR", Path(__file__).resolve().parents[1] / "target"))
                        / "release" / "latchkey")
    args = parser.parse_args()
    print(json.dumps(run(args.binary, args.backend, args.users)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
