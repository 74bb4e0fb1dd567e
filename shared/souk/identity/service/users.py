"""Reading users: what the other domains need of identity (to email an owner or a customer),
and what every account route starts with.

Kept apart from :mod:`souk.identity.service.user_admin` (listing, updates, role, suspension,
deletion), so a function that only reads a user (the Stripe webhook, the cleanup job) loads
no API model and nothing that signs tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.caller import ensure_owner
from souk.errors import NotFound
from souk.identity.store import users as store

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.identity.models import User


def get_user(user_id: str, *, consistent: bool = False) -> User:
    """The user, or 404 (deleted users are gone for everyone but the audit log)."""
    user = store.load_user(user_id, consistent=consistent)
    if user is None or user.status == "deleted":
        raise NotFound()
    return user


def find_user_by_email(email: str) -> User | None:
    """Two GetItems: the email claim, then the user; None for a free address or a deleted user."""
    user_id = store.email_owner(email)
    if user_id is None:
        return None
    try:
        return get_user(user_id, consistent=True)
    except NotFound:
        return None


def owned_user(principal: Principal, user_id: str) -> User:
    """The user for an own-or-admin route; another user's id is 404 before any read."""
    ensure_owner(principal, user_id)
    return get_user(user_id, consistent=True)
