"""Claw-back planning: which paid transfers are reversed, and for how much each (pure, no AWS)."""

from __future__ import annotations

import pytest

from souk.finance.service.clawbacks import Transferable, plan
from souk.finance.service.payouts import clawback_key, is_clawback, reversal_entry, reversal_key, reversed_key


def _t(transfer_id: str, amount: int, reversed_: int = 0, currency: str = "usd") -> Transferable:
    return Transferable(transfer_id, f"po-{transfer_id}", currency, amount, reversed_)


def _amounts(steps: list[tuple[Transferable, int]]) -> list[tuple[str, int]]:
    return [(t.transfer_id, amount) for t, amount in steps]


def test_a_deficit_smaller_than_the_newest_transfer_reverses_only_that_one() -> None:
    assert _amounts(plan(1125, [_t("new", 2250), _t("old", 5000)], currency="usd")) == [("new", 1125)]


def test_a_deficit_spans_transfers_newest_first_each_up_to_what_is_unreversed() -> None:
    # GIVEN the newest transfer already reversed for 1500 of its 2000 at Stripe
    transfers = [_t("new", 2000, reversed_=1500), _t("mid", 700), _t("old", 5000)]
    # WHEN 3000 is owed
    steps = plan(3000, transfers, currency="usd")
    # THEN 500 (all that is left) of the newest, all of the middle one, the rest from the oldest
    assert _amounts(steps) == [("new", 500), ("mid", 700), ("old", 1800)]
    assert sum(amount for _, amount in steps) == 3000


def test_never_more_than_the_transfers_hold() -> None:
    assert _amounts(plan(9000, [_t("a", 1000), _t("b", 2000, reversed_=500)], currency="usd")) == [
        ("a", 1000),
        ("b", 1500),
    ]


def test_fully_reversed_other_currency_and_skipped_transfers_are_passed_over() -> None:
    transfers = [_t("done", 1000, reversed_=1000), _t("eur", 5000, currency="eur"), _t("refused", 4000), _t("ok", 800)]
    assert _amounts(plan(600, transfers, currency="usd", skip={"refused"})) == [("ok", 600)]


@pytest.mark.parametrize("deficit", [0, -50])
def test_nothing_owed_plans_nothing(deficit: int) -> None:
    assert plan(deficit, [_t("a", 1000)], currency="usd") == []


def test_no_transfers_plans_nothing() -> None:
    assert plan(500, [], currency="usd") == []


def test_over_reversed_transfers_count_as_nothing_left() -> None:
    assert _t("x", 100, reversed_=150).unreversed == 0


# ---------------------------------------------------------------- the shared business key


def test_our_reversal_has_one_key_whichever_path_books_it() -> None:
    ours = {"id": "trr_1", "amount": 300, "metadata": {"clawbackId": "cb1"}}
    stripes = {"id": "trr_2", "amount": 300, "metadata": {"localstripe": "transfer_failed"}}
    assert is_clawback(ours) and not is_clawback(stripes) and not is_clawback({"id": "trr_3", "amount": 1})
    assert reversal_key("po1", "tr_1", ours) == clawback_key("tr_1", "trr_1") == "CLAWBACK#tr_1#trr_1"
    # a reversal made at Stripe keeps the key it always had
    assert reversal_key("po1", "tr_1", stripes) == reversed_key("po1", "trr_2") == "PAYOUT#po1#REVERSED#trr_2"
    entry = reversal_entry("s1", "po1", "usd", "tr_1", ours)
    assert (entry.business_key, entry.kind, entry.store_deltas()) == (
        "CLAWBACK#tr_1#trr_1",
        "clawback",
        {"paid_out": -300, "available": 300},
    )
    assert "cb1" in str(entry.memo)
