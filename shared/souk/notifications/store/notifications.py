"""Notification items: the conditional put that makes an event notify once, the inbox pages, reads and deletes.

A notification is ``NOTIFS#<userId>`` / ``NOTIF#<id>``: reading, marking or deleting one
is addressed through the caller's own partition, so another user's id is simply absent.
The inbox is gsi1 (newest first), the unread ones the sparse gsi2.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from souk.db.paging import decode_cursor_for, one_page
from souk.db.transactions import WriteTransaction
from souk.notifications import keys
from souk.notifications.models import Notification

RETENTION = timedelta(days=90)  # TTL: DynamoDB deletes a notification this long after it was written


def _conditional_failed(error: PutError | UpdateError | DeleteError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def new_notification(*, notification_id: str, user_id: str, kind: str, entity_id: str, version: str, title: str,
                     body: str, data: dict[str, Any] | None, in_app: bool, now: datetime) -> Notification:  # fmt: skip
    sort = keys.inbox_sort(now.isoformat(), notification_id)
    item = Notification(
        pk=keys.inbox(user_id), sk=keys.notification(notification_id), notification_id=notification_id,
        user_id=user_id, type=kind, entity_id=entity_id, event_version=version, title=title, body=body, data=data,
        in_app=in_app, created_at=now, updated_at=now, expires_at=now + RETENTION,
    )  # fmt: skip
    if in_app:  # shown: in the inbox and, until read, among the unread
        item.gsi1pk, item.gsi1sk = keys.inbox(user_id), sort
        item.gsi2pk, item.gsi2sk = keys.unread(user_id), sort
    return item


def put_once(item: Notification) -> bool:
    """Write ``item`` unless its key exists; True when this call created it."""
    try:
        item.save(condition=Notification.pk.does_not_exist())
    except PutError as error:
        if _conditional_failed(error):
            return False
        raise
    return True


def exists(item: Notification) -> bool:
    """Whether ``item``'s key is written (one consistent GetItem of the key alone)."""
    try:
        Notification.get(item.pk, item.sk, consistent_read=True, attributes_to_get=["pk", "sk", "entity"])
    except DoesNotExist:
        return False
    return True


def inbox_page(user_id: str, *, unread: bool, limit: int, cursor: str | None
               ) -> tuple[list[Notification], dict[str, Any] | None]:  # fmt: skip
    """One Query: the newest first, all (gsi1) or the unread ones (gsi2, sparse)."""
    if unread:
        partition = keys.unread(user_id)
        start = decode_cursor_for(cursor, "gsi2pk", partition)
        result = Notification.gsi2.query(partition, scan_index_forward=False, page_size=limit, limit=limit,
                                         last_evaluated_key=start)  # fmt: skip
    else:
        partition = keys.inbox(user_id)
        start = decode_cursor_for(cursor, "gsi1pk", partition)
        result = Notification.gsi1.query(partition, scan_index_forward=False, page_size=limit, limit=limit,
                                         last_evaluated_key=start)  # fmt: skip
    return one_page(Notification, result)


_SHOWN = Notification.pk.exists() & (Notification.in_app == True)  # noqa: E712 (a PynamoDB condition)


def mark_read(user_id: str, notification_id: str, now: datetime) -> Notification | None:
    """Mark one of the user's notifications read (UpdateItem, ALL_NEW); None when they have no such one."""
    item = Notification(keys.inbox(user_id), keys.notification(notification_id))
    try:
        item.update(actions=[Notification.read_at.set(Notification.read_at | now), Notification.updated_at.set(now),
                             Notification.gsi2pk.remove(), Notification.gsi2sk.remove()],
                    condition=_SHOWN)  # fmt: skip
    except UpdateError as error:
        if _conditional_failed(error):
            return None
        raise
    return item


def delete_own(user_id: str, notification_id: str) -> bool:
    """Delete one of the user's notifications; False when they have no such one."""
    try:
        Notification(keys.inbox(user_id), keys.notification(notification_id)).delete(condition=_SHOWN)
    except DeleteError as error:
        if _conditional_failed(error):
            return False
        raise
    return True


def unread_batch(user_id: str, size: int) -> tuple[list[Notification], bool]:
    """Up to ``size`` of the user's unread notifications, newest first, and whether more remain (one Query)."""
    result = Notification.gsi2.query(keys.unread(user_id), scan_index_forward=False, page_size=size + 1,
                                     limit=size + 1)  # fmt: skip
    items, _ = one_page(Notification, result)
    return items[:size], len(items) > size


def mark_read_many(items: list[Notification], now: datetime) -> None:
    """Mark ``items`` read in one transaction (at most 100), each conditional on still existing.

    Raises
    ------
    TransactionCancelled
        One was deleted meanwhile (ConditionalCheckFailed) or another write raced (TransactionConflict).
    """
    with WriteTransaction() as tx:
        for item in items:
            tx.update(item, [Notification.read_at.set(Notification.read_at | now), Notification.gsi2pk.remove(),
                             Notification.gsi2sk.remove(), Notification.updated_at.set(now)],
                      condition=Notification.pk.exists(), label=item.notification_id)  # fmt: skip
