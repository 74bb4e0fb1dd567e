"""GET /api/v1/points: the caller's loyalty points balance, tier, last 12 months' spend and next expiry."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.points.schemas import PointsOut
from souk.points.service import account

app = create_app()


@app.get("/api/v1/points", summary="Loyalty points", tags=["Points"],
         description="Balance (the sum of the entries), tier from the last 12 months' paid spend, and the lot "
                     "that expires first. Three reads whatever the history.")  # fmt: skip
def get_points(caller: Annotated[Principal, Depends(require_roles("customer"))]) -> Envelope[PointsOut]:
    return ok(account.get_points(caller))


lambda_handler = entrypoint(app)
