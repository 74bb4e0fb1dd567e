"""Notifications: message templates, the producers API handlers call, the senders the worker uses.

Producers import from here (``from souk.notify import enqueue_email``): it costs pydantic
and the template registry only. SendGrid, boto3 and Powertools Idempotency are imported
by the worker's modules (:mod:`souk.notify.consumer`, ``email``, ``sms``) when used.
"""

from __future__ import annotations

from souk.notify.exceptions import (
    EnqueueError,
    MissingVariableError,
    NotificationError,
    PermanentNotificationError,
    RetryableNotificationError,
    TemplateError,
    UnknownTemplateError,
)
from souk.notify.queue import NotificationJob, enqueue_email, enqueue_sms, new_idempotency_id
from souk.notify.templates import TEMPLATES, RenderedMessage, render

__all__ = [
    "TEMPLATES",
    "EnqueueError",
    "MissingVariableError",
    "NotificationError",
    "NotificationJob",
    "PermanentNotificationError",
    "RenderedMessage",
    "RetryableNotificationError",
    "TemplateError",
    "UnknownTemplateError",
    "enqueue_email",
    "enqueue_sms",
    "new_idempotency_id",
    "render",
]
