"""GET /api/v1/teams/{teamId}/members: the team's members (one Query of its partition)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.teams.schemas import MemberOut
from souk.teams.service import teams

app = create_app()


@app.get("/api/v1/teams/<teamId>/members", summary="List a team's members", tags=["Teams"],
          description="Members only; another team is 404.",
          openapi_extensions=raises(NotFound))  # fmt: skip
def team_members_list(
    team_id: Annotated[str, Path(alias="teamId", max_length=64)],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[list[MemberOut]]:
    return ok(teams.list_members(caller, team_id))


lambda_handler = entrypoint(app)
