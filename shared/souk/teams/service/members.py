"""Members: added (an existing user), re-roled and removed by the team's admins and owners.

The team always keeps an owner: the change that would take the last one away fails on the
``owners > 1`` condition of the team item in its own transaction (409), whoever races.

Seats (members and pending invites, at most the plan's ``teamMembers``): a member added takes one in
its transaction on the condition ``seats < limit`` (:func:`reserve_seat` decides the limit first);
removing one gives it back. See :mod:`souk.teams.store.teams`.

API keys: a key created for a team (``teamId``, :mod:`souk.teams.service.api_keys`) is revoked when
its creator leaves the team or is removed, in :func:`remove_member`'s own transaction: one Query of the
member's keys (a user has at most 10 active ones) finds those of this team, and the transaction revokes
each (audited ``api_key.revoke``, reason ``member_left`` or ``member_removed``) and counts them off the
member's and the team's key counters, on the condition that the member's counter is as read (a key
created meanwhile cancels it: the attempt reads again). Their personal keys and the other members'
keys of the team are untouched. Deleting the team revokes all its keys (:mod:`souk.teams.service.teams`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.db.base import utc_now
from souk.db.transactions import Retry, TransactionCancelled, retry_on_contention
from souk.errors import Conflict, DuplicateEntry, NotFound
from souk.identity.service import api_keys
from souk.identity.service.users import get_user
from souk.plans.service import entitlements
from souk.teams import rules
from souk.teams.models import Membership, Team
from souk.teams.schemas import DeletedOut, MemberIn, MemberOut, MemberRoleIn, member_out
from souk.teams.service.teams import load, seat_limit
from souk.teams.store import invites as invite_store
from souk.teams.store import teams as store

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.db.transactions import WriteTransaction

MAX_ATTEMPTS = 5
CHANGED = "The member changed meanwhile; read the team again and retry."


def reserve_seat(team: Team) -> int | None:
    """The plan's seat limit for a write that takes a seat (its transaction ADDs 1 to ``seats`` on
    ``seats < limit``, so the limit holds whoever races); 403 naming ``teamMembers`` when none is left.

    A team whose seats were never counted (made before the counter) is counted first; one the counter
    says is full is recounted before the 403 (an expired invite gives its seat back there). A recount
    that lost a race to another change raises :class:`Retry` (the attempt reads again).
    """
    limit, plan = seat_limit(team)
    if team.seats is None or not rules.seats_left(limit, int(team.seats)):
        team.seats = recount(team)
        if not rules.seats_left(limit, team.seats):
            raise entitlements.limit_reached("teamMembers", int(limit or 0), plan)
    return limit


def recount(team: Team) -> int:
    """Members and invites not expired, written to the team's ``seats`` when it differs (conditional on
    nothing having moved them since ``team`` was read: else :class:`Retry`)."""
    seats = rules.count_seats(int(team.members or 0), invite_store.expiries(team.team_id), utc_now())
    if team.seats is None or seats != int(team.seats):
        try:
            store.recount(team, seats)
        except TransactionCancelled as cancelled:
            if store.TEAM_LABEL in cancelled.failed():
                raise Retry from None
            raise
    return seats


def _failed(cancelled: TransactionCancelled, *, owner_change: bool) -> Exception:
    failed = cancelled.failed()
    if store.MEMBER_LABEL in failed or store.ACTOR_LABEL in failed:
        return Conflict(CHANGED)
    if store.TEAM_LABEL in failed:
        return Conflict(rules.LAST_OWNER) if owner_change else NotFound("No such team.")
    return cancelled


def add_member(principal: Principal, team_id: str, body: MemberIn) -> MemberOut:
    def attempt() -> MemberOut:
        team, membership = load(team_id, principal)
        rules.check_grant(membership.role, body.role)
        try:
            user = get_user(body.user_id)
        except NotFound:
            raise NotFound("No such user.") from None
        limit = reserve_seat(team)
        member = store.new_membership(team_id, user.user_id, body.role, user.name, user.email)
        record = audit.build_record(principal.actor, "team.member_add", "team", team_id,
                                    after={"userId": user.user_id, "role": body.role})  # fmt: skip
        try:
            store.add_member(team, member, record, actor=membership, take_seat=True, limit=limit)
        except TransactionCancelled as cancelled:
            failed = cancelled.failed()
            if store.MEMBER_LABEL in failed:
                raise DuplicateEntry("The user is already a member of the team.") from None
            if store.TEAM_LABEL in failed:  # the last seat taken (or the team deleted) meanwhile: read again
                raise Retry from None
            raise _failed(cancelled, owner_change=False) from None
        return member_out(member)

    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS, exhausted=_busy)


def _busy() -> Exception:
    return Conflict("The team is changing right now; retry.", headers={"Retry-After": "1"})


def _load_pair(principal: Principal, team_id: str, user_id: str) -> tuple[Team, Membership, Membership]:
    team, membership = load(team_id, principal)
    target = membership if user_id == principal.user_id else store.get_membership(team_id, user_id)
    if target is None:
        raise NotFound("No such member.")
    return team, membership, target


def change_role(principal: Principal, team_id: str, user_id: str, body: MemberRoleIn) -> MemberOut:
    def attempt() -> MemberOut:
        team, membership, target = _load_pair(principal, team_id, user_id)
        rules.check_change(membership.role, principal.user_id, target.role, user_id, body.role)
        if target.role == body.role:
            return member_out(target)
        record = audit.build_record(principal.actor, "team.member_role", "team", team_id,
                                    before={"userId": user_id, "role": target.role},
                                    after={"userId": user_id, "role": body.role})  # fmt: skip
        try:
            store.change_role(team, membership, target, body.role, record)
        except TransactionCancelled as cancelled:
            raise _failed(cancelled, owner_change=rules.loses_owner(target.role, body.role)) from None
        target.role = body.role
        return member_out(target)

    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS, exhausted=_busy)


def remove_member(principal: Principal, team_id: str, user_id: str) -> DeletedOut:
    def attempt() -> DeletedOut:
        team, membership, target = _load_pair(principal, team_id, user_id)
        rules.check_remove(membership.role, principal.user_id, target.role, user_id)
        record = audit.build_record(principal.actor, "team.member_remove", "team", team_id,
                                    before={"userId": user_id, "role": target.role})  # fmt: skip
        reason = "member_left" if user_id == principal.user_id else "member_removed"

        def revoke_keys(tx: WriteTransaction) -> list[str]:
            return api_keys.revoke_member_team_keys(principal.actor, user_id, team_id, tx, reason=reason)

        try:
            store.remove_member(team, membership, target, record, also=revoke_keys)
        except TransactionCancelled as cancelled:
            if any(label == "ring" or label.startswith(("key:", "team_ring:")) for label in cancelled.failed()):
                raise Retry from None  # the member's keys changed meanwhile: read them again
            raise _failed(cancelled, owner_change=rules.loses_owner(target.role, None)) from None
        return DeletedOut(id=user_id)

    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS, exhausted=_busy)
