"""Seat races on DynamoDB Local: writes racing for a Free team's last seat (3, pending invites
included) leave exactly one winner, and the team's ``seats`` counter stays the members and the
invites still pending."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from souk.caller import Principal
from souk.db.base import utc_now
from souk.errors import Forbidden, SoukError
from souk.teams import keys
from souk.teams.models import Invite, Membership, Team
from souk.teams.schemas import InviteIn, MemberIn, TeamIn
from souk.teams.service import invites, members, teams
from tests.factories import create_user
from tests.integration.teams.conftest import principal
from tests.races import at_once

pytestmark = pytest.mark.integration
RACERS = 6


def _seats(team_id: str) -> int:
    return int(Team.get(keys.team(team_id), keys.TEAM_SK, consistent_read=True).seats)


def _held(team_id: str) -> tuple[int, int]:
    """What really holds seats: the memberships and the invites not expired."""
    partition = keys.team(team_id)
    now = utc_now()
    found = list(Membership.query(partition, Membership.sk.startswith(keys.MEMBER_PREFIX), consistent_read=True))
    pending = [i for i in Invite.query(partition, Invite.sk.startswith(keys.INVITE_PREFIX), consistent_read=True)
               if i.valid_until > now]  # fmt: skip
    return len(found), len(pending)


def _free_team_with_one_seat_left() -> tuple[str, Principal]:
    """A Free team (3 seats) of an owner and an admin: one seat left."""
    owner = principal()
    team_id = teams.create_team(owner, TeamIn(name="Race")).id
    members.add_member(owner, team_id, MemberIn(user_id=create_user().user_id, role="admin"))
    return team_id, owner


def _inviting(owner: Principal, team_id: str, count: int) -> list[Callable[[], Any]]:
    """``count`` calls, each inviting another email to the team."""

    def call(n: int) -> Callable[[], Any]:
        return lambda: invites.invite(owner, team_id, InviteIn(email=f"racer{n}@example.com", role="member"))

    return [call(n) for n in range(count)]


def _winners(results: list[Any]) -> list[Any]:
    refused = [r for r in results if isinstance(r, SoukError)]
    assert all(isinstance(r, Forbidden) for r in refused), results  # the losers: 403, the limit named
    assert all((r.details or [{}])[0].get("field") == "teamMembers" for r in refused), results
    return [r for r in results if not isinstance(r, SoukError)]


@pytest.mark.parametrize("round_", range(2))
def test_parallel_invites_for_the_last_seat_make_one_invite(table: str, round_: int) -> None:
    team_id, owner = _free_team_with_one_seat_left()
    assert len(_winners(at_once(_inviting(owner, team_id, RACERS)))) == 1
    assert _held(team_id) == (2, 1)
    assert _seats(team_id) == 3


def test_an_invite_and_a_member_add_racing_for_the_last_seat_make_one(table: str) -> None:
    team_id, owner = _free_team_with_one_seat_left()
    newcomer = MemberIn(user_id=create_user().user_id, role="member")
    results = at_once([lambda: invites.invite(owner, team_id, InviteIn(email="late@example.com", role="member")),
                       lambda: members.add_member(owner, team_id, newcomer)])  # fmt: skip
    assert len(_winners(results)) == 1
    assert sum(_held(team_id)) == 3
    assert _seats(team_id) == 3


def test_parallel_invites_for_a_seat_an_expired_invite_gave_back_make_one(table: str) -> None:
    # GIVEN a full Free team whose pending invite expired (its item not yet deleted): the counter still says 3
    team_id, owner = _free_team_with_one_seat_left()
    invites.invite(owner, team_id, InviteIn(email="stale@example.com", role="member"))
    stale = Invite.get(keys.team(team_id), keys.invite("stale@example.com"), consistent_read=True)
    stale.update(actions=[Invite.valid_until.set(utc_now() - timedelta(seconds=1))])
    assert _seats(team_id) == 3
    # WHEN invites race for it: each recounts (the seat back) and one takes it
    assert len(_winners(at_once(_inviting(owner, team_id, RACERS)))) == 1
    assert _held(team_id) == (2, 1)
    assert _seats(team_id) == 3


def test_a_revoke_racing_invites_on_a_full_team_keeps_the_counter_true(table: str) -> None:
    # GIVEN a full team (two members, one pending invite)
    team_id, owner = _free_team_with_one_seat_left()
    invites.invite(owner, team_id, InviteIn(email="going@example.com", role="member"))
    # WHEN the invite is revoked while others invite: at most the freed seat is taken
    results = at_once([lambda: invites.revoke(owner, team_id, "going@example.com"),
                       *_inviting(owner, team_id, RACERS - 1)])  # fmt: skip
    assert not isinstance(results[0], SoukError), results[0]
    assert len(_winners(results[1:])) <= 1
    held = _held(team_id)
    assert held[0] == 2 and sum(held) <= 3
    assert _seats(team_id) == sum(held)
