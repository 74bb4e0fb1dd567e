"""GET /api/v1/payments and GET /api/v1/payments/{paymentId}: own payments, admins all, refunds in the detail."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import botocore.client
import pytest

from souk.db import expiry
from souk.db import keys as db_keys
from souk.db.base import utc_now
from souk.payments import keys as payments_keys
from souk.payments.models import Payment, Refund
from tests.commerce_factories import make_payment
from tests.factories import create_user, token_for
from tests.support import ApiClient, assert_error

LIST = "/api/v1/payments"


def _at(payment: Payment, moment: datetime) -> Payment:
    """Move a payment on the timelines, as if created at ``moment``."""
    sort = db_keys.timeline_sort(expiry.stamp(moment), payment.payment_id)
    payment.update([Payment.created_at.set(moment), Payment.gsi1sk.set(sort), Payment.gsi2sk.set(sort)])
    return payment


def _refund(payment: Payment, refund_id: str, amount: int, *, to: str = "original", order_id: str | None = None,
            minutes_ago: int = 0) -> Refund:  # fmt: skip
    now = utc_now() - timedelta(minutes=minutes_ago)
    refund = Refund(
        pk=payment.pk,
        sk=payments_keys.refund(refund_id),
        refund_id=refund_id,
        payment_id=payment.payment_id,
        order_id=order_id,
        amount=amount,
        currency=payment.currency,
        to=to,
        reason="damaged",
        status="succeeded",
        actor_id="admin",
        created_at=now,
        updated_at=now,
    )
    refund.save()
    return refund


@pytest.fixture
def dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Every DynamoDB operation the request makes, by name (on top of the Scan guard)."""
    calls: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counted(self: botocore.client.BaseClient, operation_name: str, api_params: dict) -> dict:
        if self.meta.service_model.service_name == "dynamodb":
            calls[operation_name] += 1
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)
    yield calls


# ---------------------------------------------------------------- GET /payments


def test_a_customer_lists_own_payments_newest_first(api: ApiClient) -> None:
    # GIVEN two payments of a customer (one pending top-up) and one of someone else
    customer, other = create_user(), create_user()
    now = utc_now()
    older = _at(make_payment(customer.user_id, 2000, intent_id="pi_older"), now - timedelta(hours=2))
    pending = _at(make_payment(customer.user_id, 500, kind="topup", status="pending", intent_id="pi_pending"),
                  now - timedelta(hours=1))  # fmt: skip
    make_payment(other.user_id, 999)
    # WHEN the customer lists payments
    response = api.get(LIST, token=token_for(customer))
    # THEN only theirs, newest first, with money as minor units and the client secret on the pending one
    assert response.status == 200, response.body
    data = response.json["data"]
    assert [p["id"] for p in data] == [pending.payment_id, older.payment_id]
    assert data[0] == {
        "id": pending.payment_id, "kind": "topup", "method": "card", "status": "pending",
        "amount": {"amount": 500, "currency": "usd"}, "refunded": {"amount": 0, "currency": "usd"}, "orderIds": [],
        "clientSecret": "pi_pending_secret_x", "failureReason": None,
        "createdAt": data[0]["createdAt"], "updatedAt": data[0]["updatedAt"],
    }  # fmt: skip
    assert data[1]["clientSecret"] is None  # succeeded: no secret
    assert response.json["pagination"] == {"limit": 20, "nextCursor": None, "hasNext": False, "total": None}


def test_the_list_filters_by_kind_status_and_dates(api: ApiClient) -> None:
    # GIVEN payments of several kinds, statuses and days
    customer = create_user()
    token = token_for(customer)
    day = datetime(2026, 3, 10, 12, tzinfo=UTC)
    order_paid = _at(make_payment(customer.user_id, 100), day)
    top_up = _at(make_payment(customer.user_id, 200, kind="topup"), day + timedelta(days=1))
    failed = _at(make_payment(customer.user_id, 300, status="failed"), day + timedelta(days=2))
    # WHEN filtering by kind, by status, and by a date range
    by_kind = api.get(f"{LIST}?kind=topup", token=token).json["data"]
    by_status = api.get(f"{LIST}?status=failed", token=token).json["data"]
    by_range = api.get(f"{LIST}?from=2026-03-10T00:00:00Z&to=2026-03-11T12:00:00Z", token=token).json["data"]
    from_only = api.get(f"{LIST}?from=2026-03-11", token=token).json["data"]
    # THEN each returns exactly the matching payments
    assert [p["id"] for p in by_kind] == [top_up.payment_id]
    assert [p["id"] for p in by_status] == [failed.payment_id]
    assert [p["id"] for p in by_range] == [top_up.payment_id, order_paid.payment_id]
    assert [p["id"] for p in from_only] == [failed.payment_id, top_up.payment_id]


def test_the_list_pages_with_a_cursor_and_one_query_per_page(api: ApiClient, dynamodb_calls: Counter[str]) -> None:
    # GIVEN 25 payments of a customer
    customer = create_user()
    token = token_for(customer)
    now = utc_now()
    ids = [_at(make_payment(customer.user_id, 100 + i), now - timedelta(minutes=i)).payment_id for i in range(25)]
    # WHEN reading pages of 10
    dynamodb_calls.clear()
    first = api.get(f"{LIST}?limit=10", token=token)
    queries_for_one_page = dynamodb_calls["Query"]
    second = api.get(f"{LIST}?limit=10&cursor={first.json['pagination']['nextCursor']}", token=token)
    third = api.get(f"{LIST}?limit=10&cursor={second.json['pagination']['nextCursor']}", token=token)
    # THEN the pages follow each other without overlap, and a page costs one Query
    seen = [p["id"] for r in (first, second, third) for p in r.json["data"]]
    assert seen == ids
    assert first.json["pagination"]["hasNext"] is True and len(third.json["data"]) == 5
    assert queries_for_one_page == 1 and dynamodb_calls["Scan"] == 0


def test_an_admin_lists_every_payment_without_others_client_secrets(api: ApiClient) -> None:
    # GIVEN pending payments of two customers
    admin, first, second = create_user("admin"), create_user(), create_user()
    mine = [make_payment(u.user_id, 700, status="pending", intent_id=f"pi_{u.user_id[-6:]}").payment_id
            for u in (first, second)]  # fmt: skip
    # WHEN the admin lists payments
    response = api.get(f"{LIST}?status=pending&limit=100", token=token_for(admin))
    # THEN both are there, and neither shows its client secret (the admin is not the payer)
    assert response.status == 200, response.body
    listed = {p["id"]: p for p in response.json["data"]}
    assert set(mine) <= set(listed)
    assert all(listed[i]["clientSecret"] is None for i in mine)


def test_a_cursor_from_another_list_is_refused(api: ApiClient) -> None:
    # GIVEN a cursor of the admin's list of every payment
    admin, customer = create_user("admin"), create_user()
    for _ in range(3):
        make_payment(customer.user_id, 100)
    cursor = api.get(f"{LIST}?limit=1", token=token_for(admin)).json["pagination"]["nextCursor"]
    assert cursor
    # WHEN a customer sends it
    response = api.get(f"{LIST}?cursor={cursor}", token=token_for(customer))
    # THEN 400 on the cursor
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "cursor"


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "status=paid", "kind=gift",
                                   "from=2026-03-12&to=2026-03-10", "from=yesterday"])  # fmt: skip
def test_bad_list_filters_are_400(api: ApiClient, query: str) -> None:
    # GIVEN a signed-in customer with a payment
    customer = create_user()
    make_payment(customer.user_id, 100)
    # WHEN the query string breaks the contract
    response = api.get(f"{LIST}?{query}", token=token_for(customer))
    # THEN 400 VALIDATION_ERROR
    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("role", ["store_owner", "courier"])
def test_every_role_lists_its_own_payments_as_payer(api: ApiClient, role: str) -> None:
    # GIVEN a user of another role who paid once, and a customer's payment
    # (the route is open to any signed-in role: there is no role to refuse with 403)
    user, customer = create_user(role), create_user()
    own = make_payment(user.user_id, 300, kind="topup")
    make_payment(customer.user_id, 400)
    # WHEN they list payments
    response = api.get(LIST, token=token_for(user))
    # THEN only their own payment
    assert response.status == 200, response.body
    assert [p["id"] for p in response.json["data"]] == [own.payment_id]


def test_the_list_needs_a_token(api: ApiClient) -> None:
    assert_error(api.get(LIST), 401, "UNAUTHORIZED")
    assert_error(api.get(LIST, token="not-a-token"), 401, "INVALID_TOKEN")


# ---------------------------------------------------------------- GET /payments/<paymentId>


def test_the_payer_reads_a_payment_with_its_refunds(api: ApiClient) -> None:
    # GIVEN a partially refunded payment with two refunds
    customer = create_user()
    payment = make_payment(customer.user_id, 5000, status="partially_refunded", order_ids=["o-1"], intent_id="pi_r")
    payment.update([Payment.refunded_amount.set(1500)])
    _refund(payment, "r-old", 1000, order_id="o-1", minutes_ago=5)
    _refund(payment, "r-new", 500, to="wallet")
    # WHEN the payer reads it
    response = api.get(f"{LIST}/{payment.payment_id}", token=token_for(customer))
    # THEN the payment, its refunded total and its refunds, oldest first
    assert response.status == 200, response.body
    data = response.json["data"]
    assert (data["id"], data["status"], data["amount"], data["refunded"], data["orderIds"]) == (
        payment.payment_id, "partially_refunded", {"amount": 5000, "currency": "usd"},
        {"amount": 1500, "currency": "usd"}, ["o-1"])  # fmt: skip
    assert data["clientSecret"] is None  # not pending any more
    assert [(r["id"], r["amount"]["amount"], r["to"], r["orderId"], r["status"]) for r in data["refunds"]] == [
        ("r-old", 1000, "original", "o-1", "succeeded"), ("r-new", 500, "wallet", None, "succeeded")]  # fmt: skip


def test_the_detail_is_one_query_and_shows_the_secret_to_the_payer_while_pending(
    api: ApiClient, dynamodb_calls: Counter[str]
) -> None:
    # GIVEN a pending card payment
    customer = create_user()
    token = token_for(customer)
    payment = make_payment(customer.user_id, 800, status="pending", intent_id="pi_wait")
    # WHEN the payer reads it
    dynamodb_calls.clear()
    response = api.get(f"{LIST}/{payment.payment_id}", token=token)
    # THEN the client secret is there, and the read was one Query (plus the session GetItem)
    assert response.json["data"]["clientSecret"] == "pi_wait_secret_x"
    assert response.json["data"]["refunds"] == []
    assert dynamodb_calls["Query"] == 1 and dynamodb_calls["Scan"] == 0


def test_a_store_owner_of_the_checkout_sees_it_without_the_secret(api: ApiClient) -> None:
    # GIVEN a pending payment for an order of an owner's store
    customer, owner = create_user(), create_user("store_owner")
    payment = make_payment(customer.user_id, 900, status="pending", intent_id="pi_own",
                           store_owner_ids=[owner.user_id], order_ids=["o-9"])  # fmt: skip
    # WHEN the store owner reads it
    response = api.get(f"{LIST}/{payment.payment_id}", token=token_for(owner))
    # THEN it is there, without the client secret
    assert response.status == 200, response.body
    assert (response.json["data"]["id"], response.json["data"]["clientSecret"]) == (payment.payment_id, None)


def test_an_admin_reads_any_payment(api: ApiClient) -> None:
    customer, admin = create_user(), create_user("admin")
    payment = make_payment(customer.user_id, 1234, status="pending", intent_id="pi_adm")
    response = api.get(f"{LIST}/{payment.payment_id}", token=token_for(admin))
    assert response.status == 200, response.body
    assert (response.json["data"]["amount"]["amount"], response.json["data"]["clientSecret"]) == (1234, None)


def test_someone_elses_payment_is_404(api: ApiClient) -> None:
    # GIVEN a payment of a customer, for another owner's store
    customer, stranger, other_owner = create_user(), create_user(), create_user("store_owner")
    payment = make_payment(customer.user_id, 100, store_owner_ids=["someone-else"])
    # WHEN another customer or an unrelated store owner asks for it
    # THEN 404, as for a payment that does not exist
    assert_error(api.get(f"{LIST}/{payment.payment_id}", token=token_for(stranger)), 404, "NOT_FOUND")
    assert_error(api.get(f"{LIST}/{payment.payment_id}", token=token_for(other_owner)), 404, "NOT_FOUND")
    assert_error(api.get(f"{LIST}/01NOPE", token=token_for(customer)), 404, "NOT_FOUND")


def test_a_payer_who_is_not_a_store_owner_by_role_does_not_see_via_the_owner_list(api: ApiClient) -> None:
    # GIVEN a payment naming a customer among the store owners (a role mismatch)
    payer, customer = create_user(), create_user()
    payment = make_payment(payer.user_id, 100, store_owner_ids=[customer.user_id])
    # WHEN that customer asks for it
    response = api.get(f"{LIST}/{payment.payment_id}", token=token_for(customer))
    # THEN 404: only the store_owner role sees payments through their stores
    assert_error(response, 404, "NOT_FOUND")


def test_the_detail_validates_its_path_and_needs_a_token(api: ApiClient) -> None:
    customer = create_user()
    payment = make_payment(customer.user_id, 100)
    assert_error(api.get(f"{LIST}/{'x' * 65}", token=token_for(customer)), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"{LIST}/{payment.payment_id}"), 401, "UNAUTHORIZED")
