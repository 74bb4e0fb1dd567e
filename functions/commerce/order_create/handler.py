"""POST /api/v1/orders: check out the caller's cart, one order per store, paid by card or wallet."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from souk.auth.principal import Principal, require_roles
from souk.http import Envelope, create_app, entrypoint, ok
from souk.http.idempotency import HEADER
from souk.orders import checkout

app = create_app()


@app.post("/api/v1/orders", status_code=201, summary="Check out the cart", tags=["Orders"],
          description="Send an `Idempotency-Key` header: a retry then replays the first response.")  # fmt: skip
def create_order(
    body: checkout.CheckoutRequest,
    caller: Annotated[Principal, Depends(require_roles("customer"))],
) -> Envelope[checkout.CheckoutOut]:
    key = app.current_event.headers.get(HEADER)
    return ok(checkout.checkout(caller, body, idempotency_key=key, context=app.lambda_context))


lambda_handler = entrypoint(app)
