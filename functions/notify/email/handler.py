"""SQS ``email`` consumer: render each notification job and send it once (SendGrid, SNS SMS).

Failed records are reported in ``batchItemFailures``; SQS retries them and, after the
queue's ``maxReceiveCount``, parks them in the dead-letter queue.
"""

from __future__ import annotations

from souk.notify.consumer import NotificationRecord, handle_record
from souk.notify.templates import templates
from souk.workers import sqs_consumer

# The domains' templates (souk.<domain>.emails) load now, during init, like imports.
templates()

lambda_handler = sqs_consumer(handle_record, model=NotificationRecord)
