"""Route tests: real handlers behind the template's routing, AWS faked in-process by moto."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from moto import mock_aws

from infra.local import aws
from infra.local.routing import Router
from tests.support import ApiClient


@pytest.fixture
def aws_resources() -> Iterator[dict[str, str]]:
    """Every table, bucket and queue of the template, created in moto."""
    with mock_aws():
        refs = aws.create_resources(prefix="souk-test")
        env = aws.function_environment(refs, {"SOUK_STAGE": "test"})
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        from souk.settings import get_settings

        get_settings.cache_clear()
        try:
            yield refs
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            get_settings.cache_clear()


@pytest.fixture
def api(aws_resources: dict[str, str]) -> ApiClient:
    return ApiClient(Router())
