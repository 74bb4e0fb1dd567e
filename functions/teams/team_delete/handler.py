"""DELETE /api/v1/teams/{teamId}: an owner deletes the team, its memberships and invites."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Forbidden, NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.teams.schemas import DeletedOut
from souk.teams.service import teams

app = create_app()


@app.delete("/api/v1/teams/<teamId>", summary="Delete a team", tags=["Teams"],
          description="Owners only (403 for other members, 404 for non-members).",
          openapi_extensions=raises(NotFound, Forbidden))  # fmt: skip
def team_delete(
    team_id: Annotated[str, Path(alias="teamId", max_length=64)],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[DeletedOut]:
    return ok(teams.delete_team(caller, team_id))


lambda_handler = entrypoint(app)
