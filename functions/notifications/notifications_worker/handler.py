"""SQS ``notifications`` consumer: fan one page of a broadcast out (souk.notifications.service.broadcasts).

A page is safe to process twice: each recipient's notification is a conditional put on its
own id and the page is counted once. Failed records are reported in ``batchItemFailures``;
SQS retries them and, after the queue's ``maxReceiveCount``, parks them in the dead-letter queue.
"""

from __future__ import annotations

from pydantic import Json

from souk.notifications.schemas import BroadcastJob
from souk.notifications.service.broadcasts import handle_page
from souk.notify.templates import templates
from souk.observability import logger
from souk.workers import SqsJobRecord, sqs_consumer

templates()  # the email templates load now, during init, like imports


class BroadcastRecord(SqsJobRecord):
    body: Json[BroadcastJob]


def handle_record(record: BroadcastRecord) -> str:
    job = record.body
    with logger.append_context_keys(message_id=record.messageId, broadcast_id=job.broadcast_id, page=job.page,
                                    receive_count=record.receive_count):  # fmt: skip
        outcome = handle_page(job)
        logger.info("broadcast page handled", extra={"outcome": outcome})
    return outcome


lambda_handler = sqs_consumer(handle_record, model=BroadcastRecord)
