"""Reading Stripe Billing objects of either API shape, pure."""

from __future__ import annotations

from datetime import UTC, datetime

from souk.billing import objects

T = 1_765_000_000


def test_the_period_is_read_from_the_item_now_and_from_the_subscription_before() -> None:
    new = {"items": {"data": [{"id": "si_1", "price": {"id": "price_p"}, "current_period_start": T,
                               "current_period_end": T + 10}]}}  # fmt: skip
    old = {"current_period_start": T, "current_period_end": T + 10, "items": {"data": [{"price": "price_p"}]}}
    expected = (datetime.fromtimestamp(T, UTC), datetime.fromtimestamp(T + 10, UTC))
    assert objects.period(new) == objects.period(old) == expected
    assert objects.price_id(new) == objects.price_id(old) == "price_p"
    assert objects.period({}) == (None, None) and objects.price_id({}) is None


def test_the_client_secret_from_the_confirmation_secret_or_the_payment_intent() -> None:
    assert objects.client_secret({"latest_invoice": {"confirmation_secret": {"client_secret": "a"}}}) == "a"
    assert objects.client_secret({"latest_invoice": {"payment_intent": {"client_secret": "b"}}}) == "b"
    assert objects.client_secret({"latest_invoice": "in_1"}) is None  # not expanded


def test_the_invoice_names_its_subscription_either_way() -> None:
    assert objects.invoice_subscription({"subscription": "sub_1"}) == "sub_1"
    assert objects.invoice_subscription({"parent": {"subscription_details": {"subscription": "sub_2"}}}) == "sub_2"
    assert objects.invoice_subscription({"subscription": {"id": "sub_3"}}) == "sub_3"
    assert objects.invoice_subscription({}) is None


def test_the_invoice_period_is_its_first_lines() -> None:
    invoice = {"period_start": 1, "period_end": 2, "lines": {"data": [{"period": {"start": T, "end": T + 5}}]}}
    assert objects.invoice_period(invoice) == (datetime.fromtimestamp(T, UTC), datetime.fromtimestamp(T + 5, UTC))
    assert objects.invoice_period({"period_start": T, "period_end": T}) == (datetime.fromtimestamp(T, UTC),) * 2
