"""Who gets the delivery fee: the platform collects it with the order, pays its courier once on delivery, and
never gives it to the store; a refund after delivery is borne by the platform (the courier keeps the fee).

Every test's teardown checks each store's balance is the sum of its ledger entries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from souk.admin_settings import service as admin_settings
from souk.db.transactions import WriteTransaction
from souk.dispatch.models import Delivery
from souk.finance import ledger
from souk.finance.service import commissions
from souk.finance.store import ledger as ledger_store
from souk.orders.models import Order
from tests.commerce_factories import make_payment, stored_order
from tests.dispatch_factories import DROPOFF, FEE, Job, job, wallet_balance, wallet_entries
from tests.factories import ready_upload
from tests.finance_support import reconciled, stored_commission
from tests.support import ApiClient, assert_error

GOODS = 2000  # make_order's lines: 2 x 1000
STORE = "store-1"  # dispatch_factories' store


@pytest.fixture(autouse=True)
def fresh_settings() -> Any:
    admin_settings.forget()
    yield
    admin_settings.forget()


def paid_with_fee(work: Job) -> str:
    """The job's order as a wallet checkout with a delivery fee leaves it: total and paid include the fee, the
    payment exists, the commission is frozen (10%, the default). Returns the payment's id."""
    payment = make_payment(work.customer.id, GOODS + FEE, method="wallet", order_ids=[work.order_id],
                           store_ids=[STORE], store_owner_ids=[work.owner.id])  # fmt: skip
    work.order.update([Order.delivery_fee.set(FEE), Order.total.set(GOODS + FEE), Order.paid_amount.set(GOODS + FEE),
                       Order.payment_id.set(payment.payment_id), Order.payment_method.set("wallet")])  # fmt: skip
    with WriteTransaction() as tx:
        commissions.add_sale(tx, stored_order(work.order_id))
    return payment.payment_id


def platform(store_id: str) -> dict[str, int]:
    """The non-store accounts of the store's ledger entries, summed."""
    totals: dict[str, int] = {}
    for item in ledger_store.entries(store_id):
        for account, amount in ledger_store.raw_postings(item).items():
            if not account.startswith(ledger.STORE):
                totals[account] = totals.get(account, 0) + int(amount)
    return totals


def entry_keys(store_id: str) -> list[str]:
    return sorted(item.business_key for item in ledger_store.entries(store_id))


def deliver(api: ApiClient, work: Job) -> Any:
    url = f"/api/v1/deliveries/{work.delivery_id}/status"
    response = api.patch(url, json_body={"status": "picked_up"}, token=work.courier.token)
    assert response.status == 200, response.body
    work.delivery.update([Delivery.last_lat.set(DROPOFF[0]), Delivery.last_lng.set(DROPOFF[1]),
                          Delivery.last_at.set(datetime.now(UTC))])  # fmt: skip
    proof = ready_upload(work.courier.user, purpose="attachment", content_type="image/jpeg")
    return api.patch(url, json_body={"status": "delivered", "proofUploadId": proof}, token=work.courier.token)


def test_the_store_never_gets_the_fee_the_courier_is_paid_it_once_and_the_platform_nets_zero(api: ApiClient) -> None:
    # GIVEN an order paid with goods of 2000 and a delivery fee of 450
    work = job()
    paid_with_fee(work)
    commission = stored_commission(STORE, work.order_id)
    assert (int(commission.gross), int(commission.commission), int(commission.net)) == (GOODS, 200, 1800)
    assert int(commission.delivery_fee) == FEE and commission.lines[-1]["kind"] == "product"
    # THEN the store's pending is its goods' net only; the platform holds the fee beside its commission
    assert reconciled(STORE)["pending"] == 1800
    assert platform(STORE) == {ledger.SALES: -(GOODS + FEE), ledger.PLATFORM_COMMISSION: 200,
                               ledger.PLATFORM_DELIVERY: FEE}  # fmt: skip
    # WHEN the courier delivers it
    response = deliver(api, work)
    assert response.status == 200, response.body
    # THEN the courier's wallet has the fee, once; the platform paid it out of the fee it collected
    assert wallet_balance(work.courier.id) == FEE and len(wallet_entries(work.courier.id)) == 1
    assert entry_keys(STORE) == sorted([f"COMMISSION#{work.order_id}", f"COURIER#{work.delivery_id}"])
    assert platform(STORE) == {ledger.SALES: -(GOODS + FEE), ledger.PLATFORM_COMMISSION: 200,
                               ledger.PLATFORM_DELIVERY: 0, ledger.COURIERS: FEE}  # fmt: skip
    # AND the store's net is unchanged by the delivery
    assert reconciled(STORE)["pending"] == 1800
    # WHEN the courier sends delivered again THEN 409 and nothing is paid or posted twice
    again = api.patch(f"/api/v1/deliveries/{work.delivery_id}/status", token=work.courier.token,
                      json_body={"status": "delivered", "proofUploadId": work.delivery.proof_upload_id})  # fmt: skip
    assert_error(again, 409, "INVALID_STATE")
    assert wallet_balance(work.courier.id) == FEE and len(entry_keys(STORE)) == 2


def test_a_full_refund_after_delivery_leaves_the_store_at_zero_and_the_platform_bears_the_fee(
    api: ApiClient,
) -> None:
    # GIVEN an order with a fee, delivered by the platform's courier (paid the fee)
    work = job()
    payment_id = paid_with_fee(work)
    assert deliver(api, work).status == 200
    # WHEN an admin refunds it in full to the customer's wallet
    response = api.post(f"/api/v1/payments/{payment_id}/refund", token=work.admin.token,
                        json_body={"reason": "never again", "to": "wallet"})  # fmt: skip
    assert response.status == 201, response.body
    # THEN the customer gets everything back, the fee included
    assert response.json["data"]["amount"] == {"amount": GOODS + FEE, "currency": "usd"}
    assert wallet_balance(work.customer.id) == GOODS + FEE
    # AND the store gives back its goods' net only and ends at zero for the order
    balance = reconciled(STORE)
    assert (balance["pending"], balance["available"]) == (0, 0)
    commission = stored_commission(STORE, work.order_id)
    assert commission.status == "reversed"
    assert (int(commission.reversed_gross), int(commission.reversed_net)) == (GOODS, 1800)
    assert int(commission.reversed_delivery_fee) == FEE
    # AND the courier keeps the fee: the platform bore the refunded fee
    assert wallet_balance(work.courier.id) == FEE
    assert platform(STORE) == {ledger.SALES: 0, ledger.PLATFORM_COMMISSION: 0, ledger.PLATFORM_DELIVERY: -FEE,
                               ledger.COURIERS: FEE}  # fmt: skip
