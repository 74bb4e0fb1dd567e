"""Points through the order's life: spent at checkout, given back on cancel, taken back on refunds, expired daily.

After each sequence the balance equals the sum of the entries.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from souk.admin_settings import service as admin_settings
from souk.caller import Actor
from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.identity.schemas.addresses import AddressIn
from souk.identity.service import addresses
from souk.orders.schemas import CancelRequest, StatusRequest
from souk.orders.service import cancel, fulfilment
from souk.orders.service.refunds import refund_order
from souk.points import keys as points_keys
from souk.points.models import PointsAccount
from souk.points.service import expiry, redemption
from souk.points.store.points import new_entry
from souk.settings import get_settings
from tests.commerce_factories import fund_wallet, make_cart, make_order, make_payment, stored_order, stored_payment
from tests.factories import create_user, queued_jobs, token_for
from tests.functional.points.support import (
    ADMIN,
    assert_balance_is_the_sum_of_entries,
    balance,
    delivered,
    earned_at,
    entries,
    line,
    lot,
)
from tests.functional.product_support import make_seller, principal_of
from tests.support import ApiClient, assert_error

PRICE_42 = 5999
SYSTEM = Actor(user_id="points-test", role="admin")


def _shopper(api: ApiClient, quantity: int = 1) -> tuple[Any, str, dict[str, Any]]:
    """A customer with 1,000.00 in the wallet and ``quantity`` x TRS-42 (59.99) in the cart."""
    seller = make_seller()
    product = seller.create(api)
    user = create_user("customer")
    address = addresses.create_address(principal_of(user), AddressIn(label="Home", line1="1 Elm St", city="X",
                                                                     country="US", lat=40.1, lng=-73.2))  # fmt: skip
    fund_wallet(user.user_id, 100_000)
    make_cart(user.user_id, [{"productId": product["id"], "storeId": product["storeId"], "sku": "TRS-42",
                              "quantity": quantity, "seenPrice": PRICE_42, "currency": "usd"}])  # fmt: skip
    return user, address.id, product


def _checkout(api: ApiClient, user: Any, address_id: str, points: int) -> Any:
    body = {"addressId": address_id, "paymentMethod": "wallet", "pointsToRedeem": points}
    return api.post("/api/v1/orders", token=token_for(user), json_body=body)


def test_checkout_spends_points_oldest_lot_first_and_the_total_falls(api: ApiClient) -> None:
    # GIVEN a customer with an older lot of 20 points and a newer one of 600
    user, address_id, _ = _shopper(api)
    older = earned_at(user, 2_000, utc_now() - timedelta(days=100))
    newer = delivered(user, 60_000)
    # WHEN they check out 59.99 with 500 points (5.00 at the default 100 points = 1.00)
    response = _checkout(api, user, address_id, 500)
    # THEN the order's total and payment fall by 5.00, the discount shows it
    assert response.status == 201, response.body
    data = response.json["data"]
    order = data["orders"][0]
    assert order["total"]["amount"] == PRICE_42 - 500 and order["discount"]["amount"] == 500
    assert order["paid"]["amount"] == PRICE_42 - 500 and data["payment"]["amount"]["amount"] == PRICE_42 - 500
    # AND the older lot is emptied first, then 480 from the newer one; the order records the draws
    assert (int(lot(user.user_id, older.order_id).remaining), int(lot(user.user_id, newer.order_id).remaining)) == (
        0, 120)  # fmt: skip
    record = stored_order(order["id"]).points
    assert record["redeemed"] == 500 and record["value"] == 500
    assert [(d["lot"], d["points"]) for d in record["draws"]] == [(older.order_id, 20), (newer.order_id, 480)]
    redeemed = [e for e in entries(user.user_id) if e.type == "redeemed"]
    assert [(e.points, e.order_id) for e in redeemed] == [(-500, order["id"])]
    assert balance(user.user_id) == 120 == assert_balance_is_the_sum_of_entries(user.user_id)


def test_more_than_the_balance_or_the_goods_is_422_and_nothing_is_spent(api: ApiClient) -> None:
    user, address_id, _ = _shopper(api)
    delivered(user, 10_000)  # 100 points
    assert_error(_checkout(api, user, address_id, 101), 422, "UNPROCESSABLE_ENTITY")
    assert balance(user.user_id) == 100
    rich, rich_address, _ = _shopper(api)
    delivered(rich, 100_000)  # 1,000 points: more than the 59.99 of goods are worth
    refused = assert_error(_checkout(api, rich, rich_address, 6_000), 422, "UNPROCESSABLE_ENTITY")
    assert "At most 5999 points" in refused["error"]["message"]
    assert balance(rich.user_id) == 1_000
    assert_error(_checkout(api, rich, rich_address, -1), 400, "VALIDATION_ERROR")


def test_cancelling_gives_the_points_back_to_their_lots_with_their_expiry(api: ApiClient) -> None:
    # GIVEN a paid order that spent 300 points from a lot
    user, address_id, _ = _shopper(api)
    source = delivered(user, 50_000)
    expires = lot(user.user_id, source.order_id).lot_expires_at
    response = _checkout(api, user, address_id, 300)
    assert response.status == 201, response.body
    order_id = response.json["data"]["orders"][0]["id"]
    assert balance(user.user_id) == 200
    # WHEN the customer cancels it
    cancel.cancel_order(principal_of(user), order_id, CancelRequest(reason="changed my mind"))
    # THEN the 300 points are back in the same lot, with its expiry, once
    back = lot(user.user_id, source.order_id)
    assert int(back.remaining) == 500 and back.lot_expires_at == expires and back.gsi2pk is not None
    restored = [e for e in entries(user.user_id) if e.type == "restored"]
    assert [(e.points, e.order_id) for e in restored] == [(300, order_id)]
    assert balance(user.user_id) == 500 == assert_balance_is_the_sum_of_entries(user.user_id)


def test_refunds_take_back_earned_points_pro_rata_and_a_full_refund_restores_redeemed_ones(
    aws_resources: dict[str, str],
) -> None:
    # GIVEN a delivered wallet order of 100.00 that earned 100 points and had redeemed 40 from an older lot
    user = create_user("customer")
    source = delivered(user, 10_000)
    payment = make_payment(user.user_id, 10_000, method="wallet")
    order = make_order(user.user_id, "store-r", "owner-r", status="picked_up", lines=[line(10_000)], method="wallet",
                       payment_id=payment.payment_id)  # fmt: skip
    expires = lot(user.user_id, source.order_id).lot_expires_at.isoformat()
    order.points = {"redeemed": 40, "value": 40,
                    "draws": [{"lot": source.order_id, "points": 40, "expiresAt": expires}]}  # fmt: skip
    order.save()
    payment.order_ids = [order.order_id]
    payment.save()
    held = lot(user.user_id, source.order_id)
    held.update([type(held).remaining.set(60)])  # the 40 drawn at that checkout, and the balance it left
    PointsAccount(pk=points_keys.points(user.user_id), sk=points_keys.ACCOUNT).update([PointsAccount.balance.add(-40)])
    with WriteTransaction() as tx:
        tx.put(new_entry(user.user_id, f"redeemed-{order.order_id}", "redeemed", -40, order_id=order.order_id,
                         at=utc_now()))  # fmt: skip
    fulfilment.move_order(ADMIN, order.order_id, StatusRequest(status="delivered"))
    assert balance(user.user_id) == 160 == assert_balance_is_the_sum_of_entries(user.user_id)
    # WHEN a quarter is refunded
    refund_order(SYSTEM, stored_order(order.order_id), stored_payment(payment.payment_id), 2_500, to="wallet",
                 reason="one item broken")  # fmt: skip
    # THEN a quarter of the 100 earned points is taken back, from the order's lot
    assert int(lot(user.user_id, order.order_id).remaining) == 75
    assert balance(user.user_id) == 135 == assert_balance_is_the_sum_of_entries(user.user_id)
    # WHEN the rest is refunded
    refund_order(SYSTEM, stored_order(order.order_id), stored_payment(payment.payment_id), None, to="wallet",
                 reason="all of it")  # fmt: skip
    # THEN all 100 earned points are taken back, and the 40 redeemed go back to their lot
    reversed_ = sorted(int(e.points) for e in entries(user.user_id) if e.type == "reversed")
    assert reversed_ == [-75, -25]
    assert int(lot(user.user_id, source.order_id).remaining) == 100
    assert [e.points for e in entries(user.user_id) if e.type == "restored"] == [40]
    assert balance(user.user_id) == 100 == assert_balance_is_the_sum_of_entries(user.user_id)


def test_a_refund_of_spent_points_may_leave_the_balance_negative(aws_resources: dict[str, str]) -> None:
    # GIVEN 100 points earned by a wallet order, then spent elsewhere (the lot is empty)
    user = create_user("customer")
    payment = make_payment(user.user_id, 10_000, method="wallet")
    order = make_order(user.user_id, "store-n", "owner-n", status="picked_up", lines=[line(10_000)], method="wallet",
                       payment_id=payment.payment_id)  # fmt: skip
    payment.order_ids = [order.order_id]
    payment.save()
    fulfilment.move_order(ADMIN, order.order_id, StatusRequest(status="delivered"))
    spent = redemption.plan_redemption(user.user_id, 100, [10_000], "usd")
    assert spent is not None
    with WriteTransaction() as tx:
        spent.add_to(tx, ["elsewhere"])
    # WHEN the order is refunded in full
    refund_order(SYSTEM, stored_order(order.order_id), stored_payment(payment.payment_id), None, to="wallet",
                 reason="returned")  # fmt: skip
    # THEN the balance is -100, still the sum of the entries; a later earning offsets it
    assert balance(user.user_id) == -100 == assert_balance_is_the_sum_of_entries(user.user_id)
    delivered(user, 15_000)
    assert balance(user.user_id) == 50 == assert_balance_is_the_sum_of_entries(user.user_id)


def test_the_daily_job_expires_each_lot_once_and_reminds_once(aws_resources: dict[str, str]) -> None:
    # GIVEN a lot that expired an hour ago, one expiring in 14 days and one in 100 days
    user = create_user("customer")
    now = utc_now()
    settings = admin_settings.current().points
    gone = earned_at(user, 3_000, now - timedelta(days=settings.expiry_days, hours=1))
    soon = earned_at(user, 4_000, now + timedelta(days=settings.reminder_days, hours=1) - timedelta(
        days=settings.expiry_days))  # fmt: skip
    later = earned_at(user, 5_000, now - timedelta(days=settings.expiry_days - 100))
    queued_jobs(get_settings().email_queue_url)  # drain
    # WHEN the job runs twice
    first = expiry.run(lambda: False, now)
    second = expiry.run(lambda: False, now)
    # THEN the expired lot has one expiry entry, the others none; the balance follows
    assert (first["expiredLots"], first["expiredPoints"], first["reminded"]) == (1, 30, 1)
    assert (second["expiredLots"], second["reminded"]) == (0, 0)
    expired = [e for e in entries(user.user_id) if e.type == "expired"]
    assert [(e.points, e.order_id) for e in expired] == [(-30, gone.order_id)]
    assert int(lot(user.user_id, gone.order_id).remaining) == 0
    assert lot(user.user_id, soon.order_id).reminded_at is not None
    assert lot(user.user_id, later.order_id).reminded_at is None
    assert balance(user.user_id) == 90 == assert_balance_is_the_sum_of_entries(user.user_id)
    # AND one reminder email, about the lot that expires soon
    emails = [j for j in queued_jobs(get_settings().email_queue_url) if j.get("template") == "points_expiring"]
    assert len(emails) == 1 and emails[0]["variables"]["points"] == 40
