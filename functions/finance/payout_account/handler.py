"""POST /api/v1/stores/{storeId}/payout-account: the store's Stripe Express account (once) and an onboarding link."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import ServiceUnavailable, UpstreamError
from souk.finance.schemas import OnboardingOut
from souk.finance.service.accounts import start_onboarding
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post("/api/v1/stores/<storeId>/payout-account", summary="Start or resume Stripe Connect onboarding",
          tags=["Finance"], openapi_extensions=raises(ServiceUnavailable, UpstreamError),
          description="Creates the store's Express account on the first call and reuses it after; "
                      "every call answers a new one-time onboarding link.")  # fmt: skip
def payout_account(
    store_id: Annotated[str, Path(alias="storeId", max_length=64)],
    caller: Annotated[Principal, Depends(require_roles("store_owner"))],
) -> Envelope[OnboardingOut]:
    return ok(start_onboarding(caller, store_id))


lambda_handler = entrypoint(app)
