"""GET /api/v1/payouts: a store owner's payouts (optionally one store's), or for an admin everyone's; newest first."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import NotFound
from souk.finance.schemas import PayoutOut, PayoutsQuery
from souk.finance.service.payouts import list_payouts
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/payouts", summary="Payouts", tags=["Finance"], openapi_extensions=raises(NotFound),
         description="A store owner's own payouts (`storeId`: one of their stores; another's is 404); "
                     "an admin's: everyone's, one store's or one status's. Newest first.")  # fmt: skip
def payouts(
    query: Annotated[PayoutsQuery, Query()],
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> PageEnvelope[PayoutOut]:
    items, next_cursor = list_payouts(caller, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
