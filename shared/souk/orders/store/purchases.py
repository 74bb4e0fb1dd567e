"""Purchases: what a customer received, one item per product and one per store of a delivered order.

| pattern | call |
|---|---|
| written when an order becomes delivered | :func:`put_purchases` inside the move's transaction |
| did this customer receive this product / from this store in that order | :func:`read_purchase`: one GetItem |
| their oldest purchases of one product / from one store | :func:`purchase_page`: one Query, ``begins_with`` |

Partition ``USER#<customer>#PURCHASES``; sort key ``PRODUCT#<productId>#<orderId>`` or
``STORE#<storeId>#<orderId>`` (order ids are ULIDs: ascending is oldest first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist

from souk.db.paging import one_page
from souk.orders import keys
from souk.orders.models import Purchase

if TYPE_CHECKING:
    from datetime import datetime

    from souk.db.transactions import WriteTransaction
    from souk.orders.models import Order


def purchases_of(order: Order, delivered_at: datetime) -> list[Purchase]:
    """One Purchase per distinct product of the order's lines (at most 30: cart.MAX_LINES) and one for its store."""
    targets = [("product", str(line["productId"])) for line in order.lines or []]
    targets = [*dict.fromkeys(targets), ("store", order.store_id)]
    found = []
    for kind, target_id in targets:
        sort_key = keys.purchase(kind, target_id, order.order_id)
        found.append(Purchase(pk=keys.purchases(order.customer_id), sk=sort_key, customer_id=order.customer_id,
                              order_id=order.order_id, store_id=order.store_id, target_type=kind,
                              target_id=target_id, delivered_at=delivered_at, created_at=delivered_at,
                              updated_at=delivered_at))  # fmt: skip
    return found


def put_purchases(tx: WriteTransaction, order: Order, delivered_at: datetime) -> None:
    """The order's purchases, in the transaction that moves it to delivered (puts: the move happens once)."""
    for item in purchases_of(order, delivered_at):
        tx.put(item, label=f"purchase:{item.sk}")


def read_purchase(customer_id: str, target_type: str, target_id: str, order_id: str) -> Purchase | None:
    """One consistent GetItem; None when the customer did not receive that target in that order."""
    try:
        return Purchase.get(keys.purchases(customer_id), keys.purchase(target_type, target_id, order_id),
                            consistent_read=True)  # fmt: skip
    except DoesNotExist:
        return None


def purchase_page(customer_id: str, target_type: str, target_id: str, limit: int) -> tuple[list[Purchase], bool]:
    """The customer's ``limit`` oldest purchases of the target (one Query) and whether there are more."""
    result = Purchase.query(keys.purchases(customer_id),
                            Purchase.sk.startswith(keys.purchase_prefix(target_type, target_id)),
                            consistent_read=True, page_size=limit)  # fmt: skip
    found, last_key = one_page(Purchase, result)
    return [p for p in found if isinstance(p, Purchase)], last_key is not None
