"""The issue's test: an export of 5,000 rows that crashes halfway and resumes has every row exactly once.

Here on moto (in-process: table, bucket and queue); the same scenario (tests/exports_support.py,
``crash_after_an_uploaded_part_and_resume``) runs with the table on DynamoDB Local and S3 and SQS on a moto
server in tests/integration/exports/test_resume.py.

Parts are made small here (64 KiB, and moto's minimum part size lowered to match) so 5,000 rows
make several parts; the rules are the same as with S3's 5 MiB.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from souk.exports.models import ExportJob
from souk.exports.store import exports as store
from tests.exports_support import (
    Crash,
    build,
    crash_after_an_uploaded_part_and_resume,
    file_ids,
    lower_part_minimum,
    put_orders,
    queued,
)
from tests.support import ApiClient


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    lower_part_minimum(monkeypatch)


@pytest.mark.parametrize(("file_format", "count", "crash_at"), [("csv", 5000, 4), ("json", 1000, 2)])
def test_5000_rows_crashing_after_an_uploaded_part_resume_with_every_row_once(
    api: ApiClient, aws_resources: dict[str, str], small_parts: None, monkeypatch: pytest.MonkeyPatch,
    file_format: str, count: int, crash_at: int,
) -> None:  # fmt: skip
    crash_after_an_uploaded_part_and_resume(api, aws_resources, monkeypatch, file_format=file_format, count=count,
                                            crash_at=crash_at)  # fmt: skip


@pytest.mark.parametrize("crash_at", [1, 2])  # after the first part; after the last (800 rows: 2 parts)
def test_a_crash_after_the_part_is_recorded_resumes_after_it(
    api: ApiClient, aws_resources: dict[str, str], small_parts: None, monkeypatch: pytest.MonkeyPatch, crash_at: int
) -> None:
    ids = put_orders(800, owner_id="owner-1", store_id="s-1")
    export_id, _ = queued(api, aws_resources, {"type": "orders", "format": "csv"})
    real_save = store.save_part
    saves: list[int] = []

    def crashing_save(job: ExportJob, *args: Any, **kwargs: Any) -> None:
        real_save(job, *args, **kwargs)
        saves.append(len(job.parts))
        if len(saves) == crash_at:
            raise Crash("the worker dies right after recording the part")

    monkeypatch.setattr(store, "save_part", crashing_save)
    with pytest.raises(Crash):
        build(export_id)
    assert build(export_id) == "completed"
    job = store.load(export_id, consistent=True)
    assert job is not None and [p["PartNumber"] for p in job.parts] == [1, 2] and saves == [1, 2]
    rows = file_ids(aws_resources, job)
    assert len(rows) == 800 and sorted(rows) == sorted(ids)


def test_a_big_export_spans_invocations_by_requeueing_itself(
    api: ApiClient, aws_resources: dict[str, str], small_parts: None
) -> None:
    ids = put_orders(800, owner_id="owner-1", store_id="s-1")
    export_id, queue = queued(api, aws_resources, {"type": "orders", "format": "json"})
    steps = []
    while True:
        outcome = build(export_id, stop_after=3)  # the time budget runs out after 3 data pages
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
    rows = file_ids(aws_resources, job)
    assert len(rows) == 800 and sorted(rows) == sorted(ids)
