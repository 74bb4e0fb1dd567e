"""GET /api/v1/teams: the caller's teams (one Query of their memberships, one BatchGet of the teams)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.teams.schemas import TeamOut
from souk.teams.service import teams

app = create_app()


@app.get("/api/v1/teams", summary="List my teams", tags=["Teams"],
          description="Every team the caller is a member of, with the caller's role.",
          openapi_extensions=raises())  # fmt: skip
def teams_list(
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[list[TeamOut]]:
    return ok(teams.list_teams(caller))


lambda_handler = entrypoint(app)
