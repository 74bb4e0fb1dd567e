"""Queue timing in template.yaml fits its consumers and the messages they carry."""

from __future__ import annotations

from typing import Any

import pytest

from infra import template
from souk.identity.store import codes
from souk.notify import email

# AWS: a queue feeding a Lambda function should hide a received message for at least six
# times the function's timeout, so a retried, throttled or slow batch is not redelivered
# while it still runs.
VISIBILITY_PER_TIMEOUT = 6


def _timeout(function: template.Function) -> int:
    globals_ = template.load().get("Globals", {}).get("Function", {})
    return int(function.properties.get("Timeout", globals_.get("Timeout", 3)))


def _sqs_event(function: template.Function, queue: str) -> dict[str, Any]:
    for event in (function.properties.get("Events") or {}).values():
        if event["Type"] == "SQS" and event["Properties"]["Queue"]["Fn::GetAtt"][0] == queue:
            return dict(event["Properties"])
    raise AssertionError(f"{function.logical_id} has no SQS event on {queue}")


def _worst_case_seconds_to_dead_letter(queue: str) -> int:
    """Receives allowed times (visibility + batching window): when SQS moves a failing message."""
    props = template.queues()[queue]
    consumer = next(c for c in template.queue_consumers() if c.queue == queue)
    window = int(_sqs_event(consumer.function, queue).get("MaximumBatchingWindowInSeconds", 0))
    return int(props["RedrivePolicy"]["maxReceiveCount"]) * (int(props["VisibilityTimeout"]) + window)


def test_some_queue_has_a_consumer() -> None:
    assert {c.queue for c in template.queue_consumers()} >= {"EmailQueue"}


@pytest.mark.parametrize("consumer", template.queue_consumers(), ids=lambda c: f"{c.queue}->{c.function.logical_id}")
def test_queue_visibility_is_six_times_its_consumers_timeout(consumer: template.QueueConsumer) -> None:
    props = template.queues()[consumer.queue]
    assert int(props["VisibilityTimeout"]) == VISIBILITY_PER_TIMEOUT * _timeout(consumer.function)
    # and a message that keeps failing ends in a dead-letter queue, not in an endless loop
    assert props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0] in template.queues()


def test_failed_verification_email_reaches_its_dead_letter_queue_well_before_the_code_expires() -> None:
    code_seconds = codes.CODE_MINUTES * 60
    to_dead_letter = _worst_case_seconds_to_dead_letter("EmailQueue")
    props = template.queues()["EmailQueue"]
    retry_every = int(props["VisibilityTimeout"])
    last_try = (int(props["RedrivePolicy"]["maxReceiveCount"]) - 1) * retry_every
    print(f"\nEmailQueue: a failing send is retried every {retry_every} s, last tried at {last_try} s, "
          f"in the dead-letter queue by {to_dead_letter} s; the code lives {code_seconds} s")  # fmt: skip
    assert to_dead_letter < code_seconds
    # The last try still mails a code with at least half of its life left.
    assert last_try <= code_seconds // 2


def test_email_worker_batch_fits_its_timeout_when_every_send_waits_out_sendgrid() -> None:
    consumer = next(c for c in template.queue_consumers() if c.queue == "EmailQueue")
    assert consumer.batch_size * email.TIMEOUT_SECONDS < _timeout(consumer.function)
