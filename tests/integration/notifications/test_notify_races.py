"""Notifications on DynamoDB Local: one event notified from many threads at once, and a broadcast to 2,500 users
whose queue redelivers a page. The queues are in-memory fakes; the races are DynamoDB's conditions."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from souk.identity.models import User
from souk.identity.store import users as user_store
from souk.notifications.models import Broadcast, Notification
from souk.notifications.schemas import BroadcastJob, Message
from souk.notifications.service import broadcasts
from souk.notifications.service.notifications import notify
from souk.notifications.store import queue as notifications_queue
from souk.notify import store as notify_store
from tests.factories import create_user

pytestmark = pytest.mark.integration

EMAIL = Message("order_status_changed", {"order_id": "o1", "store_name": "Souk Bakery", "status": "ready"})


@pytest.fixture
def emails(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every job put on the email queue (an in-memory fake: thread-safe list appends)."""
    jobs: list[Any] = []
    monkeypatch.setattr(notify_store, "put", lambda batch: jobs.extend(batch))
    yield jobs


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[BroadcastJob]]:
    """Every page message put on the notifications queue, in order."""
    sent: list[BroadcastJob] = []
    monkeypatch.setattr(notifications_queue, "send", sent.append)
    yield sent


def test_the_same_event_notified_from_eight_threads_at_once_writes_one_item_and_queues_one_job_id(
    table: str, emails: list[Any]
) -> None:
    user = create_user("customer", phone="+14155550100")
    for round_ in range(3):  # a few rounds, each a fresh event
        barrier = threading.Barrier(8)

        def once(version: str = f"ready-{round_}", barrier: threading.Barrier = barrier) -> Any:
            barrier.wait()
            return notify(user.user_id, "order", "o1", version, title="Ready", body=".", email=EMAIL, sms=EMAIL)

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda _: once(), range(8)))
        # THEN exactly one call created it; every call that queued did so before the item existed
        assert sum(r.created for r in results) == 1
        assert len({r.notification_id for r in results}) == 1
        assert sum(r.email_queued for r in results) >= 1 and sum(r.sms_queued for r in results) >= 1
    items = list(Notification.query(f"NOTIFS#{user.user_id}"))
    assert len(items) == 3
    # AND the jobs queued (racing tries may each queue before one wins the put) are one email and one SMS
    # per event by idempotency id, which is what the email worker sends once
    assert Counter(j.channel for j in {j.idempotency_id: j for j in emails}.values()) == {"email": 3, "sms": 3}
    assert {j.idempotency_id for j in emails} == {f"notification:{i.notification_id}{s}" for i in items
                                                  for s in ("", ":sms")}  # fmt: skip


def _users(count: int, role: str) -> list[User]:
    """``count`` active users built by identity's own item builder, written in batches (a sign-up each would take
    minutes on DynamoDB Local; what is tested is the fan-out, not registration)."""
    made = [user_store.new_user(email=f"{role}-{i}@example.com", name=f"User {i}", role=role, status="active")
            for i in range(count)]  # fmt: skip
    with User.batch_write() as batch:
        for user in made:
            batch.save(user)
    return made


def test_a_broadcast_to_2500_users_with_a_redelivered_page_reaches_each_exactly_once(
    table: str, emails: list[Any], pages: list[BroadcastJob]
) -> None:
    # GIVEN 2,500 customers and 30 couriers, and a broadcast to the customers
    customers = _users(2500, "customer")
    _users(30, "courier")
    admin = create_user("admin")
    from souk.caller import Principal
    from souk.notifications.schemas import BroadcastIn

    body = BroadcastIn(title="Hello", body="To every customer.", role="customer")
    out = broadcasts.create_broadcast(Principal(admin.user_id, "admin", "s"), body)
    # WHEN the worker handles the pages as SQS delivers them, page 5 twice and page 12 twice at once
    outcomes: list[str] = []
    handled = 0
    while handled < len(pages):
        job = pages[handled]
        handled += 1
        outcomes.append(broadcasts.handle_page(job))
        if job.page == 5:
            outcomes.append(broadcasts.handle_page(job))  # redelivered after it completed
        if job.page == 12:
            with ThreadPoolExecutor(max_workers=2) as pool:  # and delivered twice at the same time
                outcomes += list(pool.map(broadcasts.handle_page, [job, job]))
    # THEN 25 pages of 100 and an empty 26th (DynamoDB gives a cursor after a full last page), each queued
    # once, the redeliveries doing nothing
    assert [j.page for j in pages] == list(range(1, 27))
    assert outcomes.count("duplicate") == 3 and outcomes.count("completed") == 1
    # AND each customer has exactly one notification of it; couriers none
    counts: Counter[int] = Counter()
    for user in customers:
        counts[len(list(Notification.query(f"NOTIFS#{user.user_id}")))] += 1
    assert counts == {1: 2500}
    broadcast = Broadcast.get(f"BROADCAST#{out.broadcast_id}", "BROADCAST")
    assert (broadcast.status, int(broadcast.recipients), int(broadcast.pages_done)) == ("completed", 2500, 26)
    assert emails == []  # nobody opted in to marketing email
