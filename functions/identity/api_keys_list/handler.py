"""GET /api/v1/api-keys: the caller's active API keys (never the keys themselves)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.identity.schemas.api_keys import ApiKeyOut
from souk.identity.service import api_keys
from souk.schema import PageQuery

app = create_app()


@app.get("/api/v1/api-keys", summary="List my API keys", tags=["API keys"])
def list_api_keys(
    query: Annotated[PageQuery, Query()], caller: Annotated[Principal, Depends(authenticated)]
) -> PageEnvelope[ApiKeyOut]:
    items, cursor = api_keys.list_api_keys(caller, query)
    return page(items, limit=query.limit, next_cursor=cursor)


lambda_handler = entrypoint(app)
