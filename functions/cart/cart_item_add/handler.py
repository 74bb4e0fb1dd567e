"""POST /api/v1/cart/items: add a product variant to the cart (stock checked, not reserved)."""

from __future__ import annotations

from typing import Annotated

from souk.auth import cart as cart_auth
from souk.cart import schemas as cart_schemas
from souk.cart.service import carts
from souk.errors import Conflict, InsufficientStock, NotFound, UnprocessableEntity
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post(
    "/api/v1/cart/items",
    summary="Add an item to the cart",
    tags=["Cart"],
    openapi_extensions=raises(Conflict, InsufficientStock, NotFound, UnprocessableEntity),
)
def add_item(
    body: cart_schemas.AddItemRequest,
    owner: Annotated[carts.CartOwner, Depends(cart_auth.cart_owner)],
) -> Envelope[cart_schemas.CartOut]:
    return ok(carts.add_item(owner, body))


lambda_handler = entrypoint(app)
