"""Invites: one item per (team, email), found by the sha256 of its token through gsi1.

The put is conditional on no live invite for the (team, email) key: one pending invite per
team and email. Resending rewrites the token hash (and gsi1pk) of the same item, so the old
token finds nothing. Accepting deletes the item conditional on the token hash and expiry, in
the membership's transaction (:func:`souk.teams.store.teams.add_member`): used once.

Seats: a new invite takes one (the team's ``seats`` + 1 on the plan's limit, in the put's
transaction), resending takes none, revoking a live one gives it back; see
:mod:`souk.teams.store.teams`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist

from souk.db.base import utc_now
from souk.db.paging import encode_cursor, one_page
from souk.db.transactions import WriteTransaction
from souk.teams import keys
from souk.teams.models import Invite, Team
from souk.teams.store.teams import TEAM_LABEL, counter_actions, live, release_seat, seat_condition, start_in

if TYPE_CHECKING:
    from souk.audit.models import AuditRecord

INVITE_LABEL = "invite"


def new_invite(invite_id: str, team_id: str, email: str, role: str, token_hash: str, invited_by: str,
               valid_until: datetime) -> Invite:  # fmt: skip
    now = utc_now()
    return Invite(pk=keys.team(team_id), sk=keys.invite(email), gsi1pk=keys.invite_token(token_hash), gsi1sk="INVITE",
                  invite_id=invite_id, team_id=team_id, email=email.lower(), role=role, token_hash=token_hash,
                  invited_by=invited_by, valid_until=valid_until, expires_at=valid_until, created_at=now,
                  updated_at=now)  # fmt: skip


def put_new(invite: Invite, team: Team, limit: int | None, record: AuditRecord) -> None:
    """A new invite, unless a live one holds the (team, email) key (fails on :data:`INVITE_LABEL`), taking a
    seat: the team's ``seats`` + 1 while under ``limit`` (fails on :data:`~souk.teams.store.teams.TEAM_LABEL`).

    An expired invite it replaces may still hold a seat in the counter: counting one more is the safe
    side (the next recount frees it)."""
    with WriteTransaction() as tx:
        tx.put(invite, Invite.pk.does_not_exist() | (Invite.valid_until <= utc_now()), label=INVITE_LABEL)
        tx.update(team, counter_actions(seats=1), live() & seat_condition(limit),
                  label=TEAM_LABEL)  # fmt: skip
        tx.put(record, label=f"audit:{record.action}")


def revoke(invite: Invite, team: Team, record: AuditRecord) -> None:
    """Delete the pending invite as read (same token, not expired: else fails on :data:`INVITE_LABEL`) and
    give its seat back. An expired invite holds no seat once recounted, so it is never revoked."""
    with WriteTransaction() as tx:
        tx.delete(invite, (Invite.token_hash == invite.token_hash) & (Invite.valid_until > utc_now()),
                  label=INVITE_LABEL)  # fmt: skip
        tx.update(team, counter_actions(seats=release_seat(team)), live(),
                  label=TEAM_LABEL)  # fmt: skip
        tx.put(record, label=f"audit:{record.action}")


def rotate(invite: Invite, record: AuditRecord) -> None:
    """Resend: the live invite of the same (team, email) gets the new token, role and expiry."""
    with WriteTransaction() as tx:
        tx.update(invite, [Invite.token_hash.set(invite.token_hash), Invite.gsi1pk.set(invite.gsi1pk),
                           Invite.role.set(invite.role), Invite.valid_until.set(invite.valid_until),
                           Invite.expires_at.set(invite.valid_until), Invite.invited_by.set(invite.invited_by),
                           Invite.updated_at.set(utc_now())],
                  Invite.pk.exists(), label=INVITE_LABEL)  # fmt: skip
        tx.put(record, label=f"audit:{record.action}")


def get(team_id: str, email: str) -> Invite | None:
    try:
        return Invite.get(keys.team(team_id), keys.invite(email), consistent_read=True)
    except DoesNotExist:
        return None


def by_token_hash(token_hash: str) -> Invite | None:
    for invite in Invite.gsi1.query(keys.invite_token(token_hash), limit=1):
        if isinstance(invite, Invite):
            return invite
    return None


def expiries(team_id: str) -> list[datetime]:
    """When each of the team's invites (expired ones not yet deleted included) stops being valid: a
    consistent Query of its partition, for a recount of its seats."""
    found = Invite.query(keys.team(team_id), Invite.sk.startswith(keys.INVITE_PREFIX), consistent_read=True)
    return [i.valid_until for i in found if isinstance(i, Invite)]


def pending(team_id: str, limit: int, cursor: str | None) -> tuple[list[Invite], str | None]:
    """One page of the team's pending invites (by email): one Query of its partition, the expired ones (not
    yet deleted by the TTL) filtered out, so a page may come back short, with the cursor to go on."""
    partition = keys.team(team_id)
    start = start_in(cursor, team_id, keys.INVITE_PREFIX)
    result = Invite.query(partition, Invite.sk.startswith(keys.INVITE_PREFIX),
                          filter_condition=Invite.valid_until > utc_now(), page_size=limit,
                          last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Invite, result)
    return [i for i in found if isinstance(i, Invite)], encode_cursor(last_key)
