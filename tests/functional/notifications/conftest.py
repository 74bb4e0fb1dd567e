"""Notifications route tests: helpers to notify, to drive the notifications queue's worker, to read the queues."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from infra import handlers, template
from infra.local.events import LambdaContext, sqs_event

Worker = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture
def worker(aws_resources: dict[str, str]) -> Iterator[Worker]:
    """The template's NotificationsWorkerFunction, imported by path and purged afterwards."""
    function = next(f for f in template.functions() if f.logical_id == "NotificationsWorkerFunction")
    handler = getattr(handlers.load(function), function.handler_name)
    yield lambda event: handler(event, LambdaContext("souk-test-notifications-worker", timeout_seconds=30))
    handlers.unload(function)


class Queue:
    """The notifications queue as a test drives it: receive a page message, hand it to the worker, delete it."""

    def __init__(self, url: str) -> None:
        self.sqs = boto3.client("sqs", region_name="us-east-1")
        self.url = url
        self.arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def receive(self) -> list[dict[str, Any]]:
        return self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                        VisibilityTimeout=0).get("Messages", [])  # fmt: skip

    def deliver(self, worker: Worker, messages: list[dict[str, Any]], *, delete: bool = True) -> dict[str, Any]:
        result = worker(sqs_event(self.arn, messages))
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        if delete:
            for message in messages:
                if message["MessageId"] not in failed:
                    self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return result
