"""PATCH /api/v1/admin/reviews/{reviewId}: an admin hides a review (with a reason) or restores it.

One transaction: the review's status (conditional on the status read, so of two racing
hides one applies and the other re-reads and answers 409 INVALID_STATE), its place in the
public lists (gsi keys removed or set back), the target's aggregate (-1 on hide, +1 on
restore, with the entries that sort by it) and the audit record (``review.moderate``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.catalog.service import ratings
from souk.db.transactions import Retry, TransactionCancelled, retry_on_contention
from souk.reviews import rules
from souk.reviews.schemas import ModerationIn, ReviewOut, review_out
from souk.reviews.service import reviews
from souk.reviews.store import reviews as store

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.db.transactions import WriteTransaction


def _nothing(tx: WriteTransaction) -> None:
    return None


def moderate(principal: Principal, review_id: str, request: ModerationIn) -> ReviewOut:
    """Hide or restore; the target's rating moves in the same transaction.

    Raises
    ------
    NotFound
        No such review.
    ValidationFailed
        Hiding without a reason.
    InvalidState
        The review already has that status (also when a concurrent change got there first).
    """
    review = reviews.load_review(review_id)

    def attempt() -> ratings.RatingChange | None:
        nonlocal review
        direction = rules.check_moderation(review.status, request.status, request.reason)
        # A deleted product keeps its aggregate true too (it may be restored by its owner's data fixes).
        item = reviews.load_item(review.target_type, review.target_id, deleted=True)  # type: ignore[arg-type]
        change = reviews.rating_change(review.target_type, item, int(review.rating), direction) if item else None
        record = audit.build_record(principal.actor, "review.moderate", "review", review.review_id,
                                    before={"status": review.status},
                                    after={"status": request.status, "reason": request.reason})  # fmt: skip
        try:
            store.write_status(review, request.status, request.reason, change.writes if change else _nothing, record)
        except TransactionCancelled as cancelled:
            if store.REVIEW_LABEL in cancelled.failed():
                review = reviews.load_review(review_id)  # changed meanwhile: the check above answers for it
                raise Retry from cancelled
            if change is not None and change.label in cancelled.failed():
                raise Retry from cancelled
            raise
        return change

    change = retry_on_contention(attempt, attempts=reviews.MAX_ATTEMPTS, exhausted=reviews._busy)
    if change is not None:
        change.after_commit()
    return review_out(reviews.load_review(review_id))
