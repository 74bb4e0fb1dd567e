"""Reading users and shaping them for responses."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from souk.db import keys
from souk.http.errors import NotFound
from souk.identity.models import User
from souk.identity.schemas import UserOut


def get_user(user_id: str, *, consistent: bool = False) -> User:
    """The user, or 404 (deleted users are gone for everyone but the audit log)."""
    try:
        user = User.get(keys.user(user_id), keys.PROFILE, consistent_read=consistent)
    except DoesNotExist:
        raise NotFound() from None
    if user.status == "deleted":
        raise NotFound()
    return user


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
