"""The exports bucket (multipart uploads, presigned downloads) and the ``exports`` queue.

boto3 is imported and the clients created on first use (cold start).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from souk.db import queues
from souk.db.queues import EnqueueFailed as EnqueueFailed  # send raises it; the service catches it here
from souk.errors import UpstreamError
from souk.settings import get_settings
from souk.snapstart import on_restore

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from souk.exports.schemas import ExportMessage

_CLIENT_LOCK = threading.Lock()
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/x-ndjson"}


@lru_cache(maxsize=1)
def _s3_client(region: str) -> S3Client:
    # Deferred for cold start: boto3 loads with the first call.
    import boto3
    from botocore.config import Config

    config = Config(signature_version="s3v4", connect_timeout=2, read_timeout=10,
                    retries={"mode": "standard", "max_attempts": 3})  # fmt: skip
    with _CLIENT_LOCK:  # boto3's default session is not thread-safe (the local runner uses threads)
        return boto3.client("s3", region_name=region, config=config)


on_restore(_s3_client.cache_clear)  # SnapStart: no client outlives a restore


def _s3() -> S3Client:
    return _s3_client(get_settings().region)


def send(message: ExportMessage) -> None:
    """Put the job's message on the ``exports`` queue (raises :class:`EnqueueFailed`)."""
    queues.send(get_settings().exports_queue_url, "EXPORTS_QUEUE_URL", message.body(), what="an export")


def start_upload(key: str, file_format: str) -> str:
    """A new multipart upload's id."""
    created = _s3().create_multipart_upload(Bucket=get_settings().exports_bucket, Key=key,
                                            ContentType=CONTENT_TYPES[file_format])  # fmt: skip
    return created["UploadId"]


def upload_part(key: str, upload_id: str, number: int, data: bytes) -> dict[str, Any]:
    """Upload part ``number`` (uploading the same number again replaces it); its ``{PartNumber, ETag}``."""
    sent = _s3().upload_part(Bucket=get_settings().exports_bucket, Key=key, UploadId=upload_id,
                             PartNumber=number, Body=data)  # fmt: skip
    return {"PartNumber": number, "ETag": sent["ETag"]}


def complete_upload(key: str, upload_id: str, parts: list[dict[str, Any]]) -> None:
    _s3().complete_multipart_upload(Bucket=get_settings().exports_bucket, Key=key, UploadId=upload_id,
                                    MultipartUpload={"Parts": parts})  # type: ignore[typeddict-item]  # fmt: skip


def abort_upload(key: str, upload_id: str) -> None:
    # Deferred for cold start, like boto3 in _s3_client.
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _s3().abort_multipart_upload(Bucket=get_settings().exports_bucket, Key=key, UploadId=upload_id)
    except (BotoCoreError, ClientError) as error:  # the bucket's rule aborts it after a day anyway
        raise UpstreamError("The export's upload could not be aborted.") from error


def download_url(key: str, expires_in: int) -> str:
    """A presigned GET (signed locally, no network call)."""
    return _s3().generate_presigned_url("get_object", Params={"Bucket": get_settings().exports_bucket, "Key": key},
                                        ExpiresIn=expires_in)  # fmt: skip
