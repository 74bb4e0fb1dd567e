"""The Stripe webhook's pure rules: what an event is, a refund's id, a payment's status after refunds."""

from __future__ import annotations

from typing import Any

import pytest

from souk.webhooks.service import event_parts, payment_status_after_refunds, stripe_refund_id


def test_an_event_is_its_id_type_and_object() -> None:
    event = {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1"}}}
    assert event_parts(event) == ("evt_1", "payment_intent.succeeded", {"id": "pi_1"})


@pytest.mark.parametrize(
    "event",
    [
        [],
        "evt",
        {"type": "x", "data": {"object": {}}},  # no id
        {"id": "", "type": "x", "data": {"object": {}}},  # empty id
        {"id": "evt_1", "type": 3, "data": {"object": {}}},  # type not a string
        {"id": "evt_1", "type": "x", "data": {"object": []}},  # object not an object
        {"id": "evt_1", "type": "x", "data": "nope"},
    ],
)
def test_anything_else_is_not_an_event(event: Any) -> None:
    assert event_parts(event) is None


def test_the_refund_id_is_the_newest_listed_refund_else_derived_from_the_total() -> None:
    refunds = [{"id": "re_old", "created": 10}, {"id": "re_new", "created": 20}, {"created": 30}]  # the last has no id
    listed = {"id": "ch_1", "amount_refunded": 700, "refunds": {"data": refunds}}
    assert stripe_refund_id(listed) == "re_new"
    assert stripe_refund_id({"id": "ch_1", "amount_refunded": 700}) == "ch_1-700"


@pytest.mark.parametrize(
    ("refunded", "status"),
    [(0, "succeeded"), (1, "partially_refunded"), (999, "partially_refunded"), (1000, "refunded")],
)
def test_a_paid_payments_status_follows_what_went_back(refunded: int, status: str) -> None:
    assert payment_status_after_refunds(1000, refunded) == status
