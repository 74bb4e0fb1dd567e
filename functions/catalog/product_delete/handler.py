"""DELETE /api/v1/products/{productId}: soft delete; the product leaves every listing and search at once."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.catalog.schemas.products import DeletedProduct
from souk.catalog.service import products
from souk.errors import Conflict
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.delete(
    "/api/v1/products/<productId>", summary="Delete a product", tags=["Products"], openapi_extensions=raises(Conflict)
)
def delete_product(
    product_id: Annotated[str, Path(alias="productId", max_length=64)],
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> Envelope[DeletedProduct]:
    return ok(products.delete_product(caller, product_id))


lambda_handler = entrypoint(app)
