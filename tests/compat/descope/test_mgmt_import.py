"""User import with existing password hashes: the CLI, the SDK's import route, and invite_batch with hashes.

Every hash is made here with the real libraries (bcrypt, argon2-cffi, hashlib, cryptography: see
tests/requirements.txt); each imported user then signs in through the SDK's `password.sign_in` with
the original password, and a wrong password is refused.

IMPORT FILE FORMAT (what `latchkey users import FILE` and the `latchkey` source of `mgmt.user.import_users` read)
-----------------------------------------------------------------------------------------------------------
Either a JSON array of user objects, or JSON lines (one user object per line). A user object:

    {"loginId": "ada@example.com", "email": "ada@example.com", "name": "Ada", "phone": "+12025550100",
     "password": PASSWORD}

`loginId` is required; `email`, `name`, `phone` and `password` are optional. PASSWORD is one of:

    {"hash": "<self-describing hash string>"}, the string being
        bcrypt   modular crypt  $2a$ / $2b$ / $2y$      e.g. $2b$04$<22 salt chars><31 hash chars>
        argon2   PHC            $argon2i$ / $argon2d$ / $argon2id$   e.g. $argon2id$v=19$m=8192,t=2,p=1$<salt>$<hash>
        pbkdf2   PHC            $pbkdf2-sha1$ / $pbkdf2-sha256$ / $pbkdf2-sha512$   e.g. $pbkdf2-sha256$i=10000,l=32$<salt>$<hash>
        scrypt   PHC            $scrypt$ln=14,r=8,p=1$<salt>$<hash>
      In the PHC strings, <salt> and <hash> are standard base64 without padding (the PHC string format); the
      salt fed to the KDF is the decoded bytes, `l` is the hash length in bytes, `ln` is log2(N).
    {"algorithm": "firebase-scrypt", "hash": B64, "salt": B64, "saltSeparator": B64, "signerKey": B64,
     "rounds": int, "memCost": int}
      B64 = standard base64 with padding, as Firebase exports them. Firebase's modified scrypt: key =
      scrypt(password, salt + saltSeparator, N = 2**memCost, r = rounds, p = 1, 32 bytes); hash =
      AES-256-CTR(key, IV = 16 zero bytes) applied to signerKey.

CLI: `latchkey users import FILE --data-dir D` exits 0 when every user was imported. A user that cannot be
imported (unknown hash format, login id already taken, ...) is named by login id on stderr, the others are still
imported, and the exit status is non-zero. A file that is not valid JSON / JSON lines imports nothing and exits
non-zero. An existing user is never changed by an import.

SDK route: `mgmt.user.import_users("latchkey", users=<file bytes>, dryrun=...)` posts
`{"source", "dryrun", "users": base64(bytes)}` to `/v1/mgmt/user/import` and answers Descope's import response
`{"users": [<user objects imported>], "failures": [{"user": "<loginId>", "reason": "..."}]}`; with dryrun nothing
is stored. (`hashes` is not used by the `latchkey` source.)

invite_batch: the SDK's own hashed-password shapes (`UserPasswordBcrypt`, `UserPasswordPbkdf2`,
`UserPasswordFirebase`, `UserPasswordDjango`) travel as `hashedPassword` in `/v1/mgmt/user/create/batch`:
`{"bcrypt": {"hash"}}`, `{"pbkdf2": {"hash", "salt", "iterations", "type": "sha1|sha256|sha512"}}` (hash and salt
standard base64 with padding), `{"firebase": {"hash", "salt", "saltSeparator", "signerKey", "memory", "rounds"}}`,
`{"django": {"hash": "pbkdf2_sha256$<iterations>$<salt>$<base64 hash>"}}`.
"""
import base64
import hashlib
import json
import os

import bcrypt
import pytest
from argon2 import PasswordHasher, Type
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from descope import (
    UserObj,
    UserPassword,
    UserPasswordBcrypt,
    UserPasswordDjango,
    UserPasswordFirebase,
    UserPasswordPbkdf2,
)

from descope_compat import check_login, new_email, server_error, strong_password, uid

# ---------------------------------------------------------------- hashes, made with the real libraries


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def phc_b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def bcrypt_hash(password: str, prefix: str = "2b") -> str:
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4, prefix=b"2a" if prefix == "2a" else b"2b")).decode()
    return hashed.replace("$2b$", "$2y$", 1) if prefix == "2y" else hashed  # $2y$ is $2b$ under another name


def argon2_hash(password: str, kind: Type) -> str:
    return PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1, hash_len=32, salt_len=16, type=kind).hash(password)


def pbkdf2_raw(password: str, variant: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac(variant, password.encode(), salt, iterations)


def pbkdf2_phc(password: str, variant: str) -> str:
    salt, iterations = os.urandom(16), 10_000
    dk = pbkdf2_raw(password, variant, salt, iterations)
    return f"$pbkdf2-{variant}$i={iterations},l={len(dk)}${phc_b64(salt)}${phc_b64(dk)}"


def scrypt_phc(password: str) -> str:
    salt, log_n, r, p = os.urandom(16), 14, 8, 1
    dk = hashlib.scrypt(password.encode(), salt=salt, n=2**log_n, r=r, p=p, dklen=32)
    return f"$scrypt$ln={log_n},r={r},p={p}${phc_b64(salt)}${phc_b64(dk)}"


def firebase_scrypt(password: bytes, salt: bytes, separator: bytes, signer_key: bytes, rounds: int, mem_cost: int) -> bytes:
    """Firebase's modified scrypt (github.com/firebase/scrypt): AES-256-CTR of the signer key under the scrypt key."""
    key = hashlib.scrypt(password, salt=salt + separator, n=2**mem_cost, r=rounds, p=1, dklen=32)
    encryptor = Cipher(algorithms.AES(key), modes.CTR(b"\0" * 16)).encryptor()
    return encryptor.update(signer_key) + encryptor.finalize()


FIREBASE_PROJECT = {"signerKey": os.urandom(64), "saltSeparator": b"\x07", "rounds": 8, "memCost": 14}


def firebase_fields(password: str) -> dict:
    salt = os.urandom(12)
    p = FIREBASE_PROJECT
    digest = firebase_scrypt(password.encode(), salt, p["saltSeparator"], p["signerKey"], p["rounds"], p["memCost"])
    return {"hash": b64(digest), "salt": b64(salt), "saltSeparator": b64(p["saltSeparator"]),
            "signerKey": b64(p["signerKey"]), "rounds": p["rounds"], "memCost": p["memCost"]}


# What goes in the file's "password" member, per scheme.
FILE_HASHES = {
    "bcrypt-2a": lambda pw: {"hash": bcrypt_hash(pw, "2a")},
    "bcrypt-2b": lambda pw: {"hash": bcrypt_hash(pw, "2b")},
    "bcrypt-2y": lambda pw: {"hash": bcrypt_hash(pw, "2y")},
    "argon2i": lambda pw: {"hash": argon2_hash(pw, Type.I)},
    "argon2d": lambda pw: {"hash": argon2_hash(pw, Type.D)},
    "argon2id": lambda pw: {"hash": argon2_hash(pw, Type.ID)},
    "pbkdf2-sha1": lambda pw: {"hash": pbkdf2_phc(pw, "sha1")},
    "pbkdf2-sha256": lambda pw: {"hash": pbkdf2_phc(pw, "sha256")},
    "pbkdf2-sha512": lambda pw: {"hash": pbkdf2_phc(pw, "sha512")},
    "scrypt": lambda pw: {"hash": scrypt_phc(pw)},
    "firebase-scrypt": lambda pw: {"algorithm": "firebase-scrypt", **firebase_fields(pw)},
}


def user_record(scheme: str | None = None, secret: str | None = None, password_object: dict | None = None,
                **extra) -> dict:
    """A user object of the import file; its password hashed with `scheme` from `secret`, or `password_object` as is."""
    login_id = extra.pop("loginId", None) or new_email()
    record = {"loginId": login_id, "email": login_id, "name": f"Imported {uid()}", **extra}
    if scheme:
        record["password"] = FILE_HASHES[scheme](secret)
    elif password_object is not None:
        record["password"] = password_object
    return record


def write_json(tmp_path, records: list[dict]) -> str:
    path = tmp_path / f"users-{uid()}.json"
    path.write_text(json.dumps(records, indent=1))
    return str(path)


def write_jsonl(tmp_path, records: list[dict]) -> str:
    path = tmp_path / f"users-{uid()}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def run_import(server, path: str):
    result = server.cli("users", "import", path, check=False)
    assert "unrecognized subcommand" not in result.stderr, f"`latchkey users import` does not exist yet: {result.stderr}"
    return result


# What Latchkey hashes new passwords with (Argon2id, OWASP parameters): imported hashes become this.
CURRENT_SCHEME = "$argon2id$v=19$m=19456,t=2,p=1$"


async def assert_signs_in(c, server, record: dict, password: str) -> None:
    """The imported hash signs in with the original password, is upgraded to the current scheme by that
    first sign-in, and the upgraded hash goes on signing in; a wrong password never does."""
    login_id = record["loginId"]
    with server_error(401, "E063001"):
        await c.password.sign_in(login_id, password + "x")
    imported = server.password_hash_of(login_id)
    assert imported and not imported.startswith(CURRENT_SCHEME), imported
    resp = await c.password.sign_in(login_id, password)
    await check_login(c, server, resp, login_id)
    assert resp["user"]["email"] == record["email"] and resp["user"]["name"] == record["name"]
    upgraded = server.password_hash_of(login_id)
    assert upgraded.startswith(CURRENT_SCHEME), f"hash not upgraded after the first sign-in: {upgraded[:20]}"
    await check_login(c, server, await c.password.sign_in(login_id, password), login_id)
    with server_error(401, "E063001"):
        await c.password.sign_in(login_id, password + "x")


async def absent(c, login_id: str) -> None:
    with server_error(404, "E071001"):
        await c.mgmt.user.load(login_id)


# ---------------------------------------------------------------- the test-side hashes are the real thing


def test_firebase_helper_matches_firebases_published_example():
    """github.com/firebase/scrypt README: the documented inputs give the documented hash."""
    signer = base64.b64decode("jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==")
    digest = firebase_scrypt(b"user1password", base64.b64decode("42xEC+ixf3L2lw=="), base64.b64decode("Bw=="), signer, 8, 14)
    assert b64(digest) == "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="


def test_phc_helpers_verify_with_their_libraries():
    password = strong_password()
    assert PasswordHasher().verify(argon2_hash(password, Type.ID), password)
    assert bcrypt.checkpw(password.encode(), bcrypt_hash(password, "2a").encode())
    _, _, params, salt, digest = pbkdf2_phc(password, "sha512").split("$")
    iterations = int(params.split(",")[0].removeprefix("i="))
    raw_salt = base64.b64decode(salt + "=" * (-len(salt) % 4))
    assert phc_b64(pbkdf2_raw(password, "sha512", raw_salt, iterations)) == digest


# ---------------------------------------------------------------- CLI


@pytest.mark.parametrize("scheme", sorted(FILE_HASHES))
def test_cli_import_then_sign_in(sdk, server, tmp_path, scheme):
    password = strong_password()
    record = user_record(scheme, password)
    result = run_import(server, write_json(tmp_path, [record]))
    assert result.returncode == 0, f"import failed ({result.returncode}): {result.stderr}"

    async def scenario(c):
        user = (await c.mgmt.user.load(record["loginId"]))["user"]
        assert user["email"] == record["email"] and user["name"] == record["name"] and user["password"] is True
        assert user["status"] == "enabled"
        await assert_signs_in(c, server, record, password)

    sdk.run(scenario)


def test_cli_import_json_lines_with_and_without_passwords(sdk, server, tmp_path):
    pw_a, pw_b = strong_password(), strong_password()
    with_bcrypt, with_argon, without = user_record("bcrypt-2b", pw_a), user_record("argon2id", pw_b), user_record()
    result = run_import(server, write_jsonl(tmp_path, [with_bcrypt, with_argon, without]))
    assert result.returncode == 0, result.stderr

    async def scenario(c):
        await assert_signs_in(c, server, with_bcrypt, pw_a)
        await assert_signs_in(c, server, with_argon, pw_b)
        user = (await c.mgmt.user.load(without["loginId"]))["user"]
        assert user["name"] == without["name"] and user["password"] is False
        with server_error(401, "E063001"):
            await c.password.sign_in(without["loginId"], pw_a)

    sdk.run(scenario)


def test_cli_import_reports_bad_users_and_imports_the_rest(sdk, server, tmp_path):
    password = strong_password()
    good = user_record("pbkdf2-sha256", password)
    unknown_scheme = user_record(password_object={"hash": "$md5$rounds=1000$salt$notsupported"})
    garbled = user_record(password_object={"hash": "$argon2id$v=19$m=8192,t=2,p=1$%%%$%%%"})
    no_login = {"email": new_email(), "name": "No Login Id"}
    result = run_import(server, write_json(tmp_path, [unknown_scheme, good, garbled, no_login]))
    assert result.returncode != 0, "a partly failed import must exit non-zero"
    for bad in (unknown_scheme, garbled):
        assert bad["loginId"] in result.stderr, f"{bad['loginId']} not named on stderr: {result.stderr}"

    async def scenario(c):
        await assert_signs_in(c, server, good, password)
        for bad in (unknown_scheme, garbled):
            await absent(c, bad["loginId"])
        await absent(c, no_login["email"])

    sdk.run(scenario)


def test_cli_import_never_changes_an_existing_user(sdk, server, tmp_path):
    original, imported = strong_password(), strong_password()
    login_id = new_email()

    async def sign_up(c):
        await c.password.sign_up(login_id, original, {"name": "Original"})

    sdk.run(sign_up)
    newcomer_password = strong_password()
    clash = user_record("bcrypt-2b", imported, loginId=login_id, name="Impostor")
    newcomer = user_record("scrypt", newcomer_password)
    result = run_import(server, write_json(tmp_path, [clash, newcomer]))
    assert result.returncode != 0 and login_id in result.stderr, result.stderr

    async def scenario(c):
        await check_login(c, server, await c.password.sign_in(login_id, original), login_id)
        with server_error(401, "E063001"):
            await c.password.sign_in(login_id, imported)
        assert (await c.mgmt.user.load(login_id))["user"]["name"] == "Original"
        await assert_signs_in(c, server, newcomer, newcomer_password)

    sdk.run(scenario)


def test_cli_import_of_a_malformed_file_imports_nothing(sdk, server, tmp_path):
    record = user_record("bcrypt-2b", strong_password())
    path = tmp_path / "broken.json"
    path.write_text(json.dumps([record])[:-2])  # cut before the closing brackets
    result = run_import(server, str(path))
    assert result.returncode != 0 and result.stderr.strip(), "a malformed file must fail loudly"
    missing = run_import(server, str(tmp_path / "no-such-file.json"))
    assert missing.returncode != 0 and missing.stderr.strip()

    async def scenario(c):
        await absent(c, record["loginId"])

    sdk.run(scenario)


# ---------------------------------------------------------------- SDK import route


def test_sdk_import_users(sdk, server):
    async def scenario(c):
        password = strong_password()
        records = [user_record("argon2id", password), user_record("firebase-scrypt", password)]
        resp = await c.mgmt.user.import_users("latchkey", users=json.dumps(records).encode())
        assert sorted(u["loginIds"][0] for u in resp["users"]) == sorted(r["loginId"] for r in records), resp
        assert not resp.get("failures"), resp
        for record in records:
            await assert_signs_in(c, server, record, password)

    sdk.run(scenario)


def test_sdk_import_users_dryrun_stores_nothing(sdk, server):
    async def scenario(c):
        record = user_record("bcrypt-2b", strong_password())
        resp = await c.mgmt.user.import_users("latchkey", users=json.dumps([record]).encode(), dryrun=True)
        assert [u["loginIds"][0] for u in resp["users"]] == [record["loginId"]] and not resp.get("failures"), resp
        await absent(c, record["loginId"])

    sdk.run(scenario)


def test_sdk_import_users_reports_failures(sdk, server):
    async def scenario(c):
        password = strong_password()
        good, bad = user_record("pbkdf2-sha1", password), user_record(password_object={"hash": "$md5$x$y"})
        resp = await c.mgmt.user.import_users("latchkey", users=json.dumps([good, bad]).encode())
        assert [u["loginIds"][0] for u in resp["users"]] == [good["loginId"]], resp
        assert [f["user"] for f in resp["failures"]] == [bad["loginId"]] and resp["failures"][0]["reason"], resp
        await assert_signs_in(c, server, good, password)
        await absent(c, bad["loginId"])

    sdk.run(scenario)


def test_sdk_import_users_refuses_unknown_source_and_garbage(sdk, server):
    async def scenario(c):
        record = user_record("bcrypt-2b", strong_password())
        with server_error(400, "E011003") as info:
            await c.mgmt.user.import_users("no-such-source", users=json.dumps([record]).encode())
        assert "source" in info.value.error_message
        with server_error(400) as info:
            await c.mgmt.user.import_users("latchkey", users=b"{not json")
        assert "users" in info.value.error_message
        await absent(c, record["loginId"])

    sdk.run(scenario)


# ---------------------------------------------------------------- invite_batch with the SDK's hash shapes


def sdk_hashed(scheme: str, password: str):
    if scheme == "bcrypt":
        return UserPasswordBcrypt(bcrypt_hash(password, "2a"))
    if scheme.startswith("pbkdf2-"):
        variant = scheme.removeprefix("pbkdf2-")
        salt, iterations = os.urandom(16), 10_000
        return UserPasswordPbkdf2(b64(pbkdf2_raw(password, variant, salt, iterations)), b64(salt), iterations, variant)
    if scheme == "firebase":
        f = firebase_fields(password)
        return UserPasswordFirebase(f["hash"], f["salt"], f["saltSeparator"], f["signerKey"], f["memCost"], f["rounds"])
    if scheme.startswith("django-"):
        algo = scheme.removeprefix("django-")  # pbkdf2_sha256 / pbkdf2_sha1
        salt, iterations = uid(), 10_000
        digest = hashlib.pbkdf2_hmac(algo.removeprefix("pbkdf2_"), password.encode(), salt.encode(), iterations)
        return UserPasswordDjango(f"{algo}${iterations}${salt}${b64(digest)}")
    raise ValueError(scheme)


SDK_SCHEMES = ["bcrypt", "pbkdf2-sha1", "pbkdf2-sha256", "pbkdf2-sha512", "firebase", "django-pbkdf2_sha256",
               "django-pbkdf2_sha1"]


@pytest.mark.parametrize("scheme", SDK_SCHEMES)
def test_invite_batch_with_hashed_password(sdk, server, scheme):
    async def scenario(c):
        password = strong_password()
        login_id = new_email()
        user = UserObj(login_id, email=login_id, display_name=f"Hashed {scheme}",
                       password=UserPassword(hashed=sdk_hashed(scheme, password)))
        resp = await c.mgmt.user.invite_batch([user], send_mail=False)
        assert [u["loginIds"][0] for u in resp["createdUsers"]] == [login_id] and not resp.get("failedUsers"), resp
        record = {"loginId": login_id, "email": login_id, "name": f"Hashed {scheme}"}
        await assert_signs_in(c, server, record, password)

    sdk.run(scenario)


def test_invite_batch_with_a_bad_hash_fails_that_user_only(sdk, server):
    async def scenario(c):
        password = strong_password()
        good, bad = new_email(), new_email()
        resp = await c.mgmt.user.invite_batch(
            [
                UserObj(good, email=good, display_name="Good", password=UserPassword(hashed=sdk_hashed("bcrypt", password))),
                UserObj(bad, email=bad, password=UserPassword(hashed=UserPasswordBcrypt("not-a-bcrypt-hash"))),
            ],
            send_mail=False,
        )
        assert [u["loginIds"][0] for u in resp["createdUsers"]] == [good], resp
        assert [f["user"]["loginIds"] for f in resp["failedUsers"]] == [[bad]] and resp["failedUsers"][0]["failure"]
        await absent(c, bad)
        await assert_signs_in(c, server, {"loginId": good, "email": good, "name": "Good"}, password)

    sdk.run(scenario)
