"""SQS ``payouts`` consumer: pay each approved payout through a Stripe transfer, exactly once.

Failed records (Stripe's answer unknown, an account on hold) are reported in
``batchItemFailures``; SQS delivers them again and the payout is looked up before anything
is sent; after the queue's ``maxReceiveCount`` they park in the dead-letter queue, and the
daily finance job picks the payout up again (souk.finance.service.payouts.reconcile_processing_payouts).
"""

from __future__ import annotations

from pydantic import Json

from souk.finance.service.payouts import execute
from souk.observability import logger
from souk.schema import CamelModel
from souk.workers import SqsJobRecord, sqs_consumer


class PayoutJob(CamelModel):
    payout_id: str


class PayoutRecord(SqsJobRecord):
    body: Json[PayoutJob]


def handle_record(record: PayoutRecord) -> str:
    with logger.append_context_keys(message_id=record.messageId, payout_id=record.body.payout_id,
                                    receive_count=record.receive_count):  # fmt: skip
        outcome = execute(record.body.payout_id)
        logger.info("payout handled", extra={"outcome": outcome})
    return outcome


lambda_handler = sqs_consumer(handle_record, model=PayoutRecord)
