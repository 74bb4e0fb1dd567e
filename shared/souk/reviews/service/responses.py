"""POST /api/v1/reviews/{reviewId}/response: the owner of the review's store replies, once.

The reply lives inside the review (``response: {body, at}``), set by an update conditional
on there being none: a second reply, even at the same instant, is 409 CONFLICT. Another
owner's review is 404 (its existence is not revealed). The author is emailed after the commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.db.base import utc_now
from souk.db.transactions import TransactionCancelled
from souk.errors import Conflict, NotFound
from souk.reviews import rules
from souk.reviews.schemas import ResponseIn, ReviewOut, review_out
from souk.reviews.service import notifications
from souk.reviews.service.reviews import load_review
from souk.reviews.store import reviews as store

if TYPE_CHECKING:
    from souk.caller import Principal


def respond(principal: Principal, review_id: str, request: ResponseIn) -> ReviewOut:
    """The store owner's one reply to a review of their product or store."""
    review = load_review(review_id)
    if review.store_owner_id != principal.user_id:
        raise NotFound("No such review.")
    rules.check_response(review.response)
    response = {"body": request.body, "at": utc_now().isoformat(), "authorId": principal.user_id}
    record = audit.build_record(principal.actor, "review.respond", "review", review.review_id,
                                after={"response": request.body})  # fmt: skip
    try:
        store.write_response(review, response, record)
    except TransactionCancelled as cancelled:
        if store.REVIEW_LABEL in cancelled.failed():
            raise Conflict("This review already has a reply.") from None  # replied meanwhile
        raise
    review.response = response
    notifications.response_posted(review)
    return review_out(review)
