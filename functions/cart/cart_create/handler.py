"""POST /api/v1/cart: a new guest cart and its token (X-Cart-Token); rate-limited per IP."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import origin
from souk.cart import schemas as cart_schemas
from souk.cart.service import carts
from souk.http import Depends, Envelope, create_app, entrypoint, ok, respond
from souk.identity.schemas.sessions import Client

app = create_app()


@app.post("/api/v1/cart", status_code=201, summary="Create a guest cart", tags=["Cart"])
def create_cart(client: Annotated[Client, Depends(origin)]) -> Envelope[cart_schemas.CartCreated]:
    created, state = carts.create_guest_cart(client)
    return respond(ok(created), status=201, headers=state.headers())


lambda_handler = entrypoint(app)
