"""Exports tests: the template's ExportsWorkerFunction; the exports queue (moto) and orders to export come from
tests/exports_support.py (shared with the DynamoDB Local suite) and are re-exported here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.exports_support import Queue, put_orders, read_file
from tests.functional.conftest import Worker, template_worker

__all__ = ["Queue", "Worker", "put_orders", "read_file", "worker"]


@pytest.fixture
def worker(aws_resources: dict[str, str]) -> Iterator[Worker]:
    """The template's ExportsWorkerFunction, imported by path and purged afterwards."""
    yield from template_worker("ExportsWorkerFunction", 150)
