"""GET /api/v1/teams/{teamId}/invites: a page of the team's pending invites (one Query of its partition)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Forbidden, NotFound
from souk.http import Depends, PageEnvelope, Path, Query, create_app, entrypoint, page
from souk.http.docs import raises
from souk.schema import PageQuery
from souk.teams.schemas import InviteOut
from souk.teams.service import invites

app = create_app()


@app.get("/api/v1/teams/<teamId>/invites", summary="List a team's pending invites", tags=["Teams"],
         description=("Admins and owners; another team is 404. The invites not yet accepted, revoked or expired, "
                      "by email, without their tokens; `limit` and `cursor` page them."),
         openapi_extensions=raises(NotFound, Forbidden))  # fmt: skip
def team_invites_list(
    team_id: Annotated[str, Path(alias="teamId", max_length=64)],
    query: Annotated[PageQuery, Query()],
    caller: Annotated[Principal, Depends(authenticated)],
) -> PageEnvelope[InviteOut]:
    items, next_cursor = invites.list_pending(caller, team_id, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
