"""Commission rules without AWS: rates, freezing with the discount split, reversals at frozen rates, timing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from souk.admin_settings.schemas import CommissionSettings
from souk.finance import ledger
from souk.finance.models import Commission
from souk.finance.service import commissions as c
from souk.money import largest_remainder

SETTINGS = CommissionSettings(default_rate_bps=1000, category_rates_bps={"cat-books": 500, "cat-gold": 250},
                              store_rates_bps={"store-vip": 300})  # fmt: skip


def _line(total: int, product: str = "p", category: str | None = None, quantity: int = 1) -> dict[str, object]:
    line: dict[str, object] = {"productId": product, "sku": f"{product}-sku", "quantity": quantity,
                               "unitPrice": total // quantity, "lineTotal": total}  # fmt: skip
    if category is not None:
        line["categoryId"] = category
    return line


# ---------------------------------------------------------------- arithmetic


@pytest.mark.parametrize(("numerator", "denominator", "expected"), [
    (0, 7, 0), (5, 10, 1), (4, 10, 0), (15, 10, 2), (25, 10, 3), (14_999, 10_000, 1), (15_000, 10_000, 2),
])  # fmt: skip
def test_round_half_up(numerator: int, denominator: int, expected: int) -> None:
    assert c.round_half_up(numerator, denominator) == expected


def test_round_half_up_refuses_negative_amounts() -> None:
    with pytest.raises(ValueError):
        c.round_half_up(-1, 10)


def test_largest_remainder_sums_exactly_and_gives_leftovers_to_the_largest_fractions() -> None:
    # 100 over 1:1:1 -> 33.33 each: one leftover unit, tie, to the first
    assert largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    # 10 over 3000, 2000, 1000 -> 5, 3.33, 1.67: the leftover goes to the 0.67
    assert largest_remainder(10, [3000, 2000, 1000]) == [5, 3, 2]
    assert largest_remainder(0, [5, 0]) == [0, 0]
    for total, weights in [(7, [1, 2, 3, 4]), (335, [333, 1, 1]), (10_000, [17, 9999, 3, 0, 42])]:
        shares = largest_remainder(total, weights)
        assert sum(shares) == total
        assert all(s <= w for s, w in zip(shares, weights, strict=True))


def test_largest_remainder_over_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        largest_remainder(1, [0, 0])


# ---------------------------------------------------------------- rates


def test_the_store_rate_wins_then_the_category_then_the_default() -> None:
    assert c.rate_for(SETTINGS, "store-vip", "cat-books") == 300
    assert c.rate_for(SETTINGS, "store-x", "cat-books") == 500
    assert c.rate_for(SETTINGS, "store-x", "cat-other") == 1000
    # a line without a category (ordered before the snapshot held one) skips the category step
    assert c.rate_for(SETTINGS, "store-x", None) == 1000


# ---------------------------------------------------------------- freezing


def test_each_line_is_frozen_at_its_own_rate_with_the_commission_rounded_half_up() -> None:
    frozen = c.freeze_lines([_line(1005, "a", "cat-books"), _line(995, "b")], store_id="store-x", discount=0,
                            delivery_fee=0, settings=SETTINGS)  # fmt: skip
    a, b = frozen.lines
    # 1005 at 5% = 50.25 -> 50; 995 at 10% = 99.5 -> 100 (half up)
    assert (a["gross"], a["rateBps"], a["commission"], a["net"], a["categoryId"]) == (1005, 500, 50, 955, "cat-books")
    assert (b["gross"], b["rateBps"], b["commission"], b["net"], b["categoryId"]) == (995, 1000, 100, 895, None)
    assert (frozen.gross, frozen.commission, frozen.net) == (2000, 150, 1850)
    assert [line["line"] for line in frozen.lines] == [0, 1]
    assert all(line["reversedGross"] == 0 for line in frozen.lines)


def test_the_discount_is_split_pro_rata_with_the_largest_remainder() -> None:
    # 3 lines of 1000, 2000, 3000 and a discount of 100: 16.67, 33.33, 50 -> 17, 33, 50
    frozen = c.freeze_lines([_line(1000), _line(2000), _line(3000)], store_id="s", discount=100, delivery_fee=0,
                            settings=SETTINGS)  # fmt: skip
    assert [line["gross"] for line in frozen.lines] == [983, 1967, 2950]
    assert frozen.gross == 6000 - 100


def test_a_discount_larger_than_the_lines_is_a_bug_not_a_commission() -> None:
    with pytest.raises(ValueError):
        c.freeze_lines([_line(100)], store_id="s", discount=101, delivery_fee=0, settings=SETTINGS)


def test_the_delivery_fee_is_frozen_beside_the_goods_never_a_line_of_the_stores() -> None:
    lines = [_line(1000, "a", "cat-books")]
    frozen = c.freeze_lines(lines, store_id="store-vip", discount=0, delivery_fee=300, settings=SETTINGS)
    # the goods alone are the store's: gross, the store's 3% commission, net; the fee is the platform's
    assert [line["kind"] for line in frozen.lines] == ["product"]
    assert (frozen.gross, frozen.commission, frozen.net, frozen.delivery_fee) == (1000, 30, 970, 300)
    none = c.freeze_lines(lines, store_id="s", discount=0, delivery_fee=0, settings=SETTINGS)
    assert (none.gross, none.delivery_fee) == (1000, 0)


def test_the_sale_entry_gives_the_fee_to_the_platform_and_the_store_only_its_goods_net() -> None:
    entry = ledger.sale("s", "o", "usd", gross=1000, commission=30, delivery_fee=300)
    assert dict(entry.postings) == {ledger.SALES: -1300, ledger.PLATFORM_COMMISSION: 30,
                                    ledger.PLATFORM_DELIVERY: 300, "store:pending": 970}  # fmt: skip
    assert entry.store_deltas() == {"pending": 970}
    # the courier's payout comes out of the platform's delivery fees; no store money moves
    paid = ledger.courier_fee("s", "d1", "usd", fee=300, order_id="o")
    assert (paid.business_key, paid.store_deltas()) == ("COURIER#d1", {})
    assert dict(paid.postings) == {ledger.PLATFORM_DELIVERY: -300, ledger.COURIERS: 300}


# ---------------------------------------------------------------- reversals


def _frozen_lines() -> list[dict[str, object]]:
    # 1000 at 5% (50) and 1000 at 10% (100)
    return c.freeze_lines([_line(1000, "a", "cat-books"), _line(1000, "b")], store_id="s", discount=0,
                          delivery_fee=0, settings=SETTINGS).lines  # fmt: skip


def test_a_refund_is_allocated_pro_rata_to_the_remaining_gross() -> None:
    assert c.allocate_refund(500, [1000, 1000]) == [250, 250]
    assert c.allocate_refund(3, [1000, 1000, 1000]) == [1, 1, 1]
    assert c.allocate_refund(1000, [1000, 0]) == [1000, 0]
    with pytest.raises(ValueError):
        c.allocate_refund(2001, [1000, 1000])


def test_a_reversal_uses_each_lines_frozen_rate_not_a_blended_one() -> None:
    plan = c.plan_reversal(_frozen_lines(), 1000, released=False)
    assert [(r.line, r.gross, r.commission, r.net) for r in plan.lines] == [(0, 500, 25, 475), (1, 500, 50, 450)]
    assert (plan.gross, plan.commission, plan.net, plan.from_bucket) == (1000, 75, 925, "pending")
    assert c.plan_reversal(_frozen_lines(), 1000, released=True).from_bucket == "available"


def test_partial_reversals_add_up_to_exactly_the_frozen_commission() -> None:
    lines = _frozen_lines()
    given_back = []
    for amount in (333, 333, 333, 1001):
        plan = c.plan_reversal(lines, amount, released=False)
        assert plan.gross == amount
        assert all(r.commission >= 0 and r.net >= 0 for r in plan.lines)
        given_back.append(plan.commission)
        lines = c.applied(lines, plan)
    assert sum(given_back) == 150  # 50 + 100: the frozen commission, no more, no less
    assert all(line["reversedGross"] == line["gross"] for line in lines)
    assert all(line["reversedCommission"] == line["commission"] for line in lines)
    # nothing left: a further reversal takes nothing
    assert c.plan_reversal(lines, 10, released=False).gross == 0


def test_a_reversal_larger_than_what_is_left_is_capped_per_line() -> None:
    lines = c.applied(_frozen_lines(), c.plan_reversal(_frozen_lines(), 1500, released=False))
    plan = c.plan_reversal(lines, 900, released=False)
    assert plan.gross == 500
    remaining = c.remaining_gross(c.applied(lines, plan))
    assert remaining == [0, 0]


def test_applied_with_minus_one_undoes_a_reversal_and_the_record_round_trips() -> None:
    lines = _frozen_lines()
    plan = c.plan_reversal(lines, 777, released=False)
    again = c.ReversalPlan.from_record(plan.as_record())
    assert again == plan
    assert c.applied(c.applied(lines, plan), again, sign=-1) == lines


def test_status_after_reversals() -> None:
    assert c.status_of(1000, 0, released=False) == "pending"
    assert c.status_of(1000, 0, released=True) == "available"
    assert c.status_of(1000, 1, released=True) == "partially_reversed"
    assert c.status_of(1000, 1000, released=False) == "reversed"


def test_undoing_a_reversal_puts_the_net_where_it_now_belongs() -> None:
    commission = Commission(store_id="s", order_id="o", currency="usd", released=1)
    plan = c.plan_reversal(_frozen_lines(), 1000, released=False)
    entry = c.undo_entry(commission, "r1", plan)
    assert entry.business_key == "REVERSAL#r1#UNDONE"
    assert entry.store_deltas() == {"available": 925}
    commission.released = 0
    assert c.undo_entry(commission, "r1", plan).store_deltas() == {"pending": 925}


def test_a_refund_takes_the_goods_first_and_only_what_exceeds_them_of_the_delivery_fee() -> None:
    lines = _frozen_lines()  # 2000 of goods, commission 150; the order also paid a fee of 300
    # a partial refund (a broken item): goods only, at their frozen rates; the fee stays the platform's
    partial = c.plan_reversal(lines, 1000, released=False, delivery_fee=300)
    assert (partial.gross, partial.commission, partial.net, partial.delivery_fee) == (1000, 75, 925, 300 - 300)
    # the rest of it all: the goods left, then the fee
    lines = c.applied(lines, partial)
    rest = c.plan_reversal(lines, 1300, released=False, delivery_fee=300)
    assert (rest.gross, rest.commission, rest.net, rest.delivery_fee, rest.total) == (1000, 75, 925, 300, 1300)
    # the reversal entry: the store gives back only its goods' net, the platform the commission and the fee
    entry = ledger.reversal("s", "REVERSAL#r", "usd", gross=rest.gross, commission=rest.commission,
                            from_bucket="pending", delivery_fee=rest.delivery_fee)  # fmt: skip
    assert entry.store_deltas() == {"pending": -925}
    assert dict(entry.postings)[ledger.PLATFORM_DELIVERY] == -300 and dict(entry.postings)[ledger.SALES] == 1300
    # the fee alone, after the goods went back in full; never more than is left
    only_fee = c.plan_reversal(c.applied(lines, c.plan_reversal(lines, 1000, released=False)), 500, released=False,
                               delivery_fee=300)  # fmt: skip
    assert (only_fee.gross, only_fee.net, only_fee.delivery_fee) == (0, 0, 300)


def test_a_refund_record_keeps_the_delivery_fee_and_undoing_gives_it_back_to_the_platform() -> None:
    plan = c.plan_reversal(_frozen_lines(), 2100, released=False, delivery_fee=300)
    assert c.ReversalPlan.from_record(plan.as_record()) == plan
    # a record saved before the fee was the platform's reads with none
    old = {k: v for k, v in plan.as_record().items() if k != "deliveryFee"}
    assert c.ReversalPlan.from_record(old).delivery_fee == 0
    entry = c.undo_entry(Commission(store_id="s", order_id="o", currency="usd", released=0), "r1", plan)
    assert dict(entry.postings) == {ledger.SALES: -2100, ledger.PLATFORM_COMMISSION: 150, "store:pending": 1850,
                                    ledger.PLATFORM_DELIVERY: 100}  # fmt: skip


def test_the_status_counts_the_delivery_fee_a_refund_gave_back() -> None:
    commission = Commission(gross=2000, delivery_fee=300, reversed_gross=0, reversed_delivery_fee=0, released=0)
    goods = c.plan_reversal(_frozen_lines(), 2000, released=False, delivery_fee=300)
    assert c.status_after(commission, goods) == "partially_reversed"  # the customer still paid the fee
    everything = c.plan_reversal(_frozen_lines(), 2300, released=False, delivery_fee=300)
    assert c.status_after(commission, everything) == "reversed"
    assert c.remaining_fee(Commission(delivery_fee=300, reversed_delivery_fee=100)) == 200
    assert c.remaining_fee(Commission(gross=1)) == 0  # a commission frozen before the fee was the platform's


# ---------------------------------------------------------------- timing


def test_available_hold_days_after_delivery_and_the_days_between() -> None:
    delivered = datetime(2026, 12, 30, 18, 0, tzinfo=UTC)
    assert c.available_at(delivered, 7) == datetime(2027, 1, 6, 18, 0, tzinfo=UTC)
    assert c.available_at(delivered, 0) == delivered
    assert c.days_between(date(2026, 12, 30), date(2027, 1, 1)) == [date(2026, 12, 30), date(2026, 12, 31),
                                                                   date(2027, 1, 1)]  # fmt: skip
    assert c.days_between(date(2027, 1, 2), date(2027, 1, 1)) == []


def test_what_a_release_moves_is_the_net_less_what_reversals_took_from_pending() -> None:
    commission = Commission(net=900, reversed_net=450)
    assert c.release_amount(commission) == 450
