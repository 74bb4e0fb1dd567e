"""GET /api/v1/categories: the whole category tree, nested (cacheable)."""

from __future__ import annotations

from souk.catalog.schemas.categories import CategoryNode
from souk.catalog.service import categories
from souk.http import Envelope, Request, create_app, entrypoint, ok
from souk.http.caching import NotModified, cached
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/categories", summary="The category tree", tags=["Categories"], openapi_extensions=raises(NotModified))
def list_categories(request: Request) -> Envelope[list[CategoryNode]]:
    return cached(request, ok(categories.category_tree()))


lambda_handler = entrypoint(app)
