"""DELETE /api/v1/teams/{teamId}/members/{userId}: remove a member or leave; the team keeps an owner."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Conflict, Forbidden, NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.teams.schemas import DeletedOut
from souk.teams.service import members

app = create_app()


@app.delete("/api/v1/teams/<teamId>/members/<userId>", summary="Remove a member", tags=["Teams"],
          description="Admins and owners, or the member leaving; removing or leaving as the last owner is 409.",
          openapi_extensions=raises(NotFound, Forbidden, Conflict))  # fmt: skip
def team_member_remove(
    team_id: Annotated[str, Path(alias="teamId", max_length=64)],
    user_id: Annotated[str, Path(alias="userId", max_length=64)],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[DeletedOut]:
    return ok(members.remove_member(caller, team_id, user_id))


lambda_handler = entrypoint(app)
