"""The OpenID Connect suites (docs/oidc.md): a real relying party (Authlib) and the real Scalekit SDK.

Helpers and fixtures live in tests/pylib/oidc_helpers.py, shared with tests/security/test_sec_oauth.py.
"""
import os

import pytest

from oidc_helpers import browser, client, make_browser, other_client, public_client, user  # noqa: F401


@pytest.fixture(autouse=True)
def _no_descope_env(monkeypatch):
    """The Descope SDK reads DESCOPE_* from the environment; a stray one would change what it sends."""
    for key in list(os.environ):
        if key.startswith("DESCOPE_"):
            monkeypatch.delenv(key)
