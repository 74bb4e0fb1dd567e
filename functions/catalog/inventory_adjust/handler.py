"""POST /api/v1/products/{productId}/inventory/adjustments: add or remove stock, never below zero."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.catalog.schemas.inventory import AdjustmentOut, AdjustmentRequest
from souk.catalog.service import inventory
from souk.errors import Conflict, InsufficientStock
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post("/api/v1/products/<productId>/inventory/adjustments", status_code=201, summary="Adjust stock",
          tags=["Inventory"],
          openapi_extensions=raises(Conflict, InsufficientStock))  # fmt: skip
def adjust_stock(
    product_id: Annotated[str, Path(alias="productId", max_length=64)],
    body: AdjustmentRequest,
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> Envelope[AdjustmentOut]:
    return ok(inventory.adjust_stock(caller, product_id, body))


lambda_handler = entrypoint(app)
