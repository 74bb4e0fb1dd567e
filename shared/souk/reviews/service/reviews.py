"""POST and GET /api/v1/products/{productId}/reviews and /api/v1/stores/{storeId}/reviews.

Who may review: the customer who received the product (or an order from the store) in a
delivered order. Orders records that when the order becomes delivered (a Purchase per product
and per store, :mod:`souk.orders.service.purchases`), so eligibility is one GetItem (with
``orderId``) or one bounded Query of the customer's purchases of the target plus one
BatchGetItem of the claims (without it: the oldest purchase not reviewed yet). Not eligible:
403 FORBIDDEN (a question of who may, as for a role).

Once per order and target: the review's transaction puts a ReviewClaim for the pair with
``attribute_not_exists``; a second review of the pair (even at the same instant) fails on
it: 409 DUPLICATE_ENTRY. The same transaction holds the review, the target's new aggregate
(sum, count, histogram: :class:`souk.reviews.rules.Aggregate`) with the listing or search
entries it sorts (:mod:`souk.catalog.service.ratings`) and the audit record. The aggregate is
computed from the target as read and its put is versioned, so a review racing another on
the same target re-reads and retries (``MAX_ATTEMPTS``).

A list page is one GetItem (the target exists) and one Query (published reviews only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from souk.audit import service as audit
from souk.catalog.models import Product, Store
from souk.catalog.service import ratings
from souk.db.base import utc_now
from souk.db.paging import decode_cursor_for, encode_cursor
from souk.db.transactions import Retry, TransactionCancelled, retry_on_contention
from souk.errors import Conflict, DuplicateEntry, Forbidden, NotFound, UnprocessableEntity, ValidationFailed
from souk.identity.service.users import get_user
from souk.ids import new_id
from souk.orders.service import purchases
from souk.reviews import keys, rules
from souk.reviews.models import PUBLISHED, Review
from souk.reviews.schemas import ReviewIn, ReviewListQuery, ReviewOut, TargetType, review_out
from souk.reviews.service import notifications
from souk.reviews.store import reviews as store
from souk.uploads.service import claim_uploads

if TYPE_CHECKING:
    from souk.caller import Principal

MAX_ATTEMPTS = 12  # reviews of one target racing on its aggregate, retried on a fresh read
IMAGE_PURPOSES = frozenset({"product_image", "attachment"})
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


@dataclass(frozen=True)
class Target:
    type: TargetType
    id: str
    store_id: str
    owner_id: str
    name: str


def _not_found(target_type: TargetType) -> NotFound:
    return NotFound("No such product." if target_type == "product" else "No such store.")


def load_item(target_type: TargetType, target_id: str, *, deleted: bool = False) -> Product | Store | None:
    """The product or store as it is now (consistent), None when there is none."""
    if target_type == "product":
        return ratings.load_product(target_id, deleted=deleted)
    try:
        return ratings.load_store(target_id)
    except NotFound:
        return None


def target_of(target_type: TargetType, target_id: str) -> Target:
    """The product (not deleted) or store reviewed, or 404."""
    item = load_item(target_type, target_id)
    if item is None:
        raise _not_found(target_type)
    store_id = item.store_id
    return Target(type=target_type, id=target_id, store_id=store_id, owner_id=item.owner_id, name=item.name)


def eligible_order(customer_id: str, target: Target, order_id: str | None) -> str:
    """The delivered order the review is for.

    Raises
    ------
    Forbidden
        The customer did not receive the target in a delivered order (in ``order_id``, or at all).
    DuplicateEntry
        That order's review of the target exists (or every purchase of it is reviewed).
    UnprocessableEntity
        Without ``orderId``, the oldest purchases read (one page) are all reviewed and there are more.
    """
    what = "this product" if target.type == "product" else "from this store"
    if order_id is not None:
        if purchases.find_purchase(customer_id, target.type, target.id, order_id) is None:
            raise Forbidden(f"You can review only what you received: order {order_id} delivered nothing {what} "
                            "to you.")  # fmt: skip
        if store.read_claims(target.type, target.id, [order_id]):
            raise DuplicateEntry(f"You already reviewed {what} for order {order_id}.")
        return order_id
    found, more = purchases.oldest_purchases(customer_id, target.type, target.id)
    if not found:
        raise Forbidden(f"Only a customer with a delivered order {what} may review it.")
    order_ids = [p.order_id for p in found]
    chosen = rules.first_unreviewed(order_ids, store.read_claims(target.type, target.id, order_ids))
    if chosen is not None:
        return chosen
    if more:
        raise UnprocessableEntity(f"Your {len(found)} oldest orders {what} are reviewed: name the order with orderId.")
    raise DuplicateEntry(f"You already reviewed {what} for every delivered order.")


def check_images(principal: Principal, upload_ids: list[str]) -> list[str]:
    """The caller's own finished image uploads (400 on ``imageUploadIds`` otherwise)."""
    uploads = claim_uploads(principal.user_id, upload_ids, IMAGE_PURPOSES, field="imageUploadIds")
    for upload in uploads:
        if upload.content_type not in IMAGE_TYPES:
            raise ValidationFailed.field("imageUploadIds", f"Upload {upload.upload_id} is not an image.")
    return [u.upload_id for u in uploads]


def rating_change(target_type: str, item: Product | Store, rating: int, direction: int) -> ratings.RatingChange:
    """The target's aggregate moved by one review of ``rating`` stars, as writes for the caller's transaction."""
    moved = rules.Aggregate.of(item.rating_sum, item.rating_count, item.rating_histogram).moved(rating, direction)
    if isinstance(item, Product):
        return ratings.product_change(item, moved.total, moved.count, list(moved.histogram))
    return ratings.store_change(item, moved.total, moved.count, list(moved.histogram))


def _busy() -> Exception:
    return Conflict("Many reviews of this are being written right now; retry.", headers={"Retry-After": "1"})


def post_review(principal: Principal, target_type: TargetType, target_id: str, request: ReviewIn) -> ReviewOut:
    """A published review by the caller of a product or store they received in a delivered order."""
    target = target_of(target_type, target_id)
    order_id = eligible_order(principal.user_id, target, request.order_id)
    images = check_images(principal, request.image_upload_ids)
    now = utc_now()
    review_id = new_id()
    review = Review(
        pk=keys.review(review_id), sk=keys.review(review_id), review_id=review_id, target_type=target.type,
        target_id=target.id, store_id=target.store_id, store_owner_id=target.owner_id, order_id=order_id,
        author_id=principal.user_id, author_name=get_user(principal.user_id).name, rating=request.rating,
        title=request.title, body=request.body, image_upload_ids=images, status=PUBLISHED, helpful_count=0,
        created_at=now, updated_at=now,
    )  # fmt: skip
    store.list_keys(review)

    def attempt() -> ratings.RatingChange:
        item = load_item(target.type, target.id)
        if item is None:
            raise _not_found(target.type)
        change = rating_change(target.type, item, request.rating, +1)
        record = audit.build_record(principal.actor, "review.create", "review", review_id,
                                    after={"targetType": target.type, "targetId": target.id, "orderId": order_id,
                                           "rating": request.rating})  # fmt: skip
        try:
            store.write_new(review, change.writes, record)
        except TransactionCancelled as cancelled:
            if store.CLAIM_LABEL in cancelled.failed():
                what = "this product" if target.type == "product" else "this store"
                raise DuplicateEntry(f"You already reviewed {what} for order {order_id}.") from None
            if change.label in cancelled.failed():
                raise Retry from cancelled  # another review changed the aggregate: read it again
            raise
        return change

    change = retry_on_contention(attempt, attempts=MAX_ATTEMPTS, exhausted=_busy)
    change.after_commit()
    notifications.review_received(review, target.name)
    return review_out(review)


def list_reviews(target_type: TargetType, target_id: str, query: ReviewListQuery) -> tuple[list[ReviewOut], str | None]:
    """One page of the target's published reviews (newest or most helpful first)."""
    target_of(target_type, target_id)
    partition = keys.target_reviews(target_type, target_id)
    start = decode_cursor_for(query.cursor, "gsi2pk" if query.sort == "helpful" else "gsi1pk", partition)
    items, last_key = store.review_page(target_type, target_id, query.sort, limit=query.limit, start=start)
    return [review_out(r) for r in items], encode_cursor(last_key)


def load_review(review_id: str) -> Review:
    """The review, or 404."""
    review = store.read_review(review_id)
    if review is None:
        raise NotFound("No such review.")
    return review


def load_public(review_id: str) -> Review:
    """A published review, or 404 (a hidden one is not revealed)."""
    review = load_review(review_id)
    if not rules.is_public(review.status):
        raise NotFound("No such review.")
    return review


def snapshot(review: Review) -> dict[str, Any]:
    return {"status": review.status, "helpfulCount": int(review.helpful_count or 0)}
