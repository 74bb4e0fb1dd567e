"""The in-app notifications of a user, and :func:`notify`: the one way a domain tells a user something.

How a domain notifies
---------------------
After its own write commits, a domain calls::

    from souk.notifications.schemas import Message
    from souk.notifications.service.notifications import notify

    notify(order.customer_id, "order", order.order_id, order.status,
           title=f"Order {order.order_id} is {order.status}", body="...",
           data={"orderId": order.order_id},
           email=Message("order_status_changed", {"order_id": ..., "status": ...}),
           sms=Message("order_status_changed", {...}))

``(user, type, entity, version)`` names the event: the same four values give the same
notification id, so an event processed twice (a retried request, a redelivered webhook or
queue message) writes one item and sends one email. ``version`` is whatever makes two
real events on the same entity differ (the order's new status, a counter, a timestamp).
Which channels go out: ``/settings``' ``notificationChannels`` switch a type's channels off,
the per-type preferences refine them (:mod:`souk.notifications.service.preferences`);
``account`` emails always go. The recipient's address and phone come from identity.

Delivery is at least once, deduplicated: the email/SMS is queued *before* the item is put,
with the notification's id as its idempotency id, and the item is written only once they
are queued. A process that dies in between leaves no item, so the event's retry queues the
email again (the email worker sends a given idempotency id once) and writes the item; a
retry that finds the item knows its email was queued and does nothing. Two tries racing may
both queue the job: the worker still sends it once. ``notify`` raises when the email or SMS
could not be queued (nothing written: the caller's retry does it all again); a caller that
treats notifications as best effort catches ``souk.notify.exceptions.NotificationError``.

Not through here: identity's verification codes and password-reset links
(``souk.identity.service.accounts`` / ``recovery``). They are ``account`` emails (always
sent) that carry secrets, so they must never be stored as in-app items: identity queues
them directly with ``souk.notify.service.enqueue_email``.

How the domains being built call it: reviews (``review``: the store owner on a new review,
entity the review id, version ``"received"``; the author on a reply, version ``"response"``),
disputes (``dispute``: each party on each message or status move, entity the dispute or
return id, version the thread's length or the new status) and points (``points``: entity the
lot id, version ``"earned"`` / ``"expiring"`` / ``"expired"``), each from its own
``service/notifications.py`` after its commit, with its ``emails.py`` template as ``email=``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from souk.db.base import utc_now
from souk.db.paging import encode_cursor
from souk.db.transactions import CONTENTION, Retry, TransactionCancelled, retry_on_contention
from souk.errors import Conflict, NotFound
from souk.notifications.schemas import TYPES, NotificationOut, ReadAllOut, notification_out
from souk.notifications.service import preferences
from souk.notifications.store import notifications as store
from souk.notifications.store.preferences import load_recipient
from souk.notify.service import enqueue_email, enqueue_sms
from souk.notify.templates import validate
from souk.observability import logger

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.notifications.models import Notification
    from souk.notifications.schemas import Message, NotificationsQuery

READ_ALL_BATCH = 100  # marked per PUT /notifications/read-all (one Query, one transaction)


def notification_id(user_id: str, kind: str, entity_id: str, version: str | int) -> str:
    """The id of the notification of one event to one user: the same four values, the same id.

    A digest of the values as a JSON list, so no separator inside a value can make two
    events collide (``("a#b", "c")`` and ``("a", "b#c")`` differ).
    """
    raw = json.dumps([user_id, kind, entity_id, str(version)], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Plan:
    """The channels one notification goes out on."""

    in_app: bool
    email: bool
    sms: bool


def plan(channels: preferences.ChannelMap, kind: str, *, email: bool, sms: bool, phone: bool) -> Plan:
    """What to do for a user with these channels: an email or SMS needs a message to send (and a phone)."""
    return Plan(
        in_app=preferences.allows(channels, kind, "in_app"),
        email=email and preferences.allows(channels, kind, "email"),
        sms=sms and phone and preferences.allows(channels, kind, "sms"),
    )


@dataclass(frozen=True)
class NotifyResult:
    notification_id: str
    created: bool  # False: this event was notified before (or by a try racing this one)
    email_queued: bool = False  # this call put the email on the queue (a racing try may have too: sent once)
    sms_queued: bool = False


def write_once(item: Notification, send: Callable[[], None] | None, *, absent: bool = False) -> bool:
    """Queue ``item``'s email/SMS (``send()``), then put ``item`` unless it exists; True when this call wrote it.

    Queue first: a process that dies between the two leaves no item, so the retry sends again
    (deduplicated by the email worker on the notification's idempotency id) instead of finding
    the item and sending nothing. A try that finds the item sends nothing: its email was queued
    before it was written. ``absent``: the caller has just read that the item does not exist
    (skips the GetItem). When ``send`` raises, nothing is written and the error propagates.
    """
    if send is not None:
        if not absent and store.exists(item):
            return False
        send()
    return store.put_once(item)


def notify(user_id: str, kind: str, entity_id: str, version: str | int, *, title: str, body: str,
           data: Mapping[str, Any] | None = None, email: Message | None = None,
           sms: Message | None = None) -> NotifyResult:  # fmt: skip
    """Tell ``user_id`` about an event once: the in-app item, and the email/SMS their preferences allow.

    Parameters
    ----------
    user_id
        The recipient.
    kind
        One of :data:`souk.notifications.schemas.TYPES`.
    entity_id, version
        What the event is about and which change of it: with ``user_id`` and ``kind``, the
        notification's identity (see :func:`notification_id`).
    title, body, data
        What the app shows; ``data`` is small JSON for the client (ids to link to).
    email, sms
        The message to send on that channel, if the event has one; queued (before the item
        is written) unless an earlier try wrote the notification, and only on the channels the
        user's settings and preferences allow (``account`` emails always).

    Returns
    -------
    NotifyResult
        The id and what this call did (``created=False`` and nothing queued: notified before).

    Raises
    ------
    ValueError
        ``kind`` is not a notification type.
    UnknownTemplateError, MissingVariableError
        A message names a template that does not exist or lacks variables (nothing written).
    NotificationError
        The email or SMS could not be queued (nothing stays written: retry the event).
    """
    if kind not in TYPES:
        raise ValueError(f"unknown notification type {kind!r}")
    for message in (email, sms):
        if message is not None:
            validate(message.template, message.variables)
    identifier = notification_id(user_id, kind, entity_id, version)
    recipient = load_recipient(user_id, identifier)
    if recipient.user is None:
        logger.info("notification skipped: no such user", extra={"notification_id": identifier})
        return NotifyResult(identifier, created=False)
    if recipient.notified is not None:  # an earlier try wrote it, hence had queued its email
        return NotifyResult(identifier, created=False)
    channels = preferences.gated(preferences.effective(recipient.saved), recipient.settings)
    address, phone = recipient.user.email, recipient.user.phone
    wanted = plan(channels, kind, email=email is not None and bool(address), sms=sms is not None,
                  phone=bool(phone))  # fmt: skip
    item = store.new_notification(notification_id=identifier, user_id=user_id, kind=kind, entity_id=entity_id,
                                  version=str(version), title=title, body=body, data=dict(data) if data else None,
                                  in_app=wanted.in_app, now=utc_now())  # fmt: skip

    def send() -> None:
        if wanted.email and email is not None:
            enqueue_email(email.template, address, email.variables, idempotency_id=f"notification:{identifier}")
        if wanted.sms and sms is not None and phone:
            enqueue_sms(sms.template, phone, sms.variables, idempotency_id=f"notification:{identifier}:sms")

    sending = wanted.email or wanted.sms
    created = write_once(item, send if sending else None, absent=True)
    return NotifyResult(identifier, created=created, email_queued=wanted.email, sms_queued=wanted.sms)


# ---------------------------------------------------------------- the caller's inbox


def list_notifications(principal: Principal, query: NotificationsQuery) -> tuple[list[NotificationOut], str | None]:
    """The caller's notifications (or only the unread ones), newest first: one Query a page."""
    items, last = store.inbox_page(principal.user_id, unread=query.unread, limit=query.limit, cursor=query.cursor)
    return [notification_out(i) for i in items], encode_cursor(last)


def mark_read(principal: Principal, notification_id: str) -> NotificationOut:
    """Mark one of the caller's notifications read (again is fine); another's is 404."""
    item = store.mark_read(principal.user_id, notification_id, utc_now())
    if item is None:
        raise NotFound()
    return notification_out(item)


def delete(principal: Principal, notification_id: str) -> None:
    """Delete one of the caller's notifications; another's (or one already gone) is 404."""
    if not store.delete_own(principal.user_id, notification_id):
        raise NotFound()


def read_all(principal: Principal) -> ReadAllOut:
    """Mark up to :data:`READ_ALL_BATCH` of the caller's unread notifications read, newest first.

    Bounded per call whatever the inbox holds: the answer says how many were marked and
    whether unread ones remain (``hasMore``: call again). One Query and one transaction;
    a notification deleted or read meanwhile re-reads the batch (at most 5 tries, then 409).
    """

    def attempt() -> ReadAllOut:
        items, more = store.unread_batch(principal.user_id, READ_ALL_BATCH)
        if items:
            try:
                store.mark_read_many(items, utc_now())
            except TransactionCancelled as cancelled:
                if cancelled.failed():
                    raise Retry() from cancelled  # one was deleted meanwhile: read the batch again
                raise
        return ReadAllOut(marked=len(items), has_more=more)

    busy = "The notifications changed meanwhile; try again."
    return retry_on_contention(attempt, attempts=5, exhausted=lambda: Conflict(busy), retry_on=CONTENTION)
