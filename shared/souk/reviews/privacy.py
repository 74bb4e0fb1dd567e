"""Reviews' privacy hook (souk.privacy): the customer's reviews are kept (ratings and the store's replies
stand), their author anonymised.

Reviews have no by-author index; a review is claimed per (order, target), so the customer's reviews are
found from their orders: one page of orders (gsi1 ``USER#<id>#ORDERS``) a call, one Query of each order's
claims (``REVIEWED#<orderId>``), one GetItem per review found. Erase sets the author's name to "Deleted
user" (the author id stays, the user item it names is anonymised last). Helpful votes hold only an id.
"""

from __future__ import annotations

from typing import Any

from souk.db import personal
from souk.orders import keys as order_keys
from souk.orders.models import Order
from souk.reviews import keys
from souk.reviews.models import Review, ReviewClaim

ORDER = 40
ORDERS_PER_CALL = 10  # each costs one claims Query


def _reviews(user_id: str, last_key: dict[str, Any] | None) -> tuple[list[Review], dict[str, Any] | None]:
    orders, more = personal.page(Order.gsi1.query(order_keys.customer_orders(user_id), page_size=ORDERS_PER_CALL,  # type: ignore[arg-type]
                                                  last_evaluated_key=last_key))  # fmt: skip
    review_ids = {c.review_id for o in orders if isinstance(o, Order)
                  for c in ReviewClaim.query(keys.claim(o.order_id)) if isinstance(c, ReviewClaim)}  # fmt: skip
    found = [_review(i) for i in sorted(review_ids)]  # GetItems: the exports worker's role has no BatchGetItem
    return [r for r in found if r is not None and r.author_id == user_id], more


def _review(review_id: str) -> Review | None:
    try:
        return Review.get(keys.review(review_id), keys.review(review_id))
    except Review.DoesNotExist:
        return None


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    _, last_key = personal.position(cursor)
    reviews, more = _reviews(user_id, last_key)
    return [personal.row("review", r) for r in reviews], personal.cursor("orders", more) if more else None


def erase(user_id: str, cursor: str | None) -> str | None:
    _, last_key = personal.position(cursor)
    reviews, more = _reviews(user_id, last_key)
    for review in reviews:
        if review.author_name != personal.ANONYMOUS_NAME:
            review.update(actions=[Review.author_name.set(personal.ANONYMOUS_NAME)])
    return personal.cursor("orders", more) if more else None
