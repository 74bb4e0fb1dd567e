"""GET /api/v1/deliveries: a courier's offers and the deliveries they hold (gsi1); admins' all (gsi2).

One Query page either way. A courier's offer that expired and has not been moved on yet is left
out of their list: it is no longer theirs to accept (GET /deliveries/{id} settles it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.db.base import utc_now
from souk.dispatch.service.offers import offer_expired, with_note
from souk.dispatch.store import listing as store

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.dispatch.schemas import DeliveriesQuery, DeliveryOut


def list_deliveries(principal: Principal, query: DeliveriesQuery) -> tuple[list[DeliveryOut], str | None]:
    """The caller's page (the route admits couriers and admins only)."""
    timeline: store.Timeline = "all" if principal.is_admin else "courier"
    found, cursor = store.delivery_page(timeline, principal.user_id, query.status, query.limit, query.cursor)
    now = utc_now()
    if timeline == "courier":
        found = [d for d in found if not offer_expired(d, now)]
    return [with_note(d, now) for d in found], cursor
