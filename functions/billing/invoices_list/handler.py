"""GET /api/v1/invoices: a page of the subscriber's Stripe invoices, newest first (kept from invoice.* events)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.billing.schemas import InvoiceOut, InvoicesQuery
from souk.billing.service import subscriptions
from souk.caller import Principal
from souk.errors import Forbidden, NotFound
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/invoices", summary="My invoices", tags=["Subscriptions"],
         description="The caller's invoices, or a team's (`teamId`: its admins and owners; 403 for other members, "
                     "404 for non-members), newest first: amount, status, period and Stripe's hosted page. "
                     "`limit` and `cursor` page them.",
         openapi_extensions=raises(NotFound, Forbidden))  # fmt: skip
def invoices_list(
    query: Annotated[InvoicesQuery, Query()],
    caller: Annotated[Principal, Depends(authenticated)],
) -> PageEnvelope[InvoiceOut]:
    items, next_cursor = subscriptions.list_invoices(caller, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
