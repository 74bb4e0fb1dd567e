"""The review rules as plain functions: aggregates and their histogram, eligibility, moderation, votes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from souk.errors import Conflict, InvalidState, UnprocessableEntity, ValidationFailed
from souk.reviews import keys, rules
from souk.reviews.rules import Aggregate
from souk.reviews.schemas import ModerationIn, ReviewIn


def test_publishing_reviews_moves_sum_count_histogram_and_average() -> None:
    # GIVEN an unrated product
    aggregate = Aggregate.of(0, 0, None)
    assert (aggregate.total, aggregate.count, aggregate.histogram, aggregate.average) == (0, 0, (0, 0, 0, 0, 0), 0.0)
    # WHEN reviews of 5, 4 and 4 stars are published
    for stars in (5, 4, 4):
        aggregate = aggregate.moved(stars, +1)
    # THEN the sum, count, bars and average follow
    assert (aggregate.total, aggregate.count) == (13, 3)
    assert aggregate.histogram == (0, 0, 0, 2, 1)
    assert aggregate.average == 4.33
    assert aggregate.is_consistent()


def test_hiding_takes_exactly_one_review_away_and_restoring_puts_it_back() -> None:
    # GIVEN 1, 3 and 5 star reviews
    aggregate = Aggregate.of(9, 3, [1, 0, 1, 0, 1])
    # WHEN the 1-star one is hidden, then restored
    hidden = aggregate.moved(1, -1)
    restored = hidden.moved(1, +1)
    # THEN
    assert (hidden.total, hidden.count, hidden.histogram, hidden.average) == (8, 2, (0, 0, 1, 0, 1), 4.0)
    assert restored == aggregate


def test_an_item_rated_before_histograms_reads_as_empty_bars_and_never_goes_below_zero() -> None:
    # GIVEN a legacy item: sum and count but no histogram, and a short one
    legacy = Aggregate.of(8, 2, [])
    assert legacy.histogram == (0, 0, 0, 0, 0)
    assert Aggregate.of(4, 1, [0, 0, 0, 1]).histogram == (0, 0, 0, 1, 0)
    # WHEN a review is taken away
    moved = legacy.moved(4, -1)
    # THEN the bar stays at zero while sum and count move
    assert (moved.total, moved.count, moved.histogram) == (4, 1, (0, 0, 0, 0, 0))
    assert Aggregate.of(0, 0, None).moved(3, -1) == Aggregate(0, 0, (0, 0, 0, 0, 0))


@pytest.mark.parametrize(("stars", "direction"), [(0, 1), (6, 1), (3, 2), (3, 0)])
def test_a_rating_outside_one_to_five_or_a_bad_direction_is_a_bug(stars: int, direction: int) -> None:
    with pytest.raises(ValueError):
        Aggregate.of(0, 0, None).moved(stars, direction)


def test_the_oldest_unreviewed_purchase_is_chosen() -> None:
    assert rules.first_unreviewed(["A", "B", "C"], {"A"}) == "B"
    assert rules.first_unreviewed(["A", "B"], set()) == "A"
    assert rules.first_unreviewed(["A", "B"], {"A", "B"}) is None
    assert rules.first_unreviewed([], set()) is None


def test_moderation_needs_a_reason_to_hide_and_a_change_of_status() -> None:
    assert rules.check_moderation("published", "hidden", "spam") == -1
    assert rules.check_moderation("hidden", "published", None) == 1
    with pytest.raises(ValidationFailed):
        rules.check_moderation("published", "hidden", "  ")
    with pytest.raises(InvalidState):
        rules.check_moderation("hidden", "hidden", "again")
    with pytest.raises(InvalidState):
        rules.check_moderation("published", "published", None)


def test_no_vote_on_ones_own_review_and_one_reply_only() -> None:
    rules.check_vote("author", "someone-else")
    with pytest.raises(UnprocessableEntity):
        rules.check_vote("author", "author")
    rules.check_response(None)
    with pytest.raises(Conflict):
        rules.check_response({"body": "Thanks", "at": "2026-01-01T00:00:00+00:00"})


def test_helpful_sort_keys_order_like_their_counts() -> None:
    counts = [0, 9, 10, 100, 2]
    ordered = sorted(counts, key=lambda n: keys.helpful_sort(n, "01ID"))
    assert ordered == sorted(counts)
    assert keys.helpful_sort(7, "A") < keys.helpful_sort(7, "B")


def test_review_body_rules() -> None:
    ok = ReviewIn.model_validate({"rating": 5, "title": "Great", "body": "Tasty oil."})
    assert (ok.rating, ok.image_upload_ids, ok.order_id) == (5, [], None)
    for bad in ({"rating": 6}, {"rating": 0}, {"rating": 4.5}, {"rating": "5"}, {"rating": True},
                {"title": "two\nlines"}, {"body": "   "}, {"imageUploadIds": ["u"] * 6}):  # fmt: skip
        with pytest.raises(ValidationError):
            ReviewIn.model_validate({"rating": 5, "title": "Great", "body": "Tasty oil.", **bad})


def test_hiding_needs_a_reason_in_the_body() -> None:
    with pytest.raises(ValidationError) as error:
        ModerationIn.model_validate({"status": "hidden"})
    assert error.value.errors()[0]["loc"] == ("reason",)
    assert ModerationIn.model_validate({"status": "published"}).reason is None
