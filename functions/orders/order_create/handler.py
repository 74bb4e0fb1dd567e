"""POST /api/v1/orders: check out the caller's cart, one order per store, paid by card or wallet."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import (
    Conflict,
    IdempotencyConflict,
    InsufficientFunds,
    InsufficientStock,
    NotFound,
    ServiceUnavailable,
    UnprocessableEntity,
    UpstreamError,
)
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.http.idempotency import IdempotencyKey
from souk.orders.schemas import CheckoutOut, CheckoutRequest
from souk.orders.service import checkout

app = create_app()


@app.post("/api/v1/orders", status_code=201, summary="Check out the cart", tags=["Orders"],
          description="Send an `Idempotency-Key` header: a retry then replays the first response.",
          openapi_extensions=raises(Conflict, IdempotencyConflict, InsufficientFunds, InsufficientStock, NotFound,
                                    ServiceUnavailable, UnprocessableEntity, UpstreamError))  # fmt: skip
def create_order(
    body: CheckoutRequest,
    caller: Annotated[Principal, Depends(require_roles("customer"))],
    idempotency_key: IdempotencyKey = None,
) -> Envelope[CheckoutOut]:
    return ok(checkout.checkout(caller, body, idempotency_key=idempotency_key, context=app.lambda_context))


lambda_handler = entrypoint(app)
