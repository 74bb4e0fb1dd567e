"""Producers: put notification jobs on the ``email`` queue for the email worker.

API handlers never talk to SendGrid or SNS: they enqueue a small JSON job and answer at
once; the worker renders and sends it, retries it, and parks it in the dead-letter queue
when it keeps failing. boto3 is imported and the SQS client created on first use, so a
route that merely imports this module pays nothing at cold start.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from souk.notify.exceptions import EnqueueError, NotificationConfigError
from souk.notify.templates import Value, validate
from souk.settings import get_settings
from souk.snapstart import on_restore

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

Channel = Literal["email", "sms"]

# Deliberately loose: SendGrid does the real address validation; this catches a phone
# number in an email job or an empty string before it costs a send.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_CLIENT_LOCK = threading.Lock()


def new_idempotency_id() -> str:
    """A fresh job id, for a notification the caller will not retry."""
    return uuid.uuid4().hex


class NotificationJob(BaseModel):
    """One message to send: the body of an ``email`` queue message.

    ``idempotency_id`` is what the worker deduplicates on: an SQS redelivery carries the
    same body, hence the same id, and a producer that retries with its own stable id
    (e.g. ``f"verify:{user_id}:{code_id}"``) is deduplicated too.
    """

    model_config = ConfigDict(frozen=True)

    channel: Channel
    template: str = Field(min_length=1, max_length=64)
    to: str = Field(min_length=3, max_length=320)
    variables: dict[str, Value] = Field(default_factory=dict)
    # Required, never defaulted on parse: a default would give each redelivery a new id.
    idempotency_id: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _recipient_fits_channel(self) -> NotificationJob:
        pattern = _EMAIL if self.channel == "email" else _E164
        if not pattern.match(self.to):
            # The address itself stays out of the message: validation errors get logged.
            raise ValueError(f"'to' is not a valid {'email address' if self.channel == 'email' else 'E.164 number'}")
        return self


@lru_cache(maxsize=1)
def _sqs(region: str) -> SQSClient:
    # Deferred for cold start: boto3 loads with the first message queued.
    import boto3
    from botocore.config import Config

    # Bounded: an API request waits on this call, and API Gateway gives up after 29 s.
    config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})
    # boto3's default session is not thread-safe, and the local runner serves from threads.
    with _CLIENT_LOCK:
        return boto3.client("sqs", region_name=region, config=config)


on_restore(_sqs.cache_clear)  # SnapStart: no client outlives a restore


def _queue_url() -> str:
    url = get_settings().email_queue_url
    if not url:
        raise NotificationConfigError("EMAIL_QUEUE_URL is not set")
    return url


def _put(jobs: list[NotificationJob]) -> None:
    # Deferred for cold start, like boto3 in _sqs.
    from botocore.exceptions import BotoCoreError, ClientError

    url = _queue_url()
    client = _sqs(get_settings().region)
    try:
        if len(jobs) == 1:
            client.send_message(QueueUrl=url, MessageBody=jobs[0].model_dump_json())
            return
        # One round trip for the email and SMS of the same event.
        result: Any = client.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": job.model_dump_json()} for i, job in enumerate(jobs)],
        )
    except (BotoCoreError, ClientError) as exc:
        raise EnqueueError(f"could not enqueue notification: {type(exc).__name__}") from exc
    if result.get("Failed"):
        codes = sorted({failure.get("Code", "?") for failure in result["Failed"]})
        raise EnqueueError(f"could not enqueue {len(result['Failed'])} notification(s): {', '.join(codes)}")


def _job(
    channel: Channel, template: str, to: str, variables: Mapping[str, object], idempotency_id: str
) -> NotificationJob:
    # model_validate rather than the constructor: variables arrive as plain objects and
    # the model is what checks that each one is a str, int or float.
    return NotificationJob.model_validate(
        {
            "channel": channel,
            "template": template,
            "to": to,
            "variables": dict(variables),
            "idempotency_id": idempotency_id,
        }
    )


def enqueue_email(
    template: str,
    to: str,
    variables: Mapping[str, object],
    *,
    phone: str | None = None,
    idempotency_id: str | None = None,
) -> list[NotificationJob]:
    """Queue an email, and the same message by SMS when ``phone`` is given.

    Parameters
    ----------
    template
        Template name (see :mod:`souk.notify.templates`).
    to
        Recipient email address.
    variables
        Template values (str, int or float). Checked now, so a typo fails in the caller's tests.
    phone
        E.164 phone number; when set, an SMS job with the same template follows.
    idempotency_id
        Stable id for this notification when the caller may retry; a fresh one otherwise.
        The SMS job uses ``f"{idempotency_id}:sms"``.

    Returns
    -------
    list[NotificationJob]
        The jobs queued: the email, then the SMS if any.

    Raises
    ------
    UnknownTemplateError, MissingVariableError
        The template or its variables are wrong (nothing is queued).
    pydantic.ValidationError
        ``to`` or ``phone`` is malformed or a value is not a str, int or float (nothing is queued).
    EnqueueError, NotificationConfigError
        SQS refused the message or no queue is configured.
    """
    validate(template, variables)
    email = _job("email", template, to, variables, idempotency_id or new_idempotency_id())
    jobs = [email]
    if phone:
        jobs.append(_job("sms", template, phone, variables, f"{email.idempotency_id}:sms"))
    _put(jobs)
    return jobs


def enqueue_sms(
    template: str,
    to: str,
    variables: Mapping[str, object],
    *,
    idempotency_id: str | None = None,
) -> NotificationJob:
    """Queue an SMS (the template's SMS form).

    Parameters
    ----------
    template
        Template name.
    to
        E.164 phone number, e.g. ``"+14155550100"``.
    variables
        Template values, checked now.
    idempotency_id
        Stable id when the caller may retry; a fresh one otherwise.

    Returns
    -------
    NotificationJob
        The job queued.

    Raises
    ------
    UnknownTemplateError, MissingVariableError, pydantic.ValidationError, EnqueueError, NotificationConfigError
        As for :func:`enqueue_email`.
    """
    validate(template, variables)
    job = _job("sms", template, to, variables, idempotency_id or new_idempotency_id())
    _put([job])
    return job
