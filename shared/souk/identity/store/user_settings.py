"""A user's settings in the table: one item (``USER#<id>`` / ``SETTINGS``), none until first saved."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist

from souk.db.transactions import WriteTransaction
from souk.identity import keys
from souk.identity.models import UserSettings

if TYPE_CHECKING:
    from datetime import datetime

    from souk.audit.models import AuditRecord


def load_settings(user_id: str) -> UserSettings | None:
    try:
        return UserSettings.get(keys.user(user_id), keys.SETTINGS, consistent_read=True)
    except DoesNotExist:
        return None


def new_settings(user_id: str, *, locale: str, channels: dict, created_at: datetime, now: datetime) -> UserSettings:
    return UserSettings(pk=keys.user(user_id), sk=keys.SETTINGS, locale=locale, notification_channels=channels,
                        created_at=created_at, updated_at=now)  # fmt: skip


def save_settings(item: UserSettings, record: AuditRecord) -> None:
    """Replace the settings whole, with the audit record, in one transaction (last write wins)."""
    with WriteTransaction() as tx:
        tx.put(item, label="settings")
        tx.put(record, label=f"audit:{record.action}")
