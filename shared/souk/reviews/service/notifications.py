"""Emails about reviews: a new review (to the store owner) and the store's reply (to the author).

Best effort after the commit, like :mod:`souk.orders.service.notifications`: the review or the
reply stands when the email cannot be queued. Each has an idempotency id, so it is queued once.
"""

from __future__ import annotations

from typing import Any

from souk.catalog.service.stores import get_store
from souk.errors import NotFound
from souk.identity.service.users import get_user
from souk.notify.exceptions import NotificationError
from souk.notify.service import enqueue_email
from souk.observability import logger
from souk.reviews.models import Review


def _send(template: str, user_id: str, variables: dict[str, Any], idempotency_id: str, review: Review) -> None:
    try:
        enqueue_email(template, get_user(user_id).email, variables, idempotency_id=idempotency_id)
    except (NotFound, NotificationError) as exc:
        logger.warning("review email not queued", extra={"review_id": review.review_id, "template": template,
                                                         "error_type": type(exc).__name__})  # fmt: skip


def review_received(review: Review, target_name: str) -> None:
    """The store owner hears of a new review of their product or store."""
    variables = {"rating": int(review.rating), "target_name": target_name, "author_name": review.author_name,
                 "title": review.title}  # fmt: skip
    _send("review_received", review.store_owner_id, variables, f"review-received:{review.review_id}", review)


def response_posted(review: Review) -> None:
    """The author hears of the store's reply."""
    try:
        store_name = get_store(review.store_id).name
    except NotFound:
        store_name = "The store"
    variables = {"store_name": store_name, "title": review.title, "response": (review.response or {}).get("body", "")}
    _send("review_response", review.author_id, variables, f"review-response:{review.review_id}", review)
