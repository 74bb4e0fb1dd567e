"""Helpful votes: one HelpfulVote item per (review, user) in the review's partition, and the count.

The vote's conditional put and the review's count (with the gsi2 sort key that orders a
target's reviews by it) are one transaction. The count update is conditional on the count
read, because the sort key is a string DynamoDB cannot compute: a vote that loses to another
fails on :data:`souk.reviews.store.reviews.REVIEW_LABEL` and re-reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.reviews import keys
from souk.reviews.models import PUBLISHED, HelpfulVote, Review
from souk.reviews.store.reviews import REVIEW_LABEL

if TYPE_CHECKING:
    from souk.audit.models import AuditRecord

VOTE_LABEL = "vote"


def write_vote(review: Review, user_id: str, record: AuditRecord) -> int:
    """The user's vote (a second fails on :data:`VOTE_LABEL`) and the review's count + 1; returns the count."""
    count = int(review.helpful_count or 0) + 1
    now = utc_now()
    vote = HelpfulVote(pk=keys.review(review.review_id), sk=keys.vote(user_id), review_id=review.review_id,
                       user_id=user_id, created_at=now, updated_at=now)  # fmt: skip
    condition = (Review.status == PUBLISHED) & (Review.helpful_count == int(review.helpful_count or 0))
    actions = [Review.helpful_count.set(count), Review.updated_at.set(now),
               Review.gsi2sk.set(keys.helpful_sort(count, review.review_id))]  # fmt: skip
    with WriteTransaction() as tx:
        tx.put(vote, HelpfulVote.pk.does_not_exist(), label=VOTE_LABEL)
        tx.update(review, actions, condition, label=REVIEW_LABEL)
        tx.put(record, label=f"audit:{record.action}")
    return count
