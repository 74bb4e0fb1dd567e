"""Orders: the key values of its items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.orders.models`; ``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from souk.db.keys import join


def order(order_id: str) -> str:
    return join("ORDER", order_id)


def customer_orders(user_id: str) -> str:
    return join("USER", user_id, "ORDERS")


def seller_orders(owner_id: str) -> str:
    """Every order of every store of one owner (filter by store inside)."""
    return join("USER", owner_id, "SALES")


ORDERS_ALL = "ORDERS"


def courier_orders(courier_id: str) -> str:
    return join("USER", courier_id, "DELIVERIES")


def purchases(customer_id: str) -> str:
    """What a customer received: one item per product and per store of each delivered order."""
    return join("USER", customer_id, "PURCHASES")


def purchase_prefix(target_type: str, target_id: str) -> str:
    """Sort-key prefix of a customer's purchases of one product (``PRODUCT``) or from one store (``STORE``)."""
    return join(target_type.upper(), target_id, "")


def purchase(target_type: str, target_id: str, order_id: str) -> str:
    """``PRODUCT#<productId>#<orderId>`` or ``STORE#<storeId>#<orderId>``: order ids are ULIDs, so oldest first."""
    return join(target_type.upper(), target_id, order_id)
