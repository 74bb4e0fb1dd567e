"""Count the DynamoDB API calls, by operation, made while serving one request.

DynamoDB bills per request and per item read, so "how many calls, how many items" is
the cost of a route. Wrapping ``BaseClient._make_api_call`` at class level sees every
client, whoever built it (boto3 clients in ``souk.system.store``, PynamoDB's own
botocore client), and sees each logical call once, retries excluded.

Usage::

    with count_calls() as calls:
        router.handle("GET", "/api/v1/products")
    calls.total, calls.by_operation, calls.items_read
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient

READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "ExecuteStatement"})


def items_read(operation: str, response: Mapping[str, Any]) -> int:
    """How many items DynamoDB had to read to answer one call.

    For Query and Scan that is ``ScannedCount`` (items read before the filter), which is
    what grows when a route filters a whole partition instead of querying a key.
    """
    if operation in ("Query", "Scan"):
        return int(response.get("ScannedCount", response.get("Count", 0)))
    if operation == "GetItem":
        return 1 if response.get("Item") else 0
    if operation == "BatchGetItem":
        return sum(len(items) for items in (response.get("Responses") or {}).values())
    if operation == "TransactGetItems":
        return sum(1 for r in response.get("Responses") or [] if r.get("Item"))
    if operation == "ExecuteStatement":
        return len(response.get("Items") or [])
    return 0


@dataclass
class CallLog:
    """The calls one block of code made to one AWS service."""

    service: str = "dynamodb"
    by_operation: Counter[str] = field(default_factory=Counter)
    items_read: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def total(self) -> int:
        return sum(self.by_operation.values())

    @property
    def scans(self) -> int:
        return self.by_operation["Scan"]

    def record(self, operation: str, response: Mapping[str, Any] | None) -> None:
        # Handlers may fan out on threads (health checks do): count under a lock.
        with self._lock:
            self.by_operation[operation] += 1
            if response is not None and operation in READ_OPERATIONS:
                self.items_read += items_read(operation, response)

    def describe(self) -> str:
        """``1 GetItem, 2 Query``: compact enough for a table cell."""
        if not self.by_operation:
            return "none"
        return ", ".join(f"{n} {op}" for op, n in sorted(self.by_operation.items()))


@contextmanager
def count_calls(service: str = "dynamodb") -> Iterator[CallLog]:
    """Count every call to ``service`` made by any botocore client inside the block.

    Calls that raise (a failed condition, a missing table) are counted too: they are
    billed and they are round trips. Not reentrant across threads started outside.
    """
    log = CallLog(service=service)
    original = BaseClient._make_api_call

    def counting(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name != service:
            return original(client, operation_name, api_params)
        try:
            response = original(client, operation_name, api_params)
        except Exception:
            log.record(operation_name, None)
            raise
        log.record(operation_name, response)
        return response

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield log
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
