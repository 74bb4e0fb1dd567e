"""Orders' part of ``GET /api/v1/dashboard`` (found by :func:`souk.registry.declaring` ``("dashboard")``):
customers see how many orders they placed in the last 30 days, one Query (COUNT) of their timeline,
at most :data:`CAP` counted."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from souk.db import expiry
from souk.db.base import utc_now
from souk.orders import keys
from souk.orders.models import Order
from souk.schema import CamelModel

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import BaseModel

    from souk.caller import Principal

KEY = "orders"
DAYS = 30
CAP = 100  # one Query page: "100 or more"


class RecentOrdersView(CamelModel):
    last_30_days: int
    capped: bool


def recent_orders(principal: Principal) -> RecentOrdersView:
    since = expiry.stamp(utc_now() - timedelta(days=DAYS))
    count = Order.gsi1.count(keys.customer_orders(principal.user_id), Order.gsi1sk >= since, limit=CAP)
    return RecentOrdersView(last_30_days=min(count, CAP), capped=count >= CAP)


VIEWS: dict[str, Callable[[Principal], BaseModel]] = {"customer": recent_orders}
