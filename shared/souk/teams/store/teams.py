"""Teams and memberships in the single table: every change of membership moves the team's counters.

The team item holds ``members`` and ``owners``. Adding, re-roling and removing a member are
one transaction each with the team's counters (ADD, commutative); one that takes an owner away
is conditional on ``owners > 1`` on the team item (:data:`TEAM_LABEL`), so two owners demoting
each other at once cannot both succeed. The membership write is conditional on the role read
(:data:`MEMBER_LABEL`), so the counters stay true to the memberships.

Seats: ``seats`` on the team item counts members and pending invites, and is never lower than they
are (the seat limit's invariant). What takes a seat ADDs 1 in its own transaction on
:func:`seat_condition` (``seats < limit``): a member added (:func:`add_member` with ``take_seat``)
and a new invite (:func:`souk.teams.store.invites.put_new`); two racing for the last seat, one
fails on :data:`TEAM_LABEL`. Accepting an invite makes its seat the member's (``seats`` unchanged);
removing a member and revoking a live invite ADD -1. An invite that expires keeps its seat in the
counter until :func:`recount` (run when the counter says the team is full, and once for a team
made before the counter) sets ``seats`` to the members and the invites not yet expired, on the
condition that ``seatVersion`` is what it read: every write that moves members or seats ADDs 1 to
it (:func:`counter_actions`), so any change between the read and the recount fails it (a change
that only nets out, a revoke then an invite, too), and only expiries can happen in between.

Deleting a team is two steps, and a crash between them loses nothing and leaves nothing reachable:

1. :func:`tombstone`, one transaction: the team item gets ``deletedAt`` and a ``ttl`` (it expires
   after :data:`TOMBSTONE_TTL`) and the audit record is written. Every write on the team is
   conditional on :func:`live`, so nothing joins or changes a deleted team; :func:`get_team`
   answers None for a tombstone (404 everywhere) and :func:`teams_by_id` leaves it out.
2. :func:`sweep`: the memberships and invites, in bounded batches (a Query page of
   :data:`SWEEP_PAGE` then one BatchWriteItem, at most :data:`SWEEP_PAGES` pages per request).

What a crash (or a team larger than the bound) leaves behind is unreachable, and is cleaned:
invites carry their own ``ttl`` (their expiry, 7 days) so DynamoDB removes them; a membership of a
deleted team is removed by :func:`forget` when its user lists their teams (the BatchGet shows the
team tombstoned or gone; bounded by the page), and an owner retrying the DELETE resumes the sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from souk.db.base import SoukItem, utc_now
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.db.transactions import WriteTransaction
from souk.errors import ValidationFailed
from souk.teams import keys
from souk.teams.models import Invite, Membership, Team
from souk.teams.rules import owner_delta

if TYPE_CHECKING:
    from souk.audit.models import AuditRecord

TEAM_LABEL = "team"
MEMBER_LABEL = "member"
ACTOR_LABEL = "actor"  # the caller's role, as read when they were allowed
TOMBSTONE_TTL = timedelta(days=30)
SWEEP_PAGE = 25  # one BatchWriteItem
SWEEP_PAGES = 40  # per request: 1,000 items


def live() -> Condition:
    """The team item exists and is not tombstoned: the condition of every write on a team."""
    return Team.pk.exists() & Team.deleted_at.does_not_exist()


def _check_actor(tx: WriteTransaction, actor: Membership | None, target: Membership | None = None) -> None:
    """The caller still holds the role they were allowed with (unless they act on themselves)."""
    if actor is not None and (target is None or actor.user_id != target.user_id):
        tx.check(Membership, actor.pk, actor.sk, Membership.role == actor.role, label=ACTOR_LABEL)


def get_team(team_id: str, *, tombstones: bool = False) -> Team | None:
    """The team; None if there is none or (unless ``tombstones``) it was deleted."""
    try:
        team = Team.get(keys.team(team_id), keys.TEAM_SK)
    except DoesNotExist:
        return None
    return team if tombstones or team.deleted_at is None else None


def get_membership(team_id: str, user_id: str) -> Membership | None:
    try:
        return Membership.get(keys.team(team_id), keys.member(user_id), consistent_read=True)
    except DoesNotExist:
        return None


def new_membership(team_id: str, user_id: str, role: str, name: str, email: str) -> Membership:
    now = utc_now()
    return Membership(pk=keys.team(team_id), sk=keys.member(user_id), gsi1pk=keys.user_teams(user_id),
                      gsi1sk=keys.team(team_id), team_id=team_id, user_id=user_id, role=role, name=name,
                      email=email, created_at=now, updated_at=now)  # fmt: skip


def create(team: Team, owner: Membership, record: AuditRecord) -> None:
    with WriteTransaction() as tx:
        tx.put(team, Team.pk.does_not_exist(), label=TEAM_LABEL)
        tx.put(owner, Membership.pk.does_not_exist(), label=MEMBER_LABEL)
        tx.put(record, label=f"audit:{record.action}")


def start_in(cursor: str | None, team_id: str, prefix: str) -> dict[str, Any] | None:
    """The start key of a cursor of one of the team's lists (its members, its invites) that must come from the
    list of ``prefix``: the partition holds both, and DynamoDB refuses a start key outside the sort key
    condition, so another list's cursor is a 400 here."""
    start = decode_cursor_for(cursor, "pk", keys.team(team_id))
    if start is not None and not str(start.get("sk", {}).get("S", "")).startswith(prefix):
        raise ValidationFailed.field("cursor", "The cursor belongs to another list; start again without it.")
    return start


def user_memberships(user_id: str, limit: int, cursor: str | None) -> tuple[list[Membership], str | None]:
    """One page of the user's memberships (one Query of gsi1, by team id) and the cursor to go on."""
    partition = keys.user_teams(user_id)
    start = decode_cursor_for(cursor, "gsi1pk", partition)
    result = Membership.gsi1.query(partition, page_size=limit, last_evaluated_key=start)
    found, last_key = one_page(Membership, result)
    return [m for m in found if isinstance(m, Membership)], encode_cursor(last_key)


def teams_by_id(team_ids: list[str]) -> dict[str, Team]:
    """The live teams among ``team_ids`` (one BatchGetItem; tombstones and missing teams left out)."""
    if not team_ids:
        return {}
    found = Team.batch_get([(keys.team(i), keys.TEAM_SK) for i in set(team_ids)])
    return {t.team_id: t for t in found if t.deleted_at is None}


def members(team_id: str, limit: int, cursor: str | None) -> tuple[list[Membership], str | None]:
    """One page of the team's members (one Query of its partition, by user id) and the cursor to go on."""
    partition = keys.team(team_id)
    start = start_in(cursor, team_id, keys.MEMBER_PREFIX)
    result = Membership.query(partition, Membership.sk.startswith(keys.MEMBER_PREFIX), page_size=limit,
                              last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Membership, result)
    return [m for m in found if isinstance(m, Membership)], encode_cursor(last_key)


def forget(memberships: list[Membership]) -> None:
    """Remove memberships of deleted teams (a crashed or unfinished sweep's leftovers): unconditional,
    the team is gone for good. Bounded by the list page that found them."""
    if not memberships:
        return
    with Membership.batch_write() as batch:
        for item in memberships:
            batch.delete(item)


def rename(team: Team, name: str, record: AuditRecord) -> None:
    with WriteTransaction() as tx:
        tx.update(team, [Team.name.set(name), Team.updated_at.set(utc_now())], live(), label=TEAM_LABEL)
        tx.put(record, label=f"audit:{record.action}")


def tombstone(team: Team, record: AuditRecord) -> None:
    """Step 1 of a delete: the team item becomes a tombstone (once: conditional on :func:`live`) with
    the audit record, in one transaction. From here the team is gone for every read and write."""
    now = utc_now()
    with WriteTransaction() as tx:
        tx.update(team, [Team.deleted_at.set(now), Team.expires_at.set(now + TOMBSTONE_TTL), Team.updated_at.set(now)],
                  live(), label=TEAM_LABEL)  # fmt: skip
        tx.put(record, label=f"audit:{record.action}")


def sweep(team_id: str, *, pages: int = SWEEP_PAGES) -> bool:
    """Step 2 of a delete: the memberships and invites of a tombstoned team, at most ``pages`` pages of
    :data:`SWEEP_PAGE` (one Query and one BatchWriteItem each). True when the partition holds only the tombstone."""
    start: dict[str, Any] | None = None
    for _ in range(pages):
        result = SoukItem.query(keys.team(team_id), page_size=SWEEP_PAGE, last_evaluated_key=start)
        found, start = one_page(SoukItem, result)
        doomed = [item for item in found if isinstance(item, (Membership, Invite))]
        if doomed:
            with SoukItem.batch_write() as batch:
                for item in doomed:
                    batch.delete(item)
        if start is None:
            return True
    return False


def counter_actions(member_delta: int = 0, owners: int = 0, seats: int = 0) -> list[Action]:
    """The team item's update of a change of members, owners or seats (``seatVersion`` + 1 always)."""
    actions: list[Action] = [Team.updated_at.set(utc_now()), Team.seat_version.add(1)]
    if member_delta:
        actions.append(Team.members.add(member_delta))
    if owners:
        actions.append(Team.owners.add(owners))
    if seats:
        actions.append(Team.seats.add(seats))
    return actions


def seat_condition(limit: int | None) -> Condition:
    """Taking a seat: one is left under ``limit`` (``None``: unlimited, the counter must only exist, so
    an ADD never starts it from nothing)."""
    return Team.seats.exists() if limit is None else Team.seats < limit


def release_seat(team: Team) -> int:
    """The ``seats`` delta of giving a seat back: -1, or 0 for a team not counted yet (its recount will)."""
    return -1 if team.seats is not None else 0


def recount(team: Team, seats: int) -> None:
    """Set the team's ``seats`` to ``seats`` (counted after ``team`` was read), conditional on its
    ``seatVersion`` being as read and the team live: fails on :data:`TEAM_LABEL` otherwise."""
    version = team.seat_version
    same = Team.seat_version.does_not_exist() if version is None else Team.seat_version == int(version)
    with WriteTransaction() as tx:
        tx.update(team, [Team.seats.set(seats)], live() & same, label=TEAM_LABEL)


def _team_condition(old_role: str | None, new_role: str | None) -> Condition:
    if old_role == "owner" and new_role != "owner":
        return live() & (Team.owners > 1)
    return live()


def add_member(team: Team, member: Membership, record: AuditRecord, *, actor: Membership | None = None,
               invite: Invite | None = None, token_hash: str | None = None, take_seat: bool = False,
               limit: int | None = None) -> None:  # fmt: skip
    """The membership (a second fails on :data:`MEMBER_LABEL`), the counters, the audit record, and
    with ``invite`` its deletion conditional on the token (single use: a second accept fails on ``invite``).

    ``take_seat`` (a member added directly): ``seats`` + 1 on :func:`seat_condition` of ``limit`` (the
    last seat taken meanwhile fails on :data:`TEAM_LABEL`). An accepted invite's seat becomes the member's."""
    condition = _team_condition(None, member.role)
    if take_seat:
        condition = condition & seat_condition(limit)
    with WriteTransaction() as tx:
        _check_actor(tx, actor)
        tx.put(member, Membership.pk.does_not_exist(), label=MEMBER_LABEL)
        tx.update(team, counter_actions(1, owner_delta(None, member.role), 1 if take_seat else 0), condition,
                  label=TEAM_LABEL)  # fmt: skip
        if invite is not None:
            tx.delete(invite, (Invite.token_hash == token_hash) & (Invite.valid_until > utc_now()), label="invite")
        tx.put(record, label=f"audit:{record.action}")


def change_role(team: Team, actor: Membership, member: Membership, new_role: str, record: AuditRecord) -> None:
    with WriteTransaction() as tx:
        _check_actor(tx, actor, member)
        tx.update(member, [Membership.role.set(new_role), Membership.updated_at.set(utc_now())],
                  Membership.role == member.role, label=MEMBER_LABEL)  # fmt: skip
        tx.update(team, counter_actions(0, owner_delta(member.role, new_role)), _team_condition(member.role, new_role),
                  label=TEAM_LABEL)  # fmt: skip
        tx.put(record, label=f"audit:{record.action}")


def remove_member(team: Team, actor: Membership, member: Membership, record: AuditRecord, *,
                  also: Callable[[WriteTransaction], object] | None = None) -> None:  # fmt: skip
    """The membership, the counters and the audit record; ``also`` adds the rest of the removal to the
    same transaction (the member's team API keys: :mod:`souk.teams.service.members`)."""
    with WriteTransaction() as tx:
        if also is not None:
            also(tx)
        _check_actor(tx, actor, member)
        tx.delete(member, Membership.role == member.role, label=MEMBER_LABEL)
        tx.update(team, counter_actions(-1, owner_delta(member.role, None), release_seat(team)),
                  _team_condition(member.role, None), label=TEAM_LABEL)  # fmt: skip
        tx.put(record, label=f"audit:{record.action}")
