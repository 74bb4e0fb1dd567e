"""Team races on DynamoDB Local: the team always keeps an owner, and an invite makes one membership."""

from __future__ import annotations

import pytest

from souk.caller import Principal
from souk.errors import Conflict, Forbidden, NotFound, SoukError
from souk.teams import keys
from souk.teams.models import Membership, Team
from souk.teams.schemas import InviteIn, MemberIn, MemberRoleIn, TeamIn
from souk.teams.service import invites, members, teams
from tests.factories import create_user
from tests.integration.teams.conftest import principal
from tests.races import at_once

pytestmark = pytest.mark.integration


def _roles(team_id: str) -> dict[str, str]:
    return {m.user_id: m.role for m in Membership.query(keys.team(team_id), Membership.sk.startswith("MEMBER#"),
                                                        consistent_read=True)}  # fmt: skip


def _counters(team_id: str) -> tuple[int, int]:
    item = Team.get(keys.team(team_id), keys.TEAM_SK, consistent_read=True)
    return int(item.members), int(item.owners)


def _two_owner_team() -> tuple[str, Principal, Principal]:
    a, b = principal(), principal()
    team_id = teams.create_team(a, TeamIn(name="Race")).id
    members.add_member(a, team_id, MemberIn(user_id=b.user_id, role="owner"))
    return team_id, a, b


@pytest.mark.parametrize("round_", range(3))
def test_two_owners_demoting_each_other_at_once_leave_an_owner(table: str, round_: int) -> None:
    team_id, a, b = _two_owner_team()
    results = at_once([lambda: members.change_role(a, team_id, b.user_id, MemberRoleIn(role="admin")),
                        lambda: members.change_role(b, team_id, a.user_id, MemberRoleIn(role="admin"))])  # fmt: skip
    # refused: 409 when both read before either wrote; 403 when the other had already demoted the caller
    refused = [r for r in results if isinstance(r, (Conflict, Forbidden))]
    assert len(refused) == 1, results
    roles = _roles(team_id)
    assert sorted(roles.values()) == ["admin", "owner"]
    assert _counters(team_id) == (2, 1)


def test_two_owners_removing_each_other_at_once_leave_an_owner(table: str) -> None:
    team_id, a, b = _two_owner_team()
    results = at_once([lambda: members.remove_member(a, team_id, b.user_id),
                        lambda: members.remove_member(b, team_id, a.user_id)])  # fmt: skip
    # refused: 409 when both read before either wrote; 404 when the other had already removed the caller
    assert len([r for r in results if isinstance(r, (Conflict, NotFound))]) == 1, results
    assert list(_roles(team_id).values()) == ["owner"]
    assert _counters(team_id) == (1, 1)


def test_the_same_invite_accepted_twice_at_once_makes_one_membership(table: str, emailed_tokens: list[str]) -> None:
    owner = principal()
    invitee = create_user(email="twice@example.com")
    team_id = teams.create_team(owner, TeamIn(name="Race")).id
    invites.invite(owner, team_id, InviteIn(email="twice@example.com", role="member"))
    (token,) = emailed_tokens
    me = principal(invitee.user_id)
    results = at_once([lambda: invites.accept(me, token), lambda: invites.accept(me, token)])
    assert len([r for r in results if not isinstance(r, SoukError)]) == 1, results
    assert _roles(team_id) == {owner.user_id: "owner", invitee.user_id: "member"}
    assert _counters(team_id) == (2, 1)
