"""GET /api/v1/orders and GET /api/v1/orders/{orderId}.

The list is one Query per page on the caller's timeline, newest first by default:

| caller | index | partition |
|---|---|---|
| customer | gsi1 | ``USER#<id>#ORDERS`` (their orders) |
| store_owner | gsi2 | ``USER#<id>#SALES`` (every order of their stores; ``store``: a FilterExpression) |
| courier | gsi4 | ``USER#<id>#DELIVERIES`` (orders assigned to them) |
| admin | gsi3 | ``ORDERS`` (all); with ``store``: the store's owner's gsi2, filtered by store |

``from``/``to`` are a range on the timeline sort key (``to`` inclusive), ``status`` and
``store`` a FilterExpression (so a filtered page may come back short, with a cursor to go
on). A ``store`` filter costs one GetItem (the store) for owners and admins. The cursor is
bound to its partition: another list's cursor is a 400.

The detail is one GetItem; an unpaid order past its ``reservedUntil`` is expired right
there (:func:`souk.orders.expiry.expire_unpaid`) and returned cancelled.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field
from pynamodb.exceptions import DoesNotExist

from souk.catalog import stores
from souk.db import keys
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.db.timeline import TimelineQuery, all_of, window
from souk.errors import NotFound
from souk.orders.expiry import expire_unpaid
from souk.orders.models import Order
from souk.orders.schemas import OrderOut, order_out
from souk.orders.status import OrderStatus

if TYPE_CHECKING:
    from souk.caller import Principal


class OrdersQuery(TimelineQuery):
    status: OrderStatus | None = None
    store: str | None = Field(None, min_length=1, max_length=64, description="Only this store's orders.")
    order: Literal["asc", "desc"] = Field("desc", description="By time placed; newest first by default.")


def _timeline(principal: Principal, query: OrdersQuery) -> tuple[Any, str, Any, str]:
    """(index, partition, sort key attribute, partition attribute name) of the caller's list."""
    if principal.is_admin and not query.store:
        return Order.gsi3, keys.ORDERS_ALL, Order.gsi3sk, "gsi3pk"
    if principal.is_admin or principal.role == "store_owner":
        owner_id = principal.user_id
        if query.store:
            store = stores.get_store(query.store)
            if not principal.is_admin and store.owner_id != principal.user_id:
                raise NotFound("No such store.")
            owner_id = store.owner_id
        return Order.gsi2, keys.seller_orders(owner_id), Order.gsi2sk, "gsi2pk"
    if principal.role == "courier":
        return Order.gsi4, keys.courier_orders(principal.user_id), Order.gsi4sk, "gsi4pk"
    return Order.gsi1, keys.customer_orders(principal.user_id), Order.gsi1sk, "gsi1pk"


def list_orders(principal: Principal, query: OrdersQuery) -> tuple[list[OrderOut], str | None]:
    """The caller's orders (see the module table): one Query, plus one GetItem with ``store`` for owners/admins."""
    index, partition, sort_key, attribute = _timeline(principal, query)
    start = decode_cursor_for(query.cursor, attribute, partition)
    conditions = all_of(Order.status == query.status if query.status else None,
                        Order.store_id == query.store if query.store else None)  # fmt: skip
    result = index.query(partition, window(sort_key, query), filter_condition=conditions,
                         scan_index_forward=query.order == "asc", page_size=query.limit,
                         last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Order, result)
    return [order_out(o) for o in found if isinstance(o, Order)], encode_cursor(last_key)


def may_see(principal: Principal, order: Order) -> bool:
    """Its customer, its store's owner, its assigned courier, or an admin."""
    return principal.is_admin or principal.user_id in (order.customer_id, order.store_owner_id, order.courier_id)


def load_order(order_id: str) -> Order:
    """The order (consistent GetItem) or 404."""
    try:
        return Order.get(keys.order(order_id), keys.order(order_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such order.") from None


def get_order(principal: Principal, order_id: str, *, now: datetime | None = None) -> OrderOut:
    """One order with its status history; anyone but its parties gets 404.

    One GetItem; an unpaid order past its window is expired first (its checkout's
    cancellation: a few more calls, once) and returned cancelled.
    """
    order = load_order(order_id)
    if not may_see(principal, order):
        raise NotFound("No such order.")
    if order.status == "pending_payment":
        mine = next((o for o in expire_unpaid(order, now=now) if o.order_id == order.order_id), None)
        if mine is not None:
            order = mine
        elif order.reserved_until is not None and order.reserved_until <= (now or datetime.now(UTC)):
            order = load_order(order_id)  # paid (or cancelled) meanwhile: show what it is now
    return order_out(order)
