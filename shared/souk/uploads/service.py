"""Uploads: presigned S3 POSTs whose policy enforces type and size, and claiming them for use.

The browser sends the file straight to S3; the API never proxies bytes. The presigned
POST's policy pins the exact ``Content-Type`` and a ``content-length-range`` per purpose,
so S3 itself refuses a 50 MB "avatar" or an HTML "product image".

An upload starts ``pending``. Features that use uploads (store documents, product images,
avatars) call :func:`claim_uploads`, which checks ownership and purpose and confirms on
first use that the object really is in S3 (HeadObject), turning it ``ready``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from souk.audit import service as audit
from souk.caller import ensure_owner
from souk.errors import NotFound, ValidationFailed
from souk.ids import new_id
from souk.uploads import store
from souk.uploads.models import Upload
from souk.uploads.schemas import CreateUploadRequest, PresignedUpload

if TYPE_CHECKING:
    from souk.caller import Principal

MB = 1024 * 1024
PRESIGN_SECONDS = 900  # long enough for a slow phone upload, short enough to be useless if leaked
MAX_CLAIM = 100  # one BatchGetItem holds at most 100 keys
_IMAGES = ("image/jpeg", "image/png", "image/webp")


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


# --- rules
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


def check_claims(found: dict[str, Upload], ids: list[str], owner_id: str, purposes: Collection[str], *,
                 field: str) -> list[Upload]:  # fmt: skip
    """The uploads of ``ids`` in order, if every one is the owner's, not deleted and of an accepted purpose.

    Another user's upload is reported exactly like an unknown id (400 naming ``field``), so ids
    cannot be probed.
    """
    uploads: list[Upload] = []
    for upload_id in ids:
        upload = found.get(upload_id)
        if upload is None or upload.owner_id != owner_id or upload.status == "deleted":
            raise ValidationFailed.field(field, f"Upload {upload_id} does not exist.")
        if upload.purpose not in purposes:
            raise ValidationFailed.field(field, f"Upload {upload_id} is a {upload.purpose}, not usable here.")
        uploads.append(upload)
    return uploads


def check_file(upload: Upload, head: dict[str, Any] | None, field: str) -> int:
    """The size of the file S3 holds for ``upload``, if it fits the rule the upload was presigned with (else 400)."""
    if head is None:
        raise ValidationFailed.field(field, f"Upload {upload.upload_id} has no file yet: upload it first.")
    rule = RULES[upload.purpose]
    size = int(head.get("ContentLength", 0))
    content_type = str(head.get("ContentType", "")).lower()
    # S3 enforced the policy already; this catches a file that reached the key another way.
    if size > rule.max_size or content_type != upload.content_type:
        raise ValidationFailed.field(field, f"Upload {upload.upload_id} does not match its declared type or size.")
    return size


# --- services
def create_upload(principal: Principal, request: CreateUploadRequest) -> PresignedUpload:
    """A pending Upload and the presigned POST that lets its owner send the file to S3."""
    rule = check_rule(request.purpose, request.content_type, request.size)
    upload_id = new_id()
    key = store.object_key(request.purpose, principal.user_id, upload_id)
    post = store.presign_post(key, request.content_type, rule.max_size, PRESIGN_SECONDS)
    upload = store.new_upload(upload_id, principal.user_id, purpose=request.purpose,
                              content_type=request.content_type, size=request.size, filename=request.filename,
                              key=key)  # fmt: skip
    after = {"purpose": request.purpose, "contentType": request.content_type, "size": request.size}
    store.insert(upload, audit.build_record(principal.actor, "upload.create", "upload", upload_id, after=after))
    return PresignedUpload(upload_id=upload_id, url=post["url"], fields=post["fields"],
                           expires_in=PRESIGN_SECONDS, max_size=rule.max_size)  # fmt: skip


def list_uploads(owner_id: str, *, limit: int, last_key: dict[str, Any] | None) -> tuple[list[Upload], dict | None]:
    """One page of the owner's uploads, newest first (one Query; deleted ones left the index)."""
    return store.owner_page(owner_id, limit=limit, last_key=last_key)


def get_upload(upload_id: str) -> Upload:
    """The upload, or 404 (deleted ones too)."""
    upload = store.get_upload(upload_id)
    if upload is None or upload.status == "deleted":
        raise NotFound()
    return upload


def delete_upload(principal: Principal, upload_id: str) -> Upload:
    """Delete the object, then mark the upload deleted and drop it from the owner's list.

    S3 first: DeleteObject is idempotent, so a retry after a failure in between finishes
    the job, whereas the other order could leave an object no record points at.
    """
    upload = get_upload(upload_id)
    ensure_owner(principal, upload.owner_id)
    store.delete_object(upload.object_key)
    record = audit.build_record(principal.actor, "upload.delete", "upload", upload_id,
                                before={"status": upload.status}, after={"status": "deleted"})  # fmt: skip
    store.mark_deleted(upload, record)
    upload.status = "deleted"
    return upload


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
    uploads = check_claims(store.get_uploads(ids), ids, owner_id, purposes, field=field)
    for upload in uploads:
        if upload.status == "pending":
            _confirm(upload, field)
    return uploads


def _confirm(upload: Upload, field: str) -> None:
    """pending → ready once S3 holds a file that fits the rule it was presigned with."""
    size = check_file(upload, store.head_object(upload.object_key), field)
    if not store.mark_ready(upload, size):
        # Claimed at the same moment by another request (ready already) or deleted meanwhile.
        current = store.get_upload(upload.upload_id, consistent=True)
        if current is None or current.status != "ready":
            raise ValidationFailed.field(field, f"Upload {upload.upload_id} does not exist.")
    upload.status = "ready"
    upload.size = size
