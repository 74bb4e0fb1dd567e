"""PATCH /api/v1/returns/{returnId}: the owner of the order's store or an admin moves a return."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.disputes.schemas.returns import ReturnOut, ReturnStatusIn
from souk.disputes.service import returns
from souk.errors import Conflict, InvalidState, NotFound, ServiceUnavailable, UnprocessableEntity, UpstreamError
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.patch("/api/v1/returns/<returnId>", summary="Move a return", tags=["Returns"],
           description="requested → approved → received → refunded, or requested/approved → rejected (its "
                       "quantities released). `received` restocks the variants; `refunded` refunds the lines' value "
                       "to where it was paid, once. A move from another status is 409 INVALID_STATE.",
           openapi_extensions=raises(NotFound, Conflict, InvalidState, UnprocessableEntity, UpstreamError,
                                     ServiceUnavailable))  # fmt: skip
def move_return(
    return_id: Annotated[str, Path(alias="returnId", max_length=64)],
    body: ReturnStatusIn,
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> Envelope[ReturnOut]:
    return ok(returns.move_return(caller, return_id, body))


lambda_handler = entrypoint(app)
