"""Which channels carry each type of notification to a user: the defaults, a user's changes, the rules.

The rules are plain functions over the saved channels (:func:`effective`, :func:`merge`,
:func:`allows`), unit-tested without AWS; reading and saving is one GetItem and one
conditional PutItem (:mod:`souk.notifications.store.preferences`).
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


def effective(saved: Mapping[str, Any] | None) -> ChannelMap:
    """Every type's channels: the defaults, overlaid with what the user saved.

    Types or channels saved once but retired since are ignored; a non-boolean is ignored too.
    """
    result: ChannelMap = {kind: {str(c): v for c, v in channels.items()} for kind, channels in DEFAULTS.items()}
    for kind, channels in (saved or {}).items():
        if kind in result and isinstance(channels, Mapping):
            result[kind].update({c: v for c, v in channels.items() if c in CHANNELS and isinstance(v, bool)})
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


def channels_for(user_id: str) -> ChannelMap:
    """The user's effective channels (one GetItem)."""
    item = store.load(user_id)
    return effective(item.channels if item else None)


def get_preferences(principal: Principal) -> Preferences:
    return to_out(channels_for(principal.user_id))


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
