"""Route tests: real handlers behind the template's routing, AWS faked in-process by moto."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto import mock_aws

from infra import handlers, template
from infra.local import aws
from infra.local.events import LambdaContext
from infra.local.routing import Router
from tests.support import ApiClient, assert_every_store_reconciles


@pytest.fixture
def aws_resources(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """Every table, bucket and queue of the template, created in moto, with a zero-fee delivery zone
    serving everywhere (so checkouts have a zone) unless the test is marked ``no_default_zone``.

    When the test is over, every store's balance must be the sum of its ledger entries.
    """
    with mock_aws():
        refs = aws.create_resources(prefix="souk-test")
        env = aws.function_environment(refs, {"SOUK_STAGE": "test"})
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        from souk.settings import get_settings

        get_settings.cache_clear()
        try:
            if request.node.get_closest_marker("no_default_zone") is None:
                from tests.commerce_factories import deliver_everywhere

                deliver_everywhere()
            yield refs
            assert_every_store_reconciles(refs["Table"])
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


@pytest.fixture
def layer_logs() -> Iterator[list[logging.LogRecord]]:
    """Every record (INFO and up) the layer's logger emits while the test runs, tracebacks included."""
    from souk.observability import logger

    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler, level = Collect(level=logging.INFO), logger.log_level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def tracebacks(records: list[logging.LogRecord]) -> list[str]:
    """The messages of records that carry a traceback (an unhandled error reached the log)."""
    return [record.getMessage() for record in records if record.exc_info]


Worker = Callable[[dict[str, Any]], dict[str, Any]]


def template_worker(logical_id: str, timeout_seconds: int) -> Iterator[Worker]:
    """The template's function ``logical_id`` (a queue worker), imported by path, called with an event and a
    context of ``timeout_seconds``, purged afterwards: a worker fixture is ``yield from template_worker(...)``."""
    function = next(f for f in template.functions() if f.logical_id == logical_id)
    handler = getattr(handlers.load(function), function.handler_name)
    yield lambda event: handler(event, LambdaContext(f"souk-test-{logical_id}", timeout_seconds=timeout_seconds))
    handlers.unload(function)
