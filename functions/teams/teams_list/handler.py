"""GET /api/v1/teams: a page of the caller's teams (one Query of their memberships, one BatchGet of the teams)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.http.docs import raises
from souk.schema import PageQuery
from souk.teams.schemas import TeamOut
from souk.teams.service import teams

app = create_app()


@app.get("/api/v1/teams", summary="List my teams", tags=["Teams"],
          description="The teams the caller is a member of, with the caller's role, oldest team first; "
                      "`limit` and `cursor` page them (a page may come back short, with a cursor to go on).",
          openapi_extensions=raises())  # fmt: skip
def teams_list(
    query: Annotated[PageQuery, Query()],
    caller: Annotated[Principal, Depends(authenticated)],
) -> PageEnvelope[TeamOut]:
    items, next_cursor = teams.list_teams(caller, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
