"""POST /api/v1/teams/{teamId}/invites: invite an email with a role; the token is emailed."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Conflict, Forbidden, NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.teams.schemas import InviteIn, InviteOut
from souk.teams.service import invites

app = create_app()


@app.post("/api/v1/teams/<teamId>/invites", status_code=201, summary="Invite by email", tags=["Teams"],
          description=("Admins and owners; the token is emailed (valid 7 days, once). Inviting the same email "
                       "again resends: a new token, the old one stops working."),
          openapi_extensions=raises(NotFound, Forbidden, Conflict))  # fmt: skip
def team_invite_create(
    team_id: Annotated[str, Path(alias="teamId", max_length=64)],
    body: InviteIn,
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[InviteOut]:
    return ok(invites.invite(caller, team_id, body))


lambda_handler = entrypoint(app)
