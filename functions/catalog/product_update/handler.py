"""PATCH /api/v1/products/{productId}: the owner (or an admin) changes a product; indexes follow."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.catalog.schemas.products import ProductOut, UpdateProductRequest
from souk.catalog.service import products
from souk.errors import Conflict, UnprocessableEntity, UpstreamError
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.patch(
    "/api/v1/products/<productId>",
    summary="Change a product",
    tags=["Products"],
    openapi_extensions=raises(Conflict, UnprocessableEntity, UpstreamError),
)
def update_product(
    product_id: Annotated[str, Path(alias="productId", max_length=64)],
    body: UpdateProductRequest,
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> Envelope[ProductOut]:
    return ok(products.update_product(caller, product_id, body))


lambda_handler = entrypoint(app)
