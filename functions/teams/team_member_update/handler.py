"""PUT /api/v1/teams/{teamId}/members/{userId}: change a member's role; the team keeps an owner."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Conflict, Forbidden, NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.teams.schemas import MemberOut, MemberRoleIn
from souk.teams.service import members

app = create_app()


@app.put("/api/v1/teams/<teamId>/members/<userId>", summary="Change a member's role", tags=["Teams"],
          description="Admins and owners (an admin never changes an owner); demoting the last owner is 409.",
          openapi_extensions=raises(NotFound, Forbidden, Conflict))  # fmt: skip
def team_member_update(
    team_id: Annotated[str, Path(alias="teamId", max_length=64)],
    user_id: Annotated[str, Path(alias="userId", max_length=64)],
    body: MemberRoleIn,
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[MemberOut]:
    return ok(members.change_role(caller, team_id, user_id, body))


lambda_handler = entrypoint(app)
