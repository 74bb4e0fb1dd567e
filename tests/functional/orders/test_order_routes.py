"""GET /api/v1/orders, GET /api/v1/orders/{orderId} and PATCH /api/v1/orders/{orderId}/status on moto.

Orders are written by the commerce factories as checkout leaves them (the checkout route
is tested on its own).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.catalog import keys as catalog_keys
from souk.catalog.models import Variant
from souk.catalog.service import inventory
from souk.db import expiry
from souk.db import keys as db_keys
from souk.db.transactions import WriteTransaction
from souk.identity.models import User
from souk.orders import keys as orders_keys
from souk.orders.models import Order
from souk.payments import keys as payments_keys
from souk.payments.models import Payment
from tests.commerce_factories import make_order, make_payment
from tests.factories import create_user, queued_jobs, token_for
from tests.functional.product_support import make_seller
from tests.support import ApiClient, assert_error, record_dynamodb_calls

LIST = "/api/v1/orders"


def _detail(order_id: str) -> str:
    return f"{LIST}/{order_id}"


def _status(order_id: str) -> str:
    return f"{LIST}/{order_id}/status"


def _at(order: Order, moment: datetime) -> Order:
    """Move an order on its timelines, as if placed at ``moment``."""
    sort = db_keys.timeline_sort(expiry.stamp(moment), order.order_id)
    order.update([Order.created_at.set(moment), Order.gsi1sk.set(sort), Order.gsi2sk.set(sort),
                  Order.gsi3sk.set(sort)])  # fmt: skip
    return order


def _assign(order: Order, courier: User) -> Order:
    """What the delivery feature does when it assigns a courier (gsi4: the courier's deliveries)."""
    sort = db_keys.timeline_sort(expiry.stamp(order.created_at), order.order_id)
    order.update([Order.courier_id.set(courier.user_id), Order.gsi4pk.set(orders_keys.courier_orders(courier.user_id)),
                  Order.gsi4sk.set(sort)])  # fmt: skip
    return order


def _stored(order_id: str) -> Order:
    return Order.get(orders_keys.order(order_id), orders_keys.order(order_id), consistent_read=True)


def _ids(response: Any) -> list[str]:
    assert response.status == 200, response.body
    return [o["id"] for o in response.json["data"]]


class World:
    """Two customers, two store owners (fake store ids), a courier and an admin, with tokens."""

    def __init__(self) -> None:
        self.alice, self.bob = create_user(), create_user()
        self.owner, self.other_owner = create_user("store_owner"), create_user("store_owner")
        self.courier, self.admin = create_user("courier"), create_user("admin")
        self.tokens = {u.user_id: token_for(u) for u in (self.alice, self.bob, self.owner, self.other_owner,
                                                          self.courier, self.admin)}  # fmt: skip

    def token(self, user: User) -> str:
        return self.tokens[user.user_id]

    def order(self, customer: User | None = None, owner: User | None = None, store_id: str = "store-1",
              **kwargs: Any) -> Order:  # fmt: skip
        return make_order((customer or self.alice).user_id, store_id, (owner or self.owner).user_id, **kwargs)


@pytest.fixture
def world(api: ApiClient) -> World:
    return World()


# ---------------------------------------------------------------- GET /orders


def test_a_customer_lists_their_own_orders_newest_first(api: ApiClient, world: World) -> None:
    # GIVEN two orders of Alice a day apart and one of Bob
    now = datetime.now(UTC)
    older = _at(world.order(), now - timedelta(days=1))
    newer = _at(world.order(status="accepted"), now)
    world.order(customer=world.bob)
    # WHEN Alice lists her orders
    response = api.get(LIST, token=world.token(world.alice))
    # THEN hers only, newest first, with amounts in minor units
    assert _ids(response) == [newer.order_id, older.order_id]
    first = response.json["data"][0]
    assert first["status"] == "accepted" and first["total"] == {"amount": 2000, "currency": "usd"}
    assert first["lines"][0]["unitPrice"] == {"amount": 1000, "currency": "usd"}
    assert response.json["pagination"]["nextCursor"] is None and response.json["pagination"]["hasNext"] is False
    # AND oldest first when asked
    assert _ids(api.get(f"{LIST}?order=asc", token=world.token(world.alice))) == [older.order_id, newer.order_id]


def test_filters_by_status_and_by_a_date_range_with_to_inclusive(api: ApiClient, world: World) -> None:
    # GIVEN orders placed on three days, one of them delivered
    base = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    first = _at(world.order(), base)
    second = _at(world.order(status="delivered"), base + timedelta(days=1))
    third = _at(world.order(), base + timedelta(days=2))
    token = world.token(world.alice)
    # WHEN filtered by status
    assert _ids(api.get(f"{LIST}?status=delivered", token=token)) == [second.order_id]
    # WHEN filtered from the second day to the exact instant of the third order
    to = (base + timedelta(days=2)).isoformat().replace("+00:00", "Z")
    ranged = api.get(f"{LIST}?from=2026-03-11T00:00:00Z&to={to}", token=token)
    # THEN the second and third (to is inclusive), not the first
    assert _ids(ranged) == [third.order_id, second.order_id]
    assert _ids(api.get(f"{LIST}?to=2026-03-10T23:59:59Z", token=token)) == [first.order_id]


def test_pages_with_a_cursor_bound_to_the_list(api: ApiClient, world: World) -> None:
    # GIVEN five orders of Alice
    now = datetime.now(UTC)
    orders = [_at(world.order(), now - timedelta(minutes=i)) for i in range(5)]
    token = world.token(world.alice)
    # WHEN she reads them two at a time
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        response = api.get(f"{LIST}?limit=2" + (f"&cursor={cursor}" if cursor else ""), token=token)
        seen += _ids(response)
        cursor = response.json["pagination"]["nextCursor"]
        if cursor is None:
            break
    # THEN every order once, newest first
    assert seen == [o.order_id for o in orders]
    # AND Alice's cursor is refused on Bob's list
    first_page = api.get(f"{LIST}?limit=2", token=token).json["pagination"]["nextCursor"]
    payload = assert_error(api.get(f"{LIST}?cursor={first_page}", token=world.token(world.bob)), 400,
                           "VALIDATION_ERROR")  # fmt: skip
    assert payload["error"]["details"][0]["field"] == "cursor"


def test_a_store_owner_sees_their_stores_orders_and_may_filter_by_one_of_them(api: ApiClient) -> None:
    # GIVEN two stores of one owner and a store of another, with an order each
    seller = make_seller()
    other = make_seller()
    customer = create_user()
    in_first = make_order(customer.user_id, seller.store.store_id, seller.user.user_id)
    in_second = make_order(customer.user_id, "second-store", seller.user.user_id)
    elsewhere = make_order(customer.user_id, other.store.store_id, other.user.user_id)
    # WHEN the owner lists orders
    listed = set(_ids(api.get(LIST, token=seller.token)))
    # THEN both their stores' orders, not the other owner's
    assert listed == {in_first.order_id, in_second.order_id}
    # AND the store filter keeps one store
    assert _ids(api.get(f"{LIST}?store={seller.store.store_id}", token=seller.token)) == [in_first.order_id]
    # AND another owner's store is not found
    assert_error(api.get(f"{LIST}?store={other.store.store_id}", token=seller.token), 404, "NOT_FOUND")
    assert elsewhere.order_id not in listed


def test_an_admin_sees_all_orders_or_one_stores(api: ApiClient) -> None:
    # GIVEN orders in two owners' stores
    seller, other = make_seller(), make_seller()
    admin = create_user("admin")
    customer = create_user()
    mine = make_order(customer.user_id, seller.store.store_id, seller.user.user_id)
    theirs = make_order(customer.user_id, other.store.store_id, other.user.user_id)
    token = token_for(admin)
    # WHEN the admin lists all, then one store
    assert set(_ids(api.get(LIST, token=token))) == {mine.order_id, theirs.order_id}
    assert _ids(api.get(f"{LIST}?store={other.store.store_id}", token=token)) == [theirs.order_id]
    # AND an unknown store is not found
    assert_error(api.get(f"{LIST}?store=nope", token=token), 404, "NOT_FOUND")


def test_a_courier_sees_only_the_orders_assigned_to_them(api: ApiClient, world: World) -> None:
    # GIVEN one order assigned to the courier and one not
    assigned = _assign(world.order(status="ready"), world.courier)
    world.order(status="ready")
    # WHEN the courier lists orders
    # THEN the assigned one only
    assert _ids(api.get(LIST, token=world.token(world.courier))) == [assigned.order_id]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "status=shipped", "from=yesterday", "order=up",
                                   "from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "cursor=garbage"])  # fmt: skip
def test_list_rejects_bad_queries(api: ApiClient, world: World, query: str) -> None:
    # WHEN the list is asked with a bad query
    response = api.get(f"{LIST}?{query}", token=world.token(world.alice))
    # THEN 400 VALIDATION_ERROR
    assert_error(response, 400, "VALIDATION_ERROR")


def test_list_needs_a_token(api: ApiClient) -> None:
    assert_error(api.get(LIST), 401, "UNAUTHORIZED")


def test_list_costs_one_query_per_page(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an owner with 30 orders, 10 of them delivered
    seller = make_seller()
    customer = create_user()
    for i in range(30):
        make_order(customer.user_id, seller.store.store_id, seller.user.user_id,
                   status="delivered" if i % 3 == 0 else "paid")  # fmt: skip
    calls = record_dynamodb_calls(monkeypatch)
    # WHEN a filtered page is read
    response = api.get(f"{LIST}?status=delivered&limit=5", token=seller.token)
    plain = list(calls)
    calls.clear()
    by_store = api.get(f"{LIST}?store={seller.store.store_id}&limit=5", token=seller.token)
    # THEN the session check and one Query (plus the store's GetItem with `store`), whatever the table holds
    assert all(o["status"] == "delivered" for o in response.json["data"]) and len(by_store.json["data"]) == 5
    assert plain == ["GetItem", "Query"]
    assert calls == ["GetItem", "GetItem", "Query"]


# ---------------------------------------------------------------- GET one order


def test_the_customer_reads_their_order_with_its_history(api: ApiClient, world: World) -> None:
    # GIVEN a paid order of Alice
    order = world.order()
    # WHEN she reads it
    response = api.get(_detail(order.order_id), token=world.token(world.alice))
    # THEN it is there with its history, oldest first
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["id"] == order.order_id and data["status"] == "paid" and data["paid"]["amount"] == 2000
    assert [h["status"] for h in data["history"]] == ["pending_payment", "paid"]
    assert data["reservedUntil"] is None


def test_the_store_owner_the_courier_and_admins_read_it_too(api: ApiClient, world: World) -> None:
    # GIVEN an order assigned to the courier
    order = _assign(world.order(status="ready"), world.courier)
    # WHEN its store owner, its courier and an admin read it
    # THEN each sees it
    for user in (world.owner, world.courier, world.admin):
        response = api.get(_detail(order.order_id), token=world.token(user))
        assert response.status == 200 and response.json["data"]["courierId"] == world.courier.user_id


def test_anyone_else_gets_not_found(api: ApiClient, world: World) -> None:
    # GIVEN Alice's order in the owner's store, no courier
    order = world.order()
    # WHEN another customer, another owner or an unassigned courier reads it
    # THEN 404, as for an order that does not exist
    for user in (world.bob, world.other_owner, world.courier):
        assert_error(api.get(_detail(order.order_id), token=world.token(user)), 404, "NOT_FOUND")
    assert_error(api.get(_detail("no-such-order"), token=world.token(world.alice)), 404, "NOT_FOUND")


def test_detail_needs_a_token(api: ApiClient, world: World) -> None:
    assert_error(api.get(_detail(world.order().order_id)), 401, "UNAUTHORIZED")


def test_detail_rejects_a_too_long_id(api: ApiClient, world: World) -> None:
    assert_error(api.get(_detail("x" * 65), token=world.token(world.alice)), 400, "VALIDATION_ERROR")


def test_an_unpaid_order_past_its_window_is_expired_on_read(api: ApiClient) -> None:
    # GIVEN an unpaid order of 2 units (reserved) whose window passed a minute ago
    seller = make_seller()
    product = seller.create(api)
    customer = create_user()
    with WriteTransaction() as tx:
        inventory.reserve_stock(tx, product["id"], "TRS-42", 2)
    line = {"productId": product["id"], "sku": "TRS-42", "name": "Shoes", "quantity": 2, "unitPrice": 5999,
            "lineTotal": 11998}  # fmt: skip
    order = make_order(customer.user_id, seller.store.store_id, seller.user.user_id, status="pending_payment",
                       lines=[line], minutes_left=-1)  # fmt: skip
    payment = make_payment(customer.user_id, 11998, status="pending", order_ids=[order.order_id])
    order.update([Order.payment_id.set(payment.payment_id)])
    # WHEN the customer reads it
    response = api.get(_detail(order.order_id), token=token_for(customer))
    # THEN it comes back cancelled, and the stock and payment say so too
    assert response.status == 200, response.body
    assert response.json["data"]["status"] == "cancelled"
    assert response.json["data"]["history"][-1]["reason"] == "payment window passed"
    assert (
        int(
            Variant.get(catalog_keys.product(product["id"]), catalog_keys.variant("TRS-42"), consistent_read=True).stock
        )
        == 10
    )
    assert (
        Payment.get(payments_keys.payment(payment.payment_id), payments_keys.payment(payment.payment_id)).status
        == "canceled"
    )


def test_an_unpaid_order_in_its_window_shows_until_when(api: ApiClient, world: World) -> None:
    # GIVEN an unpaid order with 20 minutes left
    order = world.order(status="pending_payment", minutes_left=20)
    # WHEN read
    data = api.get(_detail(order.order_id), token=world.token(world.alice)).json["data"]
    # THEN still pending, with its deadline
    assert data["status"] == "pending_payment" and data["reservedUntil"] is not None
    assert _stored(order.order_id).status == "pending_payment"


def test_detail_costs_one_get_item(api: ApiClient, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an order
    order = world.order()
    calls = record_dynamodb_calls(monkeypatch)
    # WHEN read
    assert api.get(_detail(order.order_id), token=world.token(world.alice)).status == 200
    # THEN the session check and the order
    assert calls == ["GetItem", "GetItem"]


# ---------------------------------------------------------------- PATCH status


def test_the_store_owner_moves_an_order_along_and_the_customer_hears_it_is_ready(
    api: ApiClient, world: World, aws_resources: dict[str, str]
) -> None:
    # GIVEN a paid order in a real store of the owner
    seller = make_seller()
    customer = create_user()
    order = make_order(customer.user_id, seller.store.store_id, seller.user.user_id)
    queued_jobs(aws_resources["EmailQueue"])  # the store approval email
    # WHEN the owner accepts, prepares and readies it
    for target in ("accepted", "preparing", "ready"):
        response = api.patch(_status(order.order_id), token=seller.token,
                             json_body={"status": target, "reason": f"now {target}"})  # fmt: skip
        assert response.status == 200, response.body
        assert response.json["data"]["status"] == target
    # THEN the order is ready with each move in its history, by the owner
    stored = _stored(order.order_id)
    assert stored.status == "ready"
    assert [(h["status"], h["actorId"], h["reason"]) for h in stored.history[-3:]] == [
        ("accepted", seller.user.user_id, "now accepted"), ("preparing", seller.user.user_id, "now preparing"),
        ("ready", seller.user.user_id, "now ready")]  # fmt: skip
    # AND each move is audited
    records = list(AuditRecord.gsi2.query(audit_keys.audit_resource("order", order.order_id)))
    assert [(r.action, r.after["status"]) for r in records] == [
        ("order.status", "accepted"), ("order.status", "preparing"), ("order.status", "ready")]  # fmt: skip
    # AND the customer got one email, when it became ready
    jobs = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "order_status_changed"]
    assert [(j["to"], j["variables"]["status"]) for j in jobs] == [(customer.email, "ready")]


def test_the_assigned_courier_picks_up_and_delivers_and_the_customer_hears_it(
    api: ApiClient, world: World, aws_resources: dict[str, str]
) -> None:
    # GIVEN a ready order of a real store, assigned to the courier
    seller = make_seller()
    order = _assign(make_order(world.alice.user_id, seller.store.store_id, seller.user.user_id, status="ready"),
                    world.courier)  # fmt: skip
    queued_jobs(aws_resources["EmailQueue"])  # the store approval email
    # WHEN the courier picks it up and delivers it
    for target in ("picked_up", "delivered"):
        response = api.patch(_status(order.order_id), token=world.token(world.courier), json_body={"status": target})
        assert response.status == 200, response.body
    # THEN it is delivered, both moves by the courier
    stored = _stored(order.order_id)
    assert stored.status == "delivered"
    assert [(h["status"], h["role"]) for h in stored.history[-2:]] == [("picked_up", "courier"),
                                                                       ("delivered", "courier")]  # fmt: skip
    # AND the customer was emailed once, on delivery, with the store's name
    jobs = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "order_status_changed"]
    assert [(j["to"], j["variables"]["status"], j["variables"]["store_name"]) for j in jobs] == [
        (world.alice.email, "delivered", seller.store.name)]  # fmt: skip


def test_an_admin_may_make_any_next_move(api: ApiClient, world: World) -> None:
    # GIVEN a picked-up order
    order = world.order(status="picked_up")
    # WHEN an admin marks it delivered
    response = api.patch(_status(order.order_id), token=world.token(world.admin), json_body={"status": "delivered"})
    # THEN it is
    assert response.status == 200 and _stored(order.order_id).status == "delivered"


def test_skipping_a_step_is_an_invalid_state(api: ApiClient, world: World) -> None:
    # GIVEN a paid order
    order = world.order()
    # WHEN its owner marks it ready straight away
    response = api.patch(_status(order.order_id), token=world.token(world.owner), json_body={"status": "ready"})
    # THEN 409 INVALID_STATE, and nothing changed
    payload = assert_error(response, 409, "INVALID_STATE")
    assert payload["error"]["message"] == "An order that is paid cannot become ready."
    assert _stored(order.order_id).status == "paid"


def test_a_second_identical_move_is_an_invalid_state(api: ApiClient, world: World) -> None:
    # GIVEN an order its owner just accepted
    order = world.order()
    token = world.token(world.owner)
    assert api.patch(_status(order.order_id), token=token, json_body={"status": "accepted"}).status == 200
    # WHEN accepted again
    response = api.patch(_status(order.order_id), token=token, json_body={"status": "accepted"})
    # THEN 409, one move in the history
    assert_error(response, 409, "INVALID_STATE")
    assert [h["status"] for h in _stored(order.order_id).history].count("accepted") == 1


def test_cancelled_is_not_a_status_target(api: ApiClient, world: World) -> None:
    # GIVEN a paid order
    order = world.order()
    # WHEN its owner sets it cancelled through PATCH
    response = api.patch(_status(order.order_id), token=world.token(world.owner), json_body={"status": "cancelled"})
    # THEN 400 pointing at the cancel route, nothing changed
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "status"
    assert "/cancel" in payload["error"]["details"][0]["message"]
    assert _stored(order.order_id).status == "paid"


@pytest.mark.parametrize("body", [{}, {"status": "shipped"}, {"status": "refunded"}, {"status": "paid"},
                                  {"status": "accepted", "reason": "x" * 501}])  # fmt: skip
def test_status_rejects_bad_bodies(api: ApiClient, world: World, body: dict[str, Any]) -> None:
    # GIVEN a paid order
    order = world.order()
    # WHEN patched with a bad body
    response = api.patch(_status(order.order_id), token=world.token(world.owner), json_body=body)
    # THEN 400 VALIDATION_ERROR, nothing changed
    assert_error(response, 400, "VALIDATION_ERROR")
    assert _stored(order.order_id).status == "paid"


def test_roles_may_only_set_their_own_statuses(api: ApiClient, world: World) -> None:
    # GIVEN a ready order of the owner's store assigned to the courier
    order = _assign(world.order(status="ready"), world.courier)
    # WHEN the owner sets a courier's status, a customer sets any, a courier sets an owner's
    owner = api.patch(_status(order.order_id), token=world.token(world.owner), json_body={"status": "picked_up"})
    customer = api.patch(_status(order.order_id), token=world.token(world.alice), json_body={"status": "picked_up"})
    courier = api.patch(_status(order.order_id), token=world.token(world.courier), json_body={"status": "accepted"})
    # THEN 403 FORBIDDEN each time, nothing changed
    for response in (owner, customer, courier):
        assert_error(response, 403, "FORBIDDEN")
    assert _stored(order.order_id).status == "ready"


def test_others_orders_are_not_found(api: ApiClient, world: World) -> None:
    # GIVEN an accepted order of the owner's store, and a ready one not assigned to the courier
    accepted = world.order(status="accepted")
    ready = world.order(status="ready")
    # WHEN another owner moves the first, the courier the second
    other = api.patch(_status(accepted.order_id), token=world.token(world.other_owner),
                      json_body={"status": "preparing"})  # fmt: skip
    courier = api.patch(_status(ready.order_id), token=world.token(world.courier), json_body={"status": "picked_up"})
    missing = api.patch(_status("no-such"), token=world.token(world.admin), json_body={"status": "accepted"})
    # THEN 404 NOT_FOUND, nothing changed
    for response in (other, courier, missing):
        assert_error(response, 404, "NOT_FOUND")
    assert _stored(accepted.order_id).status == "accepted" and _stored(ready.order_id).status == "ready"


def test_status_needs_a_token(api: ApiClient, world: World) -> None:
    order = world.order()
    assert_error(api.patch(_status(order.order_id), json_body={"status": "accepted"}), 401, "UNAUTHORIZED")
    assert _stored(order.order_id).status == "paid"
