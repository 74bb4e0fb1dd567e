"""The points rules as plain functions: no AWS."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from souk.money import largest_remainder
from souk.points.service import rules
from souk.points.service.rules import Draw, OpenLot, RedemptionRefused

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def _lot(lot_id: str, remaining: int, days: int) -> OpenLot:
    return OpenLot(lot_id, remaining, NOW + timedelta(days=days))


# --- earning and value


def test_points_are_earned_per_whole_currency_unit_paid() -> None:
    assert rules.earned_points(1999, "usd", 1) == 19  # 19.99 → 19 whole dollars
    assert rules.earned_points(1999, "usd", 3) == 57
    assert rules.earned_points(99, "usd", 1) == 0
    assert rules.earned_points(1500, "jpy", 1) == 1500  # no minor units
    assert rules.earned_points(-5, "usd", 1) == 0


def test_a_lot_expires_expiry_days_after_delivery_in_utc() -> None:
    local = datetime(2025, 1, 1, 23, 30, tzinfo=UTC).astimezone(timezone(timedelta(hours=5)))
    expires = rules.lot_expiry(local, 365)
    assert expires == datetime(2026, 1, 1, 23, 30, tzinfo=UTC) and expires.utcoffset() == timedelta(0)


def test_value_and_step() -> None:
    assert rules.value_of(250, 100, 100) == 250
    assert rules.redemption_step(100, 100) == 1
    assert rules.redemption_step(100, 50) == 2  # 2 points = 1 minor unit
    assert rules.redemption_step(100, 30) == 10  # 10 points = 3 minor units
    assert rules.value_of(30, 100, 30) == 9


def test_check_redeemable_names_the_rule_broken() -> None:
    assert rules.check_redeemable(300, points=100, amount=100, cap_value=500, balance=400) == 300
    with pytest.raises(RedemptionRefused, match="multiples of 2"):
        rules.check_redeemable(301, points=100, amount=50, cap_value=10_000, balance=10_000)
    with pytest.raises(RedemptionRefused, match="At most 500 points"):
        rules.check_redeemable(600, points=100, amount=100, cap_value=500, balance=10_000)
    with pytest.raises(RedemptionRefused, match="You have 400 points"):
        rules.check_redeemable(450, points=100, amount=100, cap_value=10_000, balance=400)
    with pytest.raises(RedemptionRefused, match="You have 0 points"):
        rules.check_redeemable(1, points=100, amount=100, cap_value=10_000, balance=-20)


def test_split_is_pro_rata_exact_and_never_above_a_weight() -> None:
    assert largest_remainder(100, [1000, 3000]) == [25, 75]
    assert largest_remainder(10, [1, 1, 1]) == [4, 3, 3]  # the leftover unit to the earlier tie
    shares = largest_remainder(997, [333, 334, 333])
    assert sum(shares) == 997 and all(s <= w for s, w in zip(shares, [333, 334, 333], strict=True))
    assert largest_remainder(0, [5, 5]) == [0, 0]
    assert largest_remainder(7, [0, 5]) == [0, 7]
    with pytest.raises(ValueError):
        largest_remainder(1, [0, 0])


# --- lots


def test_lots_are_spent_oldest_expiry_first() -> None:
    lots = [_lot("c", 100, 30), _lot("a", 50, 5), _lot("b", 80, 10)]
    drawn = rules.draw_lots(lots, 150, NOW)
    assert [(d.lot_id, d.points, d.remaining_before) for d in drawn] == [("a", 50, 50), ("b", 80, 80), ("c", 20, 100)]


def test_expired_and_empty_lots_are_never_drawn() -> None:
    lots = [_lot("old", 100, -1), _lot("empty", 0, 1), _lot("ok", 100, 2)]
    assert [(d.lot_id, d.points) for d in rules.draw_lots(lots, 60, NOW)] == [("ok", 60)]
    with pytest.raises(RedemptionRefused, match="Only 100"):
        rules.draw_lots(lots, 150, NOW)


def test_a_redemption_draws_from_at_most_eight_lots() -> None:
    lots = [_lot(f"l{i}", 10, i + 1) for i in range(10)]
    assert len(rules.draw_lots(lots, 80, NOW)) == 8
    with pytest.raises(RedemptionRefused, match="At most 80 points"):
        rules.draw_lots(lots, 81, NOW)


def test_allocate_hands_the_draws_to_the_orders_in_order() -> None:
    at = NOW + timedelta(days=3)
    draws = [Draw("a", 50, at, 50), Draw("b", 80, at, 90)]
    per_order = rules.allocate(draws, [70, 60])
    assert [[(d.lot_id, d.points) for d in mine] for mine in per_order] == [[("a", 50), ("b", 20)], [("b", 60)]]
    assert per_order[1][0].remaining_before == 90
    with pytest.raises(ValueError):
        rules.allocate(draws, [10])


# --- refunds


def test_reversal_is_pro_rata_and_a_full_refund_takes_back_exactly_all() -> None:
    # 100 points earned on 10,000 paid: refunds of 2,500, 3,333, then the rest
    first = rules.reversal_points(100, 10_000, 0, 2_500)
    second = rules.reversal_points(100, 10_000, 2_500, 3_333)
    third = rules.reversal_points(100, 10_000, 5_833, 4_167)
    assert (first, second, third) == (25, 33, 42) and first + second + third == 100
    assert rules.reversal_points(100, 10_000, 10_000, 500) == 0  # nothing left to take back
    assert rules.reversal_points(0, 10_000, 0, 500) == 0
    assert rules.reversal_points(7, 999, 0, 1) == 0  # floors: partial refunds never take more than a full one


# --- tiers


def test_tiers_from_the_last_twelve_months() -> None:
    assert rules.spend_months(NOW) == [f"2024-{m:02d}" for m in range(4, 13)] + ["2025-01", "2025-02", "2025-03"]
    tiers = [("silver", 50_000), ("gold", 200_000)]
    assert rules.tier_for(49_999, tiers) is None
    assert rules.tier_for(50_000, tiers) == "silver"
    assert rules.tier_for(250_000, tiers) == "gold"
    assert rules.tier_for(10, []) is None


# --- expiry planning


def test_the_job_reads_today_and_a_week_back_and_reminds_reminder_days_ahead() -> None:
    days = rules.expiry_days(NOW)
    assert days[0] == date(2025, 3, 3) and days[-1] == date(2025, 3, 10) and len(days) == 8
    assert rules.reminder_days(NOW, 14) == [date(2025, 3, 23), date(2025, 3, 24)]
    assert rules.reminder_days(NOW, 0) == []
    assert rules.is_due(NOW, None, NOW) and not rules.is_due(NOW + timedelta(seconds=1), None, NOW)
    assert not rules.is_due(NOW - timedelta(days=1), NOW, NOW)  # expired already
    assert rules.needs_reminder(10, NOW + timedelta(days=1), None, NOW)
    assert not rules.needs_reminder(0, NOW + timedelta(days=1), None, NOW)
    assert not rules.needs_reminder(10, NOW + timedelta(days=1), NOW, NOW)
    assert not rules.needs_reminder(10, NOW, None, NOW)
