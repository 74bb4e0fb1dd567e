"""The caller's settings on the wire (camelCase): locale and, per notification type, its channels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from souk.identity.models import UserSettings
from souk.identity.schemas.profile import language_tag
from souk.schema import CamelModel

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


def settings_out(item: UserSettings | None) -> SettingsOut:
    """The saved settings, or the defaults when ``item`` is None (nothing saved yet)."""
    if item is None:
        return SettingsOut(locale=DEFAULT_LOCALE, notification_channels=NotificationChannels(), updated_at=None)
    return SettingsOut(locale=item.locale, notification_channels=_stored_channels(item.notification_channels),
                       updated_at=item.updated_at)  # fmt: skip
