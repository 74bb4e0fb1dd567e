"""Teams: create (the caller is the owner), list one's own, read, rename and delete.

A non-member gets 404 for a team (never reveal that it exists); a member without the role 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.db.base import utc_now
from souk.db.transactions import TransactionCancelled
from souk.errors import NotFound
from souk.identity.service import api_keys
from souk.identity.service.users import get_user
from souk.ids import new_id
from souk.plans.service import entitlements
from souk.plans.service.entitlements import Subscriber
from souk.schema import PageQuery
from souk.teams import keys, rules
from souk.teams.models import Membership, Team
from souk.teams.schemas import DeletedOut, MemberOut, TeamIn, TeamOut, member_out, team_out
from souk.teams.store import teams as store

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.plans.catalog import Plan


def seat_limit(team: Team) -> tuple[int | None, Plan]:
    """The most members (pending invites included) the team's plan allows (``None``: unlimited), and the plan.

    From the team's cached entitlement (:func:`souk.plans.service.entitlements.current`, one GetItem,
    never Stripe): Free without a subscription. The one place the limit is read: adding a member and
    a new invite take a seat under it (:func:`souk.teams.service.members.reserve_seat`).
    """
    granted = entitlements.current(Subscriber("team", team.team_id))
    return granted.limit("teamMembers"), granted.plan


def load(team_id: str, principal: Principal) -> tuple[Team, Membership]:
    """The team and the caller's membership; 404 for a non-member or no such team."""
    membership = store.get_membership(team_id, principal.user_id)
    team = store.get_team(team_id) if membership is not None else None
    if membership is None or team is None:
        raise NotFound("No such team.")
    return team, membership


def create_team(principal: Principal, body: TeamIn) -> TeamOut:
    user = get_user(principal.user_id)
    team_id = new_id()
    now = utc_now()
    team = Team(pk=keys.team(team_id), sk=keys.TEAM_SK, team_id=team_id, name=body.name, created_by=user.user_id,
                members=1, owners=1, seats=1, created_at=now, updated_at=now)  # fmt: skip
    owner = store.new_membership(team_id, user.user_id, "owner", user.name, user.email)
    record = audit.build_record(principal.actor, "team.create", "team", team_id, after={"name": body.name})
    store.create(team, owner, record)
    return team_out(team, "owner")


def list_teams(principal: Principal, query: PageQuery) -> tuple[list[TeamOut], str | None]:
    """A page of the caller's teams (by team id): one Query of their memberships, one BatchGet of the teams.

    A membership whose team is tombstoned or gone (a delete's unfinished sweep) is left out and
    removed (:func:`souk.teams.store.teams.forget`); such a page may come back short, with its cursor.
    """
    memberships, cursor = store.user_memberships(principal.user_id, query.limit, query.cursor)
    teams = store.teams_by_id([m.team_id for m in memberships])
    store.forget([m for m in memberships if m.team_id not in teams])
    return [team_out(teams[m.team_id], m.role) for m in memberships if m.team_id in teams], cursor


def read_team(principal: Principal, team_id: str) -> TeamOut:
    team, membership = load(team_id, principal)
    return team_out(team, membership.role)


def list_members(principal: Principal, team_id: str, query: PageQuery) -> tuple[list[MemberOut], str | None]:
    """A page of the team's members (by user id): the caller's membership, the team, one Query page."""
    load(team_id, principal)
    found, cursor = store.members(team_id, query.limit, query.cursor)
    return [member_out(m) for m in found], cursor


def update_team(principal: Principal, team_id: str, body: TeamIn) -> TeamOut:
    team, membership = load(team_id, principal)
    rules.check_manage_team(membership.role)
    record = audit.build_record(principal.actor, "team.update", "team", team_id, before={"name": team.name},
                                after={"name": body.name})  # fmt: skip
    store.rename(team, body.name, record)
    team.name = body.name
    return team_out(team, membership.role)


def delete_team(principal: Principal, team_id: str) -> DeletedOut:
    """Tombstone the team (audited, one transaction), revoke its API keys (each audited, bounded pages:
    :func:`souk.identity.service.api_keys.revoke_team_keys`), then sweep its memberships and invites.

    An owner whose membership outlived a delete (a crash before or during the sweep) may send the
    DELETE again: it resumes the sweep and answers the same 200. Anyone else gets 404.
    """
    membership = store.get_membership(team_id, principal.user_id)
    team = store.get_team(team_id, tombstones=True) if membership is not None else None
    if membership is None or team is None:
        raise NotFound("No such team.")
    if team.deleted_at is not None and membership.role != "owner":
        raise NotFound("No such team.")
    rules.check_delete_team(membership.role)
    if team.deleted_at is None:
        record = audit.build_record(principal.actor, "team.delete", "team", team_id, before={"name": team.name})
        try:
            store.tombstone(team, record)
        except TransactionCancelled as cancelled:
            if store.TEAM_LABEL not in cancelled.failed():
                raise
            # deleted meanwhile by another owner: sweep all the same
    api_keys.revoke_team_keys(principal.actor, team_id)  # before the sweep: a crash leaves the owner to retry
    store.sweep(team_id)
    return DeletedOut(id=team_id)
