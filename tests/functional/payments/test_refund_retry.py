"""Card refunds left pending are sent again by the hourly job, with their own idempotency key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from stripe import StripeClient

from infra.local.localstripe import TEST_SECRET_KEY, LocalStripe
from souk.db import expiry
from souk.db import keys as db_keys
from souk.jobs import service as cleanup
from souk.payments import gateway
from souk.payments import keys as payments_keys
from souk.payments import service as payments
from souk.payments.models import Payment, Refund
from souk.settings import get_settings
from tests.commerce_factories import make_payment
from tests.factories import create_user
from tests.stripe_support import confirm_with_test_card


def _paid_intent(server: LocalStripe, amount: int) -> str:
    intent = gateway.create_payment_intent(amount, "usd", metadata={"kind": "order"}, idempotency_key=f"t-{amount}")
    assert confirm_with_test_card(server, intent.id)["status"] == "succeeded"
    return intent.id


def _pending_refund(payment: Payment, amount: int, refund_id: str) -> Refund:
    """A card refund as the webhook leaves it when Stripe was down: pending, counted, in the retry index."""
    refund = Refund(
        pk=payments_keys.payment(payment.payment_id),
        sk=payments_keys.refund(refund_id),
        refund_id=refund_id,
        payment_id=payment.payment_id,
        order_id="o-1",
        amount=amount,
        currency="usd",
        to="original",
        reason="The order was cancelled before the payment arrived.",
        status="pending",
        actor_id="stripe",
        stripe_idempotency_key=f"auto-refund-{refund_id}",
    )
    payments.schedule(refund)
    refund.save()
    return refund


def _stored(refund: Refund) -> Refund:
    return Refund.get(refund.pk, refund.sk, consistent_read=True)


def _stripe_refunds(server: LocalStripe, intent_id: str) -> list[int]:
    client = StripeClient(TEST_SECRET_KEY, base_addresses={"api": server.url})
    return [r.amount for r in client.v1.refunds.list(params={"payment_intent": intent_id}).data]


def test_the_job_sends_a_pending_refund_once_and_settles_it(aws_resources: dict, stripe_fake: LocalStripe) -> None:
    # GIVEN a paid intent of 5000 and a pending 2000 refund of it, due in ten minutes
    intent_id = _paid_intent(stripe_fake, 5000)
    payment = make_payment(create_user().user_id, 5000, intent_id=intent_id)
    refund = _pending_refund(payment, 2000, "auto-a")
    assert _stored(refund).gsi4pk == db_keys.expiry_bucket(expiry.hour_bucket(datetime.now(UTC) + payments.RETRY_AFTER))
    # WHEN the hourly job runs after it is due, twice
    first = cleanup.run(now=datetime.now(UTC) + timedelta(hours=1))
    second = cleanup.run(now=datetime.now(UTC) + timedelta(hours=1))
    # THEN Stripe refunded 2000 once, and the refund is succeeded, out of the index
    assert first.deleted.get("Refund") == 1 and not second.deleted.get("Refund")
    assert _stripe_refunds(stripe_fake, intent_id) == [2000]
    saved = _stored(refund)
    assert saved.status == "succeeded" and saved.stripe_refund_id and saved.gsi4pk is None and saved.gsi4sk is None


def test_a_refund_stripe_still_refuses_stays_pending_and_waits_an_hour(
    aws_resources: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a pending refund, and Stripe unreachable
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_unused")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_unused")
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:9")
    get_settings.cache_clear()
    payment = make_payment(create_user().user_id, 5000, intent_id="pi_unreachable")
    refund = _pending_refund(payment, 2000, "auto-b")
    # WHEN the job runs after it is due
    report = cleanup.run(now=datetime.now(UTC) + timedelta(hours=1))
    # THEN it is still pending, its index entry moved about an hour on (retried by a later run)
    assert not report.deleted.get("Refund")
    saved = _stored(refund)
    later = expiry.hour_bucket(datetime.now(UTC) + payments.RETRY_AGAIN)
    assert saved.status == "pending" and saved.gsi4pk == db_keys.expiry_bucket(later)


def test_a_settled_refund_found_in_the_index_is_only_dropped(aws_resources: dict, stripe_fake: LocalStripe) -> None:
    # GIVEN a refund settled by its request whose index entry the job still met (read before the settle)
    payment = make_payment(create_user().user_id, 5000, intent_id="pi_never_called")
    refund = _pending_refund(payment, 2000, "auto-c")
    raw = refund.serialize()
    refund.update(payments.settled_actions("succeeded"))
    # WHEN the job's handler gets the stale entry
    handled = payments.resend({k: v for k, v in raw.items()})
    # THEN nothing is sent to Stripe (the intent does not even exist there) and the refund stays succeeded
    assert handled is True and _stored(refund).status == "succeeded"


def test_a_refund_settled_by_its_own_request_leaves_the_retry_index(
    aws_resources: dict, stripe_fake: LocalStripe
) -> None:
    # GIVEN a paid card order of 3000
    from souk.orders.service.refunds import refund_order
    from tests.commerce_factories import make_order
    from tests.functional.product_support import ADMIN

    intent_id = _paid_intent(stripe_fake, 3000)
    customer = create_user()
    line = {"productId": "p-1", "sku": "S-1", "name": "Thing", "quantity": 1, "unitPrice": 3000, "lineTotal": 3000}
    order = make_order(customer.user_id, "store-1", "owner-1", lines=[line])
    payment = make_payment(customer.user_id, 3000, order_ids=[order.order_id], intent_id=intent_id)
    order.update([order.__class__.payment_id.set(payment.payment_id)])
    # WHEN an admin refunds 1000 to the card
    refund = refund_order(ADMIN.actor, order, payment, 1000, to="original", reason="damaged box")
    # THEN Stripe refunded it under the refund's own key, and nothing is left for the job
    saved = _stored(refund)
    assert saved.status == "succeeded" and saved.stripe_idempotency_key == f"refund-{refund.refund_id}"
    assert saved.gsi4pk is None and _stripe_refunds(stripe_fake, intent_id) == [1000]
