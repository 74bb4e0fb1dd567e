"""Chargebacks through the signed Stripe webhook: held, fee, lost, won, out of order, multi-store, after a payout.

Card payments are paid by the real ``payment_intent.succeeded`` path (commission frozen, net
pending); their PaymentIntents live on localstripe, which the webhook asks for the intent's
``metadata.paymentId`` (a dispute names its intent, not our payment). After every scenario
each store's stored balance is recomputed from its entries (``reconcile(...).matches``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from stripe import StripeClient

from infra.local.localstripe import TEST_SECRET_KEY, LocalStripe
from souk.admin_settings import service as admin_settings
from souk.admin_settings.schemas import AdminSettingsUpdate
from souk.finance.models import Dispute, LedgerEntry
from souk.finance.service import daily
from souk.finance.service.balance import reconcile
from souk.finance.store import disputes as dispute_store
from souk.finance.store import ledger as ledger_store
from souk.orders.models import Order
from souk.payments.models import Payment
from souk.webhooks import keys
from souk.webhooks.models import StripeEvent
from tests.commerce_factories import make_order, make_payment, stored_order
from tests.factories import create_user, queued_jobs, token_for
from tests.finance_support import stored_commission
from tests.functional.finance.test_commission_hooks import _walk_to_delivered
from tests.functional.finance.test_payout_routes import (  # noqa: F401 - worker is a fixture
    approved_payout,
    onboarded_account,
    payout_message,
    set_account,
    worker,
)
from tests.functional.product_support import ADMIN, Seller, make_seller
from tests.stripe_support import WEBHOOK_PATH, event, intent_object, signed_request
from tests.support import ApiClient, HttpResponse

RATE_BPS, HOLD_DAYS, FEE = 1000, 3, 1500
DUE_BY = 1_900_000_000


@pytest.fixture
def rates(api: ApiClient) -> Any:
    """10% on everything, a 3-day hold after delivery; the platform bears dispute fees (the default)."""
    admin_settings.forget()
    admin_settings.update(ADMIN, AdminSettingsUpdate.model_validate(
        {"version": 0, "commission": {"defaultRateBps": RATE_BPS}, "funds": {"holdDays": HOLD_DAYS}}))  # fmt: skip
    yield
    admin_settings.forget()


@dataclass
class Paid:
    payment: Payment
    orders: list[Order]

    @property
    def intent_id(self) -> str:
        return str(self.payment.stripe_payment_intent_id)


def _deliver(api: ApiClient, payload: dict[str, Any]) -> HttpResponse:
    body, headers = signed_request(payload)
    response = api.post(WEBHOOK_PATH, body=body, headers=headers)
    assert response.status == 200, response.body
    return response


def _card_payment(api: ApiClient, server: LocalStripe, *sales: tuple[Seller, int]) -> Paid:
    """One card checkout of an order per (seller, total), paid through payment_intent.succeeded."""
    customer = create_user("customer")
    orders = [make_order(customer.user_id, seller.store.store_id, seller.user.user_id, status="pending_payment",
                         lines=[{"productId": f"p-{i}", "sku": f"SKU-{i}", "name": "Thing", "variantName": "One",
                                 "quantity": 1, "unitPrice": total, "lineTotal": total}])
              for i, (seller, total) in enumerate(sales)]  # fmt: skip
    total = sum(int(o.total) for o in orders)
    payment = make_payment(customer.user_id, total, status="pending", order_ids=[o.order_id for o in orders],
                           store_ids=[o.store_id for o in orders],
                           store_owner_ids=[o.store_owner_id for o in orders])  # fmt: skip
    client = StripeClient(TEST_SECRET_KEY, base_addresses={"api": server.url}, max_network_retries=0)
    intent = client.v1.payment_intents.create(params={"amount": total, "currency": "usd",
                                                      "metadata": {"paymentId": payment.payment_id}})  # fmt: skip
    payment.update([Payment.stripe_payment_intent_id.set(intent.id)])
    for order in orders:
        order.update([Order.payment_id.set(payment.payment_id)])
    _deliver(api, event("payment_intent.succeeded", intent_object(
        intent.id, total, {"paymentId": payment.payment_id, "kind": "order", "userId": customer.user_id})))  # fmt: skip
    paid = Payment.get(payment.pk, payment.sk, consistent_read=True)
    assert paid.status == "succeeded"
    return Paid(paid, [stored_order(o.order_id) for o in orders])


def _dispute(paid: Paid, status: str, *, amount: int | None = None, dispute_id: str = "dp_1",
             withdrawn: bool = False, reinstated: bool = False) -> dict[str, Any]:  # fmt: skip
    """A Stripe Dispute object on the payment's charge (balance transactions once funds moved)."""
    amount = int(paid.payment.amount) if amount is None else amount
    moves = []
    if withdrawn:
        moves.append({"id": f"txn_w{dispute_id}", "object": "balance_transaction", "amount": -amount, "fee": FEE})
    if reinstated:
        moves.append({"id": f"txn_r{dispute_id}", "object": "balance_transaction", "amount": amount, "fee": 0})
    return {"id": dispute_id, "object": "dispute", "amount": amount, "currency": "usd", "status": status,
            "charge": f"ch_{paid.intent_id[3:]}", "payment_intent": paid.intent_id, "reason": "fraudulent",
            "evidence_details": {"due_by": DUE_BY, "has_evidence": False}, "balance_transactions": moves,
            "metadata": {}}  # fmt: skip


def _send(api: ApiClient, event_type: str, obj: dict[str, Any], created: int, *,
          event_id: str | None = None) -> HttpResponse:  # fmt: skip
    return _deliver(api, event(f"charge.dispute.{event_type}", obj, created=created, event_id=event_id))


def _entries(store_id: str) -> dict[str, LedgerEntry]:
    return {e.business_key: e for e in ledger_store.entries(store_id)}


def _balance(store_id: str) -> dict[str, int]:
    check = reconcile(store_id)
    assert check.matches, (check.stored, check.recomputed)
    return check.stored


def _item(store_id: str, dispute_id: str = "dp_1") -> Dispute:
    found = dispute_store.load_many(dispute_id, [store_id])
    assert store_id in found, f"no dispute item for {store_id}"
    return found[store_id]


def _outcome(event_id: str) -> str:
    return str(StripeEvent.get(keys.stripe_event(event_id), keys.stripe_event(event_id), consistent_read=True).outcome)


# ---------------------------------------------------------------- opened


def test_a_dispute_opened_holds_the_stores_net_and_tells_the_owner_and_the_admins(
    api: ApiClient, rates: Any, stripe_fake: LocalStripe, aws_resources: dict[str, str]
) -> None:
    # GIVEN a card-paid order of 2000 (commission 200, net 1800 pending) and an admin
    seller = make_seller()
    admin = create_user("admin")
    paid = _card_payment(api, stripe_fake, (seller, 2000))
    store_id = seller.store.store_id
    queued_jobs(aws_resources["EmailQueue"])  # the order's own emails
    # WHEN Stripe opens a dispute of the whole 2000, and delivers the event twice
    created = _send(api, "created", _dispute(paid, "needs_response"), 1000, event_id="evt_dp_created")
    again = _send(api, "created", _dispute(paid, "needs_response"), 1000, event_id="evt_dp_created")
    assert again.json["data"]["duplicate"] is True and created.json["data"].get("duplicate") is not True
    # THEN the net moved from available to held once (available is negative until the release)
    assert _balance(store_id) == {"pending": 1800, "available": -1800, "held": 1800, "in_payout": 0, "paid_out": 0}
    hold = _entries(store_id)["DISPUTE#dp_1#HOLD"]
    assert hold.postings == {"store:available": -1800, "store:held": 1800}
    # AND the store's Dispute item records its share, the due date, Stripe's status and the event's created
    item = _item(store_id)
    assert (int(item.amount), int(item.held), item.status, int(item.event_created), item.settlement) == (
        2000, 1800, "needs_response", 1000, "open")  # fmt: skip
    assert item.evidence_due_by is not None and int(item.evidence_due_by.timestamp()) == DUE_BY
    assert item.orders == {paid.orders[0].order_id: {"gross": 2000, "commission": 200, "deliveryFee": 0,
                                                     "lines": [[0, 2000, 200]]}}  # fmt: skip
    # AND the balance route shows it held
    shown = api.get(f"/api/v1/stores/{store_id}/balance", token=seller.token).json["data"]
    assert (shown["held"]["amount"], shown["available"]["amount"]) == (1800, -1800)
    # AND the owner and the admin were emailed once, with the amount and the due date
    jobs = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"].startswith("dispute_opened")]
    owner_mail = [j for j in jobs if j["template"] == "dispute_opened"]
    assert [j["to"] for j in owner_mail] == [seller.user.email]
    assert owner_mail[0]["variables"]["amount"] == "18.00 USD" and "2030-03-17" in owner_mail[0]["variables"]["due_by"]
    admin_mail = [j for j in jobs if j["template"] == "dispute_opened_admin" and j["to"] == admin.email]
    assert len(admin_mail) == 1 and admin_mail[0]["variables"]["total"] == "20.00 USD"
    # AND each has it once in the app (a payment notification about the dispute)
    for token in (seller.token, token_for(admin)):
        shown = api.get("/api/v1/notifications", token=token).json["data"]
        assert [n["entityId"] for n in shown if n["type"] == "payment" and n["title"].startswith("Chargeback")] == [
            "dp_1"]  # fmt: skip


# ---------------------------------------------------------------- lost


@pytest.mark.parametrize("payer", ["platform", "store"])
def test_created_withdrawn_then_lost_reverses_at_the_frozen_rate_and_books_the_fee_once(
    api: ApiClient, rates: Any, stripe_fake: LocalStripe, payer: str
) -> None:
    # GIVEN who bears the fee, and a card-paid order of 2000 at 10%
    settings = admin_settings.read()
    admin_settings.update(ADMIN, AdminSettingsUpdate.model_validate(
        {"version": settings.version, "funds": {"holdDays": HOLD_DAYS, "disputeFeePayer": payer}}))  # fmt: skip
    admin_settings.forget()
    seller = make_seller()
    paid = _card_payment(api, stripe_fake, (seller, 2000))
    store_id, order_id = seller.store.store_id, paid.orders[0].order_id
    # WHEN the dispute opens, the funds are withdrawn (twice: two deliveries of one event) and it is lost
    _send(api, "created", _dispute(paid, "needs_response"), 1000)
    _send(api, "funds_withdrawn", _dispute(paid, "needs_response", withdrawn=True), 1001, event_id="evt_w")
    _send(api, "funds_withdrawn", _dispute(paid, "needs_response", withdrawn=True), 1001, event_id="evt_w")
    _send(api, "closed", _dispute(paid, "lost", withdrawn=True), 2000)
    # THEN one fee entry, borne by the payer; the reversal gives the gross back, the commission from the platform
    entries = _entries(store_id)
    assert sorted(k for k in entries if k.startswith("DISPUTE#")) == [
        "DISPUTE#dp_1#FEE", "DISPUTE#dp_1#HOLD", "DISPUTE#dp_1#LOST"]  # fmt: skip
    bearer = "platform:dispute_fees" if payer == "platform" else "store:available"
    assert entries["DISPUTE#dp_1#FEE"].postings == {"external:disputes": FEE, bearer: -FEE}
    # not released yet: the net leaves pending (its release would move it), the hold returns to available
    assert entries["DISPUTE#dp_1#LOST"].postings == {"external:sales": 2000, "platform:commission": -200,
                                                     "store:held": -1800, "store:available": 1800,
                                                     "store:pending": -1800}  # fmt: skip
    store_fee = FEE if payer == "store" else 0
    assert _balance(store_id) == {"pending": 0, "available": -store_fee, "held": 0, "in_payout": 0, "paid_out": 0}
    # AND the commission is reversed like a refund, at the frozen rate
    commission = stored_commission(store_id, order_id)
    assert (commission.status, int(commission.reversed_gross), int(commission.reversed_commission)) == (
        "reversed", 2000, 200)  # fmt: skip
    assert commission.reversals["dispute-dp_1"]["from"] == "pending"
    item = _item(store_id)
    assert (item.status, item.settlement, int(item.fee), item.fee_payer) == ("lost", "lost", FEE, payer)
    # AND the daily release later moves nothing for it
    _walk_to_delivered(api, seller, order_id)
    daily.run(now=stored_commission(store_id, order_id).available_at + timedelta(hours=1))  # type: ignore[operator]
    assert _balance(store_id) == {"pending": 0, "available": -store_fee, "held": 0, "in_payout": 0, "paid_out": 0}


# ---------------------------------------------------------------- won


def test_a_won_dispute_releases_the_hold(api: ApiClient, rates: Any, stripe_fake: LocalStripe) -> None:
    # GIVEN an order delivered and released (1800 available), then disputed
    seller = make_seller()
    paid = _card_payment(api, stripe_fake, (seller, 2000))
    store_id, order_id = seller.store.store_id, paid.orders[0].order_id
    _walk_to_delivered(api, seller, order_id)
    daily.run(now=stored_commission(store_id, order_id).available_at + timedelta(hours=1))  # type: ignore[operator]
    before = _balance(store_id)
    _send(api, "created", _dispute(paid, "needs_response"), 1000)
    _send(api, "updated", _dispute(paid, "under_review"), 1100)
    assert _balance(store_id)["held"] == 1800 and _balance(store_id)["available"] == 0
    # WHEN the funds come back and the dispute closes won
    _send(api, "funds_reinstated", _dispute(paid, "won", withdrawn=True, reinstated=True), 2000)
    _send(api, "closed", _dispute(paid, "won", withdrawn=True, reinstated=True), 2000)
    # THEN the hold went back to available once; the platform bore the fee; the commission is untouched
    assert _balance(store_id) == before
    entries = _entries(store_id)
    assert entries["DISPUTE#dp_1#WON"].postings == {"store:held": -1800, "store:available": 1800}
    assert "DISPUTE#dp_1#LOST" not in entries
    assert entries["DISPUTE#dp_1#FEE"].postings == {"external:disputes": FEE, "platform:dispute_fees": -FEE}
    assert stored_commission(store_id, order_id).status == "available"
    assert (_item(store_id).status, _item(store_id).settlement) == ("won", "won")


def test_a_won_after_lost_moves_nothing_more(api: ApiClient, rates: Any, stripe_fake: LocalStripe) -> None:
    # GIVEN a dispute lost
    seller = make_seller()
    paid = _card_payment(api, stripe_fake, (seller, 2000))
    store_id = seller.store.store_id
    _send(api, "closed", _dispute(paid, "lost"), 2000)
    after_lost = _balance(store_id)
    # WHEN a newer event says won (impossible at Stripe)
    _send(api, "closed", _dispute(paid, "won"), 3000, event_id="evt_contradiction")
    # THEN nothing moved: no WON entry, the same balance; the item shows Stripe's newest status beside its settlement
    assert _balance(store_id) == after_lost
    assert "DISPUTE#dp_1#WON" not in _entries(store_id)
    assert (_item(store_id).status, _item(store_id).settlement) == ("won", "lost")
    assert "conflict" in _outcome("evt_contradiction")


# ---------------------------------------------------------------- any order


def _end_state(store_id: str) -> tuple[dict[str, int], dict[str, dict[str, int]], tuple[Any, ...]]:
    entries = {k: dict(e.postings) for k, e in _entries(store_id).items() if k.startswith("DISPUTE#")}
    item = _item(store_id)
    return _balance(store_id), entries, (item.status, item.settlement, int(item.fee), int(item.event_created))


def test_events_out_of_order_reach_the_same_end_state(api: ApiClient, rates: Any, stripe_fake: LocalStripe) -> None:
    # GIVEN two identical stores and sales, disputed with the same events
    first, second = make_seller(), make_seller()
    one = _card_payment(api, stripe_fake, (first, 2000))
    two = _card_payment(api, stripe_fake, (second, 2000))
    events = [("created", "needs_response", 1000, False), ("funds_withdrawn", "needs_response", 1001, True),
              ("updated", "under_review", 1500, True), ("closed", "lost", 2000, True)]  # fmt: skip
    # WHEN the first store's arrive in order
    for kind, status, created, withdrawn in events:
        _send(api, kind, _dispute(one, status, withdrawn=withdrawn), created)
    # AND the second's arrive backwards: closed lost first, then the rest, then a duplicate created (a new event id)
    for kind, status, created, withdrawn in reversed(events):
        _send(api, kind, _dispute(two, status, withdrawn=withdrawn), created)
    _send(api, "created", _dispute(two, "needs_response"), 1000, event_id="evt_late_created")
    # THEN both end the same: one hold, one fee, one reversal; Stripe's last status and created
    assert _end_state(first.store.store_id) == _end_state(second.store.store_id)
    balance, entries, item = _end_state(second.store.store_id)
    assert sorted(entries) == ["DISPUTE#dp_1#FEE", "DISPUTE#dp_1#HOLD", "DISPUTE#dp_1#LOST"]
    assert balance == {"pending": 0, "available": 0, "held": 0, "in_payout": 0, "paid_out": 0}
    assert item == ("lost", "lost", FEE, 2000)
    assert _outcome("evt_late_created").startswith("no change")


# ---------------------------------------------------------------- several stores


def test_a_multi_store_payment_holds_each_store_by_its_share(
    api: ApiClient, rates: Any, stripe_fake: LocalStripe
) -> None:
    # GIVEN one card payment of 3000 for store A and 1000 for store B
    a, b = make_seller(), make_seller()
    paid = _card_payment(api, stripe_fake, (a, 3000), (b, 1000))
    # WHEN 2000 of it is disputed, then lost with Stripe's fee
    _send(api, "created", _dispute(paid, "needs_response", amount=2000), 1000)
    # THEN each store holds the net of its pro rata share: 1500 and 500 gross at 10%
    assert (int(_item(a.store.store_id).amount), int(_item(a.store.store_id).held)) == (1500, 1350)
    assert (int(_item(b.store.store_id).amount), int(_item(b.store.store_id).held)) == (500, 450)
    assert _balance(a.store.store_id)["held"] == 1350 and _balance(b.store.store_id)["held"] == 450
    _send(api, "closed", _dispute(paid, "lost", amount=2000, withdrawn=True), 2000)
    # AND the loss reverses each store's share, the fee splits by share (1125 / 375), each balance reconciles
    for seller, gross, fee in ((a, 1500, 1125), (b, 500, 375)):
        entries = _entries(seller.store.store_id)
        assert entries["DISPUTE#dp_1#LOST"].postings["external:sales"] == gross
        assert entries["DISPUTE#dp_1#FEE"].postings == {"external:disputes": fee, "platform:dispute_fees": -fee}
        assert _balance(seller.store.store_id)["held"] == 0
        order = next(o for o in paid.orders if o.store_id == seller.store.store_id)
        assert stored_commission(seller.store.store_id, order.order_id).status == "partially_reversed"
    assert _balance(a.store.store_id)["pending"] == 2700 - 1350


# ---------------------------------------------------------------- after a payout


def test_a_chargeback_lost_after_payout_leaves_available_negative(
    api: ApiClient,
    rates: Any,
    stripe_fake: LocalStripe,
    aws_resources: dict[str, str],
    worker: Any,  # noqa: F811
) -> None:
    # GIVEN a sale delivered, released and paid out in full to the store's connected account
    seller = make_seller()
    paid = _card_payment(api, stripe_fake, (seller, 20_000))
    store_id, order_id = seller.store.store_id, paid.orders[0].order_id
    _walk_to_delivered(api, seller, order_id)
    daily.run(now=stored_commission(store_id, order_id).available_at + timedelta(hours=1))  # type: ignore[operator]
    set_account(store_id, stripe_account_id=onboarded_account(stripe_fake))
    shop = {"id": store_id, "owner": seller.token, "admin": _admin_token()}
    payout_id = approved_payout(api, shop, 18_000)
    assert worker(payout_message(aws_resources, payout_id)) == {"batchItemFailures": []}
    assert _balance(store_id) == {"pending": 0, "available": 0, "held": 0, "in_payout": 0, "paid_out": 18_000}
    # WHEN the customer's bank takes the money back: opened, lost
    _send(api, "created", _dispute(paid, "needs_response"), 1000)
    _send(api, "closed", _dispute(paid, "lost", withdrawn=True), 2000)
    # THEN the store owes its net: available is negative by it, and it reconciles
    assert _balance(store_id) == {"pending": 0, "available": -18_000, "held": 0, "in_payout": 0, "paid_out": 18_000}
    shown = api.get(f"/api/v1/stores/{store_id}/balance", token=seller.token).json["data"]
    assert shown["available"]["amount"] == -18_000
    assert _entries(store_id)["DISPUTE#dp_1#LOST"].postings == {"external:sales": 20_000,
                                                                "platform:commission": -2_000,
                                                                "store:held": -18_000}  # fmt: skip


def _admin_token() -> str:
    return token_for(create_user("admin"))


# ---------------------------------------------------------------- not ours


def test_a_dispute_of_an_unknown_payment_is_acknowledged_and_posts_nothing(
    api: ApiClient, rates: Any, stripe_fake: LocalStripe
) -> None:
    # GIVEN a dispute on a PaymentIntent Stripe does not know (another system's)
    seller = make_seller()
    stranger = {
        "id": "dp_x",
        "object": "dispute",
        "amount": 500,
        "currency": "usd",
        "status": "needs_response",
        "charge": "ch_nobody",
        "payment_intent": f"pi_{uuid.uuid4().hex[:24]}",
        "balance_transactions": [],
    }
    # WHEN it is delivered
    response = _send(api, "created", stranger, 1000, event_id="evt_stranger")
    # THEN 200, recorded as ignored, and no store got an item or an entry
    assert response.json["data"].get("duplicate") is not True
    assert _outcome("evt_stranger") == "ignored: no such payment"
    assert dispute_store.store_disputes(seller.store.store_id) == []
    assert _entries(seller.store.store_id) == {}
