"""Plans as configuration: pure rules, no AWS and no Stripe."""

from __future__ import annotations

import itertools

import pytest

from souk.plans import catalog as plans
from souk.plans.service.plans import list_plans
from souk.settings import get_settings


def test_plans_are_free_pro_enterprise_cheapest_first_and_only_free_costs_nothing() -> None:
    listed = list_plans()
    assert [p.id for p in listed] == ["free", "pro", "enterprise"]
    assert [p.price.amount for p in listed] == [0, 2900, 9900]
    assert {p.price.currency for p in listed} == {"usd"} and {p.interval for p in listed} == {"month"}
    assert [plans.PLANS[p.id].paid for p in listed] == [False, True, True]


def test_a_higher_plan_never_allows_less_nor_lacks_a_feature_of_a_lower_one() -> None:
    order = [plans.PLANS[i] for i in ("free", "pro", "enterprise")]
    for lower, higher in itertools.pairwise(order):
        assert set(lower.features) <= set(higher.features), (lower.id, higher.id)
        for name in ("team_members", "api_keys", "exports_per_month"):
            low, high = getattr(lower.limits, name), getattr(higher.limits, name)
            assert high is None or (low is not None and high >= low), (name, lower.id, higher.id)


def test_every_plan_has_the_base_features_pro_adds_analytics_and_enterprise_differs_by_its_limits() -> None:
    free, pro, enterprise = plans.PLANS["free"], plans.PLANS["pro"], plans.PLANS["enterprise"]
    assert free.features == ("storefront", "orders", "teams", "api_keys", "exports")
    assert set(pro.features) - set(free.features) == {"analytics"}
    assert enterprise.features == pro.features
    # every feature a plan lists is a known one, and every known one is on some plan
    assert {f for p in plans.PLANS.values() for f in p.features} == set(plans.FEATURES)
    assert pro.has("analytics") and not free.has("analytics")


def test_a_missing_feature_names_the_plans_that_have_it() -> None:
    assert plans.where_feature_is("analytics") == "Analytics is on the Pro and Enterprise plans."
    assert plans.where_feature_is("api_keys") == "API keys is on the Free, Pro and Enterprise plans."
    assert [p.id for p in plans.plans_with("analytics")] == ["pro", "enterprise"]


def test_unknown_plan_is_none() -> None:
    assert plans.plan("pro") is plans.PLANS["pro"]
    assert plans.plan("gold") is None and plans.plan("") is None


@pytest.mark.parametrize(("limit", "count", "fits"), [(None, 10**6, True), (3, 3, True), (3, 4, False), (0, 0, True),
                                                      (0, 1, False)])  # fmt: skip
def test_within_a_limit(limit: int | None, count: int, fits: bool) -> None:
    assert plans.within(limit, count) is fits


def test_paid_plans_are_billed_through_the_stripe_prices_of_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_PRICE_PRO", "price_pro_1")
    monkeypatch.setenv("STRIPE_PRICE_ENTERPRISE", "price_ent_1")
    get_settings.cache_clear()
    try:
        assert plans.PLANS["pro"].stripe_price() == "price_pro_1"
        assert plans.PLANS["enterprise"].stripe_price() == "price_ent_1"
        assert plans.FREE.stripe_price() is None
    finally:
        get_settings.cache_clear()
