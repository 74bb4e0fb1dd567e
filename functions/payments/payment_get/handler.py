"""GET /api/v1/payments/{paymentId}: a payment with its refunds (payer, its stores' owners, admins)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.payments import service
from souk.payments.schemas import PaymentDetailOut

app = create_app()


@app.get("/api/v1/payments/<paymentId>", summary="A payment with its refunds", tags=["Payments"])
def get_payment(
    payment_id: Annotated[str, Path(alias="paymentId", max_length=64)],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[PaymentDetailOut]:
    return ok(service.get_payment(caller, payment_id))


lambda_handler = entrypoint(app)
