"""Review entities in the single table. Keys come from its `keys` module only.

| entity | pk | sk | GSIs |
|---|---|---|---|
| Review | REVIEW#<id> | REVIEW#<id> | gsi1 REVIEWS#<PRODUCT or STORE>#<targetId> / C#<created>#<id>; gsi2 same / <helpful, 9 digits>#<id> (both only while published) |
| ReviewClaim | REVIEWED#<orderId> | <PRODUCT or STORE>#<targetId> | |
| HelpfulVote | REVIEW#<id> | VOTE#<userId> | |

A review is one item (its reply inside it), so a read is one GetItem and a list page one
Query. Hiding a review removes its gsi1/gsi2 keys: the public lists never meet it.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from souk.db.base import SoukItem

PUBLISHED = "published"
HIDDEN = "hidden"


class Review(SoukItem, discriminator="Review"):
    review_id = UnicodeAttribute(attr_name="reviewId")
    target_type = UnicodeAttribute(attr_name="targetType")  # product | store
    target_id = UnicodeAttribute(attr_name="targetId")
    store_id = UnicodeAttribute(attr_name="storeId")  # the product's store, or the store itself
    store_owner_id = UnicodeAttribute(attr_name="storeOwnerId")  # who may reply
    order_id = UnicodeAttribute(attr_name="orderId")
    author_id = UnicodeAttribute(attr_name="authorId")
    author_name = UnicodeAttribute(attr_name="authorName")  # as it was when the review was written
    rating = NumberAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    image_upload_ids = ListAttribute[str](of=UnicodeAttribute, attr_name="imageUploadIds", default=list)  # type: ignore[arg-type]
    status = UnicodeAttribute(default=PUBLISHED)  # published | hidden
    status_reason = UnicodeAttribute(attr_name="statusReason", null=True)
    helpful_count = NumberAttribute(attr_name="helpfulCount", default=0)
    response = JSONAttribute(null=True)  # {"body", "at", "authorId"}: the store owner's one reply


class ReviewClaim(SoukItem, discriminator="ReviewClaim"):
    """The (order, target) pair a review used: put with ``attribute_not_exists`` in the review's transaction."""

    review_id = UnicodeAttribute(attr_name="reviewId")


class HelpfulVote(SoukItem, discriminator="HelpfulVote"):
    review_id = UnicodeAttribute(attr_name="reviewId")
    user_id = UnicodeAttribute(attr_name="userId")
