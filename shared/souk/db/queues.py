"""SQS for every domain: one client per region, and one message sent to a queue the settings name.

boto3 is imported and the client created on first use, so a route that merely imports a module
that may queue something pays nothing at cold start.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from souk.settings import get_settings
from souk.snapstart import on_restore

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

_CLIENT_LOCK = threading.Lock()


class EnqueueFailed(Exception):
    """SQS refused the message or the queue's URL is not set (the caller's write stands)."""

    retryable = True


@lru_cache(maxsize=1)
def _sqs(region: str) -> SQSClient:
    # Deferred for cold start: boto3 loads with the first message queued.
    import boto3
    from botocore.config import Config

    # Bounded: an API request may wait on this call, and API Gateway gives up after 29 s.
    config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})
    with _CLIENT_LOCK:  # boto3's default session is not thread-safe; the local runner serves from threads
        return boto3.client("sqs", region_name=region, config=config)


on_restore(_sqs.cache_clear)  # SnapStart: no client outlives a restore


def client() -> SQSClient:
    return _sqs(get_settings().region)


def send(queue_url: str, setting: str, body: str, *, what: str) -> None:
    """Put ``body`` on the queue at ``queue_url`` (the value of the setting named ``setting``).

    Raises
    ------
    EnqueueFailed
        ``queue_url`` is empty, or SQS refused the message (``what`` names it in the error).
    """
    # Deferred for cold start, like boto3 in _sqs.
    from botocore.exceptions import BotoCoreError, ClientError

    if not queue_url:
        raise EnqueueFailed(f"{setting} is not set")
    try:
        client().send_message(QueueUrl=queue_url, MessageBody=body)
    except (BotoCoreError, ClientError) as error:
        raise EnqueueFailed(f"could not enqueue {what}: {type(error).__name__}") from error
