"""GET /api/v1/wallet: the caller's balance (0 in the wallet currency before the first credit)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.wallet import service
from souk.wallet.schemas import WalletOut

app = create_app()


@app.get("/api/v1/wallet", summary="Wallet balance", tags=["Wallet"])
def get_wallet(
    caller: Annotated[Principal, Depends(require_roles("customer", "store_owner", "courier"))],
) -> Envelope[WalletOut]:
    return ok(service.get_wallet(caller))


lambda_handler = entrypoint(app)
