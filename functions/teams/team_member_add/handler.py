"""POST /api/v1/teams/{teamId}/members: admins and owners add an existing user with a role."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import DuplicateEntry, Forbidden, NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.teams.schemas import MemberIn, MemberOut
from souk.teams.service import members

app = create_app()


@app.post("/api/v1/teams/<teamId>/members", status_code=201, summary="Add a member", tags=["Teams"],
          description=("An existing user, by the team's admins and owners (only an owner makes an owner); "
                       "409 if already a member."),
          openapi_extensions=raises(NotFound, Forbidden, DuplicateEntry))  # fmt: skip
def team_member_add(
    team_id: Annotated[str, Path(alias="teamId", max_length=64)],
    body: MemberIn,
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[MemberOut]:
    return ok(members.add_member(caller, team_id, body))


lambda_handler = entrypoint(app)
