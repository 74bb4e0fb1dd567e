"""Identity request and response bodies (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import EmailStr, Field

from souk.identity.models import User
from souk.schema import CamelModel

SelfServiceRole = Literal["customer", "store_owner", "courier"]
UserStatus = Literal["pending_verification", "active", "suspended", "deleted"]


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


class TokenPair(CamelModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    user: UserOut


class EmailBody(CamelModel):
    email: EmailStr = Field(max_length=254)


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
