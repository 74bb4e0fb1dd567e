"""Helpers shared by the suites: an HTTP-like client over the template's routes, tokens."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import botocore.client
import pytest

from infra.local.routing import HttpResponse, Router


class ApiClient:
    """Calls routes through the same routing and events as the local runner."""

    def __init__(self, router: Router) -> None:
        self.router = router

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> HttpResponse:
        path, _, query = path.partition("?")
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.router.handle(method, path, query=query, headers=headers, body=body)
        assert_documented(self.router, method, path, response.status)
        return response

    def get(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("DELETE", path, **kwargs)


@functools.cache
def _documented_statuses() -> dict[tuple[str, str], set[str]]:
    """(METHOD, path) -> the statuses the committed OpenAPI document lists for that operation."""
    from souk.system.service.docs import openapi_document

    paths = json.loads(openapi_document())["paths"]
    return {(method.upper(), path): set(operation["responses"])
            for path, item in paths.items() for method, operation in item.items()}  # fmt: skip


def assert_documented(router: Router, method: str, path: str, status: int) -> None:
    """Every answer a route test sees must be one its OpenAPI operation documents."""
    matched = router.match(method, path)
    if matched is None:
        return  # API Gateway's own 404
    route = matched[0].path
    documented = _documented_statuses().get((method.upper(), route))
    if documented is not None:  # None: the Swagger page, kept out of the document
        assert str(status) in documented, (
            f"{method.upper()} {route} answered {status}, which /api/openapi.json does not document "
            f"({', '.join(sorted(documented))}): name the error in the route's raises(...) and run `make openapi`"
        )


def assert_error(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    """The response is the contract's error envelope with this status and code."""
    assert response.status == status, (response.status, response.body[:500])
    payload = response.json
    assert payload["success"] is False
    assert payload["error"]["code"] == code, payload
    assert payload["meta"]["requestId"] == response.headers["X-Request-Id"]
    return payload


def record_dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every DynamoDB operation sent from now on, in order (to check a route's calls stay constant)."""
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def counting(self: botocore.client.BaseClient, operation_name: str, api_params: dict) -> dict:
        if self.meta.service_model.service_name == "dynamodb":
            calls.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    return calls


# Captured at import, before the autouse ``forbid_scan`` fixture patches it: the suite's own
# bookkeeping below may Scan a test table; the code under test never may.
_UNGUARDED_CALL = botocore.client.BaseClient._make_api_call


def assert_every_store_reconciles(table_name: str) -> None:
    """Every store's stored balance is the sum of its ledger entries (run when a test's table goes).

    The stores are found the way ``make reconcile`` finds them (a Scan: test bookkeeping
    only), then each is reconciled the way the finance service does it.
    """
    from infra.reconcile import stores_with_a_balance
    from souk.finance.service.balance import reconcile

    checks = map(reconcile, stores_with_a_balance(table_name, _UNGUARDED_CALL))
    unbalanced = [(c.store_id, c.stored, c.recomputed) for c in checks if not c.matches]
    assert not unbalanced, f"stored balances that are not the sum of their entries: {unbalanced}"


Worker = Callable[[dict[str, Any]], dict[str, Any]]


class SqsQueue:
    """A worker's queue as a test drives it: receive the messages, hand them to the worker as Lambda's SQS
    event, delete those it did not report as failed (what Lambda's event source mapping does)."""

    def __init__(self, url: str) -> None:
        import boto3

        self.sqs = boto3.client("sqs", region_name="us-east-1")
        self.url = url
        self.arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def receive(self) -> list[dict[str, Any]]:
        return self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                        VisibilityTimeout=0).get("Messages", [])  # fmt: skip

    def deliver(self, worker: Worker, messages: list[dict[str, Any]], *, delete: bool = True) -> dict[str, Any]:
        from infra.local.events import sqs_event

        result = worker(sqs_event(self.arn, messages))
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        if delete:
            for message in messages:
                if message["MessageId"] not in failed:
                    self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return result

    def drain(self, worker: Worker) -> int:
        """Deliver until the queue is empty (re-queued messages included); the number of deliveries."""
        count = 0
        while messages := self.receive():
            self.deliver(worker, messages)
            count += 1
            assert count < 100
        return count
