"""GET /api/v1/stores/{storeId}/balance: the store's money by bucket, and its payout account."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.finance.schemas import BalanceOut
from souk.finance.service.balance import read_balance
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok

app = create_app()


@app.get("/api/v1/stores/<storeId>/balance", summary="A store's balance", tags=["Finance"])
def get_balance(
    store_id: Annotated[str, Path(alias="storeId", max_length=64)],
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> Envelope[BalanceOut]:
    return ok(read_balance(caller, store_id))


lambda_handler = entrypoint(app)
