import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "pylib"))

from latchkey_server import LatchkeyServer  # noqa: E402

# Generous limits for the shared server, so tests that sign in many times are not throttled;
# rate-limit tests start their own server with small limits.
SHARED_CONFIG = {"rate_limit": {"per_ip": 100000, "per_login_id": 1000}}


@pytest.fixture(scope="session")
def server():
    srv = LatchkeyServer(SHARED_CONFIG).start()
    yield srv
    srv.cleanup()


@pytest.fixture
def make_server():
    """Start extra servers with their own config; all are stopped after the test."""
    started = []

    def start(config: dict | None = None, **kwargs) -> LatchkeyServer:
        srv = LatchkeyServer(config, **kwargs).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.cleanup()

