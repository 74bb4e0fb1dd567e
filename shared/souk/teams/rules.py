"""Who may do what in a team, the last-owner rule, and invite tokens: pure, no AWS.

Team roles rank ``owner > admin > member > viewer``. Any member reads the team and its
members; admins and owners manage members (an admin never touches an owner nor grants
owner); only an owner deletes the team. Anyone may leave. A change that takes the team's
last owner away is refused (409): :func:`loses_owner` says whether a change takes one away,
and the store conditions that change on ``owners > 1``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Literal

from souk.errors import Forbidden

TeamRole = Literal["owner", "admin", "member", "viewer"]
RANK: dict[str, int] = {"viewer": 0, "member": 1, "admin": 2, "owner": 3}
INVITE_TTL = timedelta(days=7)
LAST_OWNER = "A team keeps at least one owner: make another member an owner first."


def at_least(role: str, needed: str) -> bool:
    return RANK.get(role, -1) >= RANK[needed]


def check_manage_team(role: str) -> None:
    """Rename the team: admins and owners."""
    if not at_least(role, "admin"):
        raise Forbidden("Only the team's admins and owners can change it.")


def check_delete_team(role: str) -> None:
    if role != "owner":
        raise Forbidden("Only the team's owners can delete it.")


def check_grant(actor_role: str, new_role: str) -> None:
    """Add a member with ``new_role`` or invite one: admins grant up to admin, owners anything."""
    if not at_least(actor_role, "admin"):
        raise Forbidden("Only the team's admins and owners can manage members.")
    if new_role == "owner" and actor_role != "owner":
        raise Forbidden("Only an owner can make an owner.")


def check_manage_invites(role: str) -> None:
    """See a team's pending invites or revoke one: admins and owners (an owner invite: owners, by
    :func:`check_grant` on its role)."""
    if not at_least(role, "admin"):
        raise Forbidden("Only the team's admins and owners can manage its invites.")


def check_change(actor_role: str, actor_id: str, target_role: str, target_id: str, new_role: str) -> None:
    """Re-role a member: as :func:`check_grant`, and an admin never changes an owner."""
    if actor_id == target_id and RANK[new_role] <= RANK[actor_role]:
        return  # stepping down oneself (the last-owner rule still applies)
    check_grant(actor_role, new_role)
    if target_role == "owner" and actor_role != "owner":
        raise Forbidden("Only an owner can change an owner.")


def check_remove(actor_role: str, actor_id: str, target_role: str, target_id: str) -> None:
    """Remove a member: anyone may leave; otherwise admins and owners, an admin never removes an owner."""
    if actor_id == target_id:
        return
    if not at_least(actor_role, "admin"):
        raise Forbidden("Only the team's admins and owners can remove members.")
    if target_role == "owner" and actor_role != "owner":
        raise Forbidden("Only an owner can remove an owner.")


def loses_owner(old_role: str, new_role: str | None) -> bool:
    """Whether the change (``new_role`` None: removal) takes an owner away from the team."""
    return old_role == "owner" and new_role != "owner"


def owner_delta(old_role: str | None, new_role: str | None) -> int:
    return (1 if new_role == "owner" else 0) - (1 if old_role == "owner" else 0)


def new_invite_token() -> tuple[str, str]:
    """A fresh token (emailed, never stored) and its sha256 (stored)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_valid_until(now: datetime) -> datetime:
    return now + INVITE_TTL


def invite_live(valid_until: datetime, now: datetime) -> bool:
    return now < valid_until


def same_email(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def seats_left(limit: int | None, seats: int) -> bool:
    """Whether one more seat fits: ``seats`` counts members and pending invites; ``None`` is unlimited."""
    return limit is None or seats < limit


def count_seats(members: int, invites_valid_until: list[datetime], now: datetime) -> int:
    """The seats a team holds: its members and its invites still pending (not expired) at ``now``.

    What a recount writes to the team's ``seats`` counter (an expired invite frees its seat even
    before DynamoDB's TTL deletes the item)."""
    return members + sum(1 for until in invites_valid_until if invite_live(until, now))
