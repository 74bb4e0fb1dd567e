"""GET /api/v1/stores/{storeId}/inventory/low-stock: the owner's variants at or below their threshold."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.catalog.schemas.inventory import LowStockItem
from souk.catalog.service import inventory
from souk.http import Depends, PageEnvelope, Path, Query, create_app, entrypoint, page
from souk.schema import PageQuery

app = create_app()


@app.get("/api/v1/stores/<storeId>/inventory/low-stock", summary="Low-stock variants", tags=["Inventory"])
def low_stock(
    store_id: Annotated[str, Path(alias="storeId", max_length=64)],
    query: Annotated[PageQuery, Query()],
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> PageEnvelope[LowStockItem]:
    items, next_cursor = inventory.low_stock(caller, store_id, limit=query.limit, cursor=query.cursor)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
