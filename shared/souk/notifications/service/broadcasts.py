"""Broadcasts: an admin's message to every user of a role (or everyone), fanned out in pages by the
``notifications`` queue, so no request and no invocation does all the work.

The POST writes the broadcast (``queued``) and puts page 1's message on the queue. Each
message is one page: :data:`PAGE_SIZE` users read from the users index at the message's
cursor (one Query), one notification written per active user with the per-recipient id
``notification_id(user, "marketing", broadcastId, "1")`` (a conditional put: a redelivered
page writes nothing twice, and only a put that created the item queues its email), then the
page is counted once (an update conditional on ``pagesDone = page - 1``), then the next
page's message is sent with the next cursor. ``recipients`` is the count so far; the last
page sets ``completed``.

The rules are plain functions (:func:`plan_page`, :func:`page_state`, :func:`needs_next`),
unit-tested without AWS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from souk.db.base import utc_now
from souk.errors import NotFound, ServiceUnavailable
from souk.ids import new_id
from souk.notifications.schemas import BroadcastJob, BroadcastOut, broadcast_out
from souk.notifications.service import preferences
from souk.notifications.service.notifications import notification_id, write_once
from souk.notifications.store import broadcasts as store
from souk.notifications.store import notifications as notification_store
from souk.notifications.store import preferences as preference_store
from souk.notifications.store import queue
from souk.notify.service import enqueue_email
from souk.observability import logger

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.notifications.models import Broadcast
    from souk.notifications.schemas import BroadcastIn

PAGE_SIZE = 100  # users per message: one Query, about 100 conditional puts, well inside the worker's timeout
KIND = "marketing"
VERSION = "1"  # a broadcast is sent once: its id alone names the event

PageState = Literal["todo", "counted", "early"]


class Recipient(Protocol):
    user_id: str
    email: str
    status: str


@dataclass(frozen=True)
class Delivery:
    """One recipient of a page: their notification shown in the app or not, emailed (notify's ``broadcast``
    template) or not."""

    user_id: str
    in_app: bool
    email: str | None  # the address, when they take marketing emails


class PageOutOfOrder(Exception):
    """A page arrived before the page before it was counted: SQS delivers it again later."""

    retryable = True


def plan_page(users: Sequence[Recipient], saved: Mapping[str, Mapping[str, Any]],
              settings: Mapping[str, Mapping[str, Any]] | None = None) -> list[Delivery]:  # fmt: skip
    """Who on this page gets the broadcast, and how: active users only, by their ``marketing`` channels.

    ``saved``: user id -> the channels they saved (absent: the defaults: in the app, no email);
    ``settings``: user id -> their ``/settings`` channels, whose ``promotions`` switch marketing off.
    """
    plan = []
    for user in users:
        if user.status != "active":
            continue
        channels = preferences.gated(preferences.effective(saved.get(user.user_id)),
                                     (settings or {}).get(user.user_id))  # fmt: skip
        plan.append(Delivery(user.user_id, in_app=preferences.allows(channels, KIND, "in_app"),
                             email=user.email if preferences.allows(channels, KIND, "email") else None))  # fmt: skip
    return plan


def page_state(pages_done: int, page: int) -> PageState:
    """``todo``: the next page to count; ``counted``: a redelivery of a page already counted;
    ``early``: a page whose predecessor is not counted yet."""
    if page <= pages_done:
        return "counted"
    return "todo" if page == pages_done + 1 else "early"


def needs_next(status: str, queued_page: int, page: int) -> bool:
    """After page ``page`` was counted: whether page ``page + 1``'s message may still be unsent
    (the delivery that counted it stopped before sending)."""
    return status != "completed" and queued_page < page + 1


def create_broadcast(principal: Principal, body: BroadcastIn) -> BroadcastOut:
    """Write the broadcast (``queued``, audited) and queue its first page; 503 when the queue refuses it."""
    broadcast_id = new_id()
    item = store.new_broadcast(broadcast_id, title=body.title, body=body.body, role=body.role,
                               created_by=principal.user_id)  # fmt: skip
    store.create(item, principal.actor, after=body.model_dump(mode="json"))
    try:
        queue.send(BroadcastJob(broadcast_id=broadcast_id, page=1))
    except queue.EnqueueFailed as error:
        logger.error("broadcast not queued", extra={"broadcast_id": broadcast_id, "error": str(error)})
        store.forget_unsent(broadcast_id)
        raise ServiceUnavailable("The broadcast could not be queued; try again.") from error
    return broadcast_out(item)


def get_broadcast(broadcast_id: str) -> BroadcastOut:
    item = store.load(broadcast_id)
    if item is None:
        raise NotFound()
    return broadcast_out(item)


def _queue_next(broadcast_id: str, page: int, cursor: dict[str, Any] | None) -> None:
    queue.send(BroadcastJob(broadcast_id=broadcast_id, page=page, cursor=cursor))
    store.record_queued(broadcast_id, page)


def _deliver(broadcast: Broadcast, delivery: Delivery) -> None:
    identifier = notification_id(delivery.user_id, KIND, broadcast.broadcast_id, VERSION)
    item = notification_store.new_notification(
        notification_id=identifier, user_id=delivery.user_id, kind=KIND, entity_id=broadcast.broadcast_id,
        version=VERSION, title=broadcast.title, body=broadcast.body, data={"broadcastId": broadcast.broadcast_id},
        in_app=delivery.in_app, now=utc_now(),
    )  # fmt: skip
    address = delivery.email

    def send() -> None:
        enqueue_email("broadcast", address or "", {"subject": broadcast.title, "body": broadcast.body},
                      idempotency_id=f"notification:{identifier}")  # fmt: skip

    write_once(item, send if address else None)


def handle_page(job: BroadcastJob, *, page_size: int | None = None) -> str:
    """Fan one page of a broadcast out; safe to run twice for the same message (see the module doc).

    Returns
    -------
    str
        ``sent`` (more pages follow), ``completed`` (the last page), ``duplicate`` (already
        counted: at most the next page's message is sent again) or ``gone`` (no such broadcast).

    Raises
    ------
    PageOutOfOrder
        The previous page is not counted yet (retried by SQS).
    """
    broadcast = store.load(job.broadcast_id, consistent=True)
    if broadcast is None:  # its POST could not queue it and removed it: nothing to send
        logger.warning("broadcast page for an unknown broadcast dropped", extra={"broadcast_id": job.broadcast_id})
        return "gone"
    state = page_state(int(broadcast.pages_done), job.page)
    if state == "early":
        raise PageOutOfOrder(f"page {job.page} before page {int(broadcast.pages_done) + 1}")
    if state == "counted":
        if int(broadcast.pages_done) == job.page and needs_next(broadcast.status, int(broadcast.queued_page), job.page):
            _queue_next(broadcast.broadcast_id, job.page + 1, store.cursor_of(broadcast))
        return "duplicate"
    users, next_cursor = store.audience_page(broadcast.role, job.cursor, page_size or PAGE_SIZE)
    saved, settings = preference_store.load_many(u.user_id for u in users if u.status == "active")
    deliveries = plan_page(users, saved, settings)
    for delivery in deliveries:
        _deliver(broadcast, delivery)
    if not store.record_page(broadcast.broadcast_id, job.page, len(deliveries), next_cursor, utc_now()):
        return "duplicate"  # a concurrent delivery of this message counted it (and sends the next)
    if next_cursor is None:
        return "completed"
    _queue_next(broadcast.broadcast_id, job.page + 1, next_cursor)
    return "sent"
