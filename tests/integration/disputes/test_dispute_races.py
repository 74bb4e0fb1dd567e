"""Disputes and returns races on DynamoDB Local: the last returnable units go to one request, two admins
resolving one dispute make one refund, a return received twice at once restocks once."""

from __future__ import annotations

from typing import Any

import pytest

from souk.catalog import keys as catalog_keys
from souk.catalog.models import Variant
from souk.db.transactions import WriteTransaction
from souk.disputes.schemas.disputes import DisputeIn, ResolutionIn
from souk.disputes.schemas.returns import ReturnIn, ReturnItemIn, ReturnStatusIn
from souk.disputes.service import disputes, returns
from souk.disputes.store import returns as return_store
from souk.errors import InvalidState, SoukError, UnprocessableEntity
from souk.finance.service import commissions
from souk.finance.store import ledger as ledger_store
from souk.orders.models import Order
from souk.orders.schemas import StatusRequest
from souk.orders.service import fulfilment
from souk.payments.models import Payment
from tests.commerce_factories import make_order, make_payment, stored_order, stored_refunds
from tests.finance_support import reconciled
from tests.races import at_once
from tests.review_factories import ADMIN, Shop, customer, make_shop, principal_of

pytestmark = pytest.mark.integration
SKU, PRICE = "OIL-1L", 899


def _delivered(shop: Shop, quantity: int) -> tuple[Any, Order]:
    """A customer's order of ``quantity`` bottles paid from the wallet, with its commission as checkout writes it,
    moved to delivered by the fulfilment service."""
    user, _ = customer()
    paid = PRICE * quantity
    owner, store_id = shop.owner.user_id, shop.store_id
    payment: Payment = make_payment(user.user_id, paid, method="wallet", store_ids=[store_id],
                                    store_owner_ids=[owner])  # fmt: skip
    lines = [{"productId": shop.product_id, "sku": SKU, "name": "Olive Oil", "variantName": "1 litre",
              "quantity": quantity, "unitPrice": PRICE, "lineTotal": paid}]  # fmt: skip
    order = make_order(user.user_id, store_id, owner, lines=lines, method="wallet", payment_id=payment.payment_id)
    payment.order_ids = [order.order_id]
    payment.save()
    with WriteTransaction() as tx:
        assert commissions.add_sale(tx, order) is not None
    for status in ("accepted", "preparing", "ready", "picked_up", "delivered"):
        fulfilment.move_order(ADMIN, order.order_id, StatusRequest(status=status))
    return user, stored_order(order.order_id)


def _stock(shop: Shop) -> int:
    return int(
        Variant.get(catalog_keys.product(shop.product_id), catalog_keys.variant(SKU), consistent_read=True).stock
    )


@pytest.mark.parametrize("racers", [2, 4])
def test_requests_racing_for_the_last_returnable_units_let_one_through(table: str, racers: int) -> None:
    # GIVEN a delivered order of 3 bottles, one already asked back
    shop = make_shop()
    user, order = _delivered(shop, 3)
    who = principal_of(user)
    returns.request_return(who, order.order_id, ReturnIn(items=[ReturnItemIn(variant_sku=SKU, quantity=1)],
                                                         reason="Leaking"))  # fmt: skip
    # WHEN several requests for the last 2 arrive at once
    request = ReturnIn(items=[ReturnItemIn(variant_sku=SKU, quantity=2)], reason="Changed my mind")
    results = at_once([lambda: returns.request_return(who, order.order_id, request)] * racers)
    # THEN one is accepted, the others are refused as more than was bought
    errors = [r for r in results if isinstance(r, SoukError)]
    assert len(errors) == racers - 1, results
    assert all(isinstance(e, UnprocessableEntity) for e in errors), errors
    # AND the order's counter says 3 asked back, never more than bought
    assert return_store.read_returned(order.order_id) == {(shop.product_id, SKU): 3}


@pytest.mark.parametrize("racers", [2, 4])
def test_admins_resolving_one_dispute_with_refunds_at_once_make_one_refund(table: str, racers: int) -> None:
    # GIVEN a delivered order of 2 bottles and an open dispute about it
    shop = make_shop()
    user, order = _delivered(shop, 2)
    dispute = disputes.open_dispute(principal_of(user), order.order_id,
                                    DisputeIn(reason="Broken", description="One bottle arrived broken."))  # fmt: skip
    net = reconciled(shop.store_id)["pending"]
    # WHEN admins resolve it with refunds at the same instant (to the wallet and to the original payment)
    requests = [ResolutionIn(resolution="refund_wallet" if i % 2 else "refund_original") for i in range(racers)]
    results = at_once([lambda r=r: disputes.resolve(ADMIN, dispute.id, r) for r in requests])
    # THEN one resolves it, the others are told it is closed
    errors = [r for r in results if isinstance(r, SoukError)]
    assert len(errors) == racers - 1, results
    assert all(isinstance(e, InvalidState) for e in errors), [(type(e).__name__, e.message) for e in errors]
    # AND there is one refund of what was paid, one reversal of the store's share, and the balance reconciles
    refunds = stored_refunds(order.payment_id)
    assert [int(r.amount) for r in refunds] == [2 * PRICE]
    assert int(stored_order(order.order_id).refunded_amount) == 2 * PRICE
    reversals = [e for e in ledger_store.entries(shop.store_id) if e.business_key.startswith("REVERSAL#")]
    assert [e.business_key for e in reversals] == [f"REVERSAL#{refunds[0].refund_id}"]
    assert reconciled(shop.store_id)["pending"] == net - (2 * PRICE - 180)  # 10% of 1798 stays with Souk


@pytest.mark.parametrize("racers", [2, 4])
def test_a_return_received_twice_at_once_restocks_once(table: str, racers: int) -> None:
    # GIVEN an approved return of 2 of 3 delivered bottles (stock as the shop left it)
    shop = make_shop()
    user, order = _delivered(shop, 3)
    request = ReturnIn(items=[ReturnItemIn(variant_sku=SKU, quantity=2)], reason="Too much")
    item = returns.request_return(principal_of(user), order.order_id, request)
    returns.move_return(ADMIN, item.id, ReturnStatusIn(status="approved"))
    before = _stock(shop)
    # WHEN the store marks it received several times at once
    owner = principal_of(shop.owner)
    results = at_once([lambda: returns.move_return(owner, item.id, ReturnStatusIn(status="received"))] * racers)
    # THEN one move applies; the others are 409; the 2 bottles are back once
    errors = [r for r in results if isinstance(r, SoukError)]
    assert len(errors) == racers - 1 and all(isinstance(e, InvalidState) for e in errors), results
    assert _stock(shop) == before + 2
