"""Team API keys: a member creates a key for the team (``POST /api/v1/api-keys`` with ``teamId``; the route
calls :func:`create_api_key` for every key).

Identity owns keys and never imports teams; this module checks the membership (404 for a non-member
or no such team, as every team route) and hands identity a :class:`souk.identity.service.api_keys.TeamScope`
whose guard re-checks, inside the creation's transaction, that the membership still exists and the
team is live: a member removed (or a team deleted) at the same time cannot end up with a key for it.
Any member may create one (the key acts as its creator, with the creator's role: the team only pays
for its calls and bounds their number by its plan's ``apiKeys``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.identity.service import api_keys
from souk.identity.service.api_keys import TeamScope
from souk.teams import keys
from souk.teams.models import Membership, Team
from souk.teams.service.teams import load
from souk.teams.store.teams import live

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.db.transactions import WriteTransaction
    from souk.identity.schemas.api_keys import ApiKeyCreate, ApiKeyCreated


def create_api_key(principal: Principal, body: ApiKeyCreate) -> ApiKeyCreated:
    """A key of the caller: a personal one without ``teamId`` (identity's alone), else one for that team,
    404 unless the caller is a member of the live team."""
    if body.team_id is None:
        return api_keys.create_api_key(principal, body)
    team_id = body.team_id
    load(team_id, principal)

    def guard(tx: WriteTransaction) -> None:
        tx.check(Membership, keys.team(team_id), keys.member(principal.user_id), Membership.pk.exists(),
                 label="scope:member")  # fmt: skip
        tx.check(Team, keys.team(team_id), keys.TEAM_SK, live(), label="scope:team")

    return api_keys.create_api_key(principal, body, TeamScope(team_id, guard))
