"""DELETE /api/v1/coupons/{code}: soft-delete an own coupon (admins: any); its code stays taken."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.cart import schemas as cart_schemas
from souk.cart.service import coupons
from souk.errors import Conflict
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.delete("/api/v1/coupons/<code>", summary="Delete a coupon", tags=["Coupons"], openapi_extensions=raises(Conflict))
def delete_coupon(
    code: Annotated[str, Path(max_length=64)],
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> Envelope[cart_schemas.CouponOut]:
    return ok(coupons.delete_coupon(caller, code))


lambda_handler = entrypoint(app)
