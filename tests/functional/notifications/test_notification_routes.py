"""The inbox, read, read-all, delete and preferences routes, and notify() writing once, in process on moto."""

from __future__ import annotations

from typing import Any

import pytest

from souk.notifications.models import Notification
from souk.notifications.schemas import Message
from souk.notifications.service import notifications as service
from souk.notifications.service.notifications import notify
from tests.factories import create_user, queued_jobs, token_for
from tests.support import ApiClient, assert_error

LIST = "/api/v1/notifications"
READ_ALL = "/api/v1/notifications/read-all"
PREFERENCES = "/api/v1/notifications/preferences"
ORDER_EMAIL = Message("order_status_changed", {"order_id": "o1", "store_name": "Souk Bakery", "status": "ready"})


def _notify(user_id: str, entity: str, version: str = "1", kind: str = "order", **kwargs: Any) -> str:
    return notify(user_id, kind, entity, version, title=f"About {entity}", body="Something happened.",
                  data={"entityId": entity}, **kwargs).notification_id  # fmt: skip


def _user(role: str = "customer", **kwargs: Any) -> tuple[str, str]:
    user = create_user(role, **kwargs)
    return user.user_id, token_for(user)


def _ids(response: Any) -> list[str]:
    assert response.status == 200, response.body
    return [n["id"] for n in response.json["data"]]


def _templates(jobs: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(j["channel"], j["template"], j["to"]) for j in jobs]


# ---------------------------------------------------------------- GET /notifications


def test_the_inbox_lists_newest_first_and_unread_true_only_the_unread(api: ApiClient) -> None:
    # GIVEN three notifications, the oldest of them read
    user_id, token = _user()
    first, second, third = (_notify(user_id, f"o{i}") for i in range(3))
    assert api.put(f"{LIST}/{first}/read", token=token).status == 200
    # WHEN the user lists them, all and unread only
    everything = api.get(LIST, token=token)
    unread = api.get(f"{LIST}?unread=true", token=token)
    # THEN newest first, the read one among all only
    assert _ids(everything) == [third, second, first]
    assert [n["read"] for n in everything.json["data"]] == [False, False, True]
    assert _ids(unread) == [third, second]
    item = everything.json["data"][0]
    assert item["type"] == "order" and item["entityId"] == "o2" and item["title"] == "About o2"
    assert item["data"] == {"entityId": "o2"} and item["readAt"] is None and item["createdAt"]


def test_the_inbox_pages_with_a_cursor_that_belongs_to_its_own_list(api: ApiClient) -> None:
    user_id, token = _user()
    made = [_notify(user_id, f"o{i}") for i in range(3)]
    page = api.get(f"{LIST}?limit=2", token=token)
    assert _ids(page) == made[:0:-1] and page.json["pagination"]["hasNext"] is True
    cursor = page.json["pagination"]["nextCursor"]
    rest = api.get(f"{LIST}?limit=2&cursor={cursor}", token=token)
    assert _ids(rest) == [made[0]]
    # the all-list's cursor is no cursor of the unread list, and no cursor of another user's inbox
    assert_error(api.get(f"{LIST}?unread=true&cursor={cursor}", token=token), 400, "VALIDATION_ERROR")
    _, other = _user()
    assert_error(api.get(f"{LIST}?cursor={cursor}", token=other), 400, "VALIDATION_ERROR")


def test_the_unread_list_reads_its_own_index_not_the_whole_inbox(api: ApiClient) -> None:
    # GIVEN 30 read notifications and 1 unread
    user_id, token = _user()
    for i in range(30):
        assert api.put(f"{LIST}/{_notify(user_id, f'r{i}')}/read", token=token).status == 200
    unread = _notify(user_id, "new")
    # WHEN the first page of 5 unread is asked for THEN it holds the one unread, with no page after it
    page = api.get(f"{LIST}?unread=true&limit=5", token=token)
    assert _ids(page) == [unread] and page.json["pagination"]["hasNext"] is False


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "unread=maybe", "cursor=not-a-cursor"])
def test_bad_list_queries_are_400(api: ApiClient, query: str) -> None:
    _, token = _user()
    assert_error(api.get(f"{LIST}?{query}", token=token), 400, "VALIDATION_ERROR")


ROUTES = [("GET", LIST), ("PUT", f"{LIST}/abc/read"), ("PUT", READ_ALL), ("DELETE", f"{LIST}/abc"),
          ("GET", PREFERENCES), ("PUT", PREFERENCES)]  # fmt: skip


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_needs_a_token(api: ApiClient, method: str, path: str) -> None:
    assert_error(api.request(method, path, json_body={"order": {"email": False}} if method == "PUT" else None),
                 401, "UNAUTHORIZED")  # fmt: skip


# ---------------------------------------------------------------- read, delete: own only


def test_reading_marks_read_once_and_another_users_notification_is_404(api: ApiClient) -> None:
    owner_id, owner = _user()
    _, stranger = _user()
    nid = _notify(owner_id, "o1")
    # another user (even one guessing the id) cannot read or delete it
    assert_error(api.put(f"{LIST}/{nid}/read", token=stranger), 404, "NOT_FOUND")
    assert_error(api.delete(f"{LIST}/{nid}", token=stranger), 404, "NOT_FOUND")
    # the owner reads it; again is fine and keeps the first readAt
    first = api.put(f"{LIST}/{nid}/read", token=owner)
    assert first.status == 200 and first.json["data"]["read"] is True and first.json["data"]["id"] == nid
    again = api.put(f"{LIST}/{nid}/read", token=owner)
    assert again.json["data"]["readAt"] == first.json["data"]["readAt"]
    assert _ids(api.get(f"{LIST}?unread=true", token=owner)) == []
    assert_error(api.put(f"{LIST}/unknown/read", token=owner), 404, "NOT_FOUND")


def test_deleting_removes_it_from_both_lists_and_a_second_delete_is_404(api: ApiClient) -> None:
    owner_id, owner = _user()
    keep, gone = _notify(owner_id, "keep"), _notify(owner_id, "gone")
    response = api.delete(f"{LIST}/{gone}", token=owner)
    assert response.status == 200 and response.json["data"] == {"id": gone, "deleted": True}
    assert _ids(api.get(LIST, token=owner)) == [keep]
    assert _ids(api.get(f"{LIST}?unread=true", token=owner)) == [keep]
    assert_error(api.delete(f"{LIST}/{gone}", token=owner), 404, "NOT_FOUND")


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_an_over_long_notification_id_is_400(api: ApiClient, method: str) -> None:
    _, token = _user()
    path = f"{LIST}/{'a' * 65}" + ("/read" if method == "PUT" else "")
    assert_error(api.request(method, path, token=token), 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------- read-all: bounded per call


def test_read_all_marks_a_bounded_batch_per_call_and_says_whether_more_remain(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN five unread notifications, a batch of two per call, and another user's unread one
    monkeypatch.setattr(service, "READ_ALL_BATCH", 2)
    user_id, token = _user()
    made = [_notify(user_id, f"o{i}") for i in range(5)]
    other_id, other = _user()
    _notify(other_id, "theirs")
    # WHEN the user calls read-all until nothing remains
    answers = [api.put(READ_ALL, token=token).json["data"] for _ in range(4)]
    # THEN two, two, one, then none, and the last says nothing remains
    assert answers == [{"marked": 2, "hasMore": True}, {"marked": 2, "hasMore": True},
                       {"marked": 1, "hasMore": False}, {"marked": 0, "hasMore": False}]  # fmt: skip
    assert _ids(api.get(f"{LIST}?unread=true", token=token)) == []
    assert len(_ids(api.get(LIST, token=token))) == len(made)
    # AND the other user's stays unread
    assert len(_ids(api.get(f"{LIST}?unread=true", token=other))) == 1


# ---------------------------------------------------------------- preferences


def test_preferences_default_then_a_partial_put_merges_channel_by_channel(api: ApiClient) -> None:
    _, token = _user()
    defaults = api.get(PREFERENCES, token=token)
    assert defaults.status == 200
    assert defaults.json["data"]["order"] == {"inApp": True, "email": True, "sms": True}
    assert defaults.json["data"]["marketing"] == {"inApp": True, "email": False, "sms": False}
    first = api.put(PREFERENCES, json_body={"order": {"sms": False}, "marketing": {"email": True}}, token=token)
    assert first.status == 200, first.body
    second = api.put(PREFERENCES, json_body={"order": {"email": False}}, token=token)
    data = second.json["data"]
    assert data["order"] == {"inApp": True, "email": False, "sms": False}  # both PUTs kept
    assert data["marketing"] == {"inApp": True, "email": True, "sms": False}
    assert data["payment"] == defaults.json["data"]["payment"]
    assert api.get(PREFERENCES, token=token).json["data"] == data


@pytest.mark.parametrize("body", [{"promotions": {"email": True}}, {"order": {"push": True}}, {},
                                  {"order": {"email": "yes"}}, {"order": None}, ["order"]])  # fmt: skip
def test_bad_preferences_are_400(api: ApiClient, body: Any) -> None:
    _, token = _user()
    assert_error(api.put(PREFERENCES, json_body=body, token=token), 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------- notify(): once, by the preferences


def test_the_same_event_notified_twice_writes_one_item_and_queues_one_email(
    api: ApiClient, aws_resources: dict[str, str]
) -> None:
    # GIVEN a customer with a phone number
    user = create_user("customer", phone="+14155550100")
    queued_jobs(aws_resources["EmailQueue"])  # what signing up queued
    # WHEN the same event is notified twice
    first = notify(user.user_id, "order", "o1", "ready", title="Ready", body="Your order is ready.",
                   email=ORDER_EMAIL, sms=ORDER_EMAIL)  # fmt: skip
    second = notify(user.user_id, "order", "o1", "ready", title="Ready", body="Your order is ready.",
                    email=ORDER_EMAIL, sms=ORDER_EMAIL)  # fmt: skip
    # THEN one notification, one email and one SMS
    assert (first.created, first.email_queued, first.sms_queued) == (True, True, True)
    assert (second.created, second.email_queued, second.sms_queued) == (False, False, False)
    assert first.notification_id == second.notification_id
    assert len(_ids(api.get(LIST, token=token_for(user)))) == 1
    jobs = queued_jobs(aws_resources["EmailQueue"])
    assert _templates(jobs) == [("email", "order_status_changed", user.email),
                                ("sms", "order_status_changed", "+14155550100")]  # fmt: skip
    assert jobs[0]["idempotency_id"] == f"notification:{first.notification_id}"
    # AND the next status of the same order is another event
    assert notify(user.user_id, "order", "o1", "delivered", title="Delivered", body=".", email=ORDER_EMAIL).created


def test_channels_follow_the_preferences_but_account_emails_always_go(
    api: ApiClient, aws_resources: dict[str, str]
) -> None:
    # GIVEN a user who turned order emails and account emails off, and order notifications out of the app
    user = create_user("customer")
    token = token_for(user)
    body = {"order": {"email": False, "inApp": False}, "account": {"email": False}}
    assert api.put(PREFERENCES, json_body=body, token=token).status == 200
    queued_jobs(aws_resources["EmailQueue"])
    # WHEN an order event and an account event are notified
    order = notify(user.user_id, "order", "o1", "paid", title="Paid", body=".", email=ORDER_EMAIL)
    account = notify(user.user_id, "account", user.user_id, "suspended", title="Suspended", body=".",
                     email=ORDER_EMAIL)  # fmt: skip
    # THEN the order event is neither emailed nor shown, though recorded once (a repeat does nothing)
    assert order.created and not order.email_queued
    assert not notify(user.user_id, "order", "o1", "paid", title="Paid", body=".", email=ORDER_EMAIL).created
    assert Notification.get(f"NOTIFS#{user.user_id}", f"NOTIF#{order.notification_id}").in_app is False
    assert_error(api.put(f"{LIST}/{order.notification_id}/read", token=token), 404, "NOT_FOUND")
    # AND the account email went anyway; only the account notification is in the inbox
    assert account.email_queued
    assert [j["to"] for j in queued_jobs(aws_resources["EmailQueue"])] == [user.email]
    assert _ids(api.get(LIST, token=token)) == [account.notification_id]


def test_a_notification_whose_email_cannot_be_queued_is_not_kept(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the email queue refuses messages
    from souk.notify import store as notify_store
    from souk.notify.exceptions import EnqueueError

    user = create_user("customer")

    def refuse(jobs: Any) -> None:
        raise EnqueueError("could not enqueue notification: ClientError")

    monkeypatch.setattr(notify_store, "put", refuse)
    # WHEN an event is notified THEN it raises and nothing stays written
    with pytest.raises(EnqueueError):
        _notify(user.user_id, "o1", email=ORDER_EMAIL)
    assert _ids(api.get(LIST, token=token_for(user))) == []
    # AND once the queue is back, the retried event writes it and emails it
    monkeypatch.undo()
    again = notify(user.user_id, "order", "o1", "1", title="About o1", body=".", email=ORDER_EMAIL)
    assert again.created and again.email_queued


def test_a_bad_type_or_template_writes_nothing(aws_resources: dict[str, str]) -> None:
    from souk.notify.exceptions import UnknownTemplateError

    user = create_user("customer")
    with pytest.raises(ValueError, match="unknown notification type"):
        notify(user.user_id, "promotions", "x", "1", title="t", body="b")
    with pytest.raises(UnknownTemplateError):
        notify(user.user_id, "order", "x", "1", title="t", body="b", email=Message("no_such_template"))
    assert list(Notification.query(f"NOTIFS#{user.user_id}")) == []
