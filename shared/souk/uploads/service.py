"""Uploads: presigned S3 POSTs whose policy enforces type and size, and claiming them for use.

The browser sends the file straight to S3; the API never proxies bytes. The presigned
POST's policy pins the exact ``Content-Type`` and a ``content-length-range`` per purpose,
so S3 itself refuses a 50 MB "avatar" or an HTML "product image". The object key is built
from ids only (``uploads/<purpose>/<ownerId>/<uploadId>``): the client's filename is kept
for display and never reaches a key, so it cannot traverse paths or overwrite objects.

An upload starts ``pending``. Features that use uploads (store documents, product images,
avatars) call :func:`claim_uploads`, which checks ownership and purpose and confirms on
first use that the object really is in S3 (HeadObject), turning it ``ready``.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator
from pynamodb.exceptions import DoesNotExist, UpdateError

from souk.audit import service as audit
from souk.caller import ensure_owner
from souk.db import keys
from souk.db.base import utc_now
from souk.db.paging import one_page
from souk.db.transactions import WriteTransaction
from souk.errors import NotFound, UpstreamError, ValidationFailed
from souk.ids import new_id
from souk.observability import logger
from souk.schema import CamelModel
from souk.settings import get_settings
from souk.snapstart import on_restore
from souk.uploads.models import Upload

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from souk.caller import Principal

Purpose = Literal["avatar", "product_image", "store_document", "attachment"]

MB = 1024 * 1024
PRESIGN_SECONDS = 900  # long enough for a slow phone upload, short enough to be useless if leaked
MAX_CLAIM = 100  # one BatchGetItem holds at most 100 keys
_IMAGES = ("image/jpeg", "image/png", "image/webp")
_CLIENT_LOCK = threading.Lock()


@dataclass(frozen=True)
class Rule:
    """What S3 will accept for one purpose."""

    content_types: tuple[str, ...]
    max_size: int


# No SVG or HTML anywhere: both can carry script and are served back to browsers.
RULES: dict[str, Rule] = {
    "avatar": Rule(_IMAGES, 5 * MB),
    "product_image": Rule(_IMAGES, 5 * MB),
    "store_document": Rule(("application/pdf", "image/jpeg", "image/png"), 10 * MB),
    "attachment": Rule((*_IMAGES, "image/gif", "application/pdf", "text/plain"), 10 * MB),
}


# --- schemas
class CreateUploadRequest(CamelModel):
    filename: str = Field(min_length=1, max_length=255, description="Display only; never part of the object key.")
    content_type: str = Field(min_length=3, max_length=100, examples=["image/jpeg"])
    size: int = Field(ge=1, description="Bytes, as the client will send them.")
    purpose: Purpose

    @field_validator("filename")
    @classmethod
    def _printable(cls, value: str) -> str:
        cleaned = value.strip()
        if not cleaned or any(ord(ch) < 32 or ord(ch) == 127 for ch in cleaned):
            raise ValueError("must be a printable file name")
        return cleaned

    @field_validator("content_type")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


class PresignedUpload(CamelModel):
    upload_id: str
    url: str = Field(description="POST the form here: every field below, then the file as `file`, last.")
    fields: dict[str, str]
    expires_in: int = Field(description="Seconds the form stays valid.")
    max_size: int = Field(description="Largest accepted file for this purpose, in bytes.")


class UploadOut(CamelModel):
    id: str
    purpose: Purpose
    filename: str
    content_type: str
    size: int
    status: Literal["pending", "ready", "deleted"]
    created_at: datetime


class DeletedUpload(CamelModel):
    id: str
    deleted: bool


def upload_out(upload: Upload) -> UploadOut:
    return UploadOut(
        id=upload.upload_id, purpose=upload.purpose, filename=upload.filename,  # type: ignore[arg-type]
        content_type=upload.content_type, size=int(upload.size), status=upload.status,  # type: ignore[arg-type]
        created_at=upload.created_at,
    )  # fmt: skip


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


def check_rule(purpose: str, content_type: str, size: int) -> Rule:
    """The purpose's rule, or 400 naming ``contentType`` or ``size``."""
    rule = RULES[purpose]
    problems = []
    if content_type not in rule.content_types:
        allowed = ", ".join(rule.content_types)
        problems.append({"field": "contentType", "message": f"A {purpose} must be one of: {allowed}."})
    if size > rule.max_size:
        problems.append({"field": "size", "message": f"A {purpose} is at most {rule.max_size} bytes."})
    if problems:
        raise ValidationFailed(details=problems)
    return rule


# --- services
def create_upload(principal: Principal, request: CreateUploadRequest) -> PresignedUpload:
    """A pending Upload and the presigned POST that lets its owner send the file to S3."""
    rule = check_rule(request.purpose, request.content_type, request.size)
    upload_id = new_id()
    key = object_key(request.purpose, principal.user_id, upload_id)
    bucket = get_settings().uploads_bucket
    # Signing is local (no network call): the policy below is what S3 enforces on the POST.
    post: Any = s3_client().generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"Content-Type": request.content_type},
        Conditions=[{"Content-Type": request.content_type}, ["content-length-range", 1, rule.max_size]],
        ExpiresIn=PRESIGN_SECONDS,
    )
    now = utc_now()
    upload = Upload(
        pk=keys.upload(upload_id), sk=keys.upload(upload_id),
        gsi1pk=keys.user_uploads(principal.user_id), gsi1sk=keys.created_sort(now.isoformat(), upload_id),
        upload_id=upload_id, owner_id=principal.user_id, purpose=request.purpose,
        content_type=request.content_type, size=request.size, filename=request.filename, object_key=key,
        status="pending", created_at=now, updated_at=now,
    )  # fmt: skip
    with WriteTransaction() as tx:
        tx.put(upload, Upload.pk.does_not_exist(), label="upload")
        after = {"purpose": request.purpose, "contentType": request.content_type, "size": request.size}
        audit.record(principal.actor, "upload.create", "upload", upload_id, tx=tx, after=after)
    return PresignedUpload(upload_id=upload_id, url=post["url"], fields=post["fields"],
                           expires_in=PRESIGN_SECONDS, max_size=rule.max_size)  # fmt: skip


def list_uploads(owner_id: str, *, limit: int, last_key: dict[str, Any] | None) -> tuple[list[Upload], dict | None]:
    """One page of the owner's uploads, newest first (one Query; deleted ones left the index)."""
    result = Upload.gsi1.query(keys.user_uploads(owner_id), scan_index_forward=False, page_size=limit,
                               last_evaluated_key=last_key)  # fmt: skip
    return one_page(Upload, result)


def get_upload(upload_id: str) -> Upload:
    try:
        upload = Upload.get(keys.upload(upload_id), keys.upload(upload_id))
    except DoesNotExist:
        raise NotFound() from None
    if upload.status == "deleted":
        raise NotFound()
    return upload


def delete_upload(principal: Principal, upload_id: str) -> Upload:
    """Delete the object, then mark the upload deleted and drop it from the owner's list.

    S3 first: DeleteObject is idempotent, so a retry after a failure in between finishes
    the job, whereas the other order could leave an object no record points at.
    """
    upload = get_upload(upload_id)
    ensure_owner(principal, upload.owner_id)
    _delete_object(upload.object_key)
    before = {"status": upload.status}
    with WriteTransaction() as tx:
        tx.update(upload, [Upload.status.set("deleted"), Upload.gsi1pk.remove(), Upload.gsi1sk.remove(),
                           Upload.updated_at.set(utc_now())],
                  Upload.status != "deleted", label="upload")  # fmt: skip
        audit.record(principal.actor, "upload.delete", "upload", upload_id, tx=tx, before=before,
                     after={"status": "deleted"})  # fmt: skip
    upload.status = "deleted"
    return upload


def _delete_object(key: str) -> None:
    # Deferred for cold start, like boto3 in _s3.
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        s3_client().delete_object(Bucket=get_settings().uploads_bucket, Key=key)
    except (BotoCoreError, ClientError) as exc:
        logger.warning("s3 delete failed", extra={"error_type": type(exc).__name__})
        raise UpstreamError("The file could not be deleted; retry.") from exc


def _head(key: str) -> dict[str, Any] | None:
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


def claim_uploads(owner_id: str, upload_ids: list[str], purposes: Collection[str], *,
                  field: str = "uploadIds") -> list[Upload]:  # fmt: skip
    """Check uploads someone is about to use and confirm their files arrived.

    Parameters
    ----------
    owner_id
        Whose uploads they must be (the store or product owner, the user).
    upload_ids
        The ids the client sent, in its order; duplicates are ignored.
    purposes
        Purposes acceptable here, e.g. ``{"store_document"}``.
    field
        The request field to name in errors, e.g. ``"documentUploadIds"``.

    Returns
    -------
    list[Upload]
        The uploads, in the order given, all ``ready``.

    Raises
    ------
    ValidationFailed
        400 naming ``field``: an id unknown, deleted, someone else's, of the wrong purpose,
        or whose file was never uploaded (or does not match what was presigned).

    Notes
    -----
    One BatchGetItem for the ids, then one HeadObject per still-pending upload (the
    first use confirms it; later uses cost nothing). Another user's upload is reported
    exactly like an unknown id, so ids cannot be probed.
    """
    ids = list(dict.fromkeys(upload_ids))
    if len(ids) > MAX_CLAIM:
        raise ValidationFailed.field(field, f"At most {MAX_CLAIM} uploads.")
    if not ids:
        return []
    found = {u.upload_id: u for u in Upload.batch_get([(keys.upload(i), keys.upload(i)) for i in ids])}
    uploads: list[Upload] = []
    for upload_id in ids:
        upload = found.get(upload_id)
        if upload is None or upload.owner_id != owner_id or upload.status == "deleted":
            raise ValidationFailed.field(field, f"Upload {upload_id} does not exist.")
        if upload.purpose not in purposes:
            raise ValidationFailed.field(field, f"Upload {upload_id} is a {upload.purpose}, not usable here.")
        uploads.append(upload)
    for upload in uploads:
        if upload.status == "pending":
            _confirm(upload, field)
    return uploads


def _confirm(upload: Upload, field: str) -> None:
    """pending → ready once S3 holds a file that fits the rule it was presigned with."""
    head = _head(upload.object_key)
    if head is None:
        raise ValidationFailed.field(field, f"Upload {upload.upload_id} has no file yet: upload it first.")
    rule = RULES[upload.purpose]
    size = int(head.get("ContentLength", 0))
    content_type = str(head.get("ContentType", "")).lower()
    # S3 enforced the policy already; this catches a file that reached the key another way.
    if size > rule.max_size or content_type != upload.content_type:
        raise ValidationFailed.field(field, f"Upload {upload.upload_id} does not match its declared type or size.")
    try:
        upload.update(actions=[Upload.status.set("ready"), Upload.size.set(size), Upload.updated_at.set(utc_now())],
                      condition=Upload.status == "pending")  # fmt: skip
    except UpdateError as exc:
        # Claimed at the same moment by another request (ready already) or deleted meanwhile.
        if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        current = Upload.get(upload.pk, upload.sk, consistent_read=True)
        if current.status != "ready":
            raise ValidationFailed.field(field, f"Upload {upload.upload_id} does not exist.") from None
    upload.status = "ready"
    upload.size = size
