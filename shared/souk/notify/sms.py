"""SMS through Amazon SNS direct publish (no topic): one message to one phone number."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from souk.notify.exceptions import ProviderUnavailableError, SmsRejectedError
from souk.settings import get_settings
from souk.snapstart import on_restore

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient

# Transactional SMS get the higher delivery priority that one-time codes need.
_ATTRIBUTES = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
_CLIENT_LOCK = threading.Lock()
_RETRYABLE_CODES = frozenset({"Throttling", "ThrottlingException", "ThrottledException", "InternalError",
                              "InternalFailure", "ServiceUnavailable", "KMSThrottling"})  # fmt: skip


@lru_cache(maxsize=1)
def _sns(region: str) -> SNSClient:
    # Deferred for cold start: boto3 loads with the first SMS sent.
    import boto3
    from botocore.config import Config

    # Bounded so a stuck publish fails this record (retried by SQS), not the whole invocation.
    config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})
    # boto3's default session is not thread-safe, and the local runner runs workers in threads.
    with _CLIENT_LOCK:
        return boto3.client("sns", region_name=region, config=config)


on_restore(_sns.cache_clear)  # SnapStart: no client outlives a restore


def send_sms(to: str, message: str) -> str:
    """Publish one SMS.

    Parameters
    ----------
    to
        E.164 phone number.
    message
        The text; SNS splits messages longer than one SMS.

    Returns
    -------
    str
        The SNS message id.

    Raises
    ------
    ProviderUnavailableError
        Throttling, a 5xx or no connection: worth retrying.
    SmsRejectedError
        SNS refused the request (invalid number, opted-out phone...).
    """
    # Deferred for cold start, like boto3 in _sns.
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = _sns(get_settings().region).publish(PhoneNumber=to, Message=message, MessageAttributes=_ATTRIBUTES)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))
        if status >= 500 or code in _RETRYABLE_CODES:
            raise ProviderUnavailableError(f"SNS failed with {code or status}") from exc
        raise SmsRejectedError(f"SNS rejected the SMS: {code or status}") from exc
    except BotoCoreError as exc:
        raise ProviderUnavailableError(f"SNS unreachable: {type(exc).__name__}") from exc
    return response["MessageId"]
