"""SQS event source mappings run locally: long-poll a queue, hand each batch to its consumer.

Behaves like Lambda's poller so failures play out as in AWS: records the handler lists
in ``batchItemFailures`` stay on the queue, a handler that raises leaves the whole batch,
and the visibility timeout plus the queue's redrive policy move a message that keeps
failing to its dead-letter queue (moto applies ``maxReceiveCount`` on receive).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra.local.events import sqs_event

logger = logging.getLogger(__name__)

# SQS hands out at most 10 messages per ReceiveMessage call.
MAX_RECEIVE = 10


@dataclass
class WorkerStats:
    batches: int = 0
    received: int = 0
    deleted: int = 0
    failed: int = 0  # left on the queue: reported by the handler or in a batch that raised


class QueueWorker(threading.Thread):
    """One queue's poller: receive a batch, invoke, delete what succeeded."""

    def __init__(
        self,
        name: str,
        queue_url: str,
        handler: Callable[[dict[str, Any]], Any],
        stop: threading.Event,
        *,
        sqs: Any,
        batch_size: int = 10,
        report_failures: bool = True,
        wait_seconds: int = 1,
    ) -> None:
        super().__init__(name=f"worker-{name}", daemon=True)
        self.consumer = name
        self.queue_url = queue_url
        self.handler = handler
        self.stop_event = stop
        self.sqs = sqs
        self.batch_size = max(1, min(batch_size, MAX_RECEIVE))
        self.report_failures = report_failures
        self.wait_seconds = wait_seconds
        self.stats = WorkerStats()
        self._queue_arn: str | None = None

    @property
    def queue_arn(self) -> str:
        if self._queue_arn is None:
            attributes = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
            self._queue_arn = str(attributes["Attributes"]["QueueArn"])
        return self._queue_arn

    def poll_once(self) -> int:
        """Receive one batch and process it; returns how many messages it held."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=self.batch_size, WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"], MessageAttributeNames=["All"],
        ).get("Messages", [])  # fmt: skip
        if not messages:
            return 0
        self.stats.batches += 1
        self.stats.received += len(messages)
        keep = self._invoke(messages)
        done = [m for m in messages if m["MessageId"] not in keep]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        self.stats.deleted += len(done)
        self.stats.failed += len(messages) - len(done)
        return len(messages)

    def _invoke(self, messages: list[dict[str, Any]]) -> set[str]:
        """The message ids to leave on the queue after invoking the handler."""
        ids = {m["MessageId"] for m in messages}
        try:
            result = self.handler(sqs_event(self.queue_arn, messages))
        except Exception:
            logger.exception("%s: handler raised; the %d messages will be retried", self.consumer, len(messages))
            return ids
        if not self.report_failures:
            return set()  # without ReportBatchItemFailures Lambda ignores the response
        failures = result.get("batchItemFailures") if isinstance(result, dict) else None
        reported = {str(f.get("itemIdentifier") or "") for f in failures or [] if isinstance(f, dict)}
        if not reported <= ids:
            # Lambda treats an empty or unknown identifier as a failure of the whole batch.
            unknown = reported - ids
            logger.error("%s: batchItemFailures names unknown ids %s; retrying the batch", self.consumer, unknown)
            return ids
        return reported

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.poll_once()
            except Exception:
                # moto restarting, a deleted queue: say so, back off, keep the worker alive.
                logger.exception("%s: polling %s failed", self.consumer, self.queue_url)
                self.stop_event.wait(1.0)
