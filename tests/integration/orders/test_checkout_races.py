"""Checkout under races, on DynamoDB Local (+ localstripe for card): no overselling, no double order, no overdraft."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from souk.caller import Principal
from souk.cart import keys as cart_keys
from souk.cart.models import Cart
from souk.catalog import keys as catalog_keys
from souk.catalog.models import Variant
from souk.errors import Conflict, InsufficientFunds, InsufficientStock, SoukError
from souk.identity.schemas.addresses import AddressIn
from souk.identity.service import addresses
from souk.ids import new_id
from souk.orders import keys as orders_keys
from souk.orders.models import Order
from souk.orders.schemas import CheckoutOut, CheckoutRequest
from souk.orders.service import checkout
from souk.payments import keys as payments_keys
from souk.payments.models import Payment
from souk.wallet import keys as wallet_keys
from souk.wallet.models import Wallet, WalletEntry
from tests.commerce_factories import fund_wallet, make_cart
from tests.integration.catalog_data import Listing, product_with_stock

pytestmark = pytest.mark.integration

PRICE = 899


def _customer() -> tuple[Principal, CheckoutRequest]:
    """A customer with an address, and the card checkout request to it."""
    principal = Principal(user_id=f"it-customer-{new_id()}", role="customer", session_id=None)
    body = AddressIn(label="Home", line1="1 Elm St", city="Springfield", country="US", lat=40.1, lng=-73.2)
    address = addresses.create_address(principal, body)
    return principal, CheckoutRequest(address_id=address.id, payment_method="card")


def _fill_cart(user_id: str, listing: Listing, *, cart_id: str | None = None) -> None:
    make_cart(user_id, [{"productId": listing.product_id, "storeId": listing.store_id, "sku": listing.sku,
                         "quantity": 1, "seenPrice": PRICE, "currency": "usd"}], cart_id=cart_id)  # fmt: skip


def _stock(listing: Listing) -> int:
    return int(
        Variant.get(
            catalog_keys.product(listing.product_id), catalog_keys.variant(listing.sku), consistent_read=True
        ).stock
    )


def _orders_of(user_id: str) -> list[Order]:
    return [o for o in Order.gsi1.query(orders_keys.customer_orders(user_id)) if isinstance(o, Order)]


def _outcome(run) -> str:  # type: ignore[no-untyped-def]
    try:
        result = run()
    except SoukError as error:
        return error.code
    return f"ok:{result.checkout_id}" if isinstance(result, CheckoutOut) else "ok"


def test_fifty_card_checkouts_for_ten_units_sell_exactly_ten(table: str, stripe_fake) -> None:
    # GIVEN a variant with 10 in stock and 50 customers each with 1 unit in their cart
    listing = product_with_stock(10)
    customers = [_customer() for _ in range(50)]
    for principal, _ in customers:
        _fill_cart(principal.user_id, listing)
    # WHEN all 50 check out by card at once
    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(lambda c: _outcome(lambda: checkout.checkout(c[0], c[1])), customers))
    # THEN exactly 10 orders went through and 40 were refused for stock; stock is 0, never below
    assert sum(o.startswith("ok:") for o in outcomes) == 10, outcomes
    assert outcomes.count(InsufficientStock.code) == 40, outcomes
    assert _stock(listing) == 0
    winners = [o for principal, _ in customers for o in _orders_of(principal.user_id)]
    assert len(winners) == 10 and {o.status for o in winners} == {"pending_payment"}
    assert sum(int(line["quantity"]) for o in winners for line in o.lines) == 10
    # AND each winner has one pending payment; the losers' carts are untouched
    payments = [Payment.get(payments_keys.payment(o.payment_id), payments_keys.payment(o.payment_id)) for o in winners]
    assert {(p.status, p.amount) for p in payments} == {("pending", PRICE)}
    assert all(p.stripe_payment_intent_id for p in payments)


def test_one_idempotency_key_from_ten_threads_makes_one_order(table: str) -> None:
    # GIVEN one customer with a funded wallet and 1 unit in the cart
    listing = product_with_stock(10)
    principal, card_request = _customer()
    request = card_request.model_copy(update={"payment_method": "wallet"})
    fund_wallet(principal.user_id, 10 * PRICE)
    _fill_cart(principal.user_id, listing)
    # WHEN 10 threads send the same checkout with the same Idempotency-Key
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(lambda _: _outcome(lambda: checkout.checkout(principal, request,
                                                                              idempotency_key="same-key")),
                                 range(10)))  # fmt: skip
    # THEN one checkout happened: every success is its replay, the rest were told it is in progress
    successes = {o for o in outcomes if o.startswith("ok:")}
    assert len(successes) == 1, outcomes
    assert all(o.startswith("ok:") or o == Conflict.code for o in outcomes), outcomes
    assert len(_orders_of(principal.user_id)) == 1
    assert _stock(listing) == 9
    wallet = Wallet.get(wallet_keys.wallet(principal.user_id), wallet_keys.WALLET, consistent_read=True)
    assert int(wallet.balance) == 9 * PRICE


def test_fifty_wallet_checkouts_on_a_wallet_for_ten_spend_exactly_ten(table: str) -> None:
    # GIVEN one customer's wallet funded for exactly 10 payments, and 50 checkouts planned against it
    # (one cart per checkout, so only the wallet can stop them; stock is plentiful)
    listing = product_with_stock(100)
    principal, card_request = _customer()
    request = card_request.model_copy(update={"payment_method": "wallet"})
    fund_wallet(principal.user_id, 10 * PRICE)
    plans = []
    for _ in range(50):
        cart_id = new_id()
        _fill_cart(principal.user_id, listing, cart_id=cart_id)
        cart = Cart.get(cart_keys.cart(cart_id), cart_keys.CART, consistent_read=True)
        plans.append(checkout.plan_checkout(principal, request, cart))
    # WHEN the 50 checkout transactions race
    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(lambda plan: _outcome(lambda: checkout.commit_checkout(plan)), plans))
    # THEN exactly 10 went through, 40 were INSUFFICIENT_FUNDS, and the balance is 0, never below
    assert outcomes.count("ok") == 10, outcomes
    assert outcomes.count(InsufficientFunds.code) == 40, outcomes
    wallet = Wallet.get(wallet_keys.wallet(principal.user_id), wallet_keys.WALLET, consistent_read=True)
    assert int(wallet.balance) == 0
    # AND exactly 10 debit entries, 10 paid orders and 10 units reserved
    entries = WalletEntry.query(
        wallet_keys.wallet(principal.user_id),
        WalletEntry.sk.startswith(wallet_keys.WALLET_ENTRY_PREFIX),
        consistent_read=True,
    )
    debits = [e for e in entries if e.type == "debit"]
    assert len(debits) == 10 and {int(e.amount) for e in debits} == {-PRICE}
    orders = _orders_of(principal.user_id)
    assert len(orders) == 10 and {o.status for o in orders} == {"paid"}
    assert _stock(listing) == 90
