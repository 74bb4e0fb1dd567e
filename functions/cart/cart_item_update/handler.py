"""PATCH /api/v1/cart/items/{itemId}: change a line's quantity (stock checked, not reserved)."""

from __future__ import annotations

from typing import Annotated

from souk.auth import cart as cart_auth
from souk.cart import schemas as cart_schemas
from souk.cart.service import carts
from souk.errors import Conflict, InsufficientStock
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.patch(
    "/api/v1/cart/items/<itemId>",
    summary="Change an item's quantity",
    tags=["Cart"],
    openapi_extensions=raises(Conflict, InsufficientStock),
)
def update_item(
    item_id: Annotated[str, Path(alias="itemId", max_length=64)],
    body: cart_schemas.UpdateItemRequest,
    owner: Annotated[carts.CartOwner, Depends(cart_auth.cart_owner)],
) -> Envelope[cart_schemas.CartOut]:
    return ok(carts.update_item(owner, item_id, body))


lambda_handler = entrypoint(app)
