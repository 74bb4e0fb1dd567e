"""GET /api/v1/wallet/transactions: the caller's ledger entries, newest first (admins: any user's)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import NotFound
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.http.docs import raises
from souk.wallet import service
from souk.wallet.schemas import TransactionsQuery, WalletEntryOut

app = create_app()


@app.get("/api/v1/wallet/transactions", summary="Wallet ledger", tags=["Wallet"], openapi_extensions=raises(NotFound))
def list_transactions(
    query: Annotated[TransactionsQuery, Query()], caller: Annotated[Principal, Depends(authenticated)]
) -> PageEnvelope[WalletEntryOut]:
    items, next_cursor = service.list_entries(caller, query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
