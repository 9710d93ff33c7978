"""Management: the user lifecycle beyond create/load/delete.

invite (the invite lands in the outbox), invite_batch (batch create: `createdUsers` / `failedUsers`), update
(overrides every field), patch (only the given fields), delete_by_user_id, load_users, activate / deactivate
(a disabled user can neither sign in nor refresh), update_login_id / email / phone / display name / picture /
custom attribute, logout_user (every refresh token dies at once), history.

SDK facts these tests rely on (descope==2.16.0):
- `activate`, `deactivate`, `update_*`, `set_roles` ... return `response.json()`: the server must answer
  `{"user": {...}}`, never an empty body. `delete*`, `logout_user*` ignore the body.
- `invite` is `POST /v1/mgmt/user/create` with `"invite": true` (+ `inviteUrl`, `sendMail`, `sendSMS` when given).
- `invite_batch` is `POST /v1/mgmt/user/create/batch` `{"users": [...], "invite": true, ...}` — always `invite: true`;
  Descope answers `{"createdUsers": [user...], "failedUsers": [{"failure": "<why>", "user": {...}}]}`.
- `history(user_ids)` posts a bare JSON array of user ids (not an object) to `/v1/mgmt/user/history` and returns
  the body as-is: `[{"userId", "loginTime", "city", "country", "ip"}]`.
"""
import time

from descope import AssociatedTenant, UserObj, UserPassword

from descope_compat import (
    EMAIL,
    check_login,
    client_error,
    message_to,
    new_email,
    new_phone,
    new_tenant,
    newest_message,
    otp_login,
    refresh_jwt,
    server_error,
    strong_password,
    uid,
)

INVITE_URL = "http://app.example.test/invite"
PICTURE = "https://img.example.test/avatar.png"


async def create_user(c, login_id=None, **kwargs) -> dict:
    login_id = login_id or new_email()
    user = (await c.mgmt.user.create(login_id, **kwargs))["user"]
    assert user["userId"] and login_id in user["loginIds"], user
    return user


async def load(c, login_id) -> dict:
    return (await c.mgmt.user.load(login_id))["user"]


async def define_roles(c, *names) -> None:
    for name in names:
        await c.mgmt.role.create(name, description=f"role {name}")


# ---------------------------------------------------------------- invite


def test_invite_sends_the_invitation_to_the_users_email(sdk, server):
    async def scenario(c):
        login_id = new_email()
        previous = newest_message(server, login_id)
        user = (await c.mgmt.user.invite(login_id, email=login_id, display_name="Invitee", invite_url=INVITE_URL))["user"]
        assert user["loginIds"] == [login_id] and user["email"] == login_id and user["name"] == "Invitee"
        assert user["status"] == "invited", user
        msg = message_to(server, login_id, previous, channel="email")
        assert msg["link"] and msg["link"].startswith(INVITE_URL), f"the invite links to {msg['link']!r}, not {INVITE_URL}"
        assert (await load(c, login_id))["status"] == "invited"

    sdk.run(scenario)


def test_invite_with_send_mail_false_sends_nothing(sdk, server):
    async def scenario(c):
        login_id = new_email()
        await c.mgmt.user.invite(login_id, email=login_id, invite_url=INVITE_URL, send_mail=False)
        assert newest_message(server, login_id) is None, "sendMail=false must not deliver an invitation"
        assert (await load(c, login_id))["loginIds"] == [login_id]

    sdk.run(scenario)


def test_invited_user_signs_in_and_becomes_enabled(sdk, server):
    async def scenario(c):
        login_id = new_email()
        invited = (await c.mgmt.user.invite(login_id, email=login_id, invite_url=INVITE_URL))["user"]
        resp = await otp_login(c, server, login_id)
        assert await check_login(c, server, resp, login_id) == invited["userId"]
        assert (await load(c, login_id))["status"] == "enabled"

    sdk.run(scenario)


def test_invite_existing_login_id_is_refused(sdk, server):
    async def scenario(c):
        user = await create_user(c)
        with server_error(409, "E071002"):
            await c.mgmt.user.invite(user["loginIds"][0], invite_url=INVITE_URL)

    sdk.run(scenario)


# ---------------------------------------------------------------- batch create (invite_batch)


def test_invite_batch_creates_users_and_reports_failures(sdk, server):
    async def scenario(c):
        existing = await create_user(c, display_name="Already Here")
        first, second = new_email(), new_email()
        password = strong_password()
        resp = await c.mgmt.user.invite_batch(
            [
                UserObj(first, email=first, display_name="First", password=UserPassword(cleartext=password)),
                UserObj(second, email=second, display_name="Second", role_names=[], custom_attributes={"n": 2}),
                UserObj(existing["loginIds"][0], display_name="Duplicate"),
            ],
            invite_url=INVITE_URL,
        )
        created = {u["loginIds"][0]: u for u in resp["createdUsers"]}
        assert set(created) == {first, second}, resp
        assert created[first]["name"] == "First" and created[second]["customAttributes"] == {"n": 2}
        failed = resp["failedUsers"]
        assert len(failed) == 1 and failed[0]["failure"], resp
        assert existing["loginIds"][0] in failed[0]["user"]["loginIds"], failed
        # the duplicate did not touch the existing user
        assert (await load(c, existing["loginIds"][0]))["name"] == "Already Here"
        # every created user got an invitation, and the cleartext password works
        for login_id in (first, second):
            assert message_to(server, login_id, channel="email")["link"].startswith(INVITE_URL)
        await check_login(c, server, await c.password.sign_in(first, password), first)

    sdk.run(scenario)


def test_invite_batch_without_mail_sends_nothing(sdk, server):
    async def scenario(c):
        logins = [new_email(), new_email()]
        resp = await c.mgmt.user.invite_batch([UserObj(x, email=x) for x in logins], send_mail=False)
        assert sorted(u["loginIds"][0] for u in resp["createdUsers"]) == sorted(logins)
        assert not resp.get("failedUsers"), resp
        for login_id in logins:
            assert newest_message(server, login_id) is None
            assert (await load(c, login_id))["loginIds"] == [login_id]

    sdk.run(scenario)


# ---------------------------------------------------------------- update / patch


def test_update_overrides_every_field(sdk, server):
    async def scenario(c):
        role = f"upd-{uid()}"
        await define_roles(c, role)
        tenant_id = await new_tenant(c)
        login_id = new_email()
        await create_user(
            c,
            login_id,
            email=login_id,
            display_name="Before",
            given_name="Bea",
            picture=PICTURE,
            custom_attributes={"plan": "gold"},
            role_names=[role],
            phone=new_phone(),
        )
        updated = (await c.mgmt.user.update(login_id, email=login_id, display_name="After",
                                            user_tenants=[AssociatedTenant(tenant_id, [role])]))["user"]
        for user in (updated, await load(c, login_id)):
            assert user["name"] == "After" and user["email"] == login_id
            assert not user.get("givenName") and not user.get("picture") and not user.get("phone"), user
            assert not user.get("customAttributes"), user
            assert user["roleNames"] == [], "update replaces the project roles too"
            assert [(t["tenantId"], t["roleNames"]) for t in user["userTenants"]] == [(tenant_id, [role])]

    sdk.run(scenario)


def test_update_unknown_user_is_404(sdk, server):
    async def scenario(c):
        with server_error(404, "E071001"):
            await c.mgmt.user.update(new_email(), display_name="Nobody")

    sdk.run(scenario)


def test_patch_changes_only_the_given_fields(sdk, server):
    async def scenario(c):
        role = f"patch-{uid()}"
        await define_roles(c, role)
        login_id = new_email()
        phone = new_phone()
        await create_user(c, login_id, email=login_id, phone=phone, display_name="Before", picture=PICTURE,
                          custom_attributes={"plan": "gold"}, role_names=[role])
        patched = (await c.mgmt.user.patch(login_id, display_name="After", given_name="Pat", family_name="Ch"))["user"]
        for user in (patched, await load(c, login_id)):
            assert user["name"] == "After" and user["givenName"] == "Pat" and user["familyName"] == "Ch"
            assert user["email"] == login_id and user["phone"] == phone and user["picture"] == PICTURE
            assert user["customAttributes"] == {"plan": "gold"} and user["roleNames"] == [role]

    sdk.run(scenario)


def test_patch_status(sdk, server):
    async def scenario(c):
        user = await create_user(c)
        login_id = user["loginIds"][0]
        assert (await c.mgmt.user.patch(login_id, status="disabled"))["user"]["status"] == "disabled"
        assert (await load(c, login_id))["status"] == "disabled"
        assert (await c.mgmt.user.patch(login_id, status="enabled"))["user"]["status"] == "enabled"

    sdk.run(scenario)


def test_patch_unknown_user_is_404(sdk, server):
    async def scenario(c):
        with server_error(404, "E071001"):
            await c.mgmt.user.patch(new_email(), display_name="Nobody")

    sdk.run(scenario)


# ---------------------------------------------------------------- delete / load


def test_delete_by_user_id(sdk, server):
    async def scenario(c):
        user = await create_user(c)
        assert await c.mgmt.user.delete_by_user_id(user["userId"]) is None
        with server_error(404, "E071001"):
            await c.mgmt.user.load_by_user_id(user["userId"])

    sdk.run(scenario)


def test_load_users_by_ids(sdk, server):
    async def scenario(c):
        a, b, other = await create_user(c), await create_user(c), await create_user(c)
        loaded = (await c.mgmt.user.load_users([a["userId"], b["userId"]]))["users"]
        assert sorted(u["userId"] for u in loaded) == sorted([a["userId"], b["userId"]])
        assert other["userId"] not in {u["userId"] for u in loaded}
        assert {u["userId"]: u["loginIds"] for u in loaded}[a["userId"]] == a["loginIds"]

    sdk.run(scenario)


# ---------------------------------------------------------------- activate / deactivate


def test_deactivated_user_cannot_sign_in_or_refresh(sdk, server):
    async def scenario(c):
        login_id, password = new_email(), strong_password()
        signed_up = await c.password.sign_up(login_id, password)
        otp_session = await otp_login(c, server, login_id)

        deactivated = (await c.mgmt.user.deactivate(login_id))["user"]
        assert deactivated["status"] == "disabled" and (await load(c, login_id))["status"] == "disabled"

        with server_error(403, "E071003"):
            await c.password.sign_in(login_id, password)
        previous = newest_message(server, login_id)
        with server_error(403, "E071003"):
            await c.otp.sign_in(EMAIL, login_id)
        assert newest_message(server, login_id) == previous, "a disabled user must not be sent a code"
        for resp in (signed_up, otp_session):
            with client_error() as info:
                await c.refresh_session(refresh_jwt(resp))
            body = info.value.error_message or ""
            assert "E071003" in body or "E064001" in body, f"refresh of a disabled user: {info.value}"

        activated = (await c.mgmt.user.activate(login_id))["user"]
        assert activated["status"] == "enabled" and (await load(c, login_id))["status"] == "enabled"
        await check_login(c, server, await c.password.sign_in(login_id, password), login_id)

    sdk.run(scenario)


def test_activate_unknown_user_is_404(sdk, server):
    async def scenario(c):
        for call in (c.mgmt.user.activate, c.mgmt.user.deactivate):
            with server_error(404, "E071001"):
                await call(new_email())

    sdk.run(scenario)


# ---------------------------------------------------------------- single-field updates


def test_update_login_id(sdk, server):
    async def scenario(c):
        user = await create_user(c)
        old, new = user["loginIds"][0], new_email()
        updated = (await c.mgmt.user.update_login_id(old, new))["user"]
        assert updated["userId"] == user["userId"] and new in updated["loginIds"] and old not in updated["loginIds"]
        assert (await load(c, new))["userId"] == user["userId"]
        with server_error(404, "E071001"):
            await c.mgmt.user.load(old)

    sdk.run(scenario)


def test_update_login_id_to_a_taken_one_is_refused(sdk, server):
    async def scenario(c):
        user, other = await create_user(c), await create_user(c)
        with server_error(409, "E071002"):
            await c.mgmt.user.update_login_id(user["loginIds"][0], other["loginIds"][0])
        assert (await load(c, user["loginIds"][0]))["userId"] == user["userId"]
        assert (await load(c, other["loginIds"][0]))["userId"] == other["userId"]

    sdk.run(scenario)


def test_update_email(sdk, server):
    async def scenario(c):
        user = await create_user(c, login_id=f"user-{uid()}")
        login_id, email = user["loginIds"][0], new_email()
        updated = (await c.mgmt.user.update_email(login_id, email, verified=True))["user"]
        for u in (updated, await load(c, login_id)):
            assert u["email"] == email and u["verifiedEmail"] is True, u
        unverified = new_email()
        assert (await c.mgmt.user.update_email(login_id, unverified, verified=False))["user"]["verifiedEmail"] is False

    sdk.run(scenario)


def test_update_email_invalid_is_refused(sdk, server):
    async def scenario(c):
        user = await create_user(c)
        login_id = user["loginIds"][0]
        with server_error(400, "E011003") as info:
            await c.mgmt.user.update_email(login_id, "not-an-email", verified=True)
        assert "email" in info.value.error_message
        assert (await load(c, login_id))["email"] == user["email"]

    sdk.run(scenario)


def test_update_phone(sdk, server):
    async def scenario(c):
        user = await create_user(c)
        login_id, phone = user["loginIds"][0], new_phone()
        updated = (await c.mgmt.user.update_phone(login_id, phone, verified=True))["user"]
        for u in (updated, await load(c, login_id)):
            assert u["phone"] == phone and u["verifiedPhone"] is True, u

    sdk.run(scenario)


def test_update_phone_invalid_is_refused(sdk, server):
    async def scenario(c):
        user = await create_user(c)
        login_id = user["loginIds"][0]
        with server_error(400, "E011003") as info:
            await c.mgmt.user.update_phone(login_id, "12ab", verified=True)
        assert "phone" in info.value.error_message
        assert not (await load(c, login_id))["phone"]

    sdk.run(scenario)


def test_update_display_name_and_name_parts(sdk, server):
    async def scenario(c):
        login_id = (await create_user(c, display_name="Old"))["loginIds"][0]
        updated = (await c.mgmt.user.update_display_name(login_id, "Ada Lovelace", given_name="Ada",
                                                         middle_name="King", family_name="Lovelace"))["user"]
        for u in (updated, await load(c, login_id)):
            assert (u["name"], u["givenName"], u["middleName"], u["familyName"]) == ("Ada Lovelace", "Ada", "King", "Lovelace")

    sdk.run(scenario)


def test_update_picture(sdk, server):
    async def scenario(c):
        login_id = (await create_user(c))["loginIds"][0]
        assert (await c.mgmt.user.update_picture(login_id, PICTURE))["user"]["picture"] == PICTURE
        assert (await load(c, login_id))["picture"] == PICTURE

    sdk.run(scenario)


def test_update_custom_attribute_keeps_the_others(sdk, server):
    async def scenario(c):
        login_id = (await create_user(c, custom_attributes={"plan": "free"}))["loginIds"][0]
        await c.mgmt.user.update_custom_attribute(login_id, "plan", "gold")
        await c.mgmt.user.update_custom_attribute(login_id, "seats", 5)
        updated = (await c.mgmt.user.update_custom_attribute(login_id, "beta", True))["user"]
        expected = {"plan": "gold", "seats": 5, "beta": True}
        assert updated["customAttributes"] == expected and (await load(c, login_id))["customAttributes"] == expected

    sdk.run(scenario)


def test_single_field_updates_of_unknown_user_are_404(sdk, server):
    async def scenario(c):
        ghost = new_email()
        calls = [
            c.mgmt.user.update_login_id(ghost, new_email()),
            c.mgmt.user.update_email(ghost, new_email(), True),
            c.mgmt.user.update_phone(ghost, new_phone(), True),
            c.mgmt.user.update_display_name(ghost, "Ghost"),
            c.mgmt.user.update_picture(ghost, PICTURE),
            c.mgmt.user.update_custom_attribute(ghost, "k", "v"),
        ]
        for call in calls:
            with server_error(404, "E071001"):
                await call
        with server_error(404, "E071001"):
            await c.mgmt.user.load(ghost)

    sdk.run(scenario)


# ---------------------------------------------------------------- logout_user


def test_logout_user_kills_every_refresh_token(sdk, server):
    async def scenario(c):
        login_id = new_email()
        first, second = await otp_login(c, server, login_id), await otp_login(c, server, login_id)
        assert await c.mgmt.user.logout_user(login_id) is None
        for resp in (first, second):
            with server_error(401, "E064001"):
                await c.refresh_session(refresh_jwt(resp))
        fresh = await otp_login(c, server, login_id)  # a new sign-in still works
        await c.refresh_session(refresh_jwt(fresh))

    sdk.run(scenario)


def test_logout_user_by_user_id(sdk, server):
    async def scenario(c):
        resp = await otp_login(c, server)
        assert await c.mgmt.user.logout_user_by_user_id(resp["userId"]) is None
        with server_error(401, "E064001"):
            await c.refresh_session(refresh_jwt(resp))

    sdk.run(scenario)


def test_logout_user_leaves_other_users_alone(sdk, server):
    async def scenario(c):
        target, bystander = await otp_login(c, server), await otp_login(c, server)
        await c.mgmt.user.logout_user_by_user_id(target["userId"])
        refreshed = await c.refresh_session(refresh_jwt(bystander))
        assert refreshed["userId"] == bystander["userId"]

    sdk.run(scenario)


def test_logout_unknown_user_is_404(sdk, server):
    async def scenario(c):
        with server_error(404, "E071001"):
            await c.mgmt.user.logout_user(new_email())

    sdk.run(scenario)


# ---------------------------------------------------------------- history


def test_history_lists_sign_ins(sdk, server):
    async def scenario(c):
        started = int(time.time())
        login_a, login_b = new_email(), new_email()
        a1 = await otp_login(c, server, login_a)
        await otp_login(c, server, login_a)
        b1 = await otp_login(c, server, login_b)
        history = await c.mgmt.user.history([a1["userId"], b1["userId"]])
        assert isinstance(history, list), history
        by_user = {}
        for entry in history:
            by_user.setdefault(entry["userId"], []).append(entry)
            assert started - 5 <= entry["loginTime"] <= time.time() + 5, f"loginTime must be unix seconds: {entry}"
            assert entry["ip"] == "127.0.0.1" and "city" in entry and "country" in entry, entry
        assert len(by_user.get(a1["userId"], [])) == 2 and len(by_user.get(b1["userId"], [])) == 1, history
        assert set(by_user) == {a1["userId"], b1["userId"]}

    sdk.run(scenario)


def test_history_of_user_without_sign_ins_is_empty(sdk, server):
    async def scenario(c):
        user = await create_user(c)
        assert await c.mgmt.user.history([user["userId"]]) == []

    sdk.run(scenario)
