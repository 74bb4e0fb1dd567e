"""Test-wide setup: a hermetic environment, and no Scan ever reaching DynamoDB."""

from __future__ import annotations

import os

# Set before any souk module is imported: settings and table names are read at import.
os.environ.update(
    {
        "SOUK_STAGE": "test",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "TABLE_NAME": "souk-test-table",
        "JWT_SECRET": "test-jwt-secret-0123456789abcdef0123456789",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "SoukTest",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
for leak in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
    os.environ.pop(leak, None)

import botocore.client  # noqa: E402
import pytest  # noqa: E402


class ScanInRequestPath(AssertionError):
    """Raised when code under test calls DynamoDB Scan."""


@pytest.fixture(autouse=True)
def forbid_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Scan in any request path: every DynamoDB call made by a test goes through this."""
    original = botocore.client.BaseClient._make_api_call

    def guarded(self: botocore.client.BaseClient, operation_name: str, api_params: dict) -> dict:
        if operation_name == "Scan":
            raise ScanInRequestPath(f"Scan called with {api_params.get('TableName')}")
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", guarded)


# Fixed-window rate limits: a burst of hits crossing a window boundary would reset the count
# mid-test, so tests run at one instant inside a window (the start of an hour, plus 1 s).
STEADY_RATE_CLOCK = 1_800_000_001.0


@pytest.fixture(autouse=True)
def steady_rate_window(monkeypatch: pytest.MonkeyPatch) -> None:
    from souk.db import ratelimit

    monkeypatch.setattr(ratelimit, "clock", lambda: STEADY_RATE_CLOCK)


# Stripe: localstripe, a fake Stripe server the real SDK talks to.


@pytest.fixture(scope="session")
def localstripe_server():  # type: ignore[no-untyped-def]
    """One localstripe per test process (xdist worker), started from scratch."""
    from infra.local.localstripe import LocalStripe, installed

    if not installed():
        if os.environ.get("CI"):
            pytest.fail("CI must run the Stripe tests, but localstripe is not installed (make install)")
        pytest.skip("localstripe is not installed: run `make install`")
    server = LocalStripe().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def stripe_fake(localstripe_server, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The real stripe SDK pointed at localstripe, with the webhook secret tests sign with."""
    from infra.local.localstripe import environment
    from souk.settings import get_settings
    from tests.stripe_support import STRIPE_WEBHOOK_SECRET

    for key, value in environment(localstripe_server, STRIPE_WEBHOOK_SECRET).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield localstripe_server
    get_settings.cache_clear()


@pytest.fixture
def stripe_offline(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Our webhook secret, and Stripe on a closed port: paths that must not call Stripe fail fast if they do."""
    from souk.settings import get_settings
    from tests.stripe_support import STRIPE_WEBHOOK_SECRET

    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_unused")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET)
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:9")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
