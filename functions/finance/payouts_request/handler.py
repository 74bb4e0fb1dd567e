"""POST /api/v1/stores/{storeId}/payouts: `{amount: Money}` leaves available at once, requested for an admin."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import Conflict, IdempotencyConflict, InsufficientFunds, UnprocessableEntity
from souk.finance.schemas import PayoutOut, PayoutRequest
from souk.finance.service.payouts import request_payout
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok, respond
from souk.http.docs import raises
from souk.http.idempotency import IdempotencyKey

app = create_app()


@app.post("/api/v1/stores/<storeId>/payouts", status_code=201, summary="Request a payout", tags=["Finance"],
          description="Send an `Idempotency-Key` header: a retry gets the first response.",
          openapi_extensions=raises(Conflict, IdempotencyConflict, InsufficientFunds,
                                    UnprocessableEntity))  # fmt: skip
def request(
    store_id: Annotated[str, Path(alias="storeId", max_length=64)],
    body: PayoutRequest,
    caller: Annotated[Principal, Depends(require_roles("store_owner"))],
    idempotency_key: IdempotencyKey = None,
) -> Envelope[PayoutOut]:
    result = request_payout(caller, store_id, body, idempotency_key=idempotency_key, context=app.lambda_context)
    return respond(ok(result), status=201)


lambda_handler = entrypoint(app)
