"""Uploads in the table and their files in S3: the Upload items, presigning, HeadObject, DeleteObject.

The object key is built from ids only (``uploads/<purpose>/<ownerId>/<uploadId>``): the
client's filename is kept for display and never reaches a key, so it cannot traverse
paths or overwrite objects.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from souk.db import keys as db_keys
from souk.db.base import utc_now
from souk.db.paging import one_page
from souk.db.transactions import WriteTransaction
from souk.errors import UpstreamError
from souk.observability import logger
from souk.settings import get_settings
from souk.snapstart import on_restore
from souk.uploads import keys
from souk.uploads.models import Upload

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from souk.audit.models import AuditRecord

_CLIENT_LOCK = threading.Lock()


# --- S3
@lru_cache(maxsize=1)
def _s3(region: str) -> S3Client:
    # Deferred for cold start: boto3 loads with the first S3 call.
    import boto3
    from botocore.config import Config

    # SigV4 is what a presigned POST policy must be signed with in every region.
    config = Config(signature_version="s3v4", connect_timeout=2, read_timeout=5,
                    retries={"mode": "standard", "max_attempts": 3})  # fmt: skip
    with _CLIENT_LOCK:  # boto3's default session is not thread-safe (the local runner uses threads)
        return boto3.client("s3", region_name=region, config=config)


on_restore(_s3.cache_clear)  # SnapStart: no client outlives a restore


def s3_client() -> S3Client:
    return _s3(get_settings().region)


def object_key(purpose: str, owner_id: str, upload_id: str) -> str:
    """The S3 key: ids only, so nothing the client typed can shape it."""
    return f"uploads/{purpose}/{owner_id}/{upload_id}"


def presign_post(key: str, content_type: str, max_size: int, expires_in: int) -> dict[str, Any]:
    """A presigned POST whose policy pins the exact ``Content-Type`` and a ``content-length-range``.

    Signing is local (no network call): the policy is what S3 enforces on the POST.
    """
    post: Any = s3_client().generate_presigned_post(
        Bucket=get_settings().uploads_bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_size]],
        ExpiresIn=expires_in,
    )
    return dict(post)


def delete_object(key: str) -> None:
    # Deferred for cold start, like boto3 in _s3.
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        s3_client().delete_object(Bucket=get_settings().uploads_bucket, Key=key)
    except (BotoCoreError, ClientError) as exc:
        logger.warning("s3 delete failed", extra={"error_type": type(exc).__name__})
        raise UpstreamError("The file could not be deleted; retry.") from exc


def head_object(key: str) -> dict[str, Any] | None:
    """The object's metadata, or None when nothing was uploaded under the key."""
    # Deferred for cold start, like boto3 in _s3.
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return dict(s3_client().head_object(Bucket=get_settings().uploads_bucket, Key=key))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise UpstreamError("File storage is unavailable; retry.") from exc
    except BotoCoreError as exc:
        raise UpstreamError("File storage is unavailable; retry.") from exc


# --- the table
def new_upload(upload_id: str, owner_id: str, *, purpose: str, content_type: str, size: int, filename: str,
               key: str) -> Upload:  # fmt: skip
    """A pending upload, in its owner's list."""
    now = utc_now()
    return Upload(
        pk=keys.upload(upload_id), sk=keys.upload(upload_id),
        gsi1pk=keys.user_uploads(owner_id), gsi1sk=db_keys.created_sort(now.isoformat(), upload_id),
        upload_id=upload_id, owner_id=owner_id, purpose=purpose,
        content_type=content_type, size=size, filename=filename, object_key=key,
        status="pending", created_at=now, updated_at=now,
    )  # fmt: skip


def insert(upload: Upload, record: AuditRecord) -> None:
    with WriteTransaction() as tx:
        tx.put(upload, Upload.pk.does_not_exist(), label="upload")
        tx.put(record, label=f"audit:{record.action}")


def owner_page(owner_id: str, *, limit: int, last_key: dict[str, Any] | None) -> tuple[list[Upload], dict | None]:
    """One page of the owner's uploads, newest first (one Query; deleted ones left the index)."""
    result = Upload.gsi1.query(keys.user_uploads(owner_id), scan_index_forward=False, page_size=limit,
                               last_evaluated_key=last_key)  # fmt: skip
    return one_page(Upload, result)


def get_upload(upload_id: str, *, consistent: bool = False) -> Upload | None:
    try:
        return Upload.get(keys.upload(upload_id), keys.upload(upload_id), consistent_read=consistent)
    except DoesNotExist:
        return None


def get_uploads(upload_ids: list[str]) -> dict[str, Upload]:
    """The uploads that exist among ``upload_ids``, by id (one BatchGetItem, at most 100 keys)."""
    return {u.upload_id: u for u in Upload.batch_get([(keys.upload(i), keys.upload(i)) for i in upload_ids])}


def mark_deleted(upload: Upload, record: AuditRecord) -> None:
    """Deleted, and out of the owner's list, with the audit record."""
    with WriteTransaction() as tx:
        tx.update(upload, [Upload.status.set("deleted"), Upload.gsi1pk.remove(), Upload.gsi1sk.remove(),
                           Upload.updated_at.set(utc_now())],
                  Upload.status != "deleted", label="upload")  # fmt: skip
        tx.put(record, label=f"audit:{record.action}")


def mark_ready(upload: Upload, size: int) -> bool:
    """pending → ready with the size S3 holds; False when it was not pending any more (claimed or deleted meanwhile)."""
    try:
        upload.update(actions=[Upload.status.set("ready"), Upload.size.set(size), Upload.updated_at.set(utc_now())],
                      condition=Upload.status == "pending")  # fmt: skip
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        return False
    return True
