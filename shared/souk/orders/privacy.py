"""Orders' privacy hook (souk.privacy): the customer's orders are kept (accounting), anonymised.

Export: the customer's orders (gsi1 ``USER#<id>#ORDERS``, a page a call), then what they received
(``USER#<id>#PURCHASES``). Erase: each order's delivery address snapshot is cut down to its city and
country (street, postcode, coordinates and any recipient name or phone dropped); the order keeps its
lines, amounts, status history and the customer's id, whose user item is anonymised last. Then the
purchase records (what let the customer review) are deleted, a page at a time.
"""

from __future__ import annotations

from typing import Any

from souk.db import personal
from souk.db.base import SoukItem
from souk.orders import keys
from souk.orders.models import Order

ORDER = 60
KEPT_ADDRESS = ("city", "country")


def _orders(user_id: str, last_key: dict[str, Any] | None) -> tuple[list[Order], dict[str, Any] | None]:
    result = Order.gsi1.query(keys.customer_orders(user_id), page_size=personal.PAGE, last_evaluated_key=last_key)
    items, more = personal.page(result)  # type: ignore[arg-type]
    return [o for o in items if isinstance(o, Order)], more


def _purchases(user_id: str, last_key: dict[str, Any] | None) -> tuple[list[SoukItem], dict[str, Any] | None]:
    return personal.page(SoukItem.query(keys.purchases(user_id), page_size=personal.PAGE,
                                        last_evaluated_key=last_key))  # fmt: skip


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    phase, last_key = personal.position(cursor)
    if phase in (None, "orders"):
        orders, more = _orders(user_id, last_key)
        rows = [personal.row("order", o) for o in orders]
        return rows, personal.cursor("orders", more) if more else personal.cursor("purchases", None)
    items, more = _purchases(user_id, last_key)
    return [personal.row("purchase", p) for p in items], personal.cursor("purchases", more) if more else None


def erase(user_id: str, cursor: str | None) -> str | None:
    phase, last_key = personal.position(cursor)
    if phase in (None, "orders"):
        orders, more = _orders(user_id, last_key)
        for order in orders:
            reduced = personal.keep_only(order.address, KEPT_ADDRESS)
            if order.address != reduced:  # idempotent: a repeat finds it reduced and writes nothing
                order.update(actions=[Order.address.set(reduced)])
        return personal.cursor("orders", more) if more else personal.cursor("purchases", None)
    items, more = _purchases(user_id, None)  # deleted ones are gone: always the first page
    personal.delete(items)
    return personal.cursor("purchases", None) if more else None
