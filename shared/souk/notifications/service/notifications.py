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
queue message) writes one item and queues one email. ``version`` is whatever makes two
real events on the same entity differ (the order's new status, a counter, a timestamp).
The user's preferences pick the channels (``account`` emails always go); the recipient's
address and phone come from identity. It raises only when the email or SMS could not be
queued (the item is then removed, so the caller's retry does it all again): a caller
that treats notifications as best effort catches ``souk.notify.exceptions.NotificationError``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from souk.db.base import utc_now
from souk.db.paging import encode_cursor
from souk.db.transactions import CONTENTION, Retry, TransactionCancelled, retry_on_contention
from souk.errors import Conflict, NotFound
from souk.identity.service.users import get_user
from souk.notifications.schemas import TYPES, NotificationOut, ReadAllOut, notification_out
from souk.notifications.service import preferences
from souk.notifications.store import notifications as store
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
    created: bool  # False: this event was notified before (nothing was written or queued now)
    email_queued: bool = False
    sms_queued: bool = False


def write_once(item: Notification, send: Callable[[], None] | None) -> bool:
    """Put ``item`` unless it exists; only when this call created it, ``send()`` its email/SMS.

    When ``send`` raises, the item is removed again and the error propagates: the event's
    retry then writes and sends it (the email jobs carry the notification's id, so the
    email worker sends each once even if an earlier try had queued it).
    """
    if not store.put_once(item):
        return False
    if send is not None:
        try:
            send()
        except Exception:
            store.remove(item)
            raise
    return True


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
        The message to send on that channel, if the event has one; sent only when the put
        created the notification and the user's preferences allow it (``account`` emails always).

    Returns
    -------
    NotifyResult
        The id and what this call did (``created=False``: a duplicate, nothing done).

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
    channels = preferences.channels_for(user_id)
    wanted = plan(channels, kind, email=email is not None, sms=sms is not None, phone=True)  # phone: known below
    address, phone = None, None
    if wanted.email or wanted.sms:
        try:
            user = get_user(user_id)
        except NotFound:
            logger.info("notification skipped: no such user", extra={"notification_id": identifier})
            return NotifyResult(identifier, created=False)
        address, phone = user.email, user.phone
    if wanted.sms and not phone:
        wanted = replace(wanted, sms=False)  # no phone number on the account
    item = store.new_notification(notification_id=identifier, user_id=user_id, kind=kind, entity_id=entity_id,
                                  version=str(version), title=title, body=body, data=dict(data) if data else None,
                                  in_app=wanted.in_app, now=utc_now())  # fmt: skip

    def send() -> None:
        if wanted.email and email is not None and address:
            enqueue_email(email.template, address, email.variables, idempotency_id=f"notification:{identifier}")
        if wanted.sms and sms is not None and phone:
            enqueue_sms(sms.template, phone, sms.variables, idempotency_id=f"notification:{identifier}:sms")

    created = write_once(item, send if (wanted.email or wanted.sms) else None)
    return NotifyResult(identifier, created=created, email_queued=created and wanted.email,
                        sms_queued=created and wanted.sms)  # fmt: skip


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
