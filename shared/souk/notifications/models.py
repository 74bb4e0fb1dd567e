"""Notifications entities (keys in :mod:`souk.notifications.keys`).

A :class:`Notification` is one event told to one user. Its id is derived from (user, type,
entity, version), so the same event processed twice is the same item: the put is
conditional on the key, and only the put that created it goes on to queue the email.
``in_app`` is False when the user turned the type's in-app channel off: the item is still
written (it is what makes the email go out once) but has no inbox keys and is never shown.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from souk.db.base import SoukItem, VersionedItem


class Notification(SoukItem, discriminator="Notification"):
    notification_id = UnicodeAttribute(attr_name="notificationId")
    user_id = UnicodeAttribute(attr_name="userId")
    type = UnicodeAttribute()
    entity_id = UnicodeAttribute(attr_name="entityId")
    event_version = UnicodeAttribute(attr_name="eventVersion")
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    data = JSONAttribute(null=True)
    in_app = BooleanAttribute(attr_name="inApp", default=True)
    read_at = UTCDateTimeAttribute(attr_name="readAt", null=True)


class NotificationPreferences(VersionedItem, discriminator="NotificationPreferences"):
    """The channels a user chose, per type: only what they saved (the rest is the defaults)."""

    channels = JSONAttribute(default=dict)


class Broadcast(SoukItem, discriminator="Broadcast"):
    """An admin's message to a role or everyone, and how far its fan-out went.

    ``pages_done`` counts the pages of users handled; a page's progress update is conditional
    on ``pages_done`` being the page before it, so a redelivered page never counts twice.
    ``next_cursor`` is where the next page starts (JSON, None after the last page) and
    ``queued_page`` the last page whose message was sent.
    """

    broadcast_id = UnicodeAttribute(attr_name="broadcastId")
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    role = UnicodeAttribute(null=True)  # None: everyone
    status = UnicodeAttribute()  # queued | sending | completed
    recipients = NumberAttribute(default=0)
    pages_done = NumberAttribute(attr_name="pagesDone", default=0)
    queued_page = NumberAttribute(attr_name="queuedPage", default=1)
    next_cursor = UnicodeAttribute(attr_name="nextCursor", null=True)
    created_by = UnicodeAttribute(attr_name="createdBy")
    completed_at = UTCDateTimeAttribute(attr_name="completedAt", null=True)
