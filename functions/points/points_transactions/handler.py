"""GET /api/v1/points/transactions: the caller's points entries (earned, redeemed, expired...), newest first."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.points.schemas import PointsEntryOut, PointsTransactionsQuery
from souk.points.service import account

app = create_app()


@app.get("/api/v1/points/transactions", summary="Loyalty points history", tags=["Points"],
         description="Newest first; `points` is signed (redeemed, expired and reversed are negative).")  # fmt: skip
def list_points_transactions(
    query: Annotated[PointsTransactionsQuery, Query()],
    caller: Annotated[Principal, Depends(require_roles("customer"))],
) -> PageEnvelope[PointsEntryOut]:
    items, next_cursor = account.list_transactions(caller, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
