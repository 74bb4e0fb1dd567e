"""Catalog's pure rules: decided on loaded values, no AWS."""

from __future__ import annotations

import pytest

from souk.catalog.models import Category, SearchEntry, Store, Variant
from souk.catalog.service import categories, inventory, search, stores
from souk.errors import Conflict, InsufficientStock, InvalidState, UnprocessableEntity, ValidationFailed


def _variant(sku: str, stock: int, *, threshold: int = 5, indexed: bool = False, notified: bool = False) -> Variant:
    variant = Variant(sku=sku, name=sku, stock=stock, low_stock_threshold=threshold, low_stock_notified=notified)
    variant.gsi2pk = "LOWSTOCK#s1" if indexed else None
    return variant


def test_store_decisions_follow_the_transitions_and_need_a_reason_to_reject_or_suspend() -> None:
    stores.check_transition("pending_review", "approved")
    stores.check_transition("suspended", "approved")
    with pytest.raises(InvalidState):
        stores.check_transition("rejected", "approved")  # back only through a new verification request
    with pytest.raises(ValidationFailed):
        stores.check_reason("suspended", None)
    stores.check_reason("approved", None)


def test_near_search_picks_the_finest_cells_that_cover_the_radius() -> None:
    assert stores.near_precision(0, 1) == 5
    assert stores.near_precision(0, 10) == 4
    with pytest.raises(ValidationFailed):
        stores.near_precision(0, 50)  # nine 4-char cells reach ~20 km at the equator


def test_rank_near_keeps_approved_stores_in_range_nearest_first() -> None:
    def store(store_id: str, lat: float, status: str = "approved", name: str = "Corner Shop") -> Store:
        return Store(store_id=store_id, name=name, status=status, lat=lat, lng=0.0, category_ids=["c1"])

    found = [store("far", 0.05), store("near", 0.01), store("pending", 0.0, "pending_review"), store("out", 1.0)]
    ranked = stores.rank_near(found, 0.0, 0.0, 10, category=None, terms=[])
    assert [s.store_id for _, s in ranked] == ["near", "far"]
    assert stores.rank_near(found, 0.0, 0.0, 10, category="other", terms=[]) == []
    assert stores.rank_near(found, 0.0, 0.0, 10, category=None, terms=["bak"]) == []


def test_stock_after_refuses_below_zero_and_above_the_maximum() -> None:
    assert inventory.stock_after(3, -3) == 0
    with pytest.raises(InsufficientStock) as refused:
        inventory.stock_after(3, -4)
    assert refused.value.data == {"available": 3}
    with pytest.raises(ValidationFailed):
        inventory.stock_after(1_000_000, 1)


def test_the_owner_is_told_once_when_stock_falls_to_the_threshold() -> None:
    assert inventory.low_stock_alert(_variant("A", 9), 5, falling=True)
    assert not inventory.low_stock_alert(_variant("A", 9), 6, falling=True)
    assert not inventory.low_stock_alert(_variant("A", 9, notified=True), 2, falling=True)
    assert not inventory.low_stock_alert(_variant("A", 2), 4, falling=False)  # a restock that stays low


def test_in_stock_changes_only_when_a_variant_crosses_zero() -> None:
    a, b = _variant("A", 2), _variant("B", 0)
    assert inventory.in_stock_on_crossing([a, b], a, 1) is None
    assert inventory.in_stock_on_crossing([a, b], a, 0) is False
    assert inventory.in_stock_on_crossing([a, _variant("B", 4)], a, 0) is True
    assert inventory.in_stock_on_crossing([a, b], b, 3) is True


def test_stale_flags_are_the_variants_whose_low_stock_key_disagrees_with_their_stock() -> None:
    low_unindexed, high_indexed = _variant("A", 1), _variant("B", 50, indexed=True)
    assert inventory.stale_flags([low_unindexed, high_indexed, _variant("C", 1, indexed=True)]) == [
        low_unindexed, high_indexed
    ]  # fmt: skip


def test_a_category_moves_or_goes_only_while_empty() -> None:
    leaf = Category(category_id="c1", name="Woks", slug="woks", path=["c0", "c1"], child_count=0, product_count=0)
    categories.check_move(leaf, "c2")
    categories.check_deletable(leaf)
    with pytest.raises(UnprocessableEntity):
        categories.check_move(leaf, "c1")
    busy = Category(category_id="c3", name="Pans", slug="pans", path=["c3"], child_count=0, product_count=2)
    with pytest.raises(UnprocessableEntity):
        categories.check_move(busy, None)
    with pytest.raises(Conflict):
        categories.check_deletable(busy)
    deep = Category(category_id="c5", name="x", slug="x", path=["a", "b", "c", "d", "c5"])
    with pytest.raises(UnprocessableEntity):
        categories.check_depth(deep)
    assert categories.slugify("  Café & Bar ") == "cafe-bar"


def test_search_candidates_count_the_words_they_matched_and_rank_by_them() -> None:
    def entry(target: str, rating: float) -> SearchEntry:
        return SearchEntry(target_id=target, kind="product", word="w", name=target, rating_avg=rating, rating_count=1)

    merged = search.merge({"red": [entry("p1", 4.0), entry("p2", 5.0)], "shoe": [entry("p1", 4.0)]})
    ranked = sorted(merged, key=lambda c: c.rank)
    assert [(c.entry.target_id, sorted(c.words)) for c in ranked] == [("p1", ["red", "shoe"]), ("p2", ["red"])]
