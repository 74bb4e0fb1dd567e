"""POST /api/v1/cart/coupon: apply a coupon code, checked against this cart now."""

from __future__ import annotations

from typing import Annotated

from souk.auth import cart as cart_auth
from souk.cart import schemas as cart_schemas
from souk.cart.service import carts
from souk.errors import NotFound, UnprocessableEntity
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post(
    "/api/v1/cart/coupon",
    summary="Apply a coupon",
    tags=["Cart"],
    openapi_extensions=raises(NotFound, UnprocessableEntity),
)
def apply_coupon(
    body: cart_schemas.ApplyCouponRequest,
    owner: Annotated[carts.CartOwner, Depends(cart_auth.cart_owner)],
) -> Envelope[cart_schemas.CartOut]:
    return ok(carts.apply_coupon(owner, body))


lambda_handler = entrypoint(app)
