"""GET /api/v1/teams/{teamId}/members: a page of the team's members (one Query of its partition)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import NotFound
from souk.http import Depends, PageEnvelope, Path, Query, create_app, entrypoint, page
from souk.http.docs import raises
from souk.schema import PageQuery
from souk.teams.schemas import MemberOut
from souk.teams.service import teams

app = create_app()


@app.get("/api/v1/teams/<teamId>/members", summary="List a team's members", tags=["Teams"],
          description="Members only; another team is 404. `limit` and `cursor` page them.",
          openapi_extensions=raises(NotFound))  # fmt: skip
def team_members_list(
    team_id: Annotated[str, Path(alias="teamId", max_length=64)],
    query: Annotated[PageQuery, Query()],
    caller: Annotated[Principal, Depends(authenticated)],
) -> PageEnvelope[MemberOut]:
    items, next_cursor = teams.list_members(caller, team_id, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
