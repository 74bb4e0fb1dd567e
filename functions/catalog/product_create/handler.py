"""POST /api/v1/products: a store owner adds a product, with its variants, to an approved own store."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.catalog.schemas.products import CreateProductRequest, ProductOut
from souk.catalog.service import products
from souk.errors import NotFound, UnprocessableEntity, UpstreamError
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post(
    "/api/v1/products",
    status_code=201,
    summary="Add a product",
    tags=["Products"],
    openapi_extensions=raises(NotFound, UnprocessableEntity, UpstreamError),
)
def create_product(
    body: CreateProductRequest, caller: Annotated[Principal, Depends(require_roles("store_owner"))]
) -> Envelope[ProductOut]:
    return ok(products.create_product(caller, body))


lambda_handler = entrypoint(app)
