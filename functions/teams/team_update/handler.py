"""PUT /api/v1/teams/{teamId}: admins and owners rename the team."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Forbidden, NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.teams.schemas import TeamIn, TeamOut
from souk.teams.service import teams

app = create_app()


@app.put("/api/v1/teams/<teamId>", summary="Rename a team", tags=["Teams"],
          description="Admins and owners of the team (403 for other members, 404 for non-members).",
          openapi_extensions=raises(NotFound, Forbidden))  # fmt: skip
def team_update(
    team_id: Annotated[str, Path(alias="teamId", max_length=64)],
    body: TeamIn,
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[TeamOut]:
    return ok(teams.update_team(caller, team_id, body))


lambda_handler = entrypoint(app)
