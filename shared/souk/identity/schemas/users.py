"""Users on the wire (camelCase): the account as the API shows it, the admin list's query, the PATCH body."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from souk.identity.models import User
from souk.schema import CamelModel, OneLine, PageQuery, PatchModel

UserStatus = Literal["pending_verification", "active", "suspended", "deleted"]
PlatformRole = Literal["customer", "store_owner", "courier", "admin"]
UPLOAD_ID = r"^[0-9A-Za-z_-]{1,64}$"


class UserOut(CamelModel):
    id: str
    email: str
    name: str
    phone: str | None = None
    role: str
    status: UserStatus
    mfa_enabled: bool = False
    avatar_upload_id: str | None = None
    created_at: datetime


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.user_id,
        email=user.email,
        name=user.name,
        phone=user.phone,
        role=user.role,
        status=user.status,  # type: ignore[arg-type]
        mfa_enabled=bool(user.mfa_enabled),
        avatar_upload_id=user.avatar_upload_id,
        created_at=user.created_at,
    )


class Deleted(CamelModel):
    """The answer to a DELETE: what was removed (or revoked)."""

    id: str
    deleted: bool = True


# --- the admin list
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=100)]


class UserListQuery(PageQuery):
    """Query string of GET /users. ``order`` defaults to newest first, or A→Z by name."""

    role: PlatformRole | None = None
    status: UserStatus | None = Field(None, description="Without it, deleted accounts are left out.")
    search: SearchText | None = Field(None, description="Case-insensitive prefix of the name or of the email.")
    sort: Literal["createdAt", "name"] = "createdAt"
    order: Literal["asc", "desc"] | None = None

    @property
    def ascending(self) -> bool:
        return (self.order or ("asc" if self.sort == "name" else "desc")) == "asc"

    def fingerprint(self) -> str:
        """Ties a cursor to the query that made it: reusing it with other filters is a 400, not a 500."""
        shape = [self.role, self.status, self.search, self.sort, self.ascending]
        return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:16]


# --- one user
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), OneLine]


class UserUpdate(PatchModel):
    """PATCH body: only the fields sent change; ``phone`` and ``avatarUploadId`` may be null to clear them."""

    not_nullable = ("name",)

    name: Name | None = None
    phone: str | None = Field(None, pattern=r"^\+[1-9]\d{6,14}$", description="E.164, e.g. +14155550123")
    avatar_upload_id: str | None = Field(None, pattern=UPLOAD_ID)


class StatusChange(CamelModel):
    status: Literal["active", "suspended"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None = None
