"""The ``orders`` export type (:mod:`souk.registry`: ``SOURCES``, read by :mod:`souk.exports.service.sources`).

Admins export every order (gsi3 ``ORDERS``), store owners the orders of their stores (gsi2
``USER#<owner>#SALES``): naming another owner's store as ``storeId`` reads the caller's own sales
filtered by it, so nothing. Oldest first, one Query a page through the orders store's own list query
(:func:`souk.orders.store.orders.order_page`, as GET /orders); the cursor is that list's signed cursor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field

from souk.orders.status import OrderStatus
from souk.registry import Source
from souk.schema import CamelModel

if TYPE_CHECKING:
    from souk.orders.models import Order
    from souk.registry import ExportScope, Page

COLUMNS = ("id", "storeId", "customerId", "status", "currency", "subtotal", "discount", "deliveryFee", "total",
           "paymentMethod", "createdAt")  # fmt: skip


class OrderExportFilters(CamelModel):
    model_config = ConfigDict(extra="forbid")

    store_id: str | None = Field(None, min_length=1, max_length=64, description="Orders of this store only.")
    status: OrderStatus | None = Field(None, description="Orders in this status only.")


def order_row(order: Order) -> dict[str, Any]:
    return {"id": order.order_id, "storeId": order.store_id, "customerId": order.customer_id,
            "status": order.status, "currency": order.currency, "subtotal": int(order.subtotal),
            "discount": int(order.discount), "deliveryFee": int(order.delivery_fee), "total": int(order.total),
            "paymentMethod": order.payment_method,
            "createdAt": order.created_at.isoformat() if order.created_at else None}  # fmt: skip


def page(scope: ExportScope, filters: dict[str, Any], cursor: str | None, limit: int) -> Page:
    # Deferred for cold start: POST /exports reads the declarations only; the worker reads the orders.
    from souk.orders.schemas import OrdersQuery
    from souk.orders.store.orders import order_page

    wanted = OrderExportFilters.model_validate(filters)
    query = OrdersQuery.model_validate({"limit": limit, "cursor": cursor, "order": "asc", "status": wanted.status,
                                        "store": wanted.store_id})  # fmt: skip
    orders, next_cursor = order_page("all" if scope.is_admin else "seller", scope.user_id, query)
    return [order_row(o) for o in orders], next_cursor


SOURCES = {"orders": Source(columns=COLUMNS, page=page, roles=frozenset({"admin", "store_owner"}),
                            filters=OrderExportFilters)}  # fmt: skip
