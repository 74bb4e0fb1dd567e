"""NotificationPreferences items: one per user who saved any, beside their profile (``USER#<id>`` / ``NOTIFPREFS``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.exceptions import DoesNotExist

from souk.db.base import utc_now
from souk.notifications import keys
from souk.notifications.models import NotificationPreferences


def load(user_id: str, *, consistent: bool = False) -> NotificationPreferences | None:
    try:
        return NotificationPreferences.get(keys.user(user_id), keys.PREFERENCES, consistent_read=consistent)
    except DoesNotExist:
        return None


def load_many(user_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """user id -> the channels they saved, for those who saved any (BatchGetItem, 100 keys a call)."""
    wanted = list(dict.fromkeys(user_ids))
    found: dict[str, dict[str, Any]] = {}
    for item in NotificationPreferences.batch_get([(keys.user(u), keys.PREFERENCES) for u in wanted]):
        found[item.pk.split("#", 1)[1]] = dict(item.channels or {})
    return found


def save(user_id: str, channels: dict[str, Any], current: NotificationPreferences | None) -> NotificationPreferences:
    """Save ``channels`` whole, conditional on the version read (``current``; None: none saved yet).

    Raises
    ------
    pynamodb.exceptions.PutError
        Another save got there first (ConditionalCheckFailed): read again and merge again.
    """
    now = utc_now()
    item = current or NotificationPreferences(pk=keys.user(user_id), sk=keys.PREFERENCES, created_at=now)
    item.channels = channels
    item.updated_at = now
    item.save()  # VersionedItem: conditional on the version read (attribute_not_exists for the first)
    return item
