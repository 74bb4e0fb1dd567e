"""Chargeback rules without AWS: an event's facts, the split over orders and lines, the steps, the postings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from souk.finance import ledger
from souk.finance.service import disputes as d
from souk.finance.service.commissions import LineReversal, ReversalPlan


def _dispute(status: str = "needs_response", amount: int = 1000, **fields: Any) -> dict[str, Any]:
    return {"id": "dp_1", "object": "dispute", "amount": amount, "currency": "USD", "status": status,
            "charge": "ch_1", "payment_intent": "pi_1", "reason": "fraudulent",
            "evidence_details": {"due_by": 1_700_000_000}, "balance_transactions": [], **fields}  # fmt: skip


def _facts(status: str = "needs_response", created: int = 100, event_type: str = "charge.dispute.updated",
           fee: int = 0) -> d.Facts:  # fmt: skip
    return d.Facts(dispute_id="dp_1", event_type=event_type, created=created, amount=1000, currency="usd",
                   status=status, fee=fee)  # fmt: skip


def _frozen_line(index: int, gross: int, rate_bps: int, reversed_gross: int = 0,
                 reversed_commission: int = 0) -> dict[str, Any]:  # fmt: skip
    commission = (2 * gross * rate_bps + 10_000) // 20_000
    return {"line": index, "gross": gross, "rateBps": rate_bps, "commission": commission, "net": gross - commission,
            "reversedGross": reversed_gross, "reversedCommission": reversed_commission,
            "reversedNet": reversed_gross - reversed_commission}  # fmt: skip


# ---------------------------------------------------------------- facts


def test_facts_come_from_the_dispute_object() -> None:
    withdrawal = {"id": "txn_1", "amount": -1000, "fee": 1500}
    reinstated = {"id": "txn_2", "amount": 1000, "fee": -1500}
    facts = d.facts_of("charge.dispute.funds_withdrawn",
                       _dispute(balance_transactions=[withdrawal, reinstated, "txn_bare"]), 42)  # fmt: skip
    assert facts is not None
    assert (facts.dispute_id, facts.amount, facts.currency, facts.status, facts.created) == (
        "dp_1", 1000, "usd", "needs_response", 42)  # fmt: skip
    assert facts.due_by == datetime.fromtimestamp(1_700_000_000, UTC)
    assert (facts.fee, facts.charge_id, facts.intent_id, facts.reason) == (1500, "ch_1", "pi_1", "fraudulent")
    # an expanded charge still gives its id; no evidence details: no due date
    other = d.facts_of("charge.dispute.created", _dispute(charge={"id": "ch_9"}, evidence_details=None), 1)
    assert other is not None and (other.charge_id, other.due_by) == ("ch_9", None)


@pytest.mark.parametrize("broken", [
    {"id": ""}, {"id": 7}, {"amount": -1}, {"amount": "1000"}, {"amount": True}, {"currency": None},
    {"status": ""},
])  # fmt: skip
def test_an_object_that_is_not_a_dispute_has_no_facts(broken: dict[str, Any]) -> None:
    assert d.facts_of("charge.dispute.created", _dispute(**broken), 1) is None


@pytest.mark.parametrize(("status", "event_type", "outcome"), [
    ("warning_needs_response", "charge.dispute.created", "open"),
    ("needs_response", "charge.dispute.funds_withdrawn", "open"),
    ("under_review", "charge.dispute.updated", "open"),
    ("lost", "charge.dispute.closed", "lost"),
    ("won", "charge.dispute.closed", "won"),
    ("warning_closed", "charge.dispute.closed", "won"),
    ("charge_refunded", "charge.dispute.closed", "won"),
    ("under_review", "charge.dispute.funds_reinstated", "won"),
    ("lost", "charge.dispute.funds_reinstated", "lost"),
])  # fmt: skip
def test_the_outcome_of_a_status(status: str, event_type: str, outcome: str) -> None:
    assert d.outcome_of(status, event_type) == outcome


# ---------------------------------------------------------------- the split


def test_the_disputed_amount_splits_over_orders_by_what_each_paid() -> None:
    # 1000 over 3000 : 2000 : 1000 -> 500, 333.3, 166.7: the leftover unit to the largest fraction
    assert d.split_orders(1000, [3000, 2000, 1000]) == [500, 333, 167]
    # never more than the orders hold; refunded-away orders (weight <= 0) get nothing
    assert d.split_orders(5000, [1000, 0, -300]) == [1000, 0, 0]
    assert d.split_orders(1000, [0, 0]) == [0, 0]
    for amount, weights in [(7, [1, 2, 3]), (9999, [5000, 5000, 1])]:
        shares = d.split_orders(amount, weights)
        assert sum(shares) == min(amount, sum(weights))


def test_an_orders_share_goes_over_its_lines_at_each_frozen_rate() -> None:
    # a book line of 6000 at 5% and a shoe line of 3000 at 10%
    lines = [_frozen_line(0, 6000, 500), _frozen_line(1, 3000, 1000)]
    plan = d.plan_order(lines, 900)
    # 600 from the book (30 commission), 300 from the shoe (30): each at its own rate, not a blend
    assert [(r.line, r.gross, r.commission) for r in plan.lines] == [(0, 600, 30), (1, 300, 30)]
    assert d.plan_record(plan) == {"gross": 900, "commission": 60, "deliveryFee": 0,
                                   "lines": [[0, 600, 30], [1, 300, 30]]}  # fmt: skip
    # an order that paid a delivery fee: the goods first, then the fee (the platform's, never held from the store)
    with_fee = d.plan_order(lines, 9500, delivery_fee=700)
    assert (with_fee.gross, with_fee.net, with_fee.delivery_fee) == (9000, 8400, 500)
    # a line partly refunded already only gives what it has left
    refunded = [_frozen_line(0, 1000, 1000, 800, 80), _frozen_line(1, 1000, 1000)]
    assert d.plan_order(refunded, 5000).gross == 1200


# ---------------------------------------------------------------- the steps


def _seen(status: str = "needs_response", created: int = 100, fee: bool = False, settlement: str = "open") -> d.Seen:
    return d.Seen(status=status, event_created=created, fee_posted=fee, settlement=settlement)


def test_the_first_event_of_any_kind_holds_and_does_what_its_object_says() -> None:
    assert d.decide(None, _facts()) == d.Steps(hold=True, newer=True)
    # closed lost seen first: hold, fee (its object shows the withdrawal), then the reversal
    steps = d.decide(None, _facts("lost", event_type="charge.dispute.closed", fee=1500))
    assert (steps.money, steps.settle, steps.newer) == (["hold", "fee", "settle"], "lost", True)


def test_a_created_after_closed_changes_nothing() -> None:
    closed = _seen("lost", created=200, fee=True, settlement="lost")
    steps = d.decide(closed, _facts("needs_response", created=100, event_type="charge.dispute.created"))
    assert steps == d.Steps()
    assert steps.money == [] and not steps.newer


def test_the_fee_is_booked_once_whatever_event_shows_it() -> None:
    assert d.decide(_seen(), _facts(fee=1500)).fee
    assert not d.decide(_seen(fee=True), _facts(fee=1500)).fee
    # an older event still shows the withdrawal: a fact, booked if it never was
    assert d.decide(_seen("lost", created=300, settlement="lost"), _facts(created=100, fee=1500)).money == ["fee"]


def test_closing_settles_once_and_a_contradiction_moves_nothing() -> None:
    assert d.decide(_seen(), _facts("won", created=200)).settle == "won"
    # a closing event older than an open one applied still settles: disputes never reopen
    assert d.decide(_seen("under_review", created=300), _facts("lost", created=200)).settle == "lost"
    # the same outcome again: nothing
    assert d.decide(_seen("won", 200, settlement="won"), _facts("won", created=200)) == d.Steps()
    # won after lost (impossible at Stripe): no second move, flagged
    after = d.decide(_seen("lost", 200, settlement="lost"), _facts("won", created=300))
    assert (after.settle, after.conflict, after.money) == (None, True, [])


def test_the_newest_event_sets_the_status_and_a_close_beats_an_open_at_the_same_second() -> None:
    assert d.is_newer(_seen(created=100), _facts(created=101))
    assert not d.is_newer(_seen(created=100), _facts(created=100))
    assert not d.is_newer(_seen(created=100), _facts(created=99))
    assert d.is_newer(_seen("under_review", created=100), _facts("won", created=100))
    assert not d.is_newer(_seen("won", created=100), _facts("under_review", created=100))


# ---------------------------------------------------------------- lost postings


def _plan(gross: int, commission: int, bucket: str) -> ReversalPlan:
    return ReversalPlan([LineReversal(0, gross, commission)], bucket)


def test_a_lost_dispute_takes_a_released_orders_net_from_held() -> None:
    postings = d.lost_postings([(_plan(1000, 100, "held"), True)], held=900)
    assert postings == {ledger.SALES: 1000, ledger.PLATFORM_COMMISSION: -100, "store:held": -900}
    ledger.Entry("s", "DISPUTE#dp_1#LOST", "dispute_lost", "usd", postings)  # balanced


def test_a_lost_dispute_before_the_release_takes_from_pending_and_gives_the_hold_back() -> None:
    postings = d.lost_postings([(_plan(1000, 100, "pending"), False)], held=900)
    assert postings == {ledger.SALES: 1000, ledger.PLATFORM_COMMISSION: -100, "store:held": -900,
                        "store:available": 900, "store:pending": -900}  # fmt: skip
    ledger.Entry("s", "DISPUTE#dp_1#LOST", "dispute_lost", "usd", postings)


def test_a_lost_dispute_gives_the_disputed_delivery_fee_back_from_the_platform_not_the_store() -> None:
    plan = ReversalPlan([LineReversal(0, 1000, 100)], "held", delivery_fee=300)
    postings = d.lost_postings([(plan, True)], held=900)
    assert postings == {ledger.SALES: 1300, ledger.PLATFORM_COMMISSION: -100, ledger.PLATFORM_DELIVERY: -300,
                        "store:held": -900}  # fmt: skip
    ledger.Entry("s", "DISPUTE#dp_1#LOST", "dispute_lost", "usd", postings)  # balanced


def test_a_hold_larger_than_what_is_still_reversible_goes_back_to_available() -> None:
    # held 900, but a refund meanwhile left only 500 of gross (450 net) to reverse
    postings = d.lost_postings([(_plan(500, 50, "held"), True)], held=900)
    assert postings["store:held"] == -900 and postings["store:available"] == 450
    assert sum(postings.values()) == 0


def test_entry_keys() -> None:
    assert (d.hold_key("dp_1"), d.fee_key("dp_1"), d.settle_key("dp_1", "lost"), d.settle_key("dp_1", "won")) == (
        "DISPUTE#dp_1#HOLD", "DISPUTE#dp_1#FEE", "DISPUTE#dp_1#LOST", "DISPUTE#dp_1#WON")  # fmt: skip
