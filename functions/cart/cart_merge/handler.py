"""POST /api/v1/cart/merge: after login, move the guest cart (X-Cart-Token) into the customer's cart."""

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
    "/api/v1/cart/merge",
    summary="Merge a guest cart into yours",
    tags=["Cart"],
    openapi_extensions=raises(NotFound, UnprocessableEntity),
)
def merge_cart(
    parties: Annotated[carts.MergeParties, Depends(cart_auth.merge_parties)],
) -> Envelope[cart_schemas.CartOut]:
    return ok(carts.merge_guest_cart(parties))


lambda_handler = entrypoint(app)
