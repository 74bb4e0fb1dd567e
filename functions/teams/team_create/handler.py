"""POST /api/v1/teams: create a team; the caller becomes its owner."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Conflict
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.teams.schemas import TeamIn, TeamOut
from souk.teams.service import teams

app = create_app()


@app.post("/api/v1/teams", status_code=201, summary="Create a team", tags=["Teams"],
          description="The caller becomes its owner.",
          openapi_extensions=raises(Conflict))  # fmt: skip
def team_create(
    body: TeamIn,
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[TeamOut]:
    return ok(teams.create_team(caller, body))


lambda_handler = entrypoint(app)
