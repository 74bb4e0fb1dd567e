"""What a customer received: recorded when an order becomes delivered, read by the domains above orders.

Orders knows nothing of what the records are used for (reviews ask "did this customer
receive this product, or from this store", without scanning orders). See
:mod:`souk.orders.store.purchases` for the keys.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Literal

from souk.orders.store import purchases as store

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from souk.db.transactions import WriteTransaction
    from souk.orders.models import Order, Purchase

TargetType = Literal["product", "store"]
PAGE_LIMIT = 25  # purchases one look-up reads at most


def delivered_writes(order: Order, delivered_at: datetime) -> Callable[[WriteTransaction], None]:
    """For the transaction that moves ``order`` to delivered: one Purchase per product and one for the store.

    At most 31 items (cart.MAX_LINES lines, one store), beside the order's update, its audit record,
    finance's commission update and dispatch's delivery: well under DynamoDB's 100.
    """
    return partial(store.put_purchases, order=order, delivered_at=delivered_at)


def find_purchase(customer_id: str, target_type: TargetType, target_id: str, order_id: str) -> Purchase | None:
    """The purchase of the target in that order of that customer, or None (one GetItem)."""
    return store.read_purchase(customer_id, target_type, target_id, order_id)


def oldest_purchases(customer_id: str, target_type: TargetType, target_id: str, limit: int = PAGE_LIMIT
                     ) -> tuple[list[Purchase], bool]:  # fmt: skip
    """The customer's oldest ``limit`` purchases of the target (one Query) and whether more exist."""
    return store.purchase_page(customer_id, target_type, target_id, min(limit, PAGE_LIMIT))
