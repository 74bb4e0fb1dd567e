"""GET /api/v1/orders and GET /api/v1/orders/{orderId}.

The list is one Query per page on the caller's timeline (:mod:`souk.orders.store.orders`),
newest first by default: a customer their orders, a store owner every order of their stores
(``store``: one store's), a courier the orders assigned to them, an admin all (with
``store``: the store's owner's sales, filtered by store). A ``store`` filter costs one
GetItem (the store) for owners and admins.

The detail is one GetItem; an unpaid order past its ``reservedUntil`` is expired right
there (:func:`souk.orders.service.expiry.expire_unpaid`) and returned cancelled.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from souk.catalog.service import stores
from souk.errors import NotFound
from souk.orders.models import Order
from souk.orders.schemas import OrderOut, OrdersQuery, order_out
from souk.orders.service.expiry import expire_unpaid
from souk.orders.store import orders as store

if TYPE_CHECKING:
    from souk.caller import Principal


def may_see(principal: Principal, order: Order) -> bool:
    """Its customer, its store's owner, its assigned courier, or an admin."""
    return principal.is_admin or principal.user_id in (order.customer_id, order.store_owner_id, order.courier_id)


def timeline_of(principal: Principal, store_owner_id: str | None) -> tuple[store.Timeline, str]:
    """Which timeline the caller lists, and whose: ``store_owner_id`` is the owner of the ``store`` asked for.

    Raises
    ------
    NotFound
        A store owner asked for another owner's store.
    """
    if principal.is_admin and store_owner_id is None:
        return "all", principal.user_id
    if principal.is_admin or principal.role == "store_owner":
        if store_owner_id is not None and not principal.is_admin and store_owner_id != principal.user_id:
            raise NotFound("No such store.")
        return "seller", store_owner_id or principal.user_id
    if principal.role == "courier":
        return "courier", principal.user_id
    return "customer", principal.user_id


def list_orders(principal: Principal, query: OrdersQuery) -> tuple[list[OrderOut], str | None]:
    """The caller's orders: one Query, plus one GetItem with ``store`` for owners/admins."""
    owner_id = None
    if query.store and (principal.is_admin or principal.role == "store_owner"):
        owner_id = stores.get_store(query.store).owner_id
    timeline, user_id = timeline_of(principal, owner_id)
    found, cursor = store.order_page(timeline, user_id, query)
    return [order_out(o) for o in found], cursor


def load_order(order_id: str) -> Order:
    """The order (consistent GetItem) or 404."""
    order = store.read_order(order_id)
    if order is None:
        raise NotFound("No such order.")
    return order


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
