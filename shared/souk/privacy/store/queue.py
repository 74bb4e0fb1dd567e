"""The ``privacy`` queue: one message per step run of an account's erasure (``{"userId": ...}``).

boto3 is imported and the SQS client created on first use (cold start).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from souk.settings import get_settings
from souk.snapstart import on_restore

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

    from souk.privacy.schemas import ErasureMessage

_CLIENT_LOCK = threading.Lock()


class EnqueueFailed(Exception):
    """SQS refused the message or ``PRIVACY_QUEUE_URL`` is not set."""

    retryable = True


@lru_cache(maxsize=1)
def _sqs(region: str) -> SQSClient:
    # Deferred for cold start: boto3 loads with the first message queued.
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})
    with _CLIENT_LOCK:  # boto3's default session is not thread-safe; the local runner serves from threads
        return boto3.client("sqs", region_name=region, config=config)


on_restore(_sqs.cache_clear)  # SnapStart: no client outlives a restore


def send(message: ErasureMessage) -> None:
    """Queue the erasure's next run (raises :class:`EnqueueFailed`)."""
    # Deferred for cold start, like boto3 in _sqs.
    from botocore.exceptions import BotoCoreError, ClientError

    settings = get_settings()
    if not settings.privacy_queue_url:
        raise EnqueueFailed("PRIVACY_QUEUE_URL is not set")
    try:
        _sqs(settings.region).send_message(QueueUrl=settings.privacy_queue_url, MessageBody=message.body())
    except (BotoCoreError, ClientError) as error:
        raise EnqueueFailed(f"could not enqueue an erasure step: {type(error).__name__}") from error
