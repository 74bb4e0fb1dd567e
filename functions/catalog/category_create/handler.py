"""POST /api/v1/categories: an admin adds a category at the top or under ``parentId``."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.catalog.schemas.categories import CategoryOut, CreateCategoryRequest, category_out
from souk.catalog.service import categories
from souk.errors import Conflict, NotFound, UnprocessableEntity
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post(
    "/api/v1/categories",
    status_code=201,
    summary="Add a category",
    tags=["Categories"],
    openapi_extensions=raises(Conflict, NotFound, UnprocessableEntity),
)
def create_category(
    body: CreateCategoryRequest, caller: Annotated[Principal, Depends(require_roles("admin"))]
) -> Envelope[CategoryOut]:
    return ok(category_out(categories.create_category(caller, body)))


lambda_handler = entrypoint(app)
