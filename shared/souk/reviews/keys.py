"""Reviews: the key values of its items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.reviews.models`; ``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from souk.db.keys import created_sort, join

HELPFUL_DIGITS = 9


def review(review_id: str) -> str:
    return join("REVIEW", review_id)


def target_reviews(target_type: str, target_id: str) -> str:
    """The published reviews of one product or store (gsi1: newest, gsi2: most helpful)."""
    return join("REVIEWS", target_type.upper(), target_id)


def newest_sort(created_iso: str, review_id: str) -> str:
    return created_sort(created_iso, review_id)


def helpful_sort(helpful_count: int, review_id: str) -> str:
    """Zero-padded so strings sort as numbers; ties by id (a ULID: read backwards, newest first)."""
    return join(f"{helpful_count:0{HELPFUL_DIGITS}d}", review_id)


def claim(order_id: str) -> str:
    """The (order, target) pairs already reviewed: one item per pair, put with a condition."""
    return join("REVIEWED", order_id)


def claim_target(target_type: str, target_id: str) -> str:
    return join(target_type.upper(), target_id)


def vote(user_id: str) -> str:
    """A helpful vote, in the review's partition: one per user and review."""
    return join("VOTE", user_id)
