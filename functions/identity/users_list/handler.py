"""GET /api/v1/users: admins list accounts by role, status and name/email prefix (one Query a page)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.identity.schemas.users import UserListQuery, UserOut
from souk.identity.service import user_admin

app = create_app()


@app.get("/api/v1/users", summary="List users", tags=["Users"])
def list_users(
    query: Annotated[UserListQuery, Query()], caller: Annotated[Principal, Depends(require_roles("admin"))]
) -> PageEnvelope[UserOut]:
    items, cursor = user_admin.list_users(query)
    return page(items, limit=query.limit, next_cursor=cursor)


lambda_handler = entrypoint(app)
