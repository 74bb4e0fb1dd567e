"""PATCH /api/v1/coupons/{code}: change the value, limits or dates of an own coupon (admins: any)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.cart import schemas as cart_schemas
from souk.cart.service import coupons
from souk.errors import Conflict, UnprocessableEntity
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.patch(
    "/api/v1/coupons/<code>",
    summary="Update a coupon",
    tags=["Coupons"],
    openapi_extensions=raises(Conflict, UnprocessableEntity),
)
def update_coupon(
    code: Annotated[str, Path(max_length=64)],
    body: cart_schemas.CouponPatch,
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> Envelope[cart_schemas.CouponOut]:
    return ok(coupons.update_coupon(caller, code, body))


lambda_handler = entrypoint(app)
