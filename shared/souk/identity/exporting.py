"""The ``users`` export type, admins only (:mod:`souk.registry`: ``SOURCES``).

Pages through :func:`souk.identity.service.user_admin.list_users` as ``GET /users`` does (gsi1 ``USERS``,
oldest first, deleted accounts left out); its signed cursor is saved on the job. No secret is a column
(no hashes, no MFA material).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.registry import Source

if TYPE_CHECKING:
    from souk.registry import ExportScope, Page

COLUMNS = ("id", "email", "name", "role", "status", "createdAt")


def page(scope: ExportScope, filters: dict[str, Any], cursor: str | None, limit: int) -> Page:
    # Deferred for cold start: POST /exports reads the declarations only; the worker reads the users.
    from souk.identity.schemas.users import UserListQuery
    from souk.identity.service.user_admin import list_users

    users, next_cursor = list_users(UserListQuery.model_validate({"limit": limit, "order": "asc", "cursor": cursor}))
    return [{"id": u.id, "email": u.email, "name": u.name, "role": u.role, "status": u.status,
             "createdAt": u.created_at.isoformat()} for u in users], next_cursor  # fmt: skip


SOURCES = {"users": Source(columns=COLUMNS, page=page)}
