"""The issue's test: an export of 5,000 rows that crashes halfway and resumes has every row exactly once.

Functional (moto), not on DynamoDB Local: the worker writes S3, which the integration suite does not fake.

Parts are made small here (64 KiB, and moto's minimum part size lowered to match) so 5,000 rows
make several parts; the rules are the same as with S3's 5 MiB.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from souk.exports.models import ExportJob
from souk.exports.schemas import ExportMessage
from souk.exports.service import builder
from souk.exports.store import exports as store
from souk.exports.store import files
from tests.factories import create_user, token_for
from tests.functional.exports.conftest import Queue, put_orders, read_file
from tests.support import ApiClient

PART = 64 * 1024


class Crash(Exception):
    pass


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import moto.s3.models

    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", PART)
    yield


def _queued(api: ApiClient, aws: dict[str, str], body: dict[str, Any]) -> tuple[str, Queue]:
    response = api.post("/api/v1/exports", json_body=body, token=token_for(create_user("admin")))
    assert response.status == 202, response.body
    queue = Queue(aws["ExportsQueue"])
    [message] = queue.receive()
    queue.sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
    return response.json["data"]["id"], queue


def _build(export_id: str, stop_after: int | None = None) -> str:
    calls = {"n": 0}

    def should_stop() -> bool:
        calls["n"] += 1
        return stop_after is not None and calls["n"] >= stop_after

    return builder.build(ExportMessage(export_id=export_id), should_stop, part_size=PART)


def _rows(aws: dict[str, str], job: ExportJob) -> list[str]:
    data = read_file(aws["ExportsBucket"], job.object_key).decode()
    if job.format == "csv":
        return [r["id"] for r in csv.DictReader(io.StringIO(data))]
    return [json.loads(line)["id"] for line in data.splitlines()]


@pytest.mark.parametrize(("file_format", "count", "crash_at"), [("csv", 5000, 4), ("json", 1000, 2)])
def test_5000_rows_crashing_after_an_uploaded_part_resume_with_every_row_once(
    api: ApiClient, aws_resources: dict[str, str], small_parts: None, monkeypatch: pytest.MonkeyPatch,
    file_format: str, count: int, crash_at: int,
) -> None:  # fmt: skip
    ids = put_orders(count, owner_id="owner-1", store_id="s-1")
    export_id, _ = _queued(api, aws_resources, {"type": "orders", "format": file_format})
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
        _build(export_id)
    halfway = store.load(export_id, consistent=True)
    assert halfway is not None and halfway.status == "running" and len(halfway.parts) == crash_at - 1
    assert 0 < int(halfway.row_count) < count and 0 < int(halfway.progress) < 100 and halfway.cursor

    # the message comes back: the worker goes on from the saved cursor, uploading that part again
    assert _build(export_id) == "completed"
    assert uploads[crash_at - 1 : crash_at + 1] == [crash_at, crash_at]
    job = store.load(export_id, consistent=True)
    assert job is not None and (job.status, int(job.row_count), int(job.progress)) == ("completed", count, 100)
    assert len(job.parts) > crash_at
    rows = _rows(aws_resources, job)
    assert len(rows) == count and sorted(rows) == sorted(ids)
    # and a late duplicate of the message changes nothing
    assert _build(export_id) == "finished"


@pytest.mark.parametrize("crash_at", [1, 2])  # after the first part; after the last (800 rows: 2 parts)
def test_a_crash_after_the_part_is_recorded_resumes_after_it(
    api: ApiClient, aws_resources: dict[str, str], small_parts: None, monkeypatch: pytest.MonkeyPatch, crash_at: int
) -> None:
    ids = put_orders(800, owner_id="owner-1", store_id="s-1")
    export_id, _ = _queued(api, aws_resources, {"type": "orders", "format": "csv"})
    real_save = store.save_part
    saves: list[int] = []

    def crashing_save(job: ExportJob, *args: Any, **kwargs: Any) -> None:
        real_save(job, *args, **kwargs)
        saves.append(len(job.parts))
        if len(saves) == crash_at:
            raise Crash("the worker dies right after recording the part")

    monkeypatch.setattr(store, "save_part", crashing_save)
    with pytest.raises(Crash):
        _build(export_id)
    assert _build(export_id) == "completed"
    job = store.load(export_id, consistent=True)
    assert job is not None and [p["PartNumber"] for p in job.parts] == [1, 2] and saves == [1, 2]
    rows = _rows(aws_resources, job)
    assert len(rows) == 800 and sorted(rows) == sorted(ids)


def test_a_big_export_spans_invocations_by_requeueing_itself(
    api: ApiClient, aws_resources: dict[str, str], small_parts: None
) -> None:
    ids = put_orders(800, owner_id="owner-1", store_id="s-1")
    export_id, queue = _queued(api, aws_resources, {"type": "orders", "format": "json"})
    steps = []
    while True:
        outcome = _build(export_id, stop_after=3)  # the time budget runs out after 3 data pages
        steps.append(outcome)
        if outcome == "completed":
            break
        [message] = queue.receive()  # it re-queued itself with the job id
        assert json.loads(message["Body"]) == {"exportId": export_id}
        queue.sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
        job = store.load(export_id, consistent=True)
        assert job is not None and job.status == "running" and 0 < int(job.progress) < 100
        assert len(steps) < 20
    assert len(steps) > 1 and steps[:-1] == ["requeued"] * (len(steps) - 1)
    assert queue.receive() == []
    job = store.load(export_id, consistent=True)
    assert job is not None
    rows = _rows(aws_resources, job)
    assert len(rows) == 800 and sorted(rows) == sorted(ids)
