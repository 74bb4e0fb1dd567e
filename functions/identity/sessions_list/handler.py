"""GET /api/v1/auth/sessions: the caller's live sessions, newest first, paginated."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.identity.schemas.sessions import SessionOut
from souk.identity.service.sessions import own_sessions
from souk.schema import PageQuery

app = create_app()


@app.get("/api/v1/auth/sessions", summary="My sessions", tags=["Auth"])
def sessions_list(
    query: Annotated[PageQuery, Query()], caller: Annotated[Principal, Depends(authenticated)]
) -> PageEnvelope[SessionOut]:
    items, next_cursor = own_sessions(caller, limit=query.limit, cursor=query.cursor)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
