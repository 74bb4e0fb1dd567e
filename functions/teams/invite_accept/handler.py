"""POST /api/v1/invites/{token}/accept: join the team of the invite, once, as the invited email."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import DuplicateEntry, Forbidden, NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.teams.schemas import TeamOut
from souk.teams.service import invites

app = create_app()


@app.post("/api/v1/invites/<token>/accept", summary="Accept an invite", tags=["Teams"],
          description=("Signed in as the invited email (another account: 403); "
                       "an unknown, used, replaced or expired token is 404."),
          openapi_extensions=raises(NotFound, Forbidden, DuplicateEntry))  # fmt: skip
def invite_accept(
    token: Annotated[str, Path(min_length=16, max_length=128)],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[TeamOut]:
    return ok(invites.accept(caller, token))


lambda_handler = entrypoint(app)
