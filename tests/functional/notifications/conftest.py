"""Notifications route tests: helpers to notify, to drive the notifications queue's worker, to read the queues."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra import handlers, template
from infra.local.events import LambdaContext
from tests.support import SqsQueue, Worker


@pytest.fixture
def worker(aws_resources: dict[str, str]) -> Iterator[Worker]:
    """The template's NotificationsWorkerFunction, imported by path and purged afterwards."""
    function = next(f for f in template.functions() if f.logical_id == "NotificationsWorkerFunction")
    handler = getattr(handlers.load(function), function.handler_name)
    yield lambda event: handler(event, LambdaContext("souk-test-notifications-worker", timeout_seconds=30))
    handlers.unload(function)


Queue = SqsQueue  # the notifications queue
