"""SQS ``exports`` consumer: go on building one export (souk.exports.service.builder.build).

Each invocation works for at most :data:`BUDGET_SECONDS` (60% of the function's Timeout), then
saves its state on the job and re-queues the job's message. A record that fails is retried by
SQS; on its last receive (the queue's ``maxReceiveCount``) the job is marked ``failed``.
"""

from __future__ import annotations

import time

from pydantic import Json

from souk.exports.schemas import ExportMessage
from souk.exports.service.builder import build, fail
from souk.observability import logger
from souk.workers import SqsJobRecord, sqs_consumer

TIMEOUT_SECONDS = 150  # function.yaml's Timeout
BUDGET_SECONDS = TIMEOUT_SECONDS * 0.6
MAX_RECEIVES = 3  # ExportsQueue's maxReceiveCount


class ExportRecord(SqsJobRecord):
    body: Json[ExportMessage]


def handle_record(record: ExportRecord) -> str:
    job = record.body
    started = time.monotonic()
    with logger.append_context_keys(message_id=record.messageId, export_id=job.export_id,
                                    receive_count=record.receive_count):  # fmt: skip
        try:
            outcome = build(job, lambda: time.monotonic() - started > BUDGET_SECONDS)
        except Exception as error:
            if record.receive_count >= MAX_RECEIVES:
                fail(job.export_id, type(error).__name__)
            raise
        logger.info("export step handled", extra={"outcome": outcome})
    return outcome


lambda_handler = sqs_consumer(handle_record, model=ExportRecord)
