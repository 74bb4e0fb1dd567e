"""The health probes: one cheap read of the table, each bucket and each queue, timed.

boto3 at module level: only the health route imports this module (souk.system.service.health);
version, OpenAPI and docs make no AWS call and load neither boto3 nor this.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import cache, partial
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from souk.settings import Settings
from souk.snapstart import on_restore
from souk.system.schemas import CheckResult

# Health must answer fast even when a dependency hangs.
_FAST = Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 1})

_clients_lock = threading.Lock()


def _client(service: str) -> Any:
    # One at a time: the checks run in threads, and a plain cache would let each of them
    # build the same client (a cold start paid 3 SQS and 2 S3 clients, ~400 ms CPU).
    with _clients_lock:
        return _new_client(service)


@cache
def _new_client(service: str) -> Any:
    return boto3.client(service, config=_FAST)  # type: ignore[call-overload]


on_restore(_new_client.cache_clear)  # SnapStart: no client outlives a restore


def probes(settings: Settings) -> dict[str, Callable[[], object]]:
    """One probe per dependency, by the name the report gives it."""
    checks: dict[str, Callable[[], object]] = {
        "table": lambda: _client("dynamodb").get_item(
            TableName=settings.table_name, Key={"pk": {"S": "HEALTH"}, "sk": {"S": "HEALTH"}}
        ),
        "uploadsBucket": lambda: _client("s3").head_bucket(Bucket=settings.uploads_bucket),
        "exportsBucket": lambda: _client("s3").head_bucket(Bucket=settings.exports_bucket),
    }
    queues = {"emailQueue": settings.email_queue_url, "payoutsQueue": settings.payouts_queue_url,
              "exportsQueue": settings.exports_queue_url}  # fmt: skip
    for name, url in queues.items():
        checks[name] = partial(_queue_check, url)
    return checks


def _queue_check(url: str) -> object:
    return _client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])


def run_probe(check: Callable[[], object]) -> CheckResult:
    """Run one probe: ok, or the AWS error code (or exception name) it failed with, and how long it took."""
    started = time.perf_counter()
    try:
        check()
    except ClientError as exc:
        error: str | None = exc.response.get("Error", {}).get("Code", "ClientError")
    except (BotoCoreError, ValueError) as exc:  # unreachable endpoint, missing URL
        error = type(exc).__name__
    else:
        error = None
    return CheckResult(ok=error is None, latency_ms=round((time.perf_counter() - started) * 1000), error=error)
