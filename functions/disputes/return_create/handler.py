"""POST /api/v1/orders/{orderId}/returns: the order's customer asks to return some of a delivered order's lines."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.disputes.schemas.returns import ReturnIn, ReturnOut
from souk.disputes.service import returns
from souk.errors import Conflict, InvalidState, NotFound, UnprocessableEntity
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post("/api/v1/orders/<orderId>/returns", status_code=201, summary="Request a return", tags=["Returns"],
          description="A delivered order only (409 INVALID_STATE otherwise); never more than bought minus what its "
                      "returns not rejected ask already (422 with what is returnable). Several returns per order "
                      "are fine.",
          openapi_extensions=raises(NotFound, Conflict, InvalidState, UnprocessableEntity))  # fmt: skip
def request_return(
    order_id: Annotated[str, Path(alias="orderId", max_length=64)],
    body: ReturnIn,
    caller: Annotated[Principal, Depends(require_roles("customer"))],
) -> Envelope[ReturnOut]:
    return ok(returns.request_return(caller, order_id, body))


lambda_handler = entrypoint(app)
