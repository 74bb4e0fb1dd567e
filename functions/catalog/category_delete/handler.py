"""DELETE /api/v1/categories/{categoryId}: an admin deletes a leaf category with no products."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.catalog.schemas.categories import DeletedCategory
from souk.catalog.service import categories
from souk.errors import Conflict
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.delete(
    "/api/v1/categories/<categoryId>",
    summary="Delete a category",
    tags=["Categories"],
    openapi_extensions=raises(Conflict),
)
def delete_category(
    category_id: Annotated[str, Path(alias="categoryId", max_length=64)],
    caller: Annotated[Principal, Depends(require_roles("admin"))],
) -> Envelope[DeletedCategory]:
    deleted = categories.delete_category(caller, category_id)
    return ok(DeletedCategory(id=deleted.category_id, deleted=True))


lambda_handler = entrypoint(app)
