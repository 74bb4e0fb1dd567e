"""Producers: what other domains call to notify someone, by putting a job on the ``email`` queue.

API handlers never talk to SendGrid or SNS: they enqueue a small JSON job and answer at
once; the email worker (:mod:`souk.notify.consumer`) renders and sends it, retries it, and
parks it in the dead-letter queue when it keeps failing. Importing this module costs
pydantic and the template registry only: SendGrid, boto3 and Powertools Idempotency load
in the worker or on the first message queued.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from souk.notify import store
from souk.notify.schemas import Channel, NotificationJob
from souk.notify.templates import validate


def new_idempotency_id() -> str:
    """A fresh job id, for a notification the caller will not retry."""
    return uuid.uuid4().hex


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
        Template name (declared in some ``souk/<domain>/emails.py``).
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
    store.put(jobs)
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
    store.put([job])
    return job
