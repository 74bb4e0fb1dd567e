"""GET /api/v1/products: the public catalog, filtered and sorted; one Query per page (cacheable)."""

from __future__ import annotations

from typing import Annotated

from souk.catalog.schemas.listing import ProductListQuery, ProductSummary
from souk.catalog.service import search
from souk.http import PageEnvelope, Query, Request, create_app, entrypoint, page
from souk.http.caching import NotModified, cached
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/products", summary="List products", tags=["Products"], openapi_extensions=raises(NotModified))
def list_products(query: Annotated[ProductListQuery, Query()], request: Request) -> PageEnvelope[ProductSummary]:
    items, next_cursor = search.list_products(query)
    return cached(request, page(items, limit=query.limit, next_cursor=next_cursor))


lambda_handler = entrypoint(app)
