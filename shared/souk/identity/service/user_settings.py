"""The caller's settings: locale and, per notification type, which channels deliver it.

A user who never saved settings reads the defaults, so no item is written at sign-up.
Read: one GetItem. Replace: one PutItem with its audit record, in one transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.identity.schemas.user_settings import SettingsOut, settings_out
from souk.identity.store import user_settings as store

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.identity.schemas.user_settings import SettingsIn


def read_settings(principal: Principal) -> SettingsOut:
    """The caller's settings, or the defaults when none were saved."""
    return settings_out(store.load_settings(principal.user_id))


def replace_settings(principal: Principal, body: SettingsIn) -> SettingsOut:
    """Save the caller's settings whole (last write wins: a settings form is edited by one person)."""
    before = store.load_settings(principal.user_id)
    now = datetime.now(UTC)
    item = store.new_settings(principal.user_id, locale=body.locale,
                              channels=body.notification_channels.model_dump(by_alias=True),
                              created_at=before.created_at if before else now, now=now)  # fmt: skip
    record = audit.build_record(principal.actor, "settings.update", "user_settings", principal.user_id,
                                before=settings_out(before).model_dump(mode="json", exclude={"updated_at"})
                                if before else None, after=body.model_dump(mode="json"))  # fmt: skip
    store.save_settings(item, record)
    return settings_out(item)
