"""GET /api/v1/products/{productId}/reviews: the product's published reviews, newest or most helpful first (public)."""

from __future__ import annotations

from typing import Annotated

from souk.errors import NotFound
from souk.http import PageEnvelope, Path, Query, create_app, entrypoint, page
from souk.http.docs import raises
from souk.reviews.schemas import ReviewListQuery, ReviewOut
from souk.reviews.service import reviews

app = create_app()


@app.get("/api/v1/products/<productId>/reviews", summary="Product reviews", tags=["Reviews"],
         description="Published reviews only; `sort=helpful` orders by helpful votes. One Query per page.",
         openapi_extensions=raises(NotFound))  # fmt: skip
def list_product_reviews(
    product_id: Annotated[str, Path(alias="productId", max_length=64)],
    query: Annotated[ReviewListQuery, Query()],
) -> PageEnvelope[ReviewOut]:
    items, next_cursor = reviews.list_reviews("product", product_id, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
