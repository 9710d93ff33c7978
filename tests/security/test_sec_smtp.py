"""Real SMTP delivery to a local aiosmtpd sink, and no header injection through user input."""
import email
import email.policy
import re
import time

from latchkey_security import assert_error, auth_post, config, new_login_id, start_otp, verify_otp

FROM = "noreply@latchkey.test"
ATTACKER = "attacker@evil.test"


def _smtp_server(make_server, sink):
    return make_server(config(smtp={"host": sink.host, "port": sink.port, "from": FROM, "tls": "none"}))


def _text_of(message) -> str:
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def test_otp_mail_is_delivered_over_smtp_and_its_code_verifies(make_server, smtp_sink):
    srv = _smtp_server(make_server, smtp_sink)
    login_id = new_login_id("smtp")
    resp = start_otp(srv, login_id)
    assert resp.status_code == 200, resp.text
    envelope = smtp_sink.wait_for(login_id)
    assert envelope.rcpt_tos == [login_id]
    assert envelope.mail_from == FROM
    message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
    assert login_id in str(message["To"])
    assert FROM in str(message["From"])
    assert message["Subject"]
    candidates = list(dict.fromkeys(re.findall(r"(?<!\d)\d{6,}(?!\d)", _text_of(message))))
    assert candidates, f"no code in the mail: {_text_of(message)!r}"
    for code in candidates[:3]:
        result = verify_otp(srv, login_id, code)
        if result.status_code == 200:
            assert result.json().get("sessionJwt")
            break
    else:
        raise AssertionError(f"none of {candidates[:3]} from the mail verified")
    # exactly one mail, to exactly that recipient
    assert [e.rcpt_tos for e in smtp_sink.envelopes] == [[login_id]]


def test_crlf_in_login_id_cannot_add_recipients(make_server, smtp_sink):
    srv = _smtp_server(make_server, smtp_sink)
    victim = new_login_id("smtp-crlf")
    resp = start_otp(srv, f"{victim}\r\nBcc: {ATTACKER}")
    assert 400 <= resp.status_code < 500, resp.text
    assert_error(resp, resp.status_code)
    time.sleep(1.5)
    assert all(ATTACKER not in e.rcpt_tos for e in smtp_sink.envelopes)
    assert all(ATTACKER.encode() not in (e.original_content or e.content) for e in smtp_sink.envelopes)


def test_crlf_in_user_name_cannot_inject_headers(make_server, smtp_sink):
    srv = _smtp_server(make_server, smtp_sink)
    login_id = new_login_id("smtp-name")
    resp = auth_post(srv, "/v1/auth/otp/signup/email", {
        "loginId": login_id, "email": login_id,
        "user": {"name": f"Joe\r\nBcc: {ATTACKER}\r\nX-Injected: yes", "email": login_id},
    })
    if resp.status_code == 200:  # accepted: the mail must go to the user only, with no injected header
        envelope = smtp_sink.wait_for(login_id)
        assert envelope.rcpt_tos == [login_id]
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        assert message["X-Injected"] is None and message["Bcc"] is None
    else:
        assert_error(resp, 400)
    time.sleep(1.5)
    assert all(ATTACKER not in e.rcpt_tos for e in smtp_sink.envelopes)
