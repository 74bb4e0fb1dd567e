"""GET /api/v1/products/{productId}: an active product of an approved store; owners and admins see their others."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import optional_principal
from souk.caller import Principal
from souk.catalog.schemas.products import ProductOut
from souk.catalog.service import products
from souk.http import Depends, Envelope, Path, Request, create_app, entrypoint, ok
from souk.http.caching import NotModified, cached
from souk.http.docs import raises

app = create_app()


@app.get(
    "/api/v1/products/<productId>",
    summary="A product with its variants",
    tags=["Products"],
    openapi_extensions=raises(NotModified),
)
def get_product(
    product_id: Annotated[str, Path(alias="productId", max_length=64)],
    caller: Annotated[Principal | None, Depends(optional_principal)],
    request: Request,
) -> Envelope[ProductOut]:
    product, public = products.get_product(product_id, caller)
    return cached(request, ok(product), public=public)


lambda_handler = entrypoint(app)
