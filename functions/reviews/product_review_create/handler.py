"""POST /api/v1/products/{productId}/reviews: a customer reviews a product they received in a delivered order."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import DuplicateEntry, Forbidden, NotFound, UnprocessableEntity
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.reviews.schemas import ReviewIn, ReviewOut
from souk.reviews.service import reviews

app = create_app()


@app.post("/api/v1/products/<productId>/reviews", status_code=201, summary="Review a product", tags=["Reviews"],
          description="Once per delivered order and product (409 on a second); 403 without a delivered order "
                      "of it. Without `orderId`: the oldest delivered order not reviewed yet.",
          openapi_extensions=raises(Forbidden, NotFound, DuplicateEntry, UnprocessableEntity))  # fmt: skip
def create_product_review(
    product_id: Annotated[str, Path(alias="productId", max_length=64)],
    body: ReviewIn,
    caller: Annotated[Principal, Depends(require_roles("customer"))],
) -> Envelope[ReviewOut]:
    return ok(reviews.post_review(caller, "product", product_id, body))


lambda_handler = entrypoint(app)
