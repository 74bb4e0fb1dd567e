"""GET /api/v1/stores: approved stores, newest first; filter by category or name, or nearest first."""

from __future__ import annotations

from typing import Annotated

from souk.catalog.schemas.stores import StoreListQuery, StoreOut
from souk.catalog.service import stores
from souk.http import PageEnvelope, Query, Request, create_app, entrypoint, page
from souk.http.caching import NotModified, cached
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/stores", summary="Find stores", tags=["Stores"], openapi_extensions=raises(NotModified))
def list_stores(query: Annotated[StoreListQuery, Query()], request: Request) -> PageEnvelope[StoreOut]:
    items, next_cursor = stores.list_stores(query)
    return cached(request, page(items, limit=query.limit, next_cursor=next_cursor))


lambda_handler = entrypoint(app)
