"""POST /api/v1/coupons: a store owner's coupon for one of their stores, or an admin's (platform-wide)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.cart import schemas as cart_schemas
from souk.cart.service import coupons
from souk.errors import Conflict, DuplicateEntry, NotFound
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post(
    "/api/v1/coupons",
    status_code=201,
    summary="Create a coupon",
    tags=["Coupons"],
    openapi_extensions=raises(Conflict, DuplicateEntry, NotFound),
)
def create_coupon(
    body: cart_schemas.CouponIn,
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> Envelope[cart_schemas.CouponOut]:
    return ok(coupons.create_coupon(caller, body))


lambda_handler = entrypoint(app)
