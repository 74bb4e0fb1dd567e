"""Exports tests: the exports queue (moto) and the template's ExportsWorkerFunction, and orders to export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local.events import sqs_event
from souk.db import expiry
from souk.db import keys as db_keys
from souk.db.base import utc_now
from souk.ids import new_id
from souk.orders import keys as orders_keys
from souk.orders.models import Order
from tests.functional.conftest import Worker, template_worker

__all__ = ["Queue", "Worker", "put_orders", "read_file", "worker"]


@pytest.fixture
def worker(aws_resources: dict[str, str]) -> Iterator[Worker]:
    """The template's ExportsWorkerFunction, imported by path and purged afterwards."""
    yield from template_worker("ExportsWorkerFunction", 150)


class Queue:
    """The exports queue as a test drives it: receive the messages, hand them to the worker, delete them."""

    def __init__(self, url: str) -> None:
        self.sqs = boto3.client("sqs", region_name="us-east-1")
        self.url = url
        self.arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def receive(self) -> list[dict[str, Any]]:
        return self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                        VisibilityTimeout=0).get("Messages", [])  # fmt: skip

    def deliver(self, worker: Worker, messages: list[dict[str, Any]]) -> dict[str, Any]:
        result = worker(sqs_event(self.arn, messages))
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return result

    def drain(self, worker: Worker) -> int:
        """Deliver until the queue is empty (re-queued steps included); the number of deliveries."""
        count = 0
        while messages := self.receive():
            self.deliver(worker, messages)
            count += 1
            assert count < 100
        return count


def put_orders(count: int, *, owner_id: str, store_id: str, customer_id: str = "c-1") -> list[str]:
    """``count`` paid orders of one store on the three order timelines, in batches; their ids."""
    now = utc_now()
    ids = []
    with Order.batch_write() as batch:
        for n in range(count):
            order_id = new_id()
            sort = db_keys.timeline_sort(expiry.stamp(now), order_id)
            batch.save(Order(pk=orders_keys.order(order_id), sk=orders_keys.order(order_id), order_id=order_id,
                             checkout_id=new_id(), customer_id=customer_id, store_id=store_id,
                             store_owner_id=owner_id, status="paid", lines=[], currency="usd", subtotal=1000 + n,
                             total=1000 + n, payment_method="card", payment_id=new_id(), paid_amount=1000 + n,
                             history=[], gsi1pk=orders_keys.customer_orders(customer_id), gsi1sk=sort,
                             gsi2pk=orders_keys.seller_orders(owner_id), gsi2sk=sort,
                             gsi3pk=orders_keys.ORDERS_ALL, gsi3sk=sort, created_at=now,
                             updated_at=now))  # fmt: skip
            ids.append(order_id)
    return ids


def read_file(bucket: str, key: str) -> bytes:
    return boto3.client("s3", region_name="us-east-1").get_object(Bucket=bucket, Key=key)["Body"].read()
