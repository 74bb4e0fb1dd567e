"""Exports test helpers shared by the functional (moto) and integration (DynamoDB Local) suites: orders to
export, the exports queue as a test drives it, the file read back, and the issue's crash-and-resume scenario.

Every client here is the default boto3 one, so it reaches whatever the test configured: moto's in-process
mock, or a moto server named by ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL_SQS``; orders go to whichever
table the models are configured for.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from souk.db import expiry
from souk.db import keys as db_keys
from souk.db.base import utc_now
from souk.exports.schemas import ExportMessage
from souk.exports.service import builder
from souk.exports.store import exports as store
from souk.exports.store import files
from souk.ids import new_id
from souk.orders import keys as orders_keys
from souk.orders.models import Order
from tests.factories import create_user, token_for
from tests.support import SqsQueue

if TYPE_CHECKING:
    from souk.exports.models import ExportJob
    from tests.support import ApiClient

# Small parts (moto's minimum lowered to match: lower_part_minimum) so a few thousand rows make several.
PART = 64 * 1024


class Crash(Exception):
    pass


def lower_part_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's minimum part size lowered to :data:`PART` (its server runs in this process: the same module)."""
    import moto.s3.models

    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", PART)


Queue = SqsQueue  # the exports queue


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


def queued(api: ApiClient, aws: dict[str, str], body: dict[str, Any]) -> tuple[str, Queue]:
    """An admin's export, POSTed; its message taken off the queue (the test runs the worker's step itself)."""
    response = api.post("/api/v1/exports", json_body=body, token=token_for(create_user("admin")))
    assert response.status == 202, response.body
    queue = Queue(aws["ExportsQueue"])
    [message] = queue.receive()
    assert json.loads(message["Body"]) == {"exportId": response.json["data"]["id"]}
    queue.sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
    return response.json["data"]["id"], queue


def build(export_id: str, stop_after: int | None = None) -> str:
    """One worker step in :data:`PART` parts; the time budget runs out after ``stop_after`` data pages."""
    calls = {"n": 0}

    def should_stop() -> bool:
        calls["n"] += 1
        return stop_after is not None and calls["n"] >= stop_after

    return builder.build(ExportMessage(export_id=export_id), should_stop, part_size=PART)


def file_ids(aws: dict[str, str], job: ExportJob) -> list[str]:
    """The id of every row in the job's file, in file order."""
    data = read_file(aws["ExportsBucket"], job.object_key).decode()
    if job.format == "csv":
        return [r["id"] for r in csv.DictReader(io.StringIO(data))]
    return [json.loads(line)["id"] for line in data.splitlines()]


def crash_after_an_uploaded_part_and_resume(api: ApiClient, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch, *,
                                            file_format: str, count: int, crash_at: int) -> str:  # fmt: skip
    """The issue's test: ``count`` orders exported; the worker dies after its ``crash_at``-th part reached S3 but
    before the job recorded it; the message comes back: the job completes with every row exactly once, and a
    late duplicate of the message changes nothing. Needs :func:`lower_part_minimum`. The export's id."""
    ids = put_orders(count, owner_id="owner-1", store_id="s-1")
    export_id, _ = queued(api, aws, {"type": "orders", "format": file_format})
    real_upload = files.upload_part
    uploads: list[int] = []

    def crashing_upload(key: str, upload_id: str, number: int, data: bytes) -> dict[str, Any]:
        part = real_upload(key, upload_id, number, data)  # the part reaches S3...
        uploads.append(number)
        if len(uploads) == crash_at:
            raise Crash("the worker dies before the job records the part")  # ...but the job never hears of it
        return part

    monkeypatch.setattr(files, "upload_part", crashing_upload)
    with pytest.raises(Crash):
        build(export_id)
    halfway = store.load(export_id, consistent=True)
    assert halfway is not None and halfway.status == "running" and len(halfway.parts) == crash_at - 1
    assert 0 < int(halfway.row_count) < count and 0 < int(halfway.progress) < 100 and halfway.cursor

    # the message comes back: the worker goes on from the saved cursor, uploading that part again
    assert build(export_id) == "completed"
    assert uploads[crash_at - 1 : crash_at + 1] == [crash_at, crash_at]
    job = store.load(export_id, consistent=True)
    assert job is not None and (job.status, int(job.row_count), int(job.progress)) == ("completed", count, 100)
    assert len(job.parts) > crash_at
    rows = file_ids(aws, job)
    assert len(rows) == count and sorted(rows) == sorted(ids)
    # and a late duplicate of the message changes nothing
    assert build(export_id) == "finished"
    return export_id
