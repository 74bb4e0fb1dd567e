"""Notifications' privacy hook (souk.privacy): the inbox and the preferences, deleted.

The inbox is the user's ``NOTIFS#<userId>`` partition: each erase call deletes one page of it from the
start (what is deleted is gone, so no cursor is needed to go on: a repeat finds what is left).
"""

from __future__ import annotations

from typing import Any

from souk.db import personal
from souk.db.base import SoukItem
from souk.notifications import keys
from souk.notifications.models import NotificationPreferences

ORDER = 10


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    phase, last_key = personal.position(cursor)
    if phase is None:
        try:
            prefs = NotificationPreferences.get(keys.user(user_id), keys.PREFERENCES)
            rows = [personal.row("notification_preferences", prefs)]
        except NotificationPreferences.DoesNotExist:
            rows = []
        return rows, personal.cursor("inbox", None)
    items, last_key = personal.page(SoukItem.query(keys.inbox(user_id), page_size=personal.PAGE,
                                                   last_evaluated_key=last_key))  # fmt: skip
    return [personal.row("notification", n) for n in items], personal.cursor("inbox", last_key) if last_key else None


def erase(user_id: str, cursor: str | None) -> str | None:
    items, more = personal.page(SoukItem.query(keys.inbox(user_id), page_size=personal.PAGE))
    personal.delete(items)
    if more:
        return personal.cursor("inbox", None)
    NotificationPreferences(pk=keys.user(user_id), sk=keys.PREFERENCES).delete(add_version_condition=False)
    return None
