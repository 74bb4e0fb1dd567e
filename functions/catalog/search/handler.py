"""GET /api/v1/search: products and/or stores by words and word prefixes, ranked (cacheable)."""

from __future__ import annotations

from typing import Annotated

from souk.catalog.schemas.search import SearchHit, SearchQuery
from souk.catalog.service import search
from souk.http import PageEnvelope, Query, Request, create_app, entrypoint, page
from souk.http.caching import NotModified, cached
from souk.http.docs import raises

app = create_app()


@app.get(
    "/api/v1/search", summary="Search products and stores", tags=["Search"], openapi_extensions=raises(NotModified)
)
def search_catalog(query: Annotated[SearchQuery, Query()], request: Request) -> PageEnvelope[SearchHit]:
    hits, next_cursor = search.search(query)
    return cached(request, page(hits, limit=query.limit, next_cursor=next_cursor))


lambda_handler = entrypoint(app)
