"""GET /api/v1/cart: the caller's cart (or the X-Cart-Token guest cart), priced from the current catalog."""

from __future__ import annotations

from typing import Annotated

from souk.auth import cart as cart_auth
from souk.cart import schemas as cart_schemas
from souk.cart.service import carts
from souk.errors import NotFound
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/cart", summary="Show the cart", tags=["Cart"], openapi_extensions=raises(NotFound))
def get_cart(owner: Annotated[carts.CartOwner, Depends(cart_auth.cart_owner)]) -> Envelope[cart_schemas.CartOut]:
    return ok(carts.get_cart(owner))


lambda_handler = entrypoint(app)
