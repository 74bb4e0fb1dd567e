"""PATCH /api/v1/deliveries/{id}/status: picked up, delivered with a proof near the drop-off, failed; on moto."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from souk.admin_settings import service as admin_settings
from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.dispatch.models import Delivery
from tests.dispatch_factories import (
    DROPOFF,
    FEE,
    Job,
    job,
    person,
    wallet_balance,
    wallet_entries,
)
from tests.factories import queued_jobs, ready_upload
from tests.support import ApiClient, assert_error


@pytest.fixture(autouse=True)
def fresh_settings() -> Any:
    admin_settings.forget()
    yield
    admin_settings.forget()


def status_url(delivery_id: str) -> str:
    return f"/api/v1/deliveries/{delivery_id}/status"


def patch(api: ApiClient, work: Job, body: dict[str, Any], token: str | None = None) -> Any:
    return api.patch(status_url(work.delivery_id), json_body=body, token=token or work.courier.token)


def at(work: Job, lat: float, lng: float) -> None:
    """The courier's last reported position (as POST .../locations leaves it)."""
    work.delivery.update([Delivery.last_lat.set(lat), Delivery.last_lng.set(lng),
                          Delivery.last_at.set(datetime.now(UTC))])  # fmt: skip


def picked_up(api: ApiClient, work: Job) -> None:
    response = patch(api, work, {"status": "picked_up"})
    assert response.status == 200, response.body


def photo(work: Job) -> str:
    return ready_upload(work.courier.user, purpose="attachment", content_type="image/jpeg")


def emails(queue: str, template: str = "delivery_status_changed") -> list[dict[str, Any]]:
    return [j for j in queued_jobs(queue) if j["template"] == template and j["channel"] == "email"]


def audit_actions(delivery_id: str) -> list[str]:
    return sorted(r.action for r in AuditRecord.gsi2.query(audit_keys.audit_resource("delivery", delivery_id)))


# ---------------------------------------------------------------- picked up


def test_the_courier_picks_up_and_the_order_follows(api: ApiClient, aws_resources: dict[str, str]) -> None:
    work = job()
    response = patch(api, work, {"status": "picked_up"})
    assert response.status == 200, response.body
    assert response.json["data"]["status"] == "picked_up" and response.json["data"]["id"] == work.delivery_id
    delivery = work.delivery
    assert delivery.status == "picked_up" and delivery.picked_up_at is not None and int(delivery.version) == 3
    assert work.order.status == "picked_up"
    assert [h["status"] for h in work.order.history][-1] == "picked_up"
    # THEN the customer and the store owner are emailed, and the change is audited
    sent = emails(aws_resources["EmailQueue"])
    assert sorted(j["to"] for j in sent) == sorted([work.customer.user.email, work.owner.user.email])
    assert {j["variables"]["headline"] for j in sent} == {"on its way", "picked up"}
    assert audit_actions(work.delivery_id) == ["delivery.pick_up"]


def test_picking_up_twice_or_delivering_before_pickup_is_invalid_state(api: ApiClient) -> None:
    work = job()
    at(work, *DROPOFF)
    assert_error(patch(api, work, {"status": "delivered", "proofUploadId": photo(work)}), 409, "INVALID_STATE")
    picked_up(api, work)
    assert_error(patch(api, work, {"status": "picked_up"}), 409, "INVALID_STATE")
    assert work.order.status == "picked_up"


# ---------------------------------------------------------------- delivered


def test_delivered_with_a_photo_at_the_door_delivers_the_order_and_pays_the_courier_once(
    api: ApiClient, aws_resources: dict[str, str]
) -> None:
    work = job()
    picked_up(api, work)
    queued_jobs(aws_resources["EmailQueue"])  # the pickup emails
    at(work, DROPOFF[0] + 0.001, DROPOFF[1])  # ~111 m from the door
    proof = photo(work)
    response = patch(api, work, {"status": "delivered", "proofUploadId": proof})
    assert response.status == 200, response.body
    assert response.json["data"]["status"] == "delivered" and response.json["data"]["proofUploadId"] == proof
    delivery = work.delivery
    assert delivery.delivered_at is not None and delivery.gsi1pk is None  # off the courier's jobs
    assert work.order.status == "delivered"
    # THEN the delivery fee is in the courier's wallet, as one entry named after the delivery
    assert wallet_balance(work.courier.id) == FEE
    [entry] = wallet_entries(work.courier.id)
    assert entry.entry_id == f"delivery-fee-{work.delivery_id}" and int(entry.amount) == FEE
    assert (entry.reference_type, entry.reference_id) == ("order", work.order_id)
    # the store owner hears it from dispatch, the customer from orders
    assert [j["to"] for j in emails(aws_resources["EmailQueue"])] == [work.owner.user.email]
    # WHEN the courier sends delivered again
    assert_error(patch(api, work, {"status": "delivered", "proofUploadId": proof}), 409, "INVALID_STATE")
    # THEN nothing is paid twice
    assert wallet_balance(work.courier.id) == FEE and len(wallet_entries(work.courier.id)) == 1
    assert audit_actions(work.delivery_id) == ["delivery.deliver", "delivery.pick_up"]


def test_the_fee_joins_what_the_wallet_already_holds_and_shows_in_its_ledger(api: ApiClient) -> None:
    work = job()
    picked_up(api, work)
    at(work, *DROPOFF)
    assert patch(api, work, {"status": "delivered", "proofUploadId": photo(work)}).status == 200
    wallet = api.get("/api/v1/wallet", token=work.courier.token).json["data"]
    assert wallet["balance"] == {"amount": FEE, "currency": "usd"}
    ledger = api.get("/api/v1/wallet/transactions", token=work.courier.token)
    assert ledger.status == 200 and [e["amount"]["amount"] for e in ledger.json["data"]] == [FEE]


@pytest.mark.parametrize("position", [(DROPOFF[0] + 0.003, DROPOFF[1]), None], ids=["334 m away", "no position"])
def test_delivered_far_from_the_door_or_without_a_position_is_422_and_moves_nothing(
    api: ApiClient, position: tuple[float, float] | None
) -> None:
    work = job()
    picked_up(api, work)
    if position is not None:
        at(work, *position)
    before = work.delivery
    assert_error(patch(api, work, {"status": "delivered", "proofUploadId": photo(work)}), 422, "UNPROCESSABLE_ENTITY")
    after = work.delivery
    assert after.status == "picked_up" and int(after.version) == int(before.version)
    assert work.order.status == "picked_up"
    assert wallet_balance(work.courier.id) == 0


def test_the_radius_is_the_admin_setting(api: ApiClient) -> None:
    work = job()
    picked_up(api, work)
    at(work, DROPOFF[0] + 0.003, DROPOFF[1])  # ~334 m
    admin = person("admin")
    settings = api.get("/api/v1/admin/settings", token=admin.token).json["data"]
    response = api.put("/api/v1/admin/settings", token=admin.token,
                       json_body={"version": settings["version"], "delivery": {"proofRadiusMeters": 400}})  # fmt: skip
    assert response.status == 200, response.body
    admin_settings.forget()
    assert patch(api, work, {"status": "delivered", "proofUploadId": photo(work)}).status == 200


def test_the_proof_must_be_the_couriers_own_photo(api: ApiClient) -> None:
    work = job()
    picked_up(api, work)
    at(work, *DROPOFF)
    someone_elses = ready_upload(work.customer.user, purpose="attachment", content_type="image/jpeg")
    pdf = ready_upload(work.courier.user, purpose="attachment", content_type="application/pdf")
    avatar = ready_upload(work.courier.user, purpose="avatar", content_type="image/png")
    for body in ({"status": "delivered"}, {"status": "delivered", "proofUploadId": someone_elses},
                 {"status": "delivered", "proofUploadId": pdf}, {"status": "delivered", "proofUploadId": avatar},
                 {"status": "delivered", "proofUploadId": "unknown"}):  # fmt: skip
        payload = assert_error(patch(api, work, body), 400, "VALIDATION_ERROR")
        assert payload["error"]["details"][0]["field"] == "proofUploadId"
    assert work.order.status == "picked_up" and work.delivery.status == "picked_up"


# ---------------------------------------------------------------- failed


@pytest.mark.parametrize("from_status", ["assigned", "picked_up"])
def test_failed_gives_the_order_back_to_the_store_with_the_reason(
    api: ApiClient, aws_resources: dict[str, str], from_status: str
) -> None:
    work = job()
    if from_status == "picked_up":
        picked_up(api, work)
    queued_jobs(aws_resources["EmailQueue"])
    response = patch(api, work, {"status": "failed", "reason": "nobody at the door"})
    assert response.status == 200, response.body
    assert response.json["data"]["status"] == "failed" and response.json["data"]["reason"] == "nobody at the door"
    delivery = work.delivery
    assert delivery.gsi1pk is None
    order = work.order
    assert order.status == "preparing" and order.courier_id is None and order.gsi4pk is None
    assert order.delivery_id == work.delivery_id  # until the store marks it ready again
    assert (order.history[-1]["status"], order.history[-1]["reason"]) == ("preparing", "nobody at the door")
    sent = emails(aws_resources["EmailQueue"])
    assert sorted(j["to"] for j in sent) == sorted([work.customer.user.email, work.owner.user.email])
    assert all("nobody at the door" in j["variables"]["detail"] for j in sent)
    assert "delivery.fail" in audit_actions(work.delivery_id)
    assert wallet_balance(work.courier.id) == 0
    # the failed delivery is over: no more positions, no second failure
    assert_error(patch(api, work, {"status": "failed", "reason": "again"}), 409, "INVALID_STATE")
    # and the store can move the order on again
    again = api.patch(f"/api/v1/orders/{work.order_id}/status", json_body={"status": "ready"}, token=work.owner.token)
    assert again.status == 200, again.body


def test_failed_needs_a_reason(api: ApiClient) -> None:
    work = job()
    for body in ({"status": "failed"}, {"status": "failed", "reason": "   "}):
        payload = assert_error(patch(api, work, body), 400, "VALIDATION_ERROR")
        assert payload["error"]["details"][0]["field"] == "reason"
    assert work.delivery.status == "assigned" and work.order.status == "ready"


# ---------------------------------------------------------------- who, and bad input


@pytest.mark.parametrize("body", [{}, {"status": "cancelled"}, {"status": "picked_up", "extra": 1},
                                  {"status": "delivered", "proofUploadId": "../x"}])  # fmt: skip
def test_bad_bodies_are_400(api: ApiClient, body: dict[str, Any]) -> None:
    work = job()
    assert_error(patch(api, work, body), 400, "VALIDATION_ERROR")


def test_status_needs_a_token_and_the_courier_role(api: ApiClient) -> None:
    work = job()
    assert_error(api.patch(status_url(work.delivery_id), json_body={"status": "picked_up"}), 401, "UNAUTHORIZED")
    for token in (work.customer.token, work.owner.token, work.admin.token):
        assert_error(patch(api, work, {"status": "picked_up"}, token=token), 403, "FORBIDDEN")
    assert work.delivery.status == "assigned"


def test_another_couriers_delivery_is_404(api: ApiClient) -> None:
    work = job()
    stranger = person("courier")
    assert_error(patch(api, work, {"status": "picked_up"}, token=stranger.token), 404, "NOT_FOUND")
    assert_error(api.patch(status_url("nope"), json_body={"status": "picked_up"}, token=work.courier.token),
                 404, "NOT_FOUND")  # fmt: skip
    assert work.delivery.status == "assigned" and work.order.status == "ready"
