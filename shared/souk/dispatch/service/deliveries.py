"""Who may see and act on a delivery (plain rules), and loading one for a caller."""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.dispatch.store import deliveries as store
from souk.errors import NotFound

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.dispatch.models import Delivery


def may_see(principal: Principal, delivery: Delivery) -> bool:
    """Admins; the order's customer and store owner; the courier it is offered to or held by."""
    if principal.is_admin:
        return True
    return principal.user_id in (delivery.customer_id, delivery.store_owner_id, delivery.courier_id)


def is_courier_of(principal: Principal, delivery: Delivery) -> bool:
    return principal.role == "courier" and delivery.courier_id == principal.user_id


def load_delivery(delivery_id: str) -> Delivery:
    delivery = store.get_delivery(delivery_id)
    if delivery is None:
        raise NotFound("No such delivery.")
    return delivery


def load_visible(principal: Principal, delivery_id: str) -> Delivery:
    """The delivery, or 404 when there is none or the caller may not see it (never 403: no leak)."""
    delivery = load_delivery(delivery_id)
    if not may_see(principal, delivery):
        raise NotFound("No such delivery.")
    return delivery
