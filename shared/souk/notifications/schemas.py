"""Notifications on the wire (API.md, "Details of the later areas" > Notifications), and the
plain values other domains pass to :func:`souk.notifications.service.notifications.notify`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import ConfigDict, Field, StrictBool

from souk.notifications.models import Broadcast, Notification
from souk.schema import CamelModel, NonBlankText, PageQuery, PatchModel, one_line_text

NotificationType = Literal[
    "order", "payment", "delivery", "points", "review", "dispute", "team", "account", "marketing"
]
TYPES: tuple[NotificationType, ...] = get_args(NotificationType)
BroadcastRole = Literal["customer", "store_owner", "courier"]
BroadcastStatus = Literal["queued", "sending", "completed"]

Title = one_line_text(120)
Body = Annotated[NonBlankText, Field(max_length=2000)]


@dataclass(frozen=True)
class Message:
    """An email or SMS to send with a notification: a template (``souk/<domain>/emails.py``) and its values."""

    template: str
    variables: Mapping[str, str | int | float] = field(default_factory=dict)


# ---------------------------------------------------------------- preferences


class Channels(CamelModel):
    """Which channels deliver one type of notification."""

    model_config = ConfigDict(extra="forbid")

    in_app: StrictBool
    email: StrictBool
    sms: StrictBool


class ChannelsPatch(PatchModel):
    """Some channels of one type; those left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    in_app: StrictBool | None = None  # strict: "yes" or 1 is a 400, not a silent true
    email: StrictBool | None = None
    sms: StrictBool | None = None
    not_nullable = ("in_app", "email", "sms")


_DEFAULTS_DOC = (
    "Defaults: every type in the app and by email, except `marketing` (in the app only); SMS for "
    "`order` and `delivery` only. `account` emails (codes, resets) are sent whatever `email` says."
)


class Preferences(CamelModel):
    __doc__ = "A user's channels per notification type. " + _DEFAULTS_DOC

    order: Channels
    payment: Channels
    delivery: Channels
    points: Channels
    review: Channels
    dispute: Channels
    team: Channels
    account: Channels
    marketing: Channels


class PreferencesPatch(PatchModel):
    """PUT body: the types to change, each with the channels to change; an unknown type is a 400."""

    model_config = ConfigDict(extra="forbid")

    order: ChannelsPatch | None = None
    payment: ChannelsPatch | None = None
    delivery: ChannelsPatch | None = None
    points: ChannelsPatch | None = None
    review: ChannelsPatch | None = None
    dispute: ChannelsPatch | None = None
    team: ChannelsPatch | None = None
    account: ChannelsPatch | None = None
    marketing: ChannelsPatch | None = None
    not_nullable = TYPES

    def changes(self) -> dict[str, dict[str, bool]]:
        """``{type: {channel: value}}`` of what the body sets (snake_case channel names)."""
        return {name: getattr(self, name).model_dump(exclude_unset=True, by_alias=False)
                for name in self.model_fields_set}  # fmt: skip


# ---------------------------------------------------------------- the inbox


class NotificationsQuery(PageQuery):
    unread: bool = Field(False, description="`true`: only the unread ones.")


class NotificationOut(CamelModel):
    id: str
    type: NotificationType
    entity_id: str
    title: str
    body: str
    data: dict[str, Any] | None = None
    read: bool
    read_at: datetime | None = None
    created_at: datetime


def notification_out(item: Notification) -> NotificationOut:
    return NotificationOut(id=item.notification_id, type=item.type, entity_id=item.entity_id,  # type: ignore[arg-type]
                           title=item.title, body=item.body, data=item.data, read=item.read_at is not None,
                           read_at=item.read_at, created_at=item.created_at)  # fmt: skip


class ReadAllOut(CamelModel):
    marked: int = Field(description="How many were marked read by this call.")
    has_more: bool = Field(description="`true`: unread ones remain; call again.")


class NotificationDeleted(CamelModel):
    id: str
    deleted: bool = True


# ---------------------------------------------------------------- broadcasts


class BroadcastIn(CamelModel):
    model_config = ConfigDict(extra="forbid")

    title: Title  # type: ignore[valid-type]
    body: Body
    role: BroadcastRole | None = Field(None, description="Everyone when left out.")


class BroadcastOut(CamelModel):
    broadcast_id: str
    status: BroadcastStatus
    title: str
    body: str
    role: BroadcastRole | None = None
    recipients: int = Field(description="Users reached so far.")
    created_at: datetime
    completed_at: datetime | None = None


def broadcast_out(item: Broadcast) -> BroadcastOut:
    return BroadcastOut(broadcast_id=item.broadcast_id, status=item.status, title=item.title,  # type: ignore[arg-type]
                        body=item.body, role=item.role, recipients=int(item.recipients),  # type: ignore[arg-type]
                        created_at=item.created_at, completed_at=item.completed_at)  # fmt: skip


class BroadcastJob(CamelModel):
    """A ``notifications`` queue message: one page of a broadcast's audience, from ``cursor``."""

    broadcast_id: str = Field(min_length=1, max_length=64)
    page: int = Field(ge=1)
    cursor: dict[str, Any] | None = None

    def body(self) -> str:
        return json.dumps(self.model_dump(mode="json"), separators=(",", ":"))
