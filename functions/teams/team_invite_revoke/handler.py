"""DELETE /api/v1/teams/{teamId}/invites/{email}: revoke the pending invite of an email, freeing its seat."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Conflict, Forbidden, NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.teams.schemas import INVITE_EMAIL_PATH_MAX, DeletedOut, invite_email
from souk.teams.service import invites

app = create_app()


@app.delete("/api/v1/teams/<teamId>/invites/<email>", summary="Revoke a pending invite", tags=["Teams"],
            description=("Admins and owners (an owner invite: owners); its token stops working and its seat is "
                         "free again. No pending invite for the email is 404."),
            openapi_extensions=raises(NotFound, Forbidden, Conflict))  # fmt: skip
def team_invite_revoke(
    team_id: Annotated[str, Path(alias="teamId", max_length=64)],
    email: Annotated[str, Path(max_length=INVITE_EMAIL_PATH_MAX, description="The invited email (percent-encoded).")],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[DeletedOut]:
    return ok(invites.revoke(caller, team_id, invite_email(email)))


lambda_handler = entrypoint(app)
