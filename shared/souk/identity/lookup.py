"""Reading one user: what the other domains need of identity (to email an owner or a customer).

Apart from :mod:`souk.identity.users` (listing, updates, suspension, deletion), which
imports sessions and API keys to revoke them, and with them signed tokens (PyJWT and
cryptography, ~40 ms of a cold start): the Stripe webhook and the cleanup job read a
user to email them and need none of that.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from souk.db import keys
from souk.errors import NotFound
from souk.identity.models import User


def get_user(user_id: str, *, consistent: bool = False) -> User:
    """The user, or 404 (deleted users are gone for everyone but the audit log)."""
    try:
        user = User.get(keys.user(user_id), keys.PROFILE, consistent_read=consistent)
    except DoesNotExist:
        raise NotFound() from None
    if user.status == "deleted":
        raise NotFound()
    return user
