"""Teams and memberships in the single table: every change of membership moves the team's counters.

The team item holds ``members`` and ``owners``. Adding, re-roling and removing a member are
one transaction each with the team's counters (ADD, commutative); one that takes an owner away
is conditional on ``owners > 1`` on the team item (:data:`TEAM_LABEL`), so two owners demoting
each other at once cannot both succeed. The membership write is conditional on the role read
(:data:`MEMBER_LABEL`), so the counters stay true to the memberships.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from souk.db.base import SoukItem, utc_now
from souk.db.transactions import WriteTransaction
from souk.teams import keys
from souk.teams.models import Invite, Membership, Team
from souk.teams.rules import owner_delta

if TYPE_CHECKING:
    from souk.audit.models import AuditRecord

TEAM_LABEL = "team"
MEMBER_LABEL = "member"
ACTOR_LABEL = "actor"  # the caller's role, as read when they were allowed


def _check_actor(tx: WriteTransaction, actor: Membership | None, target: Membership | None = None) -> None:
    """The caller still holds the role they were allowed with (unless they act on themselves)."""
    if actor is not None and (target is None or actor.user_id != target.user_id):
        tx.check(Membership, actor.pk, actor.sk, Membership.role == actor.role, label=ACTOR_LABEL)


def get_team(team_id: str) -> Team | None:
    try:
        return Team.get(keys.team(team_id), keys.TEAM_SK)
    except DoesNotExist:
        return None


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


def user_memberships(user_id: str) -> list[Membership]:
    """The user's memberships: one Query of gsi1 (a user is in few teams; pages followed)."""
    return list(Membership.gsi1.query(keys.user_teams(user_id)))


def teams_by_id(team_ids: list[str]) -> dict[str, Team]:
    if not team_ids:
        return {}
    found = Team.batch_get([(keys.team(i), keys.TEAM_SK) for i in team_ids])
    return {t.team_id: t for t in found}


def members(team_id: str) -> list[Membership]:
    """The team's members: one Query of its partition (pages followed)."""
    return list(Membership.query(keys.team(team_id), Membership.sk.startswith(keys.MEMBER_PREFIX)))


def rename(team: Team, name: str, record: AuditRecord) -> None:
    with WriteTransaction() as tx:
        tx.update(team, [Team.name.set(name), Team.updated_at.set(utc_now())], Team.pk.exists(), label=TEAM_LABEL)
        tx.put(record, label=f"audit:{record.action}")


def delete(team: Team, record: AuditRecord) -> None:
    """The team item (conditional: once) and the audit record, then its members and invites in batches."""
    with WriteTransaction() as tx:
        tx.delete(team, Team.pk.exists(), label=TEAM_LABEL)
        tx.put(record, label=f"audit:{record.action}")
    with SoukItem.batch_write() as batch:
        for item in SoukItem.query(keys.team(team.team_id)):
            batch.delete(item)


def _team_actions(member_delta: int, owners: int) -> list[Action]:
    actions: list[Action] = [Team.updated_at.set(utc_now())]
    if member_delta:
        actions.append(Team.members.add(member_delta))
    if owners:
        actions.append(Team.owners.add(owners))
    return actions


def _team_condition(old_role: str | None, new_role: str | None) -> Condition:
    if old_role == "owner" and new_role != "owner":
        return Team.pk.exists() & (Team.owners > 1)
    return Team.pk.exists()


def add_member(team: Team, member: Membership, record: AuditRecord, *, actor: Membership | None = None,
               invite: Invite | None = None, token_hash: str | None = None) -> None:  # fmt: skip
    """The membership (a second fails on :data:`MEMBER_LABEL`), the counters, the audit record, and
    with ``invite`` its deletion conditional on the token (single use: a second accept fails on ``invite``)."""
    with WriteTransaction() as tx:
        _check_actor(tx, actor)
        tx.put(member, Membership.pk.does_not_exist(), label=MEMBER_LABEL)
        tx.update(team, _team_actions(1, owner_delta(None, member.role)), _team_condition(None, member.role),
                  label=TEAM_LABEL)  # fmt: skip
        if invite is not None:
            tx.delete(invite, (Invite.token_hash == token_hash) & (Invite.valid_until > utc_now()), label="invite")
        tx.put(record, label=f"audit:{record.action}")


def change_role(team: Team, actor: Membership, member: Membership, new_role: str, record: AuditRecord) -> None:
    with WriteTransaction() as tx:
        _check_actor(tx, actor, member)
        tx.update(member, [Membership.role.set(new_role), Membership.updated_at.set(utc_now())],
                  Membership.role == member.role, label=MEMBER_LABEL)  # fmt: skip
        tx.update(team, _team_actions(0, owner_delta(member.role, new_role)), _team_condition(member.role, new_role),
                  label=TEAM_LABEL)  # fmt: skip
        tx.put(record, label=f"audit:{record.action}")


def remove_member(team: Team, actor: Membership, member: Membership, record: AuditRecord) -> None:
    with WriteTransaction() as tx:
        _check_actor(tx, actor, member)
        tx.delete(member, Membership.role == member.role, label=MEMBER_LABEL)
        tx.update(team, _team_actions(-1, owner_delta(member.role, None)), _team_condition(member.role, None),
                  label=TEAM_LABEL)  # fmt: skip
        tx.put(record, label=f"audit:{record.action}")
