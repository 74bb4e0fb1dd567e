"""PATCH /api/v1/categories/{categoryId}: an admin renames a category or moves a childless one."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.catalog.schemas.categories import CategoryOut, UpdateCategoryRequest, category_out
from souk.catalog.service import categories
from souk.errors import Conflict, UnprocessableEntity
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.patch(
    "/api/v1/categories/<categoryId>",
    summary="Rename or move a category",
    tags=["Categories"],
    openapi_extensions=raises(Conflict, UnprocessableEntity),
)
def update_category(
    category_id: Annotated[str, Path(alias="categoryId", max_length=64)],
    body: UpdateCategoryRequest,
    caller: Annotated[Principal, Depends(require_roles("admin"))],
) -> Envelope[CategoryOut]:
    return ok(category_out(categories.update_category(caller, category_id, body)))


lambda_handler = entrypoint(app)
