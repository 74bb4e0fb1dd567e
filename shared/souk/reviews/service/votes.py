"""POST /api/v1/reviews/{reviewId}/votes: a customer finds a published review helpful, once.

One transaction: the vote item (``attribute_not_exists``: a second vote by the same user,
even at the same instant, fails on it: 409 DUPLICATE_ENTRY), the review's count and the
sort key of the most-helpful list (conditional on the count read: votes of different users
racing on one review re-read and retry) and the audit record. Not on one's own review: 422.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.db.transactions import Retry, TransactionCancelled, retry_on_contention
from souk.errors import Conflict, DuplicateEntry
from souk.reviews import rules
from souk.reviews.schemas import VoteOut
from souk.reviews.service.reviews import load_public
from souk.reviews.store import reviews as review_store
from souk.reviews.store import votes as store

if TYPE_CHECKING:
    from souk.caller import Principal

MAX_ATTEMPTS = 30  # every vote on a busy review waits its turn on the count: one of the racers wins each round


def vote(principal: Principal, review_id: str) -> VoteOut:
    """The caller's helpful vote; returns the review's new count.

    Raises
    ------
    NotFound
        No such published review.
    UnprocessableEntity
        The caller wrote it.
    DuplicateEntry
        The caller voted already.
    """
    review = load_public(review_id)
    rules.check_vote(review.author_id, principal.user_id)

    def attempt() -> VoteOut:
        nonlocal review
        record = audit.build_record(principal.actor, "review.vote", "review", review.review_id,
                                    after={"helpful": True})  # fmt: skip
        try:
            count = store.write_vote(review, principal.user_id, record)
        except TransactionCancelled as cancelled:
            if store.VOTE_LABEL in cancelled.failed():
                raise DuplicateEntry("You already voted for this review.") from None
            if review_store.REVIEW_LABEL in cancelled.failed():
                review = load_public(review_id)  # another vote counted first (or it was hidden: 404)
                raise Retry from cancelled
            raise
        return VoteOut(review_id=review.review_id, helpful_count=count)

    busy = Conflict("This review is receiving many votes right now; retry.", headers={"Retry-After": "1"})
    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS, exhausted=lambda: busy)
