"""Where an export's rows come from: one data page (one Query, never a Scan) per call.

Users (admins only): identity's users list query on gsi1 ``USERS`` (oldest first; deleted accounts
left out as in GET /users). The cursor is that query's LastEvaluatedKey, signed like a list cursor.

Orders: an admin's export reads every order (gsi3 ``ORDERS``), a store owner's the orders of their
stores (gsi2 ``USER#<owner>#SALES``), through the orders store's own list query, oldest first.
The cursor is that list's signed cursor, saved on the job between parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.db.paging import decode_cursor, encode_cursor
from souk.identity.schemas.users import UserListQuery
from souk.identity.store.users import list_page as users_page
from souk.orders.schemas import OrdersQuery
from souk.orders.store.orders import order_page

if TYPE_CHECKING:
    from souk.exports.models import ExportJob
    from souk.identity.models import User
    from souk.orders.models import Order


def order_row(order: Order) -> dict[str, Any]:
    return {"id": order.order_id, "storeId": order.store_id, "customerId": order.customer_id,
            "status": order.status, "currency": order.currency, "subtotal": int(order.subtotal),
            "discount": int(order.discount), "deliveryFee": int(order.delivery_fee), "total": int(order.total),
            "paymentMethod": order.payment_method,
            "createdAt": order.created_at.isoformat() if order.created_at else None}  # fmt: skip


def user_row(user: User) -> dict[str, Any]:
    return {"id": user.user_id, "email": user.email, "name": user.name, "role": user.role, "status": user.status,
            "createdAt": user.created_at.isoformat() if user.created_at else None}  # fmt: skip


def page(job: ExportJob, cursor: str | None, size: int) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the job's rows from ``cursor`` and the cursor after it (None: the last page)."""
    if job.type == "users":
        users, last_key = users_page(UserListQuery.model_validate({"limit": size, "order": "asc"}),
                                     decode_cursor(cursor))  # fmt: skip
        return [user_row(u) for u in users], encode_cursor(last_key)
    filters = job.filters or {}
    query = OrdersQuery.model_validate({"limit": size, "cursor": cursor, "order": "asc",
                                        "status": filters.get("status"), "store": filters.get("storeId")})  # fmt: skip
    orders, next_cursor = order_page("all" if job.owner_role == "admin" else "seller", job.owner_id, query)
    return [order_row(o) for o in orders], next_cursor
