"""GET /api/v1/teams/{teamId}: a team with the caller's role and its member count (members only)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.teams.schemas import TeamOut
from souk.teams.service import teams

app = create_app()


@app.get("/api/v1/teams/<teamId>", summary="Get a team", tags=["Teams"],
          description="Members only; another team is 404.",
          openapi_extensions=raises(NotFound))  # fmt: skip
def team_get(
    team_id: Annotated[str, Path(alias="teamId", max_length=64)],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[TeamOut]:
    return ok(teams.read_team(caller, team_id))


lambda_handler = entrypoint(app)
