"""Where an export's rows come from: one data page (one Query, never a Scan) per call.

Orders: an admin's export reads every order (gsi3 ``ORDERS``), a store owner's the orders of their
stores (gsi2 ``USER#<owner>#SALES``), through the orders store's own list query, oldest first.
The cursor is that list's signed cursor, saved on the job between parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.orders.schemas import OrdersQuery
from souk.orders.store.orders import order_page

if TYPE_CHECKING:
    from souk.exports.models import ExportJob
    from souk.orders.models import Order


def order_row(order: Order) -> dict[str, Any]:
    return {"id": order.order_id, "storeId": order.store_id, "customerId": order.customer_id,
            "status": order.status, "currency": order.currency, "subtotal": int(order.subtotal),
            "discount": int(order.discount), "deliveryFee": int(order.delivery_fee), "total": int(order.total),
            "paymentMethod": order.payment_method,
            "createdAt": order.created_at.isoformat() if order.created_at else None}  # fmt: skip


def page(job: ExportJob, cursor: str | None, size: int) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the job's rows from ``cursor`` and the cursor after it (None: the last page)."""
    filters = job.filters or {}
    query = OrdersQuery.model_validate({"limit": size, "cursor": cursor, "order": "asc",
                                        "status": filters.get("status"), "store": filters.get("storeId")})  # fmt: skip
    orders, next_cursor = order_page("all" if job.owner_role == "admin" else "seller", job.owner_id, query)
    return [order_row(o) for o in orders], next_cursor
