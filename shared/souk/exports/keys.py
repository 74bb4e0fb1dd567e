"""Exports: the key values of its items, one function per key (``docs/access-patterns.md``).

| pattern | key |
|---|---|
| an export job | pk EXPORT#<id>, sk EXPORT |
| a user's export jobs, newest first (one Query) | gsi1 USER_EXPORTS#<userId> / <createdAt>#<id> |
"""

from __future__ import annotations

from souk.db.keys import join

EXPORT_SK = "EXPORT"


def export(export_id: str) -> str:
    return join("EXPORT", export_id)


def user_exports(user_id: str) -> str:
    return join("USER_EXPORTS", user_id)


def object_key(owner_id: str, export_id: str, extension: str) -> str:
    """The S3 key of the file: ids only, nothing the client typed."""
    return f"exports/{owner_id}/{export_id}.{extension}"
