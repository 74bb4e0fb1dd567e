"""A user's public profile: bio, avatar, timezone and language, kept on the User item.

One GetItem to read; a replace is one conditional write on the version it read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.caller import ensure_owner
from souk.errors import Conflict
from souk.identity.schemas.profile import FIELDS, ProfileOut, profile_out
from souk.identity.service.user_admin import apply_user_changes, changed_fields, check_avatar
from souk.identity.service.users import get_user, owned_user

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.identity.schemas.profile import ProfileIn


def read_profile(principal: Principal, user_id: str) -> ProfileOut:
    """The caller's own profile, or anyone's for an admin."""
    ensure_owner(principal, user_id)
    return profile_out(get_user(user_id))


def replace_profile(principal: Principal, user_id: str, body: ProfileIn) -> ProfileOut:
    """Replace the profile, conditional on the version read (optimistic locking)."""
    user = owned_user(principal, user_id)
    changes = changed_fields(user, {name: (getattr(body, name) or None) for name in FIELDS})  # an empty bio is no bio
    if not changes:
        return profile_out(user)
    check_avatar(user, changes)
    apply_user_changes(principal, user, changes, action="profile.update",
                       conflict=lambda: Conflict("The profile changed at the same time; retry."))  # fmt: skip
    return profile_out(user)
