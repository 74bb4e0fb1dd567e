"""The ``email`` queue consumer's logic: parse a record, render its job, send it once.

Why Powertools Idempotency rather than a hand-written conditional put: it already does
the three things a marker item would have to reinvent. It writes an INPROGRESS record
before sending, so two concurrent deliveries of one message (SQS standard queues can do
that) cannot both send; it deletes that record when the send raises, so SQS's retry is
not mistaken for a duplicate; and it expires an INPROGRESS record at the invocation's
deadline, so a timed-out send is retried rather than lost. It stores in our single table
(``pk``/``sk`` with a static partition and the table's ``ttl``), see
:func:`souk.db.idempotency.idempotency_store`.

The key is the job's ``idempotency_id``: an SQS redelivery has the same body, hence the
same id, exactly as its message id would be; unlike the message id it also dedupes a
producer that enqueued the same notification twice with a stable id. The rest of the job
is the payload hash, so an id reused for a different message fails loudly instead of
being silently dropped.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from pydantic import Json

from souk.db.idempotency import idempotency_store
from souk.notify.email import send_email
from souk.notify.schemas import NotificationJob
from souk.notify.sms import send_sms
from souk.notify.templates import render
from souk.observability import get_tracer, logger, metrics
from souk.settings import get_settings
from souk.snapstart import on_restore
from souk.workers import SqsJobRecord

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.typing import LambdaContext

IDEMPOTENCY_PARTITION = "NOTIFY"
# Longer than the queue's default 4-day retention: any redelivery still finds the record.
IDEMPOTENCY_TTL_SECONDS = 5 * 24 * 3600

IDEMPOTENCY_CONFIG = IdempotencyConfig(
    event_key_jmespath="idempotency_id",
    payload_validation_jmespath="[channel, template, to, variables]",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
)


class NotificationRecord(SqsJobRecord):
    """An ``email`` queue record whose body is a JSON :class:`NotificationJob`."""

    body: Json[NotificationJob]


def deliver(job: NotificationJob) -> dict[str, Any]:
    """Render ``job`` and send it on its channel (no deduplication: see :func:`handle_record`).

    Parameters
    ----------
    job
        The notification.

    Returns
    -------
    dict
        ``{"channel", "providerMessageId"}``, stored as the idempotency record's result.

    Raises
    ------
    PermanentNotificationError
        Unknown template, missing variable, recipient rejected.
    RetryableNotificationError
        Provider down or throttling, configuration missing.
    """
    message = render(job.template, job.variables)
    if job.channel == "email":
        provider_id = send_email(job.to, message)
        metrics.add_metric(name="EmailsSent", unit=MetricUnit.Count, value=1)
    else:
        provider_id = send_sms(job.to, message.sms)
        metrics.add_metric(name="SmsSent", unit=MetricUnit.Count, value=1)
    return {"channel": job.channel, "providerMessageId": provider_id}


@lru_cache(maxsize=4)
def _deliver_once(table_name: str, region: str, endpoint: str | None) -> Callable[..., dict[str, Any]]:
    # Built on first use, not at import: the store needs the settings (and a DynamoDB
    # client) that tests and the local runner set after importing the handler.
    store = idempotency_store(IDEMPOTENCY_PARTITION)

    @idempotent_function(
        data_keyword_argument="job", persistence_store=store, config=IDEMPOTENCY_CONFIG, key_prefix="notification"
    )
    def deliver_once(job: NotificationJob) -> dict[str, Any]:
        return deliver(job)

    return deliver_once


on_restore(_deliver_once.cache_clear)  # SnapStart: no client outlives a restore


# capture_response=False: the result is harmless but the habit matters; traces must
# never carry message content (codes, reset tokens).
@get_tracer().capture_method(capture_response=False)
def handle_record(record: NotificationRecord, lambda_context: LambdaContext | None = None) -> dict[str, Any]:
    """Send the record's job unless it was already sent.

    Parameters
    ----------
    record
        The parsed SQS record.
    lambda_context
        Injected by the batch processor; lets an INPROGRESS idempotency record expire
        when this invocation would time out.

    Returns
    -------
    dict
        The delivery result, the stored one for a duplicate.
    """
    if lambda_context is not None:
        IDEMPOTENCY_CONFIG.register_lambda_context(lambda_context)
    job = record.body
    settings = get_settings()
    with logger.append_context_keys(
        message_id=record.messageId,
        idempotency_id=job.idempotency_id,
        template=job.template,
        channel=job.channel,
        receive_count=record.receive_count,
    ):
        result = _deliver_once(settings.table_name, settings.region, settings.dynamodb_endpoint)(job=job)
        logger.info("notification delivered")
    return result
