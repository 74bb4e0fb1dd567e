"""Cancel, POST /api/v1/orders/{orderId}/cancel: before `ready`, stock released, the payment refunded."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

import pytest
from stripe import StripeClient

from infra.local.localstripe import TEST_SECRET_KEY, LocalStripe
from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.catalog import keys as catalog_keys
from souk.catalog.models import Variant
from souk.identity.models import User
from souk.identity.schemas.addresses import AddressIn
from souk.identity.service import addresses
from souk.ids import new_id
from souk.orders import status as order_status
from souk.orders.models import Order
from souk.payments.models import Payment
from souk.settings import get_settings
from souk.wallet import keys as wallet_keys
from souk.wallet.models import Wallet
from tests.commerce_factories import (
    fund_wallet,
    make_cart,
    make_order,
    make_payment,
    stored_order,
    stored_payment,
    stored_refunds,
)
from tests.factories import create_user, token_for
from tests.functional.product_support import Seller, make_seller, principal_of
from tests.stripe_support import confirm_with_test_card
from tests.support import ApiClient, assert_error

PRICE_42 = 5999  # TRS-42: stock 10


def _path(order_id: str) -> str:
    return f"/api/v1/orders/{order_id}/cancel"


@dataclass
class Bought:
    customer: User
    seller: Seller
    product_id: str
    order_id: str
    payment_id: str


def _checkout(api: ApiClient, method: str, quantity: int = 3, *, fund: int = 20_000) -> Bought:
    """A real checkout through POST /orders: ``quantity`` x TRS-42 of one store."""
    seller = make_seller()
    product = seller.create(api)
    customer = create_user("customer")
    address = addresses.create_address(principal_of(customer), AddressIn(
        label="Home", line1="1 Elm St", city="Springfield", country="US", lat=40.1, lng=-73.2))  # fmt: skip
    if method == "wallet":
        fund_wallet(customer.user_id, fund)
    make_cart(customer.user_id, [{"productId": product["id"], "storeId": product["storeId"], "sku": "TRS-42",
                                  "quantity": quantity, "seenPrice": PRICE_42, "currency": "usd"}])  # fmt: skip
    response = api.post("/api/v1/orders", token=token_for(customer),
                        json_body={"addressId": address.id, "paymentMethod": method})  # fmt: skip
    assert response.status == 201, response.body
    data = response.json["data"]
    return Bought(customer, seller, product["id"], data["orders"][0]["id"], data["payment"]["id"])


def _mark_paid(bought: Bought, status: str = "paid") -> None:
    """What the webhook does once the card is confirmed (then, optionally, the store accepting it)."""
    order = stored_order(bought.order_id)
    moves = [order_status.history_entry(s, None) for s in dict.fromkeys(("paid", status))]
    paid = Order.history.append(moves)
    order.update(actions=[Order.status.set(status), Order.paid_amount.set(order.total), Order.reserved_until.remove(),
                          Order.gsi4pk.remove(), Order.gsi4sk.remove(), Order.history.set(paid)])  # fmt: skip
    payment = stored_payment(bought.payment_id)
    payment.update(actions=[Payment.status.set("succeeded")])


def _cancel(api: ApiClient, token: str | None, order_id: str, body: Any = None) -> Any:
    return api.post(_path(order_id), token=token, json_body=body)


def _stock(product_id: str, sku: str = "TRS-42") -> int:
    return int(Variant.get(catalog_keys.product(product_id), catalog_keys.variant(sku), consistent_read=True).stock)


def _balance(user: User) -> int:
    return int(Wallet.get(wallet_keys.wallet(user.user_id), wallet_keys.WALLET, consistent_read=True).balance)


def _stripe(server: LocalStripe) -> StripeClient:
    return StripeClient(TEST_SECRET_KEY, base_addresses={"api": server.url})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stored_order(status: str) -> tuple[Order, User]:
    """An order written straight to the table (its line's variant does not exist), paid from the wallet."""
    customer, owner = create_user("customer"), create_user("store_owner")
    store_id = f"store-{new_id()}"
    paid = status not in ("pending_payment", "cancelled")
    payment = make_payment(customer.user_id, 2000, method="wallet", status="succeeded" if paid else "pending",
                           store_ids=[store_id], store_owner_ids=[owner.user_id])  # fmt: skip
    order = make_order(customer.user_id, store_id, owner.user_id, status=status, method="wallet",
                       payment_id=payment.payment_id)  # fmt: skip
    payment.order_ids = [order.order_id]
    payment.save()
    return order, customer


# --- happy paths


def test_cancelling_a_wallet_order_releases_stock_and_credits_the_wallet(api: ApiClient) -> None:
    # GIVEN a customer who paid 3 x TRS-42 from a wallet of 20,000
    bought = _checkout(api, "wallet")
    total = 3 * PRICE_42
    assert _stock(bought.product_id) == 7 and _balance(bought.customer) == 20_000 - total
    # WHEN they cancel it with a reason
    response = _cancel(api, token_for(bought.customer), bought.order_id, {"reason": "changed my mind"})
    # THEN 200: the order is cancelled and everything it was paid is refunded
    assert response.status == 200, response.body
    data = response.json["data"]
    order = data["order"]
    assert order["id"] == bought.order_id and order["status"] == "cancelled"
    assert order["paid"] == order["refunded"] == {"amount": total, "currency": "usd"}
    assert order["history"][-1]["status"] == "cancelled" and order["history"][-1]["reason"] == "changed my mind"
    assert [o["id"] for o in data["cancelledOrders"]] == [bought.order_id]
    # AND the stock is back, the wallet is whole again, the payment is refunded
    assert _stock(bought.product_id) == 10
    assert _balance(bought.customer) == 20_000
    payment = stored_payment(bought.payment_id)
    assert (payment.status, payment.refunded_amount) == ("refunded", total)
    [refund] = stored_refunds(bought.payment_id)
    assert (refund.amount, refund.status, refund.to, refund.reason) == (
        total, "succeeded", "original", "order cancelled")  # fmt: skip
    # AND the cancel and the refund are audited
    actions = [a.action for a in AuditRecord.gsi2.query(audit_keys.audit_resource("order", bought.order_id))]
    assert actions == ["order.cancel"]
    actions = [a.action for a in AuditRecord.gsi2.query(audit_keys.audit_resource("payment", bought.payment_id))]
    assert sorted(actions) == ["order.checkout", "payment.refund"]


def test_cancelling_a_paid_card_order_refunds_the_card_at_stripe(api: ApiClient, stripe_fake) -> None:
    # GIVEN a card order of 2 x TRS-42, confirmed with a test card, paid and accepted by the store
    bought = _checkout(api, "card", 2)
    intent_id = stored_payment(bought.payment_id).stripe_payment_intent_id
    assert confirm_with_test_card(stripe_fake, intent_id)["status"] == "succeeded"
    _mark_paid(bought, "accepted")
    total = 2 * PRICE_42
    # WHEN the store's owner cancels it without a body
    response = _cancel(api, bought.seller.token, bought.order_id)
    # THEN the order is cancelled and refunded, the stock is back
    assert response.status == 200, response.body
    order = response.json["data"]["order"]
    assert order["status"] == "cancelled" and order["refunded"]["amount"] == total
    assert order["history"][-1]["role"] == "store_owner"
    assert _stock(bought.product_id) == 10
    # AND Stripe refunded the card the whole amount, with our ids in the metadata
    [refund] = stored_refunds(bought.payment_id)
    assert refund.status == "succeeded" and refund.stripe_refund_id
    at_stripe = _stripe(stripe_fake).v1.refunds.retrieve(refund.stripe_refund_id)
    assert at_stripe.amount == total and at_stripe.status == "succeeded"
    assert at_stripe.metadata.to_dict()["orderId"] == bought.order_id
    assert stored_payment(bought.payment_id).status == "refunded"


def test_stripe_down_leaves_the_order_cancelled_and_a_second_cancel_refunds_it(
    api: ApiClient, stripe_fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a paid card order and Stripe unreachable
    bought = _checkout(api, "card", 1)
    assert confirm_with_test_card(stripe_fake, stored_payment(bought.payment_id).stripe_payment_intent_id)
    _mark_paid(bought)
    monkeypatch.setenv("STRIPE_API_BASE", f"http://127.0.0.1:{_closed_port()}")
    get_settings.cache_clear()
    # WHEN the customer cancels
    response = _cancel(api, token_for(bought.customer), bought.order_id)
    # THEN 503; the order is cancelled with its stock back, but nothing is refunded yet
    assert_error(response, 503, "SERVICE_UNAVAILABLE")
    order = stored_order(bought.order_id)
    assert (order.status, order.refunded_amount) == ("cancelled", 0) and _stock(bought.product_id) == 10
    assert [r.status for r in stored_refunds(bought.payment_id)] == ["failed"]
    # WHEN Stripe is back and they cancel again
    monkeypatch.setenv("STRIPE_API_BASE", stripe_fake.url)
    get_settings.cache_clear()
    again = _cancel(api, token_for(bought.customer), bought.order_id)
    # THEN the refund goes through, the stock is not released twice
    assert again.status == 200, again.body
    assert again.json["data"]["order"]["refunded"]["amount"] == PRICE_42
    assert _stock(bought.product_id) == 10
    assert sorted(r.status for r in stored_refunds(bought.payment_id)) == ["failed", "succeeded"]


def test_cancelling_an_unpaid_card_checkout(api: ApiClient, stripe_fake) -> None:
    expiry = pytest.importorskip("souk.orders.service.expiry")
    if not hasattr(expiry, "cancel_unpaid_checkout"):
        pytest.skip("souk.orders.service.expiry.cancel_unpaid_checkout is not there yet")
    # GIVEN an unpaid card checkout holding 2 x TRS-42
    bought = _checkout(api, "card", 2)
    intent_id = stored_payment(bought.payment_id).stripe_payment_intent_id
    assert _stock(bought.product_id) == 8
    # WHEN the customer cancels it
    response = _cancel(api, token_for(bought.customer), bought.order_id, {"reason": "wrong size"})
    # THEN the order is cancelled, its stock back, the payment and the intent canceled, nothing refunded
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["order"]["status"] == "cancelled" and [o["id"] for o in data["cancelledOrders"]] == [bought.order_id]
    assert _stock(bought.product_id) == 10
    assert stored_payment(bought.payment_id).status == "canceled" and stored_refunds(bought.payment_id) == []
    assert _stripe(stripe_fake).v1.payment_intents.retrieve(intent_id).status == "canceled"


def test_an_admin_cancels_a_preparing_order_whose_product_is_gone(api: ApiClient) -> None:
    # GIVEN an order in preparation whose variant no longer exists, paid from the wallet
    order, customer = _stored_order("preparing")
    # WHEN an admin cancels it
    response = _cancel(api, token_for(create_user("admin")), order.order_id, {"reason": "out of business"})
    # THEN it is cancelled and refunded to the wallet anyway (there is no stock to give back)
    assert response.status == 200, response.body
    stored = stored_order(order.order_id)
    assert (stored.status, stored.refunded_amount) == ("cancelled", 2000)
    assert _balance(customer) == 2000


# --- refusals


def test_a_ready_order_can_no_longer_be_cancelled(api: ApiClient) -> None:
    # GIVEN an order ready for pickup
    order, customer = _stored_order("ready")
    # WHEN its customer cancels it
    response = _cancel(api, token_for(customer), order.order_id)
    # THEN 409 INVALID_STATE, nothing changed
    payload = assert_error(response, 409, "INVALID_STATE")
    assert payload["error"]["message"] == "An order that is ready can no longer be cancelled."
    assert stored_order(order.order_id).status == "ready" and stored_refunds(order.payment_id) == []


def test_a_cancelled_and_refunded_order_is_409(api: ApiClient) -> None:
    # GIVEN an order cancelled and refunded once
    order, _ = _stored_order("paid")
    token = token_for(create_user("admin"))
    assert _cancel(api, token, order.order_id).status == 200
    # WHEN it is cancelled again THEN 409, refunded once
    assert_error(_cancel(api, token, order.order_id), 409, "INVALID_STATE")
    assert [r.amount for r in stored_refunds(order.payment_id)] == [2000]


def test_another_customers_or_stores_order_is_404(api: ApiClient) -> None:
    # GIVEN a paid order
    order, _ = _stored_order("paid")
    # WHEN another customer or another store's owner cancels it, or an unknown order
    for user in (create_user("customer"), create_user("store_owner")):
        assert_error(_cancel(api, token_for(user), order.order_id), 404, "NOT_FOUND")
    assert_error(_cancel(api, token_for(create_user("customer")), "no-such-order"), 404, "NOT_FOUND")
    # THEN nothing changed
    assert stored_order(order.order_id).status == "paid" and stored_refunds(order.payment_id) == []


def test_a_courier_is_403_and_no_token_401(api: ApiClient) -> None:
    order, _ = _stored_order("paid")
    assert_error(_cancel(api, token_for(create_user("courier")), order.order_id), 403, "FORBIDDEN")
    assert_error(_cancel(api, None, order.order_id), 401, "UNAUTHORIZED")
    assert stored_order(order.order_id).status == "paid"


@pytest.mark.parametrize("body", [{"reason": "x" * 501}, {"reason": 42}])
def test_validation_is_400(api: ApiClient, body: dict[str, Any]) -> None:
    # GIVEN a paid order WHEN the reason is too long or not text THEN 400 on reason, nothing changed
    order, customer = _stored_order("paid")
    payload = assert_error(_cancel(api, token_for(customer), order.order_id, body), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "reason"
    assert stored_order(order.order_id).status == "paid"
