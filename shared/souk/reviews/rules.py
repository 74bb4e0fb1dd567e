"""The rules of reviews as plain functions over loaded values: no AWS here (unit-tested alone).

- :class:`Aggregate`: a target's rating sum, count and per-star histogram, and how a review's
  publish (+1), hide (-1) and restore (+1) move it.
- :func:`first_unreviewed`: which delivered purchase a review without ``orderId`` is for.
- :func:`check_moderation`, :func:`check_vote`, :func:`check_response`: who may do what, when.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from souk.errors import Conflict, InvalidState, UnprocessableEntity, ValidationFailed
from souk.reviews.models import HIDDEN, PUBLISHED

STARS = 5


@dataclass(frozen=True)
class Aggregate:
    """What a product or store item keeps of its published reviews: reads never sum reviews."""

    total: int  # sum of the ratings
    count: int
    histogram: tuple[int, ...]  # published reviews with 1, 2, 3, 4, 5 stars

    @classmethod
    def of(cls, total: float, count: float, histogram: Sequence[float] | None) -> Aggregate:
        """From an item's attributes; an item rated before histograms existed reads as all zeros."""
        bars = [int(v) for v in histogram or []][:STARS]
        return cls(int(total), int(count), tuple(bars + [0] * (STARS - len(bars))))

    @property
    def average(self) -> float:
        return round(self.total / self.count, 2) if self.count else 0.0

    def moved(self, rating: int, direction: int) -> Aggregate:
        """With one review of ``rating`` stars added (``direction`` +1) or taken away (-1).

        Never below zero: an item rated before the histogram existed has empty bars, and
        taking a review away from one leaves that bar at zero rather than negative.

        Raises
        ------
        ValueError
            A rating outside 1-5 or a direction other than ±1 (a bug, not input: schemas check ratings).
        """
        if not 1 <= rating <= STARS or direction not in (1, -1):
            raise ValueError(f"rating {rating}, direction {direction}")
        bars = list(self.histogram)
        bars[rating - 1] = max(0, bars[rating - 1] + direction)
        return Aggregate(max(0, self.total + direction * rating), max(0, self.count + direction), tuple(bars))

    def is_consistent(self) -> bool:
        """Sum and count agree with the histogram."""
        return self.count == sum(self.histogram) and self.total == sum(
            (star + 1) * n for star, n in enumerate(self.histogram)
        )


def first_unreviewed(order_ids: Iterable[str], reviewed: set[str]) -> str | None:
    """The oldest purchase (``order_ids`` oldest first) not reviewed yet, or None."""
    return next((order_id for order_id in order_ids if order_id not in reviewed), None)


def check_moderation(current: str, requested: str, reason: str | None) -> int:
    """The aggregate direction of an admin's hide (-1) or restore (+1).

    Raises
    ------
    ValidationFailed
        Hiding without a reason (400 on ``reason``).
    InvalidState
        The review already has that status (409: a racing second hide changes nothing).
    """
    if requested == HIDDEN and not (reason and reason.strip()):
        raise ValidationFailed.field("reason", "Say why the review is hidden.")
    if current == requested:
        raise InvalidState(f"The review is already {current}.")
    return -1 if requested == HIDDEN else 1


def check_vote(author_id: str, voter_id: str) -> None:
    """422 for a vote on one's own review."""
    if author_id == voter_id:
        raise UnprocessableEntity("You cannot vote for your own review.")


def check_response(existing: object | None) -> None:
    """409 when the review already has its reply."""
    if existing:
        raise Conflict("This review already has a reply.")


def is_public(status: str) -> bool:
    return status == PUBLISHED
