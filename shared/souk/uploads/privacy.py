"""Uploads' privacy hook (souk.privacy): the user's files are deleted from S3 and their items marked
``deleted`` (out of the owner's list, the filename removed).

Export: the owner's list (gsi1 ``USER#<id>#UPLOADS``: live uploads; metadata, not the files), a page a
call. Erase: the first page of that list each call (deleted uploads leave it): DeleteObject per file
(deleting a missing object succeeds), then the item; a crash between the two repeats the delete.
"""

from __future__ import annotations

from typing import Any

from souk.db import personal
from souk.db.base import utc_now
from souk.uploads import store
from souk.uploads.models import Upload

ORDER = 80


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    _, last_key = personal.position(cursor)
    found, more = store.owner_page(user_id, limit=personal.PAGE, last_key=last_key)
    return [personal.row("upload", u) for u in found], personal.cursor("uploads", more) if more else None


def erase(user_id: str, cursor: str | None) -> str | None:
    found, more = store.owner_page(user_id, limit=personal.PAGE, last_key=None)
    for upload in found:
        store.delete_object(upload.object_key)
        upload.update(actions=[Upload.status.set("deleted"), Upload.filename.set("deleted"), Upload.gsi1pk.remove(),
                               Upload.gsi1sk.remove(), Upload.updated_at.set(utc_now())])  # fmt: skip
    return personal.cursor("uploads", None) if more else None
