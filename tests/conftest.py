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
