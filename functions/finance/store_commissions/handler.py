"""GET /api/v1/stores/{storeId}/commissions: per paid order, gross, rate, commission and net; newest first."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import NotFound
from souk.finance.schemas import CommissionOut, CommissionsQuery
from souk.finance.service.commissions import list_commissions
from souk.http import Depends, PageEnvelope, Path, Query, create_app, entrypoint, page
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/stores/<storeId>/commissions", summary="A store's commissions", tags=["Finance"],
         openapi_extensions=raises(NotFound),
         description="One per paid order, newest order first, with each line's frozen rate and what refunds "
                     "reversed. `status` filters a page, so one may come back short with a cursor to go on. "
                     "Another owner's store is 404.")  # fmt: skip
def store_commissions(
    store_id: Annotated[str, Path(alias="storeId", max_length=64)],
    query: Annotated[CommissionsQuery, Query()],
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> PageEnvelope[CommissionOut]:
    items, next_cursor = list_commissions(caller, store_id, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
