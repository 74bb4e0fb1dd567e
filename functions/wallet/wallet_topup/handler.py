"""POST /api/v1/wallet/top-up: a card PaymentIntent for `{amount}`; the Stripe webhook credits the wallet."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import Conflict, IdempotencyConflict, ServiceUnavailable, UpstreamError
from souk.http import Depends, Envelope, create_app, entrypoint, ok, respond
from souk.http.docs import raises
from souk.http.idempotency import IdempotencyKey
from souk.wallet import service
from souk.wallet.schemas import TopUpOut, TopUpRequest

app = create_app()


@app.post("/api/v1/wallet/top-up", status_code=201, summary="Top up the wallet by card", tags=["Wallet"],
          description="Send an `Idempotency-Key` header: a retry gets the first response.",
          openapi_extensions=raises(Conflict, IdempotencyConflict, ServiceUnavailable, UpstreamError))  # fmt: skip
def top_up(
    body: TopUpRequest,
    caller: Annotated[Principal, Depends(require_roles("customer", "store_owner", "courier"))],
    idempotency_key: IdempotencyKey = None,
) -> Envelope[TopUpOut]:
    result, state = service.top_up(caller, body, idempotency_key=idempotency_key, context=app.lambda_context)
    return respond(ok(result), status=201, headers=state.headers())


lambda_handler = entrypoint(app)
