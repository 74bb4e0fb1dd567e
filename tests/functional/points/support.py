"""Shared set-up of the points tests: customers with points earned the way production earns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from souk.caller import Principal
from souk.db.transactions import WriteTransaction
from souk.identity.models import User
from souk.orders.models import Order
from souk.orders.schemas import StatusRequest
from souk.orders.service import fulfilment
from souk.points import keys
from souk.points.models import PointsAccount, PointsEntry, PointsLot
from souk.points.service import earning
from tests.commerce_factories import make_order, stored_order

ADMIN = Principal(user_id="points-admin", role="admin", session_id=None)


def line(total: int) -> dict[str, Any]:
    return {"productId": "p-pts", "sku": "SKU-PTS", "name": "Thing", "quantity": 1, "unitPrice": total,
            "lineTotal": total}  # fmt: skip


def delivered(customer: User, paid: int, **kwargs: Any) -> Order:
    """An order of ``paid`` moved to delivered through the real move (so it earns its lot there)."""
    order = make_order(customer.user_id, "store-pts", "owner-pts", status="picked_up", lines=[line(paid)], **kwargs)
    fulfilment.move_order(ADMIN, order.order_id, StatusRequest(status="delivered"))
    return stored_order(order.order_id)


def earned_at(customer: User, paid: int, at: datetime) -> Order:
    """An order delivered at ``at`` (in the past, say): its lot written as the move writes it."""
    order = make_order(customer.user_id, "store-pts", "owner-pts", status="delivered", lines=[line(paid)])
    writes = earning.delivered_writes(order, at)
    assert writes is not None
    with WriteTransaction() as tx:
        writes(tx)
    return order


def balance(user_id: str) -> int:
    try:
        return int(PointsAccount.get(keys.points(user_id), keys.ACCOUNT, consistent_read=True).balance)
    except PointsAccount.DoesNotExist:
        return 0


def entries(user_id: str) -> list[PointsEntry]:
    found = PointsEntry.query(keys.points(user_id), PointsEntry.sk.startswith("ENTRY#"), consistent_read=True)
    return [e for e in found if isinstance(e, PointsEntry)]


def lot(user_id: str, lot_id: str) -> PointsLot:
    return PointsLot.get(keys.points(user_id), keys.lot(lot_id), consistent_read=True)


def assert_balance_is_the_sum_of_entries(user_id: str) -> int:
    total = sum(int(e.points) for e in entries(user_id))
    assert balance(user_id) == total
    return total
