"""GET /api/v1/payments: the caller's payments as payer (admins: every payment), newest first."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.payments import service
from souk.payments.schemas import PaymentOut, PaymentsQuery

app = create_app()


@app.get("/api/v1/payments", summary="Payments", tags=["Payments"])
def list_payments(
    query: Annotated[PaymentsQuery, Query()],
    caller: Annotated[Principal, Depends(authenticated)],
) -> PageEnvelope[PaymentOut]:
    items, next_cursor = service.list_payments(caller, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
