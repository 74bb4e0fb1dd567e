"""DELETE /api/v1/cart/coupon: take the coupon off the cart."""

from __future__ import annotations

from typing import Annotated

from souk.auth import cart as cart_auth
from souk.cart import schemas as cart_schemas
from souk.cart.service import carts
from souk.errors import NotFound
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.delete("/api/v1/cart/coupon", summary="Remove the coupon", tags=["Cart"], openapi_extensions=raises(NotFound))
def remove_coupon(owner: Annotated[carts.CartOwner, Depends(cart_auth.cart_owner)]) -> Envelope[cart_schemas.CartOut]:
    return ok(carts.remove_coupon(owner))


lambda_handler = entrypoint(app)
