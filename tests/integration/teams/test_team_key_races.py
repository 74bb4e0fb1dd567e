"""Team API key races on DynamoDB Local: creations racing for a team's last keys make exactly the plan's
limit, and a member removed while creating keys for the team keeps none of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from souk.caller import Principal
from souk.errors import Conflict, Forbidden, NotFound, SoukError
from souk.identity import keys as identity_keys
from souk.identity.models import ApiKey, ApiKeyRing, TeamApiKeyRing
from souk.identity.schemas.api_keys import ApiKeyCreate
from souk.teams.schemas import MemberIn, TeamIn
from souk.teams.service import api_keys, members, teams
from tests.integration.teams.conftest import principal
from tests.plans_support import on_plan
from tests.races import at_once

pytestmark = pytest.mark.integration


def _retrying(call: Callable[[], Any]) -> Callable[[], Any]:
    """What a well-behaved client does: retry a 409 (a transaction conflict), keep any other answer."""

    def run() -> Any:
        for _ in range(50):
            try:
                return call()
            except Conflict:
                continue
        return "gave up"

    return run


def _team(member_count: int) -> tuple[str, Principal, list[Principal]]:
    owner = principal()
    team_id = teams.create_team(owner, TeamIn(name="Race")).id
    on_plan("team", team_id, "pro")  # 10 members, 10 API keys
    others = []
    for _ in range(member_count):
        other = principal()
        members.add_member(owner, team_id, MemberIn(user_id=other.user_id, role="member"))
        others.append(other)
    return team_id, owner, others


def _team_keys(team_id: str) -> list[ApiKey]:
    return list(ApiKey.gsi2.query(identity_keys.team_api_keys(team_id)))


def _team_ring(team_id: str) -> int:
    return int(TeamApiKeyRing.get(identity_keys.team_api_keys(team_id), identity_keys.API_KEY_RING,
                                  consistent_read=True).active)  # fmt: skip


def test_parallel_team_key_creations_at_the_limit_make_exactly_the_limit(table: str) -> None:
    # GIVEN a Pro team (10 keys) with 8 already
    team_id, owner, others = _team(3)
    for n in range(8):
        api_keys.create_api_key(others[n % 3], ApiKeyCreate(name=f"k{n}", team_id=team_id))
    # WHEN 6 members' creations race for the last 2
    racers = [owner, *others, owner, others[0]]
    results = at_once([_retrying(lambda p=p: api_keys.create_api_key(p, ApiKeyCreate(name="race", team_id=team_id)))
                       for p in racers])  # fmt: skip
    # THEN exactly 2 win, the others get the 403 naming apiKeys, and the counter is the keys
    refused = [r for r in results if isinstance(r, SoukError)]
    assert len(results) - len(refused) == 2, results
    assert all(isinstance(r, Forbidden) and r.details[0]["field"] == "apiKeys" for r in refused), results
    assert _team_ring(team_id) == 10 == len(_team_keys(team_id))


def test_a_member_removed_while_creating_team_keys_keeps_none(table: str) -> None:
    # GIVEN a member with one team key
    team_id, owner, (member,) = _team(1)
    api_keys.create_api_key(member, ApiKeyCreate(name="first", team_id=team_id))
    # WHEN their creations race their removal
    creations = [_retrying(lambda: api_keys.create_api_key(member, ApiKeyCreate(name="race", team_id=team_id)))
                 for _ in range(4)]  # fmt: skip
    results = at_once([*creations, lambda: members.remove_member(owner, team_id, member.user_id)])
    assert not isinstance(results[-1], SoukError), results[-1]
    assert all(not isinstance(r, SoukError) or isinstance(r, NotFound) for r in results[:-1]), results
    # THEN none of their keys for the team is active, and every counter is true
    assert [k for k in _team_keys(team_id) if k.user_id == member.user_id] == []
    active = [k for k in ApiKey.gsi1.query(identity_keys.user_api_keys(member.user_id)) if not k.revoked]
    assert active == []
    ring = ApiKeyRing.get(identity_keys.user(member.user_id), identity_keys.API_KEY_RING, consistent_read=True)
    assert (ring.active, ring.team_keys) == (0, 0)
    assert _team_ring(team_id) == 0
