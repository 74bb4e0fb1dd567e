"""Review races on DynamoDB Local: one review per order and target, one vote per user, counts that add up."""

from __future__ import annotations

import pytest

from souk.catalog import keys as catalog_keys
from souk.catalog.models import ListingEntry, Product
from souk.errors import Conflict, DuplicateEntry, InvalidState, SoukError
from souk.reviews.models import Review
from souk.reviews.rules import Aggregate
from souk.reviews.schemas import ModerationIn, ReviewIn, ReviewListQuery
from souk.reviews.service import moderation, reviews, votes
from tests.races import at_once
from tests.review_factories import ADMIN, Shop, customer, delivered_order, make_shop, principal_of

pytestmark = pytest.mark.integration


def _product(shop: Shop) -> Product:
    return Product.get(catalog_keys.product(shop.product_id), catalog_keys.product(shop.product_id),
                       consistent_read=True)  # fmt: skip


def _aggregate(shop: Shop) -> Aggregate:
    product = _product(shop)
    return Aggregate.of(product.rating_sum, product.rating_count, product.rating_histogram)


def _review(shop: Shop, rating: int = 4) -> str:
    user, _ = customer()
    delivered_order(user, shop)
    return reviews.post_review(principal_of(user), "product", shop.product_id,
                               ReviewIn(rating=rating, title="Fine", body="Fine oil.")).id  # fmt: skip


@pytest.mark.parametrize("name_the_order", [False, True])
def test_the_same_customer_posting_the_same_review_twice_at_once_makes_one(table: str, name_the_order: bool) -> None:
    # GIVEN a customer with one delivered order of the product
    shop = make_shop()
    user, _ = customer()
    order = delivered_order(user, shop)
    # (without orderId the oldest purchase is chosen; or the order is named)
    request = ReviewIn(rating=5, title="Great", body="Great oil.", order_id=order.order_id if name_the_order else None)
    # WHEN they post it twice at the same instant
    results = at_once([lambda: reviews.post_review(principal_of(user), "product", shop.product_id, request)] * 2)
    # THEN one review is published, the other is a duplicate; the aggregate counts it once
    errors = [r for r in results if isinstance(r, SoukError)]
    assert len(errors) == 1 and isinstance(errors[0], DuplicateEntry), results
    assert _aggregate(shop) == Aggregate(5, 1, (0, 0, 0, 0, 1))
    listed, _ = reviews.list_reviews("product", shop.product_id, ReviewListQuery())
    assert [r.order_id for r in listed] == [order.order_id]


def test_ten_customers_reviewing_one_product_at_once_all_count(table: str) -> None:
    # GIVEN ten customers with delivered orders of the product
    shop = make_shop()
    buyers = []
    for _ in range(10):
        user, _ = customer()
        delivered_order(user, shop)
        buyers.append(user)
    # WHEN they all review it at once (ratings 1..5 twice)
    calls = [lambda u=u, i=i: reviews.post_review(principal_of(u), "product", shop.product_id,
                                                   ReviewIn(rating=1 + i % 5, title="t", body="b"))
             for i, u in enumerate(buyers)]  # fmt: skip
    results = at_once(calls)
    # THEN every review counts once: the aggregate on the product and its listing entry add up
    assert not [r for r in results if isinstance(r, SoukError)], results
    aggregate = _aggregate(shop)
    assert aggregate == Aggregate(30, 10, (2, 2, 2, 2, 2)) and aggregate.is_consistent()
    entry = ListingEntry.get(catalog_keys.listing_store(shop.store_id), catalog_keys.product(shop.product_id),
                             consistent_read=True)  # fmt: skip
    assert (float(entry.rating_avg), int(entry.rating_count)) == (3.0, 10)


def test_ten_votes_at_once_from_different_users_count_ten(table: str) -> None:
    # GIVEN a review and ten other customers
    shop = make_shop()
    review_id = _review(shop)
    voters = [principal_of(customer()[0]) for _ in range(10)]
    # WHEN they all vote at once
    results = at_once([lambda v=v: votes.vote(v, review_id) for v in voters])
    # THEN ten votes, and the most-helpful sort key agrees with the count
    assert not [r for r in results if isinstance(r, SoukError)], results
    stored = reviews.load_review(review_id)
    assert int(stored.helpful_count) == 10
    assert stored.gsi2sk.startswith("000000010#")
    assert sorted(r.helpful_count for r in results) == list(range(1, 11))


def test_one_user_voting_twenty_times_at_once_counts_once(table: str) -> None:
    shop = make_shop()
    review_id = _review(shop)
    voter = principal_of(customer()[0])
    results = at_once([lambda: votes.vote(voter, review_id)] * 20)
    wins = [r for r in results if not isinstance(r, SoukError)]
    assert len(wins) == 1, results
    assert all(isinstance(r, DuplicateEntry) for r in results if isinstance(r, SoukError)), results
    assert int(reviews.load_review(review_id).helpful_count) == 1


def test_racing_hides_take_the_review_away_once(table: str) -> None:
    # GIVEN two reviews (4 and 2 stars)
    shop = make_shop()
    four, _ = _review(shop, 4), _review(shop, 2)
    # WHEN five admins hide the 4-star one at once
    request = ModerationIn(status="hidden", reason="spam")
    results = at_once([lambda: moderation.moderate(ADMIN, four, request)] * 5)
    # THEN one hide applies; the others see it hidden (409); the aggregate lost one review, once
    assert len([r for r in results if not isinstance(r, SoukError)]) == 1, results
    assert all(isinstance(r, InvalidState | Conflict) for r in results if isinstance(r, SoukError)), results
    assert _aggregate(shop) == Aggregate(2, 1, (0, 1, 0, 0, 0))
    assert Review.get(f"REVIEW#{four}", f"REVIEW#{four}").gsi1pk is None
    # WHEN restored twice at once: once
    back = at_once([lambda: moderation.moderate(ADMIN, four, ModerationIn(status="published"))] * 2)
    assert len([r for r in back if not isinstance(r, SoukError)]) == 1, back
    assert _aggregate(shop) == Aggregate(6, 2, (0, 1, 0, 1, 0))
