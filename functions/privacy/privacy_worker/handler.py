"""SQS ``privacy`` consumer: go on erasing one account (souk.privacy.service.erasure.run).

Each invocation works for at most :data:`BUDGET_SECONDS` (60% of the function's Timeout), saving
the hook and its cursor on the job after each bounded step, then re-queues the job's message. A
record that fails is retried by SQS (the next run resumes from the last save); after the queue's
``maxReceiveCount`` it rests in the dead-letter queue, the job still ``deleting``: redriving it resumes.
"""

from __future__ import annotations

import time

from pydantic import Json

from souk.observability import logger
from souk.privacy.schemas import ErasureMessage
from souk.privacy.service.erasure import run
from souk.workers import SqsJobRecord, sqs_consumer

TIMEOUT_SECONDS = 120  # function.yaml's Timeout
BUDGET_SECONDS = TIMEOUT_SECONDS * 0.6


class ErasureRecord(SqsJobRecord):
    body: Json[ErasureMessage]


def handle_record(record: ErasureRecord) -> str:
    message = record.body
    started = time.monotonic()
    with logger.append_context_keys(message_id=record.messageId, user_id=message.user_id,
                                    receive_count=record.receive_count):  # fmt: skip
        outcome = run(message, lambda: time.monotonic() - started > BUDGET_SECONDS)
        logger.info("erasure step handled", extra={"outcome": outcome})
    return outcome


lambda_handler = sqs_consumer(handle_record, model=ErasureRecord)
