"""NotificationPreferences items: one per user who saved any, beside their profile (``USER#<id>`` / ``NOTIFPREFS``),
and the one read :func:`~souk.notifications.service.notifications.notify` makes before it sends."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist

from souk.db.base import SoukItem, utc_now
from souk.identity import keys as identity_keys
from souk.identity.models import User, UserSettings
from souk.notifications import keys
from souk.notifications.models import Notification, NotificationPreferences


@dataclass(frozen=True)
class Recipient:
    """What notify needs of one user for one notification, read at once."""

    user: User | None  # None: no such user (or deleted)
    settings: dict[str, Any] | None  # /settings' notificationChannels as saved (None: none saved)
    saved: dict[str, Any] | None  # the per-type preferences as saved (None: none saved)
    notified: Notification | None  # this notification, when an earlier try wrote it


def load_recipient(user_id: str, notification_id: str) -> Recipient:
    """One BatchGetItem (consistent): the user's profile, ``/settings``, preferences and the notification."""
    owner = keys.user(user_id)
    wanted = [(owner, identity_keys.PROFILE), (owner, identity_keys.SETTINGS), (owner, keys.PREFERENCES),
              (keys.inbox(user_id), keys.notification(notification_id))]  # fmt: skip
    found = list(SoukItem.batch_get(wanted, consistent_read=True))
    user = next((i for i in found if isinstance(i, User)), None)
    settings = next((i for i in found if isinstance(i, UserSettings)), None)
    saved = next((i for i in found if isinstance(i, NotificationPreferences)), None)
    notified = next((i for i in found if isinstance(i, Notification)), None)
    return Recipient(
        user=user if user is not None and user.status != "deleted" else None,
        settings=dict(settings.notification_channels or {}) if settings else None,
        saved=dict(saved.channels or {}) if saved else None,
        notified=notified,
    )


def load(user_id: str, *, consistent: bool = False) -> NotificationPreferences | None:
    try:
        return NotificationPreferences.get(keys.user(user_id), keys.PREFERENCES, consistent_read=consistent)
    except DoesNotExist:
        return None


def load_many(user_ids: Iterable[str]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """For those who saved any: user id -> their per-type preferences, and user id -> their ``/settings``
    channels (one BatchGetItem of both items per 50 users)."""
    wanted = list(dict.fromkeys(user_ids))
    saved: dict[str, dict[str, Any]] = {}
    settings: dict[str, dict[str, Any]] = {}
    pairs = [k for u in wanted for k in ((keys.user(u), keys.PREFERENCES), (keys.user(u), identity_keys.SETTINGS))]
    for item in SoukItem.batch_get(pairs):
        if isinstance(item, NotificationPreferences):
            saved[item.pk.split("#", 1)[1]] = dict(item.channels or {})
        elif isinstance(item, UserSettings):
            settings[item.pk.split("#", 1)[1]] = dict(item.notification_channels or {})
    return saved, settings


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
