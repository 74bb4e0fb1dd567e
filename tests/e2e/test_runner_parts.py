"""The runner's queue poller, scheduler and fake SendGrid, driven with test-only consumers.

The template may have no consumer or schedule that fails on purpose, so these tests point
the runner's own QueueWorker and Scheduler at small functions defined here, on moto.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.outbox import SendGridRequestError, sendgrid_messages
from infra.local.schedules import (
    CronTimer,
    RateTimer,
    ScheduledJob,
    Scheduler,
    UnsupportedScheduleError,
    parse_expression,
)
from infra.local.workers import QueueWorker

pytestmark = pytest.mark.e2e

MAX_RECEIVE_COUNT = 2


@pytest.fixture
def queues() -> Iterator[tuple[Any, str, str]]:
    """(sqs client, queue URL, DLQ URL): visibility 0 so a failed message is visible again at once."""
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq = sqs.create_queue(QueueName="e2e-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)})
        url = sqs.create_queue(QueueName="e2e", Attributes={"VisibilityTimeout": "0", "RedrivePolicy": redrive})
        yield sqs, url["QueueUrl"], dlq


def bodies(sqs: Any, url: str) -> list[str]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return sorted(m["Body"] for m in messages)


def worker(sqs: Any, url: str, handler: Any, *, report_failures: bool = True) -> QueueWorker:
    return QueueWorker("TestConsumer", url, handler, threading.Event(), sqs=sqs, report_failures=report_failures,
                       wait_seconds=0)  # fmt: skip


def fail_bodies_named_bad(event: dict[str, Any]) -> dict[str, Any]:
    """A consumer in the shape BatchProcessor returns: only the failed records are listed."""
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"]}


def test_processed_records_are_deleted_and_reported_failures_stay(queues: tuple[Any, str, str]) -> None:
    # GIVEN
    sqs, url, _ = queues
    for body in ("good", "bad", "also-good"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    seen: list[dict[str, Any]] = []

    def record_and_fail_bad(event: dict[str, Any]) -> dict[str, Any]:
        seen.append(event)
        return fail_bodies_named_bad(event)

    poller = worker(sqs, url, record_and_fail_bad)
    # WHEN
    assert poller.poll_once() == 3
    # THEN the handler got a Lambda SQS event
    record = seen[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(":e2e")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    # and only the reported failure is left
    assert bodies(sqs, url) == ["bad"]
    assert (poller.stats.deleted, poller.stats.failed) == (2, 1)


def test_a_handler_that_raises_leaves_the_whole_batch(queues: tuple[Any, str, str]) -> None:
    sqs, url, _ = queues
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message(QueueUrl=url, MessageBody="two")

    def crash(event: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    worker(sqs, url, crash).poll_once()
    assert bodies(sqs, url) == ["one", "two"]


def test_an_unknown_failure_id_fails_the_whole_batch_like_lambda(queues: tuple[Any, str, str]) -> None:
    sqs, url, _ = queues
    sqs.send_message(QueueUrl=url, MessageBody="one")
    worker(sqs, url, lambda event: {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}).poll_once()
    assert bodies(sqs, url) == ["one"]


def test_without_report_batch_item_failures_the_response_is_ignored(queues: tuple[Any, str, str]) -> None:
    sqs, url, _ = queues
    sqs.send_message(QueueUrl=url, MessageBody="bad")
    worker(sqs, url, fail_bodies_named_bad, report_failures=False).poll_once()
    assert bodies(sqs, url) == []


def test_a_message_that_keeps_failing_reaches_the_dead_letter_queue(queues: tuple[Any, str, str]) -> None:
    # GIVEN a poison message and a consumer that always fails it
    sqs, url, dlq = queues
    sqs.send_message(QueueUrl=url, MessageBody="bad")
    poller = worker(sqs, url, fail_bodies_named_bad)
    # WHEN the poller receives it maxReceiveCount times, then polls once more
    received = [poller.poll_once() for _ in range(MAX_RECEIVE_COUNT + 1)]
    # THEN moto's redrive moved it on the receive after the last allowed one
    assert received == [1] * MAX_RECEIVE_COUNT + [0]
    assert bodies(sqs, url) == []
    assert bodies(sqs, dlq) == ["bad"]


def test_the_worker_thread_polls_until_stopped(queues: tuple[Any, str, str]) -> None:
    # GIVEN a running worker
    sqs, url, _ = queues
    handled = threading.Event()
    stop = threading.Event()
    poller = QueueWorker("TestConsumer", url, lambda event: handled.set(), stop, sqs=sqs, wait_seconds=1)
    poller.start()
    # WHEN a message arrives
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    # THEN it is handled, and the thread ends soon after the stop event
    assert handled.wait(10)
    stop.set()
    poller.join(timeout=5)
    assert not poller.is_alive()
    assert poller.stats.deleted == 1


# ---------------------------------------------------------------------------- schedules


def test_rate_expressions_become_intervals() -> None:
    assert parse_expression("rate(1 hour)") == RateTimer(3600)
    assert parse_expression("rate(5 minutes)") == RateTimer(300)
    assert parse_expression("rate(1 day)") == RateTimer(86400)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0 3 * * ? *)", datetime(2026, 1, 1, 3, 0, tzinfo=UTC), datetime(2026, 1, 2, 3, 0, tzinfo=UTC)),
        ("cron(*/15 * * * ? *)", datetime(2026, 1, 1, 10, 7, tzinfo=UTC), datetime(2026, 1, 1, 10, 15, tzinfo=UTC)),
        # 2026-01-02 is a Friday; MON (2) next is the 5th
        ("cron(30 9 ? * MON *)", datetime(2026, 1, 2, 12, 0, tzinfo=UTC), datetime(2026, 1, 5, 9, 30, tzinfo=UTC)),
        ("cron(0 0 1 JAN,JUL ? *)", datetime(2026, 2, 1, 0, 0, tzinfo=UTC), datetime(2026, 7, 1, 0, 0, tzinfo=UTC)),
        ("cron(0 12 ? * 2-6 *)", datetime(2026, 1, 3, 13, 0, tzinfo=UTC), datetime(2026, 1, 5, 12, 0, tzinfo=UTC)),
    ],
)
def test_cron_fires_at_the_next_matching_minute(expression: str, after: datetime, expected: datetime) -> None:
    timer = parse_expression(expression)
    assert isinstance(timer, CronTimer)
    assert timer.next_after(after) == expected


@pytest.mark.parametrize("expression", ["cron(0 3 L * ? *)", "cron(0 3 * *)", "every hour", "rate(0 minutes)"])
def test_unsupported_expressions_are_refused(expression: str) -> None:
    with pytest.raises(UnsupportedScheduleError):
        parse_expression(expression)


def test_a_job_with_an_unsupported_expression_still_fires_on_demand() -> None:
    events: list[dict[str, Any]] = []
    job = ScheduledJob("Fn.Weird", "cron(0 3 L * ? *)", "Fn", events.append)
    scheduler = Scheduler([job], threading.Event())
    assert job.timer is None and job.problem
    outcome = scheduler.fire("Fn.Weird")
    assert outcome is not None and outcome["ok"] is True and outcome["trigger"] == "manual"
    assert events[0]["detail-type"] == "Scheduled Event"
    assert events[0]["resources"] == ["arn:aws:events:us-east-1:000000000000:rule/Fn.Weird"]
    assert scheduler.fire("nope") is None


def test_a_failing_job_reports_its_error_instead_of_raising() -> None:
    def broken(event: dict[str, Any]) -> None:
        raise ValueError("no table")

    outcome = ScheduledJob("Fn.Cleanup", "rate(1 hour)", "Fn", broken).fire("manual")
    assert outcome["ok"] is False and outcome["error"] == "ValueError: no table"


def test_the_scheduler_fires_a_job_when_it_is_due() -> None:
    # GIVEN a clock that is past the job's first due time
    now = [datetime(2026, 1, 1, 0, 0, tzinfo=UTC)]
    fired = threading.Event()
    job = ScheduledJob("Fn.Hourly", "rate(1 hour)", "Fn", lambda event: fired.set())
    stop = threading.Event()
    scheduler = Scheduler([job], stop, clock=lambda: now[0])
    assert job.next_at == datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    now[0] = datetime(2026, 1, 1, 1, 0, 1, tzinfo=UTC)
    # WHEN
    scheduler.start()
    try:
        assert fired.wait(5)
    finally:
        stop.set()
        scheduler.join(timeout=5)
    # THEN it ran once and is due again an hour later
    assert job.runs == 1 and job.last is not None and job.last["trigger"] == "schedule"
    assert job.next_at == datetime(2026, 1, 1, 2, 0, 1, tzinfo=UTC)
    assert not scheduler.is_alive()


# ---------------------------------------------------------------------------- fake SendGrid


def test_sendgrid_body_gives_one_entry_per_recipient_with_template_data() -> None:
    payload = {
        "from": {"email": "no-reply@souk.example", "name": "Souk"},
        "template_id": "d-123",
        "personalizations": [
            {"to": [{"email": "a@example.com"}], "cc": [{"email": "c@example.com"}],
             "dynamic_template_data": {"code": "42"}},
            {"to": [{"email": "b@example.com", "name": "B"}], "subject": "Hi B"},
        ],
    }  # fmt: skip
    entries = sendgrid_messages(payload)
    assert [(e["to"], e["recipientType"]) for e in entries] == [("a@example.com", "to"), ("c@example.com", "cc"),
                                                                ("b@example.com", "to")]  # fmt: skip
    assert entries[0]["data"] == {"code": "42"} and entries[0]["templateId"] == "d-123"
    assert entries[2]["subject"] == "Hi B" and entries[2]["toName"] == "B"
    assert all(e["from"] == "no-reply@souk.example" and e["channel"] == "email" for e in entries)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"personalizations": [], "from": {"email": "a@b.c"}}, "personalizations"),
        ({"personalizations": [{"to": [{"email": "x"}]}], "from": {"email": "a@b.c"}, "subject": "s"},
         "personalizations.0.to"),
        ({"personalizations": [{"to": [{"email": "x@y.z"}]}], "from": {"email": "a@b.c"}}, "content"),
    ],
)  # fmt: skip
def test_sendgrid_body_errors_name_the_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(SendGridRequestError) as caught:
        sendgrid_messages(payload)
    assert caught.value.field == field


def test_worker_stop_is_prompt_even_while_long_polling(queues: tuple[Any, str, str]) -> None:
    sqs, url, _ = queues
    stop = threading.Event()
    poller = QueueWorker("TestConsumer", url, lambda event: None, stop, sqs=sqs, wait_seconds=1)
    poller.start()
    time.sleep(0.2)
    started = time.monotonic()
    stop.set()
    poller.join(timeout=5)
    assert not poller.is_alive() and time.monotonic() - started < 2.5
