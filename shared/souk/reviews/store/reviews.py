"""Reviews in the table: reads, the public lists, and the transactions that publish, moderate and answer.

| pattern | call |
|---|---|
| one review | :func:`read_review`: GetItem |
| (order, target) pairs already reviewed | :func:`read_claims`: one BatchGetItem |
| a target's published reviews, newest first | :func:`review_page` on gsi1 ``REVIEWS#<TYPE>#<id>`` |
| ... most helpful first | :func:`review_page` on gsi2 (sort key ``<helpful count>#<id>``) |

The gsi1/gsi2 keys exist only while a review is published, so a public page is one Query
that never meets a hidden review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist

from souk.db.base import utc_now
from souk.db.paging import one_page
from souk.db.transactions import WriteTransaction
from souk.reviews import keys
from souk.reviews.models import PUBLISHED, Review, ReviewClaim

if TYPE_CHECKING:
    from collections.abc import Callable

    from pynamodb.expressions.update import Action

    from souk.audit.models import AuditRecord

REVIEW_LABEL = "review"
CLAIM_LABEL = "claim"


def read_review(review_id: str) -> Review | None:
    try:
        return Review.get(keys.review(review_id), keys.review(review_id), consistent_read=True)
    except DoesNotExist:
        return None


def read_claims(target_type: str, target_id: str, order_ids: list[str]) -> set[str]:
    """The orders among ``order_ids`` (at most 100) whose review of the target exists: one BatchGetItem."""
    if not order_ids:
        return set()
    sort = keys.claim_target(target_type, target_id)
    found = ReviewClaim.batch_get([(keys.claim(o), sort) for o in order_ids], consistent_read=True)
    return {claim.pk.split("#", 1)[1] for claim in found}


def list_keys(review: Review) -> None:
    """Put a published review in its target's two lists (gsi1 newest, gsi2 most helpful)."""
    partition = keys.target_reviews(review.target_type, review.target_id)
    review.gsi1pk, review.gsi1sk = partition, keys.newest_sort(review.created_at.isoformat(), review.review_id)
    review.gsi2pk, review.gsi2sk = partition, keys.helpful_sort(int(review.helpful_count or 0), review.review_id)


def new_claim(review: Review) -> ReviewClaim:
    sort = keys.claim_target(review.target_type, review.target_id)
    return ReviewClaim(pk=keys.claim(review.order_id), sk=sort, review_id=review.review_id,
                       created_at=review.created_at, updated_at=review.created_at)  # fmt: skip


def write_new(review: Review, rating_writes: Callable[[WriteTransaction], None], record: AuditRecord) -> None:
    """The (order, target) claim (conditional: a second review of the pair fails on :data:`CLAIM_LABEL`),
    the review, the target's new aggregate and the audit record, in one transaction."""
    with WriteTransaction() as tx:
        tx.put(new_claim(review), ReviewClaim.pk.does_not_exist(), label=CLAIM_LABEL)
        tx.put(review, Review.pk.does_not_exist(), label=REVIEW_LABEL)
        rating_writes(tx)
        tx.put(record, label=f"audit:{record.action}")


def write_status(review: Review, status: str, reason: str | None,
                 rating_writes: Callable[[WriteTransaction], None], record: AuditRecord) -> None:  # fmt: skip
    """The review's new status (conditional on the status read: of two racing hides one applies), in or
    out of the public lists, the target's new aggregate and the audit record, in one transaction."""
    actions: list[Action] = [Review.status.set(status), Review.updated_at.set(utc_now())]
    actions.append(Review.status_reason.set(reason) if reason else Review.status_reason.remove())
    if status == PUBLISHED:
        listed = Review.from_raw_data(review.serialize())
        list_keys(listed)
        actions += [Review.gsi1pk.set(listed.gsi1pk), Review.gsi1sk.set(listed.gsi1sk),
                    Review.gsi2pk.set(listed.gsi2pk), Review.gsi2sk.set(listed.gsi2sk)]  # fmt: skip
    else:
        actions += [Review.gsi1pk.remove(), Review.gsi1sk.remove(), Review.gsi2pk.remove(), Review.gsi2sk.remove()]
    with WriteTransaction() as tx:
        tx.update(review, actions, Review.status == review.status, label=REVIEW_LABEL)
        rating_writes(tx)
        tx.put(record, label=f"audit:{record.action}")


def write_response(review: Review, response: dict[str, Any], record: AuditRecord) -> None:
    """The reply, only if the review has none yet (a second fails on :data:`REVIEW_LABEL`), and its audit record."""
    with WriteTransaction() as tx:
        tx.update(review, [Review.response.set(response), Review.updated_at.set(utc_now())],
                  Review.pk.exists() & Review.response.does_not_exist(), label=REVIEW_LABEL)  # fmt: skip
        tx.put(record, label=f"audit:{record.action}")


def review_page(target_type: str, target_id: str, sort: str, *, limit: int, start: dict[str, Any] | None
                ) -> tuple[list[Review], dict[str, Any] | None]:  # fmt: skip
    """One Query of the target's published reviews, newest or most helpful first."""
    index = Review.gsi2 if sort == "helpful" else Review.gsi1
    result = index.query(keys.target_reviews(target_type, target_id), scan_index_forward=False,
                         page_size=limit, last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Review, result)
    return [r for r in found if isinstance(r, Review)], last_key
