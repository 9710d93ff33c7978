"""Rate limits: the SDK's RateLimitException with the errorCode and Retry-After of a 429."""
import pytest
from descope import RateLimitException

from descope_compat import EMAIL, new_email, server_config


async def expect_rate_limited(call):
    with pytest.raises(RateLimitException) as info:
        await call
    exc = info.value
    assert exc.status_code == "E130429", f"the SDK copies errorCode into status_code; got {exc}"
    retry_after = exc.rate_limit_parameters["Retry-After"]
    assert isinstance(retry_after, int) and 0 < retry_after <= 60, f"Retry-After must be integer seconds: {exc}"
    assert exc.error_description, exc


def test_per_login_id_limit(sdk, make_server):
    srv = make_server(server_config(rate_limit={"per_login_id": 2}))

    async def scenario(c):
        login_id = new_email()
        for _ in range(2):
            await c.otp.sign_up_or_in(EMAIL, login_id)
        await expect_rate_limited(c.otp.sign_up_or_in(EMAIL, login_id))
        await c.otp.sign_up_or_in(EMAIL, new_email())  # other login ids are not throttled

    sdk.run(scenario, server=srv, management_key=None)


def test_per_ip_limit(sdk, make_server):
    srv = make_server(server_config(rate_limit={"per_ip": 3}))

    async def scenario(c):
        for _ in range(3):
            await c.otp.sign_up_or_in(EMAIL, new_email())
        await expect_rate_limited(c.otp.sign_up_or_in(EMAIL, new_email()))

    sdk.run(scenario, server=srv, management_key=None)
