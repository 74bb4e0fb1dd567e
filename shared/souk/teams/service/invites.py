"""Invites: an admin or owner invites an email with a role; the invitee accepts with the emailed token.

The token is random (256 bits), emailed once and stored only as its sha256. It is valid 7 days,
once, and only for the account with the invited email (another account: 403). One pending
invite per team and email: inviting the same email again (resending) rotates the token of the
same item, so the old token no longer works. Accepting adds the membership and deletes the
invite in one transaction conditional on the token: two accepts at once make one membership.

Seats: a new invite takes one (``seats`` + 1 on the plan's limit in the put's transaction; of
invites racing for the last seat one gets it, the others read again and get 403); resending takes
none; accepting makes it the member's; revoking gives it back (:func:`revoke`), and an expired
invite's seat comes back at the team's next recount (:func:`souk.teams.service.members.reserve_seat`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.db.base import utc_now
from souk.db.transactions import Retry, TransactionCancelled, retry_on_contention
from souk.errors import Conflict, DuplicateEntry, Forbidden, NotFound
from souk.identity.service.users import get_user
from souk.ids import new_id
from souk.notify.exceptions import NotificationError
from souk.notify.service import enqueue_email
from souk.observability import logger
from souk.schema import PageQuery
from souk.settings import get_settings
from souk.teams import keys, rules
from souk.teams.models import Invite
from souk.teams.schemas import DeletedOut, InviteIn, InviteOut, TeamOut, invite_out, team_out
from souk.teams.service.members import reserve_seat
from souk.teams.service.teams import load
from souk.teams.store import invites as store
from souk.teams.store import teams as team_store

if TYPE_CHECKING:
    from datetime import datetime

    from souk.caller import Principal

MAX_ATTEMPTS = 5
INVALID = "This invite is not valid (unknown, used, replaced or expired)."


def _busy() -> Exception:
    return Conflict("The team is changing right now; retry.", headers={"Retry-After": "1"})


def invite(principal: Principal, team_id: str, body: InviteIn) -> InviteOut:
    """Create the (team, email) invite, taking a seat, or rotate the token of the pending one; email the token."""
    email = str(body.email).lower()

    def attempt() -> tuple[Invite, str, str]:
        team, membership = load(team_id, principal)
        rules.check_grant(membership.role, body.role)
        token, token_hash = rules.new_invite_token()
        valid_until = rules.invite_valid_until(utc_now())
        existing = store.get(team_id, email)
        if existing is not None and rules.invite_live(existing.valid_until, utc_now()):
            return _resend(principal, existing, body.role, token_hash, valid_until), token, team.name
        limit = reserve_seat(team)
        fresh = store.new_invite(new_id(), team_id, email, body.role, token_hash, principal.user_id, valid_until)
        record = audit.build_record(principal.actor, "team.invite", "team", team_id,
                                    after={"email": email, "role": body.role, "inviteId": fresh.invite_id})  # fmt: skip
        try:
            store.put_new(fresh, team, limit, record)
        except TransactionCancelled as cancelled:
            failed = cancelled.failed()
            if store.INVITE_LABEL in failed:
                raise Conflict("An invite for this email was just sent; retry to resend it.") from None
            if team_store.TEAM_LABEL in failed:  # the last seat taken (or the team deleted) meanwhile: read again
                raise Retry from None
            raise
        return fresh, token, team.name

    sent, token, team_name = retry_on_contention(attempt, attempts=MAX_ATTEMPTS, exhausted=_busy)
    _email(sent, token, team_name, principal.user_id)
    return invite_out(sent)


def _resend(principal: Principal, existing: Invite, role: str, token_hash: str, valid_until: datetime) -> Invite:
    """The pending invite gets the new token, role and expiry (its seat is already held)."""
    existing.token_hash, existing.gsi1pk, existing.role = token_hash, keys.invite_token(token_hash), role
    existing.valid_until, existing.invited_by = valid_until, principal.user_id
    record = audit.build_record(principal.actor, "team.invite", "team", existing.team_id,
                                after={"email": existing.email, "role": role, "inviteId": existing.invite_id,
                                       "resent": True})  # fmt: skip
    try:
        store.rotate(existing, record)
    except TransactionCancelled as cancelled:
        if store.INVITE_LABEL in cancelled.failed():  # accepted or deleted meanwhile
            raise Conflict("The invite changed meanwhile; retry.") from None
        raise
    return existing


def list_pending(principal: Principal, team_id: str, query: PageQuery) -> tuple[list[InviteOut], str | None]:
    """A page of the team's pending invites (admins and owners; by email, expired ones left out): the
    caller's membership, the team, one Query page. Never the token nor its hash."""
    _, membership = load(team_id, principal)
    rules.check_manage_invites(membership.role)
    found, cursor = store.pending(team_id, query.limit, query.cursor)
    return [invite_out(i) for i in found], cursor


def revoke(principal: Principal, team_id: str, email: str) -> DeletedOut:
    """Withdraw the pending invite of ``email`` (admins and owners; an owner invite, owners only), giving
    its seat back; 404 when none is pending (unknown, accepted, revoked or expired)."""

    def attempt() -> DeletedOut:
        team, membership = load(team_id, principal)
        rules.check_manage_invites(membership.role)  # before the read: a member learns nothing of the invites
        found = store.get(team_id, email)
        if found is None or not rules.invite_live(found.valid_until, utc_now()):
            raise NotFound("No pending invite for this email.")
        rules.check_grant(membership.role, found.role)
        record = audit.build_record(principal.actor, "team.invite_revoke", "team", team_id,
                                    before={"email": found.email, "role": found.role,
                                            "inviteId": found.invite_id})  # fmt: skip
        try:
            store.revoke(found, team, record)
        except TransactionCancelled as cancelled:
            failed = cancelled.failed()
            if store.INVITE_LABEL in failed or team_store.TEAM_LABEL in failed:  # resent, accepted or gone
                raise Retry from None
            raise
        return DeletedOut(id=found.invite_id)

    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS, exhausted=_busy)


def _email(sent: Invite, token: str, team_name: str, inviter_id: str) -> None:
    """Best effort after the commit: when it cannot be queued, resending rotates the token and tries again."""
    try:
        inviter = get_user(inviter_id).name
    except NotFound:
        inviter = "A team admin"
    accept_url = f"{get_settings().app_url.rstrip('/')}/invites/{token}"
    variables = {"inviter_name": inviter, "team_name": team_name, "role": sent.role, "accept_url": accept_url,
                 "token": token}  # fmt: skip
    try:
        enqueue_email("team_invite", sent.email, variables, idempotency_id=f"team-invite:{sent.token_hash}")
    except NotificationError as exc:
        logger.warning("invite email not queued", extra={"team_id": sent.team_id, "invite_id": sent.invite_id,
                                                         "error_type": type(exc).__name__})  # fmt: skip


def accept(principal: Principal, token: str) -> TeamOut:
    """Join the team of the invite with its role: 404 for an unknown/used/expired token, 403 for another email."""
    token_hash = rules.token_hash(token)

    def attempt() -> TeamOut:
        found = store.by_token_hash(token_hash)
        if found is None or not rules.invite_live(found.valid_until, utc_now()):
            raise NotFound(INVALID)
        user = get_user(principal.user_id)
        if not rules.same_email(user.email, found.email):
            raise Forbidden("This invite is for another email address.")
        team = team_store.get_team(found.team_id)
        if team is None:
            raise NotFound(INVALID)
        member = team_store.new_membership(team.team_id, user.user_id, found.role, user.name, user.email)
        record = audit.build_record(principal.actor, "team.invite_accept", "team", team.team_id,
                                    after={"userId": user.user_id, "role": found.role,
                                           "inviteId": found.invite_id})  # fmt: skip
        try:
            team_store.add_member(team, member, record, invite=found, token_hash=token_hash)
        except TransactionCancelled as cancelled:
            failed = cancelled.failed()
            if store.INVITE_LABEL in failed:
                raise NotFound(INVALID) from None
            if team_store.MEMBER_LABEL in failed:
                raise DuplicateEntry("You are already a member of this team.") from None
            if team_store.TEAM_LABEL in failed:
                raise NotFound(INVALID) from None
            raise
        team.members = int(team.members or 0) + 1
        return team_out(team, found.role)

    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS, exhausted=_busy)
