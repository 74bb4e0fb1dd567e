"""PATCH /api/v1/admin/payouts/{payoutId}: an admin approves (then it is queued), rejects or marks a payout failed."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import Conflict, InvalidState
from souk.finance.schemas import PayoutDecision, PayoutOut
from souk.finance.service.payouts import decide
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.patch("/api/v1/admin/payouts/<payoutId>", summary="Decide on a payout", tags=["Admin"],
           description="`approved` from requested (queued for the payouts worker); `rejected` from requested or "
                       "approved and `failed` from approved return the amount to available.",
           openapi_extensions=raises(Conflict, InvalidState))  # fmt: skip
def update_payout(
    payout_id: Annotated[str, Path(alias="payoutId", max_length=64)],
    body: PayoutDecision,
    caller: Annotated[Principal, Depends(require_roles("admin"))],
) -> Envelope[PayoutOut]:
    return ok(decide(caller, payout_id, body))


lambda_handler = entrypoint(app)
