"""Uploads: the key values of its items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.uploads.models`; ``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from souk.db.keys import join


def upload(upload_id: str) -> str:
    return join("UPLOAD", upload_id)


def user_uploads(user_id: str) -> str:
    return join("USER", user_id, "UPLOADS")
