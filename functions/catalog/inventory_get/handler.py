"""GET /api/v1/products/{productId}/inventory: the owner's view of stock per variant and recent movements."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.catalog.schemas.inventory import InventoryOut, InventoryQuery
from souk.catalog.service import inventory
from souk.http import Depends, Envelope, Path, Query, create_app, entrypoint, ok

app = create_app()


@app.get("/api/v1/products/<productId>/inventory", summary="Stock and movements", tags=["Inventory"])
def get_inventory(
    product_id: Annotated[str, Path(alias="productId", max_length=64)],
    query: Annotated[InventoryQuery, Query()],
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> Envelope[InventoryOut]:
    return ok(inventory.get_inventory(caller, product_id, query))


lambda_handler = entrypoint(app)
