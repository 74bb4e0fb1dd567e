"""POST /api/v1/delivery/quote: the fee and ETA from a store to one of the caller's addresses."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.delivery.schemas import QuoteOut, QuoteRequest
from souk.delivery.service import zones as service
from souk.errors import NotFound, UnprocessableEntity
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post(
    "/api/v1/delivery/quote",
    status_code=201,
    summary="Quote a delivery fee",
    tags=["Delivery"],
    openapi_extensions=raises(NotFound, UnprocessableEntity),
)
def quote_delivery(body: QuoteRequest, caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[QuoteOut]:
    return ok(service.quote(caller, body))


lambda_handler = entrypoint(app)
