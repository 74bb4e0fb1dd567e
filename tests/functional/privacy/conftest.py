"""Privacy tests: the template's PrivacyWorkerFunction and ExportsWorkerFunction behind their (moto) queues."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra import handlers, template
from infra.local.events import LambdaContext
from tests.functional.exports.conftest import Queue, Worker


def _worker(logical_id: str, timeout: int) -> Iterator[Worker]:
    function = next(f for f in template.functions() if f.logical_id == logical_id)
    handler = getattr(handlers.load(function), function.handler_name)
    yield lambda event: handler(event, LambdaContext(f"souk-test-{logical_id}", timeout_seconds=timeout))
    handlers.unload(function)


@pytest.fixture
def privacy_worker(aws_resources: dict[str, str]) -> Iterator[Worker]:
    yield from _worker("PrivacyWorkerFunction", 120)


@pytest.fixture
def exports_worker(aws_resources: dict[str, str]) -> Iterator[Worker]:
    yield from _worker("ExportsWorkerFunction", 150)


@pytest.fixture
def privacy_queue(aws_resources: dict[str, str]) -> Queue:
    return Queue(aws_resources["PrivacyQueue"])


@pytest.fixture
def exports_queue(aws_resources: dict[str, str]) -> Queue:
    return Queue(aws_resources["ExportsQueue"])
