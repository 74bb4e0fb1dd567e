"""POST /api/v1/payments/{paymentId}/refund: refund all or part of one order of a payment (admin, store owner)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidState,
    ServiceUnavailable,
    UnprocessableEntity,
    UpstreamError,
)
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.http.idempotency import IdempotencyKey
from souk.orders.schemas import RefundRequest
from souk.orders.service import refunds
from souk.payments.schemas import RefundOut

app = create_app()


@app.post("/api/v1/payments/<paymentId>/refund", status_code=201, summary="Refund a payment", tags=["Payments"],
          description="To the card or the wallet. Send an `Idempotency-Key` header: a retry replays the first "
                      "answer.",
          openapi_extensions=raises(Conflict, IdempotencyConflict, InvalidState, ServiceUnavailable,
                                    UnprocessableEntity, UpstreamError))  # fmt: skip
def refund_payment(
    payment_id: Annotated[str, Path(alias="paymentId", max_length=64)],
    body: RefundRequest,
    caller: Annotated[Principal, Depends(require_roles("admin", "store_owner"))],
    idempotency_key: IdempotencyKey = None,
) -> Envelope[RefundOut]:
    return ok(refunds.refund(caller, payment_id, body, idempotency_key=idempotency_key, context=app.lambda_context))


lambda_handler = entrypoint(app)
