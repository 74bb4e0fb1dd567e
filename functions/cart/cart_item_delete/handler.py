"""DELETE /api/v1/cart/items/{itemId}: remove a line from the cart."""

from __future__ import annotations

from typing import Annotated

from souk.auth import cart as cart_auth
from souk.cart import schemas as cart_schemas
from souk.cart.service import carts
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok

app = create_app()


@app.delete("/api/v1/cart/items/<itemId>", summary="Remove an item from the cart", tags=["Cart"])
def remove_item(
    item_id: Annotated[str, Path(alias="itemId", max_length=64)],
    owner: Annotated[carts.CartOwner, Depends(cart_auth.cart_owner)],
) -> Envelope[cart_schemas.CartOut]:
    return ok(carts.remove_item(owner, item_id))


lambda_handler = entrypoint(app)
