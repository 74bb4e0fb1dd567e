"""Commissions through the real routes: paid (wallet checkout, card webhook), delivered, refunded, released.

After every scenario each store's stored balance is recomputed from its ledger entries
(``reconcile(...).matches``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from souk.admin_settings import service as admin_settings
from souk.admin_settings.schemas import AdminSettingsUpdate
from souk.finance.models import LedgerEntry
from souk.finance.service import daily
from souk.finance.service.balance import reconcile
from souk.finance.store import commissions as commission_store
from souk.finance.store import ledger as ledger_store
from souk.identity.schemas.addresses import AddressIn
from souk.identity.service import addresses
from souk.orders.models import Order
from souk.payments.models import Payment
from tests.commerce_factories import fund_wallet, make_cart, make_order, make_payment, stored_order, stored_payment
from tests.factories import create_user, token_for
from tests.finance_support import stored_commission
from tests.functional.product_support import ADMIN, Seller, make_category, make_seller, principal_of
from tests.stripe_support import WEBHOOK_PATH, confirm_with_test_card, event, intent_object, signed_request
from tests.support import ApiClient

DEFAULT_BPS, BOOKS_BPS, HOLD_DAYS = 1000, 500, 3
PRICE = 5999  # product_body's price (TRS-42)


@pytest.fixture
def rates(api: ApiClient) -> Any:
    """Settings: 10% by default, 5% in the books category, a 3-day hold after delivery."""
    admin_settings.forget()
    books = make_category("Books")
    change = AdminSettingsUpdate.model_validate({
        "version": 0, "commission": {"defaultRateBps": DEFAULT_BPS, "categoryRatesBps": {books.category_id: BOOKS_BPS}},
        "funds": {"holdDays": HOLD_DAYS},
    })  # fmt: skip
    admin_settings.update(ADMIN, change)
    yield books
    admin_settings.forget()


@dataclass
class Shopper:
    token: str
    address_id: str
    user_id: str


def _shopper(funds: int = 0) -> Shopper:
    user = create_user("customer")
    body = AddressIn(label="Home", line1="1 Elm St", city="Springfield", country="US", lat=40.1, lng=-73.2)
    address = addresses.create_address(principal_of(user), body)
    if funds:
        fund_wallet(user.user_id, funds)
    return Shopper(token_for(user), address.id, user.user_id)


def _cart_line(product: dict[str, Any], quantity: int, sku: str = "TRS-42", seen: int = PRICE) -> dict[str, Any]:
    return {"productId": product["id"], "storeId": product["storeId"], "sku": sku, "quantity": quantity,
            "seenPrice": seen, "currency": "usd"}  # fmt: skip


def _checkout(api: ApiClient, shopper: Shopper, method: str, *lines: dict[str, Any]) -> dict[str, Any]:
    make_cart(shopper.user_id, list(lines))
    response = api.post("/api/v1/orders", token=shopper.token,
                        json_body={"addressId": shopper.address_id, "paymentMethod": method})  # fmt: skip
    assert response.status == 201, response.body
    return response.json["data"]  # type: ignore[no-any-return]


def _entries(store_id: str) -> dict[str, LedgerEntry]:
    return {e.business_key: e for e in ledger_store.entries(store_id)}


def _balance(store_id: str) -> dict[str, int]:
    check = reconcile(store_id)
    assert check.matches, (check.stored, check.recomputed)
    return check.stored


def _two_category_sale(api: ApiClient, rates: Any, seller: Seller) -> tuple[dict[str, Any], dict[str, Any]]:
    """A book (5%) and a shoe (10%) of one store."""
    book = seller.create(api, name="A book", categoryId=rates.category_id)
    shoe = seller.create(api, name="A shoe")
    return book, shoe


# ---------------------------------------------------------------- paid


def test_a_wallet_checkout_freezes_each_line_at_its_rate_and_credits_pending(api: ApiClient, rates: Any) -> None:
    # GIVEN a store selling a book (5%) and a shoe (10% default)
    seller = make_seller()
    book, shoe = _two_category_sale(api, rates, seller)
    shopper = _shopper(funds=100_000)
    # WHEN a customer pays 2 books and 1 shoe from the wallet
    data = _checkout(api, shopper, "wallet", _cart_line(book, 2), _cart_line(shoe, 1))
    order_id = data["orders"][0]["id"]
    # THEN the order line snapshots carry the product's category
    lines = stored_order(order_id).lines
    assert [line["categoryId"] for line in lines] == [rates.category_id, seller.category.category_id]
    # AND the commission is pending, each line at its own rate, rounded half up
    commission = stored_commission(seller.store.store_id, order_id)
    assert [(x["gross"], x["rateBps"], x["commission"]) for x in commission.lines] == [
        (2 * PRICE, BOOKS_BPS, 600), (PRICE, DEFAULT_BPS, 600)]  # 599.9 -> 600 both  # fmt: skip
    assert (commission.status, int(commission.gross), int(commission.commission)) == ("pending", 3 * PRICE, 1200)
    # AND the store's pending net is credited by the COMMISSION#<orderId> entry, and it reconciles
    assert list(_entries(seller.store.store_id)) == [f"COMMISSION#{order_id}"]
    assert _balance(seller.store.store_id)["pending"] == 3 * PRICE - 1200


def test_a_multi_store_checkout_makes_one_commission_per_store(api: ApiClient, rates: Any) -> None:
    # GIVEN two stores, one with its own 3% rate
    first, second = make_seller(), make_seller()
    settings = admin_settings.read()
    admin_settings.update(ADMIN, AdminSettingsUpdate.model_validate({"version": settings.version, "commission": {
        **settings.commission.model_dump(by_alias=True), "storeRatesBps": {second.store.store_id: 300}}}))  # fmt: skip
    a, b = first.create(api), second.create(api, categoryId=rates.category_id)
    shopper = _shopper(funds=100_000)
    # WHEN one wallet checkout buys from both
    data = _checkout(api, shopper, "wallet", _cart_line(a, 1), _cart_line(b, 1))
    orders = {o["storeId"]: o["id"] for o in data["orders"]}
    # THEN one commission per store: the store rate beats the category's 5%
    one, two = stored_commission(first.store.store_id, orders[first.store.store_id]), stored_commission(
        second.store.store_id, orders[second.store.store_id])  # fmt: skip
    assert (one.lines[0]["rateBps"], int(one.commission)) == (DEFAULT_BPS, 600)
    assert (two.lines[0]["rateBps"], int(two.commission)) == (300, 180)  # 179.97 -> 180
    assert _balance(first.store.store_id)["pending"] == PRICE - 600
    assert _balance(second.store.store_id)["pending"] == PRICE - 180


def _deliver_event(api: ApiClient, payload: dict[str, Any]) -> Any:
    body, headers = signed_request(payload)
    return api.post(WEBHOOK_PATH, body=body, headers=headers)


def _succeeded_event(payment: Payment) -> dict[str, Any]:
    return event("payment_intent.succeeded", intent_object(
        str(payment.stripe_payment_intent_id), int(payment.amount),
        {"paymentId": payment.payment_id, "kind": "order", "userId": payment.user_id}))  # fmt: skip


def test_a_card_payment_gets_its_commission_when_the_webhook_says_paid(
    api: ApiClient, rates: Any, stripe_fake: Any
) -> None:
    # GIVEN a card checkout, pending payment: no commission yet
    seller = make_seller()
    shoe = seller.create(api)
    shopper = _shopper()
    data = _checkout(api, shopper, "card", _cart_line(shoe, 2))
    order_id, payment_id = data["orders"][0]["id"], data["payment"]["id"]
    assert commission_store.load(seller.store.store_id, order_id) is None
    payment = stored_payment(payment_id)
    confirm_with_test_card(stripe_fake, str(payment.stripe_payment_intent_id))
    # WHEN Stripe says the intent succeeded, twice (the same event delivered again)
    payload = _succeeded_event(payment)
    assert _deliver_event(api, payload).status == 200
    assert _deliver_event(api, payload).json["data"]["duplicate"] is True
    # THEN the order is paid with one commission and one sale entry
    assert stored_order(order_id).status == "paid"
    commission = stored_commission(seller.store.store_id, order_id)
    assert (int(commission.gross), int(commission.commission), commission.status) == (2 * PRICE, 1200, "pending")
    assert list(_entries(seller.store.store_id)) == [f"COMMISSION#{order_id}"]
    assert _balance(seller.store.store_id)["pending"] == 2 * PRICE - 1200


# ---------------------------------------------------------------- delivered and released


def _walk_to_delivered(api: ApiClient, seller: Seller, order_id: str) -> None:
    """The owner accepts, prepares and readies it; an admin (couriers' moves) picks it up and delivers it."""
    admin = token_for(create_user("admin"))
    for status, token in [("accepted", seller.token), ("preparing", seller.token), ("ready", seller.token),
                          ("picked_up", admin), ("delivered", admin)]:  # fmt: skip
        response = api.patch(f"/api/v1/orders/{order_id}/status", token=token, json_body={"status": status})
        assert response.status == 200, response.body


def test_delivery_sets_available_at_and_the_daily_job_releases_once(api: ApiClient, rates: Any) -> None:
    # GIVEN a paid order
    seller = make_seller()
    shoe = seller.create(api)
    data = _checkout(api, _shopper(funds=100_000), "wallet", _cart_line(shoe, 1))
    order_id, store_id = data["orders"][0]["id"], seller.store.store_id
    # WHEN it is delivered
    _walk_to_delivered(api, seller, order_id)
    # THEN availableAt is deliveredAt + holdDays, and the commission is in that day's release index
    commission = stored_commission(store_id, order_id)
    assert commission.delivered_at is not None and commission.available_at is not None
    assert commission.available_at - commission.delivered_at == timedelta(days=HOLD_DAYS)
    assert commission.gsi1pk == f"RELEASE#{commission.available_at.date().isoformat()}"
    # AND the daily job before then releases nothing
    early = daily.run(now=commission.available_at - timedelta(minutes=1))
    assert early["release"]["released"] == 0 and _balance(store_id)["available"] == 0
    assert early["payouts"] == {"resolved": 0, "unresolved": 0, "requeued": 0, "unresolvedPayouts": {}}
    # WHEN it runs after availableAt, twice (EventBridge may deliver twice)
    later = commission.available_at + timedelta(hours=1)
    first, again = daily.run(now=later), daily.run(now=later)
    # THEN the net moved once from pending to available
    assert (first["release"]["released"], first["release"]["amount"]) == (1, {"usd": PRICE - 600})
    assert again["release"]["released"] == 0
    assert _balance(store_id) == {"pending": 0, "available": PRICE - 600, "held": 0, "in_payout": 0, "paid_out": 0}
    released = stored_commission(store_id, order_id)
    assert (released.status, int(released.released), released.gsi1pk) == ("available", 1, None)
    assert f"RELEASE#{order_id}" in _entries(store_id)
    # AND the route shows it available, with its availableAt
    listed = api.get(f"/api/v1/stores/{store_id}/commissions", token=seller.token).json["data"]
    assert [(c["orderId"], c["status"]) for c in listed] == [(order_id, "available")]
    assert listed[0]["availableAt"] is not None


# ---------------------------------------------------------------- refunds


def _refund(api: ApiClient, payment_id: str, amount: int | None = None, to: str = "original") -> dict[str, Any]:
    body: dict[str, Any] = {"reason": "damaged", "to": to}
    if amount is not None:
        body["amount"] = {"amount": amount, "currency": "usd"}
    response = api.post(f"/api/v1/payments/{payment_id}/refund", token=token_for(create_user("admin")),
                        json_body=body)  # fmt: skip
    assert response.status == 201, response.body
    return response.json["data"]  # type: ignore[no-any-return]


def test_partial_then_full_refund_reverse_at_the_frozen_rates(api: ApiClient, rates: Any) -> None:
    # GIVEN a wallet-paid order of a book (5%: 600 on 11998) and a shoe (10%: 600 on 5999)
    seller = make_seller()
    book, shoe = _two_category_sale(api, rates, seller)
    data = _checkout(api, _shopper(funds=100_000), "wallet", _cart_line(book, 2), _cart_line(shoe, 1))
    order_id, payment_id, store_id = data["orders"][0]["id"], data["payment"]["id"], seller.store.store_id
    # AND the rates change afterwards: the frozen ones must still apply
    settings = admin_settings.read()
    admin_settings.update(ADMIN, AdminSettingsUpdate.model_validate(
        {"version": settings.version, "commission": {"defaultRateBps": 2500}}))  # fmt: skip
    # WHEN 3000 of it is refunded
    first = _refund(api, payment_id, 3000)
    # THEN the reversal splits 3000 pro rata (2000 book, 1000 shoe) at 5% and 10%: 100 + 100 commission
    entry = _entries(store_id)[f"REVERSAL#{first['id']}"]
    assert entry.postings == {"external:sales": 3000, "platform:commission": -200, "store:pending": -2800}
    commission = stored_commission(store_id, order_id)
    assert [(x["reversedGross"], x["reversedCommission"]) for x in commission.lines] == [(2000, 100), (1000, 100)]
    assert (commission.status, int(commission.reversed_net)) == ("partially_reversed", 2800)
    assert _balance(store_id)["pending"] == 3 * PRICE - 1200 - 2800
    # WHEN the rest is refunded
    second = _refund(api, payment_id)
    # THEN everything is reversed: exactly the frozen commission went back, pending is 0
    assert f"REVERSAL#{second['id']}" in _entries(store_id)
    commission = stored_commission(store_id, order_id)
    assert commission.status == "reversed"
    assert int(commission.reversed_commission) == int(commission.commission) == 1200
    assert [(x["reversedGross"], x["reversedCommission"]) for x in commission.lines] == [
        (2 * PRICE, 600), (PRICE, 600)]  # fmt: skip
    assert _balance(store_id)["pending"] == 0
    # AND the route filters by status
    listed = api.get(f"/api/v1/stores/{store_id}/commissions?status=reversed", token=seller.token).json["data"]
    assert [(c["orderId"], c["reversedNet"]["amount"]) for c in listed] == [(order_id, 3 * PRICE - 1200)]


def test_a_refund_after_release_claws_back_from_available(api: ApiClient, rates: Any) -> None:
    # GIVEN an order delivered and released
    seller = make_seller()
    shoe = seller.create(api)
    data = _checkout(api, _shopper(funds=100_000), "wallet", _cart_line(shoe, 1))
    order_id, payment_id, store_id = data["orders"][0]["id"], data["payment"]["id"], seller.store.store_id
    _walk_to_delivered(api, seller, order_id)
    daily.run(now=stored_commission(store_id, order_id).available_at + timedelta(hours=1))  # type: ignore[operator]
    assert _balance(store_id)["available"] == PRICE - 600
    # WHEN it is refunded in full to the wallet
    refund = _refund(api, payment_id, to="wallet")
    # THEN the net comes out of available, none out of pending
    assert _entries(store_id)[f"REVERSAL#{refund['id']}"].postings["store:available"] == -(PRICE - 600)
    assert _balance(store_id) == {"pending": 0, "available": 0, "held": 0, "in_payout": 0, "paid_out": 0}
    assert stored_commission(store_id, order_id).status == "reversed"


def test_cancelling_a_paid_order_reverses_its_commission(api: ApiClient, rates: Any) -> None:
    # GIVEN a wallet-paid order
    seller = make_seller()
    shoe = seller.create(api)
    shopper = _shopper(funds=100_000)
    data = _checkout(api, shopper, "wallet", _cart_line(shoe, 1))
    order_id, store_id = data["orders"][0]["id"], seller.store.store_id
    # WHEN the customer cancels it (the money goes back through a refund)
    response = api.post(f"/api/v1/orders/{order_id}/cancel", token=shopper.token, json_body={})
    assert response.status == 200, response.body
    # THEN the commission is reversed in full and nothing is pending
    assert stored_commission(store_id, order_id).status == "reversed"
    assert [k.split("#")[0] for k in _entries(store_id)] == ["COMMISSION", "REVERSAL"]
    assert _balance(store_id)["pending"] == 0


def test_a_card_refund_stripe_refuses_undoes_its_reversal(api: ApiClient, rates: Any, stripe_offline: None) -> None:
    # GIVEN a card-paid order (commission from the webhook) and Stripe unreachable
    seller = make_seller()
    shopper = _shopper()
    order = make_order(shopper.user_id, seller.store.store_id, seller.user.user_id, status="pending_payment")
    paid = make_payment(shopper.user_id, int(order.total), status="pending", order_ids=[order.order_id],
                        store_ids=[seller.store.store_id], store_owner_ids=[seller.user.user_id],
                        intent_id="pi_refusedrefund")  # fmt: skip
    order.update([Order.payment_id.set(paid.payment_id)])
    assert _deliver_event(api, _succeeded_event(paid)).status == 200
    before = _balance(seller.store.store_id)
    # WHEN a refund is asked for and Stripe cannot be reached
    body = {"reason": "damaged", "to": "original", "amount": {"amount": 500, "currency": "usd"}}
    response = api.post(f"/api/v1/payments/{paid.payment_id}/refund", token=token_for(create_user("admin")),
                        json_body=body)  # fmt: skip
    assert response.status in (502, 503), response.body
    # THEN the reversal was undone in the compensation: the balance and the commission are as before
    keys = [k for k in _entries(seller.store.store_id) if k.startswith("REVERSAL#")]
    assert len(keys) == 2 and any(k.endswith("#UNDONE") for k in keys)
    assert _balance(seller.store.store_id) == before
    commission = stored_commission(seller.store.store_id, order.order_id)
    assert (commission.status, int(commission.reversed_gross), commission.reversals) == ("pending", 0, {})


def test_an_order_paid_before_commissions_existed_posts_nothing_when_refunded(api: ApiClient, rates: Any) -> None:
    # GIVEN a paid order with no commission (written as an older release left it)
    seller = make_seller()
    shopper = _shopper()
    paid = make_payment(shopper.user_id, 2000, method="wallet", store_ids=[seller.store.store_id],
                        store_owner_ids=[seller.user.user_id])  # fmt: skip
    order = make_order(shopper.user_id, seller.store.store_id, seller.user.user_id, method="wallet",
                       payment_id=paid.payment_id)  # fmt: skip
    paid.order_ids = [order.order_id]
    paid.save()
    # WHEN it is refunded
    _refund(api, paid.payment_id, 500)
    # THEN no finance entry and no balance
    assert _entries(seller.store.store_id) == {}
    assert _balance(seller.store.store_id)["pending"] == 0


def test_a_refund_made_in_the_stripe_dashboard_reverses_the_commission(
    api: ApiClient, rates: Any, stripe_offline: None
) -> None:
    # GIVEN a card-paid order of one store (commission from the webhook): 2 x 1000 at 10%
    seller = make_seller()
    shopper = _shopper()
    order = make_order(shopper.user_id, seller.store.store_id, seller.user.user_id, status="pending_payment")
    paid = make_payment(shopper.user_id, int(order.total), status="pending", order_ids=[order.order_id],
                        store_ids=[seller.store.store_id], store_owner_ids=[seller.user.user_id],
                        intent_id="pi_dashboardrefund")  # fmt: skip
    order.update([Order.payment_id.set(paid.payment_id)])
    assert _deliver_event(api, _succeeded_event(paid)).status == 200
    # WHEN Stripe reports 500 refunded outside the API
    charge = {"id": "ch_dashboardrefund", "object": "charge", "payment_intent": "pi_dashboardrefund",
              "amount": 2000, "amount_refunded": 500, "metadata": {"paymentId": paid.payment_id},
              "refunds": {"data": [{"id": "re_dash1", "created": 1}]}}  # fmt: skip
    assert _deliver_event(api, event("charge.refunded", charge)).status == 200
    # THEN the commission gives back 50 of its 200 and the store 450 of its pending net
    store_id = seller.store.store_id
    entry = _entries(store_id)["REVERSAL#stripe-re_dash1"]
    assert entry.postings == {"external:sales": 500, "platform:commission": -50, "store:pending": -450}
    assert stored_commission(store_id, order.order_id).status == "partially_reversed"
    assert _balance(store_id)["pending"] == 2000 - 200 - 450


def test_a_partially_refunded_order_still_ships_and_releases_what_is_left(api: ApiClient, rates: Any) -> None:
    # GIVEN a wallet-paid shoe (10%: 600 on 5999), 1000 of it refunded before it ships
    seller = make_seller()
    shoe = seller.create(api)
    data = _checkout(api, _shopper(funds=100_000), "wallet", _cart_line(shoe, 1))
    order_id, payment_id, store_id = data["orders"][0]["id"], data["payment"]["id"], seller.store.store_id
    _refund(api, payment_id, 1000)
    assert api.get(f"/api/v1/orders/{order_id}", token=seller.token).json["data"]["status"] == "partially_refunded"
    # WHEN it goes through the chain to delivered and the hold passes
    _walk_to_delivered(api, seller, order_id)
    commission = stored_commission(store_id, order_id)
    assert commission.available_at is not None
    daily.run(now=commission.available_at + timedelta(hours=1))
    # THEN what the refund left of the net (5999 - 600 - (1000 - 100)) became available, once
    assert _balance(store_id) == {"pending": 0, "available": PRICE - 600 - 900, "held": 0, "in_payout": 0,
                                  "paid_out": 0}  # fmt: skip
    assert reconcile(store_id).matches
