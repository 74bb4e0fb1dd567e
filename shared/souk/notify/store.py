"""Notify's storage is the ``email`` queue: jobs are put on it here, for the email worker.

The SQS client is :mod:`souk.db.queues`' (boto3 on first use, so a route that merely imports this
module pays nothing at cold start); the errors are notify's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.db import queues
from souk.notify.exceptions import EnqueueError, NotificationConfigError
from souk.settings import get_settings

if TYPE_CHECKING:
    from souk.notify.schemas import NotificationJob


def _queue_url() -> str:
    url = get_settings().email_queue_url
    if not url:
        raise NotificationConfigError("EMAIL_QUEUE_URL is not set")
    return url


def put(jobs: list[NotificationJob]) -> None:
    """Put ``jobs`` on the ``email`` queue: one SendMessage, or one SendMessageBatch for several.

    Raises
    ------
    EnqueueError, NotificationConfigError
        SQS refused a message or no queue is configured.
    """
    # Deferred for cold start, like boto3 in souk.db.queues.
    from botocore.exceptions import BotoCoreError, ClientError

    url = _queue_url()
    client = queues.client()
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
