"""Which channels carry each type of notification to a user: the defaults, a user's changes, the rules.

Two documents say it, one rule joins them:

- ``/settings``' ``notificationChannels`` (identity's ``UserSettings``) are the **switches**:
  seven groups (orders, deliveries, payments, reviews, disputes, promotions, account), each
  mapped to a type (:data:`SETTINGS_GROUPS`). A channel turned off there is off for its type,
  whatever the per-type preferences say; ``account`` emails still go (codes, resets, account
  changes). Only the channels on by default in ``/settings`` are switches: the opt-ins (the
  promotions email, SMS outside orders and deliveries) are granted by the per-type preferences
  alone. ``points`` and ``team`` have no group: the preferences alone decide them.
- ``/notifications/preferences`` are the per-type **refinements**: a channel goes out only
  when both allow it (:func:`gated`). ``GET /notifications/preferences`` shows the
  refinements as saved over their defaults; the defaults of both documents agree, so a user
  who changed neither gets :data:`DEFAULTS`.

The rules are plain functions over the saved channels (:func:`effective`, :func:`gated`,
:func:`merge`, :func:`allows`), unit-tested without AWS; :func:`notify
<souk.notifications.service.notifications.notify>` reads both documents (and the user) in one
BatchGetItem; saving is one conditional PutItem (:mod:`souk.notifications.store.preferences`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pynamodb.exceptions import PutError

from souk.db.transactions import Retry, retry_on_contention
from souk.errors import Conflict
from souk.notifications.schemas import TYPES, Preferences
from souk.notifications.store import preferences as store

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.notifications.schemas import PreferencesPatch

Channel = Literal["in_app", "email", "sms"]
CHANNELS: tuple[Channel, ...] = ("in_app", "email", "sms")
ChannelMap = dict[str, dict[str, bool]]

# In the app and by email for everything but marketing (opt-in); SMS only where minutes matter.
DEFAULTS: Mapping[str, Mapping[Channel, bool]] = {
    kind: {"in_app": True, "email": kind != "marketing", "sms": kind in ("order", "delivery")} for kind in TYPES
}
# Codes, resets, account changes: sent by email whatever the user chose.
ALWAYS_EMAILED = frozenset({"account"})

# The /settings group that switches each type's channels (identity's NotificationChannels).
SETTINGS_GROUPS: Mapping[str, str] = {
    "order": "orders", "delivery": "deliveries", "payment": "payments", "review": "reviews",
    "dispute": "disputes", "marketing": "promotions", "account": "account",
}  # fmt: skip
# Their defaults while a user saved none (identity's NotificationChannels; a unit test keeps them equal).
SETTINGS_DEFAULTS: Mapping[str, Mapping[str, bool]] = {
    group: {"inApp": True, "email": group != "promotions", "sms": group in ("orders", "deliveries")}
    for group in SETTINGS_GROUPS.values()
}
_WIRE: Mapping[Channel, str] = {"in_app": "inApp", "email": "email", "sms": "sms"}


def effective(saved: Mapping[str, Any] | None) -> ChannelMap:
    """Every type's channels: the defaults, overlaid with what the user saved.

    Types or channels saved once but retired since are ignored; a non-boolean is ignored too.
    """
    result: ChannelMap = {kind: {str(c): v for c, v in channels.items()} for kind, channels in DEFAULTS.items()}
    for kind, channels in (saved or {}).items():
        if kind in result and isinstance(channels, Mapping):
            result[kind].update({c: v for c, v in channels.items() if c in CHANNELS and isinstance(v, bool)})
    return result


def gated(channels: ChannelMap, settings: Mapping[str, Any] | None) -> ChannelMap:
    """``channels`` (:func:`effective`) with what ``/settings`` switched off turned off.

    ``settings`` is the saved ``notificationChannels`` (camelCase, as identity stores them;
    None: nothing saved). Only a channel on by default there is a switch (its ``false`` turns
    the type's channel off); a channel off by default there (promotions email, SMS outside
    orders and deliveries) is an opt-in only the per-type preferences grant, so its value in
    ``/settings`` is not read.
    """
    result: ChannelMap = {kind: dict(c) for kind, c in channels.items()}
    for kind, group in SETTINGS_GROUPS.items():
        saved = (settings or {}).get(group)
        if not isinstance(saved, Mapping):
            continue
        for channel in CHANNELS:
            if SETTINGS_DEFAULTS[group][_WIRE[channel]] and saved.get(_WIRE[channel]) is False:
                result[kind][channel] = False
    return result


def merge(saved: Mapping[str, Any] | None, changes: Mapping[str, Mapping[str, bool]]) -> ChannelMap:
    """The channels to save after a partial PUT: ``changes`` over ``saved``, channel by channel."""
    result: ChannelMap = {k: dict(v) for k, v in (saved or {}).items() if k in DEFAULTS and isinstance(v, Mapping)}
    for kind, channels in changes.items():
        result.setdefault(kind, {}).update(channels)
    return result


def allows(channels: ChannelMap, kind: str, channel: Channel) -> bool:
    """Whether ``kind`` goes out on ``channel`` for a user with these (effective) channels."""
    if channel == "email" and kind in ALWAYS_EMAILED:
        return True
    return bool(channels[kind][channel])


def to_out(channels: ChannelMap) -> Preferences:
    return Preferences.model_validate(channels)


def get_preferences(principal: Principal) -> Preferences:
    """The caller's per-type refinements (the ``/settings`` switches are not folded in: see the module doc)."""
    item = store.load(principal.user_id)
    return to_out(effective(item.channels if item else None))


def update_preferences(principal: Principal, patch: PreferencesPatch) -> Preferences:
    """Merge ``patch`` into the caller's saved channels; two PUTs at once both apply (versioned, retried)."""
    changes = patch.changes()

    def attempt() -> ChannelMap:
        current = store.load(principal.user_id, consistent=True)
        merged = merge(current.channels if current else None, changes)
        try:
            store.save(principal.user_id, merged, current)
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise Retry() from error
            raise
        return effective(merged)

    channels = retry_on_contention(attempt, attempts=5,
                                   exhausted=lambda: Conflict("Preferences changed meanwhile; try again."))  # fmt: skip
    return to_out(channels)
