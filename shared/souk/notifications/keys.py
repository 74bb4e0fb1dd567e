"""Notifications: the key values of its items (pk, sk and GSI keys), one function per key.

- Notification: NOTIFS#<userId> / NOTIF#<notificationId> (the id is deterministic, so the
  put of an event processed twice is conditional on this very key). gsi1 NOTIFS#<userId> /
  C#<created>#<id>: the user's inbox, newest first (only items shown in the app). gsi2
  NOTIFS#<userId>#UNREAD / C#<created>#<id>: sparse, the unread ones (removed when read).
  TTL ``ttl``: 90 days after creation.
- NotificationPreferences: USER#<userId> / NOTIFPREFS (absent: the defaults).
- Broadcast: BROADCAST#<broadcastId> / BROADCAST (its progress; the fan-out pages carry their cursor).

``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from souk.db.keys import created_sort, join
from souk.identity.keys import user

__all__ = ["BROADCAST", "NOTIFICATION_PREFIX", "PREFERENCES", "broadcast", "inbox", "inbox_sort", "notification",
           "unread", "user"]  # fmt: skip

NOTIFICATION_PREFIX = "NOTIF#"
PREFERENCES = "NOTIFPREFS"
BROADCAST = "BROADCAST"


def inbox(user_id: str) -> str:
    """pk of a user's notifications, and gsi1 partition of their inbox."""
    return join("NOTIFS", user_id)


def unread(user_id: str) -> str:
    """gsi2 partition: a user's unread notifications (sparse)."""
    return join("NOTIFS", user_id, "UNREAD")


def notification(notification_id: str) -> str:
    return f"{NOTIFICATION_PREFIX}{notification_id}"


def inbox_sort(created_iso: str, notification_id: str) -> str:
    return created_sort(created_iso, notification_id)


def broadcast(broadcast_id: str) -> str:
    return join("BROADCAST", broadcast_id)
