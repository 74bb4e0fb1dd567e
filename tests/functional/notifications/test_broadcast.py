"""POST /admin/notifications/broadcast and its fan-out: the notifications queue (moto) and its worker, page by page."""

from __future__ import annotations

import json
from typing import Any

import pytest

from souk.notifications.models import Notification
from souk.notifications.service import broadcasts
from tests.factories import create_user, queued_jobs, token_for
from tests.functional.notifications.conftest import Queue, Worker
from tests.support import ApiClient, assert_error

BROADCAST = "/api/v1/admin/notifications/broadcast"
PROGRESS = "/api/v1/admin/notifications/broadcasts"
MESSAGE = {"title": "Eid sale", "body": "Everything 10% off this weekend."}


def _admin() -> str:
    return token_for(create_user("admin"))


def _inbox(user_id: str) -> list[Notification]:
    return list(Notification.query(f"NOTIFS#{user_id}"))


def _progress(api: ApiClient, token: str, broadcast_id: str) -> dict[str, Any]:
    response = api.get(f"{PROGRESS}/{broadcast_id}", token=token)
    assert response.status == 200, response.body
    return response.json["data"]


def test_a_broadcast_is_accepted_at_once_and_queues_its_first_page(
    api: ApiClient, aws_resources: dict[str, str]
) -> None:
    admin = _admin()
    response = api.post(BROADCAST, json_body={**MESSAGE, "role": "courier"}, token=admin)
    assert response.status == 202, response.body
    data = response.json["data"]
    assert data["status"] == "queued" and data["recipients"] == 0 and data["role"] == "courier"
    [message] = Queue(aws_resources["NotificationsQueue"]).receive()
    assert json.loads(message["Body"]) == {"broadcastId": data["broadcastId"], "page": 1, "cursor": None}
    assert _progress(api, admin, data["broadcastId"])["status"] == "queued"


@pytest.mark.parametrize("body", [{"body": "no title"}, {"title": "t", "body": "   "}, {**MESSAGE, "role": "admin"},
                                  {**MESSAGE, "audience": "all"}, {"title": "a\nb", "body": "b"}])  # fmt: skip
def test_bad_broadcasts_are_400(api: ApiClient, body: dict[str, Any]) -> None:
    assert_error(api.post(BROADCAST, json_body=body, token=_admin()), 400, "VALIDATION_ERROR")


def test_only_admins_broadcast_or_read_a_broadcast(api: ApiClient) -> None:
    customer = token_for(create_user("customer"))
    assert_error(api.post(BROADCAST, json_body=MESSAGE), 401, "UNAUTHORIZED")
    assert_error(api.post(BROADCAST, json_body=MESSAGE, token=customer), 403, "FORBIDDEN")
    broadcast_id = api.post(BROADCAST, json_body=MESSAGE, token=_admin()).json["data"]["broadcastId"]
    assert_error(api.get(f"{PROGRESS}/{broadcast_id}", token=customer), 403, "FORBIDDEN")
    assert_error(api.get(f"{PROGRESS}/{broadcast_id}"), 401, "UNAUTHORIZED")
    assert_error(api.get(f"{PROGRESS}/01UNKNOWN", token=_admin()), 404, "NOT_FOUND")


def test_a_broadcast_fans_out_in_pages_and_a_redelivered_page_writes_nothing_twice(
    api: ApiClient, aws_resources: dict[str, str], worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN 7 active customers (one takes marketing email), a suspended one, 2 couriers; pages of 3 users
    monkeypatch.setattr(broadcasts, "PAGE_SIZE", 3)
    customers = [create_user("customer") for _ in range(7)]
    suspended = create_user("customer", status="suspended")
    couriers = [create_user("courier") for _ in range(2)]
    fan = token_for(customers[0])
    assert (
        api.put("/api/v1/notifications/preferences", json_body={"marketing": {"email": True}}, token=fan).status == 200
    )
    queued_jobs(aws_resources["EmailQueue"])
    admin = _admin()
    created = api.post(BROADCAST, json_body={**MESSAGE, "role": "customer"}, token=admin)
    broadcast_id = created.json["data"]["broadcastId"]
    queue = Queue(aws_resources["NotificationsQueue"])
    # WHEN the worker takes the pages one by one, page 2 delivered twice (SQS redelivers it)
    pages, progress = [], []
    while messages := queue.receive():
        message = min(messages, key=lambda m: json.loads(m["Body"])["page"])  # the oldest page first
        page = json.loads(message["Body"])["page"]
        pages.append(page)
        if page == 2 and pages.count(2) == 1:
            assert queue.deliver(worker, [message], delete=False)["batchItemFailures"] == []
        else:
            assert queue.deliver(worker, [message])["batchItemFailures"] == []
        progress.append(
            (_progress(api, admin, broadcast_id)["status"], _progress(api, admin, broadcast_id)["recipients"])
        )
    # THEN 8 users in 3 pages (page 2 twice), each page counted once, the last completing it
    assert pages == [1, 2, 2, 3]
    assert progress == [("sending", 3), ("sending", 6), ("sending", 6), ("completed", 7)]
    # AND every active customer has exactly one notification of it, the others none
    for user in customers:
        [item] = _inbox(user.user_id)
        assert (item.type, item.entity_id, item.title, item.data) == ("marketing", broadcast_id, "Eid sale",
                                                                      {"broadcastId": broadcast_id})  # fmt: skip
    assert all(_inbox(u.user_id) == [] for u in [suspended, *couriers])
    # AND the one customer who takes marketing email got one email
    jobs = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "broadcast"]
    assert [(j["to"], j["variables"]) for j in jobs] == [(customers[0].email, {"subject": "Eid sale",
                                                                               "body": MESSAGE["body"]})]  # fmt: skip
    inbox = api.get("/api/v1/notifications?unread=true", token=fan).json["data"]
    assert [n["title"] for n in inbox] == ["Eid sale"]
    done = _progress(api, admin, broadcast_id)
    assert done["completedAt"] is not None


def test_a_page_that_fails_midway_is_retried_and_finishes_without_duplicates(
    api: ApiClient, aws_resources: dict[str, str], worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN everyone (no role) and a DynamoDB put that fails once, on the third recipient
    from souk.notifications.store import notifications as store

    users = [create_user(role) for role in ("customer", "store_owner", "courier", "customer")]
    admin_user = create_user("admin")
    broadcast_id = api.post(BROADCAST, json_body=MESSAGE, token=token_for(admin_user)).json["data"]["broadcastId"]
    real_put, calls = store.put_once, []

    def flaky(item: Notification) -> bool:
        calls.append(item.user_id)
        if len(calls) == 3:
            raise RuntimeError("throttled")
        return real_put(item)

    monkeypatch.setattr(store, "put_once", flaky)
    queue = Queue(aws_resources["NotificationsQueue"])
    # WHEN the page fails, is reported as failed, and SQS delivers it again
    [message] = queue.receive()
    assert len(queue.deliver(worker, [message])["batchItemFailures"]) == 1
    while messages := queue.receive():
        assert queue.deliver(worker, messages)["batchItemFailures"] == []
    # THEN everyone (admins included) has one notification and the count is exact
    everyone = [*users, admin_user]
    assert all(len(_inbox(u.user_id)) == 1 for u in everyone)
    progress = api.get(f"{PROGRESS}/{broadcast_id}", token=token_for(admin_user)).json["data"]
    assert (progress["status"], progress["recipients"]) == ("completed", len(everyone))
