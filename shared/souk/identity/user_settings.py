"""The caller's settings: locale and, per notification type, which channels deliver it.

One item per user (``USER#<id>`` / ``SETTINGS``); a user who never saved settings reads
the defaults, so no item is written at sign-up. Read: one GetItem. Replace: one PutItem
with its audit record, in one transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field, field_validator
from pynamodb.exceptions import DoesNotExist

from souk.audit import service as audit
from souk.db import keys
from souk.db.transactions import WriteTransaction
from souk.identity.models import UserSettings
from souk.identity.profile import language_tag
from souk.schema import CamelModel

if TYPE_CHECKING:
    from souk.caller import Principal

DEFAULT_LOCALE = "en"


class Channels(CamelModel):
    """Which channels deliver one type of notification."""

    model_config = ConfigDict(extra="forbid")

    in_app: bool
    email: bool
    sms: bool


def _on(in_app: bool = True, email: bool = True, sms: bool = False) -> Any:
    return Field(default_factory=lambda: Channels(in_app=in_app, email=email, sms=sms))


class NotificationChannels(CamelModel):
    """Per notification type; a type left out of a PUT gets its default."""

    model_config = ConfigDict(extra="forbid")

    orders: Channels = _on(sms=True)
    deliveries: Channels = _on(sms=True)
    payments: Channels = _on()
    promotions: Channels = _on(email=False)
    reviews: Channels = _on()
    disputes: Channels = _on()
    account: Channels = _on()


class SettingsIn(CamelModel):
    """PUT body: the whole settings document; fields left out return to their defaults."""

    model_config = ConfigDict(extra="forbid")

    locale: str = Field(DEFAULT_LOCALE, max_length=35, description="BCP 47 tag, e.g. en or ar-EG.")
    notification_channels: NotificationChannels = Field(default_factory=NotificationChannels)

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        return language_tag(value) or DEFAULT_LOCALE


class SettingsOut(SettingsIn):
    updated_at: datetime | None = Field(None, description="Null while the defaults apply.")


def _stored_channels(raw: dict[str, Any] | None) -> NotificationChannels:
    """Saved channels, tolerating types that were retired since they were saved."""
    known = NotificationChannels.model_fields
    return NotificationChannels.model_validate({k: v for k, v in (raw or {}).items() if k in known})


def _out(item: UserSettings | None) -> SettingsOut:
    if item is None:
        return SettingsOut(locale=DEFAULT_LOCALE, notification_channels=NotificationChannels(), updated_at=None)
    return SettingsOut(locale=item.locale, notification_channels=_stored_channels(item.notification_channels),
                       updated_at=item.updated_at)  # fmt: skip


def _load(user_id: str) -> UserSettings | None:
    try:
        return UserSettings.get(keys.user(user_id), keys.SETTINGS, consistent_read=True)
    except DoesNotExist:
        return None


def read_settings(principal: Principal) -> SettingsOut:
    """The caller's settings, or the defaults when none were saved."""
    return _out(_load(principal.user_id))


def replace_settings(principal: Principal, body: SettingsIn) -> SettingsOut:
    """Save the caller's settings whole (last write wins: a settings form is edited by one person)."""
    before = _load(principal.user_id)
    now = datetime.now(UTC)
    item = UserSettings(
        pk=keys.user(principal.user_id), sk=keys.SETTINGS, locale=body.locale,
        notification_channels=body.notification_channels.model_dump(by_alias=True),
        created_at=before.created_at if before else now, updated_at=now,
    )  # fmt: skip
    with WriteTransaction() as tx:
        tx.put(item, label="settings")
        audit.record(principal.actor, "settings.update", "user_settings", principal.user_id, tx=tx,
                     before=_out(before).model_dump(mode="json", exclude={"updated_at"}) if before else None,
                     after=body.model_dump(mode="json"))  # fmt: skip
    return _out(item)
