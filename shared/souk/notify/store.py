"""Notify's storage is the ``email`` queue: jobs are put on it here, for the email worker.

boto3 is imported and the SQS client created on first use, so a route that merely imports
this module pays nothing at cold start.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from souk.notify.exceptions import EnqueueError, NotificationConfigError
from souk.settings import get_settings
from souk.snapstart import on_restore

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

    from souk.notify.schemas import NotificationJob

_CLIENT_LOCK = threading.Lock()


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


def put(jobs: list[NotificationJob]) -> None:
    """Put ``jobs`` on the ``email`` queue: one SendMessage, or one SendMessageBatch for several.

    Raises
    ------
    EnqueueError, NotificationConfigError
        SQS refused a message or no queue is configured.
    """
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
