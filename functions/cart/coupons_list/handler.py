"""GET /api/v1/coupons: a store owner's own coupons, or every coupon for an admin (one Query a page)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.cart import schemas as cart_schemas
from souk.cart.service import coupons
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page

app = create_app()


@app.get("/api/v1/coupons", summary="List coupons", tags=["Coupons"])
def list_coupons(
    query: Annotated[cart_schemas.CouponListQuery, Query()],
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> PageEnvelope[cart_schemas.CouponOut]:
    items, next_cursor = coupons.list_coupons(caller, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
