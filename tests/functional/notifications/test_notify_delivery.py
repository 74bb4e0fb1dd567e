"""notify() delivers at least once, deduplicated: a process dying between its two writes loses no email,
and the /settings switches gate the per-type preferences. In process on moto, the email worker included."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from souk.notifications.models import Notification
from souk.notifications.schemas import Message
from souk.notifications.service.notifications import notify
from souk.notifications.store import notifications as notification_store
from souk.notify import store as notify_store
from tests.factories import create_user, queued_jobs, token_for
from tests.functional.notify.test_email_worker import FakeSendGrid, Worker, _receive_event
from tests.functional.notify.test_email_worker import sendgrid as sendgrid
from tests.functional.notify.test_email_worker import worker as worker  # fixtures: fake SendGrid, email worker
from tests.support import ApiClient

LIST = "/api/v1/notifications"
EMAIL = Message("order_status_changed", {"order_id": "o1", "store_name": "Souk Bakery", "status": "ready"})


class Crash(BaseException):
    """The process dying: nothing catches it (not an Exception), nothing after it runs."""


@pytest.fixture
def crash_after_first_write(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The first of notify's two writes (the email queued, the item put) happens, then the process dies.

    Yields which write happened first; undone after the crash so the retry runs normally.
    """
    done: list[str] = []

    def dying(name: str, write: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = write(*args, **kwargs)
            if not done:
                done.append(name)
                monkeypatch.undo()
                raise Crash(name)
            return result

        return wrapper

    monkeypatch.setattr(notify_store, "put", dying("email queued", notify_store.put))
    monkeypatch.setattr(notification_store, "put_once", dying("item put", notification_store.put_once))
    yield done


def _notify(user_id: str, kind: str = "order", version: str = "ready", **channels: Any) -> Any:
    return notify(user_id, kind, "o1", version, title="Ready", body="Your order is ready.", **channels)


def test_a_process_dying_between_the_two_writes_loses_no_email_and_sends_one(
    api: ApiClient,
    aws_resources: dict[str, str],
    crash_after_first_write: list[str],
    sendgrid: FakeSendGrid,  # noqa: F811
    worker: Worker,  # noqa: F811
) -> None:
    # GIVEN a customer (what signing up queued is drained)
    user = create_user("customer")
    queued_jobs(aws_resources["EmailQueue"])
    # WHEN the process dies between notify's two writes, and the event is processed again
    with pytest.raises(Crash):
        _notify(user.user_id, email=EMAIL)
    retry = _notify(user.user_id, email=EMAIL)
    # THEN the retry wrote the notification and queued its email (the first try had queued it first)
    assert retry.created and retry.email_queued
    assert crash_after_first_write == ["email queued"]
    # AND the notification is in the inbox once
    assert [n["id"] for n in api.get(LIST, token=token_for(user)).json["data"]] == [retry.notification_id]
    # AND the two tries queued the same job; the email worker sends it once
    event = _receive_event(aws_resources)
    bodies = [r["body"] for r in event["Records"]]
    assert len(bodies) == 2 and len(set(bodies)) == 1
    assert worker(event) == {"batchItemFailures": []}
    assert [r["json"]["personalizations"][0]["to"][0]["email"] for r in sendgrid.requests] == [user.email]
    # AND a third try finds the item and queues nothing
    assert not _notify(user.user_id, email=EMAIL).created
    assert queued_jobs(aws_resources["EmailQueue"]) == []


def test_a_settings_switch_turns_a_type_channel_off_whatever_the_preferences_say(
    api: ApiClient, aws_resources: dict[str, str]
) -> None:
    # GIVEN a customer who switched order emails and order SMS off in /settings, and payment SMS on in preferences
    user = create_user("customer", phone="+14155550100")
    token = token_for(user)
    off = {"inApp": True, "email": False, "sms": False}
    body = {"notificationChannels": {"orders": off, "account": {"inApp": False, "email": False, "sms": False}}}
    assert api.put("/api/v1/settings", json_body=body, token=token).status == 200
    prefs = {"order": {"email": True, "sms": True}, "payment": {"sms": True}}
    assert api.put(f"{LIST}/preferences", json_body=prefs, token=token).status == 200
    queued_jobs(aws_resources["EmailQueue"])
    # WHEN an order, a payment and an account event are notified, each with an email and an SMS
    order = _notify(user.user_id, email=EMAIL, sms=EMAIL)
    payment = _notify(user.user_id, "payment", "paid", email=EMAIL, sms=EMAIL)
    account = _notify(user.user_id, "account", "suspended", email=EMAIL)
    # THEN the settings win for orders (in the app only), the preferences' opt-in to payment SMS holds
    assert (order.created, order.email_queued, order.sms_queued) == (True, False, False)
    assert (payment.email_queued, payment.sms_queued) == (True, True)
    # AND account emails go though /settings turned them off, but account's in-app switch holds
    assert account.email_queued
    stored = Notification.get(f"NOTIFS#{user.user_id}", f"NOTIF#{account.notification_id}")
    assert stored.in_app is False
    jobs = [(j["channel"], j["to"]) for j in queued_jobs(aws_resources["EmailQueue"])]
    assert sorted(jobs) == sorted([("email", user.email), ("sms", "+14155550100"), ("email", user.email)])
    shown = [n["id"] for n in api.get(LIST, token=token).json["data"]]
    assert sorted(shown) == sorted([order.notification_id, payment.notification_id])
